// The OpenSearch/Elasticsearch export (src/core/opensearch) on real photos, a real SQLite index
// and real Lucene 8 (test/lucene/Harness.java, Debian's liblucene8-java): what the engine ranks
// for each exported query must be what Photowords ranks, one shard or four. The full dev-set
// figures are a benchmark: bench/engine-parity.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../fixtures/bad-input.js';
import { runCli } from '../fixtures/cli.js';
import { ImpactIndex } from '../../src/core/search/impact-index.js';
import { openStoreForDuplicates } from '../../src/core/duplicates/find.js';
import { CorpusStats, documentWeights, queryWeights } from '../../src/core/opensearch/weights.js';
import { engineQuery, DEFAULT_MAX_CLAUSES } from '../../src/core/opensearch/query.js';
import { harness, luceneClasspath, readRankings } from '../lucene/lucene.js';
import type { Bag } from '../../src/core/common/types.js';

const FLOWERS = path.resolve(REPO_ROOT, '../shared/datasets/flowers17');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-engine-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(args, { timeoutMs: 240_000 });

const javaMissing = (() => {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    return "java is not installed (scripts/install.sh installs Debian's liblucene8-java and its JDK)";
  }
  return luceneClasspath().missing;
})();

test('weights: unit document vectors; unseen words only lower the query norm; the clause limit keeps the heaviest words', () => {
  const stats = new CorpusStats(
    10,
    new Map([
      [1, 2],
      [2, 9],
      [3, 1],
    ]),
  );
  const bag: Bag = { terms: Uint32Array.from([1, 2, 3, 7]), tfs: Float32Array.from([3, 1, 2, 5]) };
  const d = documentWeights(bag, stats);
  assert.equal(d.terms.length, 4);
  assert.ok(Math.abs(d.weights.reduce((a, w) => a + w * w, 0) - 1) < 1e-5);
  const q = queryWeights(bag, stats);
  assert.deepEqual([...q.terms], [1, 2, 3]);
  assert.ok(q.weights.reduce((a, w) => a + w * w, 0) < 0.99);
  const many: Bag = { terms: Uint32Array.from({ length: 1500 }, (_, i) => i), tfs: Float32Array.from({ length: 1500 }, (_, i) => 1 + (i % 7)) };
  const big = new CorpusStats(100, new Map(Array.from({ length: 1500 }, (_, i) => [i, 1 + (i % 50)])));
  const body = engineQuery(many, big, { k: 5, firstStageWords: 0 });
  assert.equal(body.query.bool.should.length, DEFAULT_MAX_CLAUSES);
  const two = engineQuery(many, big, { k: 5 });
  assert.equal(two.query.bool.should.length, 256);
  assert.equal(two.rescore!.query.rescore_query.bool.should.length, DEFAULT_MAX_CLAUSES);
  assert.equal(two.rescore!.window_size, 500);
});

