// k-means with k-means++ seeding for the VQ codebook. The assignment step (points x codes
// distance products, ~40 GFLOP an iteration for 200k x 96 x 1,024) runs as an onnxruntime MatMul;
// the seeding and the centroid update stay in JS, where they are cheap.
import ort from 'onnxruntime-node';
import { GraphBuilder } from './onnx-graph.js';
import { mulberry32 } from '../../common/random.js';

export interface KmeansOptions {
  k: number;
  iterations?: number;
  seed?: number;
  /** k-means++ seeding runs on at most this many points (it is sequential in k). */
  seedingSample?: number;
  onIteration?: (it: number, inertia: number, moved: number) => void;
}

export interface KmeansResult {
  centroids: Float32Array;
  inertia: number;
  iterations: number;
}

const CHUNK = 32768;

export async function kmeans(points: Float32Array, dim: number, opts: KmeansOptions): Promise<KmeansResult> {
  const n = points.length / dim;
  const k = opts.k;
  if (n < k) throw new Error(`k-means: ${n} points are too few for ${k} codes`);
  const rand = mulberry32(opts.seed ?? 0);
  const centroids = seedPlusPlus(points, dim, k, Math.min(n, opts.seedingSample ?? 50_000), rand);
  const session = await ort.InferenceSession.create(Buffer.from(assignGraph(dim)), { graphOptimizationLevel: 'all' });
  const assign = new Int32Array(n);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  let inertia = Infinity;
  const iterations = opts.iterations ?? 25;
  let it = 0;
  try {
    for (; it < iterations; it++) {
      const { moved, total } = await assignAll(session, points, dim, centroids, k, assign);
      inertia = total;
      opts.onIteration?.(it, inertia, moved);
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
      for (let c = 0; c < k; c++) {
        if (counts[c] === 0) {
          // An empty code would waste a word: restart it on a random point.
          const p = Math.floor(rand() * n) * dim;
          for (let d = 0; d < dim; d++) centroids[c * dim + d] = points[p + d];
          continue;
        }
        for (let d = 0; d < dim; d++) centroids[c * dim + d] = sums[c * dim + d] / counts[c];
      }
    }
  } finally {
    await session.release();
  }
  return { centroids, inertia, iterations: it };
}

function seedPlusPlus(points: Float32Array, dim: number, k: number, sample: number, rand: () => number): Float32Array {
  const n = points.length / dim;
  // A fixed-seed subsample keeps the O(sample x k) seeding affordable.
  const idx = new Uint32Array(sample);
  if (sample === n) for (let i = 0; i < n; i++) idx[i] = i;
  else {
    const perm = new Uint32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = 0; i < sample; i++) {
      const j = i + Math.floor(rand() * (n - i));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    idx.set(perm.subarray(0, sample));
  }
  const centroids = new Float32Array(k * dim);
  const best = new Float64Array(sample).fill(Infinity);
  let chosen = idx[Math.floor(rand() * sample)];
  for (let c = 0; c < k; c++) {
    centroids.set(points.subarray(chosen * dim, chosen * dim + dim), c * dim);
    let total = 0;
    for (let s = 0; s < sample; s++) {
      const p = idx[s] * dim;
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const diff = points[p + d] - centroids[c * dim + d];
        d2 += diff * diff;
      }
      if (d2 < best[s]) best[s] = d2;
      total += best[s];
    }
    let r = rand() * total;
    let pick = sample - 1;
    for (let s = 0; s < sample; s++) {
      r -= best[s];
      if (r <= 0) {
        pick = s;
        break;
      }
    }
    chosen = idx[pick];
  }
  return centroids;
}

function assignGraph(dim: number): Uint8Array {
  const g = new GraphBuilder('kmeans_assign');
  g.input('x', 'float32', ['m', dim]);
  g.input('ct', 'float32', [dim, 'k']); // -2 * centroids^T
  g.input('cnorm', 'float32', ['k']);
  const dist = g.node('Add', [g.node('MatMul', ['x', 'ct']), 'cnorm']);
  g.node('ArgMin', [dist], { axis: 1, keepdims: 0 }, 'assign');
  g.node('ReduceMin', [dist], { axes: [1], keepdims: 0 }, 'dmin');
  g.output('assign', 'int64', ['m']);
  g.output('dmin', 'float32', ['m']);
  return g.encode(17);
}

async function assignAll(session: ort.InferenceSession, points: Float32Array, dim: number, centroids: Float32Array, k: number, assign: Int32Array): Promise<{ moved: number; total: number }> {
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
  const ctT = new ort.Tensor('float32', ct, [dim, k]);
  const cnT = new ort.Tensor('float32', cnorm, [k]);
  let moved = 0;
  let total = 0;
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    const x = new ort.Tensor('float32', points.subarray(start * dim, (start + m) * dim), [m, dim]);
    const out = await session.run({ x, ct: ctT, cnorm: cnT });
    const a = out.assign.data as BigInt64Array;
    const dmin = out.dmin.data as Float32Array;
    for (let i = 0; i < m; i++) {
      const c = Number(a[i]);
      if (assign[start + i] !== c) moved++;
      assign[start + i] = c;
      // dmin omits ||x||^2; add it back so inertia is a true sum of squared distances.
      let xx = 0;
      const p = (start + i) * dim;
      for (let d = 0; d < dim; d++) xx += points[p + d] * points[p + d];
      total += dmin[i] + xx;
    }
  }
  return { moved, total };
}
