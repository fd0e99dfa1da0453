// `npm run bench -- --json`: indexing throughput at 299 and 512 px with the split of time into
// read, decode, model, k-grams and SQLite; model-only throughput on the same photos (their ratio
// is the pipeline's overhead); a random-weight ResNet-50 for speed; query latency over the real
// dev-set index and over 100,000 synthetic bags; peak RSS. A benchmark, not a test: it takes minutes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../src/core/engine.js';
import { discoverDataset, defaultEvalCache } from '../src/core/evalsuite.js';
import { DEFAULT_SETTINGS, mergeSettings } from '../src/core/settings.js';
import { loadForModel } from '../src/core/decode.js';
import { BackboneSession } from '../src/core/model/tokenizer.js';
import { importOnnxBackbone } from '../src/core/model/backbone.js';
import { buildInvertedIndex } from '../src/core/invindex.js';
import { TfidfScorer } from '../src/core/tfidf.js';
import { topK } from '../src/core/scoring.js';
import { mulberry32 } from '../src/core/random.js';
import { resnet50Onnx, RESNET50_FEATURES } from '../test/fixtures/resnet50.js';
import type { Bag } from '../src/core/types.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const flag = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SAMPLE = flag('images', 300);
const SYNTHETIC = flag('synthetic', 100_000);
const QUERIES = flag('queries', 100);
const DATASETS = path.resolve('../shared/datasets');
const log = (m: string) => process.stderr.write(`${m}\n`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-'));

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** A fixed, spread-out sample of the dev set: every k-th photo by path. */
function sample(n: number): string[] {
  const all = discoverDataset(DATASETS).map((x) => x.path);
  const step = all.length / n;
  return Array.from({ length: n }, (_, i) => all[Math.floor(i * step)]);
}

async function indexSpeed(resolution: number, files: string[]) {
  const lib = path.join(tmp, `lib-${resolution}`);
  fs.mkdirSync(lib);
  files.forEach((f, i) => fs.symlinkSync(f, path.join(lib, `${String(i).padStart(5, '0')}${path.extname(f)}`)));
  const engine = await Engine.open(path.join(tmp, `bench-${resolution}.db`), { settings: { resolution }, log });
  try {
    // Warm-up outside the timing (first-run allocations in onnxruntime).
    const warm = await loadForModel(files[0], resolution, { minSide: engine.backbone.minSide });
    await engine.tokenizer.run([warm]);
    const r = await engine.index([lib]);
    const t = r.timings;
    const endToEnd = r.indexed / (t.wallMs / 1000);
    // Model only, on the same photos decoded beforehand, one at a time as the pipeline runs them.
    const decoded = [];
    for (const f of files) decoded.push(await loadForModel(f, resolution, { minSide: engine.backbone.minSide }));
    const t0 = performance.now();
    for (const d of decoded) await engine.tokenizer.backbone.features([d]);
    const modelOnly = decoded.length / ((performance.now() - t0) / 1000);
    const ms = (x: number) => Math.round(x);
    return {
      images: r.indexed,
      imagesPerSecond: Number(endToEnd.toFixed(2)),
      modelOnlyImagesPerSecond: Number(modelOnly.toFixed(2)),
      endToEndOverModelOnly: Number((endToEnd / modelOnly).toFixed(3)),
      executionProvider: r.provider,
      // Busy time per stage; decode runs beside the model, so stages can add up to more than wall.
      timeMs: { wall: ms(t.wallMs), read: ms(t.readMs), decode: ms(t.decodeMs), model: ms(t.modelMs), kgrams: ms(t.kgramsMs), sqlite: ms(t.sqliteMs) },
      msPerImage: Object.fromEntries(
        (['read', 'decode', 'model', 'kgrams', 'sqlite'] as const).map((k) => [k, Number((t[`${k}Ms`] / r.indexed).toFixed(2))]),
      ),
    };
  } finally {
    await engine.close();
  }
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

function timeQueries(scorer: TfidfScorer, queries: Bag[]) {
  const times: number[] = [];
  const buf = new Float32Array(scorer.index.n);
  for (const q of queries) {
    const t = performance.now();
    topK(scorer.scoreAll(q, buf), 20);
    times.push(performance.now() - t);
  }
  return { medianMs: Number(percentile(times, 50).toFixed(2)), p95Ms: Number(percentile(times, 95).toFixed(2)) };
}

async function queryBench() {
  // The real dev-set index: the eval cache when `photowords eval` made it, else built here.
  const settings = mergeSettings(DEFAULT_SETTINGS);
  const db = defaultEvalCache(DATASETS, settings);
  fs.mkdirSync(path.dirname(db), { recursive: true });
  const engine = await Engine.open(db, { settings, log });
  let bags: Bag[];
  try {
    await engine.index([DATASETS], {});
    bags = [...engine.store.iterBags()].map((b) => b.bag);
  } finally {
    await engine.close();
  }
  const rand = mulberry32(42);
  const pickQueries = () => Array.from({ length: QUERIES }, () => bags[Math.floor(rand() * bags.length)]);
  const real = buildInvertedIndex(bags.map((bag, id) => ({ id, bag })));
  const realResult = { images: real.n, postings: real.postings, ...timeQueries(new TfidfScorer(real), pickQueries()) };

  // Synthetic bags follow the real term and df distribution: each is a random half of one real
  // bag's terms joined with a random half of another's (counts kept), never uniform noise.
  const mix = (a: Bag, b: Bag, rand: () => number): Bag => {
    const terms: number[] = [];
    const tfs: number[] = [];
    let i = 0;
    let j = 0;
    while (i < a.terms.length || j < b.terms.length) {
      const ta = i < a.terms.length ? a.terms[i] : Infinity;
      const tb = j < b.terms.length ? b.terms[j] : Infinity;
      const take = (t: number, tf: number) => {
        terms.push(t);
        tfs.push(tf);
      };
      if (ta === tb) {
        if (rand() < 0.75) take(ta, rand() < 0.5 ? a.tfs[i] : b.tfs[j]);
        i++;
        j++;
      } else if (ta < tb) {
        if (rand() < 0.5) take(ta, a.tfs[i]);
        i++;
      } else {
        if (rand() < 0.5) take(tb, b.tfs[j]);
        j++;
      }
    }
    return { terms: Uint32Array.from(terms), tfs: Float32Array.from(tfs) };
  };
  const rssBefore = process.memoryUsage().rss;
  const synth = function* () {
    const r = mulberry32(7);
    for (let id = 0; id < SYNTHETIC; id++) {
      yield { id, bag: mix(bags[Math.floor(r() * bags.length)], bags[Math.floor(r() * bags.length)], r) };
    }
  };
  // Two passes over a generator that replays the same sequence (its own seeded RNG): the build
  // streams, it never holds all bags.
  const t0 = performance.now();
  const big = buildInvertedIndex(() => synth());
  const buildSeconds = (performance.now() - t0) / 1000;
  const indexBytes = big.docs.byteLength + big.tfs.byteLength + big.offsets.byteLength + big.terms.byteLength + big.df.byteLength;
  const synthResult = {
    images: big.n,
    postings: big.postings,
    termsPerImage: Number((big.postings / big.n).toFixed(0)),
    buildSeconds: Number(buildSeconds.toFixed(1)),
    indexMemoryMB: Math.round(indexBytes / 2 ** 20),
    rssGrowthMB: Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20),
    ...timeQueries(new TfidfScorer(big), pickQueries()),
  };
  return { real: realResult, synthetic: synthResult };
}

const files = sample(SAMPLE);
log(`Indexing speed on ${files.length} dev-set photos at 299 px ...`);
const at299 = await indexSpeed(299, files);
log(`... and at 512 px ...`);
const at512 = await indexSpeed(512, files);
log('ResNet-50 (random weights) model-only speed ...');
const resnet = await resnetSpeed();
log(`Query latency: real index and ${SYNTHETIC} synthetic bags ...`);
const query = await queryBench();
const cpu = os.cpus()[0]?.model ?? 'unknown';
const flags = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
const result = {
  machine: { cpu, cores: os.availableParallelism(), avx512: /\bavx512f\b/.test(flags), node: process.version },
  settings: DEFAULT_SETTINGS,
  indexImagesPerSecond: { '299': at299.imagesPerSecond, '512': at512.imagesPerSecond },
  index: { '299': at299, '512': at512 },
  resnet50RandomModelOnlyImagesPerSecond: resnet,
  queryMsMedian: query.synthetic.medianMs,
  queryMsP95: query.synthetic.p95Ms,
  query,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
};
fs.rmSync(tmp, { recursive: true, force: true });
if (json) console.log(JSON.stringify(result, null, 2));
else console.log(result);
