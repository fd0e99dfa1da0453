// How duplicate finding grows with the library: findDuplicates over real SQLite indexes of
// 100,000 and 1,000,000 synthetic photos with real files behind them, timed by stage. A
// benchmark, not a test (minutes).
//
//   npm run bench:duplicates-scale [-- --sizes 100000,1000000 --json]
//   [--build-only: build the stores, no finder run] [--cache-dir DIR: build/read stores there]
//
// Synthetic photos follow the real distributions, never uniform noise:
// - visual words: bench/synthetic.ts mix() of two real dev-set bags (its terms, counts and df);
// - perceptual hash: each 16-bit quarter taken from a different real dev-set photo's hash, so the
//   lookup tables (hash-index.ts) fill as a real library's would;
// - files: a photo's file is a hard link to the dev-set photo its first bag came from (its real
//   size stored), so the checks that decode photos (fine detail, local differences, placing,
//   crop search) read and decode real files. Photos sharing a file share that bag's half of
//   their words: the words already call them alike, so pixels that agree add no false link of
//   their own; a hash link between two of them by chance could (rare: their hash quarters are
//   drawn independently). The files and first bags come from the dev set's 4,360 photos, so a file
//   backs ~23 photos at 100,000 and ~230 at 1,000,000: look-alikes to check a keeper against grow
//   faster than the library (1,000,000: 47x the crop checks of 100,000), which a real library's
//   would not;
// - 1 photo in 100 is planted as a near copy of an earlier one (15% of its words dropped) whose
//   file is a real edit of the earlier one's, made with sharp and cached: a JPEG re-save, a
//   half-size copy and a crop to 80% of the same original (the last two of another pixel size,
//   so they are placed in their keeper before they join it). The original and its copies carry
//   their files' real perceptual hashes, and no two originals share a file. Every planted copy
//   must be found.
// Built stores (SQLite, its query index file and the files' links) are kept under
// ~/.cache/photowords/bench/duplicates-scale/, keyed by size and GENERATOR; the JSON says when one
// was used. The finder runs in a child process per size, so its peak RSS is its own.
// Needs the dev set's eval cache (photowords eval ../shared/datasets, once).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadDevSet } from './devset.js';
import { mix } from './synthetic.js';
import { decodeForModel, readImageFile } from '../src/core/analysis/decode/decode.js';
import { hashOf, lowFrequencyDct, type Hash64 } from '../src/core/analysis/phash.js';
import { mulberry32 } from '../src/core/common/random.js';
import { IndexStore } from '../src/core/index/store.js';
import { LiveIndex } from '../src/core/search/live-index.js';
import type { Bag } from '../src/core/common/types.js';

/** Bump when the synthetic library changes: cached stores of another generator are not used. */
const GENERATOR = 3;
const CACHE = path.join(os.homedir(), '.cache', 'photowords', 'bench', 'duplicates-scale');
const EDITS = ['jpeg', 'half', 'crop'] as const;
type Edit = (typeof EDITS)[number];

/** Coefficients whose hash (phash.ts hashOf) is `h`: +1 where a bit is set, -1 where not. */
function coeffsFor(h: Hash64): Float32Array {
  const c = new Float32Array(64);
  for (let i = 0; i < 32; i++) {
    c[i] = (h.lo >>> i) & 1 ? 1 : -1;
    c[i + 32] = (h.hi >>> i) & 1 ? 1 : -1;
  }
  return c;
}

function dropTerms(b: Bag, share: number, rand: () => number): Bag {
  const keep = Array.from(b.terms.keys()).filter(() => rand() >= share);
  return { terms: Uint32Array.from(keep, (i) => b.terms[i]), tfs: Float32Array.from(keep, (i) => b.tfs[i]) };
}

