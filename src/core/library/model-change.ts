// A change of model while the library stays in use: the model's file (downloaded if it
// is not installed), a codebook learned from a sample of the library's own photos, then a second
// Engine on a new index file beside the library's (<db>.next) that reads every photo of the
// library's folders. Searches and the grid keep answering from the old Engine all along; at the
// end the new file takes the old one's place under the library's reopen wait. Until that rename
// the old file is never written by this module, so a failure or a cancel leaves it as it was.
// What happens and where files go: docs/MODELS.md, "Switching models".
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { IndexStore } from '../index/store.js';
import { Engine, loadBackbone } from './engine.js';
import type { LibraryContext } from './context.js';
import { findEntry, fileFor, type CatalogEntry, type Variant } from '../analysis/model/catalog.js';
import { installed } from '../analysis/model/install.js';
import { installVariant, int8Way } from '../analysis/model/int8-here.js';
import { prepareInstalled } from '../analysis/model/prepare.js';
import { codebookName, type CodebookManifest } from '../analysis/model/codebook.js';
import { trainCodebook } from '../analysis/model/train.js';
import type { BackboneInfo } from '../analysis/model/backbone.js';
import { mulberry32 } from '../common/random.js';
import { DEFAULT_SETTINGS, type EngineSettings } from '../common/settings.js';
import type { ModelChangePhase } from '../../shared/api.js';

import type { ModelChangeTuning } from './model-tuning.js';
export { DEFAULT_TUNING, tuningFromEnv, type ModelChangeTuning } from './model-tuning.js';

export interface ModelChangeRequest {
  id: string;
  variant: Variant;
  tuning: ModelChangeTuning;
  signal: AbortSignal;
  report: (phase: ModelChangePhase, done: number, total: number, etaSeconds: number | null, message: string) => void;
}

/** The new index file, built beside the library's. */
export function nextPath(dbPath: string): string {
  return `${dbPath}.next`;
}

/** The old index file, kept until the swap has succeeded. */
export function backupPath(dbPath: string): string {
  return `${dbPath}.before-model-change`;
}

/**
 * The library's index file's companions: SQLite's write-ahead log and shared memory, and the query
 * index kept on disk (search/persisted-index.ts), which belongs to the file it was built from.
 */
