// Hard-negative benchmark for duplicate finding (issue 17): sets of different photos that look
// alike at 32 x 32, where a "same photo" group is always wrong, beside a few real copies of them
// (which must still be found). The near-duplicate benchmark (bench/duplicates.ts) asks whether
// copies are found; this one asks whether look-alikes are kept apart, and whether a chain of
// look-alikes, each a small step from the last, grows into one group (how a real Pictures folder
// got one "same photo" group of 264 test-chart shots from 42 cameras).
//
//   npm run bench:hard-negatives [-- --work DIR --fresh --json]
//
// The sets (made at run time under --work, a temp folder by default; nothing is committed):
// - chart-cameras: one test chart shot by 42 cameras, each frame a small step from the last
//   (framing, exposure and white balance drift; sensor noise), with each camera's EXIF Make,
//   Model, lens and capture date; a chain. Copies: a re-save keeping the EXIF, a half-size copy
//   with the EXIF stripped, a greyscale copy keeping it.
// - bursts: 5 scenes (flowers17 photos) each shot as a burst of 8 frames 0.4 s apart (a slow pan),
//   one camera's EXIF with sub-second capture times. Copy: a frame re-saved with its EXIF.
// - screens: 30 screenshots of one program (PNG, no EXIF) in successive states: each changes a
//   little from the last (a row selected, a file added, the status line), a chain.
// - scene-renders: one scene rendered 25 times, the sun, clouds, lit windows and a car moving a
//   little each time (no EXIF), a chain.
// - forms: 20 scans of one form filled in differently (no EXIF). Copy: a scan re-saved.
// - caltech-alike: caltech101 classes shot alike (Motorbikes and airplanes on white, Faces,
//   car_side, yin_yang, dollar_bill), 30 each, as they are.
//
// Reported per set: false "same photo" pairs (two different photos in one group; target 0), the
// largest group (photos, and different photos in it), real copies found, and what went to
// "Similar shots". For the chain sets also how far apart consecutive frames' perceptual hashes are
// and how far the first is from the last.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../src/core/library/engine.js';
import { findDuplicates } from '../src/core/duplicates/find.js';
import { hamming, hashOf } from '../src/core/analysis/phash.js';
import { mulberry32 } from '../src/core/common/random.js';
import { generatedSet } from './generated-set.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const WORK = path.resolve(opt('work', path.join(os.tmpdir(), 'photowords-bench-hard-negatives')));
const DATA = path.resolve(opt('datasets', '../shared/datasets'));
const JSON_OUT = args.includes('--json');
const log = (s: string) => process.stderr.write(s + '\n');

interface Photo {
  file: string;
  set: string;
  /** What photo it is: two files with the same identity are the same photo (a copy); else different photos. */
  identity: string;
  /** Position in its set's chain (chain sets only). */
  step?: number;
  copy?: boolean;
}

type Exif = Record<string, Record<string, string>>;

const CAMERAS: [string, string, string][] = (() => {
  const makes: [string, string[], string][] = [
    ['Canon', ['EOS 5D Mark II', 'EOS 6D', 'EOS 80D', 'EOS R5', 'EOS 700D', 'PowerShot G7 X'], 'EF24-105mm f/4L IS USM'],
    ['NIKON CORPORATION', ['NIKON D750', 'NIKON D3300', 'NIKON Z 6', 'NIKON D810', 'NIKON D7200', 'COOLPIX P900'], 'NIKKOR 24-70mm f/2.8'],
    ['SONY', ['ILCE-7M3', 'ILCE-6000', 'DSC-RX100M5', 'ILCE-7RM4', 'SLT-A58', 'DSC-HX90V'], 'FE 28-70mm F3.5-5.6 OSS'],
    ['FUJIFILM', ['X-T3', 'X100F', 'X-E3', 'X-T30', 'X-Pro2', 'FinePix S1'], 'XF18-55mmF2.8-4 R LM OIS'],
    ['OLYMPUS CORPORATION', ['E-M10 Mark III', 'E-M5 Mark II', 'E-M1', 'PEN-F', 'E-PL9', 'TG-5'], 'M.ZUIKO 14-42mm'],
    ['Panasonic', ['DMC-GX80', 'DC-G9', 'DMC-FZ1000', 'DMC-LX100', 'DC-GH5', 'DMC-TZ70'], 'LUMIX G VARIO 12-32'],
    ['Apple', ['iPhone 8', 'iPhone X', 'iPhone 11', 'iPhone 12 Pro', 'iPhone SE', 'iPhone 14'], 'back camera 4.25mm f/1.8'],
  ];
  return makes.flatMap(([make, models, lens]) => models.map((m) => [make, m, lens] as [string, string, string]));
})();

