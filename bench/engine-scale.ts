// `node --import tsx bench/engine-scale.ts [--docs 1000000] [--queries 200] [--keep DIR]`: one
// Lucene shard (the engines' unit of work: one thread serves one shard's part of a query) holding
// synthetic rank_features documents, and the per-query time of the exported engine query on it.
// Synthetic bags come from the dev set's real bags (bench/synthetic.ts, as bench.ts's 100k/1M
// figures), weighed with their own corpus statistics as export.ts weighs a library. Queries are
// real dev-set photos. A benchmark, not a test: at 1M photos it takes tens of minutes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { mulberry32 } from '../src/core/common/random.js';
import { CorpusStats, documentWeights } from '../src/core/opensearch/weights.js';
import { engineQuery, DEFAULT_RESCORE_WINDOW } from '../src/core/opensearch/query.js';
import { harness, harnessProcess } from '../test/lucene/lucene.js';
import { loadDevSet } from './devset.js';
import { mix } from './synthetic.js';

const args = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const DOCS = Number(flag('docs', '1000000'));
const QUERIES = Number(flag('queries', '200'));
const K = Number(flag('k', '20'));
const log = (m: string) => process.stderr.write(`${m}\n`);
// --index DIR: time queries on a shard this script built before (with --keep DIR), same --docs.
const reuse = flag('index', '');
const dir = reuse || flag('keep', '') || fs.mkdtempSync(path.join(os.tmpdir(), 'pw-engine-scale-'));

const dev = loadDevSet();
const bags = dev.docs.map((d) => d.bag);
// The same sequence as bench.ts's synthetic libraries (seed 7), replayed for each pass.
const synth = function* () {
  const r = mulberry32(7);
  for (let id = 0; id < DOCS; id++) yield mix(bags[Math.floor(r() * bags.length)], bags[Math.floor(r() * bags.length)], r);
};

let t0 = performance.now();
const stats = CorpusStats.fromBags(synth());
log(`statistics of ${DOCS} synthetic bags: ${stats.df.size} words, ${((performance.now() - t0) / 1000).toFixed(1)} s`);

let built: { bytes: number; segments: number; seconds: number };
let postings = 0;
for (const c of stats.df.values()) postings += c;
if (reuse) {
  const bytes = fs.readdirSync(path.join(dir, 'shard-0')).reduce((a, f) => a + fs.statSync(path.join(dir, 'shard-0', f)).size, 0);
  built = { bytes, segments: NaN, seconds: NaN };
} else {
  built = await buildShard();
}

async function buildShard() {
  t0 = performance.now();
  const java = harnessProcess(['index-binary', dir], { heap: '3g' });
  let out = '';
  java.stdout!.on('data', (b) => (out += b));
  const exited = once(java, 'exit');
  let chunk: Buffer[] = [];
  let chunkBytes = 0;
  for (const bag of synth()) {
    const { terms, weights } = documentWeights(bag, stats);
    const b = Buffer.allocUnsafe(4 + terms.length * 8);
    b.writeInt32LE(terms.length, 0);
    for (let i = 0; i < terms.length; i++) {
      b.writeInt32LE(terms[i], 4 + i * 8);
      b.writeFloatLE(weights[i], 8 + i * 8);
    }
    chunk.push(b);
    chunkBytes += b.length;
    if (chunkBytes > 1 << 20) {
      if (!java.stdin!.write(Buffer.concat(chunk))) await once(java.stdin!, 'drain');
      chunk = [];
      chunkBytes = 0;
    }
  }
  java.stdin!.end(Buffer.concat(chunk));
  const [code] = await exited;
  if (code !== 0) throw new Error(`index-binary exited with ${code}`);
  const built = JSON.parse(out.trim().split('\n').pop()!);
  log(`indexed: ${JSON.stringify(built)} (${((performance.now() - t0) / 1000).toFixed(0)} s with the generator)`);
  return built;
}

// Each first-stage size (0: one exhaustive stage over every word), on the same query photos.
// The exhaustive query is slow at scale, so it gets fewer queries.
const FIRST = flag('first', '0,32,64,128,256').split(',').map(Number);
const WINDOWS = flag('window', String(DEFAULT_RESCORE_WINDOW)).split(',').map(Number);
const timing: Record<string, unknown> = {};
for (const first of FIRST) {
  for (const window of first === 0 ? [0] : WINDOWS) {
    const r = mulberry32(42);
    const n = first === 0 ? Math.min(QUERIES, Number(flag('exhaustive-queries', '30'))) : QUERIES;
    const name = first === 0 ? 'exhaustive' : `first${first}+rescore${window}`;
    const qfile = path.join(dir, `queries-${name}.ndjson`);
    fs.writeFileSync(
      qfile,
      Array.from({ length: n }, () => JSON.stringify(engineQuery(bags[Math.floor(r() * bags.length)], stats, { k: K, firstStageWords: first, rescoreWindow: window }))).join('\n') + '\n',
    );
    timing[name] = JSON.parse((await harness(['time', dir, qfile, String(K), String(Math.min(n, 10))], { heap: '3g' })).trim());
    log(`  ${name}: ${JSON.stringify(timing[name])}`);
  }
}

const result = {
  docs: DOCS,
  postings,
  postingsPerPhoto: Number((postings / DOCS).toFixed(1)),
  indexBytes: built.bytes,
  indexBytesPerPhoto: Number((built.bytes / DOCS).toFixed(0)),
  bytesPerPosting: Number((built.bytes / postings).toFixed(2)),
  segments: built.segments,
  indexSeconds: Number(built.seconds.toFixed(0)),
  query: timing,
  machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) },
};
console.log(JSON.stringify(result, null, 2));
if (!args.includes('--keep') && !reuse) fs.rmSync(dir, { recursive: true, force: true });
