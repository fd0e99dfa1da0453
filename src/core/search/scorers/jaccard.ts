// Set Jaccard over visual words: ignores counts and rarity, a baseline that shows what tf and idf
// buy. |A ∩ B| comes from walking the query's posting lists; |A ∪ B| = |A| + |B| - |A ∩ B|.

import type { InvertedIndex } from '../inverted-index.js';
import { scoreBuffer, type BagScorer } from './scorer.js';
import type { Bag } from '../../common/types.js';

export class JaccardScorer implements BagScorer {
  private readonly inter: Uint32Array;

  constructor(readonly index: InvertedIndex) {
    this.inter = new Uint32Array(index.n);
  }

  /** Two empty sets score 0 (no evidence of similarity), not 1. */
  scoreAll(query: Bag, out?: Float32Array): Float32Array {
    const index = this.index;
    const n = index.n;
    const res = scoreBuffer(n, out);
    const inter = this.inter;
    inter.fill(0);
    const { offsets, docs, docTerms } = index;
    const qt = query.terms;
    const qf = query.tfs;
    let qSize = 0;
    for (let i = 0; i < qt.length; i++) {
      if (!(qf[i] > 0)) continue;
      qSize++; // terms absent from the index still enlarge the union
      const s = index.slotOf(qt[i]);
      if (s < 0) continue;
      for (let p = offsets[s], end = offsets[s + 1]; p < end; p++) inter[docs[p]]++;
    }
    for (let d = 0; d < n; d++) {
      const a = inter[d];
      const union = qSize + docTerms[d] - a;
      res[d] = union > 0 ? a / union : 0;
    }
    return res;
  }
}

const cache = new WeakMap<InvertedIndex, JaccardScorer>();

export function jaccardScoreAll(query: Bag, index: InvertedIndex, out?: Float32Array): Float32Array {
  let scorer = cache.get(index);
  if (!scorer) cache.set(index, (scorer = new JaccardScorer(index)));
  return scorer.scoreAll(query, out);
}
