// The library as the app sees it: folders a person added, indexing that runs by itself (with
// pause and resume), thumbnails, and "find similar". One object answers the typed API of
// src/shared/api.ts for every shell: Electron's indexing utility process and `photowords serve`.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Engine } from './engine.js';
import { PathGuard, PathNotIndexedError, PathRefusedError } from './pathguard.js';
import type { RootPolicy } from './roots.js';
import { ThumbnailCache } from '../browse/thumbnails.js';
import { notReadLabel, needsRendering } from '../analysis/formats.js';
import { DEFAULT_SIMILARITY, SIMILARITIES, kgramSettings } from '../common/settings.js';
import { IndexStore, type Decision, type ImageRecord, type TrashedRecord } from '../index/store.js';
import { DecodeError } from '../analysis/decode/decode.js';
import type { IndexProgress, IndexReport } from '../index/indexer.js';
import { DbLock } from './writer-lock.js';
import { PhotoQueryError, fillTaken, listedPhoto, naturalCompare, photoDates, resolveQuery, subfolderTree } from '../browse/photolist.js';
import { FolderWatcher, type WatcherOptions, type WatcherStats } from './watcher.js';
import { applyChangeSet, emptyChangeSet, mergeChangeSets, reconcileFolders, changeSetSize, type ChangeSet, type SyncPlan } from '../index/sync.js';
import { DEFAULT_BURST_SECONDS, DEFAULT_SENSITIVITY, DEFAULT_SIMILAR_SHOTS, findDuplicates, whyLinked, type DuplicateGroup, type DuplicateReport } from '../duplicates/find.js';
import { reportCsv, reportHtml, reportJson } from '../duplicates/report.js';
import { moveToTrash, revealInFolder } from './desktop.js';
import { backInPlace, findTrashEntry, readTrash, restoreEntry, restoreSupported, RestoreError, trashDirsFor, trashWhereabouts } from './trash.js';
import { DEFAULT_EXPLAIN_TOP, ExplainError, MAX_EXPLAIN_TOP, explainStored } from '../search/explain.js';
import { PhotoInfoError, readPhotoInfo } from '../browse/photoinfo.js';
import { nothingClose } from '../search/nearness.js';
import {
  REPORT_TYPES,
  reportFileName,
  type BackendEvent,
  type DecisionKind,
  type DecisionRequest,
  type DecisionView,
  type DuplicateGroupView,
  type DuplicatePhoto,
  type DuplicatesOptions,
  type DuplicatesResult,
  type ExplainOptions,
  type PairExplanation,
  type ReportFormat,
  type TrashResult,
  type TrashManyResult,
  type TrashedList,
  type TrashedPhoto,
  type RestoreResult,
  type FolderInfo,
  type PhotoDates,
  type PhotoDatesQuery,
  type SubfolderNode,
  type NotReadGroup,
  type IndexFailure,
  type IndexStatus,
  type ListPhotosQuery,
  type PhotoDetail,
  type PhotoInfo,
  type PhotoPage,
  type PhotoSummary,
  type PhotowordsBackend,
  type ProviderName,
  type SettingsChangeResult,
  type SettingsView,
  type SimilarityName,
  type SimilarOptions,
  type SimilarResult,
  type UploadedFile,
  type UserSettings,
} from '../../shared/api.js';

export type ApiErrorCode = 'not-found' | 'bad-request' | 'forbidden' | 'busy' | 'internal' | 'unavailable';

/** An error meant for the person: its message is shown as is, its code picks the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface LibraryOptions {
  provider?: ProviderName;
  log?: (m: string) => void;
  /** Where thumbnails are cached; default: a 'thumbnails' folder beside the database. */
  thumbsDir?: string;
  /** Start indexing the folders at once (default true). */
  autoIndex?: boolean;
  /**
   * Watch the library folders and index what changes in them (default: as autoIndex, so true for
   * serve, daemon and the app); off, the folders are reconciled only at open, on folder changes,
   * when a folder comes back online and on resume.
   */
  watch?: boolean;
  /** The watcher's batching (tests shorten it). */
  watcher?: Pick<WatcherOptions, 'debounceMs' | 'maxWaitMs' | 'stableMs'>;
  /** How often an offline folder's root is looked at (default 3,000 ms). */
  pollMs?: number;
  /** What holds the database lock, for the message a second process gets ('daemon', 'serve', 'app'). */
  lockKind?: string;
  /** Answer "find similar" from an OpenSearch/Elasticsearch export of this library (serve --engine URL). */
  remoteIndex?: { url: string; index?: string; statsFile?: string };
}

/** What the library did without a full re-index: counts since it was opened. */
export interface LibraryActivity {
  /** Full reconciles (open, folder added or back online, resume). */
  reconciles: number;
  /** Watcher change sets applied. */
  changeSets: number;
  /** Photos that went through the model. */
  modelPhotos: number;
  /** Photos whose words were copied from a photo with the same bytes. */
  reused: number;
  /** Renames and moves kept by content hash (no model). */
  moved: number;
  /** Touched files with the same bytes (mtime updated, no model). */
  touched: number;
  /** Vanished files forgotten. */
  removed: number;
}

