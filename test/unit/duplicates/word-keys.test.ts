// Each photo's key words (word-keys.ts, on this thread and on a worker) against the loop they were
// written out from (kept below as the reference): the same words, weights and dense word numbers
// bit for bit, over a real SQLite file of synthetic bags, with words the snapshot never saw (the
// first meeting of one is weighed with unseenIdf unrounded, later ones rounded) and with a word
// above 2^16 (which the worker leaves to this thread: everything is keyed again here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IndexStore } from '../../../src/core/index/store.js';
import { ImpactIndex, storedTf } from '../../../src/core/search/impact-index.js';
import { KeyWordIndex, LIST_WINDOW } from '../../../src/core/duplicates/word-pairs.js';
import { skewedCorpus } from '../../fixtures/bags.js';
import type { Bag } from '../../../src/core/common/types.js';

/** The keying loop as it was before word-keys.ts: keys as dense word numbers (-1 for none) and weights. */
function reference(bags: Bag[], snap: ImpactIndex, m: number): { keys: Int32Array; keyW: Float32Array } {
  const dense = new Map<number, number>();
  const keys = new Int32Array(bags.length * m);
  const keyW = new Float32Array(bags.length * m);
  const heapW = new Float32Array(m);
  const heapT = new Int32Array(m);
  const idfOf = new Float32Array(1 << 16);
  const tfOf = new Float32Array(1024);
  const swap = (i: number, j: number) => {
    [heapW[i], heapW[j]] = [heapW[j], heapW[i]];
    [heapT[i], heapT[j]] = [heapT[j], heapT[i]];
  };
  bags.forEach((bag, n) => {
    let size = 0;
    let norm2 = 0;
    for (let i = 0; i < bag.terms.length; i++) {
      const tf = bag.tfs[i];
      if (!(tf > 0)) continue;
      const term = bag.terms[i];
      let idf = term < idfOf.length ? idfOf[term] : 0;
      if (idf === 0) {
        const s = snap.slotOf(term);
        idf = s >= 0 ? snap.idf[s] : snap.unseenIdf;
        if (term < idfOf.length) idfOf[term] = idf;
      }
      let tfw = tf < tfOf.length && tf === Math.floor(tf) ? tfOf[tf] : 0;
      if (tfw === 0) {
        tfw = storedTf(tf);
        if (tf < tfOf.length && tf === Math.floor(tf)) tfOf[tf] = tfw;
      }
      const w = tfw * idf;
      norm2 += w * w;
      if (size < m) {
        heapW[size] = w;
        heapT[size] = term;
        for (let c = size++; c > 0 && heapW[(c - 1) >> 1] > heapW[c]; c = (c - 1) >> 1) swap(c, (c - 1) >> 1);
      } else if (w > heapW[0]) {
        heapW[0] = w;
        heapT[0] = term;
        for (let c = 0; ;) {
          const l = 2 * c + 1;
          let s = c;
          if (l < m && heapW[l] < heapW[s]) s = l;
          if (l + 1 < m && heapW[l + 1] < heapW[s]) s = l + 1;
          if (s === c) break;
          swap(c, s);
          c = s;
        }
      }
    }
    const inv = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    for (let k = 0; k < m; k++) {
      if (k < size) {
        let t = dense.get(heapT[k]);
        if (t === undefined) dense.set(heapT[k], (t = dense.size));
        keys[n * m + k] = t;
        keyW[n * m + k] = heapW[k] * inv;
      } else keys[n * m + k] = -1;
    }
  });
  return { keys, keyW };
}

function withStore(bags: Bag[], run: (store: IndexStore) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-wordkeys-'));
  try {
    const store = IndexStore.open(path.join(dir, 'index.db'), { fingerprint: 'test', settings: {} });
    const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
    store.transaction(() => bags.forEach((bag, i) => store.putIndexed({ path: `/p/${i}.jpg`, size: i + 1, mtimeMs: 0, hash: null, width: 10, height: 10 }, grid, bag)));
    try {
      run(store);
    } finally {
      store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Lists {
  keys: Int32Array;
  pos: Int32Array;
  listStart: Int32Array;
  listDocs: Int32Array;
  listW: Float32Array;
}

/** Each word's list: its photos with their weights, a long list heaviest first (ties in photo order), a short one in photo order; pos finds each key. */
function assertListsInOrder(x: Lists, m: number, needLong: boolean): void {
  let long = 0;
  for (let t = 0; t + 1 < x.listStart.length; t++) {
    const a = x.listStart[t];
    const len = x.listStart[t + 1] - a;
    if (len > LIST_WINDOW) long++;
    for (let q = a + 1; q < a + len; q++) {
      const inOrder = len > LIST_WINDOW ? x.listW[q - 1] > x.listW[q] || (x.listW[q - 1] === x.listW[q] && x.listDocs[q - 1] < x.listDocs[q]) : x.listDocs[q - 1] < x.listDocs[q];
      assert.ok(inOrder, `word ${t}, place ${q - a} of ${len}`);
    }
  }
  if (needLong) assert.ok(long > 0, 'some lists are long');
  for (let p = 0; p < x.keys.length; p++) if (x.keys[p] >= 0) assert.equal(x.listDocs[x.pos[p]], Math.floor(p / m));
}

function assertKeyedAsReference(bags: Bag[], snapBags: number, m: number): void {
  withStore(bags, (store) => {
    const stored = store.loadAll();
    // The snapshot knows the first photos only: the later ones bring words it never saw.
    const snap = ImpactIndex.build(stored.slice(0, snapBags).map((s) => ({ id: s.id, bag: s.bag })));
    const want = reference(
      stored.map((s) => s.bag),
      snap,
      m,
    );
    for (const threadedFrom of [Infinity, 0, 37]) {
      const keyed = KeyWordIndex.fromStore(store, snap, () => true, m, threadedFrom) as unknown as { ids: number[]; keys: Int32Array; keyW: Float32Array };
      assert.deepEqual(
        keyed.ids,
        stored.map((s) => s.id),
        `ids, threads from ${threadedFrom}`,
      );
      assert.deepEqual(Array.from(keyed.keys), Array.from(want.keys), `keys, threads from ${threadedFrom}`);
      assert.deepEqual(Array.from(keyed.keyW), Array.from(want.keyW), `weights, threads from ${threadedFrom}`);
      assertListsInOrder(keyed as unknown as Lists, m, snapBags > 500);
    }
  });
}

test("key words on this thread and on a worker are the reference loop's bit for bit, words the snapshot lacks included", () => {
  // A wide vocabulary (rare words: some the snapshot lacks), then a narrow one (long word lists).
  const docs = [...skewedCorpus(7, 1200, 30000, 300), ...skewedCorpus(8, 600, 400, 150)];
  // Some bags with fewer words than keys (the rest of their keys are -1), and counts up to 2,000.
  const bags: Bag[] = docs.map((d, i) => (i % 97 === 5 ? { terms: d.bag.terms.slice(0, 20), tfs: d.bag.tfs.slice(0, 20).map((x) => x * 50) } : d.bag));
  assertKeyedAsReference(bags, 900, 64);
});

test('a word above 2^16 is keyed on this thread, as the reference keys it', () => {
  const docs = skewedCorpus(9, 400, 30000, 200);
  const bags: Bag[] = docs.map((d) => d.bag);
  // A rare word numbered past the worker's tables, in a later photo (it is heavy there: a key).
  const late = bags[300];
  bags[300] = { terms: Uint32Array.from([...late.terms, 70_000]), tfs: Float32Array.from([...late.tfs, 3]) };
  assertKeyedAsReference(bags, 250, 32);
});
