// Token grid -> bag of visual words ("k-grams", the paper's section on 2D and 3D n-grams).
//
// A word is a token seen at a given offset inside a k x k (x k) window, so the same token in a
// different corner of the window is a different word: that keeps local spatial layout in an
// otherwise orderless bag. This runs once per photo in the indexing loop, so it avoids strings,
// Maps and a global sort: it walks the term space in ascending block order and only sorts the
// handful of distinct tokens inside each block.

import type { Bag, KgramSettings, TokenGrid } from '../common/types.js';

// Co-occurrence pairs and two-field bags, evaluation's words beyond the k-grams: kgram-pairs.ts.
export { PAIR_OFFSETS, appendField, pairBag, pairTermSpace, type PairOffsets } from './kgram-pairs.js';

/**
 * Number of possible term ids, i.e. one past the largest id bagFromGrid can emit.
 * 2D: heads*k*k*codes (the head is part of the word). 3D: k*k*k*codes (only the offset along the
 * head axis is, so words are shared across heads).
 */
export function termSpaceSize(heads: number, codes: number, s: KgramSettings): number {
  checkSettings(s);
  const k = s.kernel;
  if (s.collapse) return (s.channel ? 1 : heads) * codes;
  return (s.channel ? k : heads) * k * k * codes;
}

// Scratch for collapsing: per collapsed term, the summed count (left zeroed between calls).
let collapsedCounts = new Float64Array(0);

/**
 * Sum a k-gram bag over the window offsets: 2D term ((head*k + dy)*k + dx)*codes + token becomes
 * head*codes + token; 3D ((dc*k + dy)*k + dx)*codes + token becomes token.
 */
export function collapseBag(bag: Bag, codes: number, s: KgramSettings): Bag {
  const k = s.kernel;
  const perOuter = k * k * codes;
  const { terms, tfs } = bag;
  if (terms.length === 0) return { terms: new Uint32Array(0), tfs: new Float32Array(0) };
  const outer = s.channel ? 1 : Math.floor(terms[terms.length - 1] / perOuter) + 1;
  const size = outer * codes;
  if (collapsedCounts.length < size) collapsedCounts = new Float64Array(size);
  const acc = collapsedCounts;
  let lo = size;
  let hi = -1;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i];
    const id = s.channel ? t % codes : Math.floor(t / perOuter) * codes + (t % codes);
    acc[id] += tfs[i];
    if (id < lo) lo = id;
    if (id > hi) hi = id;
  }
  let m = 0;
  for (let id = lo; id <= hi; id++) if (acc[id] > 0) m++;
  const outTerms = new Uint32Array(m);
  const outTfs = new Float32Array(m);
  m = 0;
  for (let id = lo; id <= hi; id++) {
    if (acc[id] > 0) {
      outTerms[m] = id;
      outTfs[m++] = acc[id];
      acc[id] = 0;
    }
  }
  return { terms: outTerms, tfs: outTfs };
}

/**
 * Inclusive range [lo, hi] of window start positions along one axis of length `len`.
 * Normally every start from -p to len+p-k. Real photos can give grids of side 1 or 2, smaller
 * than the kernel even with padding; sliding would then yield no window at all and the photo an
 * empty bag, so such an axis gets exactly one window, centred on the real cells.
 */
export function axisStarts(len: number, k: number, p: number): [number, number] {
  if (len + 2 * p >= k) return [-p, len + p - k];
  const start = -Math.floor((k - len) / 2);
  return [start, start];
}

/**
 * For each position along an axis of length `len`, how many windows cover it: the offsets d
 * inside the window whose start pos - d is one of axisStarts. A cell at (y, x) sits in
 * cover[y] * cover[x] windows, which is its count in a collapsed bag.
 */
function axisCover(len: number, k: number, p: number): Uint32Array {
  const [lo, hi] = axisStarts(len, k, p);
  return Uint32Array.from({ length: len }, (_, pos) => {
    let c = 0;
    for (let d = 0; d < k; d++) if (pos - d >= lo && pos - d <= hi) c++;
    return c;
  });
}

function checkGrid({ heads: C, height: H, width: W, codes: n, tokens }: TokenGrid): void {
  if (C < 1 || H < 1 || W < 1) throw new Error(`token grid must be non-empty, got ${C}x${H}x${W}`);
  if (tokens.length !== C * H * W) throw new Error(`token grid has ${tokens.length} tokens, expected ${C}*${H}*${W}`);
  if (!Number.isInteger(n) || n < 1 || n > 65536) throw new Error(`codebook size must be in [1, 65536], got ${n}`);
  // One bad token would silently alias into the next block's term ids; check once up front.
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] >= n) throw new Error(`token ${tokens[i]} at ${i} is outside codebook of size ${n}`);
  }
}