/** A real edit of `src`, made once and kept (edits of one file are shared by the sizes' stores). */
async function edited(src: string, edit: Edit): Promise<{ file: string; width: number; height: number }> {
  const dir = path.join(CACHE, 'edits', edit);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${src.replace(/[^A-Za-z0-9._-]+/g, '_')}.jpg`);
  if (!fs.existsSync(file)) {
    const img = sharp(src).rotate();
    const { width = 0, height = 0 } = await sharp(src).rotate().metadata();
    const out =
      edit === 'jpeg'
        ? img.jpeg({ quality: 40 })
        : edit === 'half'
          ? img.resize(Math.max(1, Math.round(width / 2)), Math.max(1, Math.round(height / 2))).jpeg({ quality: 85 })
          : img.extract({ left: Math.round(width * 0.1), top: Math.round(height * 0.1), width: Math.round(width * 0.8), height: Math.round(height * 0.8) }).jpeg({ quality: 85 });
    await out.toFile(file + '.part');
    fs.renameSync(file + '.part', file);
  }
  const m = await sharp(file).metadata();
  return { file, width: m.width ?? 0, height: m.height ?? 0 };
}

interface Built {
  db: string;
  planted: number;
  fillSeconds: number;
  /** The query index file's build and write, after the rows (absent in stores built before it was). */
  qidxSeconds?: number;
  /** The builder's peak RSS, the query index's build included (absent in older stores). */
  buildPeakRssMB?: number;
  builtAt: string;
  fromCache: boolean;
}

/** The dev set's photos' perceptual hashes, decoded once and kept (keyed by each file's path, size and mtime). */
async function devHashes(docs: { path: string }[], log: (s: string) => void): Promise<Hash64[]> {
  const file = path.join(CACHE, 'dev-hashes.json');
  const keyOf = (p: string) => {
    const st = fs.statSync(p);
    return `${p}|${st.size}|${st.mtimeMs}`;
  };
  const kept = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, [number, number]>) : {};
  const out: Hash64[] = [];
  let made = 0;
  for (const d of docs) {
    const k = keyOf(d.path);
    if (!kept[k]) {
      const img = await decodeForModel((await readImageFile(d.path)).buffer, 299);
      const h = hashOf(lowFrequencyDct(img.pixels, img.width, img.height));
      kept[k] = [h.lo, h.hi];
      made++;
    }
    out.push({ lo: kept[k][0], hi: kept[k][1] });
  }
  if (made > 0) {
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(file + '.part', JSON.stringify(kept));
    fs.renameSync(file + '.part', file);
    log(`  hashed ${made} of the dev set's ${docs.length} photos (the rest from ${file})`);
  }
  return out;
}

interface Row {
  i: number;
  file: string;
  width: number;
  height: number;
  bag: Bag;
  coeffs: Float32Array;
}

/**
 * The synthetic library of `size` photos, built and linked once, then reused from the cache.
 * The rows and the random stream are the same as the first builder's (one putIndexed a photo,
 * 891 s at 100,000 photos, mostly df upserts: every photo's ~730 terms one by one); this one
 * stores 10,000 photos a transaction through putIndexedMany (df summed a batch), decodes each real
 * file once, makes a batch's edits concurrently, and writes the query index file once at the end.
 */
