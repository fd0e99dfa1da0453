// The duplicate finder's candidate pairs by key words (word-pairs.ts): over a real SQLite file of
// synthetic bags, every pair alike to the sensitivity is offered, each pair once, and the
// nearest-neighbours cut keeps a pair when it is among either photo's k most alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IndexStore } from '../../../src/core/index/store.js';
import { ImpactIndex } from '../../../src/core/search/impact-index.js';
import { KEY_CANDIDATES, KeyWordIndex } from '../../../src/core/duplicates/word-pairs.js';
import { WordPairs } from '../../../src/core/duplicates/word-pair-list.js';
import { mulberry32 } from '../../../src/core/common/random.js';
import { skewedCorpus } from '../../fixtures/bags.js';
import type { Bag } from '../../../src/core/common/types.js';

test('key words offer every pair alike to 0.5 once, among thousands of unrelated photos', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-wordpairs-'));
  try {
    const store = IndexStore.open(path.join(dir, 'index.db'), { fingerprint: 'test', settings: {} });
    const r = mulberry32(5);
    const docs = skewedCorpus(3, 1500, 30000, 300);
    const bags: Bag[] = docs.map((d) => d.bag);
    // 40 copies: 15% to 40% of an earlier photo's words dropped.
    for (let c = 0; c < 40; c++) {
      const src = bags[Math.floor(r() * 1500)];
      const drop = 0.15 + 0.25 * r();
      const keep = Array.from(src.terms.keys()).filter(() => r() >= drop);
      bags.push({ terms: Uint32Array.from(keep, (i) => src.terms[i]), tfs: Float32Array.from(keep, (i) => src.tfs[i]) });
    }
    const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
    store.transaction(() => bags.forEach((bag, i) => store.putIndexed({ path: `/p/${i}.jpg`, size: i + 1, mtimeMs: 0, hash: null, width: 10, height: 10 }, grid, bag)));
    const stored = store.loadAll();
    const snap = ImpactIndex.build(stored.map((s) => ({ id: s.id, bag: s.bag })));
    const keyed = KeyWordIndex.fromStore(store, snap, () => true);
    assert.equal(keyed.size, bags.length);
    const offered = new Set<string>();
    keyed.pairs(KEY_CANDIDATES, (a, b) => {
      const key = `${a}:${b}`;
      assert.ok(!offered.has(key) && !offered.has(`${b}:${a}`), 'a pair offered twice');
      offered.add(key);
    });
    let alike = 0;
    for (let i = 0; i < snap.n; i++) {
      for (let j = i + 1; j < snap.n; j++) {
        if (snap.cosineBetween(i, j) < 0.5) continue;
        alike++;
        const [a, b] = [snap.ids[i], snap.ids[j]];
        assert.ok(offered.has(`${a}:${b}`) || offered.has(`${b}:${a}`), `pair ${a} ${b} at ${snap.cosineBetween(i, j).toFixed(3)} not offered`);
      }
    }
    assert.ok(alike >= 40, `${alike} pairs alike`);
    // Candidates per photo are bounded: the exact cosines cost N * KEY_CANDIDATES at most.
    assert.ok(offered.size <= bags.length * KEY_CANDIDATES);
    // On worker threads (word-candidates.ts): the same candidates, weights and order as on one.
    const list = (threads: number) => {
      const out: string[] = [];
      keyed.candidatesOf(KEY_CANDIDATES, (a, bs, shared, count) => out.push(`${a}:${Array.from(bs.subarray(0, count)).join(',')}:${Array.from(shared.subarray(0, count)).join(',')}`), threads);
      return out;
    };
    const one = list(0);
    assert.equal(one.length, new Set([...offered].map((k) => k.split(':')[0])).size);
    assert.deepEqual(list(2), one);
    store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the nearest-neighbours cut keeps a pair among either photo's k most alike", () => {
  const p = new WordPairs();
  // Photo 1 is alike to 2..6, in falling cosine; photo 7 only to 6, weakly.
  [0.9, 0.8, 0.7, 0.6, 0.5].forEach((c, i) => p.push(1, 2 + i, c));
  p.push(6, 7, 0.3);
  const kept: string[] = [];
  p.nearest(2, (a, b, c) => kept.push(`${a}-${b}@${c.toFixed(1)}`));
  // 1's two best, and 1-4 .. 1-6 are each still among their other photo's two best.
  assert.deepEqual(kept, ['1-2@0.9', '1-3@0.8', '1-4@0.7', '1-5@0.6', '1-6@0.5', '6-7@0.3']);
  const one: string[] = [];
  const q = new WordPairs();
  [0.9, 0.8, 0.7].forEach((c, i) => q.push(1, 2 + i, c));
  q.push(2, 3, 0.95);
  q.nearest(1, (a, b) => one.push(`${a}-${b}`));
  // 1's best is 2 (0.9); 2's and 3's best is each other (0.95); 1-4 is 4's best.
  assert.deepEqual(one, ['1-2', '1-4', '2-3']);
});

test("a photo's candidates' cosines from one scatter equal the pair by pair cosines, also once a photo changed after the snapshot", async () => {
  const { LiveIndex } = await import('../../../src/core/search/live-index.js');
  const { PairCosines } = await import('../../../src/core/duplicates/word-cosine.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-cosines-'));
  try {
    const store = IndexStore.open(path.join(dir, 'index.db'), { fingerprint: 'test', settings: {} });
    const docs = skewedCorpus(8, 300, 5000, 120);
    const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
    const put = (i: number, bag: Bag) => store.putIndexed({ path: `/p/${i}.jpg`, size: i + 1, mtimeMs: 0, hash: null, width: 10, height: 10 }, grid, bag);
    store.transaction(() => docs.forEach((d, i) => put(i, d.bag)));
    const live = new LiveIndex(store, { background: false, persist: false });
    try {
      const snap = live.snapshot();
      const ids = store.loadAll().map((s) => s.id);
      const check = () => {
        const cosines = new PairCosines(store, live, snap);
        const out = new Float32Array(KEY_CANDIDATES);
        for (let a = 0; a < ids.length; a += 23) {
          const bs = Int32Array.from({ length: KEY_CANDIDATES }, (_, k) => ids[(a * 7 + k * 31) % ids.length]);
          cosines.cosinesFrom(ids[a], bs, KEY_CANDIDATES, out);
          for (let k = 0; k < KEY_CANDIDATES; k++) assert.ok(Math.abs(out[k] - cosines.cosine(ids[a], bs[k])) < 1e-6, `${ids[a]} ${bs[k]}`);
        }
      };
      check();
      // Photo 0 re-indexed with other words: its cosines now come from its new bag.
      store.transaction(() => put(0, docs[1].bag));
      live.changed();
      check();
    } finally {
      await live.close();
      store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
