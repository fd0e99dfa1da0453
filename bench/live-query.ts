// Query latency right after the library changes, at 50,000 photos: the old path (any change
// drops the ImpactIndex, the next query rebuilds it on the main thread) against the live index
// (snapshot + exactly scored delta, rebuilt in a worker thread; src/core/search/live-index.ts).
// The photos are real bags from an indexed library (e.g. flowers17, `photowords index`), copied
// under synthetic paths until the index holds --photos of them.
//   node --import tsx bench/live-query.ts --db INDEXED.db [--photos 50000] [--after-only]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { IndexStore } from '../src/core/index/store.js';
import { ImpactIndex } from '../src/core/search/impact-index.js';
import { LiveIndex } from '../src/core/search/live-index.js';
import type { Bag } from '../src/core/common/types.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const SOURCE = opt('db');
if (!SOURCE) throw new Error('--db INDEXED.db: an index with real bags (photowords index ../shared/datasets/flowers17 --db ...)');
const PHOTOS = Number(opt('photos') ?? 50_000);
const log = (m: string) => process.stderr.write(`${m}\n`);
const GRID = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-live-bench-'));
const db = path.join(tmp, 'library.db');
await new Database(SOURCE, { readonly: true }).backup(db);
const store = IndexStore.open(db, { fingerprint: IndexStore.readFingerprint(db)!, settings: {} });
const real: Bag[] = store.loadAll().map((b) => b.bag);
log(`${real.length} real bags from ${SOURCE}; filling to ${PHOTOS} photos in ${tmp} ...`);
let t = performance.now();
let serial = 0;
const add = (bag: Bag) => store.putIndexed({ path: `/synthetic/${serial++}.jpg`, size: 1, mtimeMs: 1, width: 1, height: 1 }, GRID, bag);
store.transaction(() => {
  for (let i = real.length; i < PHOTOS; i++) add(real[i % real.length]);
});
log(`  ${((performance.now() - t) / 1000).toFixed(0)} s`);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, median: r(s[s.length >> 1]), p95: r(s[Math.min(s.length - 1, Math.floor(0.95 * s.length))]), max: r(s[s.length - 1]) };
};
const queryOf = (i: number) => real[(i * 97) % real.length];

// Before: after any change the next query builds the index, then searches.
const before: number[] = [];
for (let i = 0; i < (args.includes('--after-only') ? 0 : 3); i++) {
  add(queryOf(i));
  t = performance.now();
  const index = ImpactIndex.build(() => store.iterBags());
  index.search(queryOf(i), { k: 50 });
  before.push(performance.now() - t);
  log(`  before: query after one photo added ${before[i].toFixed(0)} ms`);
}

// After: the live index, built once; then one photo added before each query.
const live = new LiveIndex(store, { log });
t = performance.now();
live.search(queryOf(0), 50);
const firstBuild = performance.now() - t;
const steady: number[] = [];
for (let i = 0; i < 30; i++) {
  t = performance.now();
  live.search(queryOf(i), 50);
  steady.push(performance.now() - t);
}
const afterOne: number[] = [];
for (let i = 0; i < 30; i++) {
  const id = add(queryOf(i + 1));
  t = performance.now();
  const r = live.search(queryOf(i + 1), 50);
  afterOne.push(performance.now() - t);
  if (!r.some((x) => x.id === id)) throw new Error('the photo just added was not found');
}
// Past the threshold (max(2,000, 5% of N)): a rebuild in the worker; queries meanwhile.
store.transaction(() => {
  for (let i = 0; i < 2600; i++) add(queryOf(i));
});
const during: number[] = [];
t = performance.now();
live.search(queryOf(3), 50);
const trigger = performance.now() - t;
if (!live.rebuilding) throw new Error('no background rebuild started');
const rebuildStart = performance.now();
while (live.rebuilding) {
  // One photo more now and then, as a watcher would add them.
  if (during.length % 5 === 0) add(queryOf(during.length));
  t = performance.now();
  live.search(queryOf(during.length), 50);
  during.push(performance.now() - t);
  await new Promise((r) => setTimeout(r, 20));
}
const rebuildWall = performance.now() - rebuildStart;
await live.settled();
t = performance.now();
live.search(queryOf(5), 50);
const afterSwap = performance.now() - t;

const figures = {
  photos: live.snapshot().n,
  before: before.length ? { queryAfterOneAddedMs: stats(before) } : 'skipped (--after-only)',
  after: {
    firstBuildMs: Math.round(firstBuild),
    steadyQueryMs: stats(steady),
    queryAfterOneAddedMs: stats(afterOne),
    rebuild: {
      delta: 2600,
      triggeringQueryMs: Math.round(trigger * 10) / 10,
      workerBuildMs: Math.round(live.stats.lastBuildMs),
      wallMs: Math.round(rebuildWall),
      queriesDuringMs: stats(during),
      firstQueryAfterSwapMs: Math.round(afterSwap * 10) / 10,
    },
  },
};
console.log(JSON.stringify(figures, null, 2));
live.close();
store.close();
fs.rmSync(tmp, { recursive: true, force: true });
