// The model cache: `<cache>/<id>/<file>` plus `<cache>/<id>/<variant>.json`, the record of what was
// installed from where, its sha256, whether that hash was verified against the catalogue, and what
// the probe saw when the file was first run. Downloads go through download.ts; a file the user
// already has goes through the same check (installFromFile).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { downloadFile, sha256OfFile, OfflineError, HttpStatusError, type DownloadProgress } from './download.js';
import { fileFor, type CatalogEntry, type ModelFile, type Variant } from './catalog.js';
import type { Probe } from './probe.js';

export interface InstallRecord {
  id: string;
  variant: Variant;
  path: string;
  sha256: string;
  bytes: number;
  /** True when sha256 matched the catalogue; false when the user chose to trust a file the catalogue has no hash for. */
  verified: boolean;
  source: string;
  installedAt: string;
  /** What the first run saw (probe.ts), once it has been run. */
  probe?: Probe;
  /** For an int8 file made on this machine (int8-here.ts): the fp32 file it was quantized from, and by what. */
  quantizedFrom?: { sha256: string; verified: boolean; quantizer: string };
  /** The wrapped graph `--backbone` takes (prepare.ts), once made. */
  backbone?: string;
}

/**
 * Where downloaded models live: $PHOTOWORDS_MODELS, else the platform's cache folder
 * (XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows).
 */
export function modelsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PHOTOWORDS_MODELS) return path.resolve(env.PHOTOWORDS_MODELS);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'photowords', 'models');
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'photowords', 'models');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'photowords', 'models');
}

function recordFile(cache: string, id: string, variant: Variant): string {
  return path.join(cache, id, `${variant}.json`);
}

export function installed(entry: CatalogEntry, variant: Variant, cache = modelsCacheDir()): InstallRecord | null {
  const rec = recordFile(cache, entry.id, variant);
  if (!fs.existsSync(rec)) return null;
  try {
    const r = JSON.parse(fs.readFileSync(rec, 'utf8')) as InstallRecord;
    // A record whose file was deleted by hand is not an installation.
    return fs.existsSync(r.path) ? r : null;
  } catch {
    return null;
  }
}

export interface InstallOptions {
  variant: Variant;
  cache?: string;
  /** Install a file the catalogue has no hash for, recording the hash it has. */
  trustUnverified?: boolean;
  onProgress?: (p: DownloadProgress, url: string) => void;
  onLog?: (msg: string) => void;
  timeoutMs?: number;
  retries?: number;
  signal?: AbortSignal;
}

function refuseUnverified(entry: CatalogEntry, f: ModelFile): never {
  throw new Error(`the catalogue has no published sha256 for ${entry.id} ${f.variant} (${f.provenance}); ` + `to install it anyway and record the hash it has, add --trust-unverified`);
}

/** Downloads the entry's file for `variant` into the cache, verified, unless it is there already. */
export async function installModel(entry: CatalogEntry, o: InstallOptions): Promise<InstallRecord> {
  const f = fileFor(entry, o.variant);
  const cache = o.cache ?? modelsCacheDir();
  const have = installed(entry, o.variant, cache);
  // --trust-unverified asks for the published file itself, not the int8 graph made here from fp32.
  if (have && !(o.trustUnverified && have.quantizedFrom) && (f.sha256 === null || have.sha256 === f.sha256)) return have;
  if (f.sha256 === null && !o.trustUnverified) refuseUnverified(entry, f);
  const dir = path.join(cache, entry.id);
  fs.mkdirSync(dir, { recursive: true });
  const dest = path.join(dir, f.fileName);
  const release = takeLock(dest, `${entry.id} ${f.variant}`);
  try {
    return await fetchFirst(entry, f, dest, cache, o);
  } finally {
    release();
  }
}

/** Each source in turn until one serves the file, verified. */
async function fetchFirst(entry: CatalogEntry, f: ModelFile, dest: string, cache: string, o: InstallOptions): Promise<InstallRecord> {
  const dir = path.dirname(dest);
  let offline: OfflineError | null = null;
  for (const [i, url] of f.urls.entries()) {
    o.onLog?.(`Downloading ${entry.name} ${f.variant} (${Math.round((f.bytes ?? f.approxBytes) / 1e6)} MB) from ${new URL(url).host} into ${dir}`);
    try {
      const r = await downloadFile({
        url,
        dest,
        sha256: f.sha256,
        bytes: f.bytes,
        timeoutMs: o.timeoutMs,
        retries: o.retries,
        signal: o.signal,
        onProgress: o.onProgress ? (p) => o.onProgress!(p, url) : undefined,
      });
      return writeRecord(cache, entry, f, { path: r.path, sha256: r.sha256, bytes: r.bytes, source: url });
    } catch (e) {
      // Another mirror may answer where this one is down or gone; anything else (a checksum, a
      // broken transfer with bytes kept) is said at once.
      if (e instanceof OfflineError) offline = e;
      else if (!(e instanceof HttpStatusError) || i === f.urls.length - 1) throw e;
      if (i < f.urls.length - 1) o.onLog?.(`${new URL(url).host} did not serve it (${(e as Error).message}); trying the next source`);
    }
  }
  const host = offline?.host ?? new URL(f.urls[0]).host;
  throw new Error(
    `could not reach ${host}${offline ? ` (${offline.code})` : ''}: check the network, or download ${f.urls[0]} ` +
      `on another machine and install it with: photowords model add ${entry.id}${o.variant === 'int8' ? ' --int8' : ''} --file <path>`,
  );
}

