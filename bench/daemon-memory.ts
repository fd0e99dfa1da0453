// Memory of the background indexer: a Library as `photowords daemon` runs it (watcher on,
// reconcile, pipeline) indexes ../shared/datasets plus a synthetic tree of N files (hard links
// to the dataset photos, 500 a folder, in a temp dir; symlinks where hard links fail), while the
// process's RSS (main thread, model worker threads, SQLite, chokidar) is sampled every 250 ms.
//
//   node --import tsx bench/daemon-memory.ts [--files 50000] [--json]
//
// The synthetic files have the bytes of dataset photos, so after the dataset's own photos have
// gone through the model they are indexed by content hash (the app's reuse of copies): the run
// measures what a library of 54,000 files costs in memory, in minutes instead of half an hour.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Library } from '../src/core/library/library.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const FILES = Number(arg('files', '50000'));
const PER_DIR = 500;
const DATASETS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../shared/datasets');
const MB = 2 ** 20;

function photos(dir: string, out: string[] = []): string[] {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) photos(p, out);
    else if (/\.jpe?g$/i.test(d.name)) out.push(p);
  }
  return out;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-daemon-mem-'));
const synthetic = path.join(tmp, 'synthetic');
const seeds = photos(DATASETS).sort();
let linkKind = 'hard links';
for (let i = 0; i < FILES; i++) {
  const dir = path.join(synthetic, `d${String(Math.floor(i / PER_DIR)).padStart(4, '0')}`);
  if (i % PER_DIR === 0) fs.mkdirSync(dir, { recursive: true });
  const to = path.join(dir, `p${i}.jpg`);
  try {
    if (linkKind === 'hard links') fs.linkSync(seeds[i % seeds.length], to);
    else fs.symlinkSync(seeds[i % seeds.length], to);
  } catch {
    linkKind = 'symlinks';
    fs.symlinkSync(seeds[i % seeds.length], to);
  }
}
console.error(`${seeds.length} dataset photos + ${FILES} synthetic files (${linkKind}) in ${synthetic}`);

let peak = 0;
let peakHeap = 0;
const samples: { s: number; rssMB: number; photos: number }[] = [];
const t0 = performance.now();
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
  samples.push({ s: Math.round(s), rssMB: Math.round(m.rss / MB), photos: n });
  console.error(`${s.toFixed(0)} s: ${n} photos, RSS ${(m.rss / MB).toFixed(0)} MB (peak ${(peak / MB).toFixed(0)}), heap ${(m.heapUsed / MB).toFixed(0)} MB`);
}, 10_000);

try {
  const rssBefore = sample().rss;
  lib = await Library.open(path.join(tmp, 'library.db'), { provider: 'cpu', log: (m) => console.error(m) });
  const rssOpen = sample().rss;
  await lib.addFolder(DATASETS);
  await lib.addFolder(synthetic);
  await lib.whenQuiet();
  const seconds = (performance.now() - t0) / 1000;
  const st = lib.engineForTools.store.stats();
  const result = {
    photos: st.indexed,
    failed: st.failed,
    files: seeds.length + FILES,
    seconds: Math.round(seconds),
    modelPhotos: lib.activity.modelPhotos,
    reusedByHash: lib.activity.reused,
    rssBeforeOpenMB: Math.round(rssBefore / MB),
    rssAfterOpenMB: Math.round(rssOpen / MB),
    peakRssMB: Math.round(peak / MB),
    peakHeapMB: Math.round(peakHeap / MB),
    finalRssMB: Math.round(sample().rss / MB),
    dbMB: Math.round(fs.statSync(path.join(tmp, 'library.db')).size / MB),
    samples,
  };
  console.log(JSON.stringify(result, null, process.argv.includes('--json') ? 0 : 2));
} finally {
  clearInterval(sampler);
  clearInterval(reporter);
  await lib?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
