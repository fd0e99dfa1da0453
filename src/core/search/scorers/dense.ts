// Cosine similarity over dense pooled features: the "no quantisation" reference in evaluation,
// measuring how much retrieval quality turning features into visual words costs.
import { topK } from './scorer.js';

export class DenseIndex {
  readonly n: number;
  readonly dim: number;
  /** Row-major n x dim, each row L2-normalised (all-zero rows stay zero and score 0). */
  readonly vectors: Float32Array;

  // Normalising once at build turns every query into plain dot products.
  constructor(vectors: readonly Float32Array[], dim?: number) {
    const d = dim ?? (vectors.length > 0 ? vectors[0].length : 0);
    this.n = vectors.length;
    this.dim = d;
    this.vectors = new Float32Array(this.n * d);
    for (let i = 0; i < this.n; i++) {
      const v = vectors[i];
      if (v.length !== d) throw new Error(`vector ${i} has length ${v.length}, expected ${d}`);
      const inv = invNorm(v);
      const row = i * d;
      for (let j = 0; j < d; j++) this.vectors[row + j] = v[j] * inv;
    }
  }

  /** Cosine of `vec` with every stored vector. */
  scoreAll(vec: Float32Array, out?: Float32Array): Float32Array {
    const { n, dim, vectors } = this;
    if (vec.length !== dim) throw new Error(`query has length ${vec.length}, expected ${dim}`);
    const res = out ?? new Float32Array(n);
    if (res.length !== n) throw new Error(`score buffer has length ${res.length}, expected ${n}`);
    const inv = invNorm(vec);
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0, row = i * dim; j < dim; j++) dot += vec[j] * vectors[row + j];
      res[i] = dot * inv;
    }
    return res;
  }
}

/**
 * Average query expansion over dense vectors: the top `m` results of `scores` (the query itself
 * among them when it is indexed), each weighted by similarity^`a`, summed into a new query.
 */
export function expandDense(index: DenseIndex, query: Float32Array, scores: Float32Array, m: number, a: number): Float32Array {
  const { dim, vectors } = index;
  const out = new Float32Array(dim);
  const top = topK(scores, m);
  if (!(top.length > 0 && top[0].score > 0.9999)) {
    const inv = invNorm(query);
    for (let j = 0; j < dim; j++) out[j] = query[j] * inv;
  }
  for (const r of top) {
    const f = Math.max(0, r.score) ** a;
    for (let j = 0, row = r.index * dim; j < dim; j++) out[j] += f * vectors[row + j];
  }
  return out;
}

function invNorm(v: Float32Array): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  return s > 0 ? 1 / Math.sqrt(s) : 0;
}
