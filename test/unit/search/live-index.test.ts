// The 'tfidf' query path of a changing library (src/core/search/live-index.ts): a snapshot ImpactIndex
// plus an exactly scored delta must answer like the index as it is stored now, never return a
// removed photo, swap in a background rebuild, and answer while that rebuild runs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IndexStore } from '../../../src/core/index/store.js';
import { ImpactIndex, storedTf } from '../../../src/core/search/impact-index.js';
import { LiveIndex, setImpactThread } from '../../../src/core/search/live-index.js';
import { skewedBags } from '../../fixtures/bags.js';
import type { Bag } from '../../../src/core/common/types.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-live-'));
const stores: IndexStore[] = [];
after(() => {
  for (const s of stores) s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const GRID = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };

function openStore(name: string): IndexStore {
  const s = IndexStore.open(path.join(tmp, name), { fingerprint: 'test', settings: {} });
  stores.push(s);
  return s;
}

function put(store: IndexStore, name: string, bag: Bag): number {
  return store.putIndexed({ path: `/photos/${name}.jpg`, size: 1, mtimeMs: 1, width: 1, height: 1 }, GRID, bag);
}

/** Exact cosines over the store as it is now, with a given index's idf (what the live index promises). */
function reference(store: IndexStore, idxIdf: ImpactIndex, query: Bag, k: number): { id: number; score: number }[] {
  const idf = (t: number) => {
    const s = idxIdf.slotOf(t);
    return s >= 0 ? idxIdf.idf[s] : idxIdf.unseenIdf;
  };
  const vec = (b: Bag) => {
    const m = new Map<number, number>();
    let n2 = 0;
    for (let i = 0; i < b.terms.length; i++) {
      if (!(b.tfs[i] > 0)) continue;
      const w = storedTf(b.tfs[i]) * idf(b.terms[i]);
      m.set(b.terms[i], w);
      n2 += w * w;
    }
    return { m, inv: n2 > 0 ? 1 / Math.sqrt(n2) : 0 };
  };
  const q = vec(query);
  const out: { id: number; score: number }[] = [];
  for (const { id, bag } of store.iterBags()) {
    const d = vec(bag);
    let dot = 0;
    for (const [t, w] of d.m) dot += w * (q.m.get(t) ?? 0);
    if (dot > 0) out.push({ id, score: dot * q.inv * d.inv });
  }
  out.sort((a, b) => b.score - a.score || a.id - b.id);
  return out.slice(0, k);
}

/** Same ranking up to near-ties, same scores within `tol`. */
function assertSameTop(got: { id: number; score: number }[], want: { id: number; score: number }[], tol: number, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i].score - want[i].score) < tol, `${what} rank ${i}: ${got[i].score} vs ${want[i].score}`);
    if (got[i].id !== want[i].id) {
      const near = want.some((w) => w.id === got[i].id && Math.abs(w.score - want[i].score) < Math.max(tol, 1e-4));
      assert.ok(near, `${what} rank ${i}: id ${got[i].id} vs ${want[i].id}`);
    }
  }
}

test('snapshot + delta answers like the store as it is now: adds, re-indexes, failures, removals', () => {
  const store = openStore('correct.db');
  const bag = skewedBags(7, 3000, 60);
  const bags = new Map<number, Bag>();
  for (let i = 0; i < 400; i++) {
    const b = bag();
    bags.set(put(store, `p${i}`, b), b);
  }
  const live = new LiveIndex(store, { background: false, rebuildMin: 1e9 });
  const before = live.search(bags.get(5)!, 10);
  assert.equal(before[0].id, 5);
  assert.equal(live.stats.foregroundBuilds, 1);
  const snap = live.snapshot();

  // Changes: 60 new photos (10 of them copies of existing ones, so they tie), 25 re-indexed with
  // new words, 30 removed (among them the best matches of the queries below), 5 failed.
  const added: number[] = [];
  for (let i = 0; i < 60; i++) added.push(put(store, `new${i}`, i < 10 ? bags.get(10 + i)! : bag()));
  const reindexed = new Set<number>();
  for (let i = 0; i < 25; i++) reindexed.add(put(store, `p${100 + i}`, bag()));
  const gone = new Set<number>();
  for (const id of [...before.slice(1, 6).map((r) => r.id), ...Array.from({ length: 25 }, (_, i) => 200 + i * 3)]) {
    if (gone.has(id)) continue;
    store.remove(store.getById(id)!.path);
    gone.add(id);
  }
  for (let id = 300; id < 305; id++) {
    const rec = store.getById(id);
    if (!rec || rec.status !== 'indexed') continue;
    store.putFailed({ path: rec.path, size: 2, mtimeMs: 2 }, 'unreadable');
    gone.add(id);
  }
  const fresh = ImpactIndex.build(() => store.iterBags());
  const queries: Bag[] = [bags.get(5)!, bags.get(11)!, store.getBag(added[0])!, store.getBag(added[30])!, store.getBag(110)!, bag()];
  // Stage 1 exhaustive, so that only the delta's handling can make a difference.
  const exhaustive = { budget: 1, candidates: 1000 };
  for (const [qi, query] of queries.entries()) {
    const got = live.search(query, 10, exhaustive);
    // Exactly the cosines of the current library with the snapshot's idf...
    assertSameTop(got, reference(store, snap, query, 10), 1e-5, `query ${qi} vs exact`);
    // ...and, idf having moved a little since, close to a fresh full build.
    // Where idf moved enough to swap near neighbours, each photo returned at rank i scores as well
    // as the fresh build's photo at rank i, by the fresh build's own exact cosines.
    const want = reference(store, fresh, query, 1000);
    const freshScore = new Map(want.map((w) => [w.id, w.score]));
    for (let i = 0; i < 10; i++) {
      const s = freshScore.get(got[i].id) ?? 0;
      assert.ok(Math.abs(s - want[i].score) < 0.02, `query ${qi} rank ${i} vs fresh build: ${s} vs ${want[i].score}`);
    }
    for (const r of live.search(query, 1000)) assert.ok(!gone.has(r.id), `removed photo ${r.id} returned`);
  }
  // A new photo finds itself first, exactly (words the snapshot never saw weigh the same on both sides).
  const self = live.search(store.getBag(added[30])!, 3);
  assert.equal(self[0].id, added[30]);
  assert.ok(Math.abs(self[0].score - 1) < 1e-5, `self-similarity ${self[0].score}`);
  assert.equal(live.stats.foregroundBuilds, 1, 'no rebuild under the threshold');
  // (photos stored in the very millisecond the snapshot started count as delta too)
  assert.ok(live.deltaSize.added >= 60 + [...reindexed].filter((id) => !gone.has(id)).length);
  assert.equal(live.deltaSize.removed, gone.size);

  // Nothing changed: the delta is not looked up again.
  const refreshes = live.stats.deltaRefreshes;
  live.search(queries[0], 10);
  assert.equal(live.stats.deltaRefreshes, refreshes);
  // changed() (a change from elsewhere) makes it look again.
  live.changed();
  live.search(queries[0], 10);
  assert.equal(live.stats.deltaRefreshes, refreshes + 1);
});

