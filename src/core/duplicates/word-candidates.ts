// Each photo's best candidate pairs by shared key weight (word-pairs.ts), a range of photos at a
// time, on this thread and on worker threads beside it: the search reads only the key word
// index's arrays (in shared memory: word-lists.ts) and writes each photo's candidates to its own
// slots, so the threads share no state but a counter of the ranges taken. The calling thread
// takes the ranges' results in photo order, so the pairs come out in the order one thread gives
// them, and takes ranges itself while the next one is not done. At 100,000 photos the search
// was 11-12 s of the word stage's 23 on one thread.
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** The key word index as the search reads it (word-pairs.ts KeyWordIndex). */
export interface KeyArrays {
  n: number;
  m: number;
  window: number;
  keys: Int32Array;
  keyW: Float32Array;
  pos: Int32Array;
  listStart: Int32Array;
  listDocs: Int32Array;
  listW: Float32Array;
}

/** Photos a range (one claim on the counter). */
const RANGE = 1024;
/** Fewest ranges for threads to be started unasked (a thread takes tens of milliseconds to start). */
const THREADED_FROM = 16;
/** A range taken by a thread and not done after this long is searched here again (the same result). */
const STALL_MS = 30_000;

// One source for the search, in plain JavaScript: this thread compiles it, and each worker runs
// it without a TypeScript loader (in Electron and in tests alike). A short list (photo order)
// gives its later photos; a long one (by weight) the window around, later photos only, so each
// pair is summed from its earlier photo's side (one loop for both: a short list's entries after
// the photo's own are all later photos, so the test passes them all). Half a long list's window
// is earlier photos, in no order, so the test is done without a branch (a branch mispredicted
// half the time cost ~15% of the search): an earlier photo adds 0 (its sum stays 0) and is not
// kept as touched. Then the best few by shared weight, by a small insertion list (candidates
// is a few dozen).
const SEARCH = `function search(s, sc, from, to) {
  const { m, window, keys, keyW, pos, listStart, listDocs, listW, C, outCount, outBest, outS } = s;
  const { acc, best, bestS } = sc;
  let touched = sc.touched;
  for (let i = from; i < to; i++) {
    let nt = 0;
    const base = i * m;
    for (let k = 0; k < m; k++) {
      const t = keys[base + k];
      if (t < 0) continue;
      const wi = keyW[base + k];
      const at = pos[base + k];
      const ls = listStart[t];
      const le = listStart[t + 1];
      let lo = at + 1;
      let hi = le;
      if (le - ls > window) {
        lo = at - window > ls ? at - window : ls;
        hi = at + window + 1 < le ? at + window + 1 : le;
      }
      if (nt + hi - lo > touched.length) {
        const grown = new Int32Array(Math.max(2 * touched.length, nt + hi - lo));
        grown.set(touched);
        touched = grown;
      }
      for (let p = lo; p < hi; p++) {
        const j = listDocs[p];
        const later = (i - j) >>> 31;
        const a = acc[j];
        touched[nt] = j;
        nt += later & (a === 0 ? 1 : 0);
        acc[j] = a + later * (wi * listW[p]);
      }
    }
    let nb = 0;
    for (let q = 0; q < nt; q++) {
      const j = touched[q];
      const v = acc[j];
      acc[j] = 0;
      if (nb === C && v <= bestS[nb - 1]) continue;
      let at = nb < C ? nb++ : nb - 1;
      while (at > 0 && bestS[at - 1] < v) {
        bestS[at] = bestS[at - 1];
        best[at] = best[at - 1];
        at--;
      }
      bestS[at] = v;
      best[at] = j;
    }
    outCount[i] = nb;
    for (let q = 0; q < nb; q++) {
      outBest[i * C + q] = best[q];
      outS[i * C + q] = bestS[q];
    }
  }
  sc.touched = touched;
}`;

interface Shared extends KeyArrays {
  C: number;
  outCount: Uint8Array;
  outBest: Int32Array;
  outS: Float32Array;
}
interface Scratch {
  acc: Float32Array;
  best: Int32Array;
  bestS: Float32Array;
  touched: Int32Array;
}
type Search = (s: Shared, sc: Scratch, from: number, to: number) => void;

// The workers' source, compiled here too, so that both run the same code.
const search = new Function(`return ${SEARCH}`)() as Search;

const WORKER = `
const { workerData: s } = require('node:worker_threads');
const search = ${SEARCH};
const sc = { acc: new Float32Array(s.n), best: new Int32Array(s.C), bestS: new Float32Array(s.C), touched: new Int32Array(1024) };
for (let r; (r = Atomics.add(s.next, 0, 1)) < s.ranges; ) {
  search(s, sc, r * ${RANGE}, Math.min(s.n, (r + 1) * ${RANGE}));
  Atomics.store(s.done, r, 1);
  Atomics.notify(s.done, r);
}
`;

/** Worker threads for a search: one a core beside this thread's, at most 3. */
export function searchThreads(): number {
  return Math.max(0, Math.min(3, os.availableParallelism() - 1));
}

/**
 * `visit(i, best, shared, count)` for each photo index i (ascending) with candidates: its best
 * `candidates` later photos (indices) by shared key weight, best first (the arrays are reused:
 * read them there), searched with `threads` worker threads beside this one (by default
 * searchThreads(), for libraries of THREADED_FROM ranges or more).
 */
export function keyCandidates(x: KeyArrays, candidates: number, visit: (i: number, best: Int32Array, shared: Float32Array, count: number) => void, threads?: number): void {
  const { n } = x;
  const ranges = Math.ceil(n / RANGE);
  threads ??= ranges >= THREADED_FROM ? searchThreads() : 0;
  const shared = (bytes: number) => new SharedArrayBuffer(Math.max(4, bytes));
  const s: Shared = { ...x, C: candidates, outCount: new Uint8Array(shared(n)), outBest: new Int32Array(shared(4 * n * candidates)), outS: new Float32Array(shared(4 * n * candidates)) };
  const sc: Scratch = { acc: new Float32Array(n), best: new Int32Array(candidates), bestS: new Float32Array(candidates), touched: new Int32Array(1024) };
  const next = new Int32Array(shared(4));
  const done = new Int32Array(shared(4 * ranges));
  const workers: Worker[] = [];
  for (let k = 0; k < threads; k++) {
    try {
      workers.push(new Worker(WORKER, { eval: true, workerData: { ...s, next, done, ranges } }));
    } catch {
      break; // no thread to be had: this one searches the rest
    }
  }
  const best = new Int32Array(candidates);
  const bestS = new Float32Array(candidates);
  const own = (r: number) => {
    search(s, sc, r * RANGE, Math.min(n, (r + 1) * RANGE));
    Atomics.store(done, r, 1);
  };
  try {
    for (let r = 0; r < ranges;) {
      if (Atomics.load(done, r) === 1) {
        for (let i = r * RANGE; i < Math.min(n, (r + 1) * RANGE); i++) {
          const nb = s.outCount[i];
          if (nb === 0) continue;
          best.set(s.outBest.subarray(i * candidates, i * candidates + nb));
          bestS.set(s.outS.subarray(i * candidates, i * candidates + nb));
          visit(i, best, bestS, nb);
        }
        r++;
        continue;
      }
      // The next range is not done: take one not yet taken, else wait for the thread on it.
      const mine = Atomics.add(next, 0, 1);
      if (mine < ranges) own(mine);
      else if (Atomics.wait(done, r, 0, STALL_MS) === 'timed-out') own(r);
    }
  } finally {
    for (const w of workers) void w.terminate();
  }
}
