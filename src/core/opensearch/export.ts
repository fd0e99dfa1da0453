// `photowords export --engine opensearch`: the index as an OpenSearch/Elasticsearch index. Writes
// the index's settings and mapping (index.json, the body of `PUT /<index>`), bulk files
// (bulk-NNNNN.ndjson, bodies of `POST /_bulk`, one document a photo) and the statistics the
// weights were computed with (stats.json), which queries must use too (query.ts).
//
// Why rank_features with precomputed weights (docs/ENGINE.md has the measurements): the ranking
// is a cosine, and its document norm sqrt(sum (tf' idf)^2) depends on every word's df, which no
// similarity (scripted or built in) can see at query time: a text field scores with idf live but
// normalises by the number of tokens, a different ranking. Precomputed unit weights in a
// rank_features field make the engine's sum of boost * weight the cosine itself, index ~780
// postings a photo instead of ~12,000 repeated tokens, and need no per-shard statistics at all.
// The price: idf and norms are baked in at export time. stats.json pins them; new photos and
// queries are weighed with the same stats until the next full export (the refresh policy in
// docs/ENGINE.md).
import fs from 'node:fs';
import path from 'node:path';
import type { Bag } from '../common/types.js';
import type { IndexStore } from '../index/store.js';
import { CorpusStats, documentWeights } from './weights.js';
import { WORDS_FIELD, WORDS_TEXT_FIELD } from './query.js';

export interface ExportDoc {
  id: number;
  path: string;
  width: number | null;
  height: number | null;
  hash: string | null;
  bag: Bag;
}

/** 'rank_features': the default. 'text': words repeated tf times under a scripted TF-IDF similarity, kept to measure against. */
export type EngineRepresentation = 'rank_features' | 'text';

export interface EngineExportOptions {
  /** Index name in the bulk action lines (default 'photowords'). */
  index?: string;
  /** number_of_shards (default 1). */
  shards?: number;
  /** number_of_replicas (default 1, the engines' own default). */
  replicas?: number;
  /** Photos a bulk file (default 1,000: at the default settings near the 5-15 MB the engines advise a bulk request; sizes in docs/ENGINE.md). */
  docsPerFile?: number;
  representation?: EngineRepresentation;
  /** Statistics to weigh with (default: counted from the documents themselves, a first pass). */
  stats?: CorpusStats;
  /** Recorded in the mapping's _meta and stats.json: what the words mean (model, codebook, k-grams). */
  meta?: Record<string, unknown>;
}

export interface EngineExportReport {
  dir: string;
  docs: number;
  files: string[];
  postings: number;
  bulkBytes: number;
  representation: EngineRepresentation;
  shards: number;
}

/**
 * The engine's own TF-IDF for the 'text' representation as a scripted similarity: idf from the
 * shard's live statistics (or the whole index's under dfs_query_then_fetch), tf' = 1 + ln(tf),
 * and 1/sqrt(tokens) because the cosine's norm cannot be computed from what a similarity sees.
 */
export const TEXT_SIMILARITY = {
  type: 'scripted',
  weight_script: { source: 'double idf = Math.log((1.0 + field.docCount) / (1.0 + term.docFreq)) + 1.0; return query.boost * idf;' },
  script: { source: 'return weight * (1.0 + Math.log(doc.freq)) / Math.sqrt(doc.length);' },
};

/** The body of `PUT /<index>`. */
export function indexDefinition(opts: EngineExportOptions = {}): object {
  const representation = opts.representation ?? 'rank_features';
  const words =
    representation === 'rank_features'
      ? { [WORDS_FIELD]: { type: 'rank_features' } }
      : { [WORDS_TEXT_FIELD]: { type: 'text', analyzer: 'whitespace', index_options: 'freqs', similarity: 'photowords_tfidf' } };
  return {
    settings: {
      index: {
        number_of_shards: opts.shards ?? 1,
        number_of_replicas: opts.replicas ?? 1,
        ...(representation === 'text' ? { similarity: { photowords_tfidf: TEXT_SIMILARITY } } : {}),
      },
    },
    mappings: {
      dynamic: 'strict',
      _meta: { photowords: { representation, ...opts.meta } },
      properties: {
        id: { type: 'long' },
        path: { type: 'keyword' },
        width: { type: 'integer' },
        height: { type: 'integer' },
        hash: { type: 'keyword' },
        ...words,
      },
    },
  };
}

