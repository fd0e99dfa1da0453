// The synthetic library of issue 21's "library of 1,000,000 files" targets, shared by
// bench/daemon-memory.ts (indexing it) and bench/library-open.ts (opening the indexed library
// again): N hard links to the dataset photos, 500 a folder, built once under
// ~/.cache/photowords/bench/library-scale/ and reused (a million links take minutes to make, and
// the indexed library behind them much longer). Keyed by N and the seed photos; a manifest beside
// each tree says when and how it was made.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const PER_DIR = 500;
export const DATASETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/datasets');
export const CACHE_DIR = process.env.PHOTOWORDS_BENCH_CACHE ?? path.join(os.homedir(), '.cache/photowords/bench/library-scale');

export interface TreeInfo {
  dir: string;
  files: number;
  seeds: number;
  linkKind: string;
  /** Whether the tree was already there (built by an earlier run, at `madeAt`). */
  fromCache: boolean;
  madeAt: string;
  buildSeconds: number;
  key: string;
}

export function datasetPhotos(dir = DATASETS, out: string[] = []): string[] {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) datasetPhotos(p, out);
    else if (/\.jpe?g$/i.test(d.name)) out.push(p);
  }
  return out;
}

/** The tree of `files` links (made now unless a complete one is cached). */
export function ensureTree(files: number, log: (m: string) => void): TreeInfo {
  const seeds = datasetPhotos().sort();
  const key = createHash('sha256')
    .update(`${files}\0${PER_DIR}\0${seeds.map((s) => `${s}:${fs.statSync(s).size}`).join('\0')}`)
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(CACHE_DIR, `tree-${files}-${key}`);
  const manifest = `${dir}.json`;
  if (fs.existsSync(manifest)) return { ...(JSON.parse(fs.readFileSync(manifest, 'utf8')) as TreeInfo), fromCache: true };
  fs.rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  let linkKind = 'hard links';
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${String(Math.floor(i / PER_DIR)).padStart(4, '0')}`);
    if (i % PER_DIR === 0) fs.mkdirSync(sub, { recursive: true });
    const to = path.join(sub, `p${i}.jpg`);
    try {
      if (linkKind === 'hard links') fs.linkSync(seeds[i % seeds.length], to);
      else fs.symlinkSync(seeds[i % seeds.length], to);
    } catch {
      linkKind = 'symlinks';
      fs.symlinkSync(seeds[i % seeds.length], to);
    }
    if (i % 100_000 === 99_999) log(`tree: ${i + 1} of ${files} links`);
  }
  const info: TreeInfo = { dir, files, seeds: seeds.length, linkKind, fromCache: false, madeAt: new Date().toISOString(), buildSeconds: (performance.now() - t0) / 1000, key };
  fs.writeFileSync(manifest, JSON.stringify(info, null, 2));
  return info;
}

/** Process-wide figures to print beside every timing (the machine is shared). */
export function machineNow(): { loadAvg: number[]; cpus: number; freeMemMB: number } {
  return { loadAvg: os.loadavg().map((l) => Math.round(l * 100) / 100), cpus: os.cpus().length, freeMemMB: Math.round(os.freemem() / 2 ** 20) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--files');
  console.log(JSON.stringify(ensureTree(Number(i >= 0 ? process.argv[i + 1] : 1_000_000), (m) => console.error(m))));
}