const exifDate = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, ':');

/** A test chart: colour patches, a resolution wedge, a star, circles and labels. */
function chartSvg(w: number, h: number): string {
  const patches = [
    '#735244',
    '#c29682',
    '#627a9d',
    '#576c43',
    '#8580b1',
    '#67bdaa',
    '#d67e2c',
    '#505ba6',
    '#c15a63',
    '#5e3c6c',
    '#9dbc40',
    '#e0a32e',
    '#383d96',
    '#469449',
    '#af363c',
    '#e7c71f',
    '#bb5695',
    '#0885a1',
    '#f3f3f2',
    '#c8c8c8',
    '#a0a0a0',
    '#7a7a79',
    '#555555',
    '#343434',
  ];
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#9a9a9a"/>`;
  patches.forEach((c, i) => {
    const x = 60 + (i % 6) * 110;
    const y = 80 + Math.floor(i / 6) * 110;
    s += `<rect x="${x}" y="${y}" width="95" height="95" fill="${c}" stroke="#111" stroke-width="3"/>`;
  });
  for (let i = 0; i < 36; i++) {
    const a0 = (i * 10 * Math.PI) / 180;
    const a1 = ((i * 10 + 5) * Math.PI) / 180;
    const cx = 1050;
    const cy = 300;
    s += `<path d="M${cx},${cy} L${cx + 200 * Math.cos(a0)},${cy + 200 * Math.sin(a0)} L${cx + 200 * Math.cos(a1)},${cy + 200 * Math.sin(a1)} Z" fill="#000"/>`;
  }
  for (let i = 0; i < 40; i++) s += `<line x1="${60 + i * (8 + i / 6)}" y1="560" x2="${60 + i * (8 + i / 6)}" y2="760" stroke="#000" stroke-width="${1 + (i % 3)}"/>`;
  for (let i = 0; i < 6; i++) s += `<circle cx="${820 + (i % 3) * 150}" cy="${620 + Math.floor(i / 3) * 130}" r="${55 - i * 6}" fill="none" stroke="#000" stroke-width="6"/>`;
  s += `<text x="60" y="50" font-family="sans-serif" font-size="34" font-weight="bold">ISO 12233 · colour checker · Photowords test target</text>`;
  s += `<text x="60" y="830" font-family="sans-serif" font-size="22">1 2 3 4 5 6 7 8 9 10 · lp/mm · 0.1 0.2 0.5 1.0</text>`;
  return s + '</svg>';
}

/** RGB with seeded noise added (sensor noise: every frame is its own exposure). */
async function withNoise(img: ReturnType<typeof sharp>, rand: () => number, amount: number): Promise<ReturnType<typeof sharp>> {
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, data[i] + (rand() + rand() - 1) * amount));
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
}

