// The one definition of what the UI can ask of the engine, shared by every process: the Vue
// renderer, Electron's preload and main, the indexing utility process, and the HTTP server of
// `photowords serve`. Types and constants only, so the sandboxed renderer can import it too.
//
// Every method takes and returns plain JSON-able data (structured-clone-able for Electron's IPC),
// except similarToFile's bytes, which each transport carries its own way (an ArrayBuffer over
// IPC, a raw request body over HTTP).
//
// The data shapes live in one module per feature beside this file (library, search, duplicates, trash,
// auth); this module is the contract over them (the backend's methods, events, transports) and
// re-exports each shape by name, so every process keeps importing from here.
export type {
  SimilarityName,
  ProviderName,
  NotReadKindName,
  NotReadGroup,
  FolderInfo,
  PhotoSummary,
  PhotoPage,
  PhotoDetail,
  PhotoInfo,
  PhotoSortName,
  SortOrderName,
  ListPhotosQuery,
  PhotoDatesQuery,
  PhotoDates,
  SubfolderNode,
  IndexState,
  IndexFailure,
  IndexStatus,
  UserSettings,
  SettingsView,
  SettingsChangeResult,
} from './library.js';
export { THUMB_SIZES, DEFAULT_THUMB_SIZE } from './library.js';
export type { SimilarOptions, SimilarItem, SimilarResult, UploadedFile, ExplainedPhoto, ExplainedWord, PairExplanation, ExplainOptions } from './search.js';
export type {
  DuplicatesOptions,
  DuplicateLinkView,
  PhotoTransform,
  DuplicatePhoto,
  DuplicateGroupView,
  SimilarShotPhoto,
  SimilarShotGroup,
  DuplicatesResult,
  DecisionKind,
  DecisionRequest,
  DecisionView,
  ReportFormat,
} from './duplicates.js';
export { REPORT_FORMATS, reportFileName, REPORT_TYPES } from './duplicates.js';
export type { TrashResult, TrashManyResult, TrashedPhoto, TrashedList, RestoreResult, ExportOutcome, ExportTicket } from './trash.js';
export type { AuthScope, AuthState, ApiTokenInfo, NewApiToken } from './auth.js';
export type { ModelChoice, ModelChangePhase, ModelChangeProgress, ChooseModelOptions } from './models.js';
import type {
  FolderInfo,
  PhotoPage,
  PhotoDetail,
  PhotoInfo,
  ListPhotosQuery,
  PhotoDatesQuery,
  PhotoDates,
  SubfolderNode,
  IndexStatus,
  UserSettings,
  SettingsView,
  SettingsChangeResult,
} from './library.js';
import type { SimilarOptions, SimilarResult, UploadedFile, PairExplanation, ExplainOptions } from './search.js';
import type { DuplicatesOptions, DuplicatesResult, DecisionRequest, DecisionView, ReportFormat } from './duplicates.js';
import type { TrashResult, TrashManyResult, TrashedList, RestoreResult, ExportOutcome } from './trash.js';
import type { ModelChoice, ModelChangeProgress, ChooseModelOptions } from './models.js';

