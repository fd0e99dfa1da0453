import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvertedIndex, type DocBag } from '../../../src/core/search/inverted-index.js';
import { TfidfScorer, tfidfIdf, tfidfScoreAll } from '../../../src/core/search/scorers/tfidf.js';
import { Bm25Scorer, bm25Idf } from '../../../src/core/search/scorers/bm25.js';
import { JaccardScorer } from '../../../src/core/search/scorers/jaccard.js';
import { cropJaccard, cropJaccardAll } from '../../../src/core/search/scorers/crop-jaccard.js';
import { DenseIndex } from '../../../src/core/search/scorers/dense.js';
import { topK } from '../../../src/core/search/scorers/scorer.js';
import { createBagScorer } from '../../../src/core/search/scorers/by-name.js';
import type { Bag, TokenGrid } from '../../../src/core/common/types.js';
import { mulberry32 } from '../../../src/core/common/random.js';

const rng = mulberry32;

function randomBag(r: () => number, space: number, maxTerms: number, minTerms = 1): Bag {
  const set = new Set<number>();
  const want = minTerms + Math.floor(r() * (maxTerms - minTerms + 1));
  while (set.size < want) set.add(Math.floor(r() * space));
  const terms = Uint32Array.from([...set].sort((a, b) => a - b));
  const tfs = Float32Array.from(terms, () => 1 + Math.floor(r() * 6));
  return { terms, tfs };
}

function corpus(seed: number, n: number, space: number, maxTerms: number): DocBag[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({ id: 100 + i * 3, bag: randomBag(r, space, maxTerms) }));
}

const asMap = (b: Bag) => new Map([...b.terms].map((t, i) => [t, b.tfs[i]] as const));

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  assert.equal(actual.length, expected.length, label);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${label}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

function dfOf(docs: DocBag[]): Map<number, number> {
  const df = new Map<number, number>();
  for (const { bag } of docs) for (const t of bag.terms) df.set(t, (df.get(t) ?? 0) + 1);
  return df;
}

test('inverted index reproduces the bags; array and streaming builds agree', () => {
  const docs = corpus(1, 60, 500, 40);
  docs.push({ id: 9999, bag: { terms: new Uint32Array(0), tfs: new Float32Array(0) } }); // empty doc still counts
  const idx = InvertedIndex.build(docs);
  let passes = 0;
  const streamed = InvertedIndex.build(() => {
    passes++;
    return (function* () {
      yield* docs;
    })();
  });
  assert.equal(passes, 2);
  for (const key of ['ids', 'terms', 'offsets', 'docs', 'tfs', 'df', 'docLength', 'docTerms'] as const) {
    assert.deepEqual(streamed[key], idx[key], key);
  }
  assert.equal(idx.n, 61);
  assert.equal(idx.ids[60], 9999);
  // Every posting list is sorted by doc and, read back per doc, gives the original bag.
  const rebuilt = docs.map(() => new Map<number, number>());
  for (let s = 0; s < idx.terms.length; s++) {
    for (let p = idx.offsets[s]; p < idx.offsets[s + 1]; p++) {
      if (p > idx.offsets[s]) assert.ok(idx.docs[p] > idx.docs[p - 1]);
      rebuilt[idx.docs[p]].set(idx.terms[s], idx.tfs[p]);
    }
  }
  docs.forEach((d, i) => assert.deepEqual(rebuilt[i], asMap(d.bag)));
  const df = dfOf(docs);
  assert.equal(idx.terms.length, df.size);
  for (let s = 0; s < idx.terms.length; s++) assert.equal(idx.df[s], df.get(idx.terms[s]));
  for (let t = 0; t < 520; t++) {
    const s = idx.slotOf(t);
    if (df.has(t)) assert.equal(idx.terms[s], t);
    else assert.equal(s, -1);
  }
  assert.equal(idx.docTerms[0], docs[0].bag.terms.length);
  assert.equal(
    idx.docLength[0],
    docs[0].bag.tfs.reduce((a, b) => a + b, 0),
  );
});