async function buildStore(size: number, log: (s: string) => void, cacheDir = CACHE): Promise<Built> {
  const dir = path.join(cacheDir, `n${size}-g${GENERATOR}`);
  const meta = path.join(dir, 'built.json');
  if (fs.existsSync(meta)) return { ...(JSON.parse(fs.readFileSync(meta, 'utf8')) as Omit<Built, 'fromCache'>), fromCache: true };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const dev = loadDevSet();
  log(`${dev.docs.length} real bags; the dev set's photos' hashes ...`);
  const hashes = await devHashes(dev.docs, log);
  const db = path.join(dir, 'index.db');
  const store = IndexStore.open(db, { fingerprint: 'bench-duplicates-scale', settings: { resolution: 299 } });
  const rand = mulberry32(11);
  // Ordinary rows that may become a planted copy's original: their file, not yet an original's.
  const made: { id: number; bag: Bag; file: string }[] = [];
  const originalFiles = new Set<string>();
  let parent: { id: number; bag: Bag; file: string } | undefined;
  let planted = 0;
  const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
  // A file's real coefficients and an edit's file, each made once (originals' edits repeat).
  const coeffsMemo = new Map<string, Promise<Float32Array>>();
  const realCoeffs = (file: string) => {
    let c = coeffsMemo.get(file);
    if (!c) {
      c = readImageFile(file).then(async (f) => {
        const img = await decodeForModel(f.buffer, 299);
        return lowFrequencyDct(img.pixels, img.width, img.height);
      });
      coeffsMemo.set(file, c);
    }
    return c;
  };
  const editMemo = new Map<string, ReturnType<typeof edited>>();
  const editOf = (src: string, edit: Edit) => {
    const k = `${edit}|${src}`;
    let e = editMemo.get(k);
    if (!e) editMemo.set(k, (e = edited(src, edit)));
    return e;
  };
  const rowPath = (i: number) => path.join(dir, 'files', String(Math.floor(i / 1000)), `${i}.jpg`);
  const BATCH = 10_000;
  const spent = { rows: 0, edits: 0, write: 0 };
  const t = performance.now();
  for (let start = 0; start < size; start += BATCH) {
    let t0 = performance.now();
    const end = Math.min(size, start + BATCH);
    for (let d = Math.floor(start / 1000); d * 1000 < end; d++) fs.mkdirSync(path.join(dir, 'files', String(d)), { recursive: true });
    const rows = new Map<number, Row>();
    // Planted copies and originals' real coefficients: started in order, awaited before the write.
    const waits: Promise<void>[] = [];
    for (let i = start; i < end; i++) {
      const file = rowPath(i);
      if (i % 100 === 99 && made.length > 0) {
        // Every third copy starts a new original: an ordinary row whose file no other original
        // has (two originals of one file would be the same photo twice, by accident), which now
        // gets its file's real hash, as its copies do theirs.
        if (planted % EDITS.length === 0) {
          parent = undefined;
          for (let tries = 0; tries < 1000 && !parent; tries++) {
            const c = made[Math.floor(rand() * made.length)];
            if (!originalFiles.has(c.file)) parent = c;
          }
          if (parent) {
            originalFiles.add(parent.file);
            const p = parent;
            const row = rows.get(p.id);
            waits.push(
              realCoeffs(p.file).then((coeffs) => {
                if (row) row.coeffs = coeffs;
                else store.putPhash(store.getByPath(rowPath(p.id))!.id, coeffs);
              }),
            );
          }
        }
        if (parent) {
          const row: Row = { i, file, width: 0, height: 0, bag: dropTerms(parent.bag, 0.15, rand), coeffs: new Float32Array(64) };
          rows.set(i, row);
          waits.push(
            editOf(parent.file, EDITS[planted % EDITS.length]).then(async (e) => {
              fs.linkSync(e.file, file);
              Object.assign(row, { width: e.width, height: e.height, coeffs: await realCoeffs(e.file) });
            }),
          );
          planted++;
          continue;
        }
      }
      const a = Math.floor(rand() * dev.docs.length);
      const bag = mix(dev.docs[a].bag, dev.docs[Math.floor(rand() * dev.docs.length)].bag, rand);
      const q = () => hashes[Math.floor(rand() * hashes.length)];
      const [h1, h2, h3, h4] = [q(), q(), q(), q()];
      const hash = { lo: ((h1.lo & 0xffff) | (h2.lo & 0xffff0000)) >>> 0, hi: ((h3.hi & 0xffff) | (h4.hi & 0xffff0000)) >>> 0 };
      fs.linkSync(dev.docs[a].path, file);
      rows.set(i, { i, file, width: dev.docs[a].width ?? 0, height: dev.docs[a].height ?? 0, bag, coeffs: coeffsFor(hash) });
      if (made.length < 20000) made.push({ id: i, bag, file: dev.docs[a].path });
    }
    spent.rows += performance.now() - t0;
    t0 = performance.now();
    await Promise.all(waits);
    spent.edits += performance.now() - t0;
    t0 = performance.now();
    // The same rows the first builder stored one by one (its size field was 1,000,000 + i too).
    store.putIndexedMany(
      [...rows.values()].map((r) => ({
        file: { path: r.file, size: 1_000_000 + r.i, mtimeMs: 0, hash: null, width: r.width, height: r.height },
        grid,
        bag: r.bag,
        phash: r.coeffs,
      })),
    );
    spent.write += performance.now() - t0;
    if (end % 100_000 === 0 || end === size) {
      const s = (ms: number) => (ms / 1000).toFixed(1);
      log(`  ${end} photos stored, ${s(performance.now() - t)} s (rows and links ${s(spent.rows)}, edits and decodes ${s(spent.edits)}, SQLite ${s(spent.write)}), load ${os.loadavg()[0].toFixed(1)}`);
    }
  }
  const fillSeconds = Number(((performance.now() - t) / 1000).toFixed(1));
  // The query index file, as the finder's LiveIndex would write it on its first run (its build is
  // then not in the finder's snapshot stage; the bench's JSON says the index came from the file).
  const tq = performance.now();
  const live = new LiveIndex(store, { background: false });
  live.snapshot();
  await live.settled();
  await live.close();
  const qidxSeconds = Number(((performance.now() - tq) / 1000).toFixed(1));
  log(`  query index file written in ${qidxSeconds} s`);
  store.close();
  const buildPeakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  const built = { db, planted, fillSeconds, qidxSeconds, buildPeakRssMB, builtAt: new Date().toISOString() };
  fs.writeFileSync(meta, JSON.stringify(built));
  return { ...built, fromCache: false };
}