/** What the engine side answers. Every transport exposes exactly these, by these names. */
export interface PhotowordsBackend {
  listFolders(): Promise<FolderInfo[]>;
  /** Adds a library folder and starts indexing it. Errors: not found, not a folder, already in the library. */
  addFolder(path: string): Promise<FolderInfo>;
  /** Removes a folder and its photos from the index (never the files themselves). */
  removeFolder(id: number): Promise<void>;
  listPhotos(q: ListPhotosQuery): Promise<PhotoPage>;
  /** Photos per day and month taken, for the same filter as listPhotos. */
  photoDates(q: PhotoDatesQuery): Promise<PhotoDates>;
  /** The folders below a library folder, as a tree (the root is the library folder itself). */
  listSubfolders(folderId: number): Promise<SubfolderNode>;
  photo(id: number): Promise<PhotoDetail>;
  /** The preview's info panel: the file now and what its metadata says (date taken, camera, lens, exposure, place). */
  photoInfo(id: number): Promise<PhotoInfo>;
  similar(id: number, opts?: SimilarOptions): Promise<SimilarResult>;
  similarToFile(file: UploadedFile, opts?: SimilarOptions): Promise<SimilarResult>;
  status(): Promise<IndexStatus>;
  pause(): Promise<IndexStatus>;
  resume(): Promise<IndexStatus>;
  getSettings(): Promise<SettingsView>;
  setSettings(change: Partial<UserSettings>): Promise<SettingsChangeResult>;
  /** Groups of duplicate photos (exact copies and near copies), each with a suggested keeper. */
  duplicates(opts?: DuplicatesOptions): Promise<DuplicatesResult>;
  /**
   * Moves an indexed library photo to the operating system's trash (never a plain delete) and
   * removes it from the index. Errors: not a photo of the library, changed since it was indexed,
   * no trash on that disk.
   */
  trashPhoto(path: string): Promise<TrashResult>;
  /** Shows an indexed library photo in the system's file manager (on the machine running the engine). */
  revealPhoto(path: string): Promise<void>;
  /**
   * Moves several indexed library photos to the system's trash in one call, each checked as
   * trashPhoto checks one; per-photo results, so one refused or failing photo leaves the others'
   * outcome intact and loses nothing. What went is recorded for listTrashed / restoreTrashed.
   */
  trashPhotos(paths: string[]): Promise<TrashManyResult>;
  /** What Photowords moved to the trash, newest first, with whether each can be put back now. */
  listTrashed(): Promise<TrashedList>;
  /**
   * Puts trashed files back where they were, where the system allows it (Linux's XDG trash: the
   * entry found by its .trashinfo's Path and DeletionDate, checked by content hash), and indexes
   * them again. Never overwrites a file at the old place. Elsewhere each is failed with why.
   */
  restoreTrashed(ids: number[] | 'all'): Promise<RestoreResult>;
  /**
   * Find similar from several library photos at once: photos ranked by their mean score to the
   * chosen ones (docs/EVAL.md, "Find similar from several photos"); the chosen photos are left out.
   */
  similarToMany(ids: number[], opts?: SimilarOptions): Promise<SimilarResult>;
  /** Why photos a and b (ids) match: per-cell weight maps of their shared visual words and the top words. */
  explain(a: number, b: number, opts?: ExplainOptions): Promise<PairExplanation>;
  /**
   * Stores a decision about photos of a duplicate group (by their contents, so it survives renames,
   * moves and re-indexing); the next duplicates() follows it. Errors: an id that is not an indexed
   * photo, a keeper not among the ids, fewer than two different contents.
   */
  decideDuplicates(d: DecisionRequest): Promise<DecisionView>;
  /** Every stored decision, newest first. */
  listDecisions(): Promise<DecisionView[]>;
  /** Removes a decision; the groups it shaped come back as the engine finds them. */
  undoDecision(id: number): Promise<{ undone: boolean }>;
  /** The catalogue's models as this machine sees them: installed, active, provider, int8 (docs/MODELS.md, "Switching models"). */
  listModels(): Promise<ModelChoice[]>;
  /** Runs a model on a few library photos (or dataset photos) and fills its msPerPhoto. Installs nothing: a model not installed is refused. */
  measureModel(id: string): Promise<ModelChoice>;
  /**
   * Starts a change of model in the background and returns its first progress at once: download
   * (if not installed), a codebook from the library's own photos, a new index beside the old one,
   * then the swap. Searches answer from the old index until 'ready'; failure or cancel leaves it as it was.
   */
  chooseModel(id: string, opts?: ChooseModelOptions): Promise<ModelChangeProgress>;
  /** The change in progress, or the last one's end ('ready', 'failed', 'cancelled'); null when none ran since the library opened. */
  modelChange(): Promise<ModelChangeProgress | null>;
  /** Stops the change in progress (nothing when none); the old index stays as it was. */
  cancelModelChange(): Promise<void>;
}

/** Methods that travel as plain JSON calls (similarToFile has its own route for the bytes). */
export const JSON_METHODS = [
  'listFolders',
  'addFolder',
  'removeFolder',
  'listPhotos',
  'photoDates',
  'listSubfolders',
  'photo',
  'photoInfo',
  'similar',
  'status',
  'pause',
  'resume',
  'getSettings',
  'setSettings',
  'duplicates',
  'trashPhoto',
  'revealPhoto',
  'trashPhotos',
  'listTrashed',
  'restoreTrashed',
  'similarToMany',
  'explain',
  'decideDuplicates',
  'listDecisions',
  'undoDecision',
  'listModels',
  'measureModel',
  'chooseModel',
  'modelChange',
  'cancelModelChange',
] as const satisfies readonly (keyof PhotowordsBackend)[];

export type JsonMethod = (typeof JSON_METHODS)[number];

export type BackendArgs<M extends keyof PhotowordsBackend> = Parameters<PhotowordsBackend[M]>;

export type BackendResult<M extends keyof PhotowordsBackend> = Awaited<ReturnType<PhotowordsBackend[M]>>;

/** Pushed from the engine to every open window. */
export type BackendEvent =
  | { type: 'status'; status: IndexStatus }
  | { type: 'library'; folders: FolderInfo[] }
  /** A duplicates search filling in perceptual hashes an older index lacks (the only slow part worth a bar). */
  | { type: 'duplicates-progress'; phase: 'phash'; done: number; total: number }
  /** A change of model, on every step (at most ~4 a second, and always on a change of phase). */
  | { type: 'model-change'; progress: ModelChangeProgress };