async function makeChartCameras(dir: string, photos: Photo[]) {
  const rand = mulberry32(17);
  const W = 1500;
  const H = 1000;
  const base = await sharp(Buffer.from(chartSvg(W, H)))
    .png()
    .toBuffer();
  for (let k = 0; k < CAMERAS.length; k++) {
    const [make, model, lens] = CAMERAS[k];
    // The tripod creeps and the light changes through the day: each frame a small step from the last.
    const left = 20 + k * 5;
    const top = 10 + Math.round(k * 2.5);
    const frame = sharp(base)
      .extract({ left, top, width: 1200, height: 800 })
      .modulate({ brightness: 0.85 + k * 0.007, saturation: 1.15 - k * 0.008 })
      .tint({ r: 255 - k, g: 250, b: 235 + k / 2 });
    const noisy = await withNoise(sharp(await frame.toBuffer()), rand, 10);
    const date = new Date(Date.UTC(2019, 0, 1) + k * 37 * 86_400_000 + k * 3_600_000);
    const exif: Exif = { IFD0: { Make: make, Model: model }, IFD2: { DateTimeOriginal: exifDate(date), LensModel: lens } };
    const file = `chart_cam${String(k).padStart(2, '0')}.jpg`;
    await noisy
      .jpeg({ quality: 88 + (k % 5) })
      .withExif(exif)
      .toFile(path.join(dir, file));
    photos.push({ file, set: 'chart-cameras', identity: `chart-${k}`, step: k });
  }
  const src = (k: number) => path.join(dir, `chart_cam${String(k).padStart(2, '0')}.jpg`);
  await sharp(src(0)).keepExif().jpeg({ quality: 70 }).toFile(path.join(dir, 'chart_cam00_resaved.jpg'));
  photos.push({ file: 'chart_cam00_resaved.jpg', set: 'chart-cameras', identity: 'chart-0', copy: true });
  await sharp(src(10)).resize(600).jpeg({ quality: 85 }).toFile(path.join(dir, 'chart_cam10_half_noexif.jpg'));
  photos.push({ file: 'chart_cam10_half_noexif.jpg', set: 'chart-cameras', identity: 'chart-10', copy: true });
  await sharp(src(20)).keepExif().greyscale().jpeg({ quality: 90 }).toFile(path.join(dir, 'chart_cam20_grey.jpg'));
  photos.push({ file: 'chart_cam20_grey.jpg', set: 'chart-cameras', identity: 'chart-20', copy: true });
}

async function makeBursts(dir: string, photos: Photo[]) {
  const flowers = path.join(DATA, 'flowers17');
  const classes = fs.readdirSync(flowers).sort();
  for (let s = 0; s < 5; s++) {
    const cls = classes[s * 3];
    const src = path.join(flowers, cls, fs.readdirSync(path.join(flowers, cls)).sort()[7]);
    const { width: w = 0, height: h = 0 } = await sharp(src).metadata();
    const [make, model, lens] = CAMERAS[s * 7 + 1];
    const t0 = Date.UTC(2023, 5, 10 + s, 14, 30, 12);
    const cw = Math.round(w * 0.8);
    const ch = Math.round(h * 0.8);
    for (let j = 0; j < 8; j++) {
      const t = new Date(t0 + j * 400);
      const exif: Exif = { IFD0: { Make: make, Model: model }, IFD2: { DateTimeOriginal: exifDate(t), SubSecTimeOriginal: String(t.getUTCMilliseconds()).padStart(3, '0'), LensModel: lens } };
      const left = Math.round((w - cw) * (j / 7));
      const file = `burst${s}_${j}.jpg`;
      await sharp(src)
        .extract({ left, top: Math.round((h - ch) / 2), width: cw, height: ch })
        .modulate({ brightness: 1 + 0.01 * j })
        .jpeg({ quality: 92 })
        .withExif(exif)
        .toFile(path.join(dir, file));
      photos.push({ file, set: 'bursts', identity: `burst${s}-${j}`, step: j });
    }
    await sharp(path.join(dir, `burst${s}_3.jpg`))
      .keepExif()
      .jpeg({ quality: 75 })
      .toFile(path.join(dir, `burst${s}_3_resaved.jpg`));
    photos.push({ file: `burst${s}_3_resaved.jpg`, set: 'bursts', identity: `burst${s}-3`, copy: true });
  }
}

const NAMES = [
  'holiday',
  'invoice',
  'report',
  'budget',
  'garden',
  'meeting',
  'draft',
  'notes',
  'scan',
  'letter',
  'photos',
  'plan',
  'summary',
  'index',
  'music',
  'recipes',
  'travel',
  'tax',
  'school',
  'car',
];

