// The peer a user would pick instead of our words for "find similar": the same backbone's GeM
// vectors (the pooled features `photowords eval` scores as "dense") in an HNSW index from npm,
// measured beside the words bench in the same run (bench.ts, `--only peer`). Two libraries are
// measured with the same parameters so the choice between them is made on figures; see
// docs/EVAL.md "Against a dense ANN peer" for the figures and the choice.
//
// What is measured, per library and size:
// - synthetic sizes (100,000 and 1,000,000 by default): build time, RSS growth, the saved index's
//   size, p50/p95 latency of one top-10 query at a time over the words bench's own queries
//   (the same dev-set photos, by the same seeded draw), recall@10 against exact cosine search;
// - the dev set (4,360 real photos, labelled): recall@10 and the GPR1200 mAP of the ANN's ranking
//   next to exact dense cosine and our words (tfidf, the default query path), all in this process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import hnswlib from 'hnswlib-node';
import { Index, MetricKind, ScalarKind, exactSearch, type Matches, type BatchMatches } from 'usearch';
import { IndexStore } from '../src/core/index/store.js';
import { ImpactIndex } from '../src/core/search/impact-index.js';
import { evaluateRanking } from '../src/core/eval/map.js';
import { mulberry32 } from '../src/core/common/random.js';
import { loadDevSet } from './devset.js';
import { percentile } from './indexspeed.js';
import {
  LoadSampler,
  clearPeerPartial,
  hashBytes,
  peerCacheDir,
  peerCacheKey,
  readPeerCache,
  readPeerPartial,
  stopRequested,
  writePeerCache,
  writePeerPartial,
  type PeerCacheMeta,
  type PeerPartialMeta,
} from './peer-cache.js';

export type PeerLibrary = 'hnswlib' | 'usearch';
export const PEER_LIBRARIES: PeerLibrary[] = ['hnswlib', 'usearch'];

// The issue's parameters, standard for HNSW (hnswlib's README and ann-benchmarks' middle
// setting). usearch gets the same three so the two differ only in implementation (its own
// defaults are connectivity 16, expansion_add 128, expansion_search 64).
export const HNSW = { m: 16, efConstruction: 200, ef: 64 } as const;
const K = 10;
// Dev-set mAP: the ANN answers a first page of this many; the rest of the ranking follows in
// exact-cosine order, so the figure isolates what the approximation loses at the head.
const ANN_PAGE = 100;
// One thread everywhere: hnswlib-node adds and searches on one, and the machine is shared.
const THREADS = 1;
const BATCH = 10_000;

export interface PeerOptions {
  sizes: number[];
  queries: number;
  libraries?: PeerLibrary[];
  /** The dev-set part (mAP, recall at 4,360); off for a run of one large size alone. */
  devSet?: boolean;
  /** Also score the dev set with our words (tfidf, the eval's default path) for the mAP line. */
  wordsMap?: boolean;
  /**
   * Mix the synthetic vectors from the dev set less the query photos. By default, like the words'
   * synthetic bags, about 2 x size / 4,360 of them are mixes of each query photo itself, and they
   * are its top 10 by a wide margin: an easy case for a graph. Held out, a query's neighbours are
   * mixes of other photos, as for a new photo in a real library.
   */
  heldOut?: boolean;
  /** Build anew even where a cached index exists (peer-cache.ts); the new one replaces it. */
  rebuild?: boolean;
  /**
   * Measure only these of `sizes`, each with the queries (and so, held out, the mixes) it gets in
   * the full list: a long build can be made (and cached) ahead of the run that reads it.
   */
  onlySizes?: number[];
  log?: (m: string) => void;
}

interface DevVectors {
  n: number;
  dim: number;
  /** Row-major, each row L2-normalised, in the words bench's bag order (the cache's id order). */
  vectors: Float32Array;
  labels: string[];
  domains: string[];
  bags: ReturnType<typeof loadDevSet>['docs'][number]['bag'][];
}

