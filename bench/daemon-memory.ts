// Memory of the background indexer: a Library as `photowords daemon` runs it (watcher on,
// reconcile, pipeline) indexes ../shared/datasets plus a synthetic tree of N files (hard links to
// the dataset photos, 500 a folder: bench/library-tree.ts, cached), while the process's RSS (main
// thread, model worker threads, SQLite, the watches) is sampled every 250 ms.
//
//   node --import tsx bench/daemon-memory.ts [--files 1000000] [--fresh] [--json]
//        [--start-from <library.db> --max-seconds <s>]
//
// --start-from begins with a copy of a library that has (some of) the dataset indexed, and
// --max-seconds stops the run after that long: a partial run (marked so, not cached) that shows
// the memory of the reconcile of a million new files and of the first part of indexing them,
// when there is no time for the whole (an hour or more on two cores).
//
// The synthetic files have the bytes of dataset photos, so after the dataset's own photos have
// gone through the model they are indexed by content hash (the app's reuse of copies): the run
// measures what a library of a million files costs in memory in an hour instead of days. The
// indexed library is kept (keyed by the tree, beside it) with the figures of the run that made
// it: bench/library-open.ts opens it again, and a later run here reports those figures, marked
// as from the cache, unless --fresh.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Library } from '../src/core/library/library.js';
import { CACHE_DIR, DATASETS, ensureTree, machineNow } from './library-tree.js';

const MB = 2 ** 20;

export interface IndexingMemory {
  photos: number;
  failed: number;
  files: number;
  seconds: number;
  cpuSeconds: number;
  modelPhotos: number;
  reusedByHash: number;
  rssBeforeOpenMB: number;
  rssAfterOpenMB: number;
  peakRssMB: number;
  peakHeapMB: number;
  finalRssMB: number;
  dbMB: number;
  loadAvgStart: number[];
  loadAvgEnd: number[];
  samples: { s: number; rssMB: number; photos: number; load1: number }[];
  tree: { dir: string; linkKind: string; fromCache: boolean; madeAt: string; buildSeconds: number };
  db: string;
  measuredAt: string;
  fromCache?: { what: string; measuredAt: string };
  /** Photos stored a second over the whole run (the model's photos, the copies, the reconciles). */
  photosPerSecond?: number;
  /**
   * The copies alone (indexed by content hash): from the first 10 s sample past the dataset's own
   * photos plus 1,000 to the last sample, photos stored a second, with the load over that time.
   */
  copyPhase?: { fromS: number; toS: number; photos: number; photosPerSecond: number; load1Min: number; load1Max: number };
  /** Set when the run was stopped by maxSeconds: photos stored in it, and how fast. */
  partial?: { startFrom?: string; maxSeconds: number; photosAtStart: number; photosStored: number; photosPerSecond: number };
}

/** The indexed library of the `files`-file tree (made by indexingMemoryBench), and its manifest. */
export function cachedLibrary(files: number, treeKey: string): { db: string; manifest: string } {
  const db = path.join(CACHE_DIR, `library-${files}-${treeKey}.db`);
  return { db, manifest: `${db}.json` };
}

