// The library as the app sees it: folders a person added, indexing that runs by itself (with
// pause and resume), thumbnails, "find similar", duplicates and decisions, the trash. One object
// answers the typed API of src/shared/api.ts for every shell: Electron's indexing utility process
// and `photowords serve` (and `photowords daemon`). It is a facade over one Engine (engine.ts:
// the model, the index file and its queries, which one-shot commands use alone) and the parts
// below, one job each; they share a LibraryContext (context.ts).
import fs from 'node:fs';
import path from 'node:path';
import { Engine } from './engine.js';
import type { RootPolicy } from './roots.js';
import { DbLock } from './writer-lock.js';
import type { WatcherStats } from './watcher.js';
import { LibraryContext, type LibraryOptions } from './context.js';
import { FolderService } from './folders.js';
import { Watching } from './watching.js';
import { RunLoop, type LibraryActivity } from './run-loop.js';
import { Photos } from './photos.js';
import { SearchService } from './search-service.js';
import { DuplicatesApi } from './duplicates-api.js';
import { TrashService } from './trash-service.js';
import { SettingsService, storedProvider } from './settings-service.js';
import { ModelService } from './model-service.js';
import { missingModelFallback, recoverModelChange, tuningFromEnv } from './model-change.js';
import type {
  BackendEvent,
  DecisionRequest,
  DecisionView,
  DuplicatesOptions,
  DuplicatesResult,
  ExplainOptions,
  FolderInfo,
  IndexStatus,
  ListPhotosQuery,
  PairExplanation,
  PhotoDates,
  PhotoDatesQuery,
  PhotoDetail,
  PhotoInfo,
  PhotoPage,
  PhotowordsBackend,
  ReportFormat,
  RestoreResult,
  SettingsChangeResult,
  SettingsView,
  SimilarOptions,
  SimilarResult,
  SubfolderNode,
  TrashedList,
  TrashManyResult,
  TrashResult,
  UploadedFile,
  UserSettings,
  ModelChoice,
  ModelChangeProgress,
  ChooseModelOptions,
} from '../../shared/api.js';

export type { LibraryOptions } from './context.js';
export type { LibraryActivity } from './run-loop.js';
export type { Desktop } from './trash-service.js';
export { ApiError, checkPathList, type ApiErrorCode } from './validation.js';
export { trashManyResult } from './trash-service.js';

export class Library implements PhotowordsBackend {
  private readonly ctx: LibraryContext;
  private readonly folders: FolderService;
  private readonly watching: Watching;
  private readonly run: RunLoop;
  private readonly photos: Photos;
  private readonly search: SearchService;
  private readonly dups: DuplicatesApi;
  private readonly trash: TrashService;
  private readonly settings: SettingsService;
  private readonly models: ModelService;
  private lock?: DbLock;

  private constructor(engine: Engine, dbPath: string, opts: LibraryOptions) {
    const ctx = (this.ctx = new LibraryContext(engine, dbPath, opts));
    ctx.photos = this.photos = new Photos(ctx);
    ctx.folders = this.folders = new FolderService(ctx);
    ctx.run = this.run = new RunLoop(ctx);
    ctx.watching = this.watching = new Watching(ctx);
    ctx.search = this.search = new SearchService(ctx);
    ctx.duplicates = this.dups = new DuplicatesApi(ctx);
    this.trash = new TrashService(ctx, this.photos);
    this.settings = new SettingsService(ctx, this.search);
    this.models = new ModelService(ctx, { ...tuningFromEnv(), ...opts.modelTuning });
  }