/** The dev set's pooled GeM vectors from the eval cache, in the order bench.ts draws its queries from. */
export function loadDevVectors(): DevVectors {
  const dev = loadDevSet();
  const store = IndexStore.open(dev.cache, { fingerprint: IndexStore.readFingerprint(dev.cache)!, settings: IndexStore.readSettings(dev.cache) as object });
  const byId = new Map<number, Float32Array>();
  try {
    for (const d of store.iterDense()) byId.set(d.id, d.vector);
  } finally {
    store.close();
  }
  const n = dev.docs.length;
  const dim = byId.values().next().value?.length ?? 0;
  if (n === 0 || dim === 0) throw new Error(`no pooled vectors in ${dev.cache}: fill it with: node bin/photowords.js eval ../shared/datasets --similarities dense`);
  const vectors = new Float32Array(n * dim);
  dev.docs.forEach((doc, i) => {
    const v = byId.get(doc.id);
    if (!v) throw new Error(`no pooled vector for ${doc.path} in ${dev.cache}; delete that file to rebuild it`);
    vectors.set(v, i * dim);
    normalise(vectors.subarray(i * dim, (i + 1) * dim));
  });
  return { n, dim, vectors, labels: dev.labels, domains: dev.domains, bags: dev.docs.map((d) => d.bag) };
}

/**
 * The query ids bench.ts's queryBench draws (mulberry32(42), `queries` at a time: the real index,
 * the exhaustive scan, then one draw per synthetic size in order), so the peer answers the same
 * photos the words answer. Draw 0 is the real index's, draw 2 + i the i-th synthetic size's.
 */
export function wordsQueryIds(n: number, queries: number, draws: number): number[][] {
  const rand = mulberry32(42);
  return Array.from({ length: draws }, () => Array.from({ length: queries }, () => Math.floor(rand() * n)));
}

interface Stats {
  mean: Float32Array;
  std: Float32Array;
}

function dimStats(dev: DevVectors): Stats {
  const { n, dim, vectors } = dev;
  const mean = new Float32Array(dim);
  const std = new Float32Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += vectors[i * dim + j] / n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) {
      const d = vectors[i * dim + j] - mean[j];
      std[j] += (d * d) / n;
    }
  for (let j = 0; j < dim; j++) std[j] = Math.sqrt(std[j]);
  return { mean, std };
}

// Made the way bench/synthetic.ts `mix` makes bags: from two random real ones, never from noise.
// Each is mean + (w·(a − mean) + (1 − w)·(b − mean)) / √(w² + (1 − w)²) with w uniform in
// [0.25, 0.75]: the rescaling keeps each dimension's spread that of the real vectors (a plain
// average of two would halve the variance and crowd every vector towards the centre, making the
// ANN's job easier than real photos make it). A small perturbation (Gaussian, 0.1 of the
// dimension's standard deviation) keeps two mixes of the same pair apart; values are clipped at 0
// (GeM pools post-ReLU activations, so real vectors are never negative) and the row normalised.
const PERTURB = 0.1;

/** Fills `out` (count rows) with synthetic vectors `start`..`start + count - 1` of the sequence seeded by `seed`. */
class Synth {
  private rand: () => number;
  private spare: number | undefined;
  clipped = 0;
  constructor(
    private dev: DevVectors,
    private stats: Stats,
    /** The dev-set rows mixes are made of. */
    private pool: Int32Array,
    seed = 7,
  ) {
    this.rand = mulberry32(seed);
  }

  private gauss(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = 1 - this.rand();
    const v = this.rand();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  next(out: Float32Array): void {
    const { dim, vectors } = this.dev;
    const { mean, std } = this.stats;
    const { pool } = this;
    const a = pool[Math.floor(this.rand() * pool.length)] * dim;
    const b = pool[Math.floor(this.rand() * pool.length)] * dim;
    const w = 0.25 + 0.5 * this.rand();
    const s = 1 / Math.sqrt(w * w + (1 - w) * (1 - w));
    for (let j = 0; j < dim; j++) {
      let x = mean[j] + s * (w * (vectors[a + j] - mean[j]) + (1 - w) * (vectors[b + j] - mean[j])) + PERTURB * std[j] * this.gauss();
      if (x < 0) {
        x = 0;
        this.clipped++;
      }
      out[j] = x;
    }
    normalise(out);
  }
}

function normalise(v: Float32Array): void {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let j = 0; j < v.length; j++) v[j] *= inv;
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += a[ao + j] * b[bo + j];
  return s;
}

