import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImpactIndex } from '../../../src/core/search/impact-index.js';
import { InvertedIndex } from '../../../src/core/search/inverted-index.js';
import { TfidfScorer } from '../../../src/core/search/scorers/tfidf.js';
import { topK } from '../../../src/core/search/scorers/scorer.js';
import type { Bag } from '../../../src/core/common/types.js';
import { skewedCorpus } from '../../fixtures/bags.js';

const corpus = skewedCorpus;

test('exhaustive settings reproduce the exact TF-IDF ranking and cosines', () => {
  const docs = corpus(1, 400, 3000, 60);
  const impact = ImpactIndex.build(docs);
  const exact = new TfidfScorer(InvertedIndex.build(docs));
  for (let q = 0; q < 400; q += 37) {
    const query = docs[q].bag;
    const got = impact.search(query, { k: 10, budget: 1, candidates: 400 });
    const want = topK(exact.scoreAll(query), 10);
    // Counts are stored as 8-bit log codes: cosines agree to well under 1%, so only near-ties
    // may swap places.
    for (let i = 0; i < 10; i++) {
      assert.ok(Math.abs(got[i].score - want[i].score) < 2e-3, `query ${q} rank ${i}: ${got[i].score} vs ${want[i].score}`);
      if (got[i].index !== want[i].index) assert.ok(Math.abs(want[i].score - (want[i + 1] ?? want[i - 1]).score) < 4e-3, `query ${q} rank ${i}`);
    }
    assert.equal(got[0].index, q);
    assert.ok(Math.abs(got[0].score - 1) < 1e-5, `self-similarity ${got[0].score}`);
  }
});

test("stage 1's 16-bit scores never wrap: each photo is its own first candidate, down to bags of one or two words", () => {
  // Few words a bag put a single posting's weight near the whole norm, where the level rounding
  // pushes an estimate furthest above the query's norm: the case the accumulator scale must hold.
  for (const terms of [1, 2, 5, 60]) {
    const docs = corpus(10 + terms, 300, 40 * terms, terms);
    const impact = ImpactIndex.build(docs);
    for (let q = 0; q < docs.length; q++) {
      const [top] = impact.search(docs[q].bag, { k: 1, budget: 1, candidates: 1 });
      // A bag that another one repeats exactly (likely with one word) may be outranked by its twin.
      const twin = docs.findIndex((d, i) => i !== q && d.bag.terms.join() === docs[q].bag.terms.join());
      if (twin < 0) assert.equal(top.index, q, `${terms} words, photo ${q}: ${JSON.stringify(top)}`);
      assert.ok(Math.abs(top.score - 1) < 1e-5 || twin >= 0, `${terms} words, photo ${q}: cosine ${top.score}`);
    }
  }
});

test('array and streaming builds agree', () => {
  const docs = corpus(2, 300, 2000, 50);
  const a = ImpactIndex.build(docs);
  let passes = 0;
  const b = ImpactIndex.build(() => {
    passes++;
    return docs[Symbol.iterator]();
  });
  assert.equal(passes, 2);
  assert.equal(a.postings, 300 * 50);
  assert.deepEqual(b.ids, a.ids);
  assert.deepEqual(b.search(docs[5].bag, { k: 5 }), a.search(docs[5].bag, { k: 5 }));
});

test('a budget visits the largest contributions first and keeps the top results', () => {
  const docs = corpus(3, 2000, 5000, 80);
  const impact = ImpactIndex.build(docs);
  const exact = new TfidfScorer(InvertedIndex.build(docs));
  let overlap = 0;
  let total = 0;
  for (let q = 0; q < 2000; q += 97) {
    const stats = { queryPostings: 0, visited: 0 };
    const got = impact.search(docs[q].bag, { k: 10, budget: 0.25, candidates: 200 }, stats);
    assert.ok(stats.visited < 0.4 * stats.queryPostings, `visited ${stats.visited} of ${stats.queryPostings}`);
    const want = new Set(topK(exact.scoreAll(docs[q].bag), 10).map((w) => w.index));
    overlap += got.filter((g) => want.has(g.index)).length;
    total += 10;
    assert.equal(got[0].index, q, 'a photo finds itself first');
  }
  assert.ok(overlap / total >= 0.9, `top-10 overlap ${overlap / total}`);
});

test('maxVisited caps the postings stage 1 visits, largest contributions first; budget 1 ignores it', () => {
  const docs = corpus(5, 2000, 5000, 80);
  const impact = ImpactIndex.build(docs);
  for (let q = 0; q < 2000; q += 199) {
    const capped = { queryPostings: 0, visited: 0 };
    const got = impact.search(docs[q].bag, { k: 10, budget: 0.25, maxVisited: 500, candidates: 200 }, capped);
    const share = { queryPostings: 0, visited: 0 };
    impact.search(docs[q].bag, { k: 10, budget: 0.25, maxVisited: Infinity, candidates: 200 }, share);
    // The cap ends inside one contribution key: at most a segment of each word past it.
    assert.ok(capped.visited >= 500 && capped.visited < share.visited, `visited ${capped.visited}, uncapped ${share.visited}`);
    assert.equal(got[0].index, q, 'a photo finds itself first with the cap');
    const all = { queryPostings: 0, visited: 0 };
    impact.search(docs[q].bag, { k: 10, budget: 1, maxVisited: 10 }, all);
    assert.equal(all.visited, all.queryPostings);
  }
});

test('unknown query words lower every cosine; exclude leaves the query out; empty input works', () => {
  const docs = corpus(4, 50, 500, 20);
  const impact = ImpactIndex.build(docs);
  const q = docs[0].bag;
  const withUnknown: Bag = { terms: Uint32Array.from([...q.terms, 10 ** 6]), tfs: Float32Array.from([...q.tfs, 3]) };
  const r = impact.search(withUnknown, { k: 1 });
  assert.equal(r[0].index, 0);
  assert.ok(r[0].score < 0.999);
  assert.ok(impact.search(q, { k: 3, exclude: 0 }).every((x) => x.index !== 0));
  assert.deepEqual(impact.search({ terms: new Uint32Array(0), tfs: new Float32Array(0) }, { k: 3 }), []);
  const empty = ImpactIndex.build([]);
  assert.equal(empty.n, 0);
  assert.deepEqual(empty.search(q, { k: 3 }), []);
  const scores = impact.scoreAll(q);
  assert.equal(scores.length, 50);
  assert.ok(scores[0] > 1.99, 'candidates rank above the rest with 1 + exact cosine');
});