test("export + Lucene: the engine ranks each photo's top 10 as Photowords does, and 4 shards merge to the single index", { skip: javaMissing, timeout: 240_000 }, async () => {
  // 36 photos of 3 flower classes.
  const lib = path.join(tmp, 'library');
  fs.mkdirSync(lib);
  const classes = fs.readdirSync(FLOWERS).sort().slice(0, 3);
  for (const c of classes) {
    for (const f of fs.readdirSync(path.join(FLOWERS, c)).sort().slice(0, 12)) fs.symlinkSync(path.join(FLOWERS, c, f), path.join(lib, `${c}-${f}`));
  }
  const db = path.join(tmp, 'index.db');
  const idx = await cli(['index', lib, '--db', db, '--quiet', '--json']);
  assert.equal(idx.code, 0, idx.stderr);
  assert.equal(JSON.parse(idx.stdout).indexed, 36);

  const out = path.join(tmp, 'export');
  const ex = await cli(['export', '--db', db, '--engine', 'opensearch', '--out', out, '--shards', '4']);
  assert.equal(ex.code, 0, ex.stderr);
  const def = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8'));
  assert.equal(def.settings.index.number_of_shards, 4);
  assert.equal(def.mappings.properties.words.type, 'rank_features');
  const bulk = fs.readFileSync(path.join(out, 'bulk-00000.ndjson'), 'utf8').trim().split('\n');
  assert.equal(bulk.length, 72);
  const doc = JSON.parse(bulk[1]);
  assert.ok(doc.id > 0 && doc.path.startsWith(lib) && doc.width > 0 && doc.height > 0 && /^[0-9a-f]{64}$/.test(doc.hash));
  const w = Object.values(doc.words) as number[];
  assert.ok(Math.abs(w.reduce((a, x) => a + x * x, 0) - 1) < 1e-4);

  // The query a client sends, from the CLI.
  const photo = path.join(lib, fs.readdirSync(lib).sort()[0]);
  const eq = await cli(['similar', photo, '--db', db, '--engine-query', '--top', '10']);
  assert.equal(eq.code, 0, eq.stderr);
  const body = JSON.parse(eq.stdout);
  assert.equal(body.size, 10);
  assert.ok(body.query.bool.should.every((c: { rank_feature: { field: string; linear: object; boost: number } }) => c.rank_feature.field.startsWith('words.') && c.rank_feature.boost > 0));

  // Photowords' own answers, and every photo's engine query, weighed with the export's statistics.
  const store = openStoreForDuplicates(db);
  let bags: { id: number; path: string; bag: Bag }[];
  try {
    bags = [...store.iterBags()];
  } finally {
    store.close();
  }
  const stats = CorpusStats.fromJSON(JSON.parse(fs.readFileSync(path.join(out, 'stats.json'), 'utf8')));
  assert.equal(stats.n, 36);
  const index = ImpactIndex.build(bags);
  const queries = path.join(tmp, 'queries.ndjson');
  fs.writeFileSync(queries, bags.map((b) => JSON.stringify(engineQuery(b.bag, stats, { k: 10 }))).join('\n') + '\n');
  const at = bags.findIndex((b) => b.path === photo);
  assert.ok(at >= 0);
  assert.deepEqual(JSON.parse(fs.readFileSync(queries, 'utf8').split('\n')[at]), body, 'the CLI prints the same query');

  await harness(['index', out, path.join(tmp, 'one'), '1']);
  await harness(['index', out, path.join(tmp, 'four'), '4']);
  await harness(['search', path.join(tmp, 'one'), queries, path.join(tmp, 'one.txt'), 'single']);
  await harness(['search', path.join(tmp, 'four'), queries, path.join(tmp, 'four.txt'), 'local']);
  const one = readRankings(path.join(tmp, 'one.txt'));
  const four = readRankings(path.join(tmp, 'four.txt'));
  let overlap = 0;
  for (let q = 0; q < bags.length; q++) {
    const pw = index.search(bags[q].bag, { k: 10 });
    const mine = new Set(pw.map((r) => index.ids[r.index]));
    overlap += one[q].filter((h) => mine.has(h.id)).length / 10;
    assert.equal(one[q][0].id, bags[q].id, 'a photo finds itself first');
    assert.ok(Math.abs(one[q][0].score - 1) < 0.01, `self-similarity ${one[q][0].score}`);
    // Scores are Photowords' exact cosines up to FeatureField's 9-bit weights.
    const pwScore = new Map(pw.map((r) => [index.ids[r.index], r.score]));
    for (const h of one[q]) {
      const s = pwScore.get(h.id);
      if (s !== undefined) assert.ok(Math.abs(h.score - s) <= 0.005 * s + 1e-6, `photo ${h.id}: score ${h.score} on Lucene, ${s} in Photowords`);
    }
    // Precomputed weights need no shard statistics: merged per-shard top 10 = the single index's.
    assert.deepEqual(
      four[q].map((h) => h.id),
      one[q].map((h) => h.id),
    );
  }
  assert.ok(overlap / bags.length >= 0.95, `top-10 overlap ${overlap / bags.length}`);
});
