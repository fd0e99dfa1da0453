// Find similar and explain: what a search asks and answers. Part of the API (src/shared/api.ts).
import type { PhotoSummary, SimilarityName } from './library.js';

export interface SimilarOptions {
  /** How many results (default 50). */
  top?: number;
  /** Scoring; the library's setting when left out. */
  similarity?: SimilarityName;
}

export interface SimilarItem extends PhotoSummary {
  score: number;
}

export interface SimilarResult {
  /** The photo asked about: a library photo (id) or a file from outside it (no id, no path). */
  query: { id?: number; path?: string; name: string; indexed: boolean; /** similarToMany: the chosen photos (left out of results). */ ids?: number[] };
  /** Ranked by score, best first; a library query photo is itself among them (usually first). */
  results: SimilarItem[];
  similarity: SimilarityName;
  /**
   * True when no result but the query itself scores as near (src/core/search/nearness.ts; the rule and
   * its measurements: docs/EVAL.md, "Nothing close"); absent for scorings without a measured rule.
   */
  nothingClose?: boolean;
  /** Time of the ranking alone, and of the whole request including reading and tokenizing. */
  queryMs: number;
  totalMs: number;
}

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * One photo of an explained pair. The token grid covers the whole photo as displayed (EXIF
 * orientation applied, resized to fill), so cell (y, x) is the rectangle from x/width to
 * (x+1)/width of the photo's width and y/height to (y+1)/height of its height.
 */
export interface ExplainedPhoto extends PhotoSummary {
  grid: { heads: number; height: number; width: number };
  /**
   * Row-major height x width: each cell's share of the cosine, summed over heads. Cells holding
   * no shared word are 0; the whole map sums to the cosine (less `unplaced`, normally 0).
   */
  weights: number[];
  /** Largest cell weight, for scaling a heat map. */
  max: number;
  /** Contribution of shared words no cell of this photo's stored grid holds (an index older than its grid); normally 0. */
  unplaced: number;
}

/** A visual word both photos hold. */
export interface ExplainedWord {
  term: number;
  /** Head of the word; null for 3D (channel) k-grams, whose words are shared across heads. */
  head: number | null;
  token: number;
  /** Window offset [dy, dx] of a per-offset word (or [dc, dy, dx] for 3D); null for collapsed words. */
  offset: number[] | null;
  /** Its term of the cosine, w_a * w_b. */
  contribution: number;
  /** contribution / cosine. */
  share: number;
  /** Cells [y, x] of each photo that hold it (heads merged). */
  cells: { a: number[][]; b: number[][] };
}

/** Why two photos match: where their shared visual words lie, and which words weigh most. */
export interface PairExplanation {
  a: ExplainedPhoto;
  b: ExplainedPhoto;
  /** TF-IDF cosine of the pair, as the index scores it (the sum of every shared word's contribution). */
  cosine: number;
  /** How many distinct words the two share. */
  sharedWords: number;
  /** The words with the largest contributions, largest first. */
  words: ExplainedWord[];
  kgrams: { kernel: number; padding: number; collapsed: boolean; channel: boolean };
}

export interface ExplainOptions {
  /** How many top words to list (default 20, at most 500). */
  top?: number;
}