/** One finder run in this process (the child's side): its figures as JSON on stdout. */
async function findOnce(db: string): Promise<void> {
  const { findDuplicates } = await import('../src/core/duplicates/find.js');
  const qidxCached = fs.existsSync(`${db}.qidx`);
  const store = IndexStore.open(db, { fingerprint: 'bench-duplicates-scale', settings: { resolution: 299 } });
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  const r = await findDuplicates(store, { exif: false });
  const seconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const planted = new Map<number, string>();
  for (const rec of store.listImages()) if (rec.path && Number(path.basename(rec.path, '.jpg')) % 100 === 99) planted.set(rec.id, rec.path);
  // A planted copy is found when it shares a "same photo" group with another photo.
  let found = 0;
  const grouped = new Set<number>();
  for (const g of r.groups) {
    for (const m of g.members) {
      if (!planted.has(m.id)) continue;
      found++;
      grouped.add(m.id);
    }
  }
  // Which edits were missed (the k-th planted copy is EDITS[k % 3]).
  const missed: Record<string, number> = {};
  for (const [id, p] of planted) {
    const edit = EDITS[Math.floor(Number(path.basename(p, '.jpg')) / 100) % EDITS.length];
    if (!grouped.has(id)) missed[edit] = (missed[edit] ?? 0) + 1;
  }
  const { keyBytes, cpuMs, ...ms } = r.timings;
  console.log(
    JSON.stringify({
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      stagesSeconds: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k.replace(/Ms$/, ''), Number((v / 1000).toFixed(2))])),
      stagesCpuSeconds: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, Number((v / 1000).toFixed(2))])),
      keyWordsMB: Math.round(keyBytes / 2 ** 20),
      rssBeforeMB: Math.round(rss0 / 2 ** 20),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      queryIndexFromCache: qidxCached,
      plantedFound: found,
      plantedMissed: missed,
      groups: r.groups.length,
      photosInGroups: r.groups.reduce((n, g) => n + g.members.length, 0),
      similarGroups: r.similar.length,
      pairs: r.pairs,
    }),
  );
  store.close();
}

export interface DuplicatesScaleRow {
  photos: number;
  seconds: number;
  cpuSeconds: number;
  msPerPhoto: number;
  stagesSeconds: Record<string, number>;
  peakRssMB: number;
  rssGrowthMB: number;
  keyWordsMB: number;
  planted: number;
  plantedFound: number;
  groups: number;
  loadAvg: number[];
  fromCache?: { what: string; measuredAt: string }[];
  [k: string]: unknown;
}

