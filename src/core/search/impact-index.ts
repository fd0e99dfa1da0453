// The query path for large libraries: TF-IDF cosine in two stages over impact-ordered postings.
//
// Why not a plain postings scan: visual words are common. A photo has hundreds of words and a
// query's words own a fifth to a third of all postings, so at a million photos one exhaustive
// query is far past an interactive budget (docs/EVAL.md, "The query path"), and no term is rare
// enough for MaxScore/WAND to skip much.
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
// The build and the postings layout (and what they cost in memory) are in impact-build.ts, stage 1
// in impact-stage1.ts; this class holds the arrays, weighs queries and runs stage 2.

import type { Bag } from '../common/types.js';
import type { DocBagSource } from './inverted-index.js';
import { scoreBuffer, type ScoredIndex } from './scorers/scorer.js';
import { tfidfIdf } from './scorers/tfidf.js';
import { TF_SCALE, buildImpactParts, tfCode, type ImpactBuildOptions, type ImpactIndexParts } from './impact-build.js';
import { ACC_MAX, firstStage, topCandidates, type ImpactSearchStats, type SegmentPostings } from './impact-stage1.js';
import { addScaled, clearDoc, countPostings, decodeDoc, dotDoc, forwardScan, scatterSquared } from './impact-forward.js';

export { storedTf, type ImpactBuildOptions, type ImpactIndexParts } from './impact-build.js';
export type { ImpactSearchStats } from './impact-stage1.js';

export interface ImpactSearchOptions {
  /** How many results to return, best first. */
  k: number;
  /** Documents re-scored exactly in stage 2 (default 500). */
  candidates?: number;
  /**
   * Share of the query's postings stage 1 may visit, highest contributions first (default 0.1:
   * on the dev set 0.1 and 1 give the same mAP to 0.001, docs/EVAL.md).
   * 1 is the exhaustive scan: every document's exact cosine, from the forward index.
   */
  budget?: number;
  /**
   * The most postings stage 1 visits whatever the budget's share comes to (default
   * DEFAULT_MAX_VISITED; not applied at budget 1, which stays exhaustive).
   */
  maxVisited?: number;
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
/** Why this cap: docs/EVAL.md, "Queries at a million photos" (below it up to about 100,000 photos). */
export const DEFAULT_MAX_VISITED = 2_000_000;

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
  /** Forward index: words of document d are coded in fwd[fwdOffsets[d] .. fwdOffsets[d+1]) (impact-forward.ts). */
  private readonly fwdOffsets: Float64Array;
  private readonly fwd: Uint8Array;
  /** Postings in all (the sum of df; the inverted lists may keep fewer). */
  private readonly total: number;
  private readonly tfTable: Float32Array;
  private readonly slotByTerm: Map<number, number> | Int32Array;
  /** The inverted lists, as stage 1 reads them. */
  private readonly segments: SegmentPostings;
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
    this.fwd = p.fwd;
    let total = 0;
    for (let s = 0; s < p.df.length; s++) total += p.df[s];
    this.total = total;
    this.segments = { segOffsets: p.segOffsets, segLevel: p.segLevel, segStart: p.segStart, docs: p.docs, levelWeight: p.levelWeight, df: p.df };
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
    const { ids, terms, idf, df, invDocNorm, segOffsets, segLevel, segStart, docs, levelWeight, fwdOffsets, fwd } = this;
    return { ids, terms, idf, df, invDocNorm, segOffsets, segLevel, segStart, docs, levelWeight, fwdOffsets, fwd };
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

  /** Total postings (every word of every document, whether its inverted list keeps it or not). */
  get postings(): number {
    return this.total;
  }

