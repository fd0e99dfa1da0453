// Coarse codes for co-occurrence words (kgrams.ts pairBag): the codebook's own centroids clustered
// into m groups by k-means (fixed seed), so that two similar codes fall into one coarse code and
// pairs of them still match across photos (pairs of 4,096 codes are too rare to ever match).
import { kmeans } from './kmeans.js';
import type { Codebook } from './vq.js';

export async function coarseCodeMap(codebook: Codebook, m: number, seed = 0): Promise<Uint16Array> {
  if (codebook.perHead) throw new Error('coarse codes are defined for a shared codebook only');
  if (!Number.isInteger(m) || m < 2 || m > codebook.codes) throw new Error(`coarse codes must be 2 to ${codebook.codes}, got ${m}`);
  const { dim, codes, centroids } = codebook;
  const r = await kmeans(centroids, dim, { k: m, iterations: 20, seed });
  const map = new Uint16Array(codes);
  for (let c = 0; c < codes; c++) {
    let best = 0;
    let bestDist = Infinity;
    for (let j = 0; j < m; j++) {
      let d = 0;
      for (let k = 0; k < dim; k++) {
        const v = centroids[c * dim + k] - r.centroids[j * dim + k];
        d += v * v;
      }
      if (d < bestDist) {
        bestDist = d;
        best = j;
      }
    }
    map[c] = best;
  }
  return map;
}
