// Picks the bag scorer for a similarity name. Kept apart from scoring.ts so the scorers can
// import shared helpers from there without an import cycle.

import type { InvertedIndex } from '../inverted-index.js';
import type { Similarity } from '../../common/types.js';
import type { BagScorer } from './scorer.js';
import { Bm25Scorer } from './bm25.js';
import { JaccardScorer } from './jaccard.js';
import { TfidfScorer } from './tfidf.js';

/** Similarities scored by an exhaustive pass over the inverted index. */
export type BagSimilarity = Exclude<Similarity, 'cropjaccard' | 'tfidf'>;

/**
 * The scorer for a similarity. CropAndJaccard works on grids, not bags (cropjaccard.ts), and
 * 'tfidf' is answered by the two-stage impact index (impactindex.ts).
 */
export function createBagScorer(kind: BagSimilarity, index: InvertedIndex): BagScorer {
  switch (kind) {
    case 'tfidf-exact':
      return new TfidfScorer(index);
    case 'tfidf-raw':
      return new TfidfScorer(index, { sublinearTf: false });
    case 'bm25':
      return new Bm25Scorer(index);
    case 'jaccard':
      return new JaccardScorer(index);
    default: {
      const never: never = kind;
      throw new Error(`unknown similarity ${String(never)}`);
    }
  }
}