/** One program's window in state k: a file list that grows, a selected row, an editor, a status line. */
function screenSvg(k: number): string {
  const W = 1280;
  const H = 800;
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="#f4f5f7"/>`;
  s += `<rect width="${W}" height="40" fill="#2d3440"/><text x="16" y="27" fill="#fff" font-size="17">Notebook — ${NAMES[k % NAMES.length]}-${k}.txt</text>`;
  s += `<rect y="40" width="260" height="${H - 70}" fill="#e3e6eb"/>`;
  const files = Math.min(22, 6 + Math.floor(k / 2));
  for (let i = 0; i < files; i++) {
    const y = 60 + i * 30;
    if (i === k % files) s += `<rect x="4" y="${y - 4}" width="252" height="28" fill="#4a7bd0"/>`;
    s += `<text x="20" y="${y + 16}" font-size="15" fill="${i === k % files ? '#fff' : '#222'}">${NAMES[(i * 7) % NAMES.length]}-${i}.txt</text>`;
  }
  for (let l = 0; l < 22; l++) {
    const words = Array.from({ length: 4 + ((l * 3 + k) % 7) }, (_, i) => NAMES[(l * 5 + i * 3 + k * (l < k ? 1 : 0)) % NAMES.length]).join(' ');
    s += `<text x="290" y="${80 + l * 30}" font-size="16" fill="#333">${l + 1}  ${words}</text>`;
  }
  s += `<rect y="${H - 30}" width="${W}" height="30" fill="#d7dbe1"/><text x="16" y="${H - 10}" font-size="14" fill="#333">Ln ${k + 3}, Col ${(k * 7) % 40}  ·  ${files} files  ·  saved ${k} min ago</text>`;
  s += `<rect x="${W - 220}" y="${H - 22}" width="${200 * (k / 30)}" height="14" fill="#4a7bd0"/>`;
  return s + '</svg>';
}

async function makeScreens(dir: string, photos: Photo[]) {
  for (let k = 0; k < 30; k++) {
    const file = `screen_${String(k).padStart(2, '0')}.png`;
    await sharp(Buffer.from(screenSvg(k)))
      .png()
      .toFile(path.join(dir, file));
    photos.push({ file, set: 'screens', identity: `screen-${k}`, step: k });
  }
  // A screenshot pasted into a chat and saved again: the same screen.
  await sharp(path.join(dir, 'screen_05.png')).jpeg({ quality: 80 }).toFile(path.join(dir, 'screen_05_copy.jpg'));
  photos.push({ file: 'screen_05_copy.jpg', set: 'screens', identity: 'screen-5', copy: true });
}

/** One scene rendered with small differences: the sun and clouds move, windows light up, a car drives by. */
function sceneSvg(k: number): string {
  const W = 1000;
  const H = 700;
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#${(0x3060a0 + k * 0x020100).toString(16)}"/><stop offset="1" stop-color="#cfe3f5"/></linearGradient></defs>`;
  s += `<rect width="100%" height="100%" fill="url(#sky)"/>`;
  s += `<circle cx="${120 + k * 12}" cy="${140 - k * 2}" r="55" fill="#ffd84a"/>`;
  for (let c = 0; c < 3; c++) s += `<ellipse cx="${(200 + c * 300 + k * 9) % 1100}" cy="${110 + c * 40}" rx="90" ry="30" fill="#fff" opacity="0.9"/>`;
  s += `<path d="M0,470 Q250,380 500,460 T1000,430 L1000,700 L0,700 Z" fill="#4f8a3a"/>`;
  s += `<rect x="560" y="330" width="260" height="190" fill="#c9a27a" stroke="#5a3b22" stroke-width="4"/><path d="M540,335 L690,230 L840,335 Z" fill="#8b2f2f"/>`;
  for (let i = 0; i < 4; i++) s += `<rect x="${585 + i * 58}" y="370" width="40" height="40" fill="${(k >> i) & 1 ? '#ffe79a' : '#39465a'}" stroke="#fff" stroke-width="3"/>`;
  s += `<rect x="665" y="440" width="50" height="80" fill="#5a3b22"/>`;
  s += `<rect x="150" y="380" width="26" height="120" fill="#6b4423"/><circle cx="163" cy="350" r="70" fill="#2f6b2a"/>`;
  s += `<rect x="0" y="560" width="${W}" height="60" fill="#555"/>`;
  const carX = -150 + k * 45;
  s += `<rect x="${carX}" y="520" width="140" height="45" rx="10" fill="#c0392b"/><circle cx="${carX + 30}" cy="568" r="16" fill="#111"/><circle cx="${carX + 110}" cy="568" r="16" fill="#111"/>`;
  return s + '</svg>';
}