function withCompanions(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`, `${file}.qidx`];
}

function moveFile(from: string, to: string): void {
  for (const [i, f] of withCompanions(from).entries()) if (fs.existsSync(f)) fs.renameSync(f, withCompanions(to)[i]);
}

function removeFile(file: string): void {
  for (const f of withCompanions(file)) fs.rmSync(f, { force: true });
}

/** Seconds left at the rate so far; null until there is a rate. */
export function eta(t0: number, done: number, total: number): number | null {
  if (done <= 0 || total <= done) return done >= total && total > 0 ? 0 : null;
  const s = (performance.now() - t0) / 1000;
  return Math.round((s / done) * (total - done));
}

/** The backbone graph the engine runs for a catalogue entry, downloading and preparing it as needed. */
async function ensureModel(ctx: LibraryContext, entry: CatalogEntry, req: ModelChangeRequest): Promise<BackboneInfo> {
  if (entry.kind === 'builtin') return loadBackbone({ ...ctx.engine.settings, backbone: 'inception_v3', block: DEFAULT_SETTINGS.block, precision: req.variant });
  const f = fileFor(entry, req.variant);
  let rec = installed(entry, req.variant);
  if (!rec) {
    // An int8 graph made here downloads the fp32 file (if not installed yet), then quantizes it.
    const here = req.variant === 'int8' && int8Way(entry) === 'quantize';
    const file = here ? fileFor(entry, 'fp32') : f;
    const total = file.bytes ?? file.approxBytes;
    req.report('download', 0, total, null, `${here ? 'Making int8 here from the checked fp32 file; downloading' : 'Downloading'} ${entry.name} (${Math.round(total / 1e6)} MB)`);
    rec = await installVariant(entry, {
      variant: req.variant,
      signal: req.signal,
      onProgress: (p) => {
        const t = p.total ?? total;
        req.report('download', p.received, t, p.etaSeconds, `Downloading ${entry.name}: ${Math.round(p.received / 1e6)} of ${Math.round(t / 1e6)} MB`);
      },
    });
  }
  req.signal.throwIfAborted();
  if (!rec.backbone || !fs.existsSync(rec.backbone)) {
    const prepared = await prepareInstalled(entry, rec);
    rec = prepared.record;
  }
  if (!rec.backbone) throw new Error(`${entry.name} has no backbone graph the engine can run`);
  return loadBackbone({ ...ctx.engine.settings, backbone: rec.backbone, precision: 'fp32' });
}

/** A power of two of codes that the sample's vectors can fill (k-means needs several vectors a code). */
export function codesFor(wanted: number, vectors: number): number {
  let codes = wanted;
  while (codes > 16 && codes * 8 > vectors) codes /= 2;
  return codes;
}

/** Up to `n` library photos, a fixed-seed sample, topped up from the dataset where the library has too few. */
function samplePhotos(ctx: LibraryContext, t: ModelChangeTuning): { files: string[]; fromLibrary: number } {
  const lib = ctx.engine.store
    .listImages()
    .filter((r) => r.status === 'indexed' && fs.existsSync(r.path))
    .map((r) => r.path);
  const rand = mulberry32(7);
  for (let i = lib.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [lib[i], lib[j]] = [lib[j], lib[i]];
  }
  const files = lib.slice(0, t.samplePhotos);
  const fromLibrary = files.length;
  if (fromLibrary < t.minLibraryPhotos && fs.existsSync(t.dataset)) {
    // One photo from each class in turn, so a few dozen cover many kinds of scene.
    const classes = fs
      .readdirSync(t.dataset, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(t.dataset, d.name))
      .sort();
    const lists = classes.map((c) =>
      fs
        .readdirSync(c)
        .filter((f) => /\.(jpe?g|png)$/i.test(f))
        .sort(),
    );
    for (let round = 0; files.length < t.minLibraryPhotos && lists.some((l) => l.length > round); round++) {
      for (const [i, l] of lists.entries()) {
        if (files.length >= t.minLibraryPhotos) break;
        if (l[round]) files.push(path.join(classes[i], l[round]));
      }
    }
  }
  return { files, fromLibrary };
}

/** The codebook for `backbone` under the library's settings, learned from the library unless it is there already. */
async function ensureCodebook(ctx: LibraryContext, entry: CatalogEntry, backbone: BackboneInfo, req: ModelChangeRequest): Promise<Partial<EngineSettings>> {
  const s = ctx.engine.settings;
  if (entry.kind === 'builtin') return { backbone: 'inception_v3', block: DEFAULT_SETTINGS.block, codes: DEFAULT_SETTINGS.codes, precision: req.variant, pca: 0, whiten: false };
  const t = req.tuning;
  const { files, fromLibrary } = samplePhotos(ctx, t);
  if (files.length === 0) throw new Error(`there are no photos to learn ${entry.name}'s codebook from (the library is empty and ${t.dataset} is missing)`);
  // A photo gives at least ~100 cells at the library's resolution: k-means must not be asked for more codes than the sample can fill.
  const codes = codesFor(t.codes, Math.min(t.vectors, files.length * 100 * s.heads));
  const outDir = path.join(path.dirname(backbone.path), 'codebooks');
  const name = codebookName(backbone.name, backbone.output, s.heads, codes, false, 0, false);
  const json = path.join(outDir, `${name}.json`);
  const settings: Partial<EngineSettings> = { backbone: backbone.path, block: backbone.output, codes, perHeadCodebook: false, precision: 'fp32', pca: 0, whiten: false };
  if (fs.existsSync(json)) {
    const m = JSON.parse(fs.readFileSync(json, 'utf8')) as CodebookManifest;
    // Learned before for this very file (the fingerprint): used again, not learned twice.
    if (m.backboneSha256 === backbone.sha256) return settings;
  }
  const what =
    fromLibrary === files.length
      ? `${files.length} of your photos`
      : `${fromLibrary} of your photos and ${files.length - fromLibrary} of the shipped dataset's (the library has fewer than ${t.minLibraryPhotos})`;
  const message = `Learning the codebook from ${what}`;
  const t0 = performance.now();
  req.report('codebook', 0, files.length, null, message);
  let firstPass = 0;
  await trainCodebook({
    images: fromLibrary === files.length ? 'the library' : `the library and ${path.basename(t.dataset)}`,
    files,
    backbone,
    heads: s.heads,
    codes,
    resolution: s.resolution,
    perClass: 0,
    vectors: t.vectors,
    seed: 1,
    iterations: t.iterations,
    outDir,
    provider: ctx.opts.provider,
    signal: req.signal,
    onPhoto: (done, total) => req.report('codebook', done, total, eta(t0, done, total), `${message}: ${done} read`),
    // k-means reports each iteration here: the place a cancel can stop it, and the only sign of
    // progress in what can be minutes of work after the last photo was read.
    log: (m) => {
      req.signal.throwIfAborted();
      if (m.startsWith('k-means')) req.report('codebook', files.length, files.length, null, `Grouping the features into ${codes} visual words`);
      const it = Number(/^\s*iteration (\d+):/.exec(m)?.[1] ?? 0);
      // Time left from the passes after the first (the first also holds the seeding); at most, as k-means may settle sooner.
      if (it === 1) firstPass = performance.now();
      const left = it > 1 ? Math.round(((performance.now() - firstPass) / 1000 / (it - 1)) * (t.iterations - it)) : null;
      if (it) req.report('codebook', files.length, files.length, left, `Grouping the features into ${codes} visual words: pass ${it} of at most ${t.iterations}`);
    },
  });
  return settings;
}

