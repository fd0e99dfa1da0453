// Opening a big library again, nothing changed on disk: from Library.open (as `photowords daemon`,
// serve and the app open it, watcher on) to the library being ready (every folder watched, the
// full reconcile done and finding nothing to do). The library is the one bench/daemon-memory.ts
// indexed (1,000,000 hard links to the dataset photos + the datasets, cached under
// ~/.cache/photowords/bench/library-scale/); made first when it is not there (an hour or more).
//
//   node --import tsx bench/library-open.ts [--files 1000000] [--json] [--runs 1]
//
// Each open runs in a child process (a fresh heap and RSS, as at a start of the app), after a
// warm-up read of the tree's folders so the first run is not a cold page cache. The split:
// engine open (SQLite, migrations, the model's sessions), watches ready, reconcile (scan + compare
// with the store), and, measured again after the open on its own, the scan alone (the stat walk);
// the compare is the reconcile less that.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Library } from '../src/core/library/library.js';
import { scanFolders } from '../src/core/analysis/scan.js';
import { DATASETS, ensureTree, machineNow } from './library-tree.js';
import { cachedLibrary, indexingMemoryBench } from './daemon-memory.js';
import { sqlLibrary } from './library-sql-copies.js';

const MB = 2 ** 20;

export interface LibraryOpen {
  photos: number;
  openToReadyS: number;
  cpuS: number;
  engineOpenS: number;
  watchS: number;
  reconcileS: number;
  scanAloneS: number;
  compareS: number;
  peakRssMB: number;
  rssReadyMB: number;
  reconciles: number;
  changesFound: { moved: number; removed: number; touched: number; modelPhotos: number; reused: number };
  loadAvg: number[];
}

async function child(db: string, roots: string[]): Promise<LibraryOpen> {
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const lib = await Library.open(db, { provider: 'cpu', log: (m) => console.error(m) });
  const opened = performance.now();
  await lib.whenQuiet();
  const ready = performance.now();
  const cpu = process.cpuUsage(cpu0);
  peak = Math.max(peak, process.memoryUsage().rss);
  const rssReady = process.memoryUsage().rss;
  const photos = lib.engineForTools.store.stats().indexed;
  const { watchMs, reconcileMs } = lib.lastTimings;
  const a = lib.activity;
  const result = {
    photos,
    openToReadyS: (ready - t0) / 1000,
    cpuS: (cpu.user + cpu.system) / 1e6,
    engineOpenS: (opened - t0) / 1000,
    watchS: watchMs / 1000,
    reconcileS: reconcileMs / 1000,
    scanAloneS: 0,
    compareS: 0,
    peakRssMB: Math.round(peak / MB),
    rssReadyMB: Math.round(rssReady / MB),
    reconciles: a.reconciles,
    changesFound: { moved: a.moved, removed: a.removed, touched: a.touched, modelPhotos: a.modelPhotos, reused: a.reused },
    loadAvg: machineNow().loadAvg,
  };
  await lib.close();
  clearInterval(sampler);
  const t1 = performance.now();
  let n = 0;
  for await (const e of scanFolders(roots)) if (e.kind === 'file') n++;
  result.scanAloneS = (performance.now() - t1) / 1000;
  result.compareS = Math.max(0, result.reconcileS - result.scanAloneS);
  console.error(`scan alone: ${n} files in ${result.scanAloneS.toFixed(1)} s`);
  return result;
}

export async function libraryOpenBench(opts: { files?: number; runs?: number; log: (m: string) => void }) {
  const files = opts.files ?? 1_000_000;
  const tree = ensureTree(files, opts.log);
  // The library the indexing bench made, else the SQL stand-in (bench/library-sql-copies.ts),
  // else the indexing bench is run now.
  const sql = sqlLibrary(files, tree.key);
  let db = cachedLibrary(files, tree.key).db;
  let fromCache: { what: string; measuredAt: string };
  if (!fs.existsSync(cachedLibrary(files, tree.key).manifest) && fs.existsSync(sql.manifest)) {
    const made = JSON.parse(fs.readFileSync(sql.manifest, 'utf8')) as { madeAt: string; how: string; from: string };
    db = sql.db;
    fromCache = { what: `${db}: ${made.how}, from ${made.from}`, measuredAt: made.madeAt };
  } else {
    const indexed = await indexingMemoryBench({ files, log: opts.log });
    fromCache = { what: `the library indexed by bench/daemon-memory.ts${indexed.fromCache ? ' (an earlier run)' : ''}: ${db}`, measuredAt: indexed.measuredAt };
  }
  // Warm the page cache the way a second open of the app finds it.
  for await (const e of scanFolders([DATASETS, tree.dir])) void e;
  const runs: LibraryOpen[] = [];
  for (let r = 0; r < (opts.runs ?? 1); r++) {
    const c = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', db, DATASETS, tree.dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (c.status !== 0) throw new Error(`library-open child failed (${c.status}): ${c.stderr.slice(-2000)}`);
    const run = JSON.parse(c.stdout.trim().split('\n').pop()!) as LibraryOpen;
    opts.log(`open ${r + 1}: ${run.openToReadyS.toFixed(1)} s to ready (${run.cpuS.toFixed(1)} s CPU), peak RSS ${run.peakRssMB} MB, load ${run.loadAvg.join(' ')}`);
    runs.push(run);
  }
  return {
    files,
    photos: runs[0]?.photos,
    dbMB: Math.round(fs.statSync(db).size / MB),
    runs,
    fromCache,
    target: 'open to ready < 30 s at 1,000,000 photos',
  };
}

const self = process.argv[1] === fileURLToPath(import.meta.url);
if (self && process.argv[2] === '--child') {
  const [db, ...roots] = process.argv.slice(3);
  console.log(JSON.stringify(await child(db, roots)));
} else if (self) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(`--${n}`);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const result = await libraryOpenBench({ files: arg('files'), runs: arg('runs'), log: (m) => console.error(m) });
  console.log(JSON.stringify(result, null, process.argv.includes('--json') ? 0 : 2));
}
