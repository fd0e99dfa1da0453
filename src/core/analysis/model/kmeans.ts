// k-means with k-means++ seeding for the VQ codebook. The assignment step (points x codes
// distance products, ~80 GMAC a pass for 200k x 96 x 4,096) runs as an onnxruntime Gemm on both
// cores, skipping the points a bound shows cannot move; the seeding (kmeans-seed.ts) and the
// centroid update stay in JS. Exact Lloyd passes: the same codes as computing every distance.
// Measured in docs/MODELS.md, "The codebook's k-means".
import os from 'node:os';
import ort from 'onnxruntime-node';
import { GraphBuilder } from './onnx-graph.js';
import { mulberry32 } from '../../common/random.js';
import { rowNorms, seedPlusPlus } from './kmeans-seed.js';

export interface KmeansOptions {
  k: number;
  iterations?: number;
  seed?: number;
  /** k-means++ seeding runs on at most this many points (it is sequential in k). */
  seedingSample?: number;
  /** Threads of the assignment's Gemm (default: every core). */
  threads?: number;
  onIteration?: (it: number, inertia: number, moved: number) => void;
}

export interface KmeansResult {
  centroids: Float32Array;
  inertia: number;
  iterations: number;
}

// Rows a Gemm call: an 8 MB distance block at 4,096 codes instead of 512 MB (32,768 rows). The
// speed was the same from 128 to 32,768 rows (docs/MODELS.md); the memory is not.
const ROWS = 512;

export async function kmeans(points: Float32Array, dim: number, opts: KmeansOptions): Promise<KmeansResult> {
  const n = points.length / dim;
  const k = opts.k;
  if (n < k) throw new Error(`k-means: ${n} points are too few for ${k} codes`);
  const rand = mulberry32(opts.seed ?? 0);
  const centroids = await seedPlusPlus(points, dim, k, Math.min(n, opts.seedingSample ?? 50_000), rand);
  const threads = opts.threads ?? os.availableParallelism();
  const session = await ort.InferenceSession.create(Buffer.from(assignGraph(dim)), { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const r = await lloyd(session, points, dim, centroids, opts.iterations ?? 25, rand, opts.onIteration);
    return { centroids, inertia: r.inertia, iterations: r.iterations };
  } finally {
    await session.release();
  }
}

/** Lloyd's passes over `points` from the given centroids (updated in place). */
async function lloyd(
  session: ort.InferenceSession,
  points: Float32Array,
  dim: number,
  centroids: Float32Array,
  passes: number,
  rand: () => number,
  onIteration: KmeansOptions['onIteration'],
): Promise<{ inertia: number; iterations: number }> {
  const n = points.length / dim;
  const k = centroids.length / dim;
  const assign = new Int32Array(n).fill(-1);
  // A lower bound on each point's distance to every code but its own (Hamerly's bound): where its
  // distance to its own code is no more, the point cannot move and its row of k distances is skipped.
  const lower = new Float32Array(n).fill(-1);
  const norms = rowNorms(points, dim);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  const previous = new Float32Array(k * dim);
  let inertia = Infinity;
  let it = 0;
  for (; it < passes; it++) {
    const { moved, total } = await assignAll(session, points, norms, dim, centroids, k, assign, lower);
    inertia = total;
    onIteration?.(it, inertia, moved);
    if (it > 0 && moved === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assign[i];
      counts[c]++;
      const o = c * dim;
      const p = i * dim;
      for (let d = 0; d < dim; d++) sums[o + d] += points[p + d];
    }
    previous.set(centroids);
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // An empty code would waste a word: restart it on a random point.
        const p = Math.floor(rand() * n) * dim;
        for (let d = 0; d < dim; d++) centroids[c * dim + d] = points[p + d];
        continue;
      }
      for (let d = 0; d < dim; d++) centroids[c * dim + d] = sums[c * dim + d] / counts[c];
    }
    loosenBounds(previous, centroids, dim, assign, lower);
  }
  // As before: the index of the pass that found nothing moved, else every pass.
  return { inertia, iterations: it };
}