test('past the threshold a worker thread rebuilds while queries answer at once; the new snapshot is swapped in', async () => {
  const store = openStore('swap.db');
  const bag = skewedBags(11, 20000, 300);
  store.transaction(() => {
    for (let i = 0; i < 4000; i++) put(store, `p${i}`, bag());
  });
  const logs: string[] = [];
  const live = new LiveIndex(store, { rebuildMin: 100, rebuildShare: 0.01, log: (m) => logs.push(m) });
  const query = store.getBag(17)!;
  let t = performance.now();
  live.search(query, 20);
  const firstBuildMs = performance.now() - t;
  assert.equal(live.stats.foregroundBuilds, 1);

  for (let i = 0; i < 150; i++) put(store, `more${i}`, bag());
  const newId = put(store, 'target', bag());
  t = performance.now();
  const during = live.search(store.getBag(newId)!, 20);
  const triggerMs = performance.now() - t;
  assert.ok(live.rebuilding, 'a background rebuild started');
  assert.equal(during[0].id, newId, 'a new photo is found before the rebuild');
  // Queries while the worker builds: no waiting for it.
  const times: number[] = [];
  while (live.rebuilding && times.length < 200) {
    t = performance.now();
    live.search(query, 20);
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 5));
  }
  await live.settled();
  assert.equal(live.stats.backgroundBuilds, 1, logs.join('\n'));
  assert.equal(live.stats.foregroundBuilds, 1);
  assert.ok(times.length >= 2, `queries answered during the rebuild (${times.length})`);
  times.sort((a, b) => a - b);
  const maxMs = times[times.length - 1];
  console.log(
    `live index: first build ${firstBuildMs.toFixed(0)} ms on the main thread; background build ${live.stats.lastBuildMs.toFixed(0)} ms; ` +
      `query that started it ${triggerMs.toFixed(1)} ms; ${times.length} queries during it: median ${times[times.length >> 1].toFixed(1)} ms, max ${maxMs.toFixed(1)} ms`,
  );
  assert.ok(maxMs < firstBuildMs / 2 || maxMs < 25, `a query during the rebuild took ${maxMs} ms (a build takes ${firstBuildMs} ms)`);

  // Swapped: the snapshot now holds every photo and answers like a fresh build.
  const got = live.search(query, 20);
  assert.equal(live.snapshot().n, 4151);
  const fresh = ImpactIndex.build(() => store.iterBags());
  assertSameTop(
    got,
    fresh.search(query, { k: 20 }).map((r) => ({ id: fresh.ids[r.index], score: r.score })),
    1e-5,
    'after the swap',
  );
  live.close();
});

test('a worker that fails: the rebuild happens on the calling thread, with a log line', () => {
  const store = openStore('fail.db');
  const bag = skewedBags(3, 2000, 40);
  for (let i = 0; i < 50; i++) put(store, `p${i}`, bag());
  setImpactThread({ entry: path.join(tmp, 'no-such-thread.js') });
  const logs: string[] = [];
  const live = new LiveIndex(store, { rebuildMin: 5, log: (m) => logs.push(m) });
  live.search(bag(), 5);
  for (let i = 0; i < 10; i++) put(store, `q${i}`, bag());
  live.search(bag(), 5); // starts the worker, which fails
  return live.settled().then(() => {
    assert.equal(logs.length, 1);
    assert.match(logs[0], /worker thread failed/);
    const id = put(store, 'last', bag());
    const r = live.search(store.getBag(id)!, 5); // past the threshold again: built here
    assert.equal(live.stats.foregroundBuilds, 2);
    assert.equal(live.snapshot().n, 61);
    assert.equal(r[0].id, id);
  });
});
