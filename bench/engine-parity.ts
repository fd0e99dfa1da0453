// `node --import tsx bench/engine-parity.ts [--json]`: the dev set (4,360 photos) exported for
// OpenSearch/Elasticsearch and searched on real Lucene 8 (test/lucene/Harness.java), every photo as
// a query, against what Photowords itself ranks (the default two-stage 'tfidf' path):
// - top-10 overlap and mAP (GPR1200 protocol, evaluate.ts) of the engine query as exported
//   (first stage + rescore) and of one exhaustive stage over every word;
// - where the differences come from: FeatureField's 9-bit weights (Lucene exhaustive against
//   Photowords' exact cosine) and each side's first stage;
// - 4 shards: merged per-shard top 10 against the single index (rank_features: identical by
//   construction), and the text-field alternative with per-shard statistics (query_then_fetch)
//   against global ones (dfs_query_then_fetch);
// - postings and bytes a photo for both representations.
// A benchmark, not a test (tens of minutes on 2 cores; `--parts default,exhaustive,text` runs some);
// needs the eval cache (bench/devset.ts) and liblucene8-java.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImpactIndex } from '../src/core/search/impact-index.js';
import { evaluateRanking } from '../src/core/eval/map.js';
import { exportForEngine, type EngineRepresentation } from '../src/core/opensearch/export.js';
import { engineQuery, engineTextQuery, DEFAULT_MAX_CLAUSES, DEFAULT_FIRST_STAGE_WORDS } from '../src/core/opensearch/query.js';
import { CorpusStats, documentWeights, queryWeights } from '../src/core/opensearch/weights.js';
import { harness, readRankings } from '../test/lucene/lucene.js';
import { loadDevSet } from './devset.js';

