// Why? in plain words (src/shared/explainwords.ts): where the match lies and how many
// regions carry it, on a real explanation (a flowers17 photo and a crop of its top-left quarter,
// the real model, a real index), plus the rules on small hand-made maps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Library } from '../../src/core/library/library.js';
import { matchSummary, placeOf, regionsOf, wordPlace, zoneName } from '../../src/shared/explainwords.js';
import type { ExplainedPhoto, PairExplanation } from '../../src/shared/api.js';
import { listJpegs, spread } from '../fixtures/photos.js';

const DATA = path.resolve('../shared/datasets');
let dir: string;
let explanation: PairExplanation;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-whywords-'));
  const photos = path.join(dir, 'photos');
  fs.mkdirSync(photos);
  const src = spread(listJpegs(path.join(DATA, 'flowers17')), 3)[1];
  fs.copyFileSync(src, path.join(photos, 'original.jpg'));
  const { width: W = 0, height: H = 0 } = await sharp(src).metadata();
  // The left half, at the same scale: what it shows lies in the original's left half.
  await sharp(src)
    .extract({ left: 0, top: 0, width: Math.round(W / 2), height: H })
    .jpeg({ quality: 90 })
    .toFile(path.join(photos, 'corner.jpg'));
  for (const [i, p] of spread(listJpegs(path.join(DATA, 'caltech101')), 16).entries()) fs.copyFileSync(p, path.join(photos, `other${i}.jpg`));
  const library = await Library.open(path.join(dir, 'index.db'), { provider: 'cpu', watch: false });
  try {
    await library.addFolder(photos);
    await library.whenIdle();
    const page = await library.listPhotos({ offset: 0, limit: 100 });
    const id = (name: string) => page.items.find((p) => p.name === name)!.id;
    explanation = await library.explain(id('original.jpg'), id('corner.jpg'), { top: 20 });
  } finally {
    await library.close();
  }
});
after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

test('a crop of the left half: the summary names the regions and their places, no model internals', () => {
  const summary = matchSummary(explanation);
  const ra = regionsOf(explanation.a);
  console.log(`summary: ${summary}`);
  console.log(`regions of the original: ${ra.map((r) => `${r.place} ${(100 * r.share).toFixed(0)}%`).join(', ')}`);
  console.log(
    `words: ${explanation.words
      .slice(0, 4)
      .map((w) => wordPlace(explanation, w))
      .join(' | ')}`,
  );
  assert.match(summary, /^(One region|\d+ regions) in common: /);
  assert.doesNotMatch(summary, /head|word \d/);
  assert.ok(ra.length >= 1, 'the original has at least one region carrying 10% of the score');
  // The match lies in the original's left half, where the crop came from: its weight's centre,
  // and the place named for its largest region.
  const { width: w } = explanation.a.grid;
  const total = explanation.a.weights.reduce((s, v) => s + v, 0);
  const cx = explanation.a.weights.reduce((s, v, i) => s + v * ((i % w) + 0.5), 0) / total / w;
  console.log(`weight centre of the original at x = ${cx.toFixed(2)} of its width`);
  assert.ok(cx < 0.45, `the weight lies in the left half: x = ${cx.toFixed(2)}`);
  assert.match(ra[0].place, /left|^top$|^bottom$|^centre$/, `largest region of the original at ${ra[0].place}`);
  for (const w of explanation.words) assert.match(wordPlace(explanation, w), /^(at the|in several places)/);
});

function photo(h: number, w: number, weights: number[]): ExplainedPhoto {
  return { id: 1, path: '/x.jpg', name: 'x.jpg', width: null, height: null, grid: { heads: 8, height: h, width: w }, weights, max: Math.max(...weights), unplaced: 0 };
}

test('zones and regions on hand-made maps', () => {
  assert.equal(zoneName(0, 0, 9, 9), 'top left');
  assert.equal(zoneName(4, 4, 9, 9), 'centre');
  assert.equal(zoneName(8, 4, 9, 9), 'bottom');
  assert.equal(zoneName(4, 8, 9, 9), 'right');
  assert.equal(
    placeOf(
      [
        [0, 0],
        [8, 8],
        [4, 4],
      ],
      9,
      9,
    ),
    'several places',
  );
  // Two separate blobs of weight, top left and bottom right, and a sprinkle that is no region.
  const w = new Array(81).fill(0);
  for (const [y, x] of [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ])
    w[y * 9 + x] = 1;
  for (const [y, x] of [
    [7, 7],
    [7, 8],
    [8, 7],
  ])
    w[y * 9 + x] = 1;
  w[4 * 9 + 4] = 0.2;
  const r = regionsOf(photo(9, 9, w));
  assert.deepEqual(
    r.map((x) => x.place),
    ['top left', 'bottom right'],
  );
  const one = new Array(81).fill(0);
  one[40] = 1;
  one[41] = 1;
  const e = { a: photo(9, 9, w), b: photo(9, 9, w), cosine: 0.3, sharedWords: 10, words: [], kgrams: { kernel: 3, padding: 0, collapsed: true, channel: false } } as PairExplanation;
  assert.equal(matchSummary(e), '2 regions in common: the top left and the bottom right match in both photos.');
  assert.equal(matchSummary({ ...e, b: photo(9, 9, one) }), 'One region in common: the top left of the first photo, the centre of the second.');
  // Weight over the whole of both photos, and no weight placed at all.
  const flat = photo(9, 9, new Array(81).fill(1));
  assert.match(matchSummary({ ...e, a: flat, b: flat }), /match all over/);
  assert.match(matchSummary({ ...e, a: photo(9, 9, new Array(81).fill(0)) }), /spread thinly/);
});