const MAX_PAGE = 5000;
/** Photos one trashPhotos / restoreTrashed call takes (a whole library's duplicates fit). */
const MAX_BATCH = 100_000;
/** Photos one similarToMany takes: each is one search. */
const MAX_MANY = 100;
/** similarToMany fuses each chosen photo's top list of at least this many (docs/EVAL.md, "Find similar from several photos"). */
const MANY_CANDIDATES = 500;
const MAX_TOP = 500;
const MAX_FAILURES = 200;
/** Example paths per kind of file not read, in each folder's counts. */
const NOT_READ_EXAMPLES = 3;
const PROVIDERS: ProviderName[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml'];
const REINDEX_KEYS: (keyof UserSettings)[] = ['resolution', 'kernel', 'padding'];
/** Status events at most this often while indexing; state changes go out at once. */
const STATUS_INTERVAL_MS = 250;
/** While indexing, queries see new photos after at most this long. */
const QUERY_REFRESH_MS = 5000;

const idle = (): Omit<IndexStatus, 'libraryPhotos' | 'failures' | 'failuresTotal' | 'provider'> => ({
  state: 'idle',
  total: 0,
  done: 0,
  indexed: 0,
  failed: 0,
  skipped: 0,
  imagesPerSecond: 0,
  etaSeconds: 0,
});

export class Library implements PhotowordsBackend {
  private readonly listeners = new Set<(e: BackendEvent) => void>();
  private readonly guard = new PathGuard((p) => this.engine.store.getByPath(p)?.status === 'indexed');
  private readonly thumbs: ThumbnailCache;
  private run: ReturnType<typeof idle> & { current?: string; message?: string } = idle();
  /**
   * Photos done by runs stopped part way (pause, an error) since the last run that finished. The
   * next run plans only what is left, so without them progress after Resume would start again
   * at "8 of 1,304" instead of going on at "360 of 1,360".
   */
  private carried = 0;
  private failureLog: IndexFailure[] = [];
  private failuresTotal = 0;
  private paused = false;
  private closing = false;
  private dirty = false;
  private loop?: Promise<void>;
  private abort?: AbortController;
  private lastStatusAt = 0;
  private statusTimer?: NodeJS.Timeout;
  private queriesAt = 0;
  private queriesSeen = 0;
  /** Settings changes reopen the engine; every call waits for a reopen in progress. */
  private swapping: Promise<void> = Promise.resolve();
  private datesFill?: Promise<void>;
  /** The next run reconciles every folder (else it applies the watcher's changes only). */
  private needsFull = true;
  private changes: ChangeSet = emptyChangeSet();
  /** Resolved when the changes taken by a run are applied (the watcher's backpressure). */
  private changeWaiters: (() => void)[] = [];
  private watcher?: FolderWatcher;
  private watching: Promise<void> = Promise.resolve();
  private pollTimer?: NodeJS.Timeout;
  private onlineState = new Map<string, boolean>();
  private lock?: DbLock;
  /** The last duplicate search, and the one running (see duplicateReport); `key` names its options and the decisions it saw. */
  private dupCache?: { engine: Engine; changes: number; key: string; report: DuplicateReport };
  private dupRunning?: { engine: Engine; changes: number; key: string; promise: Promise<DuplicateReport> };
  /** Bumped by every decision made or undone: the store's change count does not see them. */
  private decisionsVersion = 0;
  /**
   * Photos checked for the trash (photoTarget) and not yet forgotten, as they were indexed: what
   * the trashed table records, even if the watcher forgets the vanished file first.
   */
  private trashing = new Map<string, ImageRecord>();
  /** Where addFolder may add from (photowords serve sets it; the desktop app's picker needs none). */
  rootPolicy?: RootPolicy;
  readonly activity: LibraryActivity = { reconciles: 0, changeSets: 0, modelPhotos: 0, reused: 0, moved: 0, touched: 0, removed: 0 };

  private constructor(
    private engine: Engine,
    readonly dbPath: string,
    private readonly opts: LibraryOptions,
  ) {
    this.thumbs = new ThumbnailCache(opts.thumbsDir ?? path.join(path.dirname(dbPath), 'thumbnails'));
    this.guard.setFolders(this.folderRows().map((f) => f.path));
    const failures = engine.store.failures();
    this.failuresTotal = failures.length;
    this.failureLog = failures.slice(0, MAX_FAILURES).map((f) => ({ path: f.path, reason: f.error }));
  }

  static async open(dbPath: string, opts: LibraryOptions = {}): Promise<Library> {
    const abs = path.resolve(dbPath);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    // One writer per database: a second serve, daemon or app on it stops here, before the model loads.
    const lock = DbLock.acquire(abs, opts.lockKind);
    let lib: Library;
    try {
      const provider = opts.provider ?? Library.storedProvider(abs);
      // An index of another model (an update's backbone or codebook) is rebuilt from the photos
      // in its folders on the person's settings, rather than locking them out of their library.
      const engine = await Engine.open(abs, { provider, log: opts.log, otherModel: 'rebuild' });
      if (opts.remoteIndex) {
        const { RemoteIndex, queryStats } = await import('../opensearch/client.js');
        try {
          engine.remote = await RemoteIndex.connect(opts.remoteIndex.url, queryStats(engine.store, opts.remoteIndex.statsFile), { index: opts.remoteIndex.index });
        } catch (e) {
          await engine.close();
          throw e;
        }
      }
      lib = new Library(engine, abs, { ...opts, provider });
    } catch (e) {
      lock.release();
      throw e;
    }
    lib.lock = lock;
    for (const f of lib.folderRows()) lib.onlineState.set(f.path, lib.isOnline(f.path));
    if (opts.watch ?? opts.autoIndex !== false) {
      lib.watcher = new FolderWatcher({ ...opts.watcher, onBatch: (c) => lib.onChanges(c), log: opts.log, includeHidden: lib.engine.includeHidden });
      lib.watchFolders();
    }
    lib.pollTimer = setInterval(() => lib.pollFolders(), opts.pollMs ?? 3000);
    lib.pollTimer.unref();
    if (opts.autoIndex !== false) lib.kick();
    lib.fillDates();
    return lib;
  }

  // ---- watching --------------------------------------------------------------------------------

  /**
   * A folder is online when its root is a readable folder. An empty root while the index holds
   * photos under it is taken for an unmounted disk's mount point, not for every photo deleted:
   * its photos are kept until it has files again (remove the folder to forget them).
   */
  private isOnline(dir: string): boolean {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return false;
    try {
      const d = fs.opendirSync(dir);
      try {
        if (d.readSync()) return true;
      } finally {
        d.closeSync();
      }
    } catch {
      return false;
    }
    const known = this.engine.store.countUnder(dir);
    return known.indexed + known.failed === 0;
  }

  private folderOf(p: string): string | undefined {
    return this.folderRows().find((f) => p === f.path || p.startsWith(f.path + path.sep))?.path;
  }

  /** Watches the online folders (after the watcher is ready, a reconcile closes the gap). */
  private watchFolders(): void {
    const watcher = this.watcher;
    if (!watcher || this.closing) return;
    const roots = this.folderRows()
      .map((f) => f.path)
      .filter((p) => this.onlineState.get(p) ?? this.isOnline(p));
    const same = roots.length === watcher.watchedRoots.length && roots.every((r) => watcher.watchedRoots.includes(r));
    if (same) return;
    this.watching = this.watching
      .then(() => watcher.setRoots(roots))
      // What changed between the last scan and the watcher being ready: one more (cheap) reconcile.
      .then(() => {
        if (this.opts.autoIndex !== false) this.kick();
      })
      .catch((e) => this.opts.log?.(`Could not watch the library folders: ${(e as Error).message}`));
  }

  /** Folders going offline (an unplugged disk) and coming back; those back are reconciled. */
  private pollFolders(): void {
    if (this.closing) return;
    let changed = false;
    let back = false;
    try {
      for (const f of this.folderRows()) {
        const now = this.isOnline(f.path);
        const was = this.onlineState.get(f.path);
        if (was === now) continue;
        this.onlineState.set(f.path, now);
        if (was === undefined) {
          changed = true; // a new folder: watch it
          continue;
        }
        changed = true;
        back ||= now;
        this.opts.log?.(now ? `${f.path} is back; looking for what changed.` : `${f.path} is offline; its photos are kept until it is back.`);
      }
    } catch {
      return; // the engine is being reopened (settings)
    }
    if (!changed) return;
    this.watchFolders();
    this.emit({ type: 'library', folders: this.folderRows().map((r) => this.folderInfo(r)) });
    if (back) this.kick();
  }

  /** A change set from the watcher; resolves when it has been applied (or the library closes). */
  private onChanges(c: ChangeSet): Promise<void> {
    if (this.closing) return Promise.resolve();
    mergeChangeSets(this.changes, c);
    return new Promise<void>((resolve) => {
      this.changeWaiters.push(resolve);
      this.kick(false);
    });
  }

  /** The watcher's counts (events, batches), when it runs. */
  get watcherStats(): WatcherStats | undefined {
    return this.watcher?.stats;
  }

  /** Waits until the watcher has handed on every change and indexing has caught up. */
  async whenQuiet(): Promise<void> {
    for (;;) {
      await this.watching;
      await this.watcher?.whenQuiet();
      await this.whenIdle();
      if (!this.loop && !this.watcher?.stats.pending && changeSetSize(this.changes) === 0) return;
    }
  }

  private static storedProvider(dbPath: string): ProviderName {
    // Read before the engine opens, since the provider decides how the model is loaded.
    const v = IndexStore.readPref(dbPath, 'provider');
    return v && (PROVIDERS as string[]).includes(v) ? (v as ProviderName) : 'auto';
  }

  onEvent(listener: (e: BackendEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: BackendEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A broken window must not stop indexing or the other windows.
      }
    }
  }

  // ---- folders ---------------------------------------------------------------------------------

  // In the order a person reads names: case ignored, "2" before "10" (SQLite's order put "b" after "Z").
  private folderRows() {
    return this.engine.store.listFolders().sort((a, b) => naturalCompare(a.path, b.path));
  }

  private folderInfo(row: { id: number; path: string }): FolderInfo {
    const c = this.engine.store.countUnder(row.path);
    const notReadKinds = this.engine.store
      .notReadSummary(row.path, NOT_READ_EXAMPLES)
      .map((k): NotReadGroup => ({ kind: k.kind, label: notReadLabel(k.kind, k.files), files: k.files, examples: k.examples }));
    return {
      id: row.id,
      path: row.path,
      photos: c.indexed,
      failed: c.failed,
      notRead: notReadKinds.reduce((n, k) => n + k.files, 0),
      notReadKinds,
      online: this.onlineState.get(row.path) ?? this.isOnline(row.path),
    };
  }

  async listFolders(): Promise<FolderInfo[]> {
    await this.swapping;
    return this.folderRows().map((r) => this.folderInfo(r));
  }

  async addFolder(input: string): Promise<FolderInfo> {
    await this.swapping;
    if (typeof input !== 'string' || input.trim() === '') throw new ApiError('bad-request', 'Type the path of a folder to add.');
    const raw = input.trim().replace(/^~(?=$|\/)/, os.homedir());
    if (!path.isAbsolute(raw)) throw new ApiError('bad-request', `Give the folder's full path (starting with ${path.sep}), not ${input}.`);
    const dir = path.resolve(raw);
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st) throw new ApiError('not-found', `There is no folder at ${dir}.`);
    if (!st.isDirectory()) throw new ApiError('bad-request', `${dir} is a file, not a folder.`);
    try {
      fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
    } catch {
      throw new ApiError('forbidden', `Photowords may not read ${dir} (permission denied).`);
    }
    const refused = this.rootPolicy?.refusal(dir);
    if (refused) throw new ApiError('forbidden', refused);
    const rows = this.folderRows();
    const within = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
    const same = rows.find((r) => r.path === dir);
    if (same) throw new ApiError('bad-request', `${dir} is already in the library.`);
    const parent = rows.find((r) => within(dir, r.path));
    if (parent) throw new ApiError('bad-request', `${dir} is already in the library, inside ${parent.path}.`);
    // A parent of existing folders takes them over: their photos are its photos.
    const id = this.engine.store.transaction(() => {
      for (const r of rows) if (within(r.path, dir)) this.engine.store.deleteFolder(r.id);
      return this.engine.store.addFolder(dir);
    });
    this.foldersChanged();
    this.kick();
    return this.folderInfo({ id, path: dir });
  }

  async removeFolder(id: number): Promise<void> {
    await this.swapping;
    const row = this.folderRows().find((r) => r.id === id);
    if (!row) throw new ApiError('not-found', 'That folder is not in the library (any more).');
    // The run may be reading this folder; stop it, forget the folder, then go on with the rest.
    await this.stopRun();
    const others = this.folderRows().filter((r) => r.id !== id);
    const store = this.engine.store;
    store.transaction(() => {
      store.deleteFolder(id);
      for (const p of store.pathsUnder(row.path)) {
        if (!others.some((o) => p.startsWith(o.path + path.sep))) store.remove(p);
      }
      // Library folders never nest (addFolder refuses a folder inside another), so all of these go.
      store.forgetNotReadUnder(row.path);
    });
    this.engine.refreshQueries();
    this.foldersChanged();
    if (!this.paused) this.kick();
  }

  private foldersChanged(): void {
    this.guard.setFolders(this.folderRows().map((f) => f.path));
    const rows = this.folderRows();
    for (const f of rows) if (!this.onlineState.has(f.path)) this.onlineState.set(f.path, this.isOnline(f.path));
    for (const p of [...this.onlineState.keys()]) if (!rows.some((f) => f.path === p)) this.onlineState.delete(p);
    this.watchFolders();
    this.emit({ type: 'library', folders: this.folderRows().map((r) => this.folderInfo(r)) });
  }

  // ---- photos ----------------------------------------------------------------------------------

  async listPhotos(q: ListPhotosQuery): Promise<PhotoPage> {
    await this.swapping;
    const offset = Math.max(0, Math.floor(Number(q?.offset) || 0));
    const limit = Math.min(MAX_PAGE, Math.max(0, Math.floor(Number(q?.limit) || 0)));
    const { filter, sort, order } = this.photoQuery(q);
    const list = this.engine.store.photoList();
    const total = list.count(filter);
    const rows = limit ? list.page(filter, sort, order, offset, limit) : [];
    return { total, offset, items: rows.map(listedPhoto) };
  }

  async photoDates(q: PhotoDatesQuery): Promise<PhotoDates> {
    await this.swapping;
    const { filter, order } = this.photoQuery({ ...q, sort: 'taken' });
    return photoDates(this.engine.store.photoList(), filter, order);
  }

  async listSubfolders(folderId: number): Promise<SubfolderNode> {
    await this.swapping;
    const folder = this.folderRows().find((r) => r.id === folderId);
    if (!folder) throw new ApiError('not-found', 'That folder is not in the library (any more).');
    return subfolderTree(this.engine.store.photoList(), folder.path);
  }

  /** A listPhotos / photoDates query checked: its folder, subfolder, search, sort and order. */
  private photoQuery(q: Partial<ListPhotosQuery> | undefined) {
    if (q !== undefined && (q === null || typeof q !== 'object')) throw new ApiError('bad-request', 'The photo query must be an object.');
    let folder: string | undefined;
    if (q?.folderId !== undefined && q.folderId !== null) {
      folder = this.folderRows().find((r) => r.id === q.folderId)?.path;
      if (folder === undefined) throw new ApiError('not-found', 'That folder is not in the library (any more).');
    }
    try {
      return resolveQuery(q ?? {}, folder, this.folderRows().map((r) => r.path));
    } catch (e) {
      throw e instanceof PhotoQueryError ? new ApiError('bad-request', e.message) : e;
    }
  }

  /**
   * Reads the date taken of photos an older index (before schema 8) has none for, in the
   * background; new photos get theirs as they are indexed. The grid is told every few seconds,
   * so its order and sections fill in while it is open.
   */
  private fillDates(): void {
    if (this.datesFill || this.closing) return;
    let told = Date.now();
    const tell = () => {
      told = Date.now();
      if (!this.closing) this.emit({ type: 'library', folders: this.folderRows().map((r) => this.folderInfo(r)) });
    };
    this.datesFill = (async () => {
      await this.swapping;
      const filled = await fillTaken(() => ({ photoList: this.engine.store.photoList(), transaction: (fn) => this.engine.store.transaction(fn) }), {
        stop: () => this.closing,
        onBatch: () => {
          if (Date.now() - told > 3000) tell();
        },
      });
      if (filled > 0) {
        this.opts.log?.(`Read the date taken of ${filled} photos indexed before dates were kept.`);
        tell();
      }
    })()
      .catch((e) => this.opts.log?.(`Reading dates taken stopped: ${(e as Error).message}`))
      .finally(() => (this.datesFill = undefined));
  }

  async photo(id: number): Promise<PhotoDetail> {
    await this.swapping;
    const rec = this.engine.store.getById(Number(id));
    if (!rec) throw new ApiError('not-found', 'That photo is not in the library (any more).');
    const folder = this.folderRows().find((f) => rec.path.startsWith(f.path + path.sep));
    return {
      ...summary(rec),
      size: rec.size,
      mtimeMs: rec.mtimeMs,
      hash: rec.hash ?? null,
      folderId: folder?.id ?? null,
    };
  }

  async photoInfo(id: number): Promise<PhotoInfo> {
    await this.swapping;
    const rec = this.engine.store.getById(Number(id));
    if (!rec || rec.status !== 'indexed') throw new ApiError('not-found', 'That photo is not in the library (any more).');
    try {
      return await readPhotoInfo(rec);
    } catch (err) {
      if (err instanceof PhotoInfoError) throw new ApiError(err.code, err.message);
      throw err;
    }
  }

  // ---- similar ---------------------------------------------------------------------------------

  private similarity(opts?: SimilarOptions): SimilarityName {
    const s = opts?.similarity ?? (this.engine.store.getPref('similarity') as SimilarityName | undefined) ?? DEFAULT_SIMILARITY;
    if (!SIMILARITIES.includes(s)) throw new ApiError('bad-request', `Unknown scoring "${s}"; choose one of ${SIMILARITIES.join(', ')}.`);
    return s;
  }

  private top(opts?: SimilarOptions): number {
    const top = opts?.top ?? 50;
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) throw new ApiError('bad-request', `top must be a whole number from 1 to ${MAX_TOP}.`);
    return top;
  }

  /** During a long run, queries pick up what was indexed since they were built, now and then. */
  private freshQueries(): void {
    const now = Date.now();
    if (!this.loop || now - this.queriesAt < QUERY_REFRESH_MS) return;
    const n = this.engine.store.stats().indexed;
    if (n !== this.queriesSeen) this.engine.refreshQueries();
    this.queriesAt = now;
    this.queriesSeen = n;
  }

  private withPhotos(ranked: { id: number; path: string; score: number }[]): SimilarResult['results'] {
    return ranked.map((r) => {
      const rec = this.engine.store.getById(r.id);
      return { ...summary(rec ?? { id: r.id, path: r.path, width: null, height: null }), score: r.score };
    });
  }

  async similar(id: number, opts?: SimilarOptions): Promise<SimilarResult> {
    await this.swapping;
    const t = performance.now();
    const rec = this.engine.store.getById(Number(id));
    if (!rec || rec.status !== 'indexed') throw new ApiError('not-found', 'That photo is not in the library (any more).');
    const similarity = this.similarity(opts);
    const top = this.top(opts);
    this.freshQueries();
    let r;
    try {
      r = await this.engine.similar(rec.path, { top, similarity });
    } catch (e) {
      throw userError(e, rec.path);
    }
    return {
      query: { id: rec.id, path: rec.path, name: path.basename(rec.path), indexed: r.query.indexed },
      results: this.withPhotos(r.results),
      similarity: r.similarity,
      nothingClose: nothingClose(r.results, r.similarity, rec.id),
      queryMs: r.queryMs,
      totalMs: performance.now() - t,
    };
  }

  async similarToFile(file: UploadedFile, opts?: SimilarOptions): Promise<SimilarResult> {
    await this.swapping;
    const t = performance.now();
    const name = typeof file?.name === 'string' && file.name ? path.basename(file.name) : 'photo';
    if (!file?.bytes || file.bytes.byteLength === 0) throw new ApiError('bad-request', `${name} is empty.`);
    const similarity = this.similarity(opts);
    const top = this.top(opts);
    this.freshQueries();
    let q;
    try {
      q = await this.engine.describeBytes(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength), file.name);
    } catch (e) {
      throw userError(e, name);
    }
    const r = await this.engine.rankAny(q, { top, similarity });
    return {
      query: { name, indexed: false },
      results: this.withPhotos(r.results),
      similarity: r.similarity,
      nothingClose: nothingClose(r.results, r.similarity),
      queryMs: r.queryMs,
      totalMs: performance.now() - t,
    };
  }

  // ---- duplicates ------------------------------------------------------------------------------

  private thresholdOf(name: string, value: unknown, fallback: number): number {
    const s = value ?? fallback;
    if (typeof s !== 'number' || !(s > 0 && s <= 1)) {
      throw new ApiError('bad-request', `The ${name} is a number above 0 and at most 1, not ${JSON.stringify(s)}.`);
    }
    return s;
  }

  private duplicateOptions(opts?: DuplicatesOptions): { sensitivity: number; similarShots: number; burstSeconds: number } {
    const burstSeconds = opts?.burstSeconds ?? DEFAULT_BURST_SECONDS;
    if (typeof burstSeconds !== 'number' || !(burstSeconds >= 0 && burstSeconds <= 86_400)) {
      throw new ApiError('bad-request', `A burst is photos taken within 0 to 86,400 seconds of each other, not ${JSON.stringify(burstSeconds)}.`);
    }
    return {
      sensitivity: this.thresholdOf('sensitivity', opts?.sensitivity, DEFAULT_SENSITIVITY),
      similarShots: this.thresholdOf('similar-shots threshold', opts?.similarShots, DEFAULT_SIMILAR_SHOTS),
      burstSeconds,
    };
  }

  /**
   * The groups at these settings. A search looks at every photo's neighbours (seconds for a few
   * thousand photos), so the view, a report export right after it and a second window share one
   * answer while neither the index nor the person's decisions have changed since.
   */
  private async duplicateReport(o: { sensitivity: number; similarShots: number; burstSeconds: number }): Promise<DuplicateReport> {
    await this.swapping;
    const engine = this.engine;
    const store = engine.store;
    const key = `${o.sensitivity}|${o.similarShots}|${o.burstSeconds}|${this.decisionsVersion}`;
    const cached = this.dupCache;
    if (cached && cached.engine === engine && cached.changes === store.changeCount && cached.key === key) return cached.report;
    const running = this.dupRunning;
    if (running && running.engine === engine && running.changes === store.changeCount && running.key === key) return running.promise;
    this.freshQueries();
    // Counted before the search: a photo indexed while it runs makes the next ask search again.
    const changes = store.changeCount;
    const promise = findDuplicates(store, {
      ...o,
      live: engine.liveIndex(),
      // Only an older index's missing perceptual hashes take long enough to need a bar.
      onProgress: (p) => this.emit({ type: 'duplicates-progress', phase: p.phase, done: p.done, total: p.total }),
    })
      .then((report) => {
        this.dupCache = { engine, changes, key, report };
        return report;
      })
      .catch((e: unknown) => {
        throw new ApiError('internal', `Could not look for duplicates: ${(e as Error)?.message ?? String(e)}`);
      })
      .finally(() => {
        if (this.dupRunning?.promise === promise) this.dupRunning = undefined;
      });
    this.dupRunning = { engine, changes, key, promise };
    return promise;
  }

  private groupView(g: DuplicateGroup): DuplicateGroupView {
    const store = this.engine.store;
    const view: DuplicateGroupView = {
      tier: g.tier,
      keeper: g.keeper,
      reason: g.reason,
      key: g.key,
      members: g.members.map((m): DuplicatePhoto => {
        const p: DuplicatePhoto = {
          ...summary(m),
          size: m.size,
          mtimeMs: store.getById(m.id)?.mtimeMs ?? 0,
          captureDate: m.captureDate,
          hash: m.hash,
          score: m.score,
          identical: m.identical,
          keep: m.id === g.keeper,
        };
        if (m.link) {
          p.link = { ...m.link };
          p.why = whyLinked(m);
        }
        if (m.phashDistance !== undefined) p.phashDistance = m.phashDistance;
        if (m.transform) p.transform = m.transform;
        if (m.protect) p.protect = m.protect;
        return p;
      }),
    };
    if (g.related?.length) view.related = g.related.map((r) => ({ ...r }));
    if (g.decision) view.decision = { ...g.decision };
    return view;
  }

  async duplicates(opts?: DuplicatesOptions): Promise<DuplicatesResult> {
    const o = this.duplicateOptions(opts);
    const report = await this.duplicateReport(o);
    const keyOf = new Map(report.groups.map((g, i) => [i, g.key]));
    return {
      groups: report.groups.map((g) => this.groupView(g)),
      similar: report.similar.map((g) => ({
        kind: g.kind,
        key: g.key,
        members: g.members.map((m) => {
          const p = { ...summary(m), size: m.size, hash: m.hash, score: m.score } as DuplicatesResult['similar'][number]['members'][number];
          if (m.captureDate) p.captureDate = m.captureDate;
          const dg = m.duplicateGroup === undefined ? undefined : keyOf.get(m.duplicateGroup);
          if (dg) p.duplicateGroup = dg;
          return p;
        }),
      })),
      keptAll: report.keptAll.map((g) => this.groupView(g)),
      decisions: report.decisions,
      photos: report.photos,
      sensitivity: report.sensitivity,
      defaultSensitivity: DEFAULT_SENSITIVITY,
      similarShots: report.similarShots,
      defaultSimilarShots: DEFAULT_SIMILAR_SHOTS,
      burstSeconds: o.burstSeconds,
      ms: report.ms,
    };
  }

  // ---- decisions about duplicates ----------------------------------------------------------------

  private decisionView(d: Decision): DecisionView {
    const store = this.engine.store;
    const photo = (p: { id: number; path: string }) => summary(store.getById(p.id) ?? { id: p.id, path: p.path });
    return {
      id: d.id,
      kind: d.kind,
      createdAt: d.createdAt,
      photos: d.photos.flatMap((h) => h.photos.map(photo)),
      keeper: d.kind === 'keeper' ? (d.photos.find((h) => h.hash === d.keeper)?.photos.map(photo) ?? []) : null,
      missing: d.photos.filter((h) => h.photos.length === 0).length,
      stale: d.stale,
    };
  }

  /** Decisions change what a search answers without changing the index: the cached search goes. */
  private decisionsChanged(): void {
    this.decisionsVersion++;
    this.dupCache = undefined;
  }

  async decideDuplicates(d: DecisionRequest): Promise<DecisionView> {
    await this.swapping;
    const kinds: DecisionKind[] = ['not-duplicates', 'keep-all', 'keeper'];
    if (!d || typeof d !== 'object' || !kinds.includes(d.kind)) throw new ApiError('bad-request', `A decision is one of ${kinds.join(', ')}.`);
    if (!Array.isArray(d.ids) || d.ids.length < 2 || d.ids.length > 10_000 || !d.ids.every((id) => Number.isInteger(id))) {
      throw new ApiError('bad-request', 'A decision names at least two photos by their ids (whole numbers).');
    }
    const store = this.engine.store;
    const hashOf = new Map<number, string>();
    for (const id of new Set(d.ids)) {
      const rec = store.getById(id);
      if (!rec || rec.status !== 'indexed') throw new ApiError('not-found', `Photo ${id} is not in the library (any more). Look for duplicates again.`);
      if (!rec.hash) throw new ApiError('bad-request', `${path.basename(rec.path)} has no content hash yet; wait until it is indexed.`);
      hashOf.set(id, rec.hash);
    }
    let keeper: string | undefined;
    if (d.kind === 'keeper') {
      if (d.keeper === undefined || !hashOf.has(d.keeper)) throw new ApiError('bad-request', 'The photo to keep must be one of the group.');
      keeper = hashOf.get(d.keeper);
    }
    const hashes = [...new Set(hashOf.values())];
    // Decisions are kept by content: copies with the very same bytes cannot be told apart by one.
    if (hashes.length < 2 || (keeper && hashes.every((h) => h === keeper))) {
      throw new ApiError('bad-request', 'These photos have the very same bytes; a decision is kept by content, so it cannot tell them apart.');
    }
    let id: number;
    try {
      id = store.addDecision(d.kind, hashes, keeper);
    } catch (e) {
      throw new ApiError('bad-request', `The decision was not stored: ${(e as Error)?.message ?? String(e)}.`);
    }
    this.decisionsChanged();
    const stored = store.listDecisions().find((x) => x.id === id);
    if (!stored) throw new ApiError('internal', 'The decision was stored but cannot be read back.');
    return this.decisionView(stored);
  }

  async listDecisions(): Promise<DecisionView[]> {
    await this.swapping;
    return this.engine.store.listDecisions().map((d) => this.decisionView(d));
  }

  async undoDecision(id: number): Promise<{ undone: boolean }> {
    await this.swapping;
    if (!Number.isInteger(id)) throw new ApiError('bad-request', `Name the decision by its id (a whole number), not ${JSON.stringify(id)}.`);
    if (!this.engine.store.deleteDecision(id)) throw new ApiError('not-found', 'That decision is not stored (any more).');
    this.decisionsChanged();
    return { undone: true };
  }

  // ---- why two photos match -------------------------------------------------------------------

  /** Where the visual words two indexed photos share lie in each, weighed as the index's cosine weighs them (explain.ts). */
  async explain(a: number, b: number, opts?: ExplainOptions): Promise<PairExplanation> {
    await this.swapping;
    const top = opts?.top ?? DEFAULT_EXPLAIN_TOP;
    if (!Number.isInteger(top) || top < 0 || top > MAX_EXPLAIN_TOP) throw new ApiError('bad-request', `top must be a whole number from 0 to ${MAX_EXPLAIN_TOP}.`);
    for (const id of [a, b]) if (!Number.isInteger(id)) throw new ApiError('bad-request', `Name each photo by its id (a whole number), not ${JSON.stringify(id)}.`);
    this.freshQueries();
    try {
      return explainStored(this.engine.store, this.engine.impactIndex(), kgramSettings(this.engine.settings), a, b, { top });
    } catch (e) {
      if (e instanceof ExplainError) throw new ApiError('not-found', `${e.message}.`);
      throw new ApiError('internal', `Could not explain the match: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  /** explainStored over the library's query snapshot, for the report's overlays (no word list). */
  private explainer(): (a: number, b: number) => PairExplanation {
    const store = this.engine.store;
    const snap = this.engine.impactIndex();
    const s = kgramSettings(this.engine.settings);
    return (a, b) => explainStored(store, snap, s, a, b, { top: 0 });
  }

  /** The duplicates report as a file to save: self-contained HTML (thumbnails embedded), CSV or JSON. */
  async duplicatesReport(format: ReportFormat, opts?: DuplicatesOptions): Promise<{ name: string; type: string; text: string }> {
    if (format !== 'html' && format !== 'csv' && format !== 'json') throw new ApiError('bad-request', `A report is html, csv or json, not ${String(format)}.`);
    const report = await this.duplicateReport(this.duplicateOptions(opts));
    const folders = this.folderRows().map((f) => f.path);
    const text =
      format === 'html'
        ? await reportHtml(report, { title: folders.length ? folders.join(', ') : this.dbPath, explain: this.explainer() })
        : format === 'csv'
          ? reportCsv(report)
          : reportJson(report);
    return { name: reportFileName(format), type: REPORT_TYPES[format], text };
  }

  /**
   * The path of an indexed library photo a person asked to trash or reveal, or why not: only a
   * photo the index holds, inside a library folder (the path guard), and for the trash only while
   * it is the file that was indexed (what the person compared is what goes).
   */
  async photoTarget(photoPath: string, action: 'trash' | 'reveal'): Promise<string> {
    await this.swapping;
    if (typeof photoPath !== 'string' || photoPath === '') throw new ApiError('bad-request', 'Name the photo by its path.');
    await this.checkedFile(photoPath, 'forbidden');
    const asked = path.resolve(photoPath);
    const name = path.basename(asked);
    const rec = this.engine.store.getByPath(asked);
    if (!rec || rec.status !== 'indexed') throw new ApiError('forbidden', `refused: ${photoPath} is not a photo the library has indexed`);
    if (action === 'trash') {
      const st = fs.statSync(rec.path, { throwIfNoEntry: false });
      if (!st) throw new ApiError('not-found', `${name} is no longer in its folder.`);
      if (st.size !== rec.size || st.mtimeMs !== rec.mtimeMs) {
        throw new ApiError('busy', `${name} has changed since it was indexed, so it was not moved to the trash. Look for duplicates again once it is indexed again.`);
      }
      this.trashing.set(rec.path, rec);
    }
    // The path as indexed, not the link's target: a photo reached through a link leaves the library
    // with the link, and nothing outside the library folders is touched.
    return rec.path;
  }

  /**
   * After the file went to the trash (here or in Electron's main process): the index forgets it
   * and the trashed table records it. `quiet` leaves the status and library events to the caller
   * (a batch sends them once, through trashSettled).
   */
  async forgetTrashed(photoPath: string, quiet = false): Promise<TrashResult> {
    await this.swapping;
    const file = path.resolve(photoPath);
    const name = path.basename(file);
    if (fs.lstatSync(file, { throwIfNoEntry: false })) {
      throw new ApiError('internal', `${name} is still in its folder after moving it to the trash, so the library keeps it.`);
    }
    const store = this.engine.store;
    const rec = store.getByPath(file);
    const was = rec ?? this.trashing.get(file);
    this.trashing.delete(file);
    if (was) {
      store.addTrashed({
        path: was.path,
        folder: this.folderOf(was.path) ?? null,
        bytes: was.size,
        hash: was.hash,
        mtimeMs: was.mtimeMs,
        width: was.width,
        height: was.height,
        trashedAt: Date.now(),
      });
    }
    if (rec) {
      const cached = this.dupCache;
      const current = cached !== undefined && cached.engine === this.engine && cached.changes === store.changeCount;
      store.remove(file);
      this.engine.refreshQueries();
      // The shown groups stay valid without the photo, unless it was a group's suggested keeper.
      if (current && cached) {
        const groups = cached.report.groups;
        const hit = groups.find((g) => g.members.some((m) => m.id === rec.id));
        if (hit?.keeper === rec.id) this.dupCache = undefined;
        else {
          if (hit) {
            hit.members = hit.members.filter((m) => m.id !== rec.id);
            if (hit.members.length < 2) groups.splice(groups.indexOf(hit), 1);
          }
          cached.report.photos--;
          cached.changes = store.changeCount;
        }
      }
    }
    if (!quiet) this.trashSettled();
    return {
      path: file,
      name,
      bytes: was?.size ?? 0,
      libraryPhotos: store.stats().indexed,
      message: `${name} is in the trash, and no longer in the library. It can be restored from the trash.`,
    };
  }

  async trashPhoto(photoPath: string): Promise<TrashResult> {
    const target = await this.photoTarget(photoPath, 'trash');
    try {
      await moveToTrash(target);
    } catch (e) {
      throw new ApiError('internal', `${path.basename(target)} could not be moved to the trash: ${(e as Error)?.message ?? String(e)}. Nothing was deleted.`);
    }
    return this.forgetTrashed(target);
  }

  /**
   * Status and folder counts after trashing (once per batch); with a batch's outcome (Electron's
   * main trashes photo by photo), that outcome as trashPhotos answers it.
   */
  trashSettled(): void;
  trashSettled(trashed: TrashManyResult['trashed'], failed: TrashManyResult['failed']): TrashManyResult;
  trashSettled(trashed?: TrashManyResult['trashed'], failed?: TrashManyResult['failed']): TrashManyResult | void {
    this.pushStatus(true);
    this.emit({ type: 'library', folders: this.folderRows().map((r) => this.folderInfo(r)) });
    if (trashed && failed) return trashManyResult(trashed, failed, this.engine.store.stats().indexed);
  }

  async trashPhotos(paths: string[]): Promise<TrashManyResult> {
    const list = checkPathList(paths);
    const trashed: TrashManyResult['trashed'] = [];
    const failed: TrashManyResult['failed'] = [];
    try {
      for (const p of list) {
        let target: string;
        try {
          target = await this.photoTarget(p, 'trash');
        } catch (e) {
          failed.push({ path: p, reason: (e as Error)?.message ?? String(e) });
          continue;
        }
        try {
          await moveToTrash(target);
        } catch (e) {
          this.trashing.delete(target);
          failed.push({ path: p, reason: `${path.basename(target)} could not be moved to the trash: ${(e as Error)?.message ?? String(e)}. Nothing was deleted.` });
          continue;
        }
        try {
          const r = await this.forgetTrashed(target, true);
          trashed.push({ path: target, bytes: r.bytes });
        } catch (e) {
          failed.push({ path: p, reason: (e as Error)?.message ?? String(e) });
        }
      }
    } finally {
      if (trashed.length > 0) this.trashSettled();
    }
    return trashManyResult(trashed, failed, this.engine.store.stats().indexed);
  }

  private trashedIndex(records: TrashedRecord[]) {
    const dirs = new Map<string, { dir: string; top: string }>();
    for (const r of records) for (const d of trashDirsFor(r.path)) dirs.set(d.dir, d);
    return readTrash([...dirs.values()]);
  }

  async listTrashed(): Promise<TrashedList> {
    await this.swapping;
    const records = this.engine.store.listTrashed();
    const supported = restoreSupported();
    const index = supported ? this.trashedIndex(records) : new Map();
    const items = records.map((r): TrashedPhoto => {
      const base = { id: r.id, path: r.path, name: path.basename(r.path), folder: r.folder, bytes: r.bytes, width: r.width, height: r.height, trashedAt: r.trashedAt };
      if (!supported) return { ...base, restorable: false, note: 'put it back with the system\'s file manager' };
      // The listing reads names only; Restore checks the bytes.
      if (!findTrashEntry(index, r, false)) {
        return { ...base, restorable: false, note: backInPlace(r) ? 'back at its place already (put back by hand)' : 'no longer in the trash (emptied, or put back by hand)' };
      }
      if (fs.lstatSync(r.path, { throwIfNoEntry: false })) return { ...base, restorable: false, note: 'a file is at its place now' };
      return { ...base, restorable: true };
    });
    return { items, restoreSupported: supported, message: trashWhereabouts() };
  }

  async restoreTrashed(ids: number[] | 'all'): Promise<RestoreResult> {
    await this.swapping;
    const store = this.engine.store;
    let records: TrashedRecord[];
    const failed: RestoreResult['failed'] = [];
    if (ids === 'all') records = store.listTrashed();
    else {
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BATCH || !ids.every((i) => Number.isInteger(i))) {
        throw new ApiError('bad-request', `Name the files to restore by their ids (a list of 1 to ${MAX_BATCH.toLocaleString('en')} whole numbers), or 'all'.`);
      }
      records = [];
      for (const id of new Set(ids)) {
        const r = store.getTrashed(id);
        if (r) records.push(r);
        else failed.push({ id, path: '', reason: 'Photowords has no record of trashing that file (restored already?).' });
      }
    }
    const restored: RestoreResult['restored'] = [];
    if (!restoreSupported()) {
      for (const r of records) failed.push({ id: r.id, path: r.path, reason: trashWhereabouts() });
      return restoreResult(restored, failed);
    }
    const index = this.trashedIndex(records);
    // Oldest first: a path trashed twice gets its older file back, then the newer is refused (a file is there).
    for (const r of [...records].sort((a, b) => a.trashedAt - b.trashedAt || a.id - b.id)) {
      const name = path.basename(r.path);
      const entry = findTrashEntry(index, r);
      if (!entry) {
        if (backInPlace(r)) {
          // Put back by hand, the same bytes: done already; the record goes.
          store.deleteTrashed(r.id);
          restored.push({ id: r.id, path: r.path });
        } else failed.push({ id: r.id, path: r.path, reason: `${name} is no longer in the trash (it was emptied, or the file was put back by hand).` });
        continue;
      }
      const folder = this.folderOf(r.path);
      try {
        // A folder of the library that is online may get its subfolder back; anything else stays as it is.
        restoreEntry(entry, r.path, { createParents: folder !== undefined && this.isOnline(folder) });
      } catch (e) {
        failed.push({ id: r.id, path: r.path, reason: e instanceof RestoreError ? `${e.message}.` : `could not put ${name} back: ${(e as Error)?.message ?? String(e)}.` });
        continue;
      }
      // Only now that the file is back: taken off the list, and (under a library folder) indexed again.
      store.deleteTrashed(r.id);
      const list = index.get(path.normalize(r.path));
      if (list) list.splice(list.indexOf(entry), 1);
      restored.push({ id: r.id, path: r.path });
    }
    const again = restored.map((r) => r.path).filter((p) => this.folderOf(p) !== undefined);
    if (again.length > 0) void this.onChanges({ files: new Set(again), gone: new Set(), dirsAdded: new Set(), dirsGone: new Set() });
    return restoreResult(restored, failed);
  }

  async similarToMany(ids: number[], opts?: SimilarOptions): Promise<SimilarResult> {
    await this.swapping;
    const t = performance.now();
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_MANY || !ids.every((i) => Number.isInteger(i))) {
      throw new ApiError('bad-request', `Find similar takes 1 to ${MAX_MANY} photos, named by their ids (whole numbers).`);
    }
    const chosen = [...new Set(ids)];
    const recs = chosen.map((id) => {
      const rec = this.engine.store.getById(id);
      if (!rec || rec.status !== 'indexed') throw new ApiError('not-found', `Photo ${id} is not in the library (any more).`);
      return rec;
    });
    const similarity = this.similarity(opts);
    const top = this.top(opts);
    this.freshQueries();
    // Each chosen photo's own ranking, fused: a photo's score is its mean score to the chosen ones,
    // where it is outside one's list counting that list's last score (what it can at most have
    // there), so a photo close to all of them beats one close to a single one by chance
    // (docs/EVAL.md, "Find similar from several photos": the same P@10 as the exact mean).
    const k = Math.max(MANY_CANDIDATES, top + chosen.length);
    const lists: Map<number, number>[] = [];
    const floors: number[] = [];
    const paths = new Map<number, string>();
    let queryMs = 0;
    for (const rec of recs) {
      let r;
      try {
        r = await this.engine.similar(rec.path, { top: k, similarity });
      } catch (e) {
        throw userError(e, rec.path);
      }
      queryMs += r.queryMs;
      const list = new Map<number, number>();
      for (const hit of r.results) {
        list.set(hit.id, hit.score);
        paths.set(hit.id, hit.path);
      }
      lists.push(list);
      // A list shorter than asked holds every photo that scores at all: outside it is 0.
      floors.push(r.results.length >= k ? Math.max(0, r.results[r.results.length - 1].score) : 0);
    }
    const sums = new Map<number, { path: string; sum: number }>();
    for (const [id, p] of paths) sums.set(id, { path: p, sum: lists.reduce((n, l, i) => n + (l.get(id) ?? floors[i]), 0) });
    const skip = new Set(chosen);
    const ranked = [...sums.entries()]
      .filter(([id]) => !skip.has(id))
      .map(([id, s]) => ({ id, path: s.path, score: s.sum / recs.length }))
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, top);
    return {
      query: { ids: chosen, name: recs.length === 1 ? path.basename(recs[0].path) : `${recs.length} photos`, indexed: true },
      results: this.withPhotos(ranked),
      similarity,
      queryMs,
      totalMs: performance.now() - t,
    };
  }

  async revealPhoto(photoPath: string): Promise<void> {
    const target = await this.photoTarget(photoPath, 'reveal');
    try {
      await revealInFolder(target);
    } catch (e) {
      throw new ApiError('unavailable', `Could not show ${path.basename(target)} in its folder: ${(e as Error)?.message ?? String(e)}.`);
    }
  }

  // ---- files for the windows -------------------------------------------------------------------

  /** The photo's real path, only for an image inside a library folder. */
  async checkedFile(photoPath: string, notIndexed: 'not-found' | 'forbidden' = 'not-found'): Promise<string> {
    try {
      return await this.guard.check(photoPath);
    } catch (e) {
      if (e instanceof PathNotIndexedError) throw new ApiError(notIndexed, e.message);
      if (e instanceof PathRefusedError) throw new ApiError('forbidden', e.message);
      throw e;
    }
  }

  /** A cached JPEG thumbnail of a library photo, made on first request. */
  async thumbnailFile(photoPath: string, size?: number): Promise<string> {
    const { real, hash } = await this.cacheKeyOf(photoPath);
    try {
      return await this.thumbs.get(real, size ?? 320, hash);
    } catch (e) {
      throw new ApiError('bad-request', `No thumbnail for ${path.basename(photoPath)}: ${(e as Error).message}`);
    }
  }

  /**
   * The file a window shows for a library photo: the photo itself where browsers read its
   * format, else a cached JPEG rendering of it (HEIC, RAW, BMP, TIFF).
   */
  async displayFile(photoPath: string): Promise<string> {
    if (!needsRendering(photoPath)) return this.checkedFile(photoPath);
    const { real, hash } = await this.cacheKeyOf(photoPath);
    try {
      return await this.thumbs.preview(real, hash);
    } catch (e) {
      throw new ApiError('bad-request', `No preview for ${path.basename(photoPath)}: ${(e as Error).message}`);
    }
  }

  private async cacheKeyOf(photoPath: string): Promise<{ real: string; hash: string | undefined }> {
    const real = await this.checkedFile(photoPath);
    const rec = this.engine.store.getByPath(photoPath) ?? this.engine.store.getByPath(real);
    const st = fs.statSync(real, { throwIfNoEntry: false });
    // The stored hash names the rendering only while the file is the one that was hashed.
    const hash = rec?.hash && st && st.size === rec.size && st.mtimeMs === rec.mtimeMs ? rec.hash : undefined;
    return { real, hash };
  }

  // ---- indexing --------------------------------------------------------------------------------

  async status(): Promise<IndexStatus> {
    return this.statusNow();
  }

  private statusNow(): IndexStatus {
    const state = this.paused ? 'paused' : this.run.state;
    return {
      ...this.run,
      state,
      libraryPhotos: this.engine.store.stats().indexed,
      failures: this.failureLog,
      failuresTotal: this.failuresTotal,
      provider: this.engine.tokenizer.provider,
    };
  }

  private pushStatus(force = false): void {
    if (this.closing) return;
    const now = Date.now();
    if (!force && now - this.lastStatusAt < STATUS_INTERVAL_MS) {
      // Throttled, but the last word always goes out.
      this.statusTimer ??= setTimeout(() => {
        this.statusTimer = undefined;
        this.pushStatus(true);
      }, STATUS_INTERVAL_MS);
      return;
    }
    this.lastStatusAt = now;
    let status: IndexStatus;
    try {
      status = this.statusNow();
    } catch {
      return; // the engine is being reopened (settings); the next push tells the news
    }
    this.emit({ type: 'status', status });
  }

  async pause(): Promise<IndexStatus> {
    this.paused = true;
    await this.stopRun();
    this.pushStatus(true);
    return this.statusNow();
  }

  async resume(): Promise<IndexStatus> {
    this.paused = false;
    this.kick();
    this.pushStatus(true);
    return this.statusNow();
  }

  /** Waits until no indexing is running (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private async stopRun(): Promise<void> {
    this.abort?.abort();
    await this.loop;
  }

  /**
   * Starts indexing unless it runs (then it runs once more after) or is paused. `full`: reconcile
   * every folder (open, folders added, back online, resume); else apply the watcher's changes.
   */
  private kick(full = true): void {
    if (full) this.needsFull = true;
    if (this.paused || this.closing) return;
    if (this.loop) {
      this.dirty = true;
      return;
    }
    this.loop = this.indexLoop().finally(() => {
      this.loop = undefined;
      this.fillDates();
      this.engine.refreshQueries();
      this.pushStatus(true);
      if (!this.closing) this.emit({ type: 'library', folders: this.folderRows().map((r) => this.folderInfo(r)) });
    });
  }

  private releaseChangeWaiters(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const w of waiters) w();
  }

  private async indexLoop(): Promise<void> {
    try {
      do {
        this.dirty = false;
        const full = this.needsFull;
        const changes = this.changes;
        const waiters = this.changeWaiters;
        if (!full && changeSetSize(changes) === 0) break;
        this.needsFull = false;
        this.changes = emptyChangeSet();
        this.changeWaiters = [];
        this.pollFolders(); // folders gone offline or back since the last look
        const folders = this.folderRows()
          .map((f) => f.path)
          .filter((p) => this.onlineState.get(p));
        const online = (p: string) => {
          const f = this.folderOf(p);
          return f !== undefined && this.isOnline(f);
        };
        const abort = (this.abort = new AbortController());
        this.run = { ...idle(), state: 'scanning' };
        this.pushStatus(true);
        const seen = new Set<string>();
        try {
          let plan: SyncPlan | undefined;
          if (full) {
            // A full reconcile also covers whatever the watcher had queued.
            if (folders.length > 0) plan = await reconcileFolders(this.engine.store, folders, { signal: abort.signal, online, includeHidden: this.engine.includeHidden });
            this.activity.reconciles++;
          } else {
            plan = await applyChangeSet(this.engine.store, changes, {
              signal: abort.signal,
              online,
              inLibrary: (p) => this.folderOf(p) !== undefined,
              includeHidden: this.engine.includeHidden,
            });
            this.activity.changeSets++;
          }
          if (plan) {
            this.activity.moved += plan.moved;
            this.activity.touched += plan.touched;
            this.activity.removed += plan.removed;
            if (plan.moved + plan.removed + plan.touched > 0 || plan.failures.length > 0) {
              this.opts.log?.(
                `Changes: ${plan.toIndex.length} to index, ${plan.moved} moved or renamed, ${plan.removed} removed, ${plan.touched} touched${plan.failures.length ? `, ${plan.failures.length} unreadable` : ''}.`,
              );
            }
            for (const f of plan.failures) this.noteFailure(f, seen);
            if (plan.moved + plan.removed > 0) this.engine.refreshQueries();
          }
          let report: IndexReport | undefined;
          if (plan?.complete && plan.toIndex.length > 0 && !abort.signal.aborted) {
            report = await this.engine.indexFiles(plan.toIndex, {
              signal: abort.signal,
              reuseByHash: true,
              onProgress: (p: IndexProgress) => {
                this.run = { ...withCarried(progressOf(p), this.carried), state: 'indexing' };
                this.pushStatus();
              },
            });
            this.activity.modelPhotos += report.modelPhotos;
            this.activity.reused += report.reused;
            for (const f of report.failures) this.noteFailure(f, seen);
          }
          this.failureLog.length = Math.min(this.failureLog.length, MAX_FAILURES);
          this.run = report ? { ...withCarried(progressOf(report), this.carried), state: 'idle', current: undefined } : idle();
          if ((plan && !plan.complete) || abort.signal.aborted) {
            // Stopped part way (pause, a folder removed, close): the next run starts over from the disk.
            this.needsFull = true;
            if (report) this.carried = this.run.done;
          } else this.carried = 0;
        } catch (e) {
          this.needsFull = true;
          if (this.run.state === 'indexing') this.carried = this.run.done;
          this.run = { ...this.run, state: 'error', message: `Indexing stopped: ${(e as Error).message}` };
          this.opts.log?.(this.run.message!);
          return;
        } finally {
          this.abort = undefined;
          for (const w of waiters) w();
        }
        if (abort.signal.aborted) return;
      } while ((this.dirty || this.needsFull || changeSetSize(this.changes) > 0) && !this.paused && !this.closing);
    } finally {
      if (this.closing) this.releaseChangeWaiters();
    }
  }

  private noteFailure(f: { path: string; reason: string }, seen: Set<string>): void {
    if (seen.has(f.path)) return;
    seen.add(f.path);
    this.failureLog.unshift({ path: f.path, reason: f.reason });
    this.failuresTotal++;
  }

  // ---- settings --------------------------------------------------------------------------------

  private userSettings(): UserSettings {
    const s = this.engine.settings;
    return {
      resolution: s.resolution,
      kernel: s.kernel,
      padding: s.padding,
      similarity: this.similarity(),
      provider: this.opts.provider ?? 'auto',
      includeHidden: this.engine.includeHidden,
    };
  }

  async getSettings(): Promise<SettingsView> {
    await this.swapping;
    return {
      settings: this.userSettings(),
      choices: {
        resolution: [224, 256, 299, 384, 512, 614],
        kernel: [1, 2, 3, 4, 5],
        padding: [0, 1, 2],
        similarity: [...SIMILARITIES],
        provider: PROVIDERS,
        includeHidden: [false, true],
      },
      reindexKeys: REINDEX_KEYS,
      unavailableProviders: this.engine.tokenizer.unavailable,
      activeProvider: this.engine.tokenizer.provider,
    };
  }

  async setSettings(change: Partial<UserSettings>): Promise<SettingsChangeResult> {
    await this.swapping;
    const cur = this.userSettings();
    const next: UserSettings = { ...cur, ...pick(change) };
    const view = await this.getSettings();
    for (const k of Object.keys(view.choices) as (keyof UserSettings)[]) {
      if (!(view.choices[k] as unknown[]).includes(next[k])) {
        throw new ApiError('bad-request', `${k} cannot be ${String(next[k])}; choose one of ${view.choices[k].join(', ')}.`);
      }
    }
    if (next.padding >= next.kernel) throw new ApiError('bad-request', `padding must be smaller than the kernel (${next.kernel}).`);
    this.engine.store.setPref('similarity', next.similarity);
    this.engine.store.setPref('provider', next.provider);
    const reindex = REINDEX_KEYS.some((k) => next[k] !== cur[k]);
    const reopen = reindex || next.provider !== cur.provider;
    const messages: string[] = [];
    if (next.similarity !== cur.similarity) messages.push(`Scoring is now ${next.similarity}.`);
    if (next.includeHidden !== cur.includeHidden) {
      // Stored with the index (the CLI's --include-hidden is the same setting), then a full
      // reconcile reads the hidden folders' photos, or forgets them and counts them as not read.
      this.engine.includeHidden = next.includeHidden;
      await this.watcher?.setIncludeHidden(next.includeHidden);
      if (!reopen) this.kick();
      messages.push(next.includeHidden ? 'Photos in hidden folders are read from now on.' : 'Hidden folders are counted as not read from now on.');
    }
    if (reopen) {
      this.swapping = this.reopen(next, reindex);
      await this.swapping;
      if (next.provider !== cur.provider) messages.push(`The model now runs on ${this.engine.tokenizer.provider}.`);
      if (reindex) messages.push('The library is being indexed again with the new settings; similar photos improve as it goes.');
    }
    if (messages.length === 0) messages.push('Nothing changed.');
    return { ...(await this.getSettings()), reindexing: reindex, message: messages.join(' ') };
  }

  private async reopen(next: UserSettings, rebuild: boolean): Promise<void> {
    const wasPaused = this.paused;
    this.paused = true;
    await this.stopRun();
    const settings = { ...this.engine.settings, resolution: next.resolution, kernel: next.kernel, padding: next.padding };
    await this.engine.close();
    try {
      this.engine = await Engine.open(this.dbPath, { settings, rebuild, provider: next.provider, log: this.opts.log });
      this.opts.provider = next.provider;
    } catch (e) {
      // Back to what worked, so the library stays usable, then tell the person why.
      this.engine = await Engine.open(this.dbPath, { provider: this.opts.provider, log: this.opts.log });
      this.paused = wasPaused;
      throw new ApiError('bad-request', `Could not apply the settings: ${(e as Error).message}`);
    }
    if (rebuild) {
      this.carried = 0;
      this.failureLog = [];
      this.failuresTotal = 0;
    }
    this.paused = wasPaused;
    this.foldersChanged();
    this.kick();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.pollTimer);
    await this.watcher?.close();
    await this.swapping.catch(() => undefined);
    await this.stopRun();
    await this.datesFill;
    this.releaseChangeWaiters();
    clearTimeout(this.statusTimer);
    this.listeners.clear();
    try {
      await this.engine.close();
    } finally {
      this.lock?.release();
    }
  }

  /** The engine, for tools and tests that need more than the app's API. */
  get engineForTools(): Engine {
    return this.engine;
  }
}

function summary(r: { id: number; path: string; width?: number | null; height?: number | null }): PhotoSummary {
  return { id: r.id, path: r.path, name: path.basename(r.path), width: r.width ?? null, height: r.height ?? null };
}

/** A run's progress counted on from the photos done before it was stopped (Library.carried). */
function withCarried<T extends { total: number; done: number }>(p: T, carried: number): T {
  return carried > 0 ? { ...p, total: p.total + carried, done: p.done + carried } : p;
}

function progressOf(p: IndexProgress): Omit<ReturnType<typeof idle>, 'state'> & { current?: string } {
  const { total, done, indexed, failed, skipped, imagesPerSecond, etaSeconds, current } = p;
  return { total, done, indexed, failed, skipped, imagesPerSecond, etaSeconds, current };
}

function pick(change: Partial<UserSettings>): Partial<UserSettings> {
  const out: Partial<UserSettings> = {};
  if (!change || typeof change !== 'object') return out;
  for (const k of ['resolution', 'kernel', 'padding', 'similarity', 'provider', 'includeHidden'] as const) {
    if (change[k] !== undefined) (out as Record<string, unknown>)[k] = change[k];
  }
  return out;
}

function userError(e: unknown, name: string): Error {
  if (e instanceof ApiError) return e;
  if (e instanceof DecodeError) return new ApiError('bad-request', `${name} could not be read as a photo: ${e.reason}`);
  const msg = (e as Error)?.message ?? String(e);
  if (/ENOENT/.test(msg)) return new ApiError('not-found', `${name} is gone from the disk.`);
  return new ApiError('internal', `Could not search with ${name}: ${msg}`);
}

/** The paths of a trashPhotos call, checked and without repeats. */
export function checkPathList(paths: unknown): string[] {
  if (!Array.isArray(paths) || paths.length === 0 || paths.length > MAX_BATCH || !paths.every((p) => typeof p === 'string' && p !== '')) {
    throw new ApiError('bad-request', `Name the photos by their paths: a list of 1 to ${MAX_BATCH.toLocaleString('en')} paths.`);
  }
  return [...new Set(paths as string[])];
}

function bytesText(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** The per-photo outcome of a batch trash, with one sentence for the person. */
export function trashManyResult(trashed: TrashManyResult['trashed'], failed: TrashManyResult['failed'], libraryPhotos: number): TrashManyResult {
  const bytes = trashed.reduce((n, t) => n + t.bytes, 0);
  const parts: string[] = [];
  if (trashed.length > 0) parts.push(`${plural(trashed.length, 'photo')} (${bytesText(bytes)}) moved to the trash; they can be restored from the Trash view.`);
  if (failed.length > 0) parts.push(`${plural(failed.length, 'photo')} not moved: ${failed[0].reason}${failed.length > 1 ? ' (and others: see each)' : ''}`);
  return { trashed, failed, libraryPhotos, message: parts.join(' ') || 'Nothing was moved to the trash.' };
}

function restoreResult(restored: RestoreResult['restored'], failed: RestoreResult['failed']): RestoreResult {
  const parts: string[] = [];
  if (restored.length > 0) parts.push(`${plural(restored.length, 'file')} put back where ${restored.length === 1 ? 'it was' : 'they were'}.`);
  if (failed.length > 0) parts.push(`${plural(failed.length, 'file')} not restored: ${failed[0].reason}`);
  return { restored, failed, message: parts.join(' ') || 'Nothing to restore.' };
}
