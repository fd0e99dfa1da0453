// Candidate pairs for the visual-word links, in time that grows with the library's size rather
// than its square: duplicates need each photo's few neighbours above a cosine floor, not a ranking
// of the library for every photo.
//
// Each photo is keyed by its KEY_WORDS heaviest words (TF-IDF weight as the query index weighs
// them: rare words first), and two photos are candidates when they share key words; their partial
// dot product over the shared keys orders each photo's candidates, and the best CANDIDATES of them
// get the exact cosine (the query index's forward lists). A copy at the sensitivity shares most of
// its heaviest words with its original, so it is found through them; two unrelated photos share
// few. A query per photo on the query path (what this replaces) cleared and scanned an accumulator
// of every photo for each one, N^2 in all: 132 s of 164 at 100,000 photos. Figures and the choice
// of the two constants: docs/DUPLICATES.md#scale.
import { storedTf, type ImpactIndex } from '../search/impact-index.js';
import type { IndexStore } from '../index/store.js';
import { keyCandidates } from './word-candidates.js';
import { growShared, sharedFloat32, sharedInt32, sortListsByWeight } from './word-lists.js';

/** Heaviest words a photo is keyed by. */
export const KEY_WORDS = 64;
/**
 * Longest key word list gone through whole. A word keys more photos as the library grows (its
 * document frequency does), so whole lists cost N^2 (33 s of CPU at 100,000 synthetic photos
 * against 0.4 at 10,000); a longer list is ordered by the word's weight and each photo meets
 * only the LIST_WINDOW photos on either side, those holding the word about as heavily: a copy
 * holds its original's heaviest words about as heavily.
 */
export const LIST_WINDOW = 48;
/** Candidates per photo (those sharing the most key weight) whose exact cosine is computed. */
export const KEY_CANDIDATES = 12;

/** Photos keyed by their heaviest words, and the lists of photos each key word keys. */
export class KeyWordIndex {
  /** Photo index -> id. */
  readonly ids: number[] = [];
  private readonly m: number;
  /** Per photo, m key words (dense word numbers, -1 for none) and their weights in the unit vector. */
  private keys: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private keyW: Float32Array<ArrayBufferLike> = new Float32Array(0);
  /** Where photo i's k-th key sits in its word's list. */
  private pos: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** Per word, the photos it keys (ascending) and their weights: listDocs[listStart[t] .. listStart[t + 1]). */
  private listStart: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private listDocs: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private listW: Float32Array<ArrayBufferLike> = new Float32Array(0);

  constructor(keyWords = KEY_WORDS) {
    this.m = keyWords;
  }

  /** Keys the photos of `store` that `include` accepts, weighed with the snapshot's idf. */
  static fromStore(store: IndexStore, snap: ImpactIndex, include: (id: number) => boolean, keyWords = KEY_WORDS): KeyWordIndex {
    const x = new KeyWordIndex(keyWords);
    x.fill(store, snap, include);
    return x;
  }

