// What every bag scorer looks like, plus top-k selection over a score array.
//
// Scorers return one score per document index (the InvertedIndex's order) rather than a ranked
// list: evaluation needs the full row, the UI only the best few, and a dense Float32Array is the
// cheapest shape for both.

import type { InvertedIndex } from '../inverted-index.js';
import type { Bag } from '../../common/types.js';

export interface BagScorer {
  readonly index: InvertedIndex;
  /**
   * Similarity of `query` to every document, indexed by document index. Pass `out` (length
   * index.n) to reuse an array across queries.
   */
  scoreAll(query: Bag, out?: Float32Array): Float32Array;
}

/** Output array for a scorer: the caller's if it fits, else a fresh one. */
export function scoreBuffer(n: number, out?: Float32Array): Float32Array {
  if (out === undefined) return new Float32Array(n);
  if (out.length !== n) throw new Error(`score buffer has length ${out.length}, expected ${n}`);
  return out;
}

export interface ScoredIndex {
  /** Document index into the score array. */
  index: number;
  score: number;
}

/**
 * The k best entries of `scores`, best first; ties go to the lower index so results are
 * deterministic. NaN ranks below everything. A size-k min-heap keeps this O(n log k) with no
 * allocation proportional to n (sorting 100k scores to show 10 would waste most of a query).
 */
export function topK(scores: ArrayLike<number>, k: number, excludeIndex = -1): ScoredIndex[] {
  const n = scores.length;
  const cap = Math.max(0, Math.min(Math.floor(k), n - (excludeIndex >= 0 && excludeIndex < n ? 1 : 0)));
  if (cap === 0) return [];
  // Heap root = worst kept entry. "a worse than b": lower score, or equal score and higher index.
  const hs = new Float64Array(cap);
  const hi = new Int32Array(cap);
  let size = 0;
  for (let i = 0; i < n; i++) {
    if (i === excludeIndex) continue;
    let s = scores[i];
    if (s !== s) s = -Infinity;
    if (size < cap) {
      // Sift up.
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (hs[p] < s || (hs[p] === s && hi[p] > i)) break; // parent already worse: stop
        hs[c] = hs[p];
        hi[c] = hi[p];
        c = p;
      }
      hs[c] = s;
      hi[c] = i;
    } else if (s > hs[0]) {
      // (equal score never replaces: i is larger than every kept index, so it is worse)
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= size) break;
        const r = l + 1;
        let w = l;
        if (r < size && (hs[r] < hs[l] || (hs[r] === hs[l] && hi[r] > hi[l]))) w = r;
        if (hs[w] > s || (hs[w] === s && hi[w] < i)) break; // both children better than new: stop
        hs[c] = hs[w];
        hi[c] = hi[w];
        c = w;
      }
      hs[c] = s;
      hi[c] = i;
    }
  }
  const out: ScoredIndex[] = new Array(size);
  for (let j = 0; j < size; j++) out[j] = { index: hi[j], score: hs[j] };
  out.sort((a, b) => b.score - a.score || a.index - b.index);
  return out;
}
