// Box means of any window of a grey image from its summed-area table: the windows a photo is
// placed in (local-place.ts) and compared at (placement.ts). Tens of millions of output pixels in
// a find over 100,000 photos, so written for speed; every value is the one the plain formula
// gives (the expressions and their order kept, only repeated work hoisted), so the windows are
// the same to the bit (test/unit/duplicates/local-place.test.ts pins it on real photos).

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

/**
 * Summed-area table of a grey image: (width + 1) x (height + 1) (into `sat` when given: that many
 * values). Two rows at a time: each row's running sum is a chain of additions, and two chains
 * overlap (the same additions, in the same order, as one row at a time).
 */
export function summed(grey: Float32Array, width: number, height: number, sat?: Float64Array): Float64Array {
  const W = width + 1;
  if (sat) {
    // Only the top row and the left column are not written below.
    sat.fill(0, 0, W);
    for (let y = 1; y <= height; y++) sat[y * W] = 0;
  } else sat = new Float64Array(W * (height + 1));
  let y = 0;
  for (; y + 1 < height; y += 2) {
    let a = 0;
    let b = 0;
    const g = y * width;
    const above = y * W + 1;
    const here = above + W;
    const next = here + W;
    for (let x = 0; x < width; x++) {
      a += grey[g + x];
      const v = sat[above + x] + a;
      sat[here + x] = v;
      b += grey[g + width + x];
      sat[next + x] = v + b;
    }
  }
  if (y < height) {
    let row = 0;
    const g = y * width;
    const above = y * W + 1;
    const here = above + W;
    for (let x = 0; x < width; x++) {
      row += grey[g + x];
      sat[here + x] = sat[above + x] + row;
    }
  }
  return sat;
}

/**
 * Where the edges of each output column's box (or row's) lie in the table, for upright windows:
 * the table corner at or before each edge (`i`), the edge's fraction past it (`f`), one less it
 * (`g`), whether the next corner has any weight (`r`: the edge is not on a corner), and the
 * box's size. Kept between calls (one thread; grown as needed).
 */
class Edges {
  ia = new Int32Array(0);
  fa = new Float64Array(0);
  ga = new Float64Array(0);
  ra = new Uint8Array(0);
  ib = new Int32Array(0);
  fb = new Float64Array(0);
  gb = new Float64Array(0);
  rb = new Uint8Array(0);
  size = new Float64Array(0);
  fit(n: number): void {
    if (this.ia.length >= n) return;
    this.ia = new Int32Array(n);
    this.fa = new Float64Array(n);
    this.ga = new Float64Array(n);
    this.ra = new Uint8Array(n);
    this.ib = new Int32Array(n);
    this.fb = new Float64Array(n);
    this.gb = new Float64Array(n);
    this.rb = new Uint8Array(n);
    this.size = new Float64Array(n);
  }
  /** Box k spans [centre - half, centre + half] within [0, limit] (the centre kept half a pixel inside). */
  set(k: number, centre: number, half: number, limit: number): void {
    const v = Math.min(limit - 0.5, Math.max(0.5, centre));
    const a = Math.max(0, v - half);
    const b = Math.min(limit, v + half);
    const ia = Math.floor(a);
    const ib = Math.floor(b);
    this.ia[k] = ia;
    this.fa[k] = a - ia;
    this.ga[k] = 1 - (a - ia);
    this.ra[k] = a - ia > 0 ? 1 : 0;
    this.ib[k] = ib;
    this.fb[k] = b - ib;
    this.gb[k] = 1 - (b - ib);
    this.rb[k] = b - ib > 0 ? 1 : 0;
    this.size[k] = b - a;
  }
}
const cols = new Edges();
const rows = new Edges();
/**
 * Rows of the table blended across at every output column's two box edges (`left`: a row's
 * values at the columns' left edges, `right` at their right ones), four at a time, the least
 * recently used replaced: neighbouring output rows' boxes share an edge's rows. Slot 4 is zeros
 * (never written): the row below an edge that falls on a table row has no weight.
 */
const blended = {
  left: [] as Float64Array[],
  right: [] as Float64Array[],
  row: new Int32Array(4),
  used: new Float64Array(4),
  uses: 0,
  /** The table at the top edges' box corners, per output column, for the bottom edges' pass; and at the bottom edges', for the next row's top. */
  topLeft: new Float64Array(0),
  topRight: new Float64Array(0),
  bottomLeft: new Float64Array(0),
  bottomRight: new Float64Array(0),
};

function fitBlended(outW: number): void {
  if (blended.left.length > 0 && blended.topLeft.length >= outW) return;
  blended.left = Array.from({ length: 5 }, () => new Float64Array(outW));
  blended.right = Array.from({ length: 5 }, () => new Float64Array(outW));
  blended.topLeft = new Float64Array(outW);
  blended.topRight = new Float64Array(outW);
  blended.bottomLeft = new Float64Array(outW);
  blended.bottomRight = new Float64Array(outW);
}