  private fill(store: IndexStore, snap: ImpactIndex, include: (id: number) => boolean): void {
    const m = this.m;
    // Dense word numbers in order of first use: an array for words below 2^16 (all of them in the
    // libraries measured), a map above; a map alone cost 6.4 million lookups at 100,000 photos.
    const denseLow = new Int32Array(1 << 16).fill(-1);
    const denseHigh = new Map<number, number>();
    let words = 0;
    let keys: Int32Array = sharedInt32(1024 * m);
    let keyW: Float32Array = sharedFloat32(1024 * m);
    const heapW = new Float32Array(m);
    const heapT = new Int32Array(m);
    const unseen = snap.unseenIdf;
    const idfOf = new Float32Array(1 << 16);
    const tfOf = new Float32Array(1024);
    let n = 0;
    for (const { id, bag } of store.iterBags()) {
      if (!include(id)) continue;
      if ((n + 1) * m > keys.length) {
        keys = growShared(keys, keys.length * 2);
        keyW = growShared(keyW, keyW.length * 2);
      }
      // The m heaviest words by a min-heap; the norm over all words.
      let size = 0;
      let norm2 = 0;
      const { terms, tfs } = bag;
      for (let i = 0; i < terms.length; i++) {
        const tf = tfs[i];
        if (!(tf > 0)) continue;
        const term = terms[i];
        // idf and tf' looked up once a word and a count, not for each of a million bags' words.
        let idf = term < idfOf.length ? idfOf[term] : 0;
        if (idf === 0) {
          const s = snap.slotOf(term);
          idf = s >= 0 ? snap.idf[s] : unseen;
          if (term < idfOf.length) idfOf[term] = idf;
        }
        let tfw = tf < tfOf.length && tf === Math.floor(tf) ? tfOf[tf] : 0;
        if (tfw === 0) {
          tfw = storedTf(tf);
          if (tf < tfOf.length && tf === Math.floor(tf)) tfOf[tf] = tfw;
        }
        const w = tfw * idf;
        norm2 += w * w;
        if (size < m) {
          heapW[size] = w;
          heapT[size] = term;
          siftUp(heapW, heapT, size++);
        } else if (w > heapW[0]) {
          heapW[0] = w;
          heapT[0] = term;
          siftDown(heapW, heapT, m);
        }
      }
      const inv = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
      for (let k = 0; k < m; k++) {
        if (k < size) {
          const term = heapT[k];
          let t = term >= 0 && term < denseLow.length ? denseLow[term] : (denseHigh.get(term) ?? -1);
          if (t < 0) {
            t = words++;
            if (term >= 0 && term < denseLow.length) denseLow[term] = t;
            else denseHigh.set(term, t);
          }
          keys[n * m + k] = t;
          keyW[n * m + k] = heapW[k] * inv;
        } else keys[n * m + k] = -1;
      }
      this.ids.push(id);
      n++;
    }
    this.keys = keys.subarray(0, n * m);
    this.keyW = keyW.subarray(0, n * m);
    // The lists, in photo order (CSR).
    const T = words;
    const start = sharedInt32(T + 1);
    for (let p = 0; p < n * m; p++) if (this.keys[p] >= 0) start[this.keys[p] + 1]++;
    for (let t = 0; t < T; t++) start[t + 1] += start[t];
    const fill = start.slice(0, T);
    const docs = sharedInt32(start[T]);
    const w = sharedFloat32(start[T]);
    const pos = sharedInt32(n * m).fill(-1);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < m; k++) {
        const t = this.keys[i * m + k];
        if (t < 0) continue;
        const at = fill[t]++;
        docs[at] = i;
        w[at] = this.keyW[i * m + k];
        pos[i * m + k] = at;
      }
    }
    // Long lists by weight, heaviest first (short ones stay in photo order): a typed sort of one
    // number an entry (the weight's bits, descending, then its place in the photo-ordered list),
    // not a comparator over arrays of boxed numbers (3 s at 100,000 photos, and the collector's).
    const where = new Int32Array(n * m).fill(-1);
    for (let p = 0; p < n * m; p++) if (pos[p] >= 0) where[pos[p]] = p;
    sortListsByWeight(start, docs, w, pos, where, LIST_WINDOW);
    this.listStart = start;
    this.listDocs = docs;
    this.listW = w;
    this.pos = pos;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Bytes held (what keying a library costs in memory). */
  get memoryBytes(): number {
    return [this.keys, this.keyW, this.pos, this.listStart, this.listDocs, this.listW].reduce((a, x) => a + x.byteLength, 0) + this.ids.length * 8;
  }

  /**
   * Calls `visit(a, b, shared)` (photo ids, a's index below b's; the dot product of their shared
   * key words) for each photo's best `candidates` later photos by it: every pair is offered at
   * most once.
   */
  pairs(candidates: number, visit: (a: number, b: number, shared: number) => void): void {
    this.candidatesOf(candidates, (a, bs, shared, count) => {
      for (let q = 0; q < count; q++) visit(a, bs[q], shared[q]);
    });
  }

  /**
   * The same pairs a photo at a time: `visit(a, bs, shared, count)` with a's best `count` later
   * photos (ids) and their shared key weight, best first (the arrays are reused: read them there).
   * Searched on `threads` worker threads beside this one (word-candidates.ts; default one a
   * core), the pairs in the same order as on one.
   */
  candidatesOf(candidates: number, visit: (a: number, bs: Int32Array, shared: Float32Array, count: number) => void, threads?: number): void {
    const { m, keys, keyW, pos, listStart, listDocs, listW, ids } = this;
    const bestIds = new Int32Array(candidates);
    const arrays = { n: ids.length, m, window: LIST_WINDOW, keys, keyW, pos, listStart, listDocs, listW };
    keyCandidates(
      arrays,
      candidates,
      (i, best, shared, count) => {
        for (let q = 0; q < count; q++) bestIds[q] = ids[best[q]];
        visit(ids[i], bestIds, shared, count);
      },
      threads,
    );
  }
}

function siftUp(w: Float32Array, t: Int32Array, i: number): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (w[p] <= w[i]) return;
    swap(w, t, i, p);
    i = p;
  }
}

function siftDown(w: Float32Array, t: Int32Array, size: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let s = i;
    if (l < size && w[l] < w[s]) s = l;
    if (r < size && w[r] < w[s]) s = r;
    if (s === i) return;
    swap(w, t, i, s);
    i = s;
  }
}

function swap(w: Float32Array, t: Int32Array, i: number, j: number): void {
  const a = w[i];
  w[i] = w[j];
  w[j] = a;
  const b = t[i];
  t[i] = t[j];
  t[j] = b;
}