/** After the codes moved: every other code may now be nearer by as much as the farthest one moved. */
function loosenBounds(before: Float32Array, after: Float32Array, dim: number, assign: Int32Array, lower: Float32Array): void {
  const k = after.length / dim;
  let max = 0;
  let second = 0;
  let maxCode = -1;
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let d = c * dim, e = d + dim; d < e; d++) s += (after[d] - before[d]) ** 2;
    const shift = Math.sqrt(s);
    if (shift > max) {
      second = max;
      max = shift;
      maxCode = c;
    } else if (shift > second) second = shift;
  }
  for (let i = 0; i < lower.length; i++) lower[i] -= assign[i] === maxCode ? second : max;
}

function assignGraph(dim: number): Uint8Array {
  const g = new GraphBuilder('kmeans_assign');
  g.input('x', 'float32', ['m', dim]);
  g.input('ct', 'float32', [dim, 'k']); // -2 * centroids^T
  g.input('cnorm', 'float32', [1, 'k']);
  // Gemm adds the norms as it writes the block: one pass over it fewer than MatMul then Add. The
  // two nearest: the first is the assignment, the second the point's new lower bound.
  const dist = g.node('Gemm', ['x', 'ct', 'cnorm']);
  g.nodeOutputs('TopK', [dist, g.constInt64('two', [2])], ['near', 'code'], { axis: 1, largest: 0, sorted: 1 });
  g.output('near', 'float32', ['m', 2]);
  g.output('code', 'int64', ['m', 2]);
  return g.encode(17);
}

// Distances from the Gemm lose digits to |x|^2 + |c|^2 - 2x.c; a bound kept this much low stays one.
const SLACK = 1e-3;

async function assignAll(
  session: ort.InferenceSession,
  points: Float32Array,
  norms: Float32Array,
  dim: number,
  centroids: Float32Array,
  k: number,
  assign: Int32Array,
  lower: Float32Array,
): Promise<{ moved: number; total: number }> {
  const n = points.length / dim;
  const ct = new Float32Array(dim * k);
  const cnorm = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = centroids[c * dim + d];
      ct[d * k + c] = -2 * v;
      s += v * v;
    }
    cnorm[c] = s;
  }
  let total = 0;
  // The points whose bound does not settle it, computed against every code in blocks.
  const todo = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const c = assign[i];
    if (c < 0) {
      todo[m++] = i;
      continue;
    }
    let own = 0;
    for (let d = 0, p = i * dim, o = c * dim; d < dim; d++) own += (points[p + d] - centroids[o + d]) ** 2;
    if (Math.sqrt(own) <= lower[i]) total += own;
    else todo[m++] = i;
  }
  const ctT = new ort.Tensor('float32', ct, [dim, k]);
  const cnT = new ort.Tensor('float32', cnorm, [1, k]);
  const block = new Float32Array(ROWS * dim);
  let moved = 0;
  for (let start = 0; start < m; start += ROWS) {
    const rows = Math.min(ROWS, m - start);
    for (let r = 0; r < rows; r++) block.set(points.subarray(todo[start + r] * dim, todo[start + r] * dim + dim), r * dim);
    const out = await session.run({ x: new ort.Tensor('float32', block.subarray(0, rows * dim), [rows, dim]), ct: ctT, cnorm: cnT });
    const near = out.near.data as Float32Array;
    const code = out.code.data as BigInt64Array;
    for (let r = 0; r < rows; r++) {
      const i = todo[start + r];
      const c = Number(code[2 * r]);
      if (assign[i] !== c) moved++;
      assign[i] = c;
      // The Gemm's figures omit |x|^2; added back, the first is the squared distance to the code.
      total += Math.max(0, near[2 * r] + norms[i]);
      lower[i] = Math.sqrt(Math.max(0, near[2 * r + 1] + norms[i])) - SLACK;
    }
  }
  return { moved, total };
}
