// Local differences between two photos of one size: whether what differs between them is an edit
// of one photo or two shots of one scene (docs/DUPLICATES.md#how; the measurements: "Local
// differences" there).
//
// An edit of a photo changes it all over in one way (a re-encode, brightness, greyscale, blur) or
// adds to it, or takes from it, in a few places (a text overlay, a watermark, a retouch). Either
// way, where the two differ locally, the same one of them holds the more detail: the copy with the
// text, the original under the blur. Two shots of one scene or template (a car that moved, the
// sun a little higher, a form filled in by someone else) each hold things the other lacks: where
// the car is now and where it was, one person's words and another's. So the cells that differ
// are compared for which photo holds more detail, and a pair whose changed cells are split both
// ways is two photos, however alike the rest is, however alike their words.
//
// Cell i of one photo must show what cell i of the other shows: a copy of the same pixel size
// shows the same framing; a crop, a resize or a straightened copy does once it is placed where it
// lies in the larger photo (place, local-place.ts: a crop or a small turn left misaligned would look split
// everywhere), and a flip or quarter turn once its cells are turned back (turnLook).

export { PLACE_MAX_ANGLE, place } from './local-place.js';
export { sampleWindow, summed, type Placement } from './local-sample.js';

/**
 * Two scales of cells, 32 and 64 a side over the picture, whatever its aspect (as the perceptual
 * hash squeezes it): a moved car shows at 32, other handwriting in a form's fields at 64, where
 * a re-encode's noise shows too, so the finer scale asks for clearer changes (FINE).
 */
export const LOCAL_SIDE = 32;
export const LOCAL_FINE_SIDE = 64;

/** When a cell has changed, and when the changed cells make two shots, at one scale. */
export interface LocalRule {
  /**
   * Grey levels a cell's mean must move by, after matching the two photos' tones, to have
   * changed. Tones are matched by rank (the k-th darkest cell of one to the k-th of the other),
   * so any brightness, contrast or gamma change, greyscale and clipping leave the cells in place.
   */
  levels: number;
  /**
   * A cell's detail (mean grey step between neighbouring pixels) has changed when, after scaling
   * by the two photos' median ratio of detail, it differs by more than `step` levels and by more
   * than `share` of the two cells' detail together: text on a petal, a car on a road, other words
   * in a field, which may leave the cell's mean grey as it was.
   */
  step: number;
  share: number;
  /** Fewest changed cells for the balance to count. */
  cells: number;
  /**
   * Least share of the changed cells' difference in detail on the side that holds less of it for
   * two photos to be two shots (0: every changed cell has more detail in the same photo; 0.5:
   * split evenly).
   */
  balance: number;
}

/**
 * 32 cells a side: edits split little, two shots of one scene or form more
 * (docs/DUPLICATES.md#thresholds).
 */
export const LOCAL: LocalRule = { levels: 16, step: 4, share: 0.5, cells: 8, balance: 0.2 };
/**
 * 64 a side, changes twice as clear (a re-encode's noise shows at this scale): no same-size
 * edit of the benchmark's originals is two shots by it, forms filled in differently are
 * (docs/DUPLICATES.md#thresholds).
 */
export const LOCAL_FINE: LocalRule = { levels: 32, step: 16, share: 0.7, cells: 8, balance: 0.12 };
/** A photo's cells at one scale: mean grey and mean detail (gradient magnitude). */
export interface LocalCells {
  mean: Float32Array;
  detail: Float32Array;
  /** The cells from darkest to lightest, and their means in that order (for matching tones). */
  order: Uint16Array;
  sorted: Float32Array;
}
export interface LocalLook {
  coarse: LocalCells;
  fine: LocalCells;
}

/** Grey (ITU-R BT.601 luma) of RGB pixels (into `grey` when given: one pixel a value). */
export function greyOfPixels(pixels: Uint8Array, grey: Float32Array = new Float32Array(pixels.length / 3)): Float32Array {
  for (let i = 0, p = 0; i < grey.length; i++, p += 3) grey[i] = 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2];
  return grey;
}

