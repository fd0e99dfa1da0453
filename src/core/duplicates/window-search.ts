// The crop search's window hash and search (crop-search.ts), in one plain-JavaScript source that
// this thread compiles and worker threads run, so that the searches for a keeper's crop
// candidates run on every core at once (WindowSearches): a search for a photo that is no crop
// tries every window, 16-17 us each, and at 100,000 photos the crop searches were ~11 s of the
// groups stage on one thread. The threads read the keeper's summed-area table in shared memory.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Hash64 } from '../analysis/phash.js';
import type { GreyTable, Window } from './crop-search.js';

// windowHash: the perceptual hash (phash.ts's construction: hashOf over the 8 x 8 low DCT
// coefficients of 32 x 32 cell means, each bit a coefficient above their mean) of the window
// [x0, x0 + w) x [y0, y0 + h) of a grey image. A search tries thousands of windows for a photo
// that is no crop, so the loops are written out (the table's rows hoisted, the 32-term sums
// eight sums side by side, scratch arrays kept); the sums are phash.ts's, term for term and in the
// same order, so the hash is the same bit for bit (unit test: crop-search.test.ts).
//
// nearestWindow: the window of g whose hash is nearest (bits) the target, of its shape (mw x mh
// in g's pixels, or larger, as a crop made smaller again), every 2.5% of the keeper's side and
// 6% of size. Windows are tried from the member's own size up and, at each size, from the centre
// out in rings; the first within `enough` bits ends the search after a look at its neighbours
// (for the distance to report): a crop is most often of the photo's own pixels and near its
// middle, so most searches end within a few windows of the hundreds there are.
const SOURCE = `(() => {
  const WCOS = Float64Array.from({ length: 8 * 32 }, (_, i) => Math.cos(((2 * (i % 32) + 1) * (Math.floor(i / 32) + 1) * Math.PI) / 64));
  const CELL = new Float64Array(32 * 32);
  const ROWS = new Float64Array(32 * 8);
  const XS = new Int32Array(33);
  const YS = new Int32Array(33);
  const COEFFS = new Float32Array(64);
  const popcount32 = (x) => {
    x = (x - ((x >>> 1) & 0x55555555)) | 0; // to int32 at once: an unsigned value from 2^31 up kept the rest in doubles
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    x = (x + (x >>> 4)) & 0x0f0f0f0f;
    return Math.imul(x, 0x01010101) >>> 24;
  };
  const hamming = (a, b) => popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);
  function windowHash(g, x0, y0, w, h) {
    const W = g.width + 1;
    const sat = g.sat;
    const cell = CELL;
    const xs = XS;
    const ys = YS;
    for (let i = 0; i <= 32; i++) {
      xs[i] = Math.round(x0 + (i * w) / 32);
      ys[i] = Math.round(y0 + (i * h) / 32);
    }
    // A grey level is a float32 of at least 0.114 (or 0), so a multiple of 2^-27, and a table whose
    // total is under 2^26 (any photo up to 513 x 513) holds every sum exactly in a double: then
    // a band's column sums, taken once at each of the 33 edges, give each cell's sum exactly as
    // the four corners do, in half the reads. Larger tables take the four corners as before.
    const exact = sat[sat.length - 1] < 67108864;
    for (let cy = 0; cy < 32; cy++) {
      const r0 = ys[cy] * W;
      const r1 = ys[cy + 1] * W;
      const hy = ys[cy + 1] - ys[cy];
      if (exact) {
        let left = sat[r1 + xs[0]] - sat[r0 + xs[0]];
        for (let cx = 0; cx < 32; cx++) {
          const xb = xs[cx + 1];
          const right = sat[r1 + xb] - sat[r0 + xb];
          const n = (xb - xs[cx]) * hy;
          cell[cy * 32 + cx] = n > 0 ? (right - left) / n : 0;
          left = right;
        }
        continue;
      }
      for (let cx = 0; cx < 32; cx++) {
        const xa = xs[cx];
        const xb = xs[cx + 1];
        const n = (xb - xa) * hy;
        cell[cy * 32 + cx] = n > 0 ? (sat[r1 + xb] - sat[r0 + xb] - sat[r1 + xa] + sat[r0 + xa]) / n : 0;
      }
    }
    // Each coefficient's sum runs over its 32 terms in order, as phash.ts's; the 8 of a row (or
    // column) are summed side by side, so that the processor adds 8 independent chains at once
    // rather than waiting on one addition after another (a third of the time, the same bits).
    const rows = ROWS;
    for (let y = 0; y < 32; y++) {
      const c = y * 32;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let x = 0; x < 32; x++) {
        const v = cell[c + x];
        s0 += WCOS[x] * v;
        s1 += WCOS[32 + x] * v;
        s2 += WCOS[64 + x] * v;
        s3 += WCOS[96 + x] * v;
        s4 += WCOS[128 + x] * v;
        s5 += WCOS[160 + x] * v;
        s6 += WCOS[192 + x] * v;
        s7 += WCOS[224 + x] * v;
      }
      const r = y * 8;
      rows[r] = s0;
      rows[r + 1] = s1;
      rows[r + 2] = s2;
      rows[r + 3] = s3;
      rows[r + 4] = s4;
      rows[r + 5] = s5;
      rows[r + 6] = s6;
      rows[r + 7] = s7;
    }
    const out = COEFFS;
    for (let v = 0; v < 8; v++) {
      const b = v * 32;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let y = 0; y < 32; y++) {
        const w = WCOS[b + y];
        const r = y * 8;
        s0 += w * rows[r];
        s1 += w * rows[r + 1];
        s2 += w * rows[r + 2];
        s3 += w * rows[r + 3];
        s4 += w * rows[r + 4];
        s5 += w * rows[r + 5];
        s6 += w * rows[r + 6];
        s7 += w * rows[r + 7];
      }
      const o = v * 8;
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
      out[o + 3] = s3;
      out[o + 4] = s4;
      out[o + 5] = s5;
      out[o + 6] = s6;
      out[o + 7] = s7;
    }
    let mean = 0;
    for (let i = 0; i < 64; i++) mean += out[i];
    mean /= 64;
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < 32; i++) {
      if (out[i] > mean) lo |= 1 << i;
      if (out[i + 32] > mean) hi |= 1 << i;
    }
    return { hi: hi >>> 0, lo: lo >>> 0 };
  }
  function nearestWindow(g, target, mw, mh, enough = -1, memo) {
    let best = { bits: 64, x: 0, y: 0, w: g.width, h: g.height };
    const step = Math.max(1, Math.round(0.025 * Math.max(g.width, g.height)));
    const offsets = (span) => {
      const out = [];
      for (let o = 0; ; o = Math.min(o + step, span)) {
        out.push(o);
        if (o >= span) break;
      }
      const mid = span / 2;
      return out.sort((a, b) => Math.abs(a - mid) - Math.abs(b - mid) || a - b);
    };
    const at = (x, y, w, h) => {
      let hash;
      if (memo) {
        const key = ((x * 8192 + y) * 8192 + w) * 8192 + h;
        hash = memo.get(key);
        if (hash === undefined) memo.set(key, (hash = windowHash(g, x, y, w, h)));
      } else hash = windowHash(g, x, y, w, h);
      const d = hamming(hash, target);
      if (d < best.bits) best = { bits: d, x, y, w, h };
    };
    for (let f = 1; mw * f <= g.width + 0.5 && mh * f <= g.height + 0.5; f *= 1.06) {
      const w = Math.min(g.width, Math.round(mw * f));
      const h = Math.min(g.height, Math.round(mh * f));
      if (w < 32 || h < 32) continue;
      const xs = offsets(g.width - w);
      const ys = offsets(g.height - h);
      const order = [];
      for (let j = 0; j < ys.length; j++) for (let i = 0; i < xs.length; i++) order.push([i, j]);
      order.sort((a, b) => Math.max(a[0], a[1]) - Math.max(b[0], b[1]) || a[1] - b[1] || a[0] - b[0]);
      for (const [i, j] of order) {
        at(xs[i], ys[j], w, h);
        if (best.bits <= enough) {
          for (let dy = -step; dy <= step; dy += step) {
            for (let dx = -step; dx <= step; dx += step) {
              at(Math.max(0, Math.min(g.width - w, xs[i] + dx)), Math.max(0, Math.min(g.height - h, ys[j] + dy)), w, h);
            }
          }
          return best;
        }
      }
    }
    return best;
  }
  function nearestWindows(g, jobs) {
    const memo = new Map();
    return jobs.map((j) => nearestWindow(g, j.target, j.mw, j.mh, j.enough, memo));
  }
  return { windowHash, nearestWindow, nearestWindows };
})()`;