function checkSettings(s: KgramSettings): void {
  if (!Number.isInteger(s.kernel) || s.kernel < 1) throw new Error(`k-gram kernel must be a positive integer, got ${s.kernel}`);
  if (!Number.isInteger(s.padding) || s.padding < 0) throw new Error(`k-gram padding must be a non-negative integer, got ${s.padding}`);
}

// Scratch reused across calls: per-token counts for the current block (always left zeroed) and
// the list of tokens touched in it. Safe because bagFromGrid is synchronous.
let counts = new Uint32Array(0);
let touched = new Uint16Array(0);

/**
 * Bag of k-gram words of a token grid.
 *
 * Term id (2D) = ((head*k + dy)*k + dx)*codes + token; (3D) = ((dc*k + dy)*k + dx)*codes + token.
 * Count of a term = number of windows that hold that token at that offset. A real cell at offset
 * (dy, dx) pins the window start (y-dy, x-dx), so each (cell, offset) contributes 0 or 1 and the
 * count is just how many cells of that block have a valid window start — no window enumeration.
 */
export function bagFromGrid(grid: TokenGrid, s: KgramSettings): Bag {
  if (s.soft) return softKgramBag(grid, s);
  if (s.collapse && !s.channel) return collapsedKgramBag(grid, s);
  const bag = kgramBag(grid, s);
  return s.collapse ? collapseBag(bag, grid.codes, s) : bag;
}

/**
 * collapseBag(kgramBag(grid)) for 2D k-grams without the per-offset bag in between: a cell
 * counts, for its head and token, once per window that holds it, which is how many window
 * starts cover its row times how many cover its column. The default settings index this way,
 * on the main thread beside the model, at a fraction of the detour's cost.
 */
function collapsedKgramBag(grid: TokenGrid, s: KgramSettings): Bag {
  checkSettings(s);
  const { heads: C, height: H, width: W, codes: n, tokens } = grid;
  checkGrid(grid);
  const coverY = axisCover(H, s.kernel, s.padding);
  const coverX = axisCover(W, s.kernel, s.padding);
  const cells = H * W;
  if (counts.length < n) counts = new Uint32Array(n);
  if (touched.length < cells) touched = new Uint16Array(cells);
  const cnt = counts;
  const seen = touched;
  const terms = new Uint32Array(C * Math.min(n, cells));
  const tfs = new Float32Array(terms.length);
  let m = 0;
  for (let c = 0; c < C; c++) {
    let nt = 0;
    for (let y = 0; y < H; y++) {
      const wy = coverY[y];
      if (wy === 0) continue;
      const row = (c * H + y) * W;
      for (let x = 0; x < W; x++) {
        const w = wy * coverX[x];
        if (w === 0) continue;
        const t = tokens[row + x];
        if (cnt[t] === 0) seen[nt++] = t;
        cnt[t] += w;
      }
    }
    const headTokens = seen.subarray(0, nt);
    headTokens.sort();
    for (let i = 0; i < nt; i++) {
      const t = headTokens[i];
      terms[m] = c * n + t;
      tfs[m++] = cnt[t];
      cnt[t] = 0;
    }
  }
  return { terms: terms.slice(0, m), tfs: tfs.slice(0, m) };
}

// Scratch for soft bags: per term, its summed weight (left zeroed between calls), and the terms touched.
let softAcc = new Float64Array(0);
let softTouched = new Uint32Array(0);
let softTfs = new Float32Array(0);

/**
 * Soft assignment: the bag of bagFromGrid where each cell counts for its nearest code (weight 1)
 * and for its second-nearest code (weight s.soft), in the same k-gram terms (2D, per offset or
 * collapsed).
 */