test('inverted index: huge term ids use binary search; bad input is rejected', () => {
  const big = [
    { id: 1, bag: { terms: Uint32Array.from([3, 50_000_000]), tfs: Float32Array.from([1, 2]) } },
    { id: 2, bag: { terms: Uint32Array.from([50_000_000, 200_000_000]), tfs: Float32Array.from([4, 1]) } },
  ];
  const idx = InvertedIndex.build(big);
  assert.equal(idx.slotOf(50_000_000), 1);
  assert.equal(idx.slotOf(200_000_000), 2);
  assert.equal(idx.slotOf(7), -1);
  assert.equal(idx.slotOf(300_000_000), -1);
  assert.throws(() => InvertedIndex.build([{ id: 1, bag: { terms: Uint32Array.from([4, 2]), tfs: Float32Array.from([1, 1]) } }]), /ascending/);
  let call = 0;
  assert.throws(() => InvertedIndex.build(() => (call++ === 0 ? big : big.slice(0, 1))), /changed between/);
});

/** Reference TF-IDF cosine written from the formula with Maps. */
function tfidfRef(query: Bag, docs: DocBag[], sublinearTf = true): number[] {
  const N = docs.length;
  const df = dfOf(docs);
  const idf = (t: number) => Math.log((1 + N) / (1 + (df.get(t) ?? 0))) + 1;
  const tf = (x: number) => (sublinearTf ? 1 + Math.log(x) : x);
  const vec = (b: Bag) => new Map([...b.terms].map((t, i) => [t, tf(b.tfs[i]) * idf(t)] as const));
  const norm = (v: Map<number, number>) => Math.sqrt([...v.values()].reduce((a, w) => a + w * w, 0));
  const q = vec(query);
  const qn = norm(q);
  return docs.map(({ bag }) => {
    const d = vec(bag);
    let dot = 0;
    for (const [t, w] of q) dot += w * (d.get(t) ?? 0);
    const dn = norm(d);
    return qn > 0 && dn > 0 ? dot / (qn * dn) : 0;
  });
}

test('tf-idf matches the sklearn-style formula, including unseen query terms', () => {
  const docs = corpus(2, 80, 400, 50);
  const idx = InvertedIndex.build(docs);
  const scorer = new TfidfScorer(idx);
  const raw = new TfidfScorer(idx, { sublinearTf: false });
  const r = rng(20);
  for (let i = 0; i < 10; i++) {
    // Space 450 > 400: some query terms are unknown to the index.
    const q = randomBag(r, 450, 60);
    close(scorer.scoreAll(q), tfidfRef(q, docs), 1e-5, `query ${i}`);
    close(raw.scoreAll(q), tfidfRef(q, docs, false), 1e-5, `raw-tf query ${i}`);
  }
  for (let d = 0; d < docs.length; d++) {
    const s = scorer.scoreAll(docs[d].bag);
    assert.ok(Math.abs(s[d] - 1) < 1e-6, `self-similarity ${s[d]}`);
    assert.equal(topK(s, 1)[0].index, d);
  }
  assert.equal(tfidfIdf(0, 9), Math.log(10) + 1);
  // The cached functional form gives the same numbers, and `out` is reused.
  const out = new Float32Array(idx.n);
  assert.equal(tfidfScoreAll(docs[0].bag, idx, out), out);
  close(out, scorer.scoreAll(docs[0].bag), 0, 'cached');
  assert.throws(() => scorer.scoreAll(docs[0].bag, new Float32Array(3)), /length/);
});

test('bm25 matches the Okapi formula', () => {
  const docs = corpus(3, 70, 300, 40);
  const idx = InvertedIndex.build(docs);
  const scorer = createBagScorer('bm25', idx);
  assert.ok(scorer instanceof Bm25Scorer);
  const N = docs.length;
  const df = dfOf(docs);
  const len = docs.map((d) => d.bag.tfs.reduce((a, b) => a + b, 0));
  const avgdl = len.reduce((a, b) => a + b, 0) / N;
  const r = rng(30);
  for (let i = 0; i < 10; i++) {
    const q = randomBag(r, 330, 50);
    const expected = docs.map(({ bag }, d) => {
      const m = asMap(bag);
      let s = 0;
      q.terms.forEach((t, j) => {
        const tf = m.get(t);
        if (!tf) return;
        const idf = Math.log(1 + (N - df.get(t)! + 0.5) / (df.get(t)! + 0.5));
        s += q.tfs[j] * idf * ((tf * (1.2 + 1)) / (tf + 1.2 * (1 - 0.75 + (0.75 * len[d]) / avgdl)));
      });
      return s;
    });
    close(scorer.scoreAll(q), expected, 1e-5, `query ${i}`);
  }
  assert.ok(bm25Idf(N, N) > 0, 'idf stays positive even for a term in every document');
});

