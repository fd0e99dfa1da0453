// k-means++ seeding for kmeans.ts, on a fixed-seed sample of the points, sped up by the triangle
// inequality (most distances late in the seeding cannot change a point's nearest seed) with the
// same result as computing them all; docs/MODELS.md, "The codebook's k-means".
export function rowNorms(points: Float32Array, dim: number): Float32Array {
  const n = points.length / dim;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = i * dim, e = d + dim; d < e; d++) s += points[d] * points[d];
    out[i] = s;
  }
  return out;
}

/** x . y over `dim` floats at offsets a and b, four partial sums so V8 keeps them in registers. */
export function dot(x: Float32Array, a: number, y: Float32Array, b: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += x[a + d] * y[b + d];
    s1 += x[a + d + 1] * y[b + d + 1];
    s2 += x[a + d + 2] * y[b + d + 2];
    s3 += x[a + d + 3] * y[b + d + 3];
  }
  for (; d < dim; d++) s0 += x[a + d] * y[b + d];
  return s0 + s1 + s2 + s3;
}

/**
 * k seeds by k-means++ from a fixed-seed sample of the points. Async only to yield now and then: a
 * model change runs this on the library's thread, whose searches must go on answering.
 */
export async function seedPlusPlus(points: Float32Array, dim: number, k: number, sample: number, rand: () => number): Promise<Float32Array> {
  const n = points.length / dim;
  // A fixed-seed subsample keeps the O(sample x k) seeding affordable; copied together so the
  // k passes over it read contiguous memory.
  const xs = new Float32Array(sample * dim);
  if (sample === n) xs.set(points.subarray(0, n * dim));
  else {
    const perm = new Uint32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = 0; i < sample; i++) {
      const j = i + Math.floor(rand() * (n - i));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      xs.set(points.subarray(perm[i] * dim, perm[i] * dim + dim), i * dim);
    }
  }
  const xn = rowNorms(xs, dim);
  const centroids = new Float32Array(k * dim);
  const cnorms = new Float32Array(k);
  const best = new Float64Array(sample).fill(Infinity);
  const near = new Int32Array(sample);
  // Squared distances from the newest centroid to each earlier one.
  const between = new Float64Array(k);
  let total = 0;
  let chosen = Math.floor(rand() * sample);
  for (let c = 0; c < k; c++) {
    if (c % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
    const o = c * dim;
    centroids.set(xs.subarray(chosen * dim, chosen * dim + dim), o);
    const cn = (cnorms[c] = xn[chosen]);
    for (let j = 0; j < c; j++) between[j] = cn + cnorms[j] - 2 * dot(centroids, o, centroids, j * dim, dim);
    for (let s = 0; s < sample; s++) {
      // The triangle inequality: where the new centroid is at least twice as far from this point's
      // nearest as the point is, it cannot be nearer (|c - c_j| >= 2|x - c_j|, squared: x4). Late in
      // the seeding that skips most points, and the result is the same as computing every distance.
      const b = best[s];
      if (c > 0 && between[near[s]] >= 4 * b) continue;
      // |x - c|^2 = |x|^2 + |c|^2 - 2 x.c; rounding can make it slightly negative.
      const d2 = Math.max(0, xn[s] + cn - 2 * dot(xs, s * dim, centroids, o, dim));
      if (d2 < b) {
        total += d2 - (b === Infinity ? 0 : b);
        best[s] = d2;
        near[s] = c;
      }
    }
    if (c === k - 1) break;
    let r = rand() * total;
    let pick = sample - 1;
    for (let s = 0; s < sample; s++) {
      r -= best[s];
      if (r <= 0) {
        pick = s;
        break;
      }
    }
    chosen = pick;
  }
  return centroids;
}
