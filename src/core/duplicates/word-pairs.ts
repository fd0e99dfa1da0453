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
import type { ImpactIndex } from '../search/impact-index.js';
import type { IndexStore } from '../index/store.js';
import { keyCandidates } from './word-candidates.js';
import { BagKeyer, THREADED_FROM } from './word-keys.js';
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

  /**
   * Keys the photos of `store` that `include` accepts, weighed with the snapshot's idf; past
   * `threadedFrom` photos on a worker thread beside this one (word-keys.ts), the same keys.
   */
  static fromStore(store: IndexStore, snap: ImpactIndex, include: (id: number) => boolean, keyWords = KEY_WORDS, threadedFrom = THREADED_FROM): KeyWordIndex {
    const x = new KeyWordIndex(keyWords);
    if (!x.fill(store, snap, include, threadedFrom)) {
      x.ids.length = 0;
      x.fill(store, snap, include, Infinity);
    }
    return x;
  }

  /** False when the worker failed (then nothing is kept: key again with threadedFrom = Infinity). */
  private fill(store: IndexStore, snap: ImpactIndex, include: (id: number) => boolean, threadedFrom: number): boolean {
    const m = this.m;
    // Dense word numbers in order of first use: an array for words below 2^16 (all of them in the
    // libraries measured), a map above; a map alone cost 6.4 million lookups at 100,000 photos.
    const denseLow = new Int32Array(1 << 16).fill(-1);
    const denseHigh = new Map<number, number>();
    let words = 0;
    let keys: Int32Array = sharedInt32(1024 * m);
    let keyW: Float32Array = sharedFloat32(1024 * m);
    const room = (photos: number) => {
      while (photos * m > keys.length) {
        keys = growShared(keys, keys.length * 2);
        keyW = growShared(keyW, keyW.length * 2);
      }
    };
    // A photo's first `size` keys, as words, to dense word numbers (the rest are -1 already).
    const renumber = (at: number, size: number) => {
      for (let k = 0; k < size; k++) {
        const term = keys[at + k];
        let t = term >= 0 && term < denseLow.length ? denseLow[term] : (denseHigh.get(term) ?? -1);
        if (t < 0) {
          t = words++;
          if (term >= 0 && term < denseLow.length) denseLow[term] = t;
          else denseHigh.set(term, t);
        }
        keys[at + k] = t;
      }
    };
    let n = 0;
    // Photos whose keys are in place (those keyed on the worker come back later, in order).
    let placed = 0;
    const place = (bk: Int32Array, bw: Float32Array, count: number) => {
      room(placed + count);
      keys.set(bk.subarray(0, count * m), placed * m);
      keyW.set(bw.subarray(0, count * m), placed * m);
      // Words from the worker are below 2^16, so -1 marks the first missing key.
      for (let q = 0; q < count; q++, placed++) {
        const missing = bk.subarray(q * m, q * m + m).indexOf(-1);
        renumber(placed * m, missing < 0 ? m : missing);
      }
    };
    const keyer = new BagKeyer(snap, m, threadedFrom);
    try {
      for (const { id, bag } of store.iterBags()) {
        if (!include(id)) continue;
        const size = keyer.add(bag.terms, bag.tfs, () => (room(n + 1), { keys, keyW, at: n * m }));
        if (size !== undefined) {
          renumber(n * m, size);
          placed = n + 1;
        }
        this.ids.push(id);
        n++;
        keyer.take(false, place);
        if (!keyer.ok) return false;
      }
      keyer.take(true, place);
      if (!keyer.ok) return false;
    } finally {
      keyer.close();
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
    return true;
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
