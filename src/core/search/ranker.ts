// Ranking the library against a photo's words, by any scorer, over in-memory structures built from
// the store on first use and kept while the index holds still: the inverted index and its scorers
// (idf, norms, weights), every grid for crop-Jaccard, and the 'tfidf' path's live index (a snapshot
// ImpactIndex plus what changed since, live-index.ts). Engine owns one per open index.
import { buildInvertedIndex, type InvertedIndex } from './inverted-index.js';
import { createBagScorer, type BagSimilarity } from './scorers/by-name.js';
import { cropJaccardAll } from './scorers/crop-jaccard.js';
import { topK, type BagScorer, type ScoredIndex } from './scorers/scorer.js';
import { LiveIndex } from './live-index.js';
import type { IndexStore } from '../index/store.js';
import type { Bag, RankedPhoto, Similarity, TokenGrid } from '../common/types.js';

export class Ranker {
  private memIndex?: InvertedIndex;
  private live?: LiveIndex;
  /** Scorers hold per-index precomputation (idf, norms, weights), so they live as long as the index. */
  private scorers = new Map<BagSimilarity, BagScorer>();
  private grids?: { ids: number[]; grids: TokenGrid[] };

  constructor(
    private readonly store: IndexStore,
    private readonly log?: (msg: string) => void,
  ) {}

  /** The in-memory inverted index over every stored bag, built on first use. */
  invertedIndex(): InvertedIndex {
    this.memIndex ??= buildInvertedIndex(() => this.store.iterBags());
    return this.memIndex;
  }

  /** The 'tfidf' path: its first build happens on first use, later ones in a worker thread. */
  liveIndex(): LiveIndex {
    this.live ??= new LiveIndex(this.store, { log: this.log ?? ((m) => console.warn(m)) });
    return this.live;
  }

  private scorer(similarity: BagSimilarity): BagScorer {
    let s = this.scorers.get(similarity);
    if (!s) this.scorers.set(similarity, (s = createBagScorer(similarity, this.invertedIndex())));
    return s;
  }

  private allGrids(): { ids: number[]; grids: TokenGrid[] } {
    if (!this.grids) {
      const ids: number[] = [];
      const grids: TokenGrid[] = [];
      for (const g of this.store.iterGrids()) {
        ids.push(g.id);
        grids.push(g.grid);
      }
      this.grids = { ids, grids };
    }
    return this.grids;
  }

  /** The top photos for a photo's words, and how long the ranking itself took. */
  rank(q: { grid: TokenGrid; bag: Bag }, opts: { top?: number; similarity?: Similarity } = {}): { similarity: Similarity; results: RankedPhoto[]; queryMs: number } {
    const similarity = opts.similarity ?? 'tfidf';
    // The in-memory structures are made once, before the timed part, and reused by later queries.
    const top = opts.top ?? 20;
    let ranked: ScoredIndex[];
    let ids: ArrayLike<number>;
    let t: number;
    if (similarity === 'tfidf') {
      // Its delta is brought up to date inside the timed part: that is part of every query now.
      const live = this.liveIndex();
      t = performance.now();
      const found = live.search(q.bag, top);
      ids = found.map((r) => r.id);
      ranked = found.map((r, index) => ({ index, score: r.score }));
    } else if (similarity === 'cropjaccard') {
      const grids = this.allGrids();
      ids = grids.ids;
      t = performance.now();
      ranked = topK(cropJaccardAll(q.grid, grids.grids), top);
    } else {
      const scorer = this.scorer(similarity);
      ids = scorer.index.ids;
      t = performance.now();
      ranked = topK(scorer.scoreAll(q.bag), top);
    }
    const queryMs = performance.now() - t;
    const results = ranked.map((r) => ({ id: ids[r.index], score: r.score, path: this.store.getById(ids[r.index])?.path ?? '' }));
    return { similarity, results, queryMs };
  }

  /**
   * The store changed: the next query sees the index as stored now. The 'tfidf' path keeps its
   * snapshot and looks up what changed since (live-index.ts); the other scorers' structures are
   * dropped and rebuilt.
   */
  refresh(): void {
    this.memIndex = undefined;
    this.live?.changed();
    this.scorers.clear();
    this.grids = undefined;
  }

  /** Resolves when the query index's file, if one is being written, is complete. */
  close(): Promise<void> {
    return this.live?.close() ?? Promise.resolve();
  }
}