/** The bench, for bench.ts's one run: per size, the finder's wall and CPU time by stage, its memory and what it found. */
export async function duplicatesScaleBench({
  sizes = [100_000, 1_000_000],
  log = (s: string) => process.stderr.write(s + '\n'),
  cacheDir = CACHE,
  buildOnly = false,
}: {
  sizes?: number[];
  log?: (s: string) => void;
  /** Where the built stores are kept (another folder builds a store beside the cached one, to compare). */
  cacheDir?: string;
  /** Build (or find) the stores and stop: no finder run. */
  buildOnly?: boolean;
}): Promise<DuplicatesScaleRow[]> {
  const rows: DuplicatesScaleRow[] = [];
  for (const size of sizes) {
    const built = await buildStore(size, log, cacheDir);
    if (buildOnly) {
      log(`  ${size} photos ${built.fromCache ? `already built (${built.builtAt})` : `stored in ${built.fillSeconds} s, query index file in ${built.qidxSeconds} s`}`);
      continue;
    }
    log(`  ${size} photos ${built.fromCache ? `from the cache (built ${built.builtAt})` : `stored in ${built.fillSeconds} s`}; finding duplicates ...`);
    const loadBefore = os.loadavg();
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--find-once', built.db], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown> & { seconds: number; rssBeforeMB: number; peakRssMB: number; queryIndexFromCache: boolean };
    const fromCache: { what: string; measuredAt: string }[] = [];
    if (built.fromCache) fromCache.push({ what: `the synthetic store and its files (built in ${built.fillSeconds} s; not part of the finder's figures)`, measuredAt: built.builtAt });
    if (r.queryIndexFromCache) fromCache.push({ what: "the query index, read from the store's .qidx file (its build is not in stagesSeconds.snapshot)", measuredAt: built.builtAt });
    const row: DuplicatesScaleRow = {
      photos: size,
      ...(r as object),
      seconds: Number(r.seconds.toFixed(1)),
      cpuSeconds: Number((r.cpuSeconds as number).toFixed(1)),
      msPerPhoto: Number(((r.seconds * 1000) / size).toFixed(3)),
      stagesSeconds: r.stagesSeconds as Record<string, number>,
      peakRssMB: r.peakRssMB,
      rssGrowthMB: r.peakRssMB - r.rssBeforeMB,
      keyWordsMB: r.keyWordsMB as number,
      planted: built.planted,
      plantedFound: r.plantedFound as number,
      groups: r.groups as number,
      loadAvg: [...loadBefore, ...os.loadavg()].map((x) => Number(x.toFixed(2))),
      ...(fromCache.length ? { fromCache } : {}),
    };
    rows.push(row);
    log(`  ${JSON.stringify(row)}`);
  }
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  if (args.includes('--find-once')) await findOnce(opt('find-once', ''));
  else {
    const results = await duplicatesScaleBench({
      sizes: opt('sizes', '100000,1000000').split(',').map(Number),
      cacheDir: path.resolve(opt('cache-dir', CACHE)),
      buildOnly: args.includes('--build-only'),
    });
    if (args.includes('--json')) console.log(JSON.stringify(results, null, 1));
    else {
      console.log('| photos | total s | CPU s | query index s | hash lookup s | key words s | word pairs s | verify s | groups s | peak RSS MB | planted copies | found | groups | load |');
      console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
      for (const r of results) {
        const t = r.stagesSeconds;
        console.log(
          `| ${r.photos.toLocaleString('en')} | ${r.seconds} | ${r.cpuSeconds} | ${t.snapshot} | ${t.phash} | ${t.keys} | ${t.wordPairs} | ${t.verify} | ${t.groups} | ${r.peakRssMB} | ${r.planted} | ${r.plantedFound} | ${r.groups} | ${r.loadAvg.slice(3).join(' ')} |`,
        );
      }
    }
  }
}