/** Random-pair cosine (mean, sd), mean per-dimension sd and share of zeros: how the synthetic set is checked against the real one. */
function setStats(rows: Float32Array, n: number, dim: number) {
  const r = mulberry32(99);
  const cos: number[] = [];
  for (let t = 0; t < 2000; t++) {
    const i = Math.floor(r() * n);
    let k = Math.floor(r() * n);
    if (k === i) k = (k + 1) % n;
    cos.push(dot(rows, i * dim, rows, k * dim, dim));
  }
  const m = cos.reduce((a, x) => a + x, 0) / cos.length;
  const sd = Math.sqrt(cos.reduce((a, x) => a + (x - m) ** 2, 0) / cos.length);
  const mu = new Float64Array(dim);
  const v = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mu[j] += rows[i * dim + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) v[j] += (rows[i * dim + j] - mu[j]) ** 2 / n;
  const dimSd = v.reduce((a, x) => a + Math.sqrt(x), 0) / dim;
  let zeros = 0;
  for (let i = 0; i < n * dim; i++) if (rows[i] === 0) zeros++;
  return { pairCosineMean: round(m, 4), pairCosineSd: round(sd, 4), meanDimSd: round(dimSd, 5), zeroShare: round(zeros / (n * dim), 4) };
}

const round = (x: number, d: number) => Number(x.toFixed(d));

/** An HNSW index of one library behind one shape, so both are driven by the same code. */
interface Ann {
  addBatch(rows: Float32Array, count: number, firstKey: number): void;
  search(q: Float32Array, k: number): number[];
  save(file: string): void;
}

// hnswlib's insertion seed; part of the cache key, as a different seed makes a different graph.
const HNSW_SEED = 100;

/** A new, empty index of `capacity`, or (with `file`) one saved before by `save`. */
function openAnn(lib: PeerLibrary, dim: number, capacity: number, file?: string): Ann {
  if (lib === 'hnswlib') {
    const h = new hnswlib.HierarchicalNSW('cosine', dim);
    if (file) h.readIndexSync(file);
    else h.initIndex({ maxElements: capacity, m: HNSW.m, efConstruction: HNSW.efConstruction, randomSeed: HNSW_SEED });
    // ef is a search setting, not saved with the graph (a read index starts at hnswlib's 10).
    h.setEf(HNSW.ef);
    return {
      addBatch(rows, count, firstKey) {
        // hnswlib-node takes plain arrays only.
        for (let i = 0; i < count; i++) h.addPoint(Array.from(rows.subarray(i * dim, (i + 1) * dim)), firstKey + i);
      },
      search: (q, k) => h.searchKnn(Array.from(q), k).neighbors,
      save: (file) => h.writeIndexSync(file),
    };
  }
  const u = new Index({
    dimensions: dim,
    metric: MetricKind.Cos,
    quantization: ScalarKind.F32,
    connectivity: HNSW.m,
    expansion_add: HNSW.efConstruction,
    expansion_search: HNSW.ef,
    multi: false,
  });
  if (file) u.load(file);
  return {
    addBatch(rows, count, firstKey) {
      const keys = new BigUint64Array(count);
      for (let i = 0; i < count; i++) keys[i] = BigInt(firstKey + i);
      u.add(keys, rows.subarray(0, count * dim), THREADS);
    },
    search: (q, k) => Array.from((u.search(q, k, THREADS) as Matches).keys, Number),
    save: (file) => u.save(file),
  };
}

/** Exact top-K by cosine, kept per query while the data streams past in batches. */
class ExactTopK {
  private keys: Int32Array;
  private sims: Float32Array;
  constructor(
    private queries: Float32Array,
    private nq: number,
    private dim: number,
  ) {
    this.keys = new Int32Array(nq * K).fill(-1);
    this.sims = new Float32Array(nq * K).fill(-Infinity);
  }

  // usearch's exactSearch (brute force, SIMD) over one batch, merged into the running top-K.
  add(rows: Float32Array, count: number, firstKey: number): void {
    const res = exactSearch(rows.subarray(0, count * this.dim), this.queries, this.dim, Math.min(K, count), MetricKind.Cos, THREADS) as BatchMatches;
    for (let q = 0; q < this.nq; q++) {
      const m = res.get(q);
      for (let t = 0; t < m.keys.length; t++) this.offer(q, firstKey + Number(m.keys[t]), 1 - m.distances[t]);
    }
  }

