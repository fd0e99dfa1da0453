// Shapes that flow between the engine's stages: files -> decode -> tokens -> bags -> index -> queries.
// Defined once here so every stage (and every process) agrees on them.

/** A c x H x W grid of visual-word ids, one per head per feature-map cell. */
export interface TokenGrid {
  heads: number;
  height: number;
  width: number;
  /** Codebook size n; every token is in [0, codes). */
  codes: number;
  /** Row-major [head][y][x]. */
  tokens: Uint16Array;
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
   * not the offset. About 7x fewer words a photo; what makes the query path fast (docs/EVAL.md).
   * Left out or false: the paper's words, one per offset.
   */
  collapse?: boolean;
}

/** A sparse bag of visual words: term ids ascending, each with its count. */
export interface Bag {
  terms: Uint32Array;
  tfs: Float32Array;
}

/**
 * 'tfidf' damps counts (1 + ln tf) and answers through the two-stage impact index (impactindex.ts);
 * 'tfidf-exact' is the same cosine by an exhaustive postings scan; 'tfidf-raw' uses plain counts.
 */
export type Similarity = 'tfidf' | 'tfidf-exact' | 'tfidf-raw' | 'bm25' | 'jaccard' | 'cropjaccard';

export interface ScoredImage {
  id: number;
  score: number;
}