export async function indexingMemoryBench(opts: { files?: number; fresh?: boolean; startFrom?: string; maxSeconds?: number; log: (m: string) => void }): Promise<IndexingMemory> {
  const files = opts.files ?? 1_000_000;
  const log = opts.log;
  const tree = ensureTree(files, log);
  const { db, manifest } = cachedLibrary(files, tree.key);
  if (!opts.fresh && !opts.maxSeconds && fs.existsSync(manifest)) {
    const was = JSON.parse(fs.readFileSync(manifest, 'utf8')) as IndexingMemory;
    return { ...was, fromCache: { what: `the indexing run that made ${db}`, measuredAt: was.measuredAt } };
  }
  log(`${tree.seeds} dataset photos + ${files} synthetic files (${tree.linkKind}${tree.fromCache ? ', cached' : ''}) in ${tree.dir}`);
  const work = `${db}.partial`;
  for (const f of [work, `${work}-wal`, `${work}-shm`]) fs.rmSync(f, { force: true });
  if (opts.startFrom) {
    const src = new Database(opts.startFrom, { readonly: true });
    src.exec(`VACUUM INTO '${work.replace(/'/g, "''")}'`);
    src.close();
  }

  let peak = 0;
  let peakHeap = 0;
  const samples: IndexingMemory['samples'] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const loadAvgStart = machineNow().loadAvg;
  let lib: Library | undefined;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    return m;
  };
  const sampler = setInterval(sample, 250);
  const reporter = setInterval(() => {
    const m = sample();
    const n = lib?.engineForTools.store.stats().indexed ?? 0;
    const s = (performance.now() - t0) / 1000;
    const load1 = machineNow().loadAvg[0];
    samples.push({ s: Math.round(s), rssMB: Math.round(m.rss / MB), photos: n, load1 });
    log(`${s.toFixed(0)} s: ${n} photos, RSS ${(m.rss / MB).toFixed(0)} MB (peak ${(peak / MB).toFixed(0)}), heap ${(m.heapUsed / MB).toFixed(0)} MB, load ${load1}`);
  }, 10_000);
  try {
    const rssBefore = sample().rss;
    lib = await Library.open(work, { provider: 'cpu', log });
    const rssOpen = sample().rss;
    const photosAtStart = lib.engineForTools.store.stats().indexed;
    const known = new Set(lib.engineForTools.store.listFolders().map((f) => f.path));
    for (const f of [DATASETS, tree.dir]) if (!known.has(f)) await lib.addFolder(f);
    let stopped = false;
    await Promise.race([lib.whenQuiet(), ...(opts.maxSeconds ? [new Promise((r) => setTimeout(r, opts.maxSeconds! * 1000)).then(() => (stopped = true))] : [])]);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const st = lib.engineForTools.store.stats();
    const result: IndexingMemory = {
      photos: st.indexed,
      failed: st.failed,
      files: tree.seeds + files,
      seconds: Math.round(seconds),
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1e6),
      modelPhotos: lib.activity.modelPhotos,
      reusedByHash: lib.activity.reused,
      rssBeforeOpenMB: Math.round(rssBefore / MB),
      rssAfterOpenMB: Math.round(rssOpen / MB),
      peakRssMB: Math.round(peak / MB),
      peakHeapMB: Math.round(peakHeap / MB),
      finalRssMB: Math.round(sample().rss / MB),
      dbMB: 0,
      loadAvgStart,
      loadAvgEnd: machineNow().loadAvg,
      samples,
      tree: { dir: tree.dir, linkKind: tree.linkKind, fromCache: tree.fromCache, madeAt: tree.madeAt, buildSeconds: Math.round(tree.buildSeconds) },
      db,
      measuredAt: new Date().toISOString(),
    };
    result.photosPerSecond = Math.round((st.indexed - photosAtStart) / seconds);
    const from = samples.find((x) => x.photos >= photosAtStart + tree.seeds + 1000 || (photosAtStart >= tree.seeds && x.photos >= photosAtStart + 1000));
    const to = samples[samples.length - 1];
    if (from && to && to.s > from.s) {
      const window = samples.filter((x) => x.s >= from.s);
      const loads = window.map((x) => x.load1);
      result.copyPhase = {
        fromS: from.s,
        toS: to.s,
        photos: to.photos - from.photos,
        photosPerSecond: Math.round((to.photos - from.photos) / (to.s - from.s)),
        load1Min: Math.min(...loads),
        load1Max: Math.max(...loads),
      };
    }
    if (stopped) {
      const stored = st.indexed - photosAtStart;
      result.partial = { startFrom: opts.startFrom, maxSeconds: opts.maxSeconds!, photosAtStart, photosStored: stored, photosPerSecond: Math.round((stored / seconds) * 10) / 10 };
      await lib.close();
      lib = undefined;
      for (const f of [work, `${work}-wal`, `${work}-shm`]) fs.rmSync(f, { force: true });
      return result;
    }
    await lib.close();
    lib = undefined;
    result.dbMB = Math.round(fs.statSync(work).size / MB);
    fs.renameSync(work, db);
    fs.writeFileSync(manifest, JSON.stringify(result));
    return result;
  } finally {
    clearInterval(sampler);
    clearInterval(reporter);
    await lib?.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--files');
  const arg = (n: string) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : undefined);
  const result = await indexingMemoryBench({
    files: i >= 0 ? Number(process.argv[i + 1]) : 1_000_000,
    fresh: process.argv.includes('--fresh'),
    startFrom: arg('start-from'),
    maxSeconds: arg('max-seconds') ? Number(arg('max-seconds')) : undefined,
    log: (m) => console.error(m),
  });
  console.log(JSON.stringify(result, null, process.argv.includes('--json') ? 0 : 2));
}
