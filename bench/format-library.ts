// One library folder holding every format a phone or camera writes (issue 17's "must show"):
// the real camera samples (test/fixtures/camera-samples), files made here with the encoders at
// hand (sharp: JPEG, PNG, WebP, AVIF, TIFF, GIF, SVG; bmp-js: BMP; Debian's heif-enc, if
// installed: HEIC), cut-off and too-small files, a Live Photo pair, sidecars, a hidden folder and
// files that are not photos. It indexes the folder with `photowords index` and prints the table
// of files: indexed, failed (with the reason) and not read (by kind), each file exactly once.
// Run: node --import tsx bench/format-library.ts [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';

const SAMPLES = path.resolve('test/fixtures/camera-samples');
const FLOWERS = path.resolve('../shared/datasets/flowers17');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-formats-'));
const lib = path.join(dir, 'Pictures');
fs.mkdirSync(path.join(lib, 'camera'), { recursive: true });
fs.mkdirSync(path.join(lib, 'made-here'), { recursive: true });
fs.mkdirSync(path.join(lib, '.thumbnails'), { recursive: true });

const flower = (i: number) => {
  const cls = `c${String(1 + (i % 17)).padStart(2, '0')}`;
  return path.join(FLOWERS, cls, fs.readdirSync(path.join(FLOWERS, cls)).sort()[i % 80]);
};

for (const f of fs.readdirSync(SAMPLES)) {
  if (!/^(README|LICENSE|NOTICE)/.test(f)) fs.copyFileSync(path.join(SAMPLES, f), path.join(lib, 'camera', f));
}
const made = (name: string) => path.join(lib, 'made-here', name);
const base = () => sharp(flower(3)).resize(1200, 900, { fit: 'fill' });
await base()
  .jpeg({ quality: 90 })
  .withExif({ IFD0: { Make: 'Photowords', Model: 'bench' } })
  .toFile(made('camera.jpg'));
await sharp(flower(4)).png().toFile(made('screenshot.png'));
await sharp(flower(5)).webp().toFile(made('shared.webp'));
await sharp(flower(6)).avif().toFile(made('phone.avif'));
await sharp(flower(7)).tiff().toFile(made('scan.tif'));
await sharp(flower(8)).gif().toFile(made('animation.gif'));
fs.writeFileSync(
  made('drawing.svg'),
  '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="#8ac"/><circle cx="200" cy="150" r="90" fill="#fc4"/></svg>',
);
{
  const { data, info } = await sharp(flower(9)).resize(320, 240, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const abgr = Buffer.alloc(info.width * info.height * 4);
  for (let i = 0; i < info.width * info.height; i++) [abgr[i * 4], abgr[i * 4 + 1], abgr[i * 4 + 2], abgr[i * 4 + 3]] = [255, data[i * 3 + 2], data[i * 3 + 1], data[i * 3]];
  const bmp = createRequire(import.meta.url)('bmp-js') as { encode(i: { data: Buffer; width: number; height: number }): { data: Buffer } };
  fs.writeFileSync(made('paint.bmp'), bmp.encode({ data: abgr, width: info.width, height: info.height }).data);
}
const jpeg = await base().jpeg({ quality: 90 }).toBuffer();
fs.writeFileSync(made('download-cut-80.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.8)));
fs.writeFileSync(made('download-cut-30.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.3)));
await sharp({ create: { width: 16, height: 16, channels: 3, background: '#c33' } })
  .png()
  .toFile(made('favicon.png'));
const heifEnc = spawnSync('sh', ['-c', 'command -v heif-enc'], { encoding: 'utf8' }).stdout.trim();
if (heifEnc) {
  await sharp(flower(10)).resize(1024, 768, { fit: 'fill' }).png().toFile(path.join(dir, 'heic-src.png'));
  execFileSync(heifEnc, ['-q', '70', path.join(dir, 'heic-src.png'), '-o', made('IMG_0001.HEIC')], { stdio: 'ignore' });
  // Its Live Photo video: the iPhone's MOV under the photo's name.
  fs.copyFileSync(path.join(SAMPLES, 'apple-iphone-6-gps-rotation90.mov'), made('IMG_0001.MOV'));
} else {
  console.log('heif-enc not installed (apt-get install libheif-examples): no HEIC made here; the real ones in camera/ stand');
}
fs.copyFileSync(path.join(SAMPLES, 'exiftool-sample-sidecar.xmp'), made('camera.xmp'));
fs.writeFileSync(made('notes.txt'), 'not a photo\n');
fs.writeFileSync(made('layers.psd'), Buffer.concat([Buffer.from('8BPS'), Buffer.alloc(60)]));
await sharp(flower(11))
  .jpeg()
  .toFile(path.join(lib, '.thumbnails', 'cached.jpg'));
await sharp(flower(12)).jpeg().toFile(path.join(lib, '.hidden-photo.jpg'));

const files: string[] = [];
const walk = (d: string) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else files.push(p);
  }
};
walk(lib);

const db = path.join(dir, 'index.db');
const cli = (args: string[]) => spawnSync(process.execPath, ['bin/photowords.js', ...args], { encoding: 'utf8' });
const run = cli(['index', lib, '--db', db, '--provider', 'cpu']);
console.log(`$ photowords index ${lib}\n${run.stdout}${run.stderr}`);
const info = JSON.parse(cli(['info', '--db', db, '--json']).stdout);
console.log(`info --json: photos ${JSON.stringify(info.photos)}; not read ${info.notRead.map((k: { kind: string; files: number }) => `${k.kind} ${k.files}`).join(', ')}`);

// Each file of the folder, with where it ended: a row of images (indexed or failed) or of
// not_read (itself, or the hidden folder it is in). A file found in none, or in two, is a bug.
const sqlite = new Database(db, { readonly: true });
const images = new Map(
  sqlite
    .prepare('SELECT path, status, error, note, width, height FROM images')
    .all()
    .map((r: any) => [r.path, r]),
);
const notRead = sqlite.prepare('SELECT path, kind, files FROM not_read').all() as { path: string; kind: string; files: number }[];
sqlite.close();
const rows: string[] = [];
let unexplained = 0;
const counts: Record<string, number> = {};
for (const f of files.sort()) {
  const img = images.get(f);
  const nr = notRead.filter((r) => r.path === f || f.startsWith(r.path + path.sep));
  const outcomes = (img ? 1 : 0) + nr.length;
  let what: string;
  if (outcomes !== 1) {
    unexplained++;
    what = `UNEXPLAINED (${outcomes} outcomes)`;
  } else if (img) {
    what = img.status === 'indexed' ? `indexed ${img.width} x ${img.height}${img.note ? ` (note: ${img.note})` : ''}` : `failed: ${img.error}`;
    counts[img.status] = (counts[img.status] ?? 0) + 1;
  } else {
    what = `not read: ${nr[0].kind}${nr[0].path !== f ? ` (in ${path.relative(lib, nr[0].path)}/)` : ''}`;
    counts[`not read: ${nr[0].kind}`] = (counts[`not read: ${nr[0].kind}`] ?? 0) + 1;
  }
  rows.push(`| ${path.relative(lib, f)} | ${what} |`);
}
console.log(`\n| file | outcome |\n| --- | --- |\n${rows.join('\n')}`);
console.log(
  `\n${files.length} files: ${Object.entries(counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')}; unexplained ${unexplained}`,
);
if (!process.argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
else console.log(`kept: ${dir}`);
