// The duplicate finder's thresholds and defaults. Each was measured on the near-duplicate and
// hard-negative benchmarks (bench/duplicates.ts, bench/hard-negatives.ts) and the dev set's pairs
// (bench/experiments/phash-pairs.ts); the figures behind each value: docs/DUPLICATES.md#thresholds.

/**
 * Default minimum TF-IDF cosine for a near duplicate by visual words: a margin above the last
 * false link of the benchmark's sweep (docs/DUPLICATES.md#thresholds).
 */
export const DEFAULT_SENSITIVITY = 0.5;
/**
 * Perceptual-hash distances (bits of 64). Within PHASH_SAME bits pairs are nearly always the same
 * photo; from there to PHASH_CONFIRM they are as often different photos shot alike, so the words
 * must agree too (docs/DUPLICATES.md#thresholds).
 */
export const PHASH_SAME = 4;
export const PHASH_CONFIRM = 16;
/** Cosine the visual words must reach to confirm a perceptual-hash pair between PHASH_SAME and PHASH_CONFIRM. */
export const PHASH_CONFIRM_COSINE = 0.3;
/** Neighbours asked for per photo. */
export const DEFAULT_NEIGHBOURS = 10;
/** Largest allowed ratio between two photos' (long side / short side). */
export const ASPECT_TOLERANCE = 1.25;
/**
 * Bits within which a flipped or turned copy's hash must lie: real flips and quarter turns lie
 * very near the hash their coefficients predict, different photos rarely do after any turn, and
 * this leaves room for a re-save on top of the turn (docs/DUPLICATES.md#thresholds).
 */
export const PHASH_TURNED = 6;
/**
 * Default least cosine for "similar shots": photos this alike that did not pass as the same photo
 * (above it most pairs are different photos of the same species: docs/DUPLICATES.md#thresholds).
 */
export const DEFAULT_SIMILAR_SHOTS = 0.4;
/**
 * Perceptual-hash bits within which a look-alike pair must lie to be "similar shots" (unless its
 * words reach the same-photo threshold): one scene keeps its composition, so its photos' hashes
 * stay nearer than chance (docs/DUPLICATES.md#thresholds).
 */
export const SIMILAR_SHOTS_PHASH = 22;
/**
 * Least cosine for two photos taken within the burst window to be a burst: well below the
 * look-alike threshold (a burst pans and moves), well above two unrelated photos' typical cosine
 * (docs/DUPLICATES.md#thresholds).
 */
export const BURST_COSINE = 0.3;
/** Default window for bursts: taken within this many seconds of each other by EXIF. */
export const DEFAULT_BURST_SECONDS = 10;
/**
 * Least correlation of two photos' fine detail for a perceptual-hash link whose words do not
 * reach the sensitivity: the hash sees 32 x 32 and nothing finer, so different photos shot alike
 * (catalogue motorbikes on white) pass it, while copies keep their detail. A crop or turn fails
 * it too, and comes back through the crop test (docs/DUPLICATES.md#thresholds).
 */
export const DETAIL_SAME = 0.45;
/**
 * Bits within which a photo's hash must lie of the hash of some part of the keeper (a window of
 * the member's shape, at least its size) for the photo to be a crop of the keeper: crops and
 * small turns lie within it of their window, other photos' nearest window beyond it
 * (docs/DUPLICATES.md#thresholds).
 */
export const CROP_BITS = 12;
/**
 * Least cosine of a crop's words to its keeper's: a crop to half the surface shares few words
 * with the whole, so the window's hash decides and the words only rule out photos with nothing in
 * common (docs/DUPLICATES.md#thresholds).
 */
export const CROP_COSINE = 0.2;