type Sums = [Float64Array, Float64Array, Float64Array, Float64Array];
/**
 * A look's sums, per cell at both scales: grey, pixels, detail and pixels with detail. Kept
 * between calls (one thread; a look is made whole before the next): new ones for each of
 * thousands of photos were ~160 KB a look for the collector.
 */
const sums = {
  fine: Array.from({ length: 4 }, () => new Float64Array(LOCAL_FINE_SIDE * LOCAL_FINE_SIDE)) as Sums,
  coarse: Array.from({ length: 4 }, () => new Float64Array(LOCAL_SIDE * LOCAL_SIDE)) as Sums,
};

/**
 * The cells of a grey image (of the pixels the model reads: decode.ts, EXIF-oriented), both
 * scales from one pass: cell x of 32 holds cells 2x and 2x + 1 of 64. Each cell's sums take its
 * pixels in the same order whatever the loop's shape (row by row, left to right), so the values
 * do not move with it.
 */
export function localLook(grey: Float32Array, width: number, height: number): LocalLook {
  const N = LOCAL_FINE_SIDE;
  // Each column's cell, and the columns where each cell's run of them ends.
  const col = new Int32Array(width);
  for (let x = 0; x < width; x++) col[x] = Math.min(N - 1, Math.floor(((x + 0.5) * N) / width));
  const runEnd = new Int32Array(width);
  for (let x = width - 1; x >= 0; x--) runEnd[x] = x + 1 < width && col[x + 1] === col[x] ? runEnd[x + 1] : x + 1;
  const [sum, grad, count, gcount] = sums.fine;
  sum.fill(0);
  grad.fill(0);
  // Pixels a column of cells and a row of cells hold (every pixel counts for its cell's mean;
  // all but the last row and column for its detail): counted once, not pixel by pixel.
  const colN = new Float64Array(N);
  const rowN = new Float64Array(N);
  for (let x = 0; x < width; x++) colN[col[x]]++;
  for (let y = 0; y < height; y++) {
    const row = Math.min(N - 1, Math.floor(((y + 0.5) * N) / height));
    rowN[row]++;
    const r = row * N;
    const i0 = y * width;
    const below = y + 1 < height;
    // A run of columns in one cell adds to that cell's sums held in registers.
    for (let x = 0; x + 1 < width;) {
      const c = r + col[x];
      const end = Math.min(runEnd[x], width - 1);
      let s = sum[c];
      if (below) {
        let g = grad[c];
        for (; x < end; x++) {
          const i = i0 + x;
          const v = grey[i];
          s += v;
          g += Math.abs(grey[i + 1] - v) + Math.abs(grey[i + width] - v);
        }
        grad[c] = g;
      } else {
        for (; x < end; x++) s += grey[i0 + x];
      }
      sum[c] = s;
    }
    sum[r + col[width - 1]] += grey[i0 + width - 1];
  }
  const lastRow = Math.min(N - 1, Math.floor(((height - 1 + 0.5) * N) / height));
  const lastCol = col[width - 1];
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      count[y * N + x] = rowN[y] * colN[x];
      gcount[y * N + x] = (rowN[y] - (y === lastRow ? 1 : 0)) * (colN[x] - (x === lastCol ? 1 : 0));
    }
  }
  const M = LOCAL_SIDE;
  const c = sums.coarse;
  return {
    coarse: cellsOf(coarser(sum, N, M, c[0]), coarser(count, N, M, c[1]), coarser(grad, N, M, c[2]), coarser(gcount, N, M, c[3]), M),
    fine: cellsOf(sum, count, grad, gcount, N),
  };
}

/** Sums over N x N cells added up over M x M (N a multiple of M), each block's row by row, as a pass over the N x N would. */
function coarser(v: Float64Array, N: number, M: number, out: Float64Array): Float64Array {
  const k = N / M;
  for (let y = 0; y < M; y++) {
    for (let x = 0; x < M; x++) {
      let s = 0;
      for (let dy = 0; dy < k; dy++) for (let dx = 0, i = (y * k + dy) * N + x * k; dx < k; dx++, i++) s += v[i];
      out[y * M + x] = s;
    }
  }
  return out;
}

