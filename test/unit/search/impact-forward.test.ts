import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImpactIndex } from '../../../src/core/search/impact-index.js';
import { buildImpactParts, tfCode } from '../../../src/core/search/impact-build.js';
import { countPostings, decodeDoc } from '../../../src/core/search/impact-forward.js';
import { InvertedIndex } from '../../../src/core/search/inverted-index.js';
import { TfidfScorer } from '../../../src/core/search/scorers/tfidf.js';
import { topK } from '../../../src/core/search/scorers/scorer.js';
import { mulberry32 } from '../../../src/core/common/random.js';
import type { Bag } from '../../../src/core/common/types.js';
import { skewedCorpus } from '../../fixtures/bags.js';

/** Every document's (term, count code) as the forward index holds it, against its bag. */
function assertRoundTrip(docs: { id: number; bag: Bag }[]) {
  const p = buildImpactParts(docs);
  const T = p.terms.length;
  const slots = new Int32Array(T);
  const codes = new Uint8Array(T);
  docs.forEach(({ bag }, d) => {
    const from = p.fwdOffsets[d];
    const end = p.fwdOffsets[d + 1];
    const m = decodeDoc(p.fwd, from, end, slots, codes);
    assert.equal(countPostings(p.fwd, from, end), m);
    const want = [...bag.terms].map((t, i) => [t, tfCode(bag.tfs[i])]).filter((_, i) => bag.tfs[i] > 0);
    assert.deepEqual(
      Array.from({ length: m }, (_, i) => [p.terms[slots[i]], codes[i]]),
      want,
      `document ${d}`,
    );
  });
  return p;
}

test('the forward index gives back every word and count code: 1-word bags, huge counts, zero counts', () => {
  const docs = [
    { id: 1, bag: { terms: Uint32Array.from([0]), tfs: Float32Array.from([1]) } },
    { id: 2, bag: { terms: Uint32Array.from([7]), tfs: Float32Array.from([1e9]) } },
    { id: 3, bag: { terms: Uint32Array.from([0, 1, 2, 255, 256, 4000]), tfs: Float32Array.from([3, 0, 2, 1e6, 5, 0.5]) } },
    { id: 4, bag: { terms: new Uint32Array(0), tfs: new Float32Array(0) } },
    { id: 5, bag: { terms: Uint32Array.from([2 ** 31, 2 ** 32 - 1]), tfs: Float32Array.from([2, 3]) } },
  ];
  const p = assertRoundTrip(docs);
  // A count past the code's range is clamped to 255, not wrapped.
  assert.equal(tfCode(1e9), 255);
  assert.equal(p.fwdOffsets[4], p.fwdOffsets[3], 'an empty bag has no bytes');
});

test('vocabularies over 65,536 slots: gaps past a byte are escaped, and search is exact', () => {
  const rand = mulberry32(9);
  const docs = Array.from({ length: 1600 }, (_, id) => {
    const set = new Set<number>();
    // Words spread over 1,000,000 terms, so slot gaps of thousands are common, plus runs of words shared by every 50th photo.
    while (set.size < 50) set.add(Math.floor(rand() * 1_000_000));
    for (let t = 0; t < 10; t++) set.add((id % 50) * 7 + t);
    const terms = Uint32Array.from([...set].sort((a, b) => a - b));
    return { id, bag: { terms, tfs: Float32Array.from(terms, () => 1 + Math.floor(rand() * 50)) } };
  });
  const p = assertRoundTrip(docs);
  assert.ok(p.terms.length > 65_536, `${p.terms.length} slots`);
  const impact = ImpactIndex.build(docs);
  const exact = new TfidfScorer(InvertedIndex.build(docs));
  for (let q = 0; q < 1600; q += 151) {
    const got = impact.search(docs[q].bag, { k: 5, budget: 1 });
    const want = topK(exact.scoreAll(docs[q].bag), 5);
    assert.equal(got[0].index, q);
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(got[i].score - want[i].score) < 2e-3, `query ${q} rank ${i}`);
    assert.ok(Math.abs(impact.cosineBetween(q, got[1].index) - got[1].score) < 1e-6);
  }
});

test('lists kept shorter (maxKept): fewer postings, the largest kept, exhaustive and pairwise cosines unchanged', () => {
  const docs = skewedCorpus(6, 2000, 5000, 80);
  const whole = ImpactIndex.build(docs);
  const short = ImpactIndex.build(docs, { maxKept: 40_000 });
  assert.equal(whole.keptPostings, whole.postings);
  assert.equal(short.postings, whole.postings);
  assert.ok(short.keptPostings <= 40_000 && short.keptPostings > 20_000, `kept ${short.keptPostings}`);
  assert.ok(short.memoryBytes < whole.memoryBytes - 4 * (whole.postings - 40_000) + 1);
  let overlap = 0;
  for (let q = 0; q < 2000; q += 97) {
    // Budget 1 reads the forward index: the same exact ranking whatever the lists keep.
    assert.deepEqual(short.search(docs[q].bag, { k: 10, budget: 1 }), whole.search(docs[q].bag, { k: 10, budget: 1 }));
    const stats = { queryPostings: 0, visited: 0 };
    const got = short.search(docs[q].bag, { k: 10, budget: 0.25, candidates: 200 }, stats);
    assert.equal(got[0].index, q, 'a photo finds itself first');
    const want = new Set(whole.search(docs[q].bag, { k: 10, budget: 1 }).map((r) => r.index));
    overlap += got.filter((g) => want.has(g.index)).length / 10;
    assert.equal(short.cosineBetween(q, 5), whole.cosineBetween(q, 5));
    assert.deepEqual(short.searchDoc(q, { k: 3, budget: 1 }), whole.searchDoc(q, { k: 3, budget: 1 }));
  }
  assert.ok(overlap / 21 >= 0.9, `top-10 overlap ${overlap / 21}`);
});