  private offer(q: number, key: number, sim: number): void {
    const o = q * K;
    let worst = 0;
    for (let t = 1; t < K; t++) if (this.sims[o + t] < this.sims[o + worst]) worst = t;
    if (sim > this.sims[o + worst]) {
      this.sims[o + worst] = sim;
      this.keys[o + worst] = key;
    }
  }

  top(q: number): Set<number> {
    return new Set(this.keys.subarray(q * K, (q + 1) * K));
  }
}

function recallAt10(ann: Ann, queries: Float32Array, nq: number, dim: number, truth: ExactTopK): number {
  let hit = 0;
  for (let q = 0; q < nq; q++) {
    const want = truth.top(q);
    for (const id of ann.search(queries.subarray(q * dim, (q + 1) * dim), K)) if (want.has(id)) hit++;
  }
  return round(hit / (nq * K), 4);
}

// CPU time beside wall time: on a machine shared with other jobs a wall-clock figure is the job's
// cost plus however long it waited for a core; the CPU time of a one-thread job is its cost alone.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function latency(ann: Ann, queries: Float32Array, nq: number, dim: number) {
  const row = (q: number) => queries.subarray(q * dim, (q + 1) * dim);
  for (let q = 0; q < Math.min(5, nq); q++) ann.search(row(q), K); // warm-up, as bench.ts's timeQueries
  const times: number[] = [];
  const c = cpuMs();
  for (let q = 0; q < nq; q++) {
    const t = performance.now();
    ann.search(row(q), K);
    times.push(performance.now() - t);
  }
  return { medianMs: round(percentile(times, 50), 3), p95Ms: round(percentile(times, 95), 3), cpuMsPerQuery: round((cpuMs() - c) / nq, 3) };
}

function gather(dev: DevVectors, ids: number[]): Float32Array {
  const out = new Float32Array(ids.length * dev.dim);
  ids.forEach((id, i) => out.set(dev.vectors.subarray(id * dev.dim, (id + 1) * dev.dim), i * dev.dim));
  return out;
}

/** Dev-set quality: recall@10 and mAP of each ANN against exact dense cosine and our words. */
function devQuality(dev: DevVectors, libraries: PeerLibrary[], wordsMap: boolean, queryIds: number[], log: (m: string) => void) {
  const { n, dim, vectors, labels, domains } = dev;
  const buf = new Float32Array(n);
  const exactRow = (q: number) => {
    for (let i = 0; i < n; i++) buf[i] = dot(vectors, q * dim, vectors, i * dim, dim);
    return buf;
  };
  let t = performance.now();
  const exact = evaluateRanking(n, exactRow, labels, domains);
  const out: Record<string, unknown> = {
    images: n,
    dim,
    denseExact: { map: round(exact.map, 4), mapQueryRemoved: round(exact.mapQueryRemoved, 4), seconds: round((performance.now() - t) / 1000, 1) },
  };
  log(`  dev set, exact dense: mAP ${exact.map.toFixed(4)}`);
  const nq = queryIds.length;
  const qv = gather(dev, queryIds);
  const truth = new ExactTopK(qv, nq, dim);
  truth.add(vectors, n, 0);
  for (const lib of libraries) {
    const ann = openAnn(lib, dim, n);
    t = performance.now();
    const c = cpuMs();
    ann.addBatch(vectors, n, 0);
    const buildSeconds = (performance.now() - t) / 1000;
    const buildCpuSeconds = (cpuMs() - c) / 1000;
    // The ANN's first page, then everything else in exact order below it.
    const annRow = (q: number) => {
      exactRow(q);
      const page = ann.search(vectors.subarray(q * dim, (q + 1) * dim), ANN_PAGE);
      page.forEach((id, r) => (buf[id] = 10 + (ANN_PAGE - r)));
      return buf;
    };
    t = performance.now();
    const r = evaluateRanking(n, annRow, labels, domains);
    out[lib] = {
      map: round(r.map, 4),
      mapQueryRemoved: round(r.mapQueryRemoved, 4),
      recallAt10: recallAt10(ann, qv, nq, dim, truth),
      buildSeconds: round(buildSeconds, 2),
      buildCpuSeconds: round(buildCpuSeconds, 2),
      ...latency(ann, qv, nq, dim),
    };
    log(`  dev set, ${lib}: ${JSON.stringify(out[lib])}`);
  }
  if (wordsMap) {
    t = performance.now();
    const ix = ImpactIndex.build(dev.bags.map((bag, id) => ({ id, bag })));
    const r = evaluateRanking(n, (q) => ix.scoreAll(dev.bags[q], buf), labels, domains);
    out.wordsTfidf = { map: round(r.map, 4), mapQueryRemoved: round(r.mapQueryRemoved, 4), seconds: round((performance.now() - t) / 1000, 1) };
    log(`  dev set, our words (tfidf): mAP ${r.map.toFixed(4)}`);
  }
  return out;
}

