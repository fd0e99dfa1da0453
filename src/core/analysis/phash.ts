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
  // To int32 at once: an unsigned value from 2^31 up kept the rest of the steps in doubles.
  x = (x - ((x >>> 1) & 0x55555555)) | 0;
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

// Per transform (TRANSFORMS order) and output coefficient, its sign as transformCoefficients gives
// it; the transforms without a transpose read coefficient i at i, those with one at its transpose.
const TURN_SIGN = new Float64Array(TRANSFORMS.length * 64);
const PLAIN_ORDER = Uint8Array.from({ length: 64 }, (_, i) => i);
const SWAPPED_ORDER = Uint8Array.from({ length: 64 }, (_, i) => (i % K) * K + Math.floor(i / K));
const PLAIN_TURNS: number[] = [];
const SWAPPED_TURNS: number[] = [];
TRANSFORMS.forEach((t, ti) => {
  const probe = transformCoefficients(
    Float32Array.from({ length: 64 }, (_, i) => i + 1),
    t,
  );
  const swapped = probe[1] === K + 1 || probe[1] === -(K + 1);
  (swapped ? SWAPPED_TURNS : PLAIN_TURNS).push(ti);
  for (let i = 0; i < 64; i++) {
    if (Math.abs(probe[i]) - 1 !== (swapped ? SWAPPED_ORDER : PLAIN_ORDER)[i]) throw new Error('transformCoefficients moved a coefficient elsewhere');
    TURN_SIGN[ti * 64 + i] = Math.sign(probe[i]);
  }
});
// dihedralHashesInto takes each pass's first transform (the identity, the transpose) as all signs +.
if (PLAIN_TURNS.length !== 4 || [PLAIN_TURNS[0], SWAPPED_TURNS[0]].some((t) => TURN_SIGN.subarray(t * 64, t * 64 + 64).some((x) => x !== 1))) {
  throw new Error('four transforms keep the axes, and the first of each four changes no sign');
}

/**
 * The hash of every flip and quarter turn of the photo, into `out` as (hi, lo) pairs in TRANSFORMS
 * order: hashOf(transformCoefficients(coeffs, t)) bit for bit (each coefficient with its sign,
 * summed for the mean in the same order), without the 8 arrays and objects a photo that costs
 * (1.5 s of the hash stage at 100,000 photos).
 */
export function dihedralHashesInto(coeffs: Float32Array, out: Uint32Array): void {
  // Two passes over the 64 numbers, in the order the transforms without and with the transpose
  // read them, each summing (then comparing) four transforms' signed values.
  for (let pass = 0; pass < 2; pass++) {
    const from = pass === 0 ? PLAIN_ORDER : SWAPPED_ORDER;
    const [t0, t1, t2, t3] = pass === 0 ? PLAIN_TURNS : SWAPPED_TURNS;
    const s1 = TURN_SIGN.subarray(t1 * 64, t1 * 64 + 64);
    const s2 = TURN_SIGN.subarray(t2 * 64, t2 * 64 + 64);
    const s3 = TURN_SIGN.subarray(t3 * 64, t3 * 64 + 64);
    let m0 = 0;
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    for (let i = 0; i < 64; i++) {
      const x = coeffs[from[i]];
      m0 += x;
      m1 += s1[i] * x;
      m2 += s2[i] * x;
      m3 += s3[i] * x;
    }
    m0 /= 64;
    m1 /= 64;
    m2 /= 64;
    m3 /= 64;
    let h0 = 0;
    let h1 = 0;
    let h2 = 0;
    let h3 = 0;
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    for (let i = 0; i < 32; i++) {
      const x = coeffs[from[i]];
      const y = coeffs[from[i + 32]];
      const bit = 1 << i;
      if (x > m0) l0 |= bit;
      if (s1[i] * x > m1) l1 |= bit;
      if (s2[i] * x > m2) l2 |= bit;
      if (s3[i] * x > m3) l3 |= bit;
      if (y > m0) h0 |= bit;
      if (s1[i + 32] * y > m1) h1 |= bit;
      if (s2[i + 32] * y > m2) h2 |= bit;
      if (s3[i + 32] * y > m3) h3 |= bit;
    }
    out[2 * t0] = h0 >>> 0;
    out[2 * t0 + 1] = l0 >>> 0;
    out[2 * t1] = h1 >>> 0;
    out[2 * t1 + 1] = l1 >>> 0;
    out[2 * t2] = h2 >>> 0;
    out[2 * t2 + 1] = l2 >>> 0;
    out[2 * t3] = h3 >>> 0;
    out[2 * t3 + 1] = l3 >>> 0;
  }
}

/** The hash of every flip and quarter turn of the photo, in TRANSFORMS order. */
export function dihedralHashes(coeffs: Float32Array): Hash64[] {
  const bits = new Uint32Array(2 * TRANSFORMS.length);
  dihedralHashesInto(coeffs, bits);
  return TRANSFORMS.map((_, t) => ({ hi: bits[2 * t], lo: bits[2 * t + 1] }));
}

export function encodePhash(coeffs: Float32Array): Buffer {
  return Buffer.from(coeffs.buffer.slice(coeffs.byteOffset, coeffs.byteOffset + coeffs.byteLength));
}

export function decodePhash(bytes: Buffer | Uint8Array): Float32Array {
  if (bytes.byteLength !== 64 * 4) throw new Error(`a perceptual hash is stored as 256 bytes, not ${bytes.byteLength}`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