/** float32 weights round-trip with 9 significant digits; the engine keeps fewer (FeatureField: 9 bits). */
function num(w: number): string {
  return String(Number(w.toPrecision(9)));
}

/** One photo's document (the line after its bulk action). */
export function documentJson(d: ExportDoc, stats: CorpusStats, representation: EngineRepresentation = 'rank_features'): { json: string; postings: number } {
  const head = `{"id":${d.id},"path":${JSON.stringify(d.path)},"width":${d.width ?? 'null'},"height":${d.height ?? 'null'},"hash":${d.hash === null ? 'null' : JSON.stringify(d.hash)}`;
  if (representation === 'text') {
    const parts: string[] = [];
    let postings = 0;
    for (let i = 0; i < d.bag.terms.length; i++) {
      const tf = Math.round(d.bag.tfs[i]);
      if (!(tf > 0)) continue;
      postings++;
      const w = String(d.bag.terms[i]);
      for (let r = 0; r < tf; r++) parts.push(w);
    }
    return { json: `${head},"${WORDS_TEXT_FIELD}":"${parts.join(' ')}"}`, postings };
  }
  const { terms, weights } = documentWeights(d.bag, stats);
  const parts: string[] = new Array(terms.length);
  for (let i = 0; i < terms.length; i++) parts[i] = `"${terms[i]}":${num(weights[i])}`;
  return { json: `${head},"${WORDS_FIELD}":{${parts.join(',')}}}`, postings: terms.length };
}

/**
 * Writes index.json, stats.json and the bulk files into `dir`. `source` is read twice when no
 * stats are given (df first, then the documents), so a million photos never sit in memory.
 */
export function exportForEngine(source: () => Iterable<ExportDoc>, dir: string, opts: EngineExportOptions = {}): EngineExportReport {
  const representation = opts.representation ?? 'rank_features';
  const indexName = opts.index ?? 'photowords';
  const perFile = opts.docsPerFile ?? 1000;
  if (!Number.isInteger(perFile) || perFile < 1) throw new Error(`docs per bulk file must be a whole number from 1, got ${perFile}`);
  const shards = opts.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024) throw new Error(`shards must be a whole number from 1 to 1024, got ${shards}`);
  fs.mkdirSync(dir, { recursive: true });
  const stale = fs.readdirSync(dir).filter((f) => /^bulk-\d+\.ndjson$/.test(f));
  for (const f of stale) fs.rmSync(path.join(dir, f));
  const stats =
    opts.stats ??
    CorpusStats.fromBags(
      (function* () {
        for (const d of source()) yield d.bag;
      })(),
    );
  const meta = { ...opts.meta, documents: stats.n, words: stats.df.size };
  fs.writeFileSync(path.join(dir, 'index.json'), `${JSON.stringify(indexDefinition({ ...opts, meta }), null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'stats.json'), JSON.stringify({ ...meta, representation, ...stats.toJSON() }));

  const files: string[] = [];
  let fd = -1;
  let inFile = 0;
  let docs = 0;
  let postings = 0;
  let bulkBytes = 0;
  let buf: string[] = [];
  const flush = () => {
    if (buf.length === 0) return;
    const s = buf.join('');
    fs.writeSync(fd, s);
    bulkBytes += Buffer.byteLength(s);
    buf = [];
  };
  try {
    for (const d of source()) {
      if (fd < 0 || inFile === perFile) {
        flush();
        if (fd >= 0) fs.closeSync(fd);
        const f = path.join(dir, `bulk-${String(files.length).padStart(5, '0')}.ndjson`);
        files.push(f);
        fd = fs.openSync(f, 'w');
        inFile = 0;
      }
      const doc = documentJson(d, stats, representation);
      buf.push(`{"index":{"_index":${JSON.stringify(indexName)},"_id":"${d.id}"}}\n`, doc.json, '\n');
      if (buf.length >= 300) flush();
      postings += doc.postings;
      inFile++;
      docs++;
    }
    flush();
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
  return { dir, docs, files, postings, bulkBytes, representation, shards };
}

/** The stored library as export documents, in id order (the store must not be written meanwhile). */
export function storeExportSource(store: IndexStore): () => Iterable<ExportDoc> {
  return function* () {
    for (const { id, path: p, bag } of store.iterBags()) {
      const rec = store.getById(id);
      yield { id, path: p, width: rec?.width ?? null, height: rec?.height ?? null, hash: rec?.hash ?? null, bag };
    }
  };
}
