// CropAndJaccard, the paper's weak baseline: compare token grids cell by cell instead of as bags.
// Grids of different aspect ratios are centre-cropped to their common size first, so it only
// credits tokens that line up spatially; comparing it with the bag scorers shows what
// position-tolerant k-grams gain.

import type { TokenGrid } from '../../common/types.js';

/** Fraction of cells, over all heads, whose tokens agree after centre-cropping both grids to min(H) x min(W). */
export function cropJaccard(a: TokenGrid, b: TokenGrid): number {
  if (a.heads !== b.heads) throw new Error(`cannot compare grids with ${a.heads} and ${b.heads} heads`);
  const h = Math.min(a.height, b.height);
  const w = Math.min(a.width, b.width);
  const cells = a.heads * h * w;
  if (cells === 0) return 0;
  const ay = (a.height - h) >> 1;
  const ax = (a.width - w) >> 1;
  const by = (b.height - h) >> 1;
  const bx = (b.width - w) >> 1;
  const ta = a.tokens;
  const tb = b.tokens;
  let same = 0;
  for (let c = 0; c < a.heads; c++) {
    for (let y = 0; y < h; y++) {
      let ia = (c * a.height + ay + y) * a.width + ax;
      let ib = (c * b.height + by + y) * b.width + bx;
      for (let x = 0; x < w; x++, ia++, ib++) if (ta[ia] === tb[ib]) same++;
    }
  }
  return same / cells;
}

/** Score of `query` against every grid, in the grids' order. */
export function cropJaccardAll(query: TokenGrid, grids: readonly TokenGrid[], out?: Float32Array): Float32Array {
  const res = out ?? new Float32Array(grids.length);
  if (res.length !== grids.length) throw new Error(`score buffer has length ${res.length}, expected ${grids.length}`);
  for (let i = 0; i < grids.length; i++) res[i] = cropJaccard(query, grids[i]);
  return res;
}
