// Each photo's key words (word-pairs.ts): its KEY_WORDS heaviest words by TF-IDF weight, found
// by a min-heap over its bag, and their weights in its unit vector. At 100,000 photos this was
// ~2.6 s of the ~5 s that keying takes on the calling thread, beside 1.9 s of reading and
// decoding the bags there, with the second core idle. So past the first few thousand photos, the
// calling thread reads the bags and passes them on in batches, and a worker thread weighs them
// and keeps their heaviest words meanwhile, into shared memory; the calling thread takes each
// batch's keys back in photo order.
//
// One source for the weighing, in plain JavaScript (as word-candidates.ts): this thread compiles
// it too, so both run the same arithmetic, bit for bit as the loop it replaces: idf from the
// snapshot; a word the snapshot lacks gets unseenIdf the first time it is met and unseenIdf as a
// 32-bit float after (the cache the loop kept did that); tf' as the index codes the count. The
// worker knows words below 2^16 and whole counts below 2^16 only (every stored bag's counts are
// 16-bit); anything else, or a worker that fails or stalls, and the keying is done again here.
import { Worker } from 'node:worker_threads';
import { storedTf, type ImpactIndex } from '../search/impact-index.js';

/** Bags keyed on this thread before a worker is started (one takes tens of milliseconds to start). */
export const THREADED_FROM = 16_384;
/** Bags a batch. */
const BATCH = 512;
/** Batches passed on and not yet taken back, at most (what waits costs memory: ~3 MB a batch). */
const IN_FLIGHT = 8;
/** A batch not done after this long: the worker is given up on, and keying starts again here. */
const STALL_MS = 30_000;
const TABLE = 1 << 16;

const KEY_BAG = `function keyBag(st, terms, tfs, from, end, keys, keyW, at) {
  const { m, idfKnown, inSnap, unseenSeen, tfT, heapW, heapT } = st;
  const unseen = st.unseen;
  let size = 0;
  let norm2 = 0;
  for (let i = from; i < end; i++) {
    const tf = tfs[i];
    if (!(tf > 0)) continue;
    const term = terms[i];
    let idf;
    if (term < ${TABLE}) {
      if (inSnap[term] === 1) idf = idfKnown[term];
      else if (unseenSeen[term] === 1) idf = Math.fround(unseen);
      else {
        idf = unseen;
        unseenSeen[term] = 1;
      }
    } else if (st.slowIdf) idf = st.slowIdf(term);
    else return -1;
    let tfw;
    if (tf < ${TABLE} && tf === Math.floor(tf)) tfw = tfT[tf];
    else if (st.slowTf) tfw = st.slowTf(tf);
    else return -1;
    const w = tfw * idf;
    norm2 += w * w;
    if (size < m) {
      heapW[size] = w;
      heapT[size] = term;
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heapW[p] <= heapW[c]) break;
        const a = heapW[c]; heapW[c] = heapW[p]; heapW[p] = a;
        const b = heapT[c]; heapT[c] = heapT[p]; heapT[p] = b;
        c = p;
      }
    } else if (w > heapW[0]) {
      heapW[0] = w;
      heapT[0] = term;
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        const r = l + 1;
        let s = c;
        if (l < m && heapW[l] < heapW[s]) s = l;
        if (r < m && heapW[r] < heapW[s]) s = r;
        if (s === c) break;
        const a = heapW[c]; heapW[c] = heapW[s]; heapW[s] = a;
        const b = heapT[c]; heapT[c] = heapT[s]; heapT[s] = b;
        c = s;
      }
    }
  }
  const inv = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
  for (let k = 0; k < m; k++) {
    if (k < size) {
      keys[at + k] = heapT[k];
      keyW[at + k] = heapW[k] * inv;
    } else keys[at + k] = -1;
  }
  return size;
}`;

interface KeyState {
  m: number;
  idfKnown: Float32Array;
  inSnap: Uint8Array;
  unseenSeen: Uint8Array;
  unseen: number;
  tfT: Float32Array;
  heapW: Float32Array;
  heapT: Int32Array;
  slowIdf?: (term: number) => number;
  slowTf?: (tf: number) => number;
}
type KeyBag = (st: KeyState, terms: ArrayLike<number>, tfs: ArrayLike<number>, from: number, end: number, keys: Int32Array, keyW: Float32Array, at: number) => number;

const keyBag = new Function(`return ${KEY_BAG}`)() as KeyBag;

const WORKER = `
const { workerData: w, parentPort } = require('node:worker_threads');
const keyBag = ${KEY_BAG};
const st = { ...w.st, heapW: new Float32Array(w.st.m), heapT: new Int32Array(w.st.m) };
parentPort.on('message', (b) => {
  try {
    for (let q = 0; q < b.count; q++) {
      if (keyBag(st, b.terms, b.tfs, b.starts[q], b.starts[q + 1], b.keys, b.keyW, q * st.m) < 0) Atomics.store(w.failed, 0, 1);
    }
  } catch {
    Atomics.store(w.failed, 0, 1);
  }
  Atomics.store(w.done, 0, b.seq + 1);
  Atomics.notify(w.done, 0);
});
`;

