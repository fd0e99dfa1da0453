// The postings layout of the impact-ordered index (impact-index.ts) and its build from bags.
//
// Memory: 4 bytes a posting in the inverted lists (document index; the level is implicit in the
// segment) plus 3 bytes a posting in the forward index (a 16-bit word slot and an 8-bit log-count
// code), so about 7 bytes a posting; what a library of a given size costs: docs/EVAL.md, "The
// query path".
import type { DocBag, DocBagSource } from './inverted-index.js';
import { tfidfIdf } from './scorers/tfidf.js';

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
  fwdOffsets: Float64Array;
  fwdSlots: Uint16Array | Uint32Array;
  fwdTf: Uint8Array;
}

/**
 * Build from bags (sublinear tf-idf, the default scorer). The source is read twice: once for
 * document frequencies, once to fill the forward index; everything after works from that.
 */
export function buildImpactParts(source: DocBagSource): ImpactIndexParts {
  const open = typeof source === 'function' ? source : () => source;
  const vocab = documentFrequencies(open);
  const fwd = forwardIndex(open, vocab);
  return { ids: Float64Array.from(vocab.ids), terms: vocab.terms, idf: vocab.idf, df: vocab.df, ...fwd, ...layOutSegments(fwd, vocab.idf, vocab.terms.length) };
}

type Open = () => Iterable<DocBag>;

interface Vocabulary {
  ids: number[];
  /** Postings in all (words with a count above 0). */
  total: number;
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
  for (const { id, bag } of open()) {
    ids.push(id);
    const { terms, tfs } = bag;
    let prev = -1;
    for (let i = 0; i < terms.length; i++) {
      const t = terms[i];
      if (t <= prev) throw new Error(`bag of image ${id} is not strictly ascending at ${i}`);
      prev = t;
      if (!(tfs[i] > 0)) continue;
      total++;
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
  return { ids, total, terms, df, idf, slotLookup };
}

type Forward = Pick<ImpactIndexParts, 'fwdOffsets' | 'fwdSlots' | 'fwdTf' | 'invDocNorm'>;

/**
 * Pass 2: forward index (slot, tf code) per document, and document norms from the same codes
 * so that stage 2's cosines are exact for what is stored.
 */
function forwardIndex(open: Open, { ids, total, terms, idf, slotLookup }: Vocabulary): Forward {
  const N = ids.length;
  const T = terms.length;
  const fwdOffsets = new Float64Array(N + 1);
  const fwdSlots = T <= 65536 ? new Uint16Array(total) : new Uint32Array(total);
  const fwdTf = new Uint8Array(total);
  const invDocNorm = new Float32Array(N);
  let p = 0;
  let d = 0;
  for (const { id, bag } of open()) {
    if (d >= N || ids[d] !== id) throw new Error('document source changed between the two build passes');
    fwdOffsets[d] = p;
    const { terms: bt, tfs } = bag;
    let norm2 = 0;
    for (let i = 0; i < bt.length; i++) {
      const tf = tfs[i];
      if (!(tf > 0)) continue;
      if (p >= total) throw new Error('document source changed between the two build passes');
      const s = slotLookup(bt[i]);
      const code = tfCode(tf);
      fwdSlots[p] = s;
      fwdTf[p] = code;
      const w = (code / TF_SCALE) * idf[s];
      norm2 += w * w;
      p++;
    }
    invDocNorm[d] = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    d++;
  }
  if (d !== N || p !== total) throw new Error('document source changed between the two build passes');
  fwdOffsets[N] = p;
  return { fwdOffsets, fwdSlots, fwdTf, invDocNorm };
}

type Segments = Pick<ImpactIndexParts, 'levelWeight' | 'segOffsets' | 'segLevel' | 'segStart' | 'docs'>;

/** The inverted lists: each posting's weight quantized to a level, segments slot by slot, level descending. */
function layOutSegments({ fwdOffsets, fwdSlots, fwdTf, invDocNorm }: Forward, idf: Float32Array, T: number): Segments {
  const N = invDocNorm.length;
  const total = fwdTf.length;
  // Weight range for the log-spaced levels.
  let wMin = Infinity;
  let wMax = 0;
  for (let doc = 0; doc < N; doc++) {
    const inv = invDocNorm[doc];
    for (let q = fwdOffsets[doc]; q < fwdOffsets[doc + 1]; q++) {
      const w = (fwdTf[q] / TF_SCALE) * idf[fwdSlots[q]] * inv;
      if (w < wMin) wMin = w;
      if (w > wMax) wMax = w;
    }
  }
  if (!(wMax > 0)) {
    wMin = 1;
    wMax = 1;
  }
  const logMin = Math.log(wMin);
  const span = Math.max(1e-9, Math.log(wMax) - logMin);
  const step = span / (LEVELS - 1);
  const levelOf = (w: number) => Math.min(LEVELS - 1, Math.max(0, Math.round((Math.log(w) - logMin) / step)));
  const levelWeight = new Float32Array(LEVELS);
  for (let l = 0; l < LEVELS; l++) levelWeight[l] = Math.exp(logMin + l * step);

  // Count postings per (slot, level), then lay segments out slot by slot, level descending.
  const counts = new Uint32Array(T * LEVELS);
  const postingLevel = new Uint8Array(total);
  for (let doc = 0; doc < N; doc++) {
    const inv = invDocNorm[doc];
    for (let q = fwdOffsets[doc]; q < fwdOffsets[doc + 1]; q++) {
      const s = fwdSlots[q];
      const l = levelOf((fwdTf[q] / TF_SCALE) * idf[s] * inv);
      postingLevel[q] = l;
      counts[s * LEVELS + l]++;
    }
  }
  let nseg = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) nseg++;
  const segOffsets = new Uint32Array(T + 1);
  const segLevel = new Uint8Array(nseg);
  const segStart = new Uint32Array(nseg + 1);
  // cursor: (slot, level) -> next write position, reusing counts.
  let g = 0;
  let acc = 0;
  for (let s = 0; s < T; s++) {
    segOffsets[s] = g;
    for (let l = LEVELS - 1; l >= 0; l--) {
      const c = counts[s * LEVELS + l];
      if (c === 0) continue;
      segLevel[g] = l;
      segStart[g] = acc;
      counts[s * LEVELS + l] = acc;
      acc += c;
      g++;
    }
  }
  segOffsets[T] = g;
  segStart[g] = acc;
  const docs = new Uint32Array(total);
  for (let doc = 0; doc < N; doc++) {
    for (let q = fwdOffsets[doc]; q < fwdOffsets[doc + 1]; q++) docs[counts[fwdSlots[q] * LEVELS + postingLevel[q]]++] = doc;
  }
  return { levelWeight, segOffsets, segLevel, segStart, docs };
}