function softKgramBag(grid: TokenGrid, s: KgramSettings): Bag {
  checkSettings(s);
  if (s.channel) throw new Error('soft assignment works with 2D k-grams only');
  const { heads: C, height: H, width: W, codes: n, tokens } = grid;
  const soft = grid.soft;
  if (!soft) throw new Error('soft assignment needs token grids with second codes (index with --soft-assign)');
  const cells = C * H * W;
  if (tokens.length !== cells || soft.second.length !== cells) throw new Error(`token grid has ${tokens.length} tokens, expected ${C}*${H}*${W}`);
  for (let i = 0; i < cells; i++) {
    if (tokens[i] >= n || soft.second[i] >= n) throw new Error(`token at ${i} is outside codebook of size ${n}`);
  }
  const w2 = s.soft ?? 0;
  const k = s.kernel;
  const [ylo, yhi] = axisStarts(H, k, s.padding);
  const [xlo, xhi] = axisStarts(W, k, s.padding);
  const size = s.collapse ? C * n : C * k * k * n;
  if (softAcc.length < size) softAcc = new Float64Array(size);
  const acc = softAcc;
  let m = 0;
  const add = (id: number, w: number) => {
    if (acc[id] === 0) {
      if (m === softTouched.length) {
        const grown = new Uint32Array(Math.max(1024, m * 2));
        grown.set(softTouched);
        softTouched = grown;
      }
      softTouched[m++] = id;
    }
    acc[id] += w;
  };
  // Window starts covering a cell at offset d along an axis: start = pos - d within [lo, hi].
  const covers = (pos: number, d: number, lo: number, hi: number) => pos - d >= lo && pos - d <= hi;
  const coverY = s.collapse ? axisCover(H, k, s.padding) : undefined;
  const coverX = s.collapse ? axisCover(W, k, s.padding) : undefined;
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = (c * H + y) * W + x;
        const t1 = tokens[i];
        const t2 = soft.second[i];
        if (coverY && coverX) {
          const cover = coverY[y] * coverX[x];
          if (cover === 0) continue;
          add(c * n + t1, cover);
          if (w2 > 0) add(c * n + t2, cover * w2);
        } else {
          for (let dy = 0; dy < k; dy++) {
            if (!covers(y, dy, ylo, yhi)) continue;
            for (let dx = 0; dx < k; dx++) {
              if (!covers(x, dx, xlo, xhi)) continue;
              const base = ((c * k + dy) * k + dx) * n;
              add(base + t1, 1);
              if (w2 > 0) add(base + t2, w2);
            }
          }
        }
      }
    }
  }
  // Counts are rounded to whole numbers here, as the index stores them (store.ts keeps uint16
  // counts), so that a query's bag and the stored ones agree and eval measures what users get; a
  // word whose weight rounds to 0 is left out.
  const touched = softTouched.subarray(0, m).sort();
  if (softTfs.length < m) softTfs = new Float32Array(m);
  let kept = 0;
  for (let j = 0; j < m; j++) {
    const v = Math.round(acc[touched[j]]);
    acc[touched[j]] = 0;
    if (v > 0) {
      touched[kept] = touched[j];
      softTfs[kept++] = v;
    }
  }
  return { terms: touched.slice(0, kept), tfs: softTfs.slice(0, kept) };
}

function kgramBag(grid: TokenGrid, s: KgramSettings): Bag {
  checkSettings(s);
  const { heads: C, height: H, width: W, codes: n, tokens } = grid;
  checkGrid(grid);

  const k = s.kernel;
  const p = s.padding;
  const [ylo, yhi] = axisStarts(H, k, p);
  const [xlo, xhi] = axisStarts(W, k, p);
  const [clo, chi] = s.channel ? axisStarts(C, k, p) : [0, 0];
  const outer = s.channel ? k : C; // leading term-id digit: head (2D) or head offset (3D)

  // Upper bound on distinct terms: each block holds at most min(codes, cells it can see).
  const cellsPerBlock = (s.channel ? C : 1) * H * W;
  const cap = outer * k * k * Math.min(n, cellsPerBlock);
  const terms = new Uint32Array(cap);
  const tfs = new Float32Array(cap);
  if (counts.length < n) counts = new Uint32Array(n);
  if (touched.length < cellsPerBlock) touched = new Uint16Array(cellsPerBlock);
  const cnt = counts;
  const seen = touched;

  let m = 0;
  for (let b = 0; b < outer; b++) {
    // Heads whose cells can sit at this block's head index: 2D just head b; 3D every head c with
    // a valid head-window start c - b.
    const c0 = s.channel ? Math.max(0, clo + b) : b;
    const c1 = s.channel ? Math.min(C - 1, chi + b) : b;
    if (c0 > c1) continue;
    for (let dy = 0; dy < k; dy++) {
      const y0 = Math.max(0, ylo + dy);
      const y1 = Math.min(H - 1, yhi + dy);
      if (y0 > y1) continue;
      for (let dx = 0; dx < k; dx++) {
        const x0 = Math.max(0, xlo + dx);
        const x1 = Math.min(W - 1, xhi + dx);
        if (x0 > x1) continue;
        let nt = 0;
        for (let c = c0; c <= c1; c++) {
          for (let y = y0; y <= y1; y++) {
            const row = (c * H + y) * W;
            for (let x = x0; x <= x1; x++) {
              const t = tokens[row + x];
              if (cnt[t]++ === 0) seen[nt++] = t;
            }
          }
        }
        // Ids ascend with (b, dy, dx) then token, so sorting tokens within the block is enough.
        const blockTokens = seen.subarray(0, nt);
        blockTokens.sort();
        const base = ((b * k + dy) * k + dx) * n;
        for (let i = 0; i < nt; i++) {
          const t = blockTokens[i];
          terms[m] = base + t;
          tfs[m] = cnt[t];
          cnt[t] = 0;
          m++;
        }
      }
    }
  }
  // slice (copy) rather than subarray so the bag does not pin the over-sized buffers.
  return { terms: terms.slice(0, m), tfs: tfs.slice(0, m) };
}
