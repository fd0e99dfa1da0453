// The codebook's k-means (kmeans.ts, kmeans-seed.ts): its shortcuts must not change what it finds.
// The seeding skips distances the triangle inequality rules out, and the passes skip points whose
// bound shows they cannot move; both are checked here against computing every distance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kmeans } from '../../../src/core/analysis/model/kmeans.js';
import { seedPlusPlus } from '../../../src/core/analysis/model/kmeans-seed.js';
import { mulberry32 } from '../../../src/core/common/random.js';

/** n points of `dim` dims around `clusters` random centres, unit-normalised as head vectors are. */
function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => rand() - 0.5));
  const pts = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(rand() * clusters)];
    let s = 0;
    for (let d = 0; d < dim; d++) s += (pts[i * dim + d] = c[d] + (rand() - 0.5) * 0.3) ** 2;
    for (let d = 0; d < dim; d++) pts[i * dim + d] /= Math.sqrt(s);
  }
  return pts;
}

const dist2 = (a: Float32Array, i: number, b: Float32Array, j: number, dim: number) => {
  let s = 0;
  for (let d = 0; d < dim; d++) s += (a[i * dim + d] - b[j * dim + d]) ** 2;
  return s;
};

test('k-means++ seeding with the triangle-inequality skip picks the same seeds as computing every distance', async () => {
  const dim = 12;
  const n = 3000;
  const k = 64;
  const pts = clustered(n, dim, 40, 3);
  const fast = await seedPlusPlus(pts, dim, k, n, mulberry32(9));
  // The textbook version, drawing from the same random stream.
  const rand = mulberry32(9);
  const ref = new Float32Array(k * dim);
  const best = new Float64Array(n).fill(Infinity);
  let chosen = Math.floor(rand() * n);
  for (let c = 0; c < k; c++) {
    ref.set(pts.subarray(chosen * dim, chosen * dim + dim), c * dim);
    let total = 0;
    for (let s = 0; s < n; s++) {
      best[s] = Math.min(best[s], dist2(pts, s, ref, c, dim));
      total += best[s];
    }
    if (c === k - 1) break;
    let r = rand() * total;
    chosen = n - 1;
    for (let s = 0; s < n; s++)
      if ((r -= best[s]) <= 0) {
        chosen = s;
        break;
      }
  }
  // Float rounding (|x|^2 + |c|^2 - 2x.c against a direct difference) may move a draw that lands
  // on a boundary; on these points none does.
  assert.deepEqual(Array.from(fast), Array.from(ref));
});

test('k-means passes with bounds: deterministic for a seed, and at convergence every point is at its nearest code', async () => {
  const dim = 16;
  const pts = clustered(4000, dim, 30, 5);
  const a = await kmeans(pts, dim, { k: 32, seed: 2, iterations: 60 });
  const b = await kmeans(pts, dim, { k: 32, seed: 2, iterations: 60 });
  assert.deepEqual(Array.from(a.centroids), Array.from(b.centroids));
  assert.equal(a.inertia, b.inertia);
  assert.ok(a.iterations < 60, `converged in ${a.iterations} passes`);
  // Converged: each code is the mean of the points nearest to it, found here by brute force.
  const n = pts.length / dim;
  const sums = new Float64Array(32 * dim);
  const counts = new Int32Array(32);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < 32; c++) if (dist2(pts, i, a.centroids, c, dim) < dist2(pts, i, a.centroids, best, dim)) best = c;
    inertia += dist2(pts, i, a.centroids, best, dim);
    counts[best]++;
    for (let d = 0; d < dim; d++) sums[best * dim + d] += pts[i * dim + d];
  }
  for (let c = 0; c < 32; c++) for (let d = 0; d < dim; d++) assert.ok(Math.abs(sums[c * dim + d] / counts[c] - a.centroids[c * dim + d]) < 1e-5, `code ${c} dim ${d}`);
  assert.ok(Math.abs(inertia - a.inertia) / inertia < 1e-4, `${inertia} vs ${a.inertia}`);
});