const json = process.argv.includes('--json');
const parts = (() => {
  const i = process.argv.indexOf('--parts');
  return new Set((i >= 0 ? process.argv[i + 1] : 'default,exhaustive,text').split(','));
})();
const log = (m: string) => process.stderr.write(`${m}\n`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-engine-parity-'));
const K = 10;

const dev = loadDevSet();
const n = dev.docs.length;
const bags = dev.docs.map((d) => d.bag);
const posOfId = new Map(dev.docs.map((d, i) => [d.id, i]));
const stats = CorpusStats.fromBags(bags);
const overLimit = bags.filter((b) => b.terms.length > DEFAULT_MAX_CLAUSES).length;
log(`${n} photos, ${stats.df.size} words, ${(bags.reduce((a, b) => a + b.terms.length, 0) / n).toFixed(0)} words a photo; ${overLimit} photos over ${DEFAULT_MAX_CLAUSES} words`);

// ---- Photowords' own rankings ---------------------------------------------------------------------
let t = performance.now();
const impact = ImpactIndex.build(bags.map((bag, id) => ({ id, bag })));
const pwTop = bags.map((b) => impact.search(b, { k: K }).map((r) => r.index));
// The exact cosine over every photo (stage 1 exhaustive, every photo re-scored): what Lucene's
// exhaustive query computes up to FeatureField's rounding.
const exactTop = bags.map((b) => impact.search(b, { k: K, budget: 1, candidates: n }).map((r) => r.index));
const buf = new Float32Array(n);
const pwEval = evaluateRanking(n, (q) => impact.scoreAll(bags[q], buf), dev.labels, dev.domains);
log(`Photowords tfidf: mAP ${pwEval.map.toFixed(4)} (${((performance.now() - t) / 1000).toFixed(0)} s)`);

// ---- export, Lucene index, queries -----------------------------------------------------------------
function exportDir(representation: EngineRepresentation) {
  const dir = path.join(tmp, `export-${representation}`);
  const r = exportForEngine(() => dev.docs, dir, { representation, stats });
  return { dir, report: r };
}

async function luceneIndex(exp: string, name: string, shards: number) {
  const dir = path.join(tmp, name);
  return { dir, built: JSON.parse((await harness(['index', exp, dir, String(shards)], { heap: '3g' })).trim()) };
}

function writeQueries(name: string, make: (i: number) => object): string {
  const f = path.join(tmp, `${name}.ndjson`);
  fs.writeFileSync(f, dev.docs.map((_, i) => JSON.stringify(make(i))).join('\n') + '\n');
  return f;
}

async function search(index: string, queries: string, mode: 'single' | 'local' | 'global', dense: boolean) {
  const out = path.join(tmp, `${path.basename(queries, '.ndjson')}-${path.basename(index)}-${mode}.txt`);
  await harness(['search', index, queries, out, mode, ...(dense ? [String(n)] : [])], { heap: '3g' });
  const ranked = readRankings(out).map((hits) => hits.map((h) => posOfId.get(h.id)!));
  let rows: Float32Array | undefined;
  if (dense) {
    const b = fs.readFileSync(`${out}.f32`);
    rows = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }
  return { ranked, rows, out };
}

function overlap(a: number[][], b: number[][]): number {
  let s = 0;
  for (let q = 0; q < a.length; q++) {
    const set = new Set(b[q]);
    s += a[q].filter((x) => set.has(x)).length / Math.max(1, Math.min(K, b[q].length));
  }
  return s / a.length;
}

function identical(a: number[][], b: number[][]): number {
  return a.filter((x, q) => x.length === b[q].length && x.every((v, i) => v === b[q][i])).length / a.length;
}

function mapOf(rows: Float32Array) {
  const e = evaluateRanking(n, (q) => rows.subarray(q * n, (q + 1) * n), dev.labels, dev.domains);
  return { map: Number(e.map.toFixed(4)), mapQueryRemoved: Number(e.mapQueryRemoved.toFixed(4)), domains: Object.fromEntries(Object.entries(e.domains).map(([k, v]) => [k, Number(v.toFixed(4))])) };
}

const f4 = (x: number) => Number(x.toFixed(4));

t = performance.now();
const rf = exportDir('rank_features');
const rf1 = await luceneIndex(rf.dir, 'rf-1', 1);
const rf4 = await luceneIndex(rf.dir, 'rf-4', 4);
log(`rank_features export: ${rf.report.bulkBytes} bulk bytes, Lucene ${rf1.built.bytes} bytes (${((performance.now() - t) / 1000).toFixed(0)} s)`);

/** The cosine of one pair from the exported weights at full float32 precision (weights.ts). */
function exactCosine(q: number, d: number): number {
  const qw = queryWeights(bags[q], stats);
  const wa = new Map<number, number>();
  qw.terms.forEach((term, i) => wa.set(term, qw.weights[i]));
  const dw = documentWeights(bags[d], stats);
  let s = 0;
  dw.terms.forEach((term, i) => (s += (wa.get(term) ?? 0) * dw.weights[i]));
  return s;
}

/** One engine query per photo on 1 shard (rankings + full score rows) and on 4 (merged top 10). */
async function rankFeatures(name: string, firstStageWords?: number) {
  t = performance.now();
  const queries = writeQueries(`rf-${name}`, (i) => engineQuery(bags[i], stats, { k: K, firstStageWords }));
  const one = await search(rf1.dir, queries, 'single', true);
  const four = await search(rf4.dir, queries, 'local', false);
  log(`rank_features ${name} searched (${((performance.now() - t) / 1000).toFixed(0)} s)`);
  // FeatureField keeps 9 significant bits of each weight (truncated): the score error against the
  // float32 cosine, on every 10th query's top 10.
  let relErr = 0;
  let relMax = 0;
  let cnt = 0;
  const ranked = readRankings(one.out);
  for (let q = 0; q < n; q += 10) {
    for (const h of ranked[q]) {
      const exact = exactCosine(q, posOfId.get(h.id)!);
      const e = Math.abs(h.score - exact) / exact;
      relErr += e;
      relMax = Math.max(relMax, e);
      cnt++;
    }
  }
  return {
    firstStageWords: firstStageWords ?? DEFAULT_FIRST_STAGE_WORDS,
    top10OverlapWithPhotowords: f4(overlap(one.ranked, pwTop)),
    top10OverlapWithExactCosine: f4(overlap(one.ranked, exactTop)),
    ...mapOf(one.rows!),
    scoreErrorVsFloat32Cosine: { meanRelative: Number((relErr / cnt).toExponential(2)), maxRelative: Number(relMax.toExponential(2)), pairs: cnt },
    shards4: { identicalTop10Share: f4(identical(four.ranked, one.ranked)), top10Overlap: f4(overlap(four.ranked, one.ranked)) },
  };
}

const rankFeaturesResult: Record<string, unknown> = {
  bulkBytesAPhoto: Math.round(rf.report.bulkBytes / n),
  luceneBytesAPhoto: Math.round(rf1.built.bytes / n),
  postingsAPhoto: f4(rf1.built.postings / n),
  photowordsDefaultVsExactCosineTop10Overlap: f4(overlap(pwTop, exactTop)),
};
if (parts.has('default')) rankFeaturesResult.default = await rankFeatures('default');
if (parts.has('exhaustive')) rankFeaturesResult.exhaustive = await rankFeatures('exhaustive', 0);

// ---- the text-field alternative ------------------------------------------------------------------
let text: object | undefined;
if (parts.has('text')) {
  t = performance.now();
  const tx = exportDir('text');
  const tx1 = await luceneIndex(tx.dir, 'text-1', 1);
  const tx4 = await luceneIndex(tx.dir, 'text-4', 4);
  const qText = writeQueries('text', (i) => engineTextQuery(bags[i], stats, { k: K }));
  const tText = await search(tx1.dir, qText, 'single', true);
  const tLocal = await search(tx4.dir, qText, 'local', true);
  const tGlobal = await search(tx4.dir, qText, 'global', true);
  log(`text field: ${tx.report.bulkBytes} bulk bytes, Lucene ${tx1.built.bytes} bytes (${((performance.now() - t) / 1000).toFixed(0)} s)`);
  text = {
    bulkBytesAPhoto: Math.round(tx.report.bulkBytes / n),
    luceneBytesAPhoto: Math.round(tx1.built.bytes / n),
    singleIndex: { top10OverlapWithPhotowords: f4(overlap(tText.ranked, pwTop)), ...mapOf(tText.rows!) },
    shards4Global: { top10OverlapWithSingle: f4(overlap(tGlobal.ranked, tText.ranked)), ...mapOf(tGlobal.rows!) },
    shards4Local: { top10OverlapWithSingle: f4(overlap(tLocal.ranked, tText.ranked)), top10OverlapWithPhotowords: f4(overlap(tLocal.ranked, pwTop)), ...mapOf(tLocal.rows!) },
  };
}

const result = {
  photos: n,
  wordsAPhoto: f4(rf.report.postings / n),
  photosOverMaxClauses: overLimit,
  photowords: { tfidf: { map: f4(pwEval.map), mapQueryRemoved: f4(pwEval.mapQueryRemoved), domains: pwEval.domains } },
  rankFeatures: rankFeaturesResult,
  text,
};
fs.rmSync(tmp, { recursive: true, force: true });
if (json) console.log(JSON.stringify(result, null, 2));
else {
  const d = rankFeaturesResult.default as { top10OverlapWithPhotowords: number; map: number } | undefined;
  if (d) console.log(`Photowords tfidf mAP ${result.photowords.tfidf.map}; Lucene (rank_features, the exported query) mAP ${d.map}, top-10 overlap ${d.top10OverlapWithPhotowords}`);
  console.log(JSON.stringify(result, null, 2));
}
