// `node --import tsx bench/cold-start.ts [--synthetic 100000,1000000] [--queries 20] [--no-cache] [--cpu-prof DIR] [--json]`:
// the query index's cold start (issue 21). For each size: the build from synthetic bags (made from
// the dev set's real bags, bench/synthetic.ts, the same sequence as bench.ts), the write of its
// file (<db>.qidx, search/persisted-snapshot.ts) and the file's size; then, in a fresh process as a
// library opened again, the first "find similar" through the live index: reading the file, the
// checks against the store, the delta and the query, with the RSS after it; later queries; and
// when the check of the arrays left for after the first answer (search/persisted-check.ts) ended.
// With arrays left for later, the first query reads its own part of the postings and forward index
// by position (search/persisted-partial.ts; `firstQueryByPosition`) and the whole file is read
// after it; `firstAnswerSameAfterLoad` says whether that answer is the one the same query gets once
// the whole file is read and checked.
// Three fresh processes: the file in the page cache with the check after the first answer (the
// default), the same with every checksum before it (the old way), and, where the file can be
// evicted from the page cache (posix_fadvise DONTNEED through dd; fincore says whether it was),
// a first start from the disk.
// The store beside it holds the same photos' rows (images only: the checks never read bags).
// The built store and file are kept under ~/.cache/photowords/bench/cold-start/, keyed by the size
// and by what the file is made from (the format version, the build's sources): a million photos'
// build takes minutes. The JSON says when a cached pair was used and when it was built.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { IndexStore } from '../src/core/index/store.js';
import { ImpactIndex } from '../src/core/search/impact-index.js';
import { LiveIndex } from '../src/core/search/live-index.js';
import { PersistedSnapshot, CHECK_LATER_ABOVE } from '../src/core/search/persisted-snapshot.js';
import { QIDX_VERSION, readQueryIndex } from '../src/core/search/persisted-index.js';
import zlib from 'node:zlib';
import { mulberry32 } from '../src/core/common/random.js';
import { loadDevSet } from './devset.js';
import { mix } from './synthetic.js';
import type { Bag } from '../src/core/common/types.js';

const FINGERPRINT = 'cold-start-bench';
const openStore = (db: string) => IndexStore.open(db, { fingerprint: FINGERPRINT, settings: {} });

/** One fresh process opening the library and asking its first "find similar". */
export interface FirstQuery {
  firstQueryMs: number;
  firstQueryCpuMs: number;
  /** Parts of the first query: the store's open, the file's read, the checksums before use, the store's checks (IndexStore.indexedDigest). */
  openStoreMs: number;
  loadMs: number;
  readMs: number;
  checkBeforeMs: number;
  storeCheckMs: number;
  /** The rest of the first query: the index's own set-up, the delta, the query. */
  restMs: number;
  /** Left for after the first answer: MB, and when its verdict came (ms after the first answer; the check's own duration). */
  checkAfterMB: number;
  checkVerdictAfterFirstMs?: number;
  checkAfterMs?: number;
  checkAfterState?: string;
  laterQueryMedianMs: number;
  /**
   * Read by position for the first query (persisted-partial.ts: its words' lists and its
   * candidates' rows, before the whole file is read): reads, MB, ms. Absent when everything was
   * read before the first answer.
   */
  firstQueryByPosition?: { reads: number; MB: number; ms: number };
  /** Whether the first answer is the one the same query gets once the whole file is read and checked. */
  firstAnswerSameAfterLoad: boolean;
  rssAfterFirstQueryMB: number;
  /** Share of the file in the page cache when the process started (fincore), and the load then. */
  fileCachedShare?: number;
  loadAvg: number[];
}