/** A copy of the library's index file without what the model made: folders, decisions, preferences and trash records stay. */
async function copyForRebuild(dbPath: string, next: string): Promise<void> {
  removeFile(next);
  // SQLite's online backup: a consistent copy while the library's own connection goes on writing.
  const src = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    await src.backup(next);
  } finally {
    src.close();
  }
}

/**
 * At the swap, what the person did during the rebuild goes into the new file too: decisions,
 * preferences, trash records and the folder list are taken as they are in the old file now.
 * Photos of folders added meanwhile are read by the run loop after the swap.
 */
function carryOver(oldDb: string, next: string): void {
  const db = new Database(next);
  try {
    db.prepare('ATTACH DATABASE ? AS old').run(oldDb);
    db.transaction(() => {
      db.exec(`DELETE FROM decisions; INSERT INTO decisions SELECT * FROM old.decisions;
        DELETE FROM trashed; INSERT INTO trashed SELECT * FROM old.trashed;
        DELETE FROM folders; INSERT INTO folders SELECT * FROM old.folders;
        DELETE FROM meta WHERE key LIKE 'pref.%'; INSERT INTO meta SELECT * FROM old.meta WHERE key LIKE 'pref.%';`);
    })();
    db.exec('DETACH DATABASE old');
  } finally {
    db.close();
  }
}

/** The whole change; resolves when the new index is in place, throws (old index untouched) otherwise. */
export async function changeModel(ctx: LibraryContext, req: ModelChangeRequest): Promise<void> {
  const entry = findEntry(req.id);
  const backbone = await ensureModel(ctx, entry, req);
  req.signal.throwIfAborted();
  const settings = { ...ctx.engine.settings, ...(await ensureCodebook(ctx, entry, backbone, req)) };
  req.signal.throwIfAborted();

  const next = nextPath(ctx.dbPath);
  await copyForRebuild(ctx.dbPath, next);
  let engine: Engine | null = null;
  try {
    engine = await Engine.open(next, { settings, rebuild: true, provider: ctx.opts.provider, log: ctx.opts.log });
    engine.includeHidden = ctx.engine.includeHidden;
    const folders = engine.store
      .listFolders()
      .map((f) => f.path)
      .filter((p) => fs.existsSync(p));
    const total = Math.max(1, ctx.engine.store.countIndexed());
    const t0 = performance.now();
    const message = `Reading your photos with ${entry.name}`;
    req.report('index', 0, total, null, message);
    await engine.index(folders, {
      signal: req.signal,
      reuseByHash: true,
      onProgress: (p) => {
        const all = p.total || total;
        req.report('index', Math.min(p.done, all), all, p.done > 0 ? Math.round(p.etaSeconds) : eta(t0, p.done, all), `${message}: ${p.done} of ${all}`);
      },
    });
    req.signal.throwIfAborted();
    await engine.close();
    engine = null;
    req.report('swap', total, total, 0, `Switching the library to ${entry.name}`);
    await swapIn(ctx, next, settings);
  } catch (e) {
    await engine?.close().catch(() => undefined);
    removeFile(next);
    throw e;
  }
}