/** The renderer's view: the backend plus what differs by transport (URLs, native dialogs, events). */
export interface PhotowordsApi extends PhotowordsBackend {
  /** URL of a cached thumbnail of a library photo (size: longest side in px). */
  thumbUrl(path: string, size?: number): string;
  /** URL of the photo itself, for the large preview. */
  fileUrl(path: string): string;
  /** Subscribes to pushed events; returns the unsubscribe function. */
  onEvent(listener: (e: BackendEvent) => void): () => void;
  /** A native folder picker where there is one (Electron); null in a browser, which asks for a typed path. */
  pickFolder: (() => Promise<string | null>) | null;
  /**
   * Saves the duplicates report: a save dialog and the file written (Electron), or a download
   * (browser). The report is made from the library as it is now, at this sensitivity.
   */
  exportDuplicates(format: ReportFormat, opts?: DuplicatesOptions): Promise<ExportOutcome>;
  /**
   * Exports library photos as they are: Electron copies them into a folder the person picks
   * (names kept, " (2)" added where a name is taken, nothing overwritten); a browser downloads one
   * photo as its own file and several as one zip that the server streams.
   */
  exportPhotos(paths: string[]): Promise<ExportOutcome>;
  /** 'electron' or 'browser': only for wording, never for behaviour the other lacks silently. */
  readonly shell: 'electron' | 'browser';
}

/** A failed call carries this shape across every transport, so the UI can show `message` as is. */
export interface ApiErrorShape {
  message: string;
  /** 'not-found' | 'bad-request' | 'forbidden' | 'busy' | 'internal' */
  code: string;
}

// HTTP transport (photowords serve): routes, defined once for the server and the browser client.
export const HTTP = {
  /** POST, body: JSON array of arguments; reply: { result } or { error: ApiErrorShape }. */
  call: (m: JsonMethod) => `/api/call/${m}`,
  /** POST, body: the file's bytes; query: name, top, similarity. */
  similarToFile: '/api/similar-file',
  /** GET, text/event-stream of BackendEvent. */
  events: '/api/events',
  /** GET ?path=&size= : a JPEG thumbnail; 403 outside the library folders. */
  thumb: '/thumb',
  /** GET ?path= : the photo's bytes; 403 outside the library folders. */
  file: '/file',
  /** GET ?format=html|csv|json&sensitivity= : the duplicates report as a download (Content-Disposition: attachment). */
  duplicatesReport: '/api/duplicates-report',
  /** POST { paths } -> ExportTicket: the photos checked, for one download within a minute. */
  exportPrepare: '/api/export',
  /** GET ?ticket= : the photo itself, or several as one zip (stored, streamed), as a download. */
  exportDownload: '/api/export-download',
  /** GET -> AuthState. Open to everyone: the page asks it first to know whether to show setup or sign-in. */
  authState: '/api/auth/state',
  /** POST { password, setupToken? } -> AuthState (signed in). 409 once a password is set; 403 without the setup token. */
  authSetup: '/api/auth/setup',
  /** POST { password } -> AuthState (signed in). 401 wrong password, 429 rate-limited (Retry-After). */
  authLogin: '/api/auth/login',
  /** POST -> AuthState (signed out, session deleted, cookie cleared). */
  authLogout: '/api/auth/logout',
  /** POST { current, password } -> AuthState; every other session ends. */
  authPassword: '/api/auth/password',
  /** GET -> ApiTokenInfo[]; POST { name, scope } -> NewApiToken. Full-scope session only. */
  authTokens: '/api/auth/tokens',
  /** POST { id } -> { ok: true }. */
  authTokensRevoke: '/api/auth/tokens/revoke',
} as const;

/** The header every changing request authenticated by the session cookie carries, equal to AuthState.csrf. */
export const CSRF_HEADER = 'x-photowords-csrf';

/** JSON calls that change nothing: a read-only token may make these (and GETs), nothing else. */
export const READ_ONLY_METHODS = [
  'listFolders',
  'listPhotos',
  'photoDates',
  'listSubfolders',
  'photo',
  'photoInfo',
  'similar',
  'status',
  'getSettings',
  'duplicates',
  'listDecisions',
  'explain',
  'listTrashed',
  'similarToMany',
  'listModels',
  'modelChange',
] as const satisfies readonly JsonMethod[];

export function isReadOnlyMethod(m: string): boolean {
  return (READ_ONLY_METHODS as readonly string[]).includes(m);
}

export function isJsonMethod(m: string): m is JsonMethod {
  return (JSON_METHODS as readonly string[]).includes(m);
}

/**
 * The JSON methods of the backend over any transport's `send(method, args)`, so each transport
 * writes only how one call travels. Trailing undefined arguments are left out, so a JSON body
 * never turns an omitted option into null.
 */
export function jsonMethodsOver(send: (method: JsonMethod, args: unknown[]) => Promise<unknown>): Pick<PhotowordsBackend, JsonMethod> {
  const out: Partial<Record<JsonMethod, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of JSON_METHODS) {
    out[method] = (...args: unknown[]) => {
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      return send(method, args);
    };
  }
  return out as Pick<PhotowordsBackend, JsonMethod>;
}
