// Nothing in silence (issue 17): every file under a library folder ends as exactly one of indexed,
// failed with a reason, or not read with its kind (video, a Live Photo's video, sidecar, hidden,
// unsupported, too small). Real photos from ../shared/datasets, real camera samples, real SQLite,
// the real CLI; and the app's Library, whose folder list carries the same counts and whose
// hidden-folders setting reads or forgets the photos in dot-named folders.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { REPO_ROOT, CALTECH } from '../fixtures/bad-input.js';
import { runCli } from '../fixtures/cli.js';
import { Library } from '../../src/core/library/library.js';

const SAMPLES = path.join(REPO_ROOT, 'test/fixtures/camera-samples');
const photo = (cls: string, i: number) => path.join(CALTECH, cls, fs.readdirSync(path.join(CALTECH, cls)).sort()[i]);

const run = (args: string[]) => runCli(args, { timeoutMs: 300_000 });

/** Every file under `dir`, hidden ones included (what a person would count). */
function allFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

let tmp: string;
let lib: string;
const rel = (p: string) => path.relative(lib, p);

// What each file of the library below should end as, by path relative to the library.
const PHOTOS = ['a.jpg', 'b.jpg', 'c.jpg', 'trip/d.jpg', 'trip/e.jpg', 'trip/f.jpg', 'IMG_0001.HEIC'];
const HIDDEN_PHOTOS = ['.album/g.jpg', '.album/h.jpg'];
const FAILED = ['broken.jpg'];
const NOT_READ: Record<string, string[]> = {
  video: ['clip.mp4'],
  'live-photo-video': ['IMG_0001.MOV'],
  sidecar: ['IMG_0001.AAE', 'a.xmp', 'trip/MVI_0002.THM'],
  hidden: ['.DS_Store', ...HIDDEN_PHOTOS],
  unsupported: ['layers.psd', 'notes.txt'],
  'too-small': ['icon.png'],
};

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-notread-'));
  lib = path.join(tmp, 'library');
  for (const d of ['trip', '.album']) fs.mkdirSync(path.join(lib, d), { recursive: true });
  const jpegs = [...PHOTOS.filter((p) => p.endsWith('.jpg')), ...HIDDEN_PHOTOS];
  jpegs.forEach((p, i) => fs.copyFileSync(photo(i % 2 ? 'Leopards' : 'airplanes', i), path.join(lib, p)));
  // A Live Photo: the HEIC and its MOV, same base name, with the edit's AAE beside them.
  fs.copyFileSync(path.join(SAMPLES, 'apple-iphone-xr-orientation6-grid.heic'), path.join(lib, 'IMG_0001.HEIC'));
  fs.copyFileSync(path.join(SAMPLES, 'apple-iphone-6-gps-rotation90.mov'), path.join(lib, 'IMG_0001.MOV'));
  fs.copyFileSync(path.join(SAMPLES, 'apple-photos-edit.aae'), path.join(lib, 'IMG_0001.AAE'));
  fs.copyFileSync(path.join(SAMPLES, 'apple-iphone-6-gps-rotation90.mov'), path.join(lib, 'clip.mp4'));
  fs.copyFileSync(path.join(SAMPLES, 'exiftool-sample-sidecar.xmp'), path.join(lib, 'a.xmp'));
  // A video camera's THM is a small JPEG of the clip's first frame.
  await sharp({ create: { width: 160, height: 120, channels: 3, background: '#468' } })
    .jpeg()
    .toFile(path.join(lib, 'trip/MVI_0002.THM'));
  fs.writeFileSync(path.join(lib, '.DS_Store'), Buffer.alloc(6148));
  fs.writeFileSync(path.join(lib, 'layers.psd'), Buffer.concat([Buffer.from('8BPS'), Buffer.alloc(64)]));
  fs.writeFileSync(path.join(lib, 'notes.txt'), 'not a photo\n');
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#f00' } })
    .png()
    .toFile(path.join(lib, 'icon.png'));
  fs.writeFileSync(path.join(lib, 'broken.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]));
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Summary {
  indexed: number;
  failed: number;
  notRead: number;
  unchanged: number;
  failureReasons: { reason: string; files: number }[];
  notReadByKind: { kind: string; label: string; files: number; examples: string[] }[];
  failures: { path: string; reason: string }[];
}

interface Info {
  photos: { indexed: number; failed: number; notRead: number };
  includeHidden: boolean;
  notRead: { kind: string; label: string; files: number; examples: string[] }[];
  failures: { path: string; error: string }[];
}

const byKind = (list: { kind: string; files: number }[]) => Object.fromEntries(list.map((k) => [k.kind, k.files]));
const expectedByKind = (hiddenRead: boolean) =>
  Object.fromEntries(
    Object.entries(NOT_READ)
      .map(([k, v]): [string, number] => [k, hiddenRead && k === 'hidden' ? 0 : hiddenRead && k === 'unsupported' ? v.length + 1 : v.length])
      .filter(([, n]) => n > 0),
  );

test('index: every file is indexed, failed or not read by kind; the summary and info --json say which', async () => {
  const db = path.join(tmp, 'cli.db');
  const files = allFiles(lib);
  const expectedFiles = PHOTOS.length + FAILED.length + Object.values(NOT_READ).flat().length;
  assert.equal(files.length, expectedFiles, 'the fixture holds what the test expects');

  const r = await run(['index', lib, '--db', db, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  assert.equal(s.indexed, PHOTOS.length, JSON.stringify(s.failures));
  assert.equal(s.failed, FAILED.length);
  assert.deepEqual(
    s.failures.map((f) => rel(f.path)),
    FAILED,
  );
  assert.deepEqual(byKind(s.notReadByKind), expectedByKind(false));
  // Every file is counted exactly once (the hidden folder stands for its two photos).
  assert.equal(s.indexed + s.failed + s.notRead + s.unchanged, files.length);
  assert.equal(
    s.failureReasons.reduce((n, f) => n + f.files, 0),
    FAILED.length,
  );
  const hidden = s.notReadByKind.find((k) => k.kind === 'hidden')!;
  assert.deepEqual(hidden.examples.map(rel), ['.DS_Store', '.album']);

  // The same from the database, with examples, after the run.
  const info = await run(['info', '--db', db, '--json']);
  assert.equal(info.code, 0, info.stderr);
  const i = JSON.parse(info.stdout) as Info;
  assert.deepEqual(i.photos, { indexed: PHOTOS.length, failed: FAILED.length, notRead: files.length - PHOTOS.length - FAILED.length });
  assert.equal(i.includeHidden, false);
  assert.deepEqual(byKind(i.notRead), expectedByKind(false));
  for (const k of i.notRead) {
    if (k.kind === 'hidden') continue;
    assert.deepEqual(k.examples.map(rel), [...NOT_READ[k.kind]].sort(), k.kind);
    assert.ok(k.label.length > 0);
  }
  assert.deepEqual(
    i.failures.map((f) => rel(f.path)),
    FAILED,
  );

  // A second run reads nothing again (the tiny PNG is not decoded again) and counts the same.
  const again = await run(['index', lib, '--db', db]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Indexed 0 photos, 0 failed, 11 not read, 8 unchanged, in /m);
  assert.match(again.stdout, /^ {2}not read: 1 image too small to be a photo$/m);
  assert.match(again.stdout, /^ {2}not read: 3 sidecar files/m);
  const text = await run(['info', '--db', db]);
  assert.match(text.stdout, /photos: 7 indexed, 1 failed, 11 files not read;/);
  assert.match(text.stdout, /not read: 1 video, e\.g\.\n {4}\S+clip\.mp4$/m);

  // Read hidden folders: their photos are indexed, the dot-file is an unsupported file.
  const withHidden = await run(['index', lib, '--db', db, '--include-hidden', '--json']);
  assert.equal(withHidden.code, 0, withHidden.stderr);
  const h = JSON.parse(withHidden.stdout) as Summary;
  assert.equal(h.indexed, HIDDEN_PHOTOS.length);
  assert.deepEqual(byKind(h.notReadByKind), expectedByKind(true));
  const hi = JSON.parse((await run(['info', '--db', db, '--json'])).stdout) as Info;
  assert.equal(hi.photos.indexed, PHOTOS.length + HIDDEN_PHOTOS.length);
  assert.equal(hi.includeHidden, true, 'the setting is kept with the index');
  assert.deepEqual(byKind(hi.notRead), expectedByKind(true));

  // The setting stays on for the next run; turned off, the hidden photos leave the index.
  const off = await run(['index', lib, '--db', db, '--no-include-hidden', '--json']);
  assert.equal(off.code, 0, off.stderr);
  const oi = JSON.parse((await run(['info', '--db', db, '--json'])).stdout) as Info;
  assert.equal(oi.photos.indexed, PHOTOS.length);
  assert.deepEqual(byKind(oi.notRead), expectedByKind(false));

  // A not-read file deleted is gone from the counts after the next scan.
  fs.rmSync(path.join(lib, 'notes.txt'));
  assert.equal((await run(['index', lib, '--db', db, '--json'])).code, 0);
  const di = JSON.parse((await run(['info', '--db', db, '--json'])).stdout) as Info;
  assert.deepEqual(di.notRead.find((k) => k.kind === 'unsupported')!.examples.map(rel), ['layers.psd']);
  fs.writeFileSync(path.join(lib, 'notes.txt'), 'not a photo\n');
});

test('the app: each folder lists its files not read by kind with examples; the hidden-folders setting reads them', async () => {
  const db = path.join(tmp, 'app.db');
  const library = await Library.open(db, { provider: 'cpu', watch: false, pollMs: 60_000 });
  try {
    await library.addFolder(lib);
    await library.whenQuiet();
    const [f] = await library.listFolders();
    assert.equal(f.photos, PHOTOS.length);
    assert.equal(f.failed, FAILED.length);
    assert.equal(f.photos + f.failed + f.notRead, allFiles(lib).length);
    assert.deepEqual(byKind(f.notReadKinds), expectedByKind(false));
    const video = f.notReadKinds.find((k) => k.kind === 'live-photo-video')!;
    assert.deepEqual(video.examples.map(rel), ['IMG_0001.MOV']);
    assert.match(video.label, /Live Photo/);

    assert.equal((await library.getSettings()).settings.includeHidden, false);
    const res = await library.setSettings({ includeHidden: true });
    assert.equal(res.settings.includeHidden, true);
    await library.whenQuiet();
    const [g] = await library.listFolders();
    assert.equal(g.photos, PHOTOS.length + HIDDEN_PHOTOS.length);
    assert.deepEqual(byKind(g.notReadKinds), expectedByKind(true));

    await library.setSettings({ includeHidden: false });
    await library.whenQuiet();
    const [h] = await library.listFolders();
    assert.equal(h.photos, PHOTOS.length);
    assert.deepEqual(byKind(h.notReadKinds), expectedByKind(false));

    // Removing the folder forgets its not-read files too.
    await library.removeFolder(h.id);
    assert.deepEqual(library.engineForTools.store.notReadSummary(), []);
  } finally {
    await library.close();
  }
});
