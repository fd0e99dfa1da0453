// Okapi BM25 over visual words: the classic text-retrieval alternative to TF-IDF cosine, with
// saturating term frequency and document-length normalisation.

import type { InvertedIndex } from '../inverted-index.js';
import { scoreBuffer, type BagScorer } from './scorer.js';
import type { Bag } from '../../common/types.js';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/** Lucene-style idf: always positive, unlike the original Robertson-Sparck Jones form. */
export function bm25Idf(df: number, n: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

export class Bm25Scorer implements BagScorer {
  /** Slot -> idf. */
  readonly idf: Float64Array;
  /** Document -> k1 * (1 - b + b * |d| / avgdl), the length-dependent part of the denominator. */
  readonly lengthNorm: Float64Array;
  private readonly acc: Float64Array;

  constructor(
    readonly index: InvertedIndex,
    readonly k1 = BM25_K1,
    readonly b = BM25_B,
  ) {
    const { n, df, docLength, avgDocLength } = index;
    this.idf = new Float64Array(df.length);
    for (let s = 0; s < df.length; s++) this.idf[s] = bm25Idf(df[s], n);
    this.lengthNorm = new Float64Array(n);
    for (let d = 0; d < n; d++) {
      const rel = avgDocLength > 0 ? docLength[d] / avgDocLength : 0;
      this.lengthNorm[d] = k1 * (1 - b + b * rel);
    }
    this.acc = new Float64Array(n);
  }

  /**
   * score(d) = sum over query terms t of qtf(t) * idf(t) * tf(t,d) * (k1+1) / (tf(t,d) + K(d)).
   * The query's own tf multiplies rather than saturates: a word repeated across the query photo is
   * that much more of its content.
   */
  scoreAll(query: Bag, out?: Float32Array): Float32Array {
    const index = this.index;
    const n = index.n;
    const res = scoreBuffer(n, out);
    const acc = this.acc;
    acc.fill(0);
    const { offsets, docs, tfs } = index;
    const K = this.lengthNorm;
    const k1p1 = this.k1 + 1;
    const qt = query.terms;
    const qf = query.tfs;
    for (let i = 0; i < qt.length; i++) {
      const tq = qf[i];
      if (!(tq > 0)) continue;
      const s = index.slotOf(qt[i]);
      if (s < 0) continue;
      const w = tq * this.idf[s] * k1p1;
      for (let p = offsets[s], end = offsets[s + 1]; p < end; p++) {
        const d = docs[p];
        const tf = tfs[p];
        acc[d] += (w * tf) / (tf + K[d]);
      }
    }
    for (let d = 0; d < n; d++) res[d] = acc[d];
    return res;
  }
}

const cache = new WeakMap<InvertedIndex, Bm25Scorer>();

export function bm25ScoreAll(query: Bag, index: InvertedIndex, out?: Float32Array): Float32Array {
  let scorer = cache.get(index);
  if (!scorer) cache.set(index, (scorer = new Bm25Scorer(index)));
  return scorer.scoreAll(query, out);
}
