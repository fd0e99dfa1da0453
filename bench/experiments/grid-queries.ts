// How long the grid's queries take at 50,000 photos (issue 19 B): a page of 240 in each order at
// the start, the middle and the end of the list, a file-name search, the counts per day, the
// folder tree, and the background fill of dates for an older index. The rows are synthetic
// (symlinks to real flowers17 photos in 100 folders, as bench/grid.ts makes them), the index and
// the Library are the real ones. Figures in docs/GRID.md.
//   node --import tsx bench/experiments/grid-queries.ts [--photos 50000]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Library } from '../../src/core/library/library.js';

const args = process.argv.slice(2);
const i = args.indexOf('--photos');
const PHOTOS = i >= 0 ? Number(args[i + 1]) : 50_000;
const FLOWERS = path.resolve('../shared/datasets/flowers17');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-gridq-'));
const tree = path.join(tmp, 'photos');
const sources = fs
  .readdirSync(FLOWERS)
  .flatMap((c) => fs.readdirSync(path.join(FLOWERS, c)).map((f) => path.join(FLOWERS, c, f)))
  .map((p) => ({ p, st: fs.statSync(p) }));

try {
  const lib = await Library.open(path.join(tmp, 'library.db'), { provider: 'cpu', autoIndex: false, watch: false });
  const store = lib.engineForTools.store;
  const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
  const empty = { terms: new Uint32Array(0), tfs: new Float32Array(0) };
  store.transaction(() => {
    for (let k = 0; k < PHOTOS; k++) {
      const dir = path.join(tree, `roll-${String(Math.floor(k / 500)).padStart(3, '0')}`);
      if (k % 500 === 0) fs.mkdirSync(dir, { recursive: true });
      const src = sources[k % sources.length];
      const file = path.join(dir, `IMG_${String(k).padStart(6, '0')}.jpg`);
      fs.symlinkSync(src.p, file);
      const taken = Date.UTC(2014, 0, 1, 8) + k * 7_570_000;
      store.putIndexed({ path: file, size: src.st.size, mtimeMs: src.st.mtimeMs, width: 512, height: 384, taken, takenFrom: 'exif' }, grid, empty);
    }
    store.addFolder(tree);
  });
  const folderId = (await lib.listFolders())[0].id;

  const time = async (label: string, fn: () => Promise<unknown>, runs = 7) => {
    await fn(); // prepare the statement, warm the page cache
    const ms: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      await fn();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    console.log(`${label.padEnd(52)} median ${ms[runs >> 1].toFixed(1).padStart(6)} ms  (min ${ms[0].toFixed(1)}, max ${ms[runs - 1].toFixed(1)})`);
  };
  console.log(`${PHOTOS} photos in ${Math.ceil(PHOTOS / 500)} folders`);
  let flip = false;
  const flipped = () => (flip = !flip);
  for (const sort of ['taken', 'name', 'size', 'type'] as const) {
    // A new listing each time (the order flips), as after choosing another sort: the whole sort.
    await time(`listPhotos sort=${sort} a new listing's first page`, () => lib.listPhotos({ offset: 0, limit: 240, sort, order: flipped() ? 'asc' : 'desc' }), 8);
    // Then the pages a scroll asks for.
    for (const offset of [0, PHOTOS / 2, PHOTOS - 240]) {
      await time(`listPhotos sort=${sort} offset=${offset}`, () => lib.listPhotos({ offset, limit: 240, sort }));
    }
  }
  await time('listPhotos folderId, sort=taken offset=0', () => lib.listPhotos({ folderId, offset: 0, limit: 240 }));
  await time('listPhotos under one subfolder (500 photos)', () => lib.listPhotos({ folderId, under: path.join(tree, 'roll-050'), offset: 0, limit: 240 }));
  await time('listPhotos a new search (50 match), first page', () => lib.listPhotos({ offset: 0, limit: 240, search: flipped() ? '0123' : '0124' }), 8);
  await time('listPhotos search "0123" (50 match), taken', () => lib.listPhotos({ offset: 0, limit: 240, search: '0123' }));
  await time('listPhotos search "img_" (all match), taken', () => lib.listPhotos({ offset: 0, limit: 240, search: 'img_' }));
  await time('photoDates (all photos: 4,381 days)', () => lib.photoDates({}));
  await time('photoDates search "0123"', () => lib.photoDates({ search: '0123' }));
  await time('listSubfolders (100 folders)', () => lib.listSubfolders(folderId));
  await lib.close();

  // An older index: the same rows without dates, filled in in the background on open.
  const db = path.join(tmp, 'library.db');
  const Database = (await import('better-sqlite3')).default;
  const raw = new Database(db);
  raw.exec('UPDATE images SET taken = NULL, taken_from = NULL');
  raw.close();
  const n = Math.min(PHOTOS, 5000);
  const raw2 = new Database(db);
  raw2.prepare('UPDATE images SET taken = 0, taken_from = ? WHERE id > ?').run('exif', n);
  raw2.close();
  const t0 = performance.now();
  const lib2 = await Library.open(db, { provider: 'cpu', autoIndex: false, watch: false });
  for (;;) {
    if ((await lib2.photoDates({})).undated === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`background fill of ${n} dates (EXIF read from flowers17 JPEGs): ${s.toFixed(1)} s, ${(n / s).toFixed(0)} photos/s`);
  await lib2.close();
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
