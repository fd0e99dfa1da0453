// The crop search: the part of a keeper whose perceptual hash is nearest a photo's, found from the
// keeper's summed-area table (no resampling per window). A crop's own hash, of less of the scene,
// is far from the whole keeper's; the part of the keeper it shows has its hash
// (docs/DUPLICATES.md#how, "a crop of the keeper").
import { hamming, hashOf, type Hash64 } from '../analysis/phash.js';
import { summed } from './local.js';

/** A grey image (ITU-R BT.601 luma) with its summed-area table, for box averages of any window. */
export interface GreyTable {
  width: number;
  height: number;
  /** (width + 1) x (height + 1): sum of the pixels above and left of each corner. */
  sat: Float64Array;
}

/** A window of a grey image (pixels), and how far its hash lies from the one searched for. */
export interface Window {
  bits: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export function greyTable(grey: Float32Array, width: number, height: number): GreyTable {
  return { width, height, sat: summed(grey, width, height) };
}

// DCT basis for the hash of a window: WCOS[u][x] = cos((2x + 1) u pi / 64), u = 1..8 (phash.ts's).
const WCOS = Float64Array.from({ length: 8 * 32 }, (_, i) => Math.cos(((2 * (i % 32) + 1) * (Math.floor(i / 32) + 1) * Math.PI) / 64));

// Scratch for windowHash, which runs hundreds of times a search and never awaits in between.
const CELL = new Float64Array(32 * 32);
const ROWS = new Float64Array(32 * 8);
const XS = new Int32Array(33);
const YS = new Int32Array(33);
// The coefficients too: a new array a window was a buffer outside the heap for each of a
// million windows, and the collector's work to free them took as long as the hashing.
const COEFFS = new Float32Array(64);

/**
 * The perceptual hash (phash.ts's construction) of the window [x0, x0 + w) x [y0, y0 + h) of a grey
 * image. A search tries thousands of windows for a photo that is no crop, so the loops are
 * written out by hand (the table's rows hoisted, the 32-term sums four terms a step); the sums
 * are the same, term for term and in the same order, so the hash is the same bit for bit.
 */
export function windowHash(g: GreyTable, x0: number, y0: number, w: number, h: number): Hash64 {
  const W = g.width + 1;
  const sat = g.sat;
  const cell = CELL;
  const xs = XS;
  const ys = YS;
  for (let i = 0; i <= 32; i++) {
    xs[i] = Math.round(x0 + (i * w) / 32);
    ys[i] = Math.round(y0 + (i * h) / 32);
  }
  for (let cy = 0; cy < 32; cy++) {
    const r0 = ys[cy] * W;
    const r1 = ys[cy + 1] * W;
    const hy = ys[cy + 1] - ys[cy];
    for (let cx = 0; cx < 32; cx++) {
      const xa = xs[cx];
      const xb = xs[cx + 1];
      const n = (xb - xa) * hy;
      cell[cy * 32 + cx] = n > 0 ? (sat[r1 + xb] - sat[r0 + xb] - sat[r1 + xa] + sat[r0 + xa]) / n : 0;
    }
  }
  const rows = ROWS;
  for (let y = 0; y < 32; y++) {
    const c = y * 32;
    for (let u = 0; u < 8; u++) {
      const b = u * 32;
      let s = 0;
      for (let x = 0; x < 32; x += 4) {
        s += WCOS[b + x] * cell[c + x];
        s += WCOS[b + x + 1] * cell[c + x + 1];
        s += WCOS[b + x + 2] * cell[c + x + 2];
        s += WCOS[b + x + 3] * cell[c + x + 3];
      }
      rows[y * 8 + u] = s;
    }
  }
  const out = COEFFS;
  for (let v = 0; v < 8; v++) {
    const b = v * 32;
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < 32; y++) s += WCOS[b + y] * rows[y * 8 + u];
      out[v * 8 + u] = s;
    }
  }
  return hashOf(out);
}

/**
 * The window of `g` whose hash is nearest (bits) the member's, of its shape (`mw` x `mh` in g's pixels,
 * or larger, as a crop made smaller again), every 2.5% of the keeper's side and 6% of size.
 * Windows are tried from the member's own size up and, at each size, from the centre out; the
 * first within `enough` bits ends the search after a look at its neighbours (a crop is most
 * often of the photo's own pixels and near its middle, so most searches end within a few
 * windows of the hundreds there are; only photos that are no crop try them all).
 */
export function nearestWindow(g: GreyTable, target: Hash64, mw: number, mh: number, enough = -1): Window {
  let best: Window = { bits: 64, x: 0, y: 0, w: g.width, h: g.height };
  const step = Math.max(1, Math.round(0.025 * Math.max(g.width, g.height)));
  const offsets = (span: number) => {
    const out: number[] = [];
    for (let o = 0; ; o = Math.min(o + step, span)) {
      out.push(o);
      if (o >= span) break;
    }
    const mid = span / 2;
    return out.sort((a, b) => Math.abs(a - mid) - Math.abs(b - mid) || a - b);
  };
  const at = (x: number, y: number, w: number, h: number) => {
    const d = hamming(windowHash(g, x, y, w, h), target);
    if (d < best.bits) best = { bits: d, x, y, w, h };
  };
  for (let f = 1; mw * f <= g.width + 0.5 && mh * f <= g.height + 0.5; f *= 1.06) {
    const w = Math.min(g.width, Math.round(mw * f));
    const h = Math.min(g.height, Math.round(mh * f));
    if (w < 32 || h < 32) continue;
    const xs = offsets(g.width - w);
    const ys = offsets(g.height - h);
    // Centre out in rings (the larger of the two offsets' ranks), not row by row.
    const order: [number, number][] = [];
    for (let j = 0; j < ys.length; j++) for (let i = 0; i < xs.length; i++) order.push([i, j]);
    order.sort((a, b) => Math.max(a[0], a[1]) - Math.max(b[0], b[1]) || a[1] - b[1] || a[0] - b[0]);
    for (const [i, j] of order) {
      at(xs[i], ys[j], w, h);
      if (best.bits <= enough) {
        // Its neighbours, for the distance to report (the search's own answer within a step).
        for (let dy = -step; dy <= step; dy += step) {
          for (let dx = -step; dx <= step; dx += step) {
            at(Math.max(0, Math.min(g.width - w, xs[i] + dx)), Math.max(0, Math.min(g.height - h, ys[j] + dy)), w, h);
          }
        }
        return best;
      }
    }
  }
  return best;
}
