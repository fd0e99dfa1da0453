// The settings that decide which visual words a photo gets, their defaults, and the fingerprint
// that stops an index built with one vocabulary from being mixed with another.
import crypto from 'node:crypto';
import type { KgramSettings, Similarity } from './types.js';

export interface EngineSettings {
  /** 'inception_v3' (built from nsfwjs) or the path of an imported ONNX backbone (.onnx with a .json manifest). */
  backbone: string;
  /** Block whose feature map is quantized. */
  block: string;
  heads: number;
  codes: number;
  /** One codebook per head instead of one shared by all heads. */
  perHeadCodebook: boolean;
  /** Longest side every photo is read at. */
  resolution: number;
  kernel: number;
  padding: number;
  /** 3D k-grams over the head axis too. */
  channelKgrams: boolean;
  /** Collapsed k-grams: (head, token) words summed over the window offsets (types.ts). */
  collapseKgrams: boolean;
  /** Backbone arithmetic: float32, or the int8 graph of model/quantize.ts (same codebooks). */
  precision: 'fp32' | 'int8';
  /** Dims of the PCA projection learned before k-means (codebook train --pca); 0 = none. */
  pca: number;
  /** With pca: the whitened projection. */
  whiten: boolean;
  /**
   * Soft assignment: each cell also counts for its second-nearest code with this weight (0 = off,
   * the default; docs/EVAL.md "Beyond the bag"). The model then also emits second codes and
   * distances, stored with the grid.
   */
  softAssign: number;
}

/**
 * Defaults chosen from measurements on ../shared/datasets (docs/EVAL.md): mixed7 retrieves best of
 * this backbone's blocks (mixed10 was fine-tuned for another task), and bigger codebooks retrieve
 * better, up to 4,096 codes: 8,192 gain little for a VQ step that costs much of the indexing speed.
 * Collapsed k-grams lose a little mAP against the paper's per-offset words but store several times
 * fewer postings, which is what lets a query answer in milliseconds at 1M photos. The figures:
 * docs/EVAL.md, "Vocabulary: codebook size and collapsed words".
 */
export const DEFAULT_SETTINGS: EngineSettings = {
  backbone: 'inception_v3',
  block: 'mixed7',
  heads: 8,
  codes: 4096,
  perHeadCodebook: false,
  resolution: 299,
  kernel: 3,
  padding: 0,
  channelKgrams: false,
  collapseKgrams: true,
  precision: 'fp32',
  pca: 0,
  whiten: false,
  softAssign: 0,
};

export const DEFAULT_SIMILARITY: Similarity = 'tfidf';
export const SIMILARITIES: Similarity[] = ['tfidf', 'tfidf-exact', 'tfidf-raw', 'bm25', 'jaccard', 'cropjaccard'];

export function kgramSettings(s: EngineSettings): KgramSettings {
  return { kernel: s.kernel, padding: s.padding, channel: s.channelKgrams, collapse: s.collapseKgrams, ...(s.softAssign > 0 ? { soft: s.softAssign } : {}) };
}

/**
 * Settings as stored in an index. Indexes made before collapsed k-grams existed hold the paper's
 * per-offset words, so a missing flag means false, not today's default.
 */
export function storedSettings(stored: Partial<EngineSettings> | undefined): Partial<EngineSettings> | undefined {
  if (stored === undefined) return undefined;
  return { ...stored, collapseKgrams: stored.collapseKgrams ?? false };
}

export function validateSettings(s: EngineSettings): void {
  const bad = (msg: string) => {
    throw new Error(`invalid setting: ${msg}`);
  };
  if (!Number.isInteger(s.resolution) || s.resolution < 64 || s.resolution > 2048) bad(`resolution ${s.resolution} (64 to 2048)`);
  if (!Number.isInteger(s.kernel) || s.kernel < 1 || s.kernel > 8) bad(`kernel ${s.kernel} (1 to 8)`);
  if (!Number.isInteger(s.padding) || s.padding < 0 || s.padding >= s.kernel) bad(`padding ${s.padding} (0 to kernel-1)`);
  if (!Number.isInteger(s.heads) || s.heads < 1) bad(`heads ${s.heads}`);
  if (!Number.isInteger(s.codes) || s.codes < 2 || s.codes > 65535) bad(`codes ${s.codes} (2 to 65535)`);
  if (s.precision !== 'fp32' && s.precision !== 'int8') bad(`precision ${s.precision} (fp32 or int8)`);
  if (!Number.isInteger(s.pca) || s.pca < 0 || s.pca % s.heads !== 0) bad(`pca ${s.pca} (0, or dims divisible by ${s.heads} heads)`);
  if (s.whiten && s.pca === 0) bad('whiten needs pca dims');
  if (!(s.softAssign >= 0 && s.softAssign <= 1)) bad(`soft assignment weight ${s.softAssign} (0 to 1)`);
  if (s.softAssign > 0 && s.channelKgrams) bad('soft assignment works with 2D k-grams only');
}

/**
 * How decode.ts turns a file into the model's pixels. Bump it when those pixels change: indexes
 * built before no longer match, and libraries rebuild themselves (Engine.open's otherModel).
 * 2: the triangle filter (resample.ts, and libvips' 'linear' for the photos sharp reads) in
 * place of libvips' lanczos3.
 */
export const PIXEL_PIPELINE: number = 2;

/** Hash of everything that changes a photo's words: model checksums, the settings above and the pixel pipeline. */
export function fingerprint(s: EngineSettings, backboneSha256: string, codebookSha256: string): string {
  // The codebook's checksum already tells a per-head codebook from a shared one; leaving the flag
  // out keeps the fingerprints of indexes made before it existed. Likewise collapseKgrams when
  // false, the meaning those indexes had, precision when fp32, pca/whiten and softAssign when off.
  const { perHeadCodebook: _covered, collapseKgrams, precision, pca, whiten, softAssign, ...rest } = s;
  const hashed = {
    ...rest,
    ...(softAssign > 0 ? { softAssign } : {}),
    ...(collapseKgrams ? { collapseKgrams } : {}),
    ...(precision === 'int8' ? { precision } : {}),
    ...(pca > 0 ? { pca, whiten } : {}),
    // Left out while it was 1, so indexes from before it existed keep their fingerprint then.
    ...(PIXEL_PIPELINE !== 1 ? { pixels: PIXEL_PIPELINE } : {}),
  };
  return crypto
    .createHash('sha256')
    .update(JSON.stringify({ ...hashed, backboneSha256, codebookSha256 }))
    .digest('hex')
    .slice(0, 16);
}

/** `base` with every override that is not undefined (CLI flags left out keep the stored value). */
export function withOverrides<T extends object>(base: T, ...overrides: (Partial<T> | undefined)[]): T {
  const out = { ...base };
  for (const o of overrides) for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export const mergeSettings: (base: EngineSettings, ...overrides: (Partial<EngineSettings> | undefined)[]) => EngineSettings = withOverrides;
