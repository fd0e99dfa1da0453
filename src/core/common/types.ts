// Shapes that flow between the engine's stages: files -> decode -> tokens -> bags -> index -> queries.
// Defined once here so every stage (and every process) agrees on them.

import type { SimilarityName } from '../../shared/api.js';

/** A c x H x W grid of visual-word ids, one per head per feature-map cell. */
export interface TokenGrid {
  heads: number;
  height: number;
  width: number;
  /** Codebook size n; every token is in [0, codes). */
  codes: number;
  /** Row-major [head][y][x]. */
  tokens: Uint16Array;
  /** Only when the model was asked for soft assignment (settings.softAssign): see SoftCodes. */
  soft?: SoftCodes;
}

/**
 * Each cell's second-nearest code and the squared distances of its head vector to the nearest
 * (tokens) and second-nearest code, all in the tokens' [head][y][x] order.
 */
export interface SoftCodes {
  second: Uint16Array;
  dist1: Float32Array;
  dist2: Float32Array;
}

/** How a token grid becomes a bag of words (the paper's "k-grams"). */
export interface KgramSettings {
  /** Window side k (the paper: 3 or 4). */
  kernel: number;
  /** Zero-padding p around the grid; padded cells carry no word. */
  padding: number;
  /** 3D k-grams: the window slides over the head axis too (k*k*k*n words instead of c*k*k*n). */
  channel: boolean;
  /**
   * Collapsed k-grams: a word is (head, token) in 2D or just the token in 3D, counted once for
   * every window offset it appears at, so the bag keeps the window's weighting of each cell but
   * not the offset. Several times fewer words a photo, which is what makes the query path fast
   * (docs/EVAL.md, "Vocabulary: codebook size and collapsed words").
   * Left out or false: the paper's words, one per offset.
   */
  collapse?: boolean;
  /**
   * Soft assignment: each cell also counts for its second-nearest code with this weight (times
   * softWeight() of its distances), 0 or left out: off. Needs grids with `soft` codes.
   */
  soft?: number;
  /**
   * Co-occurrence words as an extra field after the k-gram terms: ordered pairs (token at a cell,
   * token at cell + offset) within a head, codes mapped to `pairCodes` coarse codes. 0 or left out: off.
   */
  pairs?: number;
  /** With pairs: 'hv' (right and down neighbours) or 'hvd' (also both diagonals). */
  pairOffsets?: 'hv' | 'hvd';
}

/** A sparse bag of visual words: term ids ascending, each with its count. */
export interface Bag {
  terms: Uint32Array;
  tfs: Float32Array;
}

/**
 * 'tfidf' damps counts (1 + ln tf) and answers through the two-stage impact index (search/impact-index.ts);
 * 'tfidf-exact' is the same cosine by an exhaustive postings scan; 'tfidf-raw' uses plain counts.
 */
// The engine's name for the list src/shared/library.ts defines, once, where the renderer can see it too.
export type Similarity = SimilarityName;

export interface ScoredImage {
  id: number;
  score: number;
}

/**
 * One photo of a ranking as the engine answers it (Engine.rank, the remote index). Not the app's
 * answer to a search, src/shared/search.ts SimilarResult: that one adds the photos' summaries and times.
 */
export interface RankedPhoto extends ScoredImage {
  path: string;
}
