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
// lies in the larger photo (place, below: a crop or a small turn left misaligned would look split
// everywhere), and a flip or quarter turn once its cells are turned back (turnLook).

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
    if (y + 1 < height) {
      for (let x = 0; x + 1 < width; x++) {
        const i = i0 + x;
        const v = grey[i];
        const c = r + col[x];
        sum[c] += v;
        grad[c] += Math.abs(grey[i + 1] - v) + Math.abs(grey[i + width] - v);
      }
    } else {
      for (let x = 0; x + 1 < width; x++) sum[r + col[x]] += grey[i0 + x];
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
  const cells = (M: number): LocalCells => {
    let s = sum;
    let g = grad;
    let n = count;
    let gn = gcount;
    if (M !== N) {
      const k = N / M;
      s = new Float64Array(M * M);
      g = new Float64Array(M * M);
      n = new Float64Array(M * M);
      gn = new Float64Array(M * M);
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
 * Where a photo lies in a larger one: the centre, size (pixels of the larger one) and turn (radians)
 * of the rectangle of the larger photo that shows the same picture, and how well their cells then
 * correlate.
 */
export interface Placement {
  cx: number;
  cy: number;
  w: number;
  h: number;
  angle: number;
  corr: number;
}

/** Cells a side compared while placing a photo (the hash's grid: coarse, so the search is smooth). */
const PLACE_SIDE = LOCAL_SIDE;

/** Summed-area table of a grey image: (width + 1) x (height + 1) (into `sat` when given: that many values). */
export function summed(grey: Float32Array, width: number, height: number, sat?: Float64Array): Float64Array {
  const W = width + 1;
  if (sat) sat.fill(0);
  else sat = new Float64Array(W * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += grey[y * width + x];
      sat[(y + 1) * W + x + 1] = sat[y * W + x + 1] + row;
    }
  }
  return sat;
}

/** The table at a fractional corner (within the image): bilinear between corners is the exact sum of the pixels there, each pixel constant over its square. */
function satAt(sat: Float64Array, width: number, x: number, y: number): number {
  const W = width + 1;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const i = y0 * W + x0;
  // At the right or bottom edge the next corner is not there, and its weight is 0.
  const r = fx > 0 ? sat[i + 1] : 0;
  const d = fy > 0 ? sat[i + W] : 0;
  const rd = fx > 0 && fy > 0 ? sat[i + W + 1] : 0;
  return (sat[i] * (1 - fx) + r * fx) * (1 - fy) + (d * (1 - fx) + rd * fx) * fy;
}

/**
 * Grey of the rectangle `p` of an image (from its summed-area table `sat`), turned by p.angle, on
 * an outW x outH grid: each output pixel the exact mean of the image over its footprint, taken as
 * the upright box of its size at its turned centre (for turns of a few degrees that is the
 * footprint but for slivers at its corners). A larger window is so averaged down, a smaller one
 * spread out; a footprint under a pixel is widened to one, so no output pixel is a point sample.
 */
export function sampleWindow(sat: Float64Array, width: number, height: number, p: Omit<Placement, 'corr'>, outW: number, outH: number, out = new Float32Array(outW * outH)): Float32Array {
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  const pw = p.w / outW;
  const ph = p.h / outH;
  const bw = Math.max(1, pw) / 2;
  const bh = Math.max(1, ph) / 2;
  for (let j = 0; j < outH; j++) {
    const v = (j + 0.5) * ph - p.h / 2;
    for (let i = 0; i < outW; i++) {
      const u = (i + 0.5) * pw - p.w / 2;
      // A footprint past the image's edge takes the edge (the centre kept inside it).
      const x = Math.min(width - 0.5, Math.max(0.5, p.cx + u * c - v * s));
      const y = Math.min(height - 0.5, Math.max(0.5, p.cy + u * s + v * c));
      const x0 = Math.max(0, x - bw);
      const x1 = Math.min(width, x + bw);
      const y0 = Math.max(0, y - bh);
      const y1 = Math.min(height, y + bh);
      const area = (x1 - x0) * (y1 - y0);
      out[j * outW + i] = area > 0 ? (satAt(sat, width, x1, y1) - satAt(sat, width, x0, y1) - satAt(sat, width, x1, y0) + satAt(sat, width, x0, y0)) / area : 0;
    }
  }
  return out;
}

function correlation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** Largest turn tried when placing a photo (a straightened or slightly turned copy). */
export const PLACE_MAX_ANGLE = (7 * Math.PI) / 180;

/**
 * Places a photo (its PLACE_SIDE-cell grey means, `cells`) in a larger grey image (its summed-area
 * table, `sat`), starting from
 * a window found by its hash (axis-aligned, on a grid of steps): shifts, sizes and small turns are
 * tried around it while the cells' correlation grows, in steps that halve down to a quarter pixel
 * and a tenth of a degree. A copy made by cropping (and turning) the larger photo lands where it
 * was cut from, so its cells line up with the larger photo's well enough to be compared one by one.
 */
export function place(sat: Float64Array, width: number, height: number, cells: Float32Array, start: { x: number; y: number; w: number; h: number }): Placement {
  const N = PLACE_SIDE;
  // The coarse steps on cells twice as large (a quarter of the work, and smoother).
  const half = N / 2;
  const cells2 = new Float32Array(half * half);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) cells2[(y >> 1) * half + (x >> 1)] += cells[y * N + x] / 4;
  const scratch = new Float32Array(N * N);
  const scratch2 = new Float32Array(half * half);
  let fine = false;
  const score = (p: Omit<Placement, 'corr'>) =>
    fine ? correlation(sampleWindow(sat, width, height, p, N, N, scratch), cells) : correlation(sampleWindow(sat, width, height, p, half, half, scratch2), cells2);
  let cur = { cx: start.x + start.w / 2, cy: start.y + start.h / 2, w: start.w, h: start.h, angle: 0 };
  let best = score(cur);
  const aspect = start.h / start.w;
  for (let scale = 1; scale >= 0.124; scale /= 2) {
    if (scale < 0.5 && !fine) {
      fine = true;
      best = score(cur);
    }
    const dp = 2 * scale * Math.max(1, Math.max(width, height) / 150);
    const moves: ((p: typeof cur, d: number) => typeof cur)[] = [
      (p, d) => ({ ...p, cx: p.cx + d * dp }),
      (p, d) => ({ ...p, cy: p.cy + d * dp }),
      (p, d) => ({ ...p, w: p.w + 2 * d * dp, h: (p.w + 2 * d * dp) * aspect }),
      (p, d) => ({ ...p, angle: Math.max(-PLACE_MAX_ANGLE, Math.min(PLACE_MAX_ANGLE, p.angle + (d * scale * Math.PI) / 180)) }),
    ];
    for (let improved = true, rounds = 0; improved && rounds < 40; rounds++) {
      improved = false;
      for (const m of moves) {
        for (const d of [1, -1]) {
          const q = m(cur, d);
          if (q.w < 16 || q.w > width * 1.05 + 2 || q.h > height * 1.05 + 2) continue;
          const s = score(q);
          if (s > best + 1e-5) {
            best = s;
            cur = q;
            improved = true;
          }
        }
      }
    }
  }
  return { ...cur, corr: best };
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
