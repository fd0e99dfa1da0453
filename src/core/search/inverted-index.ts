// In-memory inverted index over the stored bags, in CSR (compressed sparse row) form.
//
// The store keeps one bag per photo (a forward index); every query needs the reverse: for each
// query word, which photos have it and how often. Rebuilding it at startup from the bags is a
// couple of seconds for a few thousand photos, and avoids a billion-row posting table on disk.
//
// Memory: 8 bytes per posting (Int32 doc index + Float32 tf) in two flat typed arrays, plus
// 12 bytes per distinct term (term id, offset, df), 16 bytes per document, and a term -> slot
// lookup of 4 bytes per possible term id when the term space is at most 2^24 ids. So 4,400 photos
// x 4,000 words = 17.6M postings take ~140 MB. The build briefly also needs 4 bytes per possible
// term id for counting. Beyond ~100M postings (800 MB: e.g. 100,000 photos with 1,000 words each,
// or 25,000 photos with 4,000) this flat layout stops being reasonable on a laptop; larger
// libraries would need compressed postings or a coarser vocabulary (smaller k or codebook).
// No per-term JS objects or arrays: that would cost ~10x more and pressure the GC.

import type { Bag } from '../common/types.js';

export interface DocBag {
  id: number;
  bag: Bag;
}

/**
 * Documents for a build: an array, or a function returning a fresh iterator each time it is
 * called. The function form lets the build stream bags from the store twice (count pass, fill
 * pass) without ever holding all bags in memory alongside the index.
 */
export type DocBagSource = readonly DocBag[] | (() => Iterable<DocBag>);

// Largest term id the build accepts: its counting scratch is dense over term ids. Term spaces
// from realistic settings (heads*k*k*codes, e.g. 16*4*4*65536 = 16.8M) are well below this.
const MAX_TERM_ID = 2 ** 28;
// Up to this term space the index keeps a dense term -> slot table (<= 64 MB) for O(1) lookups;
// above it, lookups binary-search the sorted term list.
const DENSE_LOOKUP_LIMIT = 2 ** 24;

export class InvertedIndex {
  /** Number of documents (N). */
  readonly n: number;
  /** Document index (0..n-1, the position every score array uses) -> image id. */
  readonly ids: Float64Array;
  /** Slot -> term id, ascending. Slots are the CSR rows. */
  readonly terms: Uint32Array;
  /** Postings of slot s are [offsets[s], offsets[s+1]). Length terms.length + 1. */
  readonly offsets: Uint32Array;
  /** Posting -> document index; ascending within each slot. */
  readonly docs: Int32Array;
  /** Posting -> term frequency in that document. */
  readonly tfs: Float32Array;
  /** Slot -> number of documents containing the term. */
  readonly df: Uint32Array;
  /** Document -> sum of its term frequencies (BM25's document length). */
  readonly docLength: Float32Array;
  /** Document -> number of distinct terms (the set size Jaccard needs). */
  readonly docTerms: Uint32Array;
  readonly avgDocLength: number;
  private readonly slotByTerm: Int32Array | null;

  private constructor(parts: {
    ids: Float64Array;
    terms: Uint32Array;
    offsets: Uint32Array;
    docs: Int32Array;
    tfs: Float32Array;
    docLength: Float32Array;
    docTerms: Uint32Array;
    slotByTerm: Int32Array | null;
  }) {
    this.n = parts.ids.length;
    this.ids = parts.ids;
    this.terms = parts.terms;
    this.offsets = parts.offsets;
    this.docs = parts.docs;
    this.tfs = parts.tfs;
    this.docLength = parts.docLength;
    this.docTerms = parts.docTerms;
    this.slotByTerm = parts.slotByTerm;
    const T = parts.terms.length;
    this.df = new Uint32Array(T);
    for (let s = 0; s < T; s++) this.df[s] = parts.offsets[s + 1] - parts.offsets[s];
    let total = 0;
    for (let d = 0; d < this.n; d++) total += parts.docLength[d];
    this.avgDocLength = this.n > 0 ? total / this.n : 0;
  }

  /** Total number of postings. */
  get postings(): number {
    return this.docs.length;
  }

