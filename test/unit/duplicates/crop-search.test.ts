// The crop search's window hash (crop-search.ts) against the plain loops it was written out from:
// the same hash bit for bit, on real photos, for windows of every size and place the search tries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeForModel } from '../../../src/core/analysis/decode/decode.js';
import { hashOf, type Hash64 } from '../../../src/core/analysis/phash.js';
import { greyTable, windowHash, type GreyTable } from '../../../src/core/duplicates/crop-search.js';
import { greyOfPixels } from '../../../src/core/duplicates/local.js';
import { mulberry32 } from '../../../src/core/common/random.js';

const DATASETS = path.resolve('../shared/datasets');
const WCOS = Float64Array.from({ length: 8 * 32 }, (_, i) => Math.cos(((2 * (i % 32) + 1) * (Math.floor(i / 32) + 1) * Math.PI) / 64));

/** The window's hash by the plain loops: the 32 x 32 cells' means, each row's 8 frequencies, then each column's. */
function plainHash(g: GreyTable, x0: number, y0: number, w: number, h: number): Hash64 {
  const W = g.width + 1;
  const xs = Array.from({ length: 33 }, (_, i) => Math.round(x0 + (i * w) / 32));
  const ys = Array.from({ length: 33 }, (_, i) => Math.round(y0 + (i * h) / 32));
  const cell = new Float64Array(32 * 32);
  for (let cy = 0; cy < 32; cy++) {
    for (let cx = 0; cx < 32; cx++) {
      const n = (xs[cx + 1] - xs[cx]) * (ys[cy + 1] - ys[cy]);
      const sum = g.sat[ys[cy + 1] * W + xs[cx + 1]] - g.sat[ys[cy] * W + xs[cx + 1]] - g.sat[ys[cy + 1] * W + xs[cx]] + g.sat[ys[cy] * W + xs[cx]];
      cell[cy * 32 + cx] = n > 0 ? sum / n : 0;
    }
  }
  const rows = new Float64Array(32 * 8);
  for (let y = 0; y < 32; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 32; x++) s += WCOS[u * 32 + x] * cell[y * 32 + x];
      rows[y * 8 + u] = s;
    }
  }
  const out = new Float32Array(64);
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < 32; y++) s += WCOS[v * 32 + y] * rows[y * 8 + u];
      out[v * 8 + u] = s;
    }
  }
  return hashOf(out);
}

test("a window hash is the plain loops' hash bit for bit, on real photos", { skip: !fs.existsSync(DATASETS) && 'no dev set under ../shared/datasets' }, async () => {
  const photos = [path.join(DATASETS, 'caltech101', 'Motorbikes', 'image_0001.jpg'), path.join(DATASETS, 'caltech101', 'Faces', 'image_0002.jpg')];
  const flowers = path.join(DATASETS, 'flowers17', 'c01');
  photos.push(path.join(flowers, fs.readdirSync(flowers).sort()[0]));
  const rand = mulberry32(21);
  for (const file of photos) {
    const img = await decodeForModel(fs.readFileSync(file), 299);
    const g = greyTable(greyOfPixels(img.pixels), img.width, img.height);
    // The search's windows are 32 pixels a side or more, at whole-pixel places; smaller ones too (empty cells).
    for (let k = 0; k < 1000; k++) {
      const least = k % 10 === 0 ? 8 : 32;
      const w = least + Math.floor(rand() * (g.width - least + 1));
      const h = least + Math.floor(rand() * (g.height - least + 1));
      const x = Math.floor(rand() * (g.width - w + 1));
      const y = Math.floor(rand() * (g.height - h + 1));
      assert.deepEqual(windowHash(g, x, y, w, h), plainHash(g, x, y, w, h), `${path.basename(file)} ${x},${y} ${w}x${h}`);
    }
  }
});

test(
  'crop searches on worker threads, those of one shape together, find the windows the search finds here one by one, in order',
  { skip: !fs.existsSync(DATASETS) && 'no dev set under ../shared/datasets' },
  async () => {
    const { WindowSearches } = await import('../../../src/core/duplicates/window-search.js');
    const { nearestWindow } = await import('../../../src/core/duplicates/crop-search.js');
    const { hashOf, lowFrequencyDct } = await import('../../../src/core/analysis/phash.js');
    const flowers = path.join(DATASETS, 'flowers17', 'c01');
    const files = fs
      .readdirSync(flowers)
      .sort()
      .slice(0, 4)
      .map((f) => path.join(flowers, f));
    const imgs = await Promise.all(files.map(async (f) => decodeForModel(fs.readFileSync(f), 299)));
    const keeper = greyTable(greyOfPixels(imgs[0].pixels), imgs[0].width, imgs[0].height);
    // Targets: the keeper's own middle (a crop: the search ends early) and the other photos' hashes (no crop: every window).
    const jobs = [{ target: windowHash(keeper, 30, 30, keeper.width - 60, keeper.height - 60), mw: keeper.width - 60, mh: keeper.height - 60, enough: 12 }];
    for (const img of imgs.slice(1)) {
      const target = hashOf(lowFrequencyDct(img.pixels, img.width, img.height));
      jobs.push({ target, mw: keeper.width * 0.6, mh: keeper.height * 0.6, enough: 12 });
    }
    // One shape's searches share their windows' hashes (nearestWindows): one that ends early, then one that tries every window.
    jobs.push({ ...jobs[1], mw: jobs[0].mw, mh: jobs[0].mh });
    const searches = new WindowSearches(2);
    try {
      const got = await searches.search(keeper, jobs);
      assert.deepEqual(
        got,
        jobs.map((j) => nearestWindow(keeper, j.target, j.mw, j.mh, j.enough)),
      );
      assert.ok(got[0].bits <= 12, `the keeper's own middle at ${got[0].bits} bits`);
    } finally {
      searches.close();
    }
  },
);