async function makeSceneRenders(dir: string, photos: Photo[]) {
  for (let k = 0; k < 25; k++) {
    const file = `scene_${String(k).padStart(2, '0')}.jpg`;
    await sharp(Buffer.from(sceneSvg(k)))
      .jpeg({ quality: 90 })
      .toFile(path.join(dir, file));
    photos.push({ file, set: 'scene-renders', identity: `scene-${k}`, step: k });
  }
}

/** A form filled in by person k, scanned: the same boxes and labels, other words and numbers. */
function formSvg(k: number, rand: () => number): string {
  const W = 850;
  const H = 1100;
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fbfaf6"/>`;
  s += `<text x="60" y="80" font-size="34" font-weight="bold">Application for a library card</text><line x1="60" y1="100" x2="790" y2="100" stroke="#000" stroke-width="3"/>`;
  const fields = ['Surname', 'Given names', 'Date of birth', 'Street', 'Town', 'Postcode', 'Telephone', 'E-mail', 'Member since', 'Signature'];
  fields.forEach((f, i) => {
    const y = 150 + i * 85;
    s += `<text x="60" y="${y}" font-size="18" fill="#333">${f}</text><rect x="60" y="${y + 10}" width="730" height="48" fill="none" stroke="#444" stroke-width="2"/>`;
    const value =
      i === 2 || i === 8
        ? `${1 + Math.floor(rand() * 28)}.${1 + Math.floor(rand() * 12)}.${1950 + Math.floor(rand() * 60)}`
        : i === 5 || i === 6
          ? String(Math.floor(rand() * 1e8))
          : `${NAMES[(k * 3 + i) % NAMES.length]} ${NAMES[(k * 7 + i * 5) % NAMES.length]}`;
    s += `<text x="${75 + rand() * 20}" y="${y + 44}" font-family="DejaVu Serif" font-style="italic" font-size="${24 + rand() * 6}" fill="#1a2a8a">${value}</text>`;
  });
  return s + '</svg>';
}

async function makeForms(dir: string, photos: Photo[]) {
  const rand = mulberry32(23);
  for (let k = 0; k < 20; k++) {
    const file = `form_${String(k).padStart(2, '0')}.jpg`;
    // A scanner: a slight turn and its own brightness each time, the same page size.
    const turned = await sharp(Buffer.from(formSvg(k, rand)))
      .rotate((rand() - 0.5) * 1.2, { background: '#ffffff' })
      .png()
      .toBuffer({ resolveWithObject: true });
    const img = sharp(turned.data)
      .extract({ left: Math.floor((turned.info.width - 850) / 2), top: Math.floor((turned.info.height - 1100) / 2), width: 850, height: 1100 })
      .modulate({ brightness: 0.97 + rand() * 0.06 });
    await (await withNoise(sharp(await img.png().toBuffer()), rand, 6)).jpeg({ quality: 85 }).toFile(path.join(dir, file));
    photos.push({ file, set: 'forms', identity: `form-${k}` });
  }
  await sharp(path.join(dir, 'form_00.jpg')).jpeg({ quality: 50 }).toFile(path.join(dir, 'form_00_resaved.jpg'));
  photos.push({ file: 'form_00_resaved.jpg', set: 'forms', identity: 'form-0', copy: true });
}

async function makeCaltechAlike(dir: string, photos: Photo[]) {
  for (const cls of ['Motorbikes', 'airplanes', 'Faces', 'car_side', 'yin_yang', 'dollar_bill']) {
    const d = path.join(DATA, 'caltech101', cls);
    for (const f of fs
      .readdirSync(d)
      .filter((x) => /\.jpe?g$/i.test(x))
      .sort()) {
      const file = `cal_${cls}_${f}`;
      fs.copyFileSync(path.join(d, f), path.join(dir, file));
      photos.push({ file, set: 'caltech-alike', identity: `caltech101/${cls}/${f}` });
    }
  }
}

