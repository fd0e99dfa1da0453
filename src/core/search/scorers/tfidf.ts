// TF-IDF cosine similarity, the paper's best-performing scorer.
//
// Follows scikit-learn's TfidfTransformer (smooth idf, L2 norm) so numbers can be checked against
// a Python pipeline: idf = ln((1+N)/(1+df)) + 1, weight = tf' * idf, cosine of the L2-normalised
// vectors, where tf' = 1 + ln(tf) (sklearn's sublinear_tf=True) by default, or raw tf.
//
// Why sublinear: a k-gram term counts one token at one window offset, so a large uniform region
// (sky, a petal) repeats the same few terms dozens of times and raw counts let them swamp the
// cosine. Damping the counts retrieves clearly better on the dev set (docs/EVAL.md, "Why sublinear
// term frequency is the default"); raw tf stays selectable as 'tfidf-raw'.

import type { InvertedIndex } from '../inverted-index.js';
import { scoreBuffer, type BagScorer } from './scorer.js';
import type { Bag } from '../../common/types.js';

/** Smooth idf; the +1s keep unseen and ubiquitous terms finite and non-zero. */
export function tfidfIdf(df: number, n: number): number {
  return Math.log((1 + n) / (1 + df)) + 1;
}

export interface TfidfOptions {
  /** tf' = 1 + ln(tf) instead of tf (default true). */
  sublinearTf?: boolean;
}

export class TfidfScorer implements BagScorer {
  /** Slot -> idf. */
  readonly idf: Float64Array;
  /** Document -> 1 / L2 norm of its tf-idf vector (0 for an empty document). */
  readonly invDocNorm: Float64Array;
  private readonly acc: Float64Array;
  readonly sublinearTf: boolean;
  /**
   * Posting -> tf' * idf * (1 / document norm): the document side of the cosine, fixed per index.
   * Precomputing it costs 4 bytes a posting and keeps Math.log out of the query loop, where it made
   * sublinear queries several times slower than raw ones (docs/EVAL.md, same paragraph).
   */
  private readonly weight: Float32Array;

  // Idf and document norms depend only on the index, so they are paid once here instead of per
  // query; a query then touches only its own postings plus one pass over the documents.
  constructor(
    readonly index: InvertedIndex,
    opts: TfidfOptions = {},
  ) {
    this.sublinearTf = opts.sublinearTf ?? true;
    const tfw = this.sublinearTf ? sublinear : identity;
    const { n, offsets, docs, tfs, df } = index;
    const T = index.terms.length;
    this.idf = new Float64Array(T);
    const norm2 = new Float64Array(n);
    for (let s = 0; s < T; s++) {
      const idf = tfidfIdf(df[s], n);
      this.idf[s] = idf;
      for (let p = offsets[s], end = offsets[s + 1]; p < end; p++) {
        const w = tfw(tfs[p]) * idf;
        norm2[docs[p]] += w * w;
      }
    }
    this.invDocNorm = new Float64Array(n);
    for (let d = 0; d < n; d++) this.invDocNorm[d] = norm2[d] > 0 ? 1 / Math.sqrt(norm2[d]) : 0;
    this.weight = new Float32Array(tfs.length);
    for (let s = 0; s < T; s++) {
      const idf = this.idf[s];
      for (let p = offsets[s], end = offsets[s + 1]; p < end; p++) this.weight[p] = tfw(tfs[p]) * idf * this.invDocNorm[docs[p]];
    }
    // Accumulating in float64 keeps a document's self-similarity at 1 to float32 precision even
    // with thousands of terms; the output is float32 like every other scorer's.
    this.acc = new Float64Array(n);
  }

  scoreAll(query: Bag, out?: Float32Array): Float32Array {
    const index = this.index;
    const n = index.n;
    const res = scoreBuffer(n, out);
    const acc = this.acc;
    acc.fill(0);
    const { offsets, docs } = index;
    const weight = this.weight;
    const idfs = this.idf;
    const sub = this.sublinearTf;
    const unseenIdf = tfidfIdf(0, n);
    const qt = query.terms;
    const qf = query.tfs;
    let qnorm2 = 0;
    for (let i = 0; i < qt.length; i++) {
      if (!(qf[i] > 0)) continue;
      const tq = sub ? sublinear(qf[i]) : qf[i];
      const s = index.slotOf(qt[i]);
      if (s < 0) {
        // Unknown to the index: still part of what the query photo looks like, so it lowers
        // every similarity through the query norm, but no document can match it.
        const w = tq * unseenIdf;
        qnorm2 += w * w;
        continue;
      }
      const idf = idfs[s];
      const qw = tq * idf;
      qnorm2 += qw * qw;
      for (let p = offsets[s], end = offsets[s + 1]; p < end; p++) acc[docs[p]] += qw * weight[p];
    }
    const invQ = qnorm2 > 0 ? 1 / Math.sqrt(qnorm2) : 0;
    for (let d = 0; d < n; d++) res[d] = acc[d] * invQ;
    return res;
  }
}

function sublinear(tf: number): number {
  return tf > 0 ? 1 + Math.log(tf) : 0;
}

function identity(tf: number): number {
  return tf;
}

const cache = new WeakMap<InvertedIndex, TfidfScorer>();

/** scoreAll with the per-index precomputation cached for the index's lifetime. */
export function tfidfScoreAll(query: Bag, index: InvertedIndex, out?: Float32Array): Float32Array {
  let scorer = cache.get(index);
  if (!scorer) cache.set(index, (scorer = new TfidfScorer(index)));
  return scorer.scoreAll(query, out);
}