  /** Postings the inverted lists keep (impact-segments.ts). */
  get keptPostings(): number {
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
      this.levelWeight,
      this.fwdOffsets,
      this.fwd,
      this.tfTable,
      this.acc,
      this.histogram,
      this.qdense,
    ].reduce((a, x) => a + x.byteLength, 0);
  }

  /**
   * Build from bags (sublinear tf-idf, the default scorer); the source is read twice
   * (impact-build.ts).
   */
  static build(source: DocBagSource, opts?: ImpactBuildOptions): ImpactIndex {
    return new ImpactIndex(buildImpactParts(source, opts));
  }

  slotOf(term: number): number {
    const m = this.slotByTerm;
    if (m instanceof Int32Array) return term < m.length ? m[term] : -1;
    return m.get(term) ?? -1;
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
    const { fwdOffsets, fwd, tfTable, qdense, idf } = this;
    scatterSquared(fwd, fwdOffsets[a], fwdOffsets[a + 1], qdense, tfTable, idf);
    const dot = dotDoc(fwd, fwdOffsets[b], fwdOffsets[b + 1], qdense, tfTable);
    clearDoc(fwd, fwdOffsets[a], fwdOffsets[a + 1], qdense);
    return dot * this.invDocNorm[a] * this.invDocNorm[b];
  }

  /** Exact cosine of the query (already weighed into qdense) with document d. */
  private exact(d: number, invQ: number): number {
    return dotDoc(this.fwd, this.fwdOffsets[d], this.fwdOffsets[d + 1], this.qdense, this.tfTable) * this.invDocNorm[d] * invQ;
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
    const budget = opts.budget ?? DEFAULT_BUDGET;
    if (budget >= 1) this.exhaustive(slots, qw, invQ, stats);
    else firstStage(this.segments, this.acc, slots, qw, invQ, budget, stats, opts.maxVisited ?? DEFAULT_MAX_VISITED);
    if (opts.skip) for (let i = 0; i < opts.skip.length; i++) this.acc[opts.skip[i]] = 0;
    return this.rerank(slots, qw, invQ, topCandidates(this.acc, this.histogram, R, opts.exclude ?? -1));
  }

  /** Budget 1: every document's exact cosine into acc, from the forward index (the lists may not hold every posting). */
  private exhaustive(slots: Int32Array, qw: Float32Array, invQ: number, stats?: ImpactSearchStats): void {
    const qdense = this.qdense;
    for (let i = 0; i < slots.length; i++) qdense[slots[i]] = qw[i] * this.idf[slots[i]];
    forwardScan(this.fwd, this.fwdOffsets, this.invDocNorm, qdense, this.tfTable, invQ, this.acc, ACC_MAX);
    for (let i = 0; i < slots.length; i++) qdense[slots[i]] = 0;
    if (stats) {
      let all = 0;
      for (let i = 0; i < slots.length; i++) all += this.df[slots[i]];
      stats.queryPostings = all;
      stats.visited = all;
    }
  }

  /**
   * The expanded query of average query expansion: the query's unit vector plus the unit vectors
   * of its best results weighted by similarity^a (a result identical to the query stands for it,
   * so an indexed photo is not counted twice).
   */
  private expandQuery(slots: Int32Array, qw: Float32Array, invQ: number, ranked: ScoredIndex[], m: number, a: number) {
    const { qdense, fwdOffsets, fwd, tfTable, idf, invDocNorm } = this;
    const touched: number[] = [];
    const add = (s: number, w: number) => {
      if (qdense[s] === 0) touched.push(s);
      qdense[s] += w;
    };
    const top = ranked.slice(0, m);
    if (!(top.length > 0 && top[0].score > 0.9999)) for (let i = 0; i < slots.length; i++) add(slots[i], qw[i] * invQ);
    for (const r of top) {
      const f = Math.max(0, r.score) ** a * invDocNorm[r.index];
      addScaled(fwd, fwdOffsets[r.index], fwdOffsets[r.index + 1], qdense, tfTable, idf, f, touched);
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
    const { fwdOffsets, fwd, tfTable, idf } = this;
    const from = fwdOffsets[d];
    const end = fwdOffsets[d + 1];
    const n = countPostings(fwd, from, end);
    const slots = new Int32Array(n);
    const codes = new Uint8Array(n);
    decodeDoc(fwd, from, end, slots, codes);
    const qw = new Float32Array(n);
    for (let i = 0; i < n; i++) qw[i] = tfTable[codes[i]] * idf[slots[i]];
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

  /**
   * cosineBetween(a, bs[k]) for the first `count` of `bs` into `out`, from one scatter of a's
   * words: duplicate finding asks each photo's dozen candidates at once, and scattering a again
   * for every pair was two thirds of each cosine's cost.
   */
  cosinesFrom(a: number, bs: ArrayLike<number>, count: number, out: Float32Array): void {
    const { fwdOffsets, fwd, tfTable, qdense, idf, invDocNorm } = this;
    scatterSquared(fwd, fwdOffsets[a], fwdOffsets[a + 1], qdense, tfTable, idf);
    for (let k = 0; k < count; k++) {
      const b = bs[k];
      out[k] = dotDoc(fwd, fwdOffsets[b], fwdOffsets[b + 1], qdense, tfTable) * invDocNorm[a] * invDocNorm[b];
    }
    clearDoc(fwd, fwdOffsets[a], fwdOffsets[a + 1], qdense);
  }
}