interface Compiled {
  windowHash: (g: GreyTable, x0: number, y0: number, w: number, h: number) => Hash64;
  nearestWindow: (g: GreyTable, target: Hash64, mw: number, mh: number, enough?: number) => Window;
  nearestWindows: (g: GreyTable, jobs: WindowJob[]) => Window[];
}
// The threads' source, compiled here too, so that both run the same code.
const compiled = new Function(`return ${SOURCE}`)() as Compiled;

/** The perceptual hash of the window [x0, x0 + w) x [y0, y0 + h) of a grey image (see SOURCE). */
export const windowHash = compiled.windowHash;
/**
 * The window of `g` whose hash is nearest (bits) `target`, of the shape `mw` x `mh` (g's pixels)
 * or larger; the first within `enough` bits, after a look at its neighbours, ends the search (see SOURCE).
 */
export const nearestWindow = compiled.nearestWindow;
/**
 * nearestWindow for each job, in order, each window's hash made once for them all: searches of
 * one shape try the same windows (a phone's photos are of a few sizes), so each is hashed once
 * and the searches after the first read it; each answer is the one nearestWindow gives alone.
 */
export const nearestWindows = compiled.nearestWindows;

const WORKER = `
const { parentPort } = require('node:worker_threads');
const { nearestWindows } = ${SOURCE};
parentPort.on('message', ({ id, sat, width, height, jobs }) => {
  parentPort.postMessage({ id, wins: nearestWindows({ sat, width, height }, jobs) });
});
`;

