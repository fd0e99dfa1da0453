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

/** Cells a side: 32 x 32 over the picture, whatever its aspect (as the perceptual hash squeezes it). */
export const LOCAL_SIDE = 32;
/**
 * Grey levels a cell's mean must move by, after matching the two photos' tones, to have changed.
 * Tones are matched by rank (the k-th darkest cell of one to the k-th of the other), so any
 * brightness, contrast or gamma change, greyscale and clipping leave the cells in place.
 */
export const LOCAL_LEVELS = 16;
/**
 * A cell's detail (mean grey step between neighbouring pixels) has changed when, after scaling by
 * the two photos' median ratio of detail, it differs by more than LOCAL_DETAIL_STEP levels and by
 * more than LOCAL_DETAIL_SHARE of the two cells' detail together: text on a petal, a car on a
 * road, other words in a form's field, which may leave the cell's mean grey as it was.
 */
export const LOCAL_DETAIL_STEP = 4;
export const LOCAL_DETAIL_SHARE = 0.5;
/**
 * Least share of the changed cells' difference in detail on the side that holds less of it for
 * two photos to be two shots (0: every changed cell has more detail in the same photo; 0.5: split
 * evenly). Measured (docs/DUPLICATES.md): text overlays 0.001 at most, re-encodes, greyscale,
 * brighter, JPEG-5 and blurred copies 0.103 at most where 8 or more cells changed; scene renders
 * with a car moved 0.368 and up, forms filled in differently 0.177 and up.
 */
export const LOCAL_BALANCE = 0.2;
/** Fewest changed cells for the balance to count (a blurred copy had 4 cells split 0.204). */
export const LOCAL_MIN_CELLS = 8;

/** A photo's cells: mean grey and mean detail (gradient magnitude), each LOCAL_SIDE squared. */
export interface LocalLook {
  mean: Float32Array;
  detail: Float32Array;
}

/** Grey (ITU-R BT.601 luma) of RGB pixels. */
export function greyOfPixels(pixels: Uint8Array): Float32Array {
  const grey = new Float32Array(pixels.length / 3);
  for (let i = 0, p = 0; i < grey.length; i++, p += 3) grey[i] = 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2];
  return grey;
}

/** The cells of a grey image (of the pixels the model reads: decode.ts, EXIF-oriented). */
export function localLook(grey: Float32Array, width: number, height: number): LocalLook {
  const N = LOCAL_SIDE;
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
  return {
    mean: Float32Array.from(sum, (v, i) => (count[i] > 0 ? v / count[i] : 0)),
    detail: Float32Array.from(grad, (v, i) => (gcount[i] > 0 ? v / gcount[i] : 0)),
  };
}

/**
 * What differs locally between two photos of one framing: the share of cells that changed (their
 * tone-matched mean, or their detail beyond the photos' overall ratio of detail: a blur or a
 * re-encode scales it everywhere), and how the changed cells' difference in detail splits
 * between the two (0 all one way, 0.5 evenly).
 */
export function localChange(a: LocalLook, b: LocalLook): { changed: number; cells: number; balance: number } {
  const n = a.mean.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a.mean[x] - a.mean[y]);
  const sortedB = Float32Array.from(b.mean).sort();
  const matched = new Float32Array(n);
  order.forEach((cell, rank) => (matched[cell] = sortedB[rank]));
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) if (a.detail[i] > 1 && b.detail[i] > 1) ratios.push(b.detail[i] / a.detail[i]);
  ratios.sort((x, y) => x - y);
  const ratio = ratios.length > 0 ? ratios[ratios.length >> 1] : 1;
  let more = 0;
  let less = 0;
  let cells = 0;
  for (let i = 0; i < n; i++) {
    const da = a.detail[i] * ratio;
    const d = da - b.detail[i];
    const detailChanged = Math.abs(d) > LOCAL_DETAIL_STEP && Math.abs(d) > LOCAL_DETAIL_SHARE * (da + b.detail[i]);
    if (!detailChanged && Math.abs(matched[i] - b.mean[i]) <= LOCAL_LEVELS) continue;
    cells++;
    if (d > 0) more += d;
    else less -= d;
  }
  return { changed: cells / n, cells, balance: more + less > 0 ? Math.min(more, less) / (more + less) : 0 };
}

/** Whether two photos of one framing differ locally both ways: two shots, not a photo and its edit. */
export function twoShots(a: LocalLook, b: LocalLook): boolean {
  const { cells, balance } = localChange(a, b);
  return cells >= LOCAL_MIN_CELLS && balance >= LOCAL_BALANCE;
}