// The previous library's index lives in native memory until its JS handle is collected; collect
// it before reading RSS so one library's growth is not the other's.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** Streams synthetic vectors 0..size-1 through `each` in batches of BATCH rows (the same sequence every time: its own seeded RNG). */
function streamSynthetic(dev: DevVectors, stats: Stats, pool: Int32Array, size: number, each: (rows: Float32Array, count: number, start: number) => void) {
  const { dim } = dev;
  const synth = new Synth(dev, stats, pool);
  const rows = new Float32Array(BATCH * dim);
  const one = new Float32Array(dim);
  let sample: Float32Array | undefined;
  for (let start = 0; start < size; start += BATCH) {
    const count = Math.min(BATCH, size - start);
    for (let i = 0; i < count; i++) {
      synth.next(one);
      rows.set(one, i * dim);
    }
    // The first batch (a random sample, as every vector is an independent draw) checks the statistics.
    sample ??= rows.slice(0, count * dim);
    each(rows, count, start);
  }
  return { sample: sample!, clippedShare: synth.clipped / (size * dim) };
}

interface AtSize {
  lib: PeerLibrary;
  dev: DevVectors;
  stats: Stats;
  pool: Int32Array;
  size: number;
  qv: Float32Array;
  nq: number;
  /** Filled here from the same stream when given (the first library at a size). */
  truth: ExactTopK | undefined;
  rebuild: boolean;
  log: (m: string) => void;
}

/** What a graph depends on: the cache key's contents (peer-cache.ts). */
function cacheWhat(o: AtSize) {
  return {
    library: o.lib,
    version: pkgVersion(o.lib === 'hnswlib' ? 'hnswlib-node' : 'usearch'),
    size: o.size,
    ...HNSW,
    seed: HNSW_SEED,
    threads: THREADS,
    vectors: { dev: hashBytes(o.dev.vectors), pool: hashBytes(o.pool), mixes: o.pool.length, synthSeed: 7, perturbation: PERTURB },
  };
}

// A checkpoint of a build under way at most this often (a 1,000,000 graph is ~3 GB to write).
const CHECKPOINT_MS = 10 * 60_000;

/**
 * Builds the index over the synthetic stream, resuming from a checkpoint of an earlier run where
 * one exists (peer-cache.ts), saving one every CHECKPOINT_MS and when asked to stop; then caches
 * the whole index. A resumed graph draws its later levels from a fresh generator, so it is an
 * equally valid HNSW graph, not the byte-identical one an uninterrupted build makes.
 */
