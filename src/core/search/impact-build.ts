// The parts of the impact-ordered index (impact-index.ts) and its build from bags: vocabulary,
// forward index (coded in impact-forward.ts), then the inverted lists (impact-segments.ts).
//
// Memory: about 2 bytes a posting in the forward index (slot gap and count code) plus 4 bytes for
// each posting the inverted lists keep (all of them up to DEFAULT_MAX_KEPT postings in all, past
// that the largest contributions); what a library of a given size costs: docs/EVAL.md, "Queries
// at a million photos".
import type { DocBag, DocBagSource } from './inverted-index.js';
import { tfidfIdf } from './scorers/tfidf.js';
import { postingBytes, writePosting } from './impact-forward.js';
import { DEFAULT_MAX_KEPT, layOutSegments } from './impact-segments.js';

/** Levels a posting's weight is quantized to. */
export const LEVELS = 256;
/**
 * tf' = 1 + ln(tf) is stored as round(tf' * TF_SCALE) in a byte: tf up to e^(255/28 - 1) ~ 3,300
 * is kept to 0.2%, larger counts are clamped (a 17 x 17 grid with k=3 gives at most 2,601).
 */
export const TF_SCALE = 28;

/** The byte a count is stored as; documents and queries both go through it, so self-similarity is 1. */
export function tfCode(tf: number): number {
  return Math.min(255, Math.max(1, Math.round((1 + Math.log(tf)) * TF_SCALE)));
}

/** tf' of a count as the index stores it (the 8-bit code), for scoring bags outside an index alike. */
export function storedTf(tf: number): number {
  return Math.fround(tfCode(tf) / TF_SCALE);
}

/** Everything an ImpactIndex is made of: typed arrays only, so it crosses threads as transferables. */
export interface ImpactIndexParts {
  ids: Float64Array;
  terms: Uint32Array;
  idf: Float32Array;
  df: Uint32Array;
  invDocNorm: Float32Array;
  segOffsets: Uint32Array;
  segLevel: Uint8Array;
  segStart: Uint32Array;
  docs: Uint32Array;
  levelWeight: Float32Array;
  /** Forward index: document d's postings are fwd[fwdOffsets[d] .. fwdOffsets[d + 1]) (bytes). */
  fwdOffsets: Float64Array;
  fwd: Uint8Array;
}

export interface ImpactBuildOptions {
  /** The most postings the inverted lists keep (default DEFAULT_MAX_KEPT; impact-segments.ts). */
  maxKept?: number;
}

/**
 * Build from bags (sublinear tf-idf, the default scorer). The source is read twice: once for
 * document frequencies, once to fill the forward index; everything after works from that.
 */
export function buildImpactParts(source: DocBagSource, opts: ImpactBuildOptions = {}): ImpactIndexParts {
  const open = typeof source === 'function' ? source : () => source;
  const vocab = documentFrequencies(open);
  const fwd = forwardIndex(open, vocab);
  const segments = layOutSegments(fwd, vocab.idf, vocab.df, vocab.total, opts.maxKept ?? DEFAULT_MAX_KEPT);
  return { ids: Float64Array.from(vocab.ids), terms: vocab.terms, idf: vocab.idf, df: vocab.df, ...fwd, ...segments };
}

type Open = () => Iterable<DocBag>;

interface Vocabulary {
  ids: number[];
  /** Postings in all (words with a count above 0). */
  total: number;
  /** At least the forward index's bytes: a slot gap is never larger than its term gap. */
  bytes: number;
  terms: Uint32Array;
  df: Uint32Array;
  idf: Float32Array;
  slotLookup: (t: number) => number;
}

/** Pass 1: document frequencies over term ids, and the document count. */
function documentFrequencies(open: Open): Vocabulary {
  const dfByTerm = new Map<number, number>();
  let dense = new Uint32Array(1 << 16);
  const ids: number[] = [];
  let total = 0;
  let bytes = 0;
  for (const { id, bag } of open()) {
    ids.push(id);
    const { terms, tfs } = bag;
    let prev = -1;
    let prevKept = -1;
    for (let i = 0; i < terms.length; i++) {
      const t = terms[i];
      if (t <= prev) throw new Error(`bag of image ${id} is not strictly ascending at ${i}`);
      prev = t;
      if (!(tfs[i] > 0)) continue;
      total++;
      bytes += postingBytes(t - prevKept);
      prevKept = t;
      if (t < 2 ** 24) {
        if (t >= dense.length) {
          let size = dense.length;
          while (size <= t) size *= 2;
          const g = new Uint32Array(size);
          g.set(dense);
          dense = g;
        }
        dense[t]++;
      } else dfByTerm.set(t, (dfByTerm.get(t) ?? 0) + 1);
    }
  }
  const N = ids.length;
  const termList: number[] = [];
  for (let t = 0; t < dense.length; t++) if (dense[t] > 0) termList.push(t);
  for (const t of [...dfByTerm.keys()].sort((a, b) => a - b)) termList.push(t);
  const terms = Uint32Array.from(termList);
  const T = terms.length;
  const df = new Uint32Array(T);
  const idf = new Float32Array(T);
  const slotOf = new Map<number, number>();
  for (let s = 0; s < T; s++) {
    const t = terms[s];
    df[s] = t < 2 ** 24 ? dense[t] : dfByTerm.get(t)!;
    idf[s] = tfidfIdf(df[s], N);
    if (t >= 2 ** 24) slotOf.set(t, s);
  }
  // The count array is no longer needed as such: reuse it as term -> slot.
  for (let s = 0; s < T; s++) if (terms[s] < 2 ** 24) dense[terms[s]] = s;
  const slotLookup = (t: number) => (t < 2 ** 24 ? dense[t] : slotOf.get(t)!);
  return { ids, total, bytes, terms, df, idf, slotLookup };
}

export type Forward = Pick<ImpactIndexParts, 'fwdOffsets' | 'fwd' | 'invDocNorm'>;

/**
 * Pass 2: forward index (slot, tf code) per document, and document norms from the same codes
 * so that stage 2's cosines are exact for what is stored.
 */
function forwardIndex(open: Open, { ids, total, bytes, idf, slotLookup }: Vocabulary): Forward {
  const N = ids.length;
  const fwdOffsets = new Float64Array(N + 1);
  const buffer = new Uint8Array(bytes);
  const invDocNorm = new Float32Array(N);
  let p = 0;
  let d = 0;
  let count = 0;
  for (const { id, bag } of open()) {
    if (d >= N || ids[d] !== id) throw new Error('document source changed between the two build passes');
    fwdOffsets[d] = p;
    const { terms: bt, tfs } = bag;
    let norm2 = 0;
    let prev = -1;
    for (let i = 0; i < bt.length; i++) {
      const tf = tfs[i];
      if (!(tf > 0)) continue;
      const s = slotLookup(bt[i]);
      if (s === undefined || s <= prev || count++ >= total || p + postingBytes(s - prev) > bytes) throw new Error('document source changed between the two build passes');
      const code = tfCode(tf);
      p = writePosting(buffer, p, s - prev, code);
      prev = s;
      const w = (code / TF_SCALE) * idf[s];
      norm2 += w * w;
    }
    invDocNorm[d] = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    d++;
  }
  if (d !== N || count !== total) throw new Error('document source changed between the two build passes');
  fwdOffsets[N] = p;
  // Gaps escaped in term space but not in slot space leave a few bytes at the end: copied to its
  // exact size (no larger than the lists' layout that follows), so every array's length is what it holds.
  return { fwdOffsets, fwd: p === bytes ? buffer : buffer.slice(0, p), invDocNorm };
}