const SETS = ['chart-cameras', 'bursts', 'screens', 'scene-renders', 'forms', 'caltech-alike'];

async function makeSet(): Promise<Photo[]> {
  const key = JSON.stringify({ sets: SETS, v: 2 });
  return generatedSet<Photo>(WORK, key, args.includes('--fresh'), async (dir) => {
    const photos: Photo[] = [];
    const t0 = performance.now();
    for (const [name, make] of [
      ['chart-cameras', makeChartCameras],
      ['bursts', makeBursts],
      ['screens', makeScreens],
      ['scene-renders', makeSceneRenders],
      ['forms', makeForms],
      ['caltech-alike', makeCaltechAlike],
    ] as const) {
      await make(dir, photos);
      log(`  made ${name} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    return photos;
  });
}

interface SetScore {
  photos: number;
  /** Pairs of different photos put in one "same photo" group. */
  falsePairs: number;
  /** Largest group touching the set: photos, and different photos among them. */
  largestGroup: number;
  largestDistinct: number;
  groups: number;
  /** Copy pairs (same identity) found in one group, of all. */
  copiesFound: number;
  copies: number;
  /** Pairs of different photos shown as "Similar shots" (where look-alikes belong). */
  similarPairs: number;
  /** Chain sets: perceptual-hash bits between consecutive frames (median, max) and first to last. */
  chain?: { medianStep: number; maxStep: number; ends: number };
}

async function main() {
  log(`Hard-negative benchmark in ${WORK}`);
  const photos = await makeSet();
  const dir = path.join(WORK, 'photos');
  log(`${photos.length} photos: ${SETS.map((s) => `${s} ${photos.filter((p) => p.set === s).length}`).join(', ')}`);
  const db = path.join(WORK, 'index.db');
  const engine = await Engine.open(db, { provider: 'cpu' });
  const indexed = await engine.index([dir]);
  if (indexed.failed > 0) throw new Error(`${indexed.failed} photos failed to index: ${JSON.stringify(indexed.failures.slice(0, 3))}`);
  const byPath = new Map(photos.map((p, i) => [path.join(dir, p.file), i]));
  let report;
  const hashOfPhoto = new Map<number, ReturnType<typeof hashOf>>();
  try {
    const live = engine.liveIndex();
    live.snapshot();
    report = await findDuplicates(engine.store, { live });
    const idToPhoto = new Map(engine.store.listImages().map((r) => [r.id, byPath.get(r.path)]));
    for (const { id, dct } of engine.store.iterPhash()) {
      const i = idToPhoto.get(id);
      if (i !== undefined) hashOfPhoto.set(i, hashOf(dct));
    }
  } finally {
    await engine.close();
  }
  const groups = report.groups.map((g) => g.members.map((m) => byPath.get(m.path)!));
  const similar = report.similar.map((g) => g.members.map((m) => byPath.get(m.path)!));
  const groupOf = new Int32Array(photos.length).fill(-1);
  groups.forEach((g, gi) => g.forEach((i) => (groupOf[i] = gi)));

  const scores: Record<string, SetScore> = {};
  const of = (set: string) => (scores[set] ??= { photos: 0, falsePairs: 0, largestGroup: 0, largestDistinct: 0, groups: 0, copiesFound: 0, copies: 0, similarPairs: 0 });
  for (const p of photos) of(p.set).photos++;
  let crossSet = 0;
  for (const g of groups) {
    const sets = new Set(g.map((i) => photos[i].set));
    for (const s of sets) {
      const sc = of(s);
      sc.groups++;
      const distinct = new Set(g.map((i) => photos[i].identity)).size;
      if (g.length > sc.largestGroup || (g.length === sc.largestGroup && distinct > sc.largestDistinct)) {
        sc.largestGroup = g.length;
        sc.largestDistinct = distinct;
      }
    }
    for (let x = 0; x < g.length; x++) {
      for (let y = x + 1; y < g.length; y++) {
        const a = photos[g[x]];
        const b = photos[g[y]];
        if (a.identity === b.identity) continue;
        if (a.set !== b.set) crossSet++;
        else of(a.set).falsePairs++;
      }
    }
  }
  // Copy pairs: every pair of files of one identity.
  const byIdentity = new Map<string, number[]>();
  photos.forEach((p, i) => byIdentity.set(p.identity, [...(byIdentity.get(p.identity) ?? []), i]));
  for (const members of byIdentity.values()) {
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        const sc = of(photos[members[x]].set);
        sc.copies++;
        if (groupOf[members[x]] >= 0 && groupOf[members[x]] === groupOf[members[y]]) sc.copiesFound++;
      }
    }
  }
  for (const g of similar) {
    for (let x = 0; x < g.length; x++) {
      for (let y = x + 1; y < g.length; y++) {
        const a = photos[g[x]];
        const b = photos[g[y]];
        if (a.identity !== b.identity && a.set === b.set) of(a.set).similarPairs++;
      }
    }
  }
  for (const set of SETS) {
    const steps = photos.map((p, i) => ({ p, i })).filter(({ p }) => p.set === set && p.step !== undefined && !p.copy);
    if (steps.length < 2) continue;
    // Bursts are 5 chains of 8: consecutive frames of one scene only.
    const chainOf = (p: Photo) => p.identity.replace(/-\d+$/, '');
    steps.sort((a, b) => (chainOf(a.p) < chainOf(b.p) ? -1 : chainOf(a.p) > chainOf(b.p) ? 1 : a.p.step! - b.p.step!));
    const d: number[] = [];
    for (let k = 1; k < steps.length; k++) {
      if (chainOf(steps[k].p) !== chainOf(steps[k - 1].p)) continue;
      const ha = hashOfPhoto.get(steps[k - 1].i);
      const hb = hashOfPhoto.get(steps[k].i);
      if (ha && hb) d.push(hamming(ha, hb));
    }
    d.sort((a, b) => a - b);
    const last = steps.filter((s) => chainOf(s.p) === chainOf(steps[0].p)).at(-1)!;
    const h0 = hashOfPhoto.get(steps[0].i);
    const h1 = hashOfPhoto.get(last.i);
    of(set).chain = { medianStep: d[Math.floor(d.length / 2)], maxStep: d.at(-1)!, ends: h0 && h1 ? hamming(h0, h1) : -1 };
  }
  const total = Object.values(scores).reduce((s, x) => s + x.falsePairs, 0) + crossSet;
  const largest = Math.max(...groups.map((g) => g.length), 0);
  const result = { photos: photos.length, falsePairs: total, crossSetFalsePairs: crossSet, largestGroup: largest, groups: groups.length, ms: Math.round(report.ms), pairs: report.pairs, sets: scores };
  if (JSON_OUT) {
    console.log(JSON.stringify(result, null, 1));
    return;
  }
  console.log(`\n${photos.length} photos; "same photo" groups: ${groups.length}, finder ${result.ms} ms`);
  console.log(
    '| set | photos | false same-photo pairs | largest group (photos / different photos) | groups | real copies found | different photos in "Similar shots" (pairs) | chain: hash bits step median / max, first to last |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const set of SETS) {
    const s = scores[set];
    const chain = s.chain ? `${s.chain.medianStep} / ${s.chain.maxStep}, ${s.chain.ends}` : '';
    console.log(`| ${set} | ${s.photos} | ${s.falsePairs} | ${s.largestGroup} / ${s.largestDistinct} | ${s.groups} | ${s.copiesFound} of ${s.copies} | ${s.similarPairs} | ${chain} |`);
  }
  console.log(
    `| **all** | ${photos.length} | **${total}** (${crossSet} across sets) | **${largest}** | ${groups.length} | ${Object.values(scores).reduce((a, s) => a + s.copiesFound, 0)} of ${Object.values(scores).reduce((a, s) => a + s.copies, 0)} | ${Object.values(scores).reduce((a, s) => a + s.similarPairs, 0)} | |`,
  );
  console.log(`pairs: ${JSON.stringify(report.pairs)}`);
}

await main();
