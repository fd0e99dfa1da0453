// Synthetic bags for the scale benchmarks (bench.ts, engine-scale.ts): made from real bags so
// that their terms, counts and document frequencies follow the real distribution.
import type { Bag } from '../src/core/common/types.js';

// Synthetic bags follow the real term and df distribution: each is a random half of one real
// bag's terms joined with a random half of another's (counts kept), never uniform noise.
export function mix(a: Bag, b: Bag, rand: () => number): Bag {
  const terms: number[] = [];
  const tfs: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.terms.length || j < b.terms.length) {
    const ta = i < a.terms.length ? a.terms[i] : Infinity;
    const tb = j < b.terms.length ? b.terms[j] : Infinity;
    if (ta === tb) {
      if (rand() < 0.75) {
        terms.push(ta);
        tfs.push(rand() < 0.5 ? a.tfs[i] : b.tfs[j]);
      }
      i++;
      j++;
    } else if (ta < tb) {
      if (rand() < 0.5) {
        terms.push(ta);
        tfs.push(a.tfs[i]);
      }
      i++;
    } else {
      if (rand() < 0.5) {
        terms.push(tb);
        tfs.push(b.tfs[j]);
      }
      j++;
    }
  }
  return { terms: Uint32Array.from(terms), tfs: Float32Array.from(tfs) };
}