/** The slot holding table row `r` blended at the columns' edges (`keep`: a slot not to replace). */
function blendedRow(sat: Float64Array, W: number, outW: number, r: number, keep: number): number {
  const { row, used } = blended;
  let slot = -1;
  for (let s = 0; s < 4; s++) if (row[s] === r) slot = s;
  if (slot < 0) {
    for (let s = 0; s < 4; s++) if (s !== keep && (slot < 0 || used[s] < used[slot])) slot = s;
    row[slot] = r;
    const left = blended.left[slot];
    const right = blended.right[slot];
    const at = r * W;
    const { ia, fa, ga, ib, fb, gb } = cols;
    for (let i = 0; i < outW; i++) {
      const a = at + ia[i];
      const f = fa[i];
      left[i] = sat[a] * ga[i] + (f > 0 ? sat[a + 1] : 0) * f;
      const b = at + ib[i];
      const e = fb[i];
      right[i] = sat[b] * gb[i] + (e > 0 ? sat[b + 1] : 0) * e;
    }
  }
  used[slot] = ++blended.uses;
  return slot;
}

let uc = new Float64Array(0);
let us = new Float64Array(0);

/**
 * sampleWindow for an upright window: each output column's box edges and each row's are found
 * once, and each table row is blended across at the columns' edges once for the output rows
 * that read it (the arithmetic of sampleWindow's turned path, in its order: the same values).
 */
function sampleUpright(sat: Float64Array, width: number, height: number, p: Omit<Placement, 'corr'>, outW: number, outH: number, out: Float32Array): Float32Array {
  // At no turn x is cx + u and y is cy + v (the turned terms are zeros, which the clamps absorb).
  const c = Math.cos(p.angle);
  const pw = p.w / outW;
  const ph = p.h / outH;
  const bw = Math.max(1, pw) / 2;
  const bh = Math.max(1, ph) / 2;
  const W = width + 1;
  cols.fit(outW);
  rows.fit(outH);
  for (let i = 0; i < outW; i++) cols.set(i, p.cx + ((i + 0.5) * pw - p.w / 2) * c, bw, width);
  for (let j = 0; j < outH; j++) rows.set(j, p.cy + ((j + 0.5) * ph - p.h / 2) * c, bh, height);
  fitBlended(outW);
  const { left, right } = blended;
  let { topLeft, topRight, bottomLeft, bottomRight } = blended;
  blended.row.fill(-1);
  const zeros = 4;
  const size = cols.size;
  for (let j = 0; j < outH; j++) {
    if (j > 0 && rows.ia[j] === rows.ib[j - 1] && rows.fa[j] === rows.fb[j - 1]) {
      // This row's top edge is the last row's bottom one (the same number): its corners too.
      const l = topLeft;
      topLeft = bottomLeft;
      bottomLeft = l;
      const r = topRight;
      topRight = bottomRight;
      bottomRight = r;
    } else {
      // The top edge: the table at (x0, y0) and (x1, y0) for every column.
      const top = blendedRow(sat, W, outW, rows.ia[j], -1);
      const below = rows.ra[j] ? blendedRow(sat, W, outW, rows.ia[j] + 1, top) : zeros;
      const f = rows.fa[j];
      const g = rows.ga[j];
      const tl = left[top];
      const tr = right[top];
      const bl = left[below];
      const br = right[below];
      for (let i = 0; i < outW; i++) {
        topLeft[i] = tl[i] * g + bl[i] * f;
        topRight[i] = tr[i] * g + br[i] * f;
      }
    }
    // The bottom edge, and the box sums: T(x1, y1) - T(x0, y1) - T(x1, y0) + T(x0, y0), T the table at a corner.
    const top = blendedRow(sat, W, outW, rows.ib[j], -1);
    const below = rows.rb[j] ? blendedRow(sat, W, outW, rows.ib[j] + 1, top) : zeros;
    const f = rows.fb[j];
    const g = rows.gb[j];
    const tl = left[top];
    const tr = right[top];
    const bl = left[below];
    const br = right[below];
    const dy = rows.size[j];
    const o = j * outW;
    for (let i = 0; i < outW; i++) {
      const area = size[i] * dy;
      const l = tl[i] * g + bl[i] * f;
      const r = tr[i] * g + br[i] * f;
      bottomLeft[i] = l;
      bottomRight[i] = r;
      out[o + i] = area > 0 ? (r - l - topRight[i] + topLeft[i]) / area : 0;
    }
  }
  Object.assign(blended, { topLeft, topRight, bottomLeft, bottomRight });
  return out;
}

