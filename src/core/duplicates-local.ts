// Local differences between two photos of one size (issue 17): whether what differs between them
// is an edit of one photo or two shots of one scene.
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
// Only for photos of the same pixel size (and not a flip or turn of each other): a copy of that
// size shows the same framing, so cell i of one is cell i of the other. A crop or a small turn
// misaligns the cells and would look split everywhere.

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
 * Measured (docs/DUPLICATES.md), 32 cells a side: text overlays split 0.001 at most, re-encodes,
 * greyscale, brighter, JPEG-5 and blurred copies 0.103 at most where 8 or more cells changed (a
 * blurred copy had 4 cells split 0.204); scene renders with a car moved 0.368 and up, forms
 * filled in differently 0.177 and up.
 */
export const LOCAL: LocalRule = { levels: 16, step: 4, share: 0.5, cells: 8, balance: 0.2 };
/**
 * 64 a side, changes twice as clear: no copy of 80 originals' 7 same-size edits is two shots
 * to its original by either scale, and 181 of 190 pairs of forms are (148 by the coarse scale
 * alone); at step 12 one JPEG-5 copy in 80 was.
 */
export const LOCAL_FINE: LocalRule = { levels: 32, step: 16, share: 0.7, cells: 8, balance: 0.2 };

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

/** Grey (ITU-R BT.601 luma) of RGB pixels. */
export function greyOfPixels(pixels: Uint8Array): Float32Array {
  const grey = new Float32Array(pixels.length / 3);
  for (let i = 0, p = 0; i < grey.length; i++, p += 3) grey[i] = 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2];
  return grey;
}

/**
 * The cells of a grey image (of the pixels the model reads: decode.ts, EXIF-oriented), both
 * scales from one pass: cell x of 32 holds cells 2x and 2x + 1 of 64.
 */
export function localLook(grey: Float32Array, width: number, height: number): LocalLook {
  const N = LOCAL_FINE_SIDE;
  const col = Int32Array.from({ length: width }, (_, x) => Math.min(N - 1, Math.floor(((x + 0.5) * N) / width)));
  const sum = new Float64Array(N * N);
  const grad = new Float64Array(N * N);
  const count = new Float64Array(N * N);
  const gcount = new Float64Array(N * N);
  for (let y = 0; y < height; y++) {
    const row = Math.min(N - 1, Math.floor(((y + 0.5) * N) / height)) * N;
    const inner = y + 1 < height;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const c = row + col[x];
      const v = grey[i];
      sum[c] += v;
      count[c]++;
      if (inner && x + 1 < width) {
        grad[c] += Math.abs(grey[i + 1] - v) + Math.abs(grey[i + width] - v);
        gcount[c]++;
      }
    }
  }
  const cells = (M: number): LocalCells => {
    const k = N / M;
    const s = new Float64Array(M * M);
    const g = new Float64Array(M * M);
    const n = new Float64Array(M * M);
    const gn = new Float64Array(M * M);
    for (let y = 0; y < N; y++) {
      const row = ((y / k) | 0) * M;
      for (let x = 0; x < N; x++) {
        const c = row + ((x / k) | 0);
        s[c] += sum[y * N + x];
        n[c] += count[y * N + x];
        g[c] += grad[y * N + x];
        gn[c] += gcount[y * N + x];
      }
    }
    const mean = new Float32Array(M * M);
    const detail = new Float32Array(M * M);
    // Sorted by a numeric key (mean to 1/256 of a level, then the cell): a typed sort, no comparator.
    const keys = new Float64Array(M * M);
    for (let i = 0; i < M * M; i++) {
      mean[i] = n[i] > 0 ? s[i] / n[i] : 0;
      detail[i] = gn[i] > 0 ? g[i] / gn[i] : 0;
      keys[i] = Math.round(mean[i] * 256) * 8192 + i;
    }
    keys.sort();
    const order = new Uint16Array(M * M);
    const sorted = new Float32Array(M * M);
    for (let r = 0; r < M * M; r++) {
      order[r] = keys[r] % 8192;
      sorted[r] = mean[order[r]];
    }
    return { mean, detail, order, sorted };
  };
  return { coarse: cells(LOCAL_SIDE), fine: cells(N) };
}

/**
 * What differs locally between two photos of one framing at one scale: the cells that changed
 * (their tone-matched mean, or their detail beyond the photos' overall ratio of detail: a blur or
 * a re-encode scales it everywhere), and how the changed cells' difference in detail splits
 * between the two (0 all one way, 0.5 evenly).
 */
export function localChange(a: LocalCells, b: LocalCells, rule: LocalRule = LOCAL): { changed: number; cells: number; balance: number } {
  const n = a.mean.length;
  const matched = new Float32Array(n);
  for (let rank = 0; rank < n; rank++) matched[a.order[rank]] = b.sorted[rank];
  const ratios = new Float32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (a.detail[i] > 1 && b.detail[i] > 1) ratios[m++] = b.detail[i] / a.detail[i];
  const ratio = m > 0 ? ratios.subarray(0, m).sort()[m >> 1] : 1;
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