/**
 * Puts the new file in the old one's place while every library call waits (ctx.swapping, as a
 * settings change does). The old file is renamed aside first and only deleted once the new engine
 * has opened; if anything fails, the old file is put back and reopened.
 */
async function swapIn(ctx: LibraryContext, next: string, settings: EngineSettings): Promise<void> {
  const swap = async () => {
    const run = ctx.run;
    const wasPaused = run.paused;
    run.paused = true;
    await run.stopRun();
    const db = ctx.dbPath;
    const backup = backupPath(db);
    try {
      carryOver(db, next);
      await ctx.engine.close();
      try {
        removeFile(backup);
        // Closed cleanly, each file is the whole index (the write-ahead logs were checkpointed); the
        // companions move too, in case one is left.
        moveFile(db, backup);
        moveFile(next, db);
        // A settings change made during the rebuild (resolution, k-grams) wins: the new index is read
        // again on it rather than the person's choice being undone.
        const cur = ctx.engine.settings;
        const now = { ...settings, resolution: cur.resolution, kernel: cur.kernel, padding: cur.padding };
        ctx.engine = await Engine.open(db, { settings: now, otherModel: 'rebuild', provider: ctx.opts.provider, log: ctx.opts.log });
      } catch (e) {
        // Whatever step failed, the old file goes back where it was and the library reopens on it.
        if (fs.existsSync(backup)) {
          removeFile(db);
          moveFile(backup, db);
        }
        ctx.engine = await Engine.open(db, { provider: ctx.opts.provider, log: ctx.opts.log });
        throw e;
      }
      removeFile(backup);
      run.forgetPast();
    } finally {
      run.paused = wasPaused;
      ctx.folders.changed();
      run.kick();
    }
  };
  const done = ctx.swapping.then(swap, swap);
  // Later calls wait for the swap, but never inherit its failure: the library stays usable.
  ctx.swapping = done.catch(() => undefined);
  await done;
}

/**
 * Before a library opens: the files a change of model interrupted by a crash left behind. The
 * swap renames the old file aside, then the new one into place, then deletes the old: with the
 * library's file missing, the old one goes back; with both there, the new one was complete (its
 * carry-over ran before the renames) and the old one goes. A `<db>.next` with no change running is
 * a half-built index and is deleted.
 */
export function recoverModelChange(dbPath: string, log?: (m: string) => void): void {
  const backup = backupPath(dbPath);
  if (fs.existsSync(backup)) {
    if (!fs.existsSync(dbPath)) {
      moveFile(backup, dbPath);
      log?.(`a change of model was interrupted before its new index was in place; the index as it was before is back (${dbPath})`);
    } else removeFile(backup);
  }
  removeFile(nextPath(dbPath));
}

/**
 * The built-in model's settings where the index was built by a model whose graph is gone (a
 * download removed with `photowords model remove`, or the cache cleared), so the library opens on
 * the built-in model and reads its photos again, rather than not at all; undefined otherwise.
 */
export function missingModelFallback(dbPath: string, log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): Partial<EngineSettings> | undefined {
  if (!fs.existsSync(dbPath)) return undefined;
  const stored = IndexStore.readSettings(dbPath) as Partial<EngineSettings> | undefined;
  const b = stored?.backbone;
  if (!b || b === 'inception_v3') return undefined;
  const manifest = b.replace(/\.onnx$/i, '.json');
  if (fs.existsSync(b) && fs.existsSync(manifest)) return undefined;
  log(`the model this library was indexed with is gone (${b}); its photos are read again with the built-in model, and its folders and decisions stay`);
  return { backbone: 'inception_v3', block: DEFAULT_SETTINGS.block, codes: DEFAULT_SETTINGS.codes, perHeadCodebook: false, precision: 'fp32', pca: 0, whiten: false };
}