/**
 * Grey of the rectangle `p` of an image (from its summed-area table `sat`), turned by p.angle, on
 * an outW x outH grid: each output pixel the exact mean of the image over its footprint, taken as
 * the upright box of its size at its turned centre (for turns of a few degrees that is the
 * footprint but for slivers at its corners). A larger window is so averaged down, a smaller one
 * spread out; a footprint under a pixel is widened to one, so no output pixel is a point sample.
 */
export function sampleWindow(sat: Float64Array, width: number, height: number, p: Omit<Placement, 'corr'>, outW: number, outH: number, out = new Float32Array(outW * outH)): Float32Array {
  if (p.angle === 0 && Number.isFinite(p.cx) && Number.isFinite(p.cy) && Number.isFinite(p.w) && Number.isFinite(p.h)) return sampleUpright(sat, width, height, p, outW, outH, out);
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  const pw = p.w / outW;
  const ph = p.h / outH;
  const bw = Math.max(1, pw) / 2;
  const bh = Math.max(1, ph) / 2;
  const W = width + 1;
  // The columns' turned offsets once, not once a row (the same products).
  if (uc.length < outW) {
    uc = new Float64Array(outW);
    us = new Float64Array(outW);
  }
  for (let i = 0; i < outW; i++) {
    const u = (i + 0.5) * pw - p.w / 2;
    uc[i] = u * c;
    us[i] = u * s;
  }
  for (let j = 0; j < outH; j++) {
    const v = (j + 0.5) * ph - p.h / 2;
    const vs = v * s;
    const vc = v * c;
    for (let i = 0; i < outW; i++) {
      // A footprint past the image's edge takes the edge (the centre kept inside it).
      const x = Math.min(width - 0.5, Math.max(0.5, p.cx + uc[i] - vs));
      const y = Math.min(height - 0.5, Math.max(0.5, p.cy + us[i] + vc));
      const x0 = Math.max(0, x - bw);
      const x1 = Math.min(width, x + bw);
      const y0 = Math.max(0, y - bh);
      const y1 = Math.min(height, y + bh);
      const area = (x1 - x0) * (y1 - y0);
      if (!(area > 0)) {
        out[j * outW + i] = 0;
        continue;
      }
      // The table at the box's four corners: bilinear between the table's corners is the exact
      // sum of the pixels there, each pixel constant over its square; a row blended across
      // first, then down. Each edge's table corner and fraction are found once, and each of the
      // four table rows is blended at both x edges. At the right or bottom edge the next table
      // corner is not there, and its weight is 0.
      const ix0 = Math.floor(x0);
      const ix1 = Math.floor(x1);
      const ry0 = Math.floor(y0);
      const ry1 = Math.floor(y1);
      const fx0 = x0 - ix0;
      const fx1 = x1 - ix1;
      const fy0 = y0 - ry0;
      const fy1 = y1 - ry1;
      const gx0 = 1 - fx0;
      const gx1 = 1 - fx1;
      const a0 = ry0 * W;
      const a1 = ry1 * W;
      // tYX and dYX: table row y0 or y1 (and the one below it) blended at edge x0 or x1.
      const t00 = sat[a0 + ix0] * gx0 + (fx0 > 0 ? sat[a0 + ix0 + 1] : 0) * fx0;
      const t01 = sat[a0 + ix1] * gx1 + (fx1 > 0 ? sat[a0 + ix1 + 1] : 0) * fx1;
      const t10 = sat[a1 + ix0] * gx0 + (fx0 > 0 ? sat[a1 + ix0 + 1] : 0) * fx0;
      const t11 = sat[a1 + ix1] * gx1 + (fx1 > 0 ? sat[a1 + ix1 + 1] : 0) * fx1;
      let d00 = 0;
      let d01 = 0;
      let d10 = 0;
      let d11 = 0;
      if (fy0 > 0) {
        const b = a0 + W;
        d00 = sat[b + ix0] * gx0 + (fx0 > 0 ? sat[b + ix0 + 1] : 0) * fx0;
        d01 = sat[b + ix1] * gx1 + (fx1 > 0 ? sat[b + ix1 + 1] : 0) * fx1;
      }
      if (fy1 > 0) {
        const b = a1 + W;
        d10 = sat[b + ix0] * gx0 + (fx0 > 0 ? sat[b + ix0 + 1] : 0) * fx0;
        d11 = sat[b + ix1] * gx1 + (fx1 > 0 ? sat[b + ix1 + 1] : 0) * fx1;
      }
      out[j * outW + i] = (t11 * (1 - fy1) + d11 * fy1 - (t10 * (1 - fy1) + d10 * fy1) - (t01 * (1 - fy0) + d01 * fy0) + (t00 * (1 - fy0) + d00 * fy0)) / area;
    }
  }
  return out;
}