/** Scratch for the cells' sort (one thread). */
const rank = { key: new Int32Array(0), pass: new Int32Array(0), low: new Int32Array(257), high: new Int32Array(257) };

/**
 * A scale's cells from their sums and pixel counts, with the cells ordered by mean: to 1/256 of
 * a level, then by cell. A counting sort on the two bytes of the key (stable, so ties stay in
 * cell order) gives the order a sort of the packed keys would, without the sort.
 */
function cellsOf(s: Float64Array, n: Float64Array, g: Float64Array, gn: Float64Array, M: number): LocalCells {
  const cells = M * M;
  const mean = new Float32Array(cells);
  const detail = new Float32Array(cells);
  if (rank.key.length < cells) {
    rank.key = new Int32Array(cells);
    rank.pass = new Int32Array(cells);
  }
  const { key, pass, low, high } = rank;
  let counted = true;
  for (let i = 0; i < cells; i++) {
    mean[i] = n[i] > 0 ? s[i] / n[i] : 0;
    detail[i] = gn[i] > 0 ? g[i] / gn[i] : 0;
    const k = Math.round(mean[i] * 256);
    if (!(k >= 0 && k <= 0xffff)) counted = false;
    key[i] = k;
  }
  const order = new Uint16Array(cells);
  if (counted) {
    low.fill(0);
    high.fill(0);
    for (let i = 0; i < cells; i++) {
      low[(key[i] & 0xff) + 1]++;
      high[(key[i] >> 8) + 1]++;
    }
    for (let b = 1; b < 257; b++) {
      low[b] += low[b - 1];
      high[b] += high[b - 1];
    }
    for (let i = 0; i < cells; i++) pass[low[key[i] & 0xff]++] = i;
    for (let r = 0; r < cells; r++) order[high[key[pass[r]] >> 8]++] = pass[r];
  } else {
    // A mean outside a grey level's range (never from pixels): the packed keys sorted.
    const keys = new Float64Array(cells);
    for (let i = 0; i < cells; i++) keys[i] = Math.round(mean[i] * 256) * 8192 + i;
    keys.sort();
    for (let r = 0; r < cells; r++) order[r] = keys[r] % 8192;
  }
  const sorted = new Float32Array(cells);
  for (let r = 0; r < cells; r++) sorted[r] = mean[order[r]];
  return { mean, detail, order, sorted };
}

/**
 * The k-th smallest of the first n values of `a` (reordering them), as sorting them would place
 * it: a selection (Hoare's partition, so runs of equal values split evenly), not a whole sort.
 */
function nth(a: Float32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[k];
    let i = lo;
    let j = hi;
    do {
      while (a[i] < pivot) i++;
      while (pivot < a[j]) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) lo = i;
    if (k < i) hi = j;
  }
  return a[k];
}

/** localChange's per-cell scratch, kept between calls (one thread). */
const change = { matched: new Float32Array(0), ratios: new Float32Array(0) };

/**
 * What differs locally between two photos of one framing at one scale: the cells that changed
 * (their tone-matched mean, or their detail beyond the photos' overall ratio of detail: a blur or
 * a re-encode scales it everywhere), and how the changed cells' difference in detail splits
 * between the two (0 all one way, 0.5 evenly).
 */