function buildResumable(o: AtSize, key: string, what: Record<string, unknown>, rssBefore: number, exact: (rows: Float32Array, count: number, start: number) => void) {
  const { lib, dev, size, log } = o;
  const partial = o.rebuild ? undefined : readPeerPartial(key);
  if (o.rebuild) clearPeerPartial(key);
  const ann = openAnn(lib, dev.dim, size, partial?.file);
  const pm: PeerPartialMeta = partial?.meta ?? { key, added: 0, measuredAt: new Date().toISOString(), buildMs: 0, buildCpuMs: 0, loadSamples: [], segments: [] };
  if (partial) log(`    ${lib} ${size}: resuming the build saved at ${pm.added} vectors (${(pm.buildMs / 1000).toFixed(0)} s so far, ${pm.segments.length} segment(s))`);
  const load = new LoadSampler(pm.loadSamples);
  const segment = { startedAt: new Date().toISOString(), addedFrom: pm.added, ms: 0, cpuMs: 0 };
  let lastSave = performance.now();
  const checkpoint = () => {
    pm.buildMs += segment.ms;
    pm.buildCpuMs += segment.cpuMs;
    pm.loadSamples = load.values;
    const s = {
      startedAt: segment.startedAt,
      savedAt: new Date().toISOString(),
      addedFrom: segment.addedFrom,
      addedTo: pm.added,
      buildSeconds: round(segment.ms / 1000, 1),
      buildCpuSeconds: round(segment.cpuMs / 1000, 1),
    };
    pm.segments.push(s);
    Object.assign(segment, { startedAt: s.savedAt, addedFrom: pm.added, ms: 0, cpuMs: 0 });
    writePeerPartial((f) => ann.save(f), pm);
    lastSave = performance.now();
    log(`    ${lib} ${size}: checkpoint at ${pm.added} vectors (${(pm.buildMs / 1000).toFixed(0)} s of build, ${(pm.buildCpuMs / 1000).toFixed(0)} s CPU so far)`);
  };
  const streamed = streamSynthetic(dev, o.stats, o.pool, size, (rows, count, start) => {
    if (start >= pm.added) {
      const t = performance.now();
      const c = cpuMs();
      ann.addBatch(rows, count, start);
      segment.ms += performance.now() - t;
      segment.cpuMs += cpuMs() - c;
      pm.added = start + count;
      load.sample();
      if ((start / BATCH) % 10 === 9)
        log(
          `    ${lib} ${size}: ${pm.added} added, ${((pm.buildMs + segment.ms) / 1000).toFixed(0)} s of build (${((pm.buildCpuMs + segment.cpuMs) / 1000).toFixed(0)} s CPU), load ${os.loadavg()[0].toFixed(1)}`,
        );
      if (pm.added < size && stopRequested()) {
        checkpoint();
        throw new Error(`the ${lib} build at ${size} was asked to stop (${peerCacheDir()}/STOP) and saved at ${pm.added} vectors; the next run resumes it`);
      }
      if (pm.added < size && performance.now() - lastSave > CHECKPOINT_MS) checkpoint();
    }
    exact(rows, count, start);
  });
  const segments = [
    ...pm.segments,
    {
      startedAt: segment.startedAt,
      savedAt: new Date().toISOString(),
      addedFrom: segment.addedFrom,
      addedTo: size,
      buildSeconds: round(segment.ms / 1000, 1),
      buildCpuSeconds: round(segment.cpuMs / 1000, 1),
    },
  ];
  const meta: PeerCacheMeta = {
    key,
    what,
    measuredAt: pm.measuredAt,
    buildSeconds: round((pm.buildMs + segment.ms) / 1000, 1),
    buildCpuSeconds: round((pm.buildCpuMs + segment.cpuMs) / 1000, 1),
    loadAvg: load.done(),
    // In this process: a resumed build's RSS growth is the loaded checkpoint's plus what was added.
    buildRssGrowthMB: Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20),
    host: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version },
    ...(segments.length > 1 ? { segments } : {}),
  };
  // Saved at once, before anything else can fail: the build is the expensive part.
  const saved = writePeerCache(key, (f) => ann.save(f), meta);
  clearPeerPartial(key);
  log(`    ${lib} ${size}: built in ${meta.buildSeconds} s (${meta.buildCpuSeconds} s CPU), cached as ${saved.file} (${saved.sizeMB} MB)`);
  const built = {
    buildSeconds: meta.buildSeconds,
    buildCpuSeconds: meta.buildCpuSeconds,
    buildLoadAvg: meta.loadAvg,
    cachedAs: saved.file,
    ...(meta.segments ? { buildSegments: meta.segments.length } : {}),
  };
  return { ann, streamed, built };
}

/**
 * One library at one synthetic size: the index built (and cached), or read from the cache; then
 * memory, latency and recall@10 against `truth`, measured on it in this run either way.
 */