/**
 * Installs a file the user already has, checked like a download: its sha256 must be the
 * catalogue's (for either variant; the one it matches is the one installed). Hard-linked where the
 * cache is on the same file system, else copied, so deleting the original later loses nothing.
 */
export async function installFromFile(entry: CatalogEntry, file: string, o: Omit<InstallOptions, 'variant'> & { variant?: Variant }): Promise<InstallRecord> {
  if (entry.kind === 'builtin') throw new Error(`${entry.id} is built in: photowords model build`);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`no such file: ${file}`);
  const cache = o.cache ?? modelsCacheDir();
  const actual = await sha256OfFile(file);
  let f = entry.files.find((x) => x.sha256 === actual && (!o.variant || x.variant === o.variant));
  if (!f) {
    const wanted = fileFor(entry, o.variant ?? 'fp32');
    if (wanted.sha256 !== null) {
      const known = entry.files.filter((x) => x.sha256).map((x) => `${x.sha256} (${x.variant})`);
      throw new Error(`${file} has sha256 ${actual}; the catalogue's ${entry.id} is ${known.join(' or ')}. Nothing was installed.`);
    }
    if (!o.trustUnverified) refuseUnverified(entry, wanted);
    f = wanted;
  }
  const dir = path.join(cache, entry.id);
  fs.mkdirSync(dir, { recursive: true });
  const dest = path.join(dir, f.fileName);
  const release = takeLock(dest, `${entry.id} ${f.variant}`);
  try {
    const tmp = `${dest}.part`;
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}.json`, { force: true });
    try {
      fs.linkSync(file, tmp);
    } catch {
      fs.copyFileSync(file, tmp);
    }
    // The copy is hashed again: a file that changed while it was copied must not be installed.
    const copied = await sha256OfFile(tmp);
    if (copied !== actual) {
      fs.rmSync(tmp, { force: true });
      throw new Error(`${file} changed while it was copied; nothing was installed`);
    }
    fs.renameSync(tmp, dest);
    return writeRecord(cache, entry, f, { path: dest, sha256: actual, bytes: fs.statSync(dest).size, source: `file ${path.resolve(file)}` });
  } finally {
    release();
  }
}

/**
 * `<dest>.lock` holding this process's id, so two installs of one file cannot write the same part.
 * A lock whose process is gone (a crash, a kill) is taken over. Returns the release.
 */
export function takeLock(dest: string, what: string): () => void {
  const lock = `${dest}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(lock, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new Error(`another photowords (pid ${pid}) is installing ${what}; wait for it to finish, or stop it`);
      }
      fs.rmSync(lock, { force: true });
    }
  }
  throw new Error(`could not lock ${lock}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeRecord(cache: string, entry: CatalogEntry, f: ModelFile, got: { path: string; sha256: string; bytes: number; source: string }): InstallRecord {
  const rec: InstallRecord = {
    id: entry.id,
    variant: f.variant,
    ...got,
    verified: f.sha256 !== null && f.sha256 === got.sha256,
    installedAt: new Date().toISOString(),
  };
  saveRecord(cache, rec);
  return rec;
}

export function saveRecord(cache: string, rec: InstallRecord): void {
  const file = recordFile(cache, rec.id, rec.variant);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(rec, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

/** Removes one variant (or all) of an entry from the cache, with any half-downloaded parts. Returns the paths removed. */
export function removeModel(entry: CatalogEntry, variant: Variant | 'all', cache = modelsCacheDir()): string[] {
  const dir = path.join(cache, entry.id);
  if (!fs.existsSync(dir)) return [];
  // Deleting under a running install would leave it writing into a folder that is gone.
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.lock'))) {
    takeLock(path.join(dir, name.slice(0, -'.lock'.length)), entry.id)();
  }
  const removed: string[] = [];
  for (const f of entry.files) {
    if (variant !== 'all' && f.variant !== variant) continue;
    for (const p of [path.join(dir, f.fileName), `${path.join(dir, f.fileName)}.part`, `${path.join(dir, f.fileName)}.part.json`, recordFile(cache, entry.id, f.variant)]) {
      if (fs.existsSync(p)) {
        fs.rmSync(p, { force: true });
        removed.push(p);
      }
    }
  }
  if (variant === 'all' || fs.readdirSync(dir).length === 0) {
    // Derived graphs (the imported backbone, codebooks) live here too and go with the model.
    for (const name of fs.readdirSync(dir)) removed.push(path.join(dir, name));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return removed;
}
