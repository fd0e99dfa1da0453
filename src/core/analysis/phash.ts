// A photo's perceptual hash (its low DCT frequencies), for duplicate finding beside the visual words.
//
// Why a second signal: visual words come from a CNN block that reads colour and texture, so a
// greyscale copy, a JPEG at quality 5 or a blurred copy changes most of a photo's words (measured:
// bench/duplicates.ts, their cosine to the original falls to 0.3, among different photos of the
// same flower). The 8 x 8 lowest DCT frequencies of a 32 x 32 grey image (the pHash construction,
// Zauner 2010) ignore exactly those edits, and fail exactly where the words hold: crops, small
// turns, overlays. Duplicate finding asks both (duplicates.ts).
//
// What is stored is the 64 coefficients, not the 64-bit hash: a mirrored or turned copy's
// coefficients are the original's with signs flipped and rows and columns swapped, so the hash of
// every one of the 8 flips and quarter turns comes from the stored numbers without reading the
// photo again (dihedralHashes).
//
// Computed from the pixels the model reads (decode.ts: EXIF-oriented, long side = resolution),
// squeezed to 32 x 32 whatever the aspect, so a resized copy gives the same grey image.

const N = 32;
const K = 8;

// COS[u][x] = cos((2x + 1) u pi / 2N), for u = 1..K (the DC term is left out, as pHash does).
const COS = Float64Array.from({ length: K * N }, (_, i) => Math.cos(((2 * (i % N) + 1) * (Math.floor(i / N) + 1) * Math.PI) / (2 * N)));

/**
 * The 64 low DCT coefficients (u, v = 1..8; index (v - 1) * 8 + (u - 1), u horizontal) of the
 * photo's 32 x 32 grey image. `pixels` is RGB HWC, width x height.
 */
export function lowFrequencyDct(pixels: Uint8Array, width: number, height: number): Float32Array {
  // Box-average into 32 x 32 cells (each source pixel weighs into the cell that holds its centre).
  // Channel sums over each row's run of pixels in one cell, luma after (it is linear): this loop
  // over every pixel runs on the indexer's main thread beside the model.
  const sums = new Float64Array(N * N * 3);
  const cx = new Int32Array(width);
  const perCol = new Float64Array(N);
  for (let x = 0; x < width; x++) {
    cx[x] = Math.min(N - 1, Math.floor(((x + 0.5) * N) / width));
    perCol[cx[x]]++;
  }
  const perRow = new Float64Array(N);
  for (let y = 0; y < height; y++) {
    const cy = Math.min(N - 1, Math.floor(((y + 0.5) * N) / height));
    perRow[cy]++;
    let p = y * width * 3;
    for (let x = 0; x < width;) {
      const cell = cx[x];
      let r = 0;
      let g = 0;
      let b = 0;
      for (; x < width && cx[x] === cell; x++, p += 3) {
        r += pixels[p];
        g += pixels[p + 1];
        b += pixels[p + 2];
      }
      const c = (cy * N + cell) * 3;
      sums[c] += r;
      sums[c + 1] += g;
      sums[c + 2] += b;
    }
  }
  const grey = new Float64Array(N * N);
  for (let i = 0; i < N * N; i++) {
    const count = perRow[Math.floor(i / N)] * perCol[i % N];
    // ITU-R BT.601 luma, as libvips' and most pHash ports' greyscale.
    grey[i] = count > 0 ? (0.299 * sums[3 * i] + 0.587 * sums[3 * i + 1] + 0.114 * sums[3 * i + 2]) / count : 0;
  }
  // Separable DCT-II: rows first (grey[y][x] -> R[y][u]), then columns (R[y][u] -> D[v][u]).
  const rows = new Float64Array(N * K);
  for (let y = 0; y < N; y++) {
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += COS[u * N + x] * grey[y * N + x];
      rows[y * K + u] = s;
    }
  }
  const out = new Float32Array(K * K);
  for (let v = 0; v < K; v++) {
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += COS[v * N + y] * rows[y * K + u];
      // Scaled to per-pixel units so the numbers read like grey levels.
      out[v * K + u] = s / ((N * N) / 4);
    }
  }
  return out;
}

/** A 64-bit hash as two 32-bit halves: BigInt is far slower for the distances this compares (docs/DUPLICATES.md, "How"). */
export interface Hash64 {
  hi: number;
  lo: number;
}

/** Bit i is set where coefficient i is above the coefficients' mean (pHash's rule). */
export function hashOf(coeffs: Float32Array): Hash64 {
  let mean = 0;
  for (let i = 0; i < 64; i++) mean += coeffs[i];
  mean /= 64;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 32; i++) {
    if (coeffs[i] > mean) lo |= 1 << i;
    if (coeffs[i + 32] > mean) hi |= 1 << i;
  }
  return { hi: hi >>> 0, lo: lo >>> 0 };
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Bits that differ between two hashes (0..64). */
export function hamming(a: Hash64, b: Hash64): number {
  return popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);
}

/**
 * The 8 flips and quarter turns, named for what was done to the photo: a copy made by that edit
 * has (close to) the hash that `dihedralHashes` gives under that name.
 */
export const TRANSFORMS = ['identity', 'mirror', 'flip', 'rot180', 'transpose', 'rot90', 'rot270', 'transverse'] as const;
export type Transform = (typeof TRANSFORMS)[number];

/**
 * Coefficients of the photo after `t`. A mirror (x -> 31 - x) multiplies horizontal frequency u by
 * (-1)^u, a vertical flip does the same for v, a transpose swaps u and v; a quarter turn is a
 * transpose and a flip.
 */
export function transformCoefficients(coeffs: Float32Array, t: Transform): Float32Array {
  const swap = t === 'transpose' || t === 'rot90' || t === 'rot270' || t === 'transverse';
  // After the optional swap: which axes are reversed.
  const flipU = t === 'mirror' || t === 'rot180' || t === 'rot90' || t === 'transverse';
  const flipV = t === 'flip' || t === 'rot180' || t === 'rot270' || t === 'transverse';
  const out = new Float32Array(64);
  for (let v = 1; v <= K; v++) {
    for (let u = 1; u <= K; u++) {
      let c = swap ? coeffs[(u - 1) * K + (v - 1)] : coeffs[(v - 1) * K + (u - 1)];
      if (flipU && u % 2 === 1) c = -c;
      if (flipV && v % 2 === 1) c = -c;
      out[(v - 1) * K + (u - 1)] = c;
    }
  }
  return out;
}

/** The hash of every flip and quarter turn of the photo, in TRANSFORMS order. */
export function dihedralHashes(coeffs: Float32Array): Hash64[] {
  return TRANSFORMS.map((t) => hashOf(transformCoefficients(coeffs, t)));
}

export function encodePhash(coeffs: Float32Array): Buffer {
  return Buffer.from(coeffs.buffer.slice(coeffs.byteOffset, coeffs.byteOffset + coeffs.byteLength));
}

export function decodePhash(bytes: Buffer | Uint8Array): Float32Array {
  if (bytes.byteLength !== 64 * 4) throw new Error(`a perceptual hash is stored as 256 bytes, not ${bytes.byteLength}`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
