// The search request an OpenSearch/Elasticsearch cluster answers "find similar" with, for an
// index written by export.ts. Plain JSON, so any client (curl, Kibana/Dashboards, another
// language) can send it: `photowords similar IMAGE --engine-query` prints it.
import { storedTf } from '../search/impact-index.js';
import type { Bag } from '../common/types.js';
import { queryWeights, type CorpusStats } from './weights.js';

/** The rank_features field holding a photo's weighed words (export.ts). */
export const WORDS_FIELD = 'words';
/** The text field of the measured alternative: each word repeated tf times (export.ts). */
export const WORDS_TEXT_FIELD = 'words_text';
/** Fields a hit brings back. */
export const SOURCE_FIELDS = ['id', 'path', 'width', 'height', 'hash'];
/**
 * indices.query.bool.max_clause_count's default in Elasticsearch 7 and OpenSearch 1.x/2.x. A node
 * setting, not an index one, so an export cannot raise it; a query keeps its heaviest words up to
 * it. At the default settings a photo has about 780 words (docs/ENGINE.md counts how many pass it).
 */
export const DEFAULT_MAX_CLAUSES = 1024;

/**
 * Words in the first stage of the two-stage query (see engineQuery). With 256 the engine's top 10
 * is as close to Photowords' as one exhaustive stage over every word (dev set, docs/ENGINE.md);
 * 64 fell below 0.95 top-10 overlap and lost mAP. Fewer words are cheaper at scale: the
 * sweep on a 1M-photo shard is in docs/ENGINE.md.
 */
export const DEFAULT_FIRST_STAGE_WORDS = 256;
/** Documents a shard re-scores with every word: as many as Photowords' own exact stage (search/impact-index.ts). */
export const DEFAULT_RESCORE_WINDOW = 500;

export interface EngineQueryOptions {
  /** Hits to return (default 20). */
  k?: number;
  /** Most words a query sends (default DEFAULT_MAX_CLAUSES); the heaviest are kept. */
  maxClauses?: number;
  /** Words of the first stage (default DEFAULT_FIRST_STAGE_WORDS); 0 or at least the photo's words: one exhaustive stage. */
  firstStageWords?: number;
  /** Top documents of each shard's first stage re-scored with all words (default DEFAULT_RESCORE_WINDOW). */
  rescoreWindow?: number;
}

export interface EngineQueryBody {
  size: number;
  _source: string[];
  track_total_hits: false;
  query: { bool: { should: object[] } };
  rescore?: { window_size: number; query: { rescore_query: { bool: { should: object[] } }; query_weight: number; rescore_query_weight: number } };
}

/** The heaviest `max` entries, then back in term order (a stable, diffable query). */
function heaviest(terms: Uint32Array, weights: Float32Array, max: number): number[] {
  const order = Array.from(terms.keys());
  if (order.length > max) {
    order.sort((a, b) => weights[b] - weights[a] || terms[a] - terms[b]);
    order.length = max;
    order.sort((a, b) => terms[a] - terms[b]);
  }
  return order;
}

/**
 * rank_feature queries with the linear function, one a word, as SHOULD clauses: the engine scores
 * a document by sum(boost * stored weight), which is the cosine (weights.ts). Boosts are the
 * query's unit-normalised weights, so a score reads as a cosine (the photo itself scores about 1).
 *
 * Two stages, as Photowords' own query path (impactindex.ts) and for the same reason: visual words
 * are common, so a query's ~780 words own a fifth to a third of all postings and one disjunction
 * over all of them visits hundreds of millions of postings a shard at 1M photos (docs/ENGINE.md:
 * seconds a query). The first stage sends only the heaviest words (rare ones, short postings),
 * then `rescore` re-scores each shard's best `window_size` with every word, so the scores a user
 * sees are the full cosines. track_total_hits false lets Lucene skip what cannot reach the top
 * (block-max WAND).
 */
export function engineQuery(bag: Bag, stats: CorpusStats, opts: EngineQueryOptions = {}): EngineQueryBody {
  const { terms, weights } = queryWeights(bag, stats);
  const clauses = (max: number) => heaviest(terms, weights, max).map((i) => ({ rank_feature: { field: `${WORDS_FIELD}.${terms[i]}`, linear: {}, boost: weights[i] } }));
  const all = clauses(opts.maxClauses ?? DEFAULT_MAX_CLAUSES);
  const first = opts.firstStageWords ?? DEFAULT_FIRST_STAGE_WORDS;
  const size = opts.k ?? 20;
  if (!(first > 0) || first >= all.length) return { size, _source: SOURCE_FIELDS, track_total_hits: false, query: { bool: { should: all } } };
  return {
    size,
    _source: SOURCE_FIELDS,
    track_total_hits: false,
    query: { bool: { should: clauses(first) } },
    rescore: {
      window_size: Math.max(size, opts.rescoreWindow ?? DEFAULT_RESCORE_WINDOW),
      query: { rescore_query: { bool: { should: all } }, query_weight: 0, rescore_query_weight: 1 },
    },
  };
}

/**
 * The same search against the text-field representation (measured, not the default: export.ts).
 * The similarity supplies idf and the length normalisation; the query supplies tf'.
 */
export function engineTextQuery(bag: Bag, stats: CorpusStats, opts: EngineQueryOptions = {}): EngineQueryBody {
  const terms: number[] = [];
  const tf: number[] = [];
  for (let i = 0; i < bag.terms.length; i++) {
    if (!(bag.tfs[i] > 0) || !stats.df.has(bag.terms[i])) continue;
    terms.push(bag.terms[i]);
    tf.push(storedTf(bag.tfs[i]));
  }
  const t = Uint32Array.from(terms);
  // Which words to keep past the clause limit is decided by their full weight, as engineQuery does.
  const full = Float32Array.from(terms, (term, i) => tf[i] * stats.idf(term));
  const should = heaviest(t, full, opts.maxClauses ?? DEFAULT_MAX_CLAUSES).map((i) => ({
    term: { [WORDS_TEXT_FIELD]: { value: String(t[i]), boost: tf[i] } },
  }));
  return { size: opts.k ?? 20, _source: SOURCE_FIELDS, track_total_hits: false, query: { bool: { should } } };
}
