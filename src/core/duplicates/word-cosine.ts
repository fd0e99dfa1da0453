// The visual words' exact TF-IDF cosine of two photos, weighed as the query snapshot weighs them
// (idf from the snapshot, tf as the index codes it): what verifies a word pair, confirms a hash
// pair and scores the members of a group.
import { storedTf, type ImpactIndex } from '../search/impact-index.js';
import type { LiveIndex } from '../search/live-index.js';
import type { IndexStore } from '../index/store.js';
import type { Bag } from '../common/types.js';

/** A sorted sparse unit vector: a bag's terms and their weights. */
export interface Weighed {
  terms: Uint32Array;
  w: Float32Array;
}

/** A bag weighed as the snapshot's exact stage weighs it, as a sorted sparse unit vector (explain.ts splits its products over cells). */
export function weigh(snap: ImpactIndex, bag: Bag): Weighed {
  const order = Array.from({ length: bag.terms.length }, (_, i) => i).sort((a, b) => bag.terms[a] - bag.terms[b]);
  const terms: number[] = [];
  const w: number[] = [];
  let norm2 = 0;
  for (const i of order) {
    const tf = bag.tfs[i];
    if (!(tf > 0)) continue;
    const s = snap.slotOf(bag.terms[i]);
    const x = storedTf(tf) * (s >= 0 ? snap.idf[s] : snap.unseenIdf);
    terms.push(bag.terms[i]);
    w.push(x);
    norm2 += x * x;
  }
  const inv = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
  return { terms: Uint32Array.from(terms), w: Float32Array.from(w, (x) => x * inv) };
}

function dot(a: Weighed, b: Weighed): number {
  let s = 0;
  for (let i = 0, j = 0; i < a.terms.length && j < b.terms.length;) {
    if (a.terms[i] === b.terms[j]) s += a.w[i++] * b.w[j++];
    else if (a.terms[i] < b.terms[j]) i++;
    else j++;
  }
  return s;
}

/** Exact TF-IDF cosine of two bags as the snapshot weighs them (idf from the snapshot, tf as the index codes it). */
export function exactCosine(snap: ImpactIndex, a: Bag, b: Bag): number {
  return dot(weigh(snap, a), weigh(snap, b));
}

/** Pairs' exact cosines over one search's snapshot. */
export class PairCosines {
  // Weighed bags, kept for the photos of the last few thousand checks only: all of them would be
  // 6 KB a photo.
  private weighed = new Map<number, Weighed>();
  /** cosinesFrom's snapshot indices (reused: it is asked a dozen at a time, 100,000 times at 100,000 photos). */
  private js = new Int32Array(16);

  constructor(
    private readonly store: IndexStore,
    private readonly live: LiveIndex,
    private readonly snap: ImpactIndex,
  ) {}

  private vec(id: number): Weighed {
    let v = this.weighed.get(id);
    if (!v) {
      const bag = this.store.getBag(id);
      v = bag ? weigh(this.snap, bag) : { terms: new Uint32Array(0), w: new Float32Array(0) };
      if (this.weighed.size >= 4096) this.weighed = new Map();
      this.weighed.set(id, v);
    }
    return v;
  }

  /**
   * A pair's exact cosine: from the query index's forward lists when both photos are in it (no
   * bags read), else from the stored bags.
   */
  cosine(a: number, b: number): number {
    return this.live.cosine(a, b) ?? dot(this.vec(a), this.vec(b));
  }

  /** cosine(a, bs[k]) for the first `count` of `bs` into `out`, scattering a's words once for all of them. */
  cosinesFrom(a: number, bs: ArrayLike<number>, count: number, out: Float32Array): void {
    const snap = this.live.snapshot();
    const { added, removed } = this.live.deltaSize;
    // With nothing added, re-indexed or removed since the snapshot, every photo in it is as the
    // snapshot holds it (cosine() then answers from the snapshot too); else pair by pair as cosine().
    if (added === 0 && removed === 0) {
      const i = snap.indexOf(a);
      if (this.js.length < count) this.js = new Int32Array(count);
      const js = this.js;
      let all = i >= 0;
      for (let k = 0; k < count && all; k++) all = (js[k] = snap.indexOf(bs[k])) >= 0;
      if (all) {
        snap.cosinesFrom(i, js, count, out);
        if (!this.live.persisted?.failedAfterLoad(snap)) return;
      }
    }
    for (let k = 0; k < count; k++) out[k] = this.cosine(a, bs[k]);
  }

  /** Lets the bags weighed so far go (the word search is done; later checks need few). */
  clear(): void {
    this.weighed.clear();
  }
}
