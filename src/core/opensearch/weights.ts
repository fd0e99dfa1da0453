// The TF-IDF cosine of the default query path, split into a document side and a query side so a
// search engine can compute it as a plain sum: score(q, d) = sum over shared words of q_t * d_t.
//
// Both sides use what Photowords' own exact stage uses (impactindex.ts): tf' = storedTf(tf), the
// 8-bit code of 1 + ln(tf); smooth idf in float32; each side divided by its own L2 norm. Then
// q . d is the cosine ImpactIndex's stage 2 computes, and an engine that sums
// `boost * feature value` over the query's words (rank_feature's linear function) ranks as
// Photowords does, up to how the engine stores the value (FeatureField keeps 9 significant bits).
//
// The document side bakes idf and the norm in at export time: see CorpusStats for what that means
// for a collection that grows.
import { storedTf } from '../search/impact-index.js';
import { tfidfIdf } from '../search/scorers/tfidf.js';
import type { Bag } from '../common/types.js';

/** Document frequencies and the document count the weights were computed with. */
export class CorpusStats {
  private readonly idfCache = new Map<number, number>();

  constructor(
    readonly n: number,
    readonly df: ReadonlyMap<number, number>,
  ) {}

  /** Counts df over bags (a word counts once a bag, only where its count is positive). */
  static fromBags(bags: Iterable<Bag>): CorpusStats {
    const df = new Map<number, number>();
    let n = 0;
    for (const b of bags) {
      n++;
      for (let i = 0; i < b.terms.length; i++) if (b.tfs[i] > 0) df.set(b.terms[i], (df.get(b.terms[i]) ?? 0) + 1);
    }
    return new CorpusStats(n, df);
  }

  static fromJSON(j: { n: number; df: [number, number][] }): CorpusStats {
    if (!Number.isInteger(j?.n) || !Array.isArray(j?.df)) throw new Error('not a Photowords statistics file (expected {"n": ..., "df": [[term, df], ...]})');
    return new CorpusStats(j.n, new Map(j.df));
  }

  toJSON(): { n: number; df: [number, number][] } {
    return { n: this.n, df: [...this.df].sort((a, b) => a[0] - b[0]) };
  }

  /**
   * float32 smooth idf, as ImpactIndex stores it. A word no document has gets df 0: it weighs the
   * query's norm as ImpactIndex weighs unseen query words.
   */
  idf(term: number): number {
    let v = this.idfCache.get(term);
    if (v === undefined) this.idfCache.set(term, (v = Math.fround(tfidfIdf(this.df.get(term) ?? 0, this.n))));
    return v;
  }
}

export interface WeightedWords {
  terms: Uint32Array;
  /** Unit-normalised tf' * idf, float32. */
  weights: Float32Array;
}

/** Unit-length tf' * idf of a bag (words with no positive count are left out). */
function unitWeights(bag: Bag, stats: CorpusStats, keep: (term: number) => boolean): WeightedWords {
  const terms: number[] = [];
  const raw: number[] = [];
  let norm2 = 0;
  for (let i = 0; i < bag.terms.length; i++) {
    if (!(bag.tfs[i] > 0)) continue;
    const t = bag.terms[i];
    const w = storedTf(bag.tfs[i]) * stats.idf(t);
    norm2 += w * w;
    if (!keep(t)) continue;
    terms.push(t);
    raw.push(w);
  }
  const inv = norm2 > 0 ? Math.fround(1 / Math.sqrt(norm2)) : 0;
  return { terms: Uint32Array.from(terms), weights: Float32Array.from(raw, (w) => w * inv) };
}

/** The document side: every word of the photo, weighed with the collection's statistics. */
export function documentWeights(bag: Bag, stats: CorpusStats): WeightedWords {
  return unitWeights(bag, stats, () => true);
}

/**
 * The query side. Words no document has still count in the norm (they are part of what the photo
 * looks like) but are dropped from the query: no document could match them.
 */
export function queryWeights(bag: Bag, stats: CorpusStats): WeightedWords {
  return unitWeights(bag, stats, (t) => stats.df.has(t));
}