function atSize(o: AtSize) {
  const { lib, dev, size, qv, nq, truth, log } = o;
  const { dim } = dev;
  const what = cacheWhat(o);
  const key = peerCacheKey(what);
  const cached = o.rebuild ? undefined : readPeerCache(key);
  collect();
  const rssBefore = process.memoryUsage().rss;
  let exactMs = 0;
  const exact = (rows: Float32Array, count: number, start: number) => {
    if (!truth) return;
    const t = performance.now();
    truth.add(rows, count, start);
    exactMs += performance.now() - t;
  };
  let ann: Ann;
  let built: Record<string, unknown>;
  let streamed: ReturnType<typeof streamSynthetic> | undefined;
  if (cached) {
    log(`    ${lib} ${size}: reading the index built ${cached.meta.measuredAt} from ${cached.file}`);
    const t = performance.now();
    ann = openAnn(lib, dim, size, cached.file);
    const m = cached.meta;
    built = {
      fromCache: {
        what: cached.file,
        measuredAt: m.measuredAt,
        buildSeconds: m.buildSeconds,
        buildCpuSeconds: m.buildCpuSeconds,
        loadAvg: m.loadAvg,
        buildRssGrowthMB: m.buildRssGrowthMB,
        host: m.host,
        ...(m.segments ? { segments: m.segments.length } : {}),
      },
      readSeconds: round((performance.now() - t) / 1000, 1),
    };
  } else {
    const r = buildResumable(o, key, what, rssBefore, exact);
    ann = r.ann;
    streamed = r.streamed;
    built = r.built;
  }
  const rssGrowthMB = Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20);
  const indexFileSizeMB = Math.round(fs.statSync(readPeerCache(key)!.file).size / 2 ** 20);
  // Read from the cache, the exact top 10 still needs the vectors: the same stream, without the build
  // (a second library at the same size reuses the first's, and needs none).
  if (truth) streamed ??= streamSynthetic(dev, o.stats, o.pool, size, exact);
  const queryLoad = new LoadSampler();
  const timing = latency(ann, qv, nq, dim);
  return {
    ann,
    exactMs,
    sample: streamed?.sample,
    clippedShare: streamed?.clippedShare ?? 0,
    result: { ...built, rssGrowthMB, indexFileSizeMB, ...timing, queryLoadAvg: queryLoad.done() },
  };
}

export async function peerBench(opts: PeerOptions) {
  const log = opts.log ?? (() => undefined);
  const libraries = opts.libraries ?? PEER_LIBRARIES;
  const dev = loadDevVectors();
  const stats = dimStats(dev);
  const draws = wordsQueryIds(dev.n, opts.queries, 2 + opts.sizes.length);
  log(`Peer: ${libraries.join(', ')} over ${dev.n} dev-set GeM vectors (${dev.dim}-d) and ${opts.sizes.join(', ')} synthetic ...`);
  const devSet = opts.devSet === false ? undefined : devQuality(dev, libraries, opts.wordsMap ?? true, draws[0], log);
  const synthetic: Record<string, Record<string, unknown>> = {};
  const real = setStats(dev.vectors, dev.n, dev.dim);
  for (const [si, size] of opts.sizes.entries()) {
    if (opts.onlySizes && !opts.onlySizes.includes(size)) continue;
    const ids = draws[2 + si];
    const qv = gather(dev, ids);
    const truth = new ExactTopK(qv, ids.length, dev.dim);
    const asked = new Set(ids);
    const pool = Int32Array.from({ length: dev.n }, (_, i) => i).filter((i) => !(opts.heldOut && asked.has(i)));
    const entry: Record<string, unknown> = { images: size, queries: ids.length, mixedFrom: pool.length, heldOut: opts.heldOut ?? false };
    let exactFilled = false;
    for (const lib of libraries) {
      log(`  ${lib}: ${size} synthetic vectors (M ${HNSW.m}, efConstruction ${HNSW.efConstruction}, ef ${HNSW.ef}) ...`);
      const r = atSize({ lib, dev, stats, pool, size, qv, nq: ids.length, truth: exactFilled ? undefined : truth, rebuild: opts.rebuild ?? false, log });
      if (!exactFilled) {
        exactFilled = true;
        entry.exactSearchSeconds = round(r.exactMs / 1000, 1);
        entry.statistics = { real, synthetic: r.sample && setStats(r.sample, r.sample.length / dev.dim, dev.dim), clippedShare: round(r.clippedShare, 4) };
      }
      entry[lib] = { ...r.result, recallAt10: recallAt10(r.ann, qv, ids.length, dev.dim, truth) };
      log(`  ${lib} ${size}: ${JSON.stringify(entry[lib])}`);
    }
    synthetic[String(size)] = entry;
  }
  return {
    parameters: { ...HNSW, k: K, threads: THREADS, annPageForMap: ANN_PAGE, perturbation: PERTURB },
    versions: { hnswlib: pkgVersion('hnswlib-node'), usearch: pkgVersion('usearch') },
    devSet,
    synthetic,
  };
}

function pkgVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(path.resolve('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}