/** One search: the target hash, the shape (keeper's pixels) and the bits that end it. */
export interface WindowJob {
  target: Hash64;
  mw: number;
  mh: number;
  enough: number;
}

interface Pending {
  g: GreyTable;
  jobs: WindowJob[];
  worker: Worker;
  done: (w: Window[]) => void;
}

/**
 * Crop searches on worker threads (one a core, at most 4: this thread waits for their answers),
 * a keeper's candidates at once, those of one shape on one thread (their windows hashed once:
 * nearestWindows). A thread that fails leaves its searches to this thread; without threads they
 * run here.
 */
export class WindowSearches {
  private readonly workers: Worker[] = [];
  private readonly load = new Map<Worker, number>();
  private readonly pending = new Map<number, Pending>();
  private readonly tables = new WeakMap<GreyTable, Float64Array>();
  private nextId = 0;

  constructor(threads = Math.min(4, os.availableParallelism())) {
    for (let k = 0; k < threads; k++) {
      let w: Worker;
      try {
        w = new Worker(WORKER, { eval: true });
      } catch {
        break;
      }
      w.unref();
      w.on('message', ({ id, wins }: { id: number; wins: Window[] }) => this.settle(id, wins));
      w.on('error', () => this.drop(w));
      w.on('exit', () => this.drop(w));
      this.workers.push(w);
      this.load.set(w, 0);
    }
  }

  /** Whether the searches run on threads (else on the calling thread, at once). */
  get threaded(): boolean {
    return this.workers.length > 0;
  }

  private settle(id: number, wins: Window[]): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const left = this.load.get(p.worker)! - cost(p.jobs);
    this.load.set(p.worker, left);
    // An idle thread does not keep the process alive; one with searches to answer does.
    if (left <= 0) p.worker.unref();
    p.done(wins);
  }

  /** A thread gone: its searches run here. */
  private drop(w: Worker): void {
    const at = this.workers.indexOf(w);
    if (at < 0) return;
    this.workers.splice(at, 1);
    for (const [id, p] of this.pending) if (p.worker === w) this.settle(id, nearestWindows(p.g, p.jobs));
  }

  /** The nearest windows of `g` for each job, in order (the same as nearestWindow's, one by one). */
  async search(g: GreyTable, jobs: WindowJob[]): Promise<Window[]> {
    if (this.workers.length === 0 || jobs.length === 0) return nearestWindows(g, jobs);
    // A table in shared memory already (looks.ts) is read where it is.
    let sat = g.sat.buffer instanceof SharedArrayBuffer ? g.sat : this.tables.get(g);
    if (!sat) {
      sat = new Float64Array(new SharedArrayBuffer(g.sat.byteLength));
      sat.set(g.sat);
      this.tables.set(g, sat);
    }
    // The jobs of one shape together, the largest batches first, each to the thread with the least waiting.
    const byShape = new Map<string, number[]>();
    jobs.forEach((j, k) => {
      const key = `${j.mw} ${j.mh}`;
      const list = byShape.get(key);
      if (list) list.push(k);
      else byShape.set(key, [k]);
    });
    const batches = [...byShape.values()].sort((a, b) => b.length - a.length);
    const out: Window[] = new Array<Window>(jobs.length);
    await Promise.all(
      batches.map((ks) => {
        const batch = ks.map((k) => jobs[k]);
        return new Promise<void>((resolve) => {
          const worker = this.workers.reduce((a, b) => (this.load.get(b)! < this.load.get(a)! ? b : a));
          const id = this.nextId++;
          this.pending.set(id, {
            g,
            jobs: batch,
            worker,
            done: (wins) => {
              ks.forEach((k, q) => (out[k] = wins[q]));
              resolve();
            },
          });
          this.load.set(worker, this.load.get(worker)! + cost(batch));
          worker.ref();
          worker.postMessage({ id, sat, width: g.width, height: g.height, jobs: batch });
        });
      }),
    );
    return out;
  }

  close(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }
}

/**
 * A batch's work in searches: its first search hashes the windows, the others of its shape mostly
 * read them (a twentieth of a search each, about: a map lookup and a popcount a window).
 */
function cost(batch: WindowJob[]): number {
  return 1 + (batch.length - 1) / 20;
}
