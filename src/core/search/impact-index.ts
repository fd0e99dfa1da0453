// The query path for large libraries: TF-IDF cosine in two stages over impact-ordered postings.
//
// Why not a plain postings scan: visual words are common. With collapsed k-grams a photo has
// 500-900 words and a query's words own a fifth to a third of all postings, so at 1,000,000
// photos one exhaustive query is 100-200M multiply-adds, far past an interactive budget, and no
// term is rare enough for MaxScore/WAND to skip much.
//
// Stage 1 (score-at-a-time, as in JASS): every posting carries the document side of its cosine,
// w = tf' * idf / |d|, quantized to one of 256 log-spaced levels. Each term's postings are grouped
// by level, highest first, and within a level sorted by document. A query weighs each of its
// terms, q = tf' * idf, so a whole segment (term, level) adds the same q * level to every document
// in it. The segments with the largest contributions are visited, up to a budget of postings: the
// small contributions it skips are those of common words in photos with many words, which rarely
// decide who is in the top few hundred. Scores add up as 16-bit whole numbers (JASS does the same).
// Stage 2: the best `candidates` documents of stage 1 are re-scored exactly from a forward index
// (each document's words and counts), so the scores a user sees are exact cosines.
//
// Memory: 4 bytes a posting in the inverted lists (document index; the level is implicit in the
// segment) plus 3 bytes a posting in the forward index (a 16-bit word slot and an 8-bit log-count
// code), so about 7 bytes a posting: 100,000 photos x 740 words ~ 500 MB (bench: 503 MB).

import type { Bag } from '../common/types.js';
import type { DocBagSource } from './inverted-index.js';
import { scoreBuffer, type ScoredIndex } from './scorers/scorer.js';
import { tfidfIdf } from './scorers/tfidf.js';

/** Levels a posting's weight is quantized to. */
const LEVELS = 256;
/**
 * Stage 1 adds whole numbers into 16-bit accumulators: a query's contributions are scaled so that
 * the largest score any document can reach stays below this (see firstStage). At 1,000,000 photos
 * the accumulators are then 2 MB instead of 4, about a core's L2 cache, and an integer add is
 * cheaper than float32's load-convert-add-convert-store: the same postings took 56 instead of
 * 105 ms (bench/experiments/query-accumulators.ts).
 */
const ACC_MAX = 65000;
/**
 * tf' = 1 + ln(tf) is stored as round(tf' * TF_SCALE) in a byte: tf up to e^(255/28 - 1) ~ 3,300
 * is kept to 0.2%, larger counts are clamped (a 17 x 17 grid with k=3 gives at most 2,601).
 */
const TF_SCALE = 28;

/** The byte a count is stored as; documents and queries both go through it, so self-similarity is 1. */
function tfCode(tf: number): number {
  return Math.min(255, Math.max(1, Math.round((1 + Math.log(tf)) * TF_SCALE)));
}

/**
 * Adds c to the accumulator of every document in docs[start, end). A function of its own, called
 * with the same array types every time: V8 compiles this loop tighter than inside firstStage.
 */
