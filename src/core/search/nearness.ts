// Whether "Find similar" found anything near at all. A ranking always has a best result, even
// for a photo of a beer glass asked of a library of flowers; the person should be told
// that nothing is close rather than be shown flowers as if they matched.
//
// The rule is an absolute floor on the TF-IDF cosine of the best result other than the query
// itself, measured on the dev set (bench/experiments/nothing-close.ts, docs/EVAL.md "Nothing
// close"): it almost never hides a right answer for a photo that has relatives in the library,
// and it catches many photos that have none. Relative measures (the best against the 10th or
// 100th best, a z-score over the ranking) separated the two worse than the plain score, so the
// floor is absolute.

import type { Similarity } from '../common/types.js';

/** Below this TF-IDF cosine, the best result is not near the query. */
export const NEAR_TFIDF = 0.16;

/** The scorings the floor was measured for: the cosine of sublinear TF-IDF weights. */
const MEASURED: ReadonlySet<string> = new Set<Similarity>(['tfidf', 'tfidf-exact']);

/**
 * True when no result other than the query (a library photo's own id) reaches the floor;
 * undefined for a scoring the floor was not measured for (its scores are on another scale).
 */
export function nothingClose(results: readonly { id: number; score: number }[], similarity: string, queryId?: number): boolean | undefined {
  if (!MEASURED.has(similarity)) return undefined;
  let best = 0;
  for (const r of results) if (r.id !== queryId && r.score > best) best = r.score;
  return best < NEAR_TFIDF;
}
