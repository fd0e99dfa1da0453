// "Find similar" against a live OpenSearch/Elasticsearch cluster holding an export (export.ts),
// through OpenSearch's official JS client. Deliberately thin: the query is query.ts's, the
// ranking is the engine's; no cluster runs in this project's tests (README), so everything that
// decides the ranking is proven on Lucene by test/lucene/Harness.java instead.
import fs from 'node:fs';
import type { Bag, RankedPhoto } from '../common/types.js';
import type { IndexStore } from '../index/store.js';
import { engineQuery, type EngineQueryOptions } from './query.js';
import { CorpusStats } from './weights.js';

/**
 * The statistics a query is weighed with: the export's stats.json when given (the same idf as the
 * documents), else the library's current ones (equal to the export's while nothing changed).
 */
export function queryStats(store: IndexStore, statsFile?: string): CorpusStats {
  if (statsFile) {
    let j: unknown;
    try {
      j = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
    } catch (e) {
      throw new Error(`cannot read the export's statistics ${statsFile}: ${(e as Error).message}`);
    }
    return CorpusStats.fromJSON(j as { n: number; df: [number, number][] });
  }
  return new CorpusStats(store.stats().docCount, store.documentFrequencies());
}

export class RemoteIndex {
  private constructor(
    private readonly client: import('@opensearch-project/opensearch').Client,
    readonly url: string,
    readonly index: string,
    private readonly stats: CorpusStats,
    private readonly opts: Omit<EngineQueryOptions, 'k'>,
  ) {}

  /** Connects and checks that the index exists, so a wrong URL or name fails at start, in words. */
  static async connect(url: string, stats: CorpusStats, opts: { index?: string } & Omit<EngineQueryOptions, 'k'> = {}): Promise<RemoteIndex> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`--engine needs a URL such as http://localhost:9200, got "${url}"`);
    }
    const { Client } = await import('@opensearch-project/opensearch');
    const client = new Client({ node: parsed.toString() });
    const index = opts.index ?? 'photowords';
    let exists: boolean;
    try {
      exists = (await client.indices.exists({ index })).body as unknown as boolean;
    } catch (e) {
      await client.close();
      throw new Error(`cannot reach the search engine at ${url}: ${(e as Error).message}`);
    }
    if (!exists) {
      await client.close();
      throw new Error(`the search engine at ${url} has no index "${index}"; load one made by: photowords export --engine opensearch`);
    }
    return new RemoteIndex(client, url, index, stats, opts);
  }

  async search(bag: Bag, k: number): Promise<{ hits: RankedPhoto[]; ms: number }> {
    const t = performance.now();
    const body = engineQuery(bag, this.stats, { ...this.opts, k });
    const res = await this.client.search({ index: this.index, body: body as never });
    const hits = ((res.body as { hits?: { hits?: { _id: string; _score: number; _source?: { path?: string } }[] } }).hits?.hits ?? []).map((h) => ({
      id: Number(h._id),
      path: h._source?.path ?? '',
      score: h._score,
    }));
    return { hits, ms: performance.now() - t };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
