// `node --import tsx bench/cold-start.ts [--synthetic 100000,1000000] [--queries 20] [--json]`:
// the query index's cold start (issue 21). For each size: the build from synthetic bags (made from
// the dev set's real bags, bench/synthetic.ts, the same sequence as bench.ts), the write of its
// file (<db>.qidx, search/persisted-snapshot.ts) and the file's size; then, in a fresh process as a
// library opened again, the first "find similar" through the live index: reading the file, the
// checks against the store, the delta and the query, with the RSS after it; and later queries.
// The store beside it holds the same photos' rows (images only: the checks never read bags).
// The file was just written, so it is read from the page cache: a first start after a reboot
// also waits for the disk (the file's size over its read speed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { IndexStore } from '../src/core/index/store.js';
import { ImpactIndex } from '../src/core/search/impact-index.js';
import { LiveIndex } from '../src/core/search/live-index.js';
import { PersistedSnapshot } from '../src/core/search/persisted-snapshot.js';
import { mulberry32 } from '../src/core/common/random.js';
import { loadDevSet } from './devset.js';
import { mix } from './synthetic.js';
import type { Bag } from '../src/core/common/types.js';

const FINGERPRINT = 'cold-start-bench';
const openStore = (db: string) => IndexStore.open(db, { fingerprint: FINGERPRINT, settings: {} });

export interface ColdStart {
  images: number;
  buildSeconds: number;
  /** CPU time of the build (one thread): its cost alone, where wall time depends on who else runs. */
  buildCpuSeconds: number;
  writeSeconds: number;
  writeCpuSeconds: number;
  fileMB: number;
  /** In the fresh process: the first search, file read and checks included. */
  firstQueryMs: number;
  firstQueryCpuMs: number;
  loadMs: number;
  laterQueryMedianMs: number;
  rssAfterFirstQueryMB: number;
}

/** Rows for ids 1..n, stored before `before`: what the checks read (images only). */
function fillImages(db: string, n: number, before: number): void {
  const store = openStore(db);
  store.close();
  // The store's own writers also store words and grids; the cold start reads only images, so
  // the rows are inserted directly (a million photos' bags would take hours to store here).
  const raw = new Database(db);
  const ins = raw.prepare("INSERT INTO images (id, path, size, mtime_ms, status, indexed_at) VALUES (?, ?, 1, 1, 'indexed', ?)");
  raw.transaction(() => {
    for (let id = 1; id <= n; id++) ins.run(id, `/photos/${String(id).padStart(7, '0')}.jpg`, before - 1000 - (id % 997));
  })();
  raw.close();
}

export async function coldStartBench(opts: { sizes: number[]; queries: number; log: (m: string) => void }): Promise<Record<string, ColdStart>> {
  const bags = loadDevSet().docs.map((d) => d.bag);
  const out: Record<string, ColdStart> = {};
  for (const size of opts.sizes) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-cold-'));
    try {
      const db = path.join(dir, 'index.db');
      const synth = function* () {
        const r = mulberry32(7);
        for (let id = 1; id <= size; id++) yield { id, bag: mix(bags[Math.floor(r() * bags.length)], bags[Math.floor(r() * bags.length)], r) };
      };
      const since = Date.now();
      fillImages(db, size, since);
      opts.log(`  cold start: building the query index over ${size} synthetic bags ...`);
      let t = performance.now();
      let cpu = process.cpuUsage();
      let index: ImpactIndex | undefined = ImpactIndex.build(() => synth());
      const buildSeconds = (performance.now() - t) / 1000;
      const buildCpuSeconds = cpuMs(cpu) / 1000;
      const store = openStore(db);
      const file = `${db}.qidx`;
      const saver = new PersistedSnapshot(file, store, opts.log);
      t = performance.now();
      cpu = process.cpuUsage();
      saver.save(index, since);
      await saver.flushed();
      const writeSeconds = (performance.now() - t) / 1000;
      const writeCpuSeconds = cpuMs(cpu) / 1000;
      store.close();
      index = undefined;
      const fileMB = fs.statSync(file).size / 2 ** 20;
      const rand = mulberry32(42);
      const queries = Array.from({ length: opts.queries }, () => bags[Math.floor(rand() * bags.length)]);
      const qfile = path.join(dir, 'queries.json');
      fs.writeFileSync(qfile, JSON.stringify(queries.map((q) => ({ terms: Array.from(q.terms), tfs: Array.from(q.tfs) }))));
      opts.log(`  ... written (${buildSeconds.toFixed(1)} s build, ${writeSeconds.toFixed(1)} s write, ${fileMB.toFixed(0)} MB); opening it in a fresh process ...`);
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', db, qfile], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (child.status !== 0) throw new Error(`cold-start child failed: ${child.stderr}`);
      const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as Omit<ColdStart, 'images' | 'buildSeconds' | 'buildCpuSeconds' | 'writeSeconds' | 'writeCpuSeconds' | 'fileMB'>;
      out[String(size)] = {
        images: size,
        buildSeconds: round(buildSeconds, 1),
        buildCpuSeconds: round(buildCpuSeconds, 1),
        writeSeconds: round(writeSeconds, 1),
        writeCpuSeconds: round(writeCpuSeconds, 1),
        fileMB: Math.round(fileMB),
        ...r,
      };
      opts.log(`  ${JSON.stringify(out[String(size)])}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

const round = (x: number, d: number) => Number(x.toFixed(d));
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

/** The fresh process: open the store, the first search through the live index, then the rest. */
function child(db: string, qfile: string): void {
  const queries: Bag[] = (JSON.parse(fs.readFileSync(qfile, 'utf8')) as { terms: number[]; tfs: number[] }[]).map((q) => ({ terms: Uint32Array.from(q.terms), tfs: Float32Array.from(q.tfs) }));
  const t = performance.now();
  const cpu = process.cpuUsage();
  const store = openStore(db);
  const live = new LiveIndex(store, { background: false, log: (m) => process.stderr.write(`${m}\n`) });
  live.search(queries[0], 20);
  const firstQueryMs = performance.now() - t;
  const firstQueryCpuMs = cpuMs(cpu);
  if (live.stats.foregroundBuilds !== 0 || live.persisted?.stats.loads !== 1) throw new Error('the file was not loaded');
  const rss = process.memoryUsage().rss;
  const times: number[] = [];
  for (const q of queries.slice(1)) {
    const s = performance.now();
    live.search(q, 20);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  store.close();
  console.log(
    JSON.stringify({
      firstQueryMs: round(firstQueryMs, 0),
      firstQueryCpuMs: round(firstQueryCpuMs, 0),
      loadMs: round(live.persisted.stats.lastLoadMs, 0),
      laterQueryMedianMs: round(times[Math.floor(times.length / 2)] ?? NaN, 1),
      rssAfterFirstQueryMB: Math.round(rss / 2 ** 20),
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') child(args[1], args[2]);
  else {
    const i = args.indexOf('--synthetic');
    const sizes = (i >= 0 ? args[i + 1] : '100000').split(',').map(Number);
    const q = args.indexOf('--queries');
    const res = await coldStartBench({ sizes, queries: q >= 0 ? Number(args[q + 1]) : 20, log: (m) => process.stderr.write(`${m}\n`) });
    const result = { coldStart: res, machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), loadavg: os.loadavg().map((x) => round(x, 2)) } };
    console.log(args.includes('--json') ? JSON.stringify(result, null, 2) : result);
  }
}
