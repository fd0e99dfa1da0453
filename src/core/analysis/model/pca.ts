// PCA (optionally whitened) of backbone cell vectors, learned before k-means (docs/EVAL.md): the VQ
// graph computes (x - mean) @ matrix for each cell, then splits the result into heads.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface Projection {
  /** channels */
  mean: Float32Array;
  /** channels x dims, row-major */
  matrix: Float32Array;
}

export interface PcaOptions {
  /** Output dimensions. */
  dims: number;
  /** Scale each component by 1 / sqrt(eigenvalue + eps) so the output has identity covariance. */
  whiten?: boolean;
  /**
   * Heads the output is split into. Components are dealt round-robin over the heads (component i
   * goes to head i % heads), so every head sees the same spread of strong and weak directions and
   * one shared codebook fits them all; 1 keeps the components in eigenvalue order.
   */
  heads?: number;
  /** Added to each eigenvalue before whitening, as a fraction of the mean of the kept eigenvalues. */
  eps?: number;
}

export interface PcaResult extends Projection {
  /** Kept eigenvalues, largest first. */
  eigenvalues: Float64Array;
  /** Fraction of the total variance the kept components hold. */
  explained: number;
}

/** Learns the projection from n row vectors of `channels` values each. */
export function learnPca(vectors: Float32Array, n: number, channels: number, opts: PcaOptions): PcaResult {
  const { dims } = opts;
  const heads = opts.heads ?? 1;
  if (!Number.isInteger(dims) || dims < 1 || dims > channels) throw new Error(`pca dims ${dims} must be 1 to ${channels}`);
  if (dims % heads !== 0) throw new Error(`pca dims ${dims} do not split into ${heads} equal heads`);
  if (n < 2) throw new Error('pca needs at least 2 vectors');
  const mean = new Float64Array(channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) mean[c] += vectors[i * channels + c];
  for (let c = 0; c < channels; c++) mean[c] /= n;
  // Upper triangle of the covariance, accumulated row by row in float64.
  const cov = new Float64Array(channels * channels);
  const x = new Float64Array(channels);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) x[c] = vectors[i * channels + c] - mean[c];
    for (let a = 0; a < channels; a++) {
      const xa = x[a];
      if (xa === 0) continue;
      const row = a * channels;
      for (let b = a; b < channels; b++) cov[row + b] += xa * x[b];
    }
  }
  const m = new Matrix(channels, channels);
  for (let a = 0; a < channels; a++)
    for (let b = a; b < channels; b++) {
      const v = cov[a * channels + b] / (n - 1);
      m.set(a, b, v);
      m.set(b, a, v);
    }
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vecs = eig.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((i, j) => values[j] - values[i]);
  const kept = order.slice(0, dims);
  const eigenvalues = Float64Array.from(kept, (i) => Math.max(values[i], 0));
  const total = values.reduce((s, v) => s + Math.max(v, 0), 0);
  const explained = total > 0 ? eigenvalues.reduce((s, v) => s + v, 0) / total : 0;
  const eps = (opts.eps ?? 1e-4) * (eigenvalues.reduce((s, v) => s + v, 0) / dims || 1);
  const per = dims / heads;
  const matrix = new Float32Array(channels * dims);
  kept.forEach((src, comp) => {
    const col = (comp % heads) * per + Math.floor(comp / heads);
    const scale = opts.whiten ? 1 / Math.sqrt(eigenvalues[comp] + eps) : 1;
    // Fix the sign (largest entry positive) so a retrain gives the same matrix.
    let big = 0;
    for (let c = 0; c < channels; c++) if (Math.abs(vecs.get(c, src)) > Math.abs(big)) big = vecs.get(c, src);
    const sign = big < 0 ? -1 : 1;
    for (let c = 0; c < channels; c++) matrix[c * dims + col] = vecs.get(c, src) * scale * sign;
  });
  return { mean: Float32Array.from(mean), matrix, eigenvalues, explained };
}

/** (x - mean) @ matrix for one vector: the JS reference of the VQ graph's projection. */
export function project(p: Projection, x: Float32Array, out: Float32Array, outOffset = 0): void {
  const channels = p.mean.length;
  const dims = p.matrix.length / channels;
  for (let d = 0; d < dims; d++) out[outOffset + d] = 0;
  for (let c = 0; c < channels; c++) {
    const v = x[c] - p.mean[c];
    if (v === 0) continue;
    const row = c * dims;
    for (let d = 0; d < dims; d++) out[outOffset + d] += v * p.matrix[row + d];
  }
}