  static async open(dbPath: string, opts: LibraryOptions = {}): Promise<Library> {
    const abs = path.resolve(dbPath);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    // One writer per database: a second serve, daemon or app on it stops here, before the model loads.
    const lock = DbLock.acquire(abs, opts.lockKind);
    let lib: Library;
    try {
      const provider = opts.provider ?? storedProvider(abs);
      // An index of another model (an update's backbone or codebook) is rebuilt from the photos
      // in its folders on the person's settings, rather than locking them out of their library.
      recoverModelChange(abs, opts.log);
      // A downloaded model deleted from its cache: back to the built-in one (model-change.ts says why).
      const fallback = missingModelFallback(abs, opts.log);
      const engine = await Engine.open(abs, { provider, log: opts.log, otherModel: 'rebuild', ...(fallback ? { settings: fallback } : {}) });
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
    const reconciling = lib.watching.start();
    if (opts.autoIndex !== false && !reconciling) lib.run.kick();
    lib.photos.fillDates();
    return lib;
  }

  get dbPath(): string {
    return this.ctx.dbPath;
  }

  /** Where addFolder may add from (photowords serve sets it; the desktop app's picker needs none). */
  get rootPolicy(): RootPolicy | undefined {
    return this.folders.rootPolicy;
  }

  set rootPolicy(p: RootPolicy | undefined) {
    this.folders.rootPolicy = p;
  }

  /** What the library did without a full re-index, since it was opened. */
  get activity(): LibraryActivity {
    return this.run.activity;
  }

  /** The watcher's counts (events, batches), when it runs. */
  get watcherStats(): WatcherStats | undefined {
    return this.watching.stats;
  }

  /** How long the last start of the watches and the last full reconcile took (bench/library-open.ts). */
  get lastTimings(): { watchMs: number; reconcileMs: number } {
    return { watchMs: this.watching.lastWatchMs, reconcileMs: this.run.lastReconcileMs };
  }

  /** Waits until the watcher has handed on every change and indexing has caught up. */
  whenQuiet(): Promise<void> {
    return this.watching.whenQuiet();
  }

  onEvent(listener: (e: BackendEvent) => void): () => void {
    return this.ctx.onEvent(listener);
  }

  // ---- folders and photos ------------------------------------------------------------------------

  listFolders(): Promise<FolderInfo[]> {
    return this.folders.list();
  }

  addFolder(input: string): Promise<FolderInfo> {
    return this.folders.add(input);
  }

  removeFolder(id: number): Promise<void> {
    return this.folders.remove(id);
  }

  listPhotos(q: ListPhotosQuery): Promise<PhotoPage> {
    return this.photos.listPhotos(q);
  }

  photoDates(q: PhotoDatesQuery): Promise<PhotoDates> {
    return this.photos.photoDates(q);
  }

  listSubfolders(folderId: number): Promise<SubfolderNode> {
    return this.photos.listSubfolders(folderId);
  }

  photo(id: number): Promise<PhotoDetail> {
    return this.photos.photo(id);
  }

  photoInfo(id: number): Promise<PhotoInfo> {
    return this.photos.photoInfo(id);
  }

  /** The photo's real path, only for an image inside a library folder. */
  checkedFile(photoPath: string, notIndexed: 'not-found' | 'forbidden' = 'not-found'): Promise<string> {
    return this.photos.checkedFile(photoPath, notIndexed);
  }

  /** A cached JPEG thumbnail of a library photo, made on first request. */
  thumbnailFile(photoPath: string, size?: number): Promise<string> {
    return this.photos.thumbnailFile(photoPath, size);
  }

  /** The photo itself where browsers read its format, else a cached JPEG rendering of it. */
  displayFile(photoPath: string): Promise<string> {
    return this.photos.displayFile(photoPath);
  }

  // ---- similar -----------------------------------------------------------------------------------

  similar(id: number, opts?: SimilarOptions): Promise<SimilarResult> {
    return this.search.similar(id, opts);
  }

  similarToFile(file: UploadedFile, opts?: SimilarOptions): Promise<SimilarResult> {
    return this.search.similarToFile(file, opts);
  }

  similarToMany(ids: number[], opts?: SimilarOptions): Promise<SimilarResult> {
    return this.search.similarToMany(ids, opts);
  }

  explain(a: number, b: number, opts?: ExplainOptions): Promise<PairExplanation> {
    return this.search.explain(a, b, opts);
  }

  // ---- duplicates and decisions --------------------------------------------------------------------

  duplicates(opts?: DuplicatesOptions): Promise<DuplicatesResult> {
    return this.dups.duplicates(opts);
  }

  duplicatesReport(format: ReportFormat, opts?: DuplicatesOptions): Promise<{ name: string; type: string; text: string }> {
    return this.dups.duplicatesReport(format, opts);
  }

  decideDuplicates(d: DecisionRequest): Promise<DecisionView> {
    return this.dups.decideDuplicates(d);
  }

  listDecisions(): Promise<DecisionView[]> {
    return this.dups.listDecisions();
  }

  undoDecision(id: number): Promise<{ undone: boolean }> {
    return this.dups.undoDecision(id);
  }

  // ---- trash and reveal ----------------------------------------------------------------------------

  /** The path of an indexed library photo a person asked to trash or reveal, or why not (trash-service.ts). */
  photoTarget(photoPath: string, action: 'trash' | 'reveal'): Promise<string> {
    return this.trash.photoTarget(photoPath, action);
  }

  /** After the file went to the trash (here or in Electron's main process): forgotten and recorded. */
  forgetTrashed(photoPath: string, quiet = false): Promise<TrashResult> {
    return this.trash.forgetTrashed(photoPath, quiet);
  }

  trashPhoto(photoPath: string): Promise<TrashResult> {
    return this.trash.trashPhoto(photoPath);
  }

  /** Status and folder counts after trashing; with a batch's outcome, that outcome as trashPhotos answers it. */
  trashSettled(): void;
  trashSettled(trashed: TrashManyResult['trashed'], failed: TrashManyResult['failed']): TrashManyResult;
  trashSettled(trashed?: TrashManyResult['trashed'], failed?: TrashManyResult['failed']): TrashManyResult | void {
    if (trashed && failed) return this.trash.trashSettled(trashed, failed);
    this.trash.trashSettled();
  }

  trashPhotos(paths: string[]): Promise<TrashManyResult> {
    return this.trash.trashPhotos(paths);
  }

  revealPhoto(photoPath: string): Promise<void> {
    return this.trash.revealPhoto(photoPath);
  }

  listTrashed(): Promise<TrashedList> {
    return this.trash.listTrashed();
  }

  restoreTrashed(ids: number[] | 'all'): Promise<RestoreResult> {
    return this.trash.restoreTrashed(ids);
  }

  // ---- indexing and settings -----------------------------------------------------------------------

  async status(): Promise<IndexStatus> {
    return this.run.statusNow();
  }

  pause(): Promise<IndexStatus> {
    return this.run.pause();
  }

  resume(): Promise<IndexStatus> {
    return this.run.resume();
  }

  /** Waits until no indexing is running (tests, shutdown). */
  whenIdle(): Promise<void> {
    return this.run.whenIdle();
  }

  getSettings(): Promise<SettingsView> {
    return this.settings.getSettings();
  }

  setSettings(change: Partial<UserSettings>): Promise<SettingsChangeResult> {
    return this.settings.setSettings(change);
  }

  // ---- the model (model-service.ts, model-change.ts) ------------------------------------------------

  listModels(): Promise<ModelChoice[]> {
    return this.models.listModels();
  }

  measureModel(id: string): Promise<ModelChoice> {
    return this.models.measureModel(id);
  }

  chooseModel(id: string, opts?: ChooseModelOptions): Promise<ModelChangeProgress> {
    return this.models.chooseModel(id, opts);
  }

  modelChange(): Promise<ModelChangeProgress | null> {
    return this.models.modelChange();
  }

  cancelModelChange(): Promise<void> {
    return this.models.cancelModelChange();
  }

  async close(): Promise<void> {
    const { ctx } = this;
    // A change of model in progress is abandoned; its half-built file is removed, the index stays.
    await this.models.cancelModelChange();
    ctx.closing = true;
    await this.watching.close();
    await ctx.swapping.catch(() => undefined);
    await this.run.stopRun();
    await this.photos.whenDatesFilled();
    this.run.close();
    ctx.clearListeners();
    try {
      await ctx.engine.close();
    } finally {
      this.lock?.release();
    }
  }

  /** The engine, for tools and tests that need more than the app's API. */
  get engineForTools(): Engine {
    return this.ctx.engine;
  }
}