  /** CSR slot of a term id, or -1 if no document has it. */
  slotOf(term: number): number {
    const map = this.slotByTerm;
    if (map !== null) return term < map.length ? map[term] : -1;
    const t = this.terms;
    let lo = 0;
    let hi = t.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = t[mid];
      if (v < term) lo = mid + 1;
      else if (v > term) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  /**
   * Build with a count pass (df per term -> offsets) and a fill pass (write each posting at its
   * row's cursor). Documents are visited in order, so each posting list comes out sorted by
   * document index without any sort. Zero counts are not postings.
   */
  static build(source: DocBagSource): InvertedIndex {
    const open = typeof source === 'function' ? source : () => source;

    // Pass 1: per-term document counts, dense over term ids, grown as larger ids appear.
    let counts = new Uint32Array(1024);
    const ids: number[] = [];
    let maxTerm = -1;
    let total = 0;
    for (const { id, bag } of open()) {
      const { terms, tfs } = bag;
      if (terms.length !== tfs.length) throw new Error(`bag of image ${id} has ${terms.length} terms but ${tfs.length} counts`);
      ids.push(id);
      if (terms.length === 0) continue;
      const last = terms[terms.length - 1];
      if (last >= MAX_TERM_ID) throw new Error(`term id ${last} of image ${id} exceeds the supported term space (${MAX_TERM_ID})`);
      if (last >= counts.length) {
        let size = counts.length;
        while (size <= last) size *= 2;
        const grown = new Uint32Array(size);
        grown.set(counts);
        counts = grown;
      }
      let prev = -1;
      for (let i = 0; i < terms.length; i++) {
        const t = terms[i];
        // Sorted, unique terms are what makes df = posting-list length and the lists sorted.
        if (t <= prev) throw new Error(`bag of image ${id} is not strictly ascending at ${i}`);
        prev = t;
        if (tfs[i] > 0) {
          counts[t]++;
          total++;
        }
      }
      if (last > maxTerm) maxTerm = last;
    }
    const N = ids.length;
    if (total > 0xffffffff) throw new Error(`${total} postings exceed the index's 2^32 limit`);

    // Offsets: compact the dense counts into slots; reuse `counts` as term -> slot.
    let T = 0;
    for (let t = 0; t <= maxTerm; t++) if (counts[t] > 0) T++;
    const terms = new Uint32Array(T);
    const offsets = new Uint32Array(T + 1);
    const termToSlot = new Int32Array(counts.buffer, 0, maxTerm + 1); // same bytes, reinterpreted
    let slot = 0;
    let acc = 0;
    for (let t = 0; t <= maxTerm; t++) {
      const c = counts[t];
      if (c > 0) {
        terms[slot] = t;
        offsets[slot] = acc;
        acc += c;
        termToSlot[t] = slot++;
      } else {
        termToSlot[t] = -1;
      }
    }
    offsets[T] = acc;

    // Pass 2: fill.
    const docs = new Int32Array(total);
    const postTfs = new Float32Array(total);
    const cursor = offsets.slice(0, T);
    const docLength = new Float32Array(N);
    const docTerms = new Uint32Array(N);
    let d = 0;
    for (const { id, bag } of open()) {
      if (d >= N || ids[d] !== id) throw new Error('document source changed between the two build passes');
      const { terms: bt, tfs } = bag;
      let len = 0;
      let distinct = 0;
      for (let i = 0; i < bt.length; i++) {
        const tf = tfs[i];
        if (!(tf > 0)) continue;
        const t = bt[i];
        const s = t <= maxTerm ? termToSlot[t] : -1;
        if (s < 0) throw new Error('document source changed between the two build passes');
        const p = cursor[s]++;
        if (p >= offsets[s + 1]) throw new Error('document source changed between the two build passes');
        docs[p] = d;
        postTfs[p] = tf;
        len += tf;
        distinct++;
      }
      docLength[d] = len;
      docTerms[d] = distinct;
      d++;
    }
    if (d !== N) throw new Error('document source changed between the two build passes');
    for (let s = 0; s < T; s++) {
      if (cursor[s] !== offsets[s + 1]) throw new Error('document source changed between the two build passes');
    }

    const slotByTerm = maxTerm + 1 <= DENSE_LOOKUP_LIMIT ? termToSlot.slice() : null;
    return new InvertedIndex({
      ids: Float64Array.from(ids),
      terms,
      offsets,
      docs,
      tfs: postTfs,
      docLength,
      docTerms,
      slotByTerm,
    });
  }
}

/** Convenience alias of InvertedIndex.build. */
export function buildInvertedIndex(source: DocBagSource): InvertedIndex {
  return InvertedIndex.build(source);
}