export interface ColdStart {
  images: number;
  fileMB: number;
  /** Set when the store and file came from the cache: what, and when (and how long) they were built. */
  fromCache?: { what: string; measuredAt: string };
  buildSeconds: number;
  /** CPU time of the build (one thread): its cost alone, where wall time depends on who else runs. */
  buildCpuSeconds: number;
  writeSeconds: number;
  writeCpuSeconds: number;
  /** The arrays above this many bytes are checked after the first answer. */
  checkLaterAboveMB: number;
  /** Page cache warm, check after the first answer (what a library does). */
  warm: FirstQuery;
  /** Page cache warm, every checksum before the first answer (how it was). */
  checkFirst: FirstQuery;
  /** The file and the store evicted from the page cache first; or why that could not be done. */
  cold?: FirstQuery;
  coldSkipped?: string;
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

const CACHE = path.join(os.homedir(), '.cache', 'photowords', 'bench', 'cold-start');
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** What the file is made from: its format, the build's sources (impact-build.ts and what it imports from search/), the synthetic bags. */
function cacheKey(size: number): string {
  const h = crypto.createHash('sha1').update(`v${QIDX_VERSION}`);
  const seen = new Set<string>();
  const add = (file: string) => {
    if (seen.has(file) || !fs.existsSync(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    h.update(text);
    for (const m of text.matchAll(/from '\.\/([\w-]+)\.js'/g)) add(path.join(path.dirname(file), `${m[1]}.ts`));
  };
  add(path.join(HERE, '../src/core/search/impact-build.ts'));
  add(path.join(HERE, 'synthetic.ts'));
  return `${size}-${h.digest('hex').slice(0, 12)}`;
}

interface Built {
  db: string;
  buildSeconds: number;
  buildCpuSeconds: number;
  writeSeconds: number;
  writeCpuSeconds: number;
  fromCache?: { what: string; measuredAt: string };
}

/** The store and its .qidx for `size` photos: from the cache when there, else built (and cached when `useCache`). */
async function storeWithFile(size: number, bags: Bag[], useCache: boolean, log: (m: string) => void, tmp: string): Promise<Built> {
  const dir = useCache ? path.join(CACHE, cacheKey(size)) : tmp;
  const db = path.join(dir, 'index.db');
  const meta = path.join(dir, 'built.json');
  if (useCache && fs.existsSync(meta) && fs.existsSync(`${db}.qidx`)) {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8')) as Omit<Built, 'db' | 'fromCache'> & { measuredAt: string };
    log(`  cold start: store and query index for ${size} photos from the cache (${dir}, built ${m.measuredAt})`);
    return { db, ...m, fromCache: { what: `store + .qidx of ${size} synthetic photos (${dir})`, measuredAt: m.measuredAt } };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const synth = function* () {
    const r = mulberry32(7);
    for (let id = 1; id <= size; id++) yield { id, bag: mix(bags[Math.floor(r() * bags.length)], bags[Math.floor(r() * bags.length)], r) };
  };
  const since = Date.now();
  fillImages(db, size, since);
  log(`  cold start: building the query index over ${size} synthetic bags ...`);
  let t = performance.now();
  let cpu = process.cpuUsage();
  const index: ImpactIndex | undefined = ImpactIndex.build(() => synth());
  const buildSeconds = (performance.now() - t) / 1000;
  const buildCpuSeconds = cpuMs(cpu) / 1000;
  const store = openStore(db);
  const saver = new PersistedSnapshot(`${db}.qidx`, store, log);
  t = performance.now();
  cpu = process.cpuUsage();
  saver.save(index, since);
  await saver.flushed();
  store.close();
  const built = {
    buildSeconds: round(buildSeconds, 1),
    buildCpuSeconds: round(buildCpuSeconds, 1),
    writeSeconds: round((performance.now() - t) / 1000, 1),
    writeCpuSeconds: round(cpuMs(cpu) / 1000, 1),
  };
  if (useCache) fs.writeFileSync(meta, JSON.stringify({ ...built, measuredAt: new Date().toISOString(), loadAvg: os.loadavg() }));
  return { db, ...built };
}

/** Share of `file` in the page cache (fincore), undefined where fincore is missing. */
function cachedShare(file: string): number | undefined {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' });
  return r.status === 0 ? round(Number(r.stdout.trim()) / fs.statSync(file).size, 3) : undefined;
}

/** Reads `files` through once, so that the next run finds them in the page cache (others' memory use may have evicted them). */
function warmUp(files: string[]): void {
  const buf = Buffer.alloc(1 << 24);
  for (const f of files) {
    const fd = fs.openSync(f, 'r');
    try {
      while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Drops `files` from the page cache (dd's nocache: posix_fadvise DONTNEED, only these files); why not, else. */
function evict(files: string[]): string | undefined {
  for (const f of files) {
    const r = spawnSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' });
    if (r.status !== 0) return `dd could not evict ${f}: ${r.stderr.trim()}`;
  }
  const left = cachedShare(files[files.length - 1]);
  if (left === undefined) return 'fincore is missing: cannot tell whether the file left the page cache';
  return left > 0.01 ? `${(left * 100).toFixed(0)}% of the file stayed in the page cache` : undefined;
}

export async function coldStartBench(opts: { sizes: number[]; queries: number; log: (m: string) => void; cache?: boolean; cpuProf?: string }): Promise<Record<string, ColdStart>> {
  const bags = loadDevSet().docs.map((d) => d.bag);
  const out: Record<string, ColdStart> = {};
  for (const size of opts.sizes) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-cold-'));
    try {
      const b = await storeWithFile(size, bags, opts.cache ?? true, opts.log, tmp);
      const file = `${b.db}.qidx`;
      const fileMB = fs.statSync(file).size / 2 ** 20;
      const rand = mulberry32(42);
      const queries = Array.from({ length: opts.queries }, () => bags[Math.floor(rand() * bags.length)]);
      const qfile = path.join(tmp, 'queries.json');
      fs.writeFileSync(qfile, JSON.stringify(queries.map((q) => ({ terms: Array.from(q.terms), tfs: Array.from(q.tfs) }))));
      opts.log(`  ... ${b.fromCache ? 'cached' : 'written'} (${b.buildSeconds} s build, ${b.writeSeconds} s write, ${fileMB.toFixed(0)} MB); opening it in fresh processes ...`);
      const run = (what: string, checkLaterAbove: number) => {
        const share = cachedShare(file);
        const prof = opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf, '--cpu-prof-name', `cold-${size}-${what}.cpuprofile`] : [];
        const child = spawnSync(process.execPath, [...prof, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', b.db, qfile, String(checkLaterAbove)], {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        });
        if (child.status !== 0) throw new Error(`cold-start child failed: ${child.stderr}`);
        const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as FirstQuery;
        opts.log(`  ${size} ${what}: ${JSON.stringify(r)}`);
        return { ...r, fileCachedShare: share };
      };
      warmUp([b.db, file]);
      const warm = run('warm', CHECK_LATER_ABOVE);
      warmUp([b.db, file]);
      const checkFirst = run('check-first', Infinity);
      const coldSkipped = evict([b.db, file]);
      const cold = coldSkipped ? undefined : run('cold', CHECK_LATER_ABOVE);
      out[String(size)] = {
        images: size,
        fileMB: Math.round(fileMB),
        ...(b.fromCache ? { fromCache: b.fromCache } : {}),
        buildSeconds: b.buildSeconds,
        buildCpuSeconds: b.buildCpuSeconds,
        writeSeconds: b.writeSeconds,
        writeCpuSeconds: b.writeCpuSeconds,
        checkLaterAboveMB: CHECK_LATER_ABOVE / 2 ** 20,
        warm,
        checkFirst,
        cold,
        coldSkipped,
      };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return out;
}

/**
 * The file's read three ways, alternated `rounds` times in one process with the file in the page
 * cache: one typed array allocated and read per array (how it was), one read into one buffer
 * (now), the same into a shared buffer (when the postings are checked after use); and the CRC-32
 * of the whole data. Median ms and ms per MB.
 */
export function readAB(file: string, rounds = 3): Record<string, number> {
  warmUp([file]);
  const mb = fs.statSync(file).size / 2 ** 20;
  const perArray = () => {
    const fd = fs.openSync(file, 'r');
    const fixed = Buffer.alloc(24);
    fs.readSync(fd, fixed, 0, 24, 0);
    const body = Buffer.alloc(fixed.readUInt32LE(12));
    fs.readSync(fd, body, 0, body.length, 24);
    const CT = { Float64Array, Float32Array, Uint32Array, Uint16Array, Uint8Array } as Record<string, new (n: number) => ArrayBufferView>;
    for (const e of (JSON.parse(body.toString()) as { arrays: { type: string; offset: number; length: number }[] }).arrays) {
      const a = new CT[e.type](e.length);
      for (let at = 0; at < a.byteLength;) at += fs.readSync(fd, new Uint8Array(a.buffer, at, Math.min(1 << 30, a.byteLength - at)), 0, Math.min(1 << 30, a.byteLength - at), e.offset + at);
    }
    fs.closeSync(fd);
  };
  const times: Record<string, number[]> = { perArrayMs: [], oneReadMs: [], oneReadSharedMs: [], crcAllMs: [] };
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    perArray();
    times.perArrayMs.push(performance.now() - t);
    const one = readQueryIndex(file, { checkLaterAbove: -1 }); // every array left unchecked: the read alone, shared
    if (!one.ok || !one.unchecked) throw new Error('unreadable');
    times.oneReadSharedMs.push(one.readMs);
    t = performance.now();
    for (const a of one.unchecked.arrays) for (let at = 0; at < a.bytes; at += 1 << 26) zlib.crc32(new Uint8Array(one.unchecked.buffer, a.offset + at, Math.min(1 << 26, a.bytes - at)));
    times.crcAllMs.push(performance.now() - t);
    const plain = readQueryIndex(file, { checkLaterAbove: Infinity });
    if (!plain.ok) throw new Error('unreadable');
    times.oneReadMs.push(plain.readMs);
  }
  const out: Record<string, number> = { fileMB: Math.round(mb) };
  for (const [k, v] of Object.entries(times)) {
    const med = v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
    out[k] = round(med, 0);
    out[k.replace('Ms', 'MsPerMB')] = round(med / mb, 3);
  }
  return { ...out, loadAvg1: round(os.loadavg()[0], 2) };
}

const round = (x: number, d: number) => Number(x.toFixed(d));
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

/** The fresh process: open the store, the first search through the live index, then the rest. */
async function child(db: string, qfile: string, checkLaterAbove: number): Promise<void> {
  const queries: Bag[] = (JSON.parse(fs.readFileSync(qfile, 'utf8')) as { terms: number[]; tfs: number[] }[]).map((q) => ({ terms: Uint32Array.from(q.terms), tfs: Float32Array.from(q.tfs) }));
  const t = performance.now();
  const cpu = process.cpuUsage();
  const store = openStore(db);
  const openStoreMs = performance.now() - t;
  const live = new LiveIndex(store, { background: false, checkLaterAbove, log: (m) => process.stderr.write(`${m}\n`) });
  const firstAnswer = live.search(queries[0], 20);
  const firstQueryMs = performance.now() - t;
  const firstQueryCpuMs = cpuMs(cpu);
  const p = live.persisted!;
  if (live.stats.foregroundBuilds !== 0 || p.stats.loads !== 1) throw new Error('the file was not loaded');
  const byPos = { ...p.stats.lastByPosition };
  const rss = process.memoryUsage().rss;
  const times: number[] = [];
  for (const q of queries.slice(1)) {
    const s = performance.now();
    live.search(q, 20);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const verdict = await p.laterChecked();
  const verdictAt = performance.now() - t;
  const again = live.search(queries[0], 20); // sees the verdict
  if (live.stats.foregroundBuilds !== 0) throw new Error(`the check after use failed: ${verdict?.state}`);
  const firstAnswerSameAfterLoad = JSON.stringify(again) === JSON.stringify(firstAnswer);
  store.close();
  const s = p.stats;
  const result: Omit<FirstQuery, 'fileCachedShare'> = {
    firstQueryMs: round(firstQueryMs, 0),
    firstQueryCpuMs: round(firstQueryCpuMs, 0),
    openStoreMs: round(openStoreMs, 0),
    loadMs: round(s.lastLoadMs, 0),
    readMs: round(s.lastReadMs, 0),
    checkBeforeMs: round(s.lastCheckMs, 0),
    storeCheckMs: round(s.lastStoreCheckMs, 0),
    restMs: round(firstQueryMs - openStoreMs - s.lastLoadMs, 0),
    checkAfterMB: Math.round(s.lastLaterBytes / 2 ** 20),
    ...(verdict ? { checkVerdictAfterFirstMs: round(verdictAt - firstQueryMs, 0), checkAfterMs: round(verdict.ms, 0), checkAfterState: verdict.state } : {}),
    laterQueryMedianMs: round(times[Math.floor(times.length / 2)] ?? NaN, 1),
    ...(byPos.queries > 0 ? { firstQueryByPosition: { reads: byPos.reads, MB: round(byPos.bytes / 2 ** 20, 1), ms: round(byPos.ms, 0) } } : {}),
    firstAnswerSameAfterLoad,
    rssAfterFirstQueryMB: Math.round(rss / 2 ** 20),
    loadAvg: os.loadavg().map((x) => round(x, 2)),
  };
  console.log(JSON.stringify(result));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') await child(args[1], args[2], Number(args[3]));
  else if (args[0] === '--read-ab') console.log(JSON.stringify(readAB(args[1])));
  else {
    const i = args.indexOf('--synthetic');
    const sizes = (i >= 0 ? args[i + 1] : '100000').split(',').map(Number);
    const q = args.indexOf('--queries');
    const prof = args.indexOf('--cpu-prof');
    const res = await coldStartBench({
      sizes,
      queries: q >= 0 ? Number(args[q + 1]) : 20,
      cache: !args.includes('--no-cache'),
      cpuProf: prof >= 0 ? path.resolve(args[prof + 1]) : undefined,
      log: (m) => process.stderr.write(`${m}\n`),
    });
    const result = { coldStart: res, machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), loadavg: os.loadavg().map((x) => round(x, 2)) } };
    console.log(args.includes('--json') ? JSON.stringify(result, null, 2) : result);
  }
}
