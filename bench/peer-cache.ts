// The peer's built HNSW index, kept between bench runs. A 1,000,000-vector build costs 40+ minutes
// of one core, which the one-run bench (docs/EVAL.md, issue 21's table) cannot pay every time; its
// queries, memory and recall are cheap and are measured fresh on the loaded index, while the build
// time is the one figure that comes from the cache, with when and under what load it was measured.
//
// Kept under ~/.cache/photowords/bench/peer/ (never the repo), one `<key>.bin` (the library's own
// saved index) and `<key>.json` (how it was made and what its build cost) per vector set and
// parameters: the key hashes the dev-set vectors' bytes, the rows the mixes are drawn from, the
// synthetic generator's seed and perturbation, the size, the library and its version and the HNSW
// parameters, so a change in any of them builds anew instead of measuring a stale graph.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LoadSamples {
  /** 1-minute load average when the measurement began and ended, and the mean/max of samples taken during it. */
  atStart: number;
  atEnd: number;
  mean: number;
  max: number;
  samples: number;
}

/** Samples os.loadavg()[0] while a long measurement runs (call `sample` now and then). */
export class LoadSampler {
  /** The samples so far; a build resumed from a checkpoint starts from the earlier segments' samples. */
  readonly values: number[];
  constructor(earlier: number[] = []) {
    this.values = [...earlier, os.loadavg()[0]];
  }
  sample(): void {
    this.values.push(os.loadavg()[0]);
  }
  done(): LoadSamples {
    this.sample();
    const v = this.values;
    const r = (x: number) => Number(x.toFixed(2));
    return { atStart: r(v[0]), atEnd: r(v[v.length - 1]), mean: r(v.reduce((a, x) => a + x, 0) / v.length), max: r(Math.max(...v)), samples: v.length };
  }
}

export interface PeerCacheMeta {
  key: string;
  /** What the index was made from, as hashed into the key (readable, for whoever opens the folder). */
  what: Record<string, unknown>;
  measuredAt: string;
  buildSeconds: number;
  buildCpuSeconds: number;
  loadAvg: LoadSamples;
  /** RSS growth over the build, in the process that built it. */
  buildRssGrowthMB: number;
  host: { cpu: string; cores: number; node: string };
  /** Set when the build was stopped and resumed (PeerPartialMeta): each segment's share. */
  segments?: PeerPartialMeta['segments'];
}

export const peerCacheDir = () => process.env.PW_PEER_CACHE ?? path.join(os.homedir(), '.cache', 'photowords', 'bench', 'peer');

export function hashBytes(...arrays: ArrayBufferView[]): string {
  const h = crypto.createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 16);
}

/** A readable prefix (library and size) and a hash of everything the graph depends on. */
export function peerCacheKey(what: Record<string, unknown>): string {
  const h = crypto.createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16);
  return `${String(what.library)}-${String(what.size)}-${h}`;
}

export function readPeerCache(key: string): { file: string; meta: PeerCacheMeta } | undefined {
  const file = path.join(peerCacheDir(), `${key}.bin`);
  const metaFile = path.join(peerCacheDir(), `${key}.json`);
  if (!fs.existsSync(file) || !fs.existsSync(metaFile)) return undefined;
  const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as PeerCacheMeta;
  if (meta.key !== key) throw new Error(`${metaFile} is for ${meta.key}, not ${key}: delete ${peerCacheDir()} to rebuild`);
  return { file, meta };
}

/** Writes `file` under a temporary name and renames it over, so a half-written index is never read. */
function saveByRename(file: string, save: (file: string) => void): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    save(tmp);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Saves the index under a temporary name and renames it, then the metadata: a half-written index is never read. */
export function writePeerCache(key: string, save: (file: string) => void, meta: PeerCacheMeta): { file: string; sizeMB: number } {
  const dir = peerCacheDir();
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${key}.bin`);
  saveByRename(file, save);
  fs.writeFileSync(path.join(dir, `${key}.json`), `${JSON.stringify(meta, null, 2)}\n`);
  return { file, sizeMB: Math.round(fs.statSync(file).size / 2 ** 20) };
}

/**
 * A build under way, saved now and then: on a machine shared with other jobs a 1,000,000-vector
 * build can outlast a session, and a stopped one resumes from here (the wall and CPU seconds
 * and load samples of each segment add up; `segments` says how many there were).
 */
export interface PeerPartialMeta {
  key: string;
  added: number;
  measuredAt: string;
  buildMs: number;
  buildCpuMs: number;
  loadSamples: number[];
  segments: { startedAt: string; savedAt: string; addedFrom: number; addedTo: number; buildSeconds: number; buildCpuSeconds: number }[];
}

const partialFiles = (key: string) => ({ file: path.join(peerCacheDir(), `${key}.partial.bin`), metaFile: path.join(peerCacheDir(), `${key}.partial.json`) });

export function readPeerPartial(key: string): { file: string; meta: PeerPartialMeta } | undefined {
  const { file, metaFile } = partialFiles(key);
  if (!fs.existsSync(file) || !fs.existsSync(metaFile)) return undefined;
  return { file, meta: JSON.parse(fs.readFileSync(metaFile, 'utf8')) as PeerPartialMeta };
}

export function writePeerPartial(save: (file: string) => void, meta: PeerPartialMeta): void {
  const { file, metaFile } = partialFiles(meta.key);
  fs.mkdirSync(peerCacheDir(), { recursive: true });
  saveByRename(file, save);
  fs.writeFileSync(metaFile, `${JSON.stringify(meta)}\n`);
}

export function clearPeerPartial(key: string): void {
  const { file, metaFile } = partialFiles(key);
  fs.rmSync(metaFile, { force: true });
  fs.rmSync(file, { force: true });
}

/** `touch <cache dir>/STOP` asks a build under way to save where it is and stop (the bench then fails with that reason). */
export const stopRequested = () => fs.existsSync(path.join(peerCacheDir(), 'STOP'));