function accumulate(acc: Uint16Array, docs: Uint32Array, start: number, end: number, c: number): void {
  for (let p = start; p < end; p++) acc[docs[p]] += c;
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

export interface ImpactSearchOptions {
  /** How many results to return, best first. */
  k: number;
  /** Documents re-scored exactly in stage 2 (default 500). */
  candidates?: number;
  /**
   * Share of the query's postings stage 1 may visit, highest contributions first (default 0.1:
   * on the dev set 0.1 and 1 give the same mAP to 0.001, docs/EVAL.md).
   * 1 visits everything: stage 1 is then exhaustive up to the 8-bit quantization.
   */
  budget?: number;
  /** A document index to leave out of the results (the query itself, for "more like this"). */
  exclude?: number;
  /** More document indices to leave out (photos removed or re-indexed since the index was built). */
  skip?: ArrayLike<number>;
  /**
   * Average query expansion: search again with the query plus its top `m` results' vectors,
   * each weighted by similarity^`a` (pseudo-relevance feedback; about twice the query time).
   */
  expand?: { m: number; a: number };
}

export const DEFAULT_CANDIDATES = 500;
export const DEFAULT_BUDGET = 0.1;

export interface ImpactSearchStats {
  /** Postings of all the query's words: what an exhaustive scan would visit. */
  queryPostings: number;
  /** Postings stage 1 visited. */
  visited: number;
}

export class ImpactIndex {
  readonly n: number;
  /** Document index -> caller's id. */
  readonly ids: Float64Array;
  /** Slot -> term id, ascending. */
  readonly terms: Uint32Array;
  /** Slot -> idf. */
  readonly idf: Float32Array;
  /** Slot -> df. */
  readonly df: Uint32Array;
  /** Document -> 1 / L2 norm of its tf-idf vector. */
  readonly invDocNorm: Float32Array;
  /** Segments of slot s are [segOffsets[s], segOffsets[s+1]), level descending. */
  private readonly segOffsets: Uint32Array;
  private readonly segLevel: Uint8Array;
  /** Postings of segment g are docs[segStart[g] .. segStart[g+1]). */
  private readonly segStart: Uint32Array;
  private readonly docs: Uint32Array;
  /** Level -> the weight it stands for. */
  private readonly levelWeight: Float32Array;
  /** Forward index: words of document d are fwd*[fwdOffsets[d] .. fwdOffsets[d+1]). */
  private readonly fwdOffsets: Float64Array;
  private readonly fwdSlots: Uint16Array | Uint32Array;
  private readonly fwdTf: Uint8Array;
  private readonly tfTable: Float32Array;
  private readonly slotByTerm: Map<number, number> | Int32Array;
  // Per-query scratch, kept to avoid allocating n-sized arrays per query.
  private readonly acc: Uint16Array;
  /** The score count stage 1's candidate selection sorts acc into (one bin a 16-bit value). */
  private readonly histogram = new Uint32Array(ACC_MAX + 1);
  private readonly qdense: Float32Array;

  private constructor(p: ImpactIndexParts) {
    this.n = p.ids.length;
    this.ids = p.ids;
    this.terms = p.terms;
    this.idf = p.idf;
    this.df = p.df;
    this.invDocNorm = p.invDocNorm;
    this.segOffsets = p.segOffsets;
    this.segLevel = p.segLevel;
    this.segStart = p.segStart;
    this.docs = p.docs;
    this.levelWeight = p.levelWeight;
    this.fwdOffsets = p.fwdOffsets;
    this.fwdSlots = p.fwdSlots;
    this.fwdTf = p.fwdTf;
    this.tfTable = new Float32Array(256);
    for (let c = 0; c < 256; c++) this.tfTable[c] = c / TF_SCALE;
    const T = p.terms.length;
    const maxTerm = T > 0 ? p.terms[T - 1] : -1;
    if (maxTerm < 2 ** 24) {
      const m = new Int32Array(maxTerm + 1).fill(-1);
      for (let s = 0; s < T; s++) m[p.terms[s]] = s;
      this.slotByTerm = m;
    } else {
      this.slotByTerm = new Map(Array.from(p.terms, (t, s) => [t, s]));
    }
    this.acc = new Uint16Array(this.n);
    this.qdense = new Float32Array(T);
  }

  /** The arrays the index is made of (shared, not copied): for postMessage with them as transferables. */
  toParts(): ImpactIndexParts {
    const { ids, terms, idf, df, invDocNorm, segOffsets, segLevel, segStart, docs, levelWeight, fwdOffsets, fwdSlots, fwdTf } = this;
    return { ids, terms, idf, df, invDocNorm, segOffsets, segLevel, segStart, docs, levelWeight, fwdOffsets, fwdSlots, fwdTf };
  }

  /** The buffers of toParts(), for postMessage's transfer list. */
  static transferables(parts: ImpactIndexParts): ArrayBuffer[] {
    return [...new Set(Object.values(parts).map((a: ArrayBufferView) => a.buffer as ArrayBuffer))];
  }

  /** An index from toParts() (e.g. built in a worker thread and posted back). */
  static fromParts(parts: ImpactIndexParts): ImpactIndex {
    return new ImpactIndex(parts);
  }

  /** Smooth idf of a word the index has never seen (df 0 at its N): what queries and outside bags weigh it with. */
  get unseenIdf(): number {
    return tfidfIdf(0, this.n);
  }

  /** Total postings. */
  get postings(): number {
    return this.docs.length;
  }

  /** Bytes held by the index's arrays (what a library of this size costs in memory). */
  get memoryBytes(): number {
    return [
      this.ids,
      this.terms,
      this.idf,
      this.df,
      this.invDocNorm,
      this.segOffsets,
      this.segLevel,
      this.segStart,
      this.docs,
      this.fwdOffsets,
      this.fwdSlots,
      this.fwdTf,
      this.acc,
      this.histogram,
      this.qdense,
    ].reduce((a, x) => a + x.byteLength, 0);
  }

  slotOf(term: number): number {
    const m = this.slotByTerm;
    if (m instanceof Int32Array) return term < m.length ? m[term] : -1;
    return m.get(term) ?? -1;
  }

  /**
   * Build from bags (sublinear tf-idf, the default scorer). The source is read twice: once for
   * document frequencies, once to fill the forward index; everything after works from that.
   */
  static build(source: DocBagSource): ImpactIndex {
    const open = typeof source === 'function' ? source : () => source;
    // Pass 1: document frequencies over term ids, and the document count.
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

    // Pass 2: forward index (slot, tf code) per document, and document norms from the same codes
    // so that stage 2's cosines are exact for what is stored.
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
    return new ImpactIndex({
      ids: Float64Array.from(ids),
      terms,
      idf,
      df,
      invDocNorm,
      segOffsets,
      segLevel,
      segStart,
      docs,
      levelWeight,
      fwdOffsets,
      fwdSlots,
      fwdTf,
    });
  }

  /**
   * Query weights by slot; unknown terms only add to the query norm (they are part of what the
   * photo looks like, but no document shares them).
   */
  private weigh(query: Bag): { slots: Int32Array; qw: Float32Array; invQ: number } {
    const { terms: qt, tfs: qf } = query;
    const slots = new Int32Array(qt.length);
    const qw = new Float32Array(qt.length);
    const unseen = this.unseenIdf;
    let m = 0;
    let norm2 = 0;
    for (let i = 0; i < qt.length; i++) {
      if (!(qf[i] > 0)) continue;
      const tf = tfCode(qf[i]) / TF_SCALE;
      const s = this.slotOf(qt[i]);
      const w = tf * (s >= 0 ? this.idf[s] : unseen);
      norm2 += w * w;
      if (s < 0) continue;
      slots[m] = s;
      qw[m++] = w;
    }
    return { slots: slots.subarray(0, m), qw: qw.subarray(0, m), invQ: norm2 > 0 ? 1 / Math.sqrt(norm2) : 0 };
  }

  /**
   * Stage 1: the budgeted estimate into this.acc (and what it visited into stats). `invQ` is
   * 1 / the query's norm: no document can score more than that norm, which sets the scale.
   */
  private firstStage(slots: Int32Array, qw: Float32Array, invQ: number, budget: number, stats?: ImpactSearchStats): void {
    const acc = this.acc;
    acc.fill(0);
    const { segOffsets, segLevel, segStart, docs, levelWeight } = this;
    const m = slots.length;
    let queryPostings = 0;
    for (let i = 0; i < m; i++) {
      const s = slots[i];
      queryPostings += segStart[segOffsets[s + 1]] - segStart[segOffsets[s]];
    }
    // Which segments the budget reaches, largest contribution q * levelWeight first. Levels are
    // log-spaced, so in log space a contribution is level + shift(q): an integer key up to
    // rounding, and a count of postings per key finds where the budget runs out in linear time.
    const step = LEVELS > 1 ? Math.log(levelWeight[1] / levelWeight[0]) : 1;
    let minShift = Infinity;
    const shift = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      shift[i] = Math.round(Math.log(qw[i]) / step);
      if (shift[i] < minShift) minShift = shift[i];
    }
    const keys = LEVELS + 1 + (m > 0 ? Math.max(...shift) - minShift : 0);
    // Postings per key, key 0 holding the largest contributions.
    const bucketPostings = new Float64Array(keys);
    for (let i = 0; i < m; i++) {
      const s = slots[i];
      const sh = shift[i] - minShift;
      for (let g = segOffsets[s]; g < segOffsets[s + 1]; g++) bucketPostings[keys - 1 - (segLevel[g] + sh)] += segStart[g + 1] - segStart[g];
    }
    // The key where the budget runs out: every segment of a smaller key is visited, and of that
    // key's segments those met first, query word by query word, until the budget is spent.
    const limit = budget >= 1 ? Infinity : Math.max(1, Math.ceil(budget * queryPostings));
    let cut = 0;
    let before = 0;
    while (cut < keys && before + bucketPostings[cut] < limit) before += bucketPostings[cut++];
    let remaining = limit - before;
    // A document's estimate is sum q_i * w~_i over its shared words, where w~ is its weight w
    // rounded to a level (at most half a level's step above w). By Cauchy-Schwarz sum q_i * w_i
    // <= |q| |d| = |q|, so no estimate exceeds |q| * e^(step / 2), and with each contribution
    // rounded down the sums stay below ACC_MAX: no accumulator can wrap.
    const scale = invQ > 0 && Number.isFinite(invQ) ? (ACC_MAX * invQ) / (Math.exp(step / 2) * 1.001) : 0;
    // The sum does not depend on the order the segments are added in (whole numbers), so they
    // are visited word by word: a word's visited segments are the first of its list (levels
    // descend, so keys ascend) and lie next to each other in docs. Visiting them in order of
    // contribution instead jumped across the whole postings array once a segment (about 60
    // postings each at 100,000 photos): a cache and TLB miss each, a third of stage 1's time.
    let visited = 0;
    for (let i = 0; i < m; i++) {
      const s = slots[i];
      const sh = shift[i] - minShift;
      const q = qw[i] * scale;
      for (let g = segOffsets[s], gEnd = segOffsets[s + 1]; g < gEnd; g++) {
        const key = keys - 1 - (segLevel[g] + sh);
        if (key > cut) break;
        const start = segStart[g];
        const end = segStart[g + 1];
        if (key === cut) {
          if (remaining <= 0) break;
          remaining -= end - start;
        }
        visited += end - start;
        // Contributions too small to count at this scale (the tail of a long budget) add nothing.
        const c = Math.floor(q * levelWeight[segLevel[g]]);
        if (c > 0) accumulate(acc, docs, start, end, c);
      }
    }
    if (stats) {
      stats.queryPostings = queryPostings;
      stats.visited = visited;
    }
  }

  /** Document index of photo `id`, or -1 (ids ascend: they are built in id order). */
  indexOf(id: number): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid] === id) return mid;
      if (ids[mid] < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * Exact cosine between two indexed documents, from the forward index alone (no bags read):
   * what stage 2 would give one of them as the query of the other. Duplicate finding checks
   * hundreds of thousands of pairs this way at 100,000 photos.
   */
  cosineBetween(a: number, b: number): number {
    const { fwdOffsets, fwdSlots, fwdTf, tfTable, qdense, idf } = this;
    for (let p = fwdOffsets[a], end = fwdOffsets[a + 1]; p < end; p++) {
      const s = fwdSlots[p];
      qdense[s] = tfTable[fwdTf[p]] * idf[s] * idf[s];
    }
    let dot = 0;
    for (let p = fwdOffsets[b], end = fwdOffsets[b + 1]; p < end; p++) dot += qdense[fwdSlots[p]] * tfTable[fwdTf[p]];
    for (let p = fwdOffsets[a], end = fwdOffsets[a + 1]; p < end; p++) qdense[fwdSlots[p]] = 0;
    return dot * this.invDocNorm[a] * this.invDocNorm[b];
  }

  /** Exact cosine of the query (already weighed into qdense) with document d. */
  private exact(d: number, invQ: number): number {
    const { fwdOffsets, fwdSlots, fwdTf, tfTable, qdense } = this;
    let dot = 0;
    for (let p = fwdOffsets[d], end = fwdOffsets[d + 1]; p < end; p++) dot += qdense[fwdSlots[p]] * tfTable[fwdTf[p]];
    return dot * this.invDocNorm[d] * invQ;
  }

  private rerank(slots: Int32Array, qw: Float32Array, invQ: number, cands: ScoredIndex[]): ScoredIndex[] {
    const qdense = this.qdense;
    // The document side is tf' * idf / |d|; folding idf into the query side leaves one multiply.
    for (let i = 0; i < slots.length; i++) qdense[slots[i]] = qw[i] * this.idf[slots[i]];
    const out = cands.map((c) => ({ index: c.index, score: this.exact(c.index, invQ) }));
    for (let i = 0; i < slots.length; i++) qdense[slots[i]] = 0;
    out.sort((a, b) => b.score - a.score || a.index - b.index);
    return out;
  }

  /** Stage 1 and 2 for weighed query terms: the candidates, re-scored exactly, best first. */
  private run(slots: Int32Array, qw: Float32Array, invQ: number, R: number, opts: Omit<ImpactSearchOptions, 'k'>, stats?: ImpactSearchStats): ScoredIndex[] {
    this.firstStage(slots, qw, invQ, opts.budget ?? DEFAULT_BUDGET, stats);
    if (opts.skip) for (let i = 0; i < opts.skip.length; i++) this.acc[opts.skip[i]] = 0;
    return this.rerank(slots, qw, invQ, this.candidates(R, opts.exclude ?? -1));
  }

  /**
   * The R documents with the highest stage-1 estimate above 0 (ties: the lower index), in no
   * particular order. The estimates are 16-bit counts, so one counting pass finds the threshold
   * and a second collects: 0.4 ms at 100,000 photos where a heap over every document took 0.7
   * (bench/experiments/query-stages.ts), 3 ms at 1,000,000.
   */
  private candidates(R: number, exclude: number): ScoredIndex[] {
    const { acc, histogram, n } = this;
    histogram.fill(0);
    for (let d = 0; d < n; d++) histogram[acc[d]]++;
    if (exclude >= 0 && exclude < n) histogram[acc[exclude]]--;
    // The threshold t (at least 1, so a score of 0 never counts): documents above it are fewer
    // than R, with it R or more (or all there are).
    let above = 0;
    let t = ACC_MAX;
    while (t > 1 && above + histogram[t] < R) above += histogram[t--];
    let ties = R - above;
    const out: ScoredIndex[] = [];
    for (let d = 0; d < n && out.length < R; d++) {
      const v = acc[d];
      if (d !== exclude && (v > t || (v === t && ties-- > 0))) out.push({ index: d, score: v });
    }
    return out;
  }

  /**
   * The expanded query of average query expansion: the query's unit vector plus the unit vectors
   * of its best results weighted by similarity^a (a result identical to the query stands for it,
   * so an indexed photo is not counted twice).
   */
  private expandQuery(slots: Int32Array, qw: Float32Array, invQ: number, ranked: ScoredIndex[], m: number, a: number) {
    const { qdense, fwdOffsets, fwdSlots, fwdTf, tfTable, idf, invDocNorm } = this;
    const touched: number[] = [];
    const add = (s: number, w: number) => {
      if (qdense[s] === 0) touched.push(s);
      qdense[s] += w;
    };
    const top = ranked.slice(0, m);
    if (!(top.length > 0 && top[0].score > 0.9999)) for (let i = 0; i < slots.length; i++) add(slots[i], qw[i] * invQ);
    for (const r of top) {
      const f = Math.max(0, r.score) ** a * invDocNorm[r.index];
      for (let p = fwdOffsets[r.index]; p < fwdOffsets[r.index + 1]; p++) add(fwdSlots[p], f * tfTable[fwdTf[p]] * idf[fwdSlots[p]]);
    }
    touched.sort((x, y) => x - y);
    const xs = Int32Array.from(touched);
    const ws = new Float32Array(xs.length);
    let norm2 = 0;
    for (let i = 0; i < xs.length; i++) {
      ws[i] = qdense[xs[i]];
      qdense[xs[i]] = 0;
      norm2 += ws[i] * ws[i];
    }
    return { slots: xs, qw: ws, invQ: norm2 > 0 ? 1 / Math.sqrt(norm2) : 0 };
  }

  private ranked(query: Bag, R: number, opts: Omit<ImpactSearchOptions, 'k'>, stats?: ImpactSearchStats): ScoredIndex[] {
    const { slots, qw, invQ } = this.weigh(query);
    const first = this.run(slots, qw, invQ, R, opts, stats);
    if (!opts.expand) return first;
    const e = this.expandQuery(slots, qw, invQ, first, opts.expand.m, opts.expand.a);
    return this.run(e.slots, e.qw, e.invQ, R, opts);
  }

  /** The k most similar documents, best first, with exact TF-IDF cosines. */
  search(query: Bag, opts: ImpactSearchOptions, stats?: ImpactSearchStats): ScoredIndex[] {
    const R = Math.max(opts.k, opts.candidates ?? DEFAULT_CANDIDATES);
    return this.ranked(query, R, opts, stats).slice(0, opts.k);
  }

  /**
   * The k documents most similar to indexed document `d`, weighed from the forward index: what
   * search() gives for its bag, without reading or weighing the bag (duplicate finding asks this
   * for every photo of the library).
   */
  searchDoc(d: number, opts: ImpactSearchOptions): ScoredIndex[] {
    const { fwdOffsets, fwdSlots, fwdTf, tfTable, idf } = this;
    const from = fwdOffsets[d];
    const n = fwdOffsets[d + 1] - from;
    const slots = new Int32Array(n);
    const qw = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const sl = fwdSlots[from + i];
      slots[i] = sl;
      qw[i] = tfTable[fwdTf[from + i]] * idf[sl];
    }
    const R = Math.max(opts.k, opts.candidates ?? DEFAULT_CANDIDATES);
    return this.run(slots, qw, this.invDocNorm[d], R, opts).slice(0, opts.k);
  }

  /**
   * A score for every document, for evaluation: the stage-2 candidates get 1 + their exact cosine,
   * so they rank first in exact order, and the rest keep their stage-1 estimate (below 1), which
   * is the order a user scrolling past the candidates would see.
   */
  scoreAll(query: Bag, out?: Float32Array, opts: Omit<ImpactSearchOptions, 'k'> = {}): Float32Array {
    const res = scoreBuffer(this.n, out);
    const ranked = this.ranked(query, opts.candidates ?? DEFAULT_CANDIDATES, opts);
    // acc holds the stage-1 estimate of the last run; scaled into [0, 1) below every candidate.
    const acc = this.acc;
    let max = 0;
    for (let d = 0; d < this.n; d++) if (acc[d] > max) max = acc[d];
    const scale = max > 0 ? 0.999 / max : 0;
    for (let d = 0; d < this.n; d++) res[d] = acc[d] * scale;
    for (const c of ranked) res[c.index] = 1 + c.score;
    return res;
  }
}
