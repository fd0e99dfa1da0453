// Words beyond the k-grams, for evaluation (docs/EVAL.md, "Beyond the bag"): co-occurrence pairs
// of (coarse) codes at fixed offsets, and one bag made of two fields.
import type { Bag, TokenGrid } from '../common/types.js';

/** Spatial offsets (dy, dx) of co-occurrence pairs: neighbours right and below, plus diagonals, or two cells away. */
export const PAIR_OFFSETS = {
  hv: [
    [0, 1],
    [1, 0],
  ],
  hvd: [
    [0, 1],
    [1, 0],
    [1, 1],
    [1, -1],
  ],
  d2: [
    [0, 2],
    [2, 0],
  ],
} as const satisfies Record<string, readonly (readonly [number, number])[]>;
export type PairOffsets = keyof typeof PAIR_OFFSETS;

/** Term ids pairBag can emit: heads x offsets x m x m (m = coarse codes). */
export function pairTermSpace(heads: number, offsets: number, m: number): number {
  return heads * offsets * m * m;
}

/**
 * Co-occurrence words ("real" 2-grams, unlike the per-offset counts of bagFromGrid): for every cell
 * and offset (dy, dx) whose partner cell is inside the grid, the ordered pair (token at the cell,
 * token at cell + offset) within one head. Term id = ((head*offsets + o)*m + a)*m + b, where a and
 * b are the two tokens mapped through `map` to m coarse codes (no map: m = codes). Counts are the
 * number of cell pairs.
 */
export function pairBag(grid: TokenGrid, offsets: readonly (readonly [number, number])[], map?: Uint16Array, m = grid.codes): Bag {
  const { heads: C, height: H, width: W, tokens } = grid;
  if (tokens.length !== C * H * W) throw new Error(`token grid has ${tokens.length} tokens, expected ${C}*${H}*${W}`);
  if (map && map.length < grid.codes) throw new Error(`coarse map covers ${map.length} of ${grid.codes} codes`);
  const space = pairTermSpace(C, offsets.length, m);
  if (space > 2 ** 32) throw new Error(`pair term space ${space} exceeds 2^32 term ids; map the codes to fewer coarse codes`);
  const ids = new Uint32Array(C * offsets.length * H * W);
  let k = 0;
  for (let c = 0; c < C; c++) {
    for (let o = 0; o < offsets.length; o++) {
      const [dy, dx] = offsets[o];
      const lead = (c * offsets.length + o) * m;
      for (let y = Math.max(0, -dy); y < Math.min(H, H - dy); y++) {
        for (let x = Math.max(0, -dx); x < Math.min(W, W - dx); x++) {
          let a = tokens[(c * H + y) * W + x];
          let b = tokens[(c * H + y + dy) * W + x + dx];
          if (map) {
            a = map[a];
            b = map[b];
          }
          if (a >= m || b >= m) throw new Error(`coarse code ${Math.max(a, b)} is outside ${m}`);
          ids[k++] = (lead + a) * m + b;
        }
      }
    }
  }
  const sorted = ids.subarray(0, k).sort();
  let distinct = 0;
  for (let i = 0; i < k; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const terms = new Uint32Array(distinct);
  const tfs = new Float32Array(distinct);
  let j = -1;
  for (let i = 0; i < k; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) terms[++j] = sorted[i];
    tfs[j]++;
  }
  return { terms, tfs };
}

/**
 * One bag of two fields: `a`'s terms, then `b`'s shifted by `offset` into a disjoint range (a's
 * terms must all be below offset). Scored as one bag, each field weighs by its share of the norm.
 */
export function appendField(a: Bag, b: Bag, offset: number): Bag {
  if (a.terms.length > 0 && a.terms[a.terms.length - 1] >= offset) throw new Error(`field offset ${offset} overlaps the first field's terms`);
  if (b.terms.length > 0 && offset + b.terms[b.terms.length - 1] >= 2 ** 32) throw new Error('second field runs past 2^32 term ids');
  const terms = new Uint32Array(a.terms.length + b.terms.length);
  const tfs = new Float32Array(terms.length);
  terms.set(a.terms);
  tfs.set(a.tfs);
  for (let i = 0; i < b.terms.length; i++) terms[a.terms.length + i] = offset + b.terms[i];
  tfs.set(b.tfs, a.terms.length);
  return { terms, tfs };
}