export function localChange(a: LocalCells, b: LocalCells, rule: LocalRule = LOCAL): { changed: number; cells: number; balance: number } {
  const n = a.mean.length;
  if (change.matched.length < n) change.matched = new Float32Array(n);
  if (change.ratios.length < n) change.ratios = new Float32Array(n);
  const { matched, ratios } = change;
  matched.fill(0, 0, n);
  for (let rank = 0; rank < n; rank++) matched[a.order[rank]] = b.sorted[rank];
  let m = 0;
  let nan = false;
  for (let i = 0; i < n; i++) {
    if (a.detail[i] > 1 && b.detail[i] > 1) {
      const r = b.detail[i] / a.detail[i];
      ratios[m++] = r;
      if (Number.isNaN(r)) nan = true;
    }
  }
  // The median (a sort, where an infinite detail made a ratio no number: sorted last).
  const ratio = m === 0 ? 1 : nan ? ratios.subarray(0, m).sort()[m >> 1] : nth(ratios, m, m >> 1);
  let more = 0;
  let less = 0;
  let cells = 0;
  for (let i = 0; i < n; i++) {
    const da = a.detail[i] * ratio;
    const d = da - b.detail[i];
    const detailChanged = Math.abs(d) > rule.step && Math.abs(d) > rule.share * (da + b.detail[i]);
    if (!detailChanged && Math.abs(matched[i] - b.mean[i]) <= rule.levels) continue;
    cells++;
    if (d > 0) more += d;
    else less -= d;
  }
  return { changed: cells / n, cells, balance: more + less > 0 ? Math.min(more, less) / (more + less) : 0 };
}

const splits = (c: { cells: number; balance: number }, rule: LocalRule) => c.cells >= rule.cells && c.balance >= rule.balance;

/** Whether two photos of one framing differ locally both ways, at either scale: two shots, not a photo and its edit. */
export function twoShots(a: LocalLook, b: LocalLook): boolean {
  return splits(localChange(a.coarse, b.coarse, LOCAL), LOCAL) || splits(localChange(a.fine, b.fine, LOCAL_FINE), LOCAL_FINE);
}

/** The grey pixels of the window [x, x + w) x [y, y + h) of a grey image `width` pixels wide. */
export function greyWindow(grey: Float32Array, width: number, x: number, y: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let r = 0; r < h; r++) out.set(grey.subarray((y + r) * width + x, (y + r) * width + x + w), r * w);
  return out;
}

/**
 * A grey image after one of the 8 flips and quarter turns (phash.ts's TRANSFORMS, as its
 * transformCoefficients reads them: a transpose if the turn swaps the axes, then x and or y
 * reversed), with its new width and height.
 */
export function turnGrey(grey: Float32Array, width: number, height: number, t: string): { grey: Float32Array; width: number; height: number } {
  const swap = t === 'transpose' || t === 'rot90' || t === 'rot270' || t === 'transverse';
  const flipX = t === 'mirror' || t === 'rot180' || t === 'rot90' || t === 'transverse';
  const flipY = t === 'flip' || t === 'rot180' || t === 'rot270' || t === 'transverse';
  const W = swap ? height : width;
  const H = swap ? width : height;
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const sy = flipY ? H - 1 - y : y;
    for (let x = 0; x < W; x++) {
      const sx = flipX ? W - 1 - x : x;
      out[y * W + x] = swap ? grey[sx * width + sy] : grey[sy * width + sx];
    }
  }
  return { grey: out, width: W, height: H };
}

/**
 * The cells of a photo after one of the 8 flips and quarter turns (turnGrey's reading of
 * phash.ts's TRANSFORMS): the same cells in other places. Detail (steps between neighbouring
 * pixels, across and down) is the same under a flip or a transpose.
 */
export function turnLook(look: LocalLook, t: string): LocalLook {
  const turn = (c: LocalCells): LocalCells => {
    const N = Math.round(Math.sqrt(c.mean.length));
    const { grey: from } = turnGrey(
      Float32Array.from({ length: N * N }, (_, i) => i),
      N,
      N,
      t,
    );
    const to = new Uint16Array(N * N);
    const mean = new Float32Array(N * N);
    const detail = new Float32Array(N * N);
    for (let i = 0; i < N * N; i++) {
      mean[i] = c.mean[from[i]];
      detail[i] = c.detail[from[i]];
      to[from[i]] = i;
    }
    return { mean, detail, order: Uint16Array.from(c.order, (o) => to[o]), sorted: c.sorted };
  };
  return { coarse: turn(look.coarse), fine: turn(look.fine) };
}
