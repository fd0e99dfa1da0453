// `npm run bench -- --json`: indexing throughput at 299 and 512 px with the split of time into
// read, decode, model, k-grams and SQLite; model-only throughput on the same photos (their ratio
// is the pipeline's overhead); a random-weight ResNet-50 for speed; query latency over the real
// dev-set index and over 100,000 synthetic bags; the dense ANN peer beside them (ann-peer.ts);
// peak RSS. A benchmark, not a test: it takes minutes.
// Options: --images N (photos per indexing round, 300), --rounds N (3), --index-runs
// 299,512,299-int8,resnet (which indexing figures), --only a,b (of query, coldstart, peer, index,
// open, indexmemory, duplicates; all by default, run in that order: targets.ts), --synthetic
// 100000,1000000 (query, coldstart, peer), --open-files / --indexmemory-files N (1000000),
// --duplicates-sizes (100000,1000000), --peer-libs hnswlib,usearch (hnswlib by default),
// --peer-no-dev (the peer's synthetic sizes only, without its dev-set mAP and recall),
// --peer-default-mix (synthetic vectors mixed from the whole dev set; held out by default: less
// the query photos), --peer-rebuild (build the peer's index even where one is cached),
// --peer-only SIZES (only those of --synthetic, to cache a long build ahead of the run).
// Camera-size files (12-48 MP JPEG, HEIC, RAW) against the model alone: bench/camera.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../src/core/library/engine.js';
import { discoverDataset, defaultEvalCache } from '../src/core/eval/suite.js';
import { DEFAULT_SETTINGS, kgramSettings, mergeSettings } from '../src/core/common/settings.js';
import { bagFromGrid } from '../src/core/analysis/kgrams.js';
import { ImpactIndex } from '../src/core/search/impact-index.js';
import { BackboneSession } from '../src/core/analysis/model/tokenizer.js';
import { importOnnxBackbone } from '../src/core/analysis/model/backbone.js';
import { buildInvertedIndex } from '../src/core/search/inverted-index.js';
import { TfidfScorer } from '../src/core/search/scorers/tfidf.js';
import { topK } from '../src/core/search/scorers/scorer.js';
import { mulberry32 } from '../src/core/common/random.js';
import { mix } from './synthetic.js';
import { peerBench, PEER_LIBRARIES, type PeerLibrary } from './ann-peer.js';
import { coldStartBench } from './cold-start.js';
import { indexSpeed as indexSpeedOf, percentile } from './indexspeed.js';
import { NotAvailable, optionalPart, runParts, selectedParts, sizesFlag } from './targets.js';
import { issue21Summary } from './targets-summary.js';
import { resnet50Onnx, RESNET50_FEATURES } from '../test/fixtures/resnet50.js';
import type { Bag } from '../src/core/common/types.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const flag = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SAMPLE = flag('images', 300);
const SYNTHETIC = (() => {
  const i = args.indexOf('--synthetic');
  return (i >= 0 ? args[i + 1] : '100000,1000000').split(',').map(Number);
})();
const QUERIES = flag('queries', 100);
const OVERLAP_QUERIES = flag('overlap-queries', 30);
// End-to-end and model-only indexing rounds, alternating (see indexSpeed).
const ROUNDS = flag('rounds', 3);
const DATASETS = path.resolve('../shared/datasets');
// --codes N measures another codebook size than the default (its codebook must exist).
const CODES = flag('codes', DEFAULT_SETTINGS.codes);
const SETTINGS = mergeSettings(DEFAULT_SETTINGS, { codes: CODES });
const log = (m: string) => process.stderr.write(`${m}\n`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-'));

/** A fixed, spread-out sample of the dev set: every k-th photo by path. */
function sample(n: number): string[] {
  const all = discoverDataset(DATASETS).map((x) => x.path);
  const step = all.length / n;
  return Array.from({ length: n }, (_, i) => all[Math.floor(i * step)]);
}

/** Indexing throughput against the model alone (indexspeed.ts) at one resolution and precision. */
function indexSpeed(resolution: number, files: string[], precision: 'fp32' | 'int8' = 'fp32') {
  return indexSpeedOf({ tmp, name: `${resolution}-${precision}`, settings: { ...SETTINGS, resolution, precision }, files, rounds: ROUNDS, log });
}

async function resnetSpeed() {
  const file = path.join(tmp, 'resnet50.onnx');
  fs.writeFileSync(file, resnet50Onnx(0));
  const info = importOnnxBackbone(file, { output: RESNET50_FEATURES, channels: 2048, outDir: tmp });
  const s = await BackboneSession.open(info, { provider: 'cpu' });
  const out: Record<string, number> = {};
  try {
    for (const [w, h] of [
      [224, 224],
      [299, 299],
      [512, 384],
    ]) {
      const px = new Uint8Array(w * h * 3).map((_, i) => (i * 31) & 255);
      await s.features([{ pixels: px, width: w, height: h }]);
      const n = 10;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await s.features([{ pixels: px, width: w, height: h }]);
      out[`${w}x${h}`] = Number((n / ((performance.now() - t0) / 1000)).toFixed(2));
    }
  } finally {
    await s.release();
  }
  return out;
}

function timeQueries(run: (q: Bag) => void, queries: Bag[]) {
  for (const q of queries.slice(0, 5)) run(q); // warm-up: JIT and first-touch page faults
  const times: number[] = [];
  // CPU time beside wall time: on a shared machine the wall times carry the other jobs' load.
  const cpu0 = process.cpuUsage();
  for (const q of queries) {
    const t = performance.now();
    run(q);
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    medianMs: Number(percentile(times, 50).toFixed(2)),
    p95Ms: Number(percentile(times, 95).toFixed(2)),
    cpuMsPerQuery: Number(((cpu.user + cpu.system) / 1000 / Math.max(1, queries.length)).toFixed(2)),
    loadAvg: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** The dev set's bags with the default settings, from the eval cache (made here if missing). */
async function realBags(): Promise<Bag[]> {
  // The eval cache holds model output (grids); bags are derived from them, as eval does.
  const settings = mergeSettings(SETTINGS, { collapseKgrams: false });
  const db = defaultEvalCache(DATASETS, settings);
  fs.mkdirSync(path.dirname(db), { recursive: true });
  const engine = await Engine.open(db, { settings, log });
  try {
    // With the pooled vectors, as eval keeps them in this shared cache: without, eval's dense
    // baseline would have to read the photos again.
    // --cached-bags: the cache's grids as they are, without indexing what is missing or stale first
    // (a cache another job is refilling would be refilled here too, at the model's speed).
    if (!args.includes('--cached-bags')) await engine.index([DATASETS], { pipeline: { dense: true } });
    const ks = kgramSettings(SETTINGS);
    return [...engine.store.iterGrids()].map((g) => bagFromGrid(g.grid, ks));
  } finally {
    await engine.close();
  }
}

function impactResult(index: ImpactIndex, queries: Bag[], buildSeconds: number, rssBefore: number) {
  const stats = { queryPostings: 0, visited: 0 };
  let visited = 0;
  let touched = 0;
  const timing = timeQueries((q) => {
    index.search(q, { k: 20 }, stats);
    visited += stats.visited;
    touched += stats.queryPostings;
  }, queries);
  // Top-10 overlap with the exhaustive scan: budget 1 scores every photo exactly from the forward
  // index (5,000 candidates re-scored exactly hold the exact top 10). Also the query path without
  // the visit cap, timed on the same index (past DEFAULT_MAX_KEPT postings the lists no longer
  // hold every posting, so it is no longer the path of before issue 21 there).
  const top10 = (q: Bag, o: { budget?: number; candidates?: number; maxVisited?: number }) => new Set(index.search(q, { k: 10, ...o }).map((r) => r.index));
  const overlapQueries = queries.slice(0, OVERLAP_QUERIES);
  const exact = overlapQueries.map((q) => top10(q, { budget: 1, candidates: 5000 }));
  const overlapOf = (o: { maxVisited?: number }) =>
    Number((overlapQueries.reduce((a, q, i) => a + [...top10(q, o)].filter((d) => exact[i].has(d)).length / Math.max(1, exact[i].size), 0) / overlapQueries.length).toFixed(3));
  const uncapped = timeQueries((q) => index.search(q, { k: 20, maxVisited: Infinity }), queries);
  return {
    images: index.n,
    postings: index.postings,
    top10OverlapWithExhaustive: overlapOf({}),
    uncapped: { ...uncapped, top10OverlapWithExhaustive: overlapOf({ maxVisited: Infinity }) },
    termsPerImage: Number((index.postings / index.n).toFixed(0)),
    buildSeconds: Number(buildSeconds.toFixed(1)),
    indexMemoryMB: Math.round(index.memoryBytes / 2 ** 20),
    // The index's bytes over all postings, and the postings its inverted lists keep (impact-segments.ts).
    bytesPerPosting: Number((index.memoryBytes / index.postings).toFixed(2)),
    keptPostings: index.keptPostings,
    rssGrowthMB: Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20),
    // Share of all postings the query's words own (what an exhaustive scan visits), and the
    // share of those stage 1 visited.
    queryPostingsShare: Number((touched / (queries.length + 5) / index.postings).toFixed(3)),
    visitedShareOfQueryPostings: Number((visited / touched).toFixed(3)),
    ...timing,
  };
}

async function queryBench() {
  const bags = await realBags();
  const rand = mulberry32(42);
  const pickQueries = () => Array.from({ length: QUERIES }, () => bags[Math.floor(rand() * bags.length)]);
  let t0 = performance.now();
  const real = ImpactIndex.build(bags.map((bag, id) => ({ id, bag })));
  const realResult = impactResult(real, pickQueries(), (performance.now() - t0) / 1000, process.memoryUsage().rss);
  // The exhaustive scan of the same cosine, for comparison.
  const inv = buildInvertedIndex(bags.map((bag, id) => ({ id, bag })));
  const exact = new TfidfScorer(inv);
  const buf = new Float32Array(inv.n);
  const realExhaustive = timeQueries((q) => topK(exact.scoreAll(q, buf), 20), pickQueries());

  const synthetic: Record<string, ReturnType<typeof impactResult>> = {};
  for (const size of SYNTHETIC) {
    const rssBefore = process.memoryUsage().rss;
    // Two passes over a generator that replays the same sequence (its own seeded RNG): the build
    // streams, it never holds all bags.
    const synth = function* () {
      const r = mulberry32(7);
      for (let id = 0; id < size; id++) yield { id, bag: mix(bags[Math.floor(r() * bags.length)], bags[Math.floor(r() * bags.length)], r) };
    };
    log(`  building the query index over ${size} synthetic bags ...`);
    t0 = performance.now();
    const index = ImpactIndex.build(() => synth());
    synthetic[String(size)] = impactResult(index, pickQueries(), (performance.now() - t0) / 1000, rssBefore);
    log(`  ${JSON.stringify(synthetic[String(size)])}`);
  }
  return { real: { ...realResult, exhaustiveScan: realExhaustive }, synthetic };
}

// The parts, run by targets.ts in its order (latency first); `--only a,b` picks some.
const selected = selectedParts(args);
// --index-runs 299,512,299-int8,resnet picks which indexing measurements run (all by default).
const indexRuns = (() => {
  const i = args.indexOf('--index-runs');
  return new Set(i >= 0 ? args[i + 1].split(',') : ['299', '512', '299-int8', 'resnet']);
})();
async function indexPart() {
  const files = sample(SAMPLE);
  const out: { at299?: Awaited<ReturnType<typeof indexSpeed>>; at512?: Awaited<ReturnType<typeof indexSpeed>>; at299int8?: Awaited<ReturnType<typeof indexSpeed>>; resnet?: Record<string, number> } =
    {};
  if (indexRuns.has('299')) {
    log(`Indexing speed on ${files.length} dev-set photos at 299 px ...`);
    out.at299 = await indexSpeed(299, files);
  }
  if (indexRuns.has('512')) {
    log(`... at 512 px ...`);
    out.at512 = await indexSpeed(512, files);
  }
  if (indexRuns.has('299-int8')) {
    log(`... at 299 px with the int8 backbone ...`);
    out.at299int8 = await indexSpeed(299, files, 'int8');
  }
  if (indexRuns.has('resnet')) {
    log('ResNet-50 (random weights) model-only speed ...');
    out.resnet = await resnetSpeed();
  }
  return out;
}
async function peerPart() {
  const i = args.indexOf('--peer-libs');
  // hnswlib alone by default (the library chosen by measurement, docs/EVAL.md); usearch on request.
  const libraries = (i >= 0 ? args[i + 1].split(',') : ['hnswlib']) as PeerLibrary[];
  for (const l of libraries) if (!PEER_LIBRARIES.includes(l)) throw new Error(`--peer-libs: unknown library ${l} (known: ${PEER_LIBRARIES.join(', ')})`);
  return peerBench({
    sizes: SYNTHETIC,
    queries: QUERIES,
    libraries,
    devSet: !args.includes('--peer-no-dev'),
    // Held out by default: a query's own mixes in the graph make its top 10 trivial (docs/EVAL.md).
    heldOut: !args.includes('--peer-default-mix'),
    rebuild: args.includes('--peer-rebuild'),
    onlySizes: args.includes('--peer-only') ? sizesFlag(args, 'peer-only', []) : undefined,
    log,
  });
}
// The other helpers' parts, each from its own module; one not written yet reports so.
const optional = (file: string, name: string, opts: object) => async () => {
  const fn = await optionalPart<object>(file, name);
  return fn instanceof NotAvailable ? fn : fn({ ...opts, log });
};
const { results, runs } = await runParts(
  {
    query: async () => {
      log(`Query latency: real index and ${SYNTHETIC.join(', ')} synthetic bags ...`);
      return queryBench();
    },
    coldstart: async () => {
      log(`Cold start (the query index's file): ${SYNTHETIC.join(', ')} synthetic bags ...`);
      return coldStartBench({ sizes: SYNTHETIC, queries: 20, log });
    },
    peer: peerPart,
    index: indexPart,
    open: optional('library-open.ts', 'libraryOpenBench', { files: flag('open-files', 1_000_000) }),
    indexmemory: optional('daemon-memory.ts', 'indexingMemoryBench', { files: flag('indexmemory-files', 1_000_000) }),
    duplicates: optional('duplicates-scale.ts', 'duplicatesScaleBench', { sizes: sizesFlag(args, 'duplicates-sizes', [100_000, 1_000_000]) }),
  },
  selected,
  log,
);
const ix = results.index as Awaited<ReturnType<typeof indexPart>> | undefined;
const query = results.query as Awaited<ReturnType<typeof queryBench>> | undefined;
const headline = query ? (query.synthetic['100000'] ?? Object.values(query.synthetic)[0]) : undefined;
const cpu = os.cpus()[0]?.model ?? 'unknown';
const flags = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
const result = {
  machine: { cpu, cores: os.availableParallelism(), avx512: /\bavx512f\b/.test(flags), node: process.version },
  settings: SETTINGS,
  // Issue 21's targets, each with this run's figure, met or not, and the load while it was measured.
  issue21: issue21Summary({ results, runs }),
  // When each part ran, for how long, under what load (and why a part has no figures).
  parts: runs,
  indexImagesPerSecond: ix?.at299 || ix?.at512 ? { '299': ix.at299?.imagesPerSecond, '512': ix.at512?.imagesPerSecond } : undefined,
  index: ix?.at299 || ix?.at512 || ix?.at299int8 ? { '299': ix.at299, '512': ix.at512, '299-int8': ix.at299int8 } : undefined,
  indexImagesPerSecondInt8: ix?.at299int8 ? { '299': ix.at299int8.imagesPerSecond } : undefined,
  resnet50RandomModelOnlyImagesPerSecond: ix?.resnet,
  // Headline latency at 100,000 photos; every size is under query.synthetic.
  queryMsMedian: headline?.medianMs,
  queryMsP95: headline?.p95Ms,
  query,
  // The dense ANN peer (same backbone's GeM vectors in HNSW), same sizes and query photos.
  peer: results.peer,
  // Build, write, file size, and a library opened again: its first query from the file (cold-start.ts).
  coldStart: results.coldstart,
  libraryOpen: results.open,
  indexingMemory: results.indexmemory,
  duplicatesScale: results.duplicates,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
};
fs.rmSync(tmp, { recursive: true, force: true });
if (json) console.log(JSON.stringify(result, null, 2));
else console.log(result);