interface Batch {
  seq: number;
  terms: Uint32Array<ArrayBuffer>;
  tfs: Float32Array<ArrayBuffer>;
  starts: Int32Array<ArrayBuffer>;
  count: number;
  used: number;
  keys: Int32Array;
  keyW: Float32Array;
}

/**
 * Keys bags one at a time, in order: `add` a bag, `take` the keys of the bags added whose keys are
 * ready (all of them once `finish` is called), as raw words (heapT: -1 for none) and weights.
 */
export class BagKeyer {
  private readonly st: KeyState;
  private worker?: Worker;
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly failed = new Int32Array(new SharedArrayBuffer(4));
  private batches: Batch[] = [];
  private batch?: Batch;
  private seq = 0;
  private added = 0;
  /** False once the worker failed or stalled, or met what only this thread can weigh: key everything again with threadedFrom = Infinity. */
  ok = true;

  constructor(
    snap: ImpactIndex,
    private readonly m: number,
    private threadedFrom = THREADED_FROM,
  ) {
    const idfKnown = new Float32Array(TABLE);
    const inSnap = new Uint8Array(TABLE);
    for (let t = 0; t < TABLE; t++) {
      const s = snap.slotOf(t);
      if (s < 0) continue;
      inSnap[t] = 1;
      idfKnown[t] = snap.idf[s];
    }
    const tfT = Float32Array.from({ length: TABLE }, (_, tf) => (tf > 0 ? storedTf(tf) : 0));
    const unseen = snap.unseenIdf;
    this.st = {
      m,
      idfKnown,
      inSnap,
      unseenSeen: new Uint8Array(TABLE),
      unseen,
      tfT,
      heapW: new Float32Array(m),
      heapT: new Int32Array(m),
      slowIdf: (term) => {
        const s = snap.slotOf(term);
        return s >= 0 ? snap.idf[s] : unseen;
      },
      slowTf: storedTf,
    };
  }

  /**
   * Adds a bag. Keyed on this thread (while fewer than threadedFrom were added, or with no worker
   * to be had): into where `here()` says, and its number of keys is returned. Else undefined, and
   * its keys come from `take`.
   */
  add(terms: Uint32Array, tfs: Float32Array, here: () => { keys: Int32Array; keyW: Float32Array; at: number }): number | undefined {
    if (this.added++ < this.threadedFrom || !this.start()) {
      const { keys, keyW, at } = here();
      return keyBag(this.st, terms, tfs, 0, terms.length, keys, keyW, at);
    }
    let b = this.batch;
    if (b && (b.count === BATCH || b.used + terms.length > b.terms.length)) b = this.post();
    b ??= this.batch = this.newBatch(terms.length);
    b.starts[b.count] = b.used;
    b.terms.set(terms, b.used);
    b.tfs.set(tfs, b.used);
    b.used += terms.length;
    b.starts[++b.count] = b.used;
    return undefined;
  }

  /** Batches done, in order, each handed to `visit(keys, keyW, count)` once; with `all`, waits for every batch. */
  take(all: boolean, visit: (keys: Int32Array, keyW: Float32Array, count: number) => void): void {
    if (all && this.batch) this.post();
    while (this.batches.length > 0 && this.ok) {
      const b = this.batches[0];
      if (Atomics.load(this.done, 0) <= b.seq) {
        if (!all && this.batches.length < IN_FLIGHT) return;
        if (Atomics.wait(this.done, 0, b.seq, STALL_MS) === 'timed-out' && Atomics.load(this.done, 0) <= b.seq) this.ok = false;
        continue;
      }
      if (Atomics.load(this.failed, 0) !== 0) this.ok = false;
      else visit(b.keys, b.keyW, b.count);
      this.batches.shift();
    }
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private start(): boolean {
    if (this.worker) return true;
    if (!this.ok) return false;
    try {
      const { slowIdf: _i, slowTf: _t, heapW: _w, heapT: _h, ...st } = this.st;
      // The words met so far are known there as here: a copy of the first-met flags.
      this.worker = new Worker(WORKER, { eval: true, workerData: { st: { ...st, unseenSeen: st.unseenSeen.slice() }, done: this.done, failed: this.failed } });
      this.worker.unref();
      return true;
    } catch {
      // No thread to be had: this one keys the rest (nothing was passed on yet).
      this.threadedFrom = Infinity;
      return false;
    }
  }

  private newBatch(terms: number): Batch {
    const cap = Math.max(terms, BATCH * 1024);
    const shared = (bytes: number) => new SharedArrayBuffer(bytes);
    return {
      seq: this.seq++,
      terms: new Uint32Array(cap),
      tfs: new Float32Array(cap),
      starts: new Int32Array(BATCH + 1),
      count: 0,
      used: 0,
      keys: new Int32Array(shared(4 * BATCH * this.m)),
      keyW: new Float32Array(shared(4 * BATCH * this.m)),
    };
  }

  private post(): undefined {
    const b = this.batch!;
    this.batch = undefined;
    this.batches.push(b);
    const { seq, terms, tfs, starts, count, keys, keyW } = b;
    this.worker!.postMessage({ seq, terms, tfs, starts, count, keys, keyW }, [terms.buffer, tfs.buffer, starts.buffer]);
    return undefined;
  }
}