test('jaccard matches set maths', () => {
  const docs = corpus(4, 70, 200, 40);
  const idx = InvertedIndex.build(docs);
  const scorer = createBagScorer('jaccard', idx);
  assert.ok(scorer instanceof JaccardScorer);
  const r = rng(40);
  for (let i = 0; i < 10; i++) {
    const q = randomBag(r, 230, 50);
    const qs = new Set(q.terms);
    const expected = docs.map(({ bag }) => {
      const ds = new Set(bag.terms);
      const inter = [...qs].filter((t) => ds.has(t)).length;
      return inter / new Set([...qs, ...ds]).size;
    });
    close(scorer.scoreAll(q), expected, 1e-6, `query ${i}`);
  }
  const self = scorer.scoreAll(docs[5].bag);
  assert.equal(self[5], 1);
  assert.equal(createBagScorer('tfidf-exact', idx).constructor, TfidfScorer);
});

test('cropjaccard: hand example with centred crops', () => {
  const g = (heads: number, height: number, width: number, tokens: number[]): TokenGrid => ({
    heads,
    height,
    width,
    codes: 16,
    tokens: Uint16Array.from(tokens),
  });
  // a: 1 head, 3x3; b: 1 head, 1x3. Common size 1x3; a's centred crop is its middle row.
  const a = g(1, 3, 3, [1, 1, 1, 4, 5, 6, 1, 1, 1]);
  const b = g(1, 1, 3, [4, 9, 6]);
  assert.equal(cropJaccard(a, b), 2 / 3);
  assert.equal(cropJaccard(b, a), 2 / 3);
  // 2 heads, 2x4 vs 2x2: the 2x2 crop of a 4-wide row takes columns 1..2.
  const c = g(2, 2, 4, [0, 1, 2, 0, 0, 3, 4, 0, /* head 1 */ 0, 5, 6, 0, 0, 7, 8, 0]);
  const d = g(2, 2, 2, [1, 2, 3, 9, /* head 1 */ 5, 6, 7, 8]);
  assert.equal(cropJaccard(c, d), 7 / 8);
  assert.equal(cropJaccard(c, c), 1);
  const all = cropJaccardAll(d, [c, d, g(2, 1, 1, [1, 5])]);
  assert.deepEqual([...all], [7 / 8, 1, 1]);
  assert.throws(() => cropJaccard(a, c), /heads/);
});

test('dense cosine', () => {
  const r = rng(5);
  const vecs = Array.from({ length: 30 }, () => Float32Array.from({ length: 16 }, () => r() - 0.5));
  vecs.push(new Float32Array(16)); // zero vector scores 0, not NaN
  const idx = new DenseIndex(vecs);
  const q = Float32Array.from({ length: 16 }, () => r() - 0.5);
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  const expected = vecs.map((v) => {
    const n = norm(v);
    return n === 0 ? 0 : v.reduce((a, x, j) => a + x * q[j], 0) / (n * norm(q));
  });
  close(idx.scoreAll(q), expected, 1e-5, 'dense');
  assert.ok(Math.abs(idx.scoreAll(vecs[3])[3] - 1) < 1e-6);
  assert.throws(() => idx.scoreAll(new Float32Array(3)), /length/);
});

test('topK: heap result equals a full sort, ties by lower index, exclusion, NaN', () => {
  const r = rng(6);
  for (let rep = 0; rep < 50; rep++) {
    const n = 1 + Math.floor(r() * 300);
    const scores = Float32Array.from({ length: n }, () => Math.floor(r() * 20) / 20); // many ties
    if (n > 3) scores[2] = NaN;
    const k = Math.floor(r() * 40);
    const ex = r() < 0.5 ? Math.floor(r() * n) : -1;
    const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
    const full = [...Array(n).keys()].filter((i) => i !== ex).sort((a, b) => key(b) - key(a) || a - b);
    const got = topK(scores, k, ex);
    assert.deepEqual(
      got.map((g) => g.index),
      full.slice(0, k),
      `rep ${rep}`,
    );
    got.forEach((g) => assert.equal(g.score, key(g.index)));
  }
  assert.deepEqual(topK(Float32Array.from([1, 3, 3, 2]), 2), [
    { index: 1, score: 3 },
    { index: 2, score: 3 },
  ]);
  assert.deepEqual(
    topK(Float32Array.from([1, 3, 3, 2]), 2, 1).map((g) => g.index),
    [2, 3],
  );
  assert.deepEqual(topK(new Float32Array(0), 5), []);
});
