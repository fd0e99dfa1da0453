// Electron's own wiring, typed once: the IPC channels between the preload and the main process,
// the messages between the main process and the indexing utility process, and the photowords://
// URLs the protocol handler answers. Types and tiny pure helpers only, with no Electron or Node
// import, so the preload (bundled into a sandboxed CommonJS script), the main process, the utility
// process, the renderer and plain-Node tests can all import it.
import {
  DEFAULT_THUMB_SIZE,
  REPORT_FORMATS,
  isJsonMethod,
  type ApiErrorShape,
  type DuplicatesOptions,
  type ReportFormat,
  type BackendEvent,
  type JsonMethod,
  type SimilarOptions,
  type UploadedFile,
} from './api.js';

// ---------------------------------------------------------------------------------------------
// Renderer <-> main (ipcRenderer.invoke / ipcMain.handle, webContents.send / ipcRenderer.on)

export const IPC = {
  /** invoke(method: JsonMethod, args: unknown[]) -> CallReply */
  call: 'photowords:call',
  /** invoke(name: string, bytes: ArrayBuffer | Uint8Array, opts?: SimilarOptions) -> CallReply<SimilarResult> */
  similarFile: 'photowords:similar-file',
  /** invoke() -> CallReply<string | null> (the chosen folder; null when cancelled) */
  pickFolder: 'photowords:pick-folder',
  /** invoke(format: ReportFormat, opts?: DuplicatesOptions) -> CallReply<ExportOutcome> (a save dialog in main, then the file written) */
  exportDuplicates: 'photowords:export-duplicates',
  /** invoke(paths: string[]) -> CallReply<ExportOutcome> (a folder dialog in main, then the photos copied there) */
  exportPhotos: 'photowords:export-photos',
  /** main -> renderer: a BackendEvent */
  event: 'photowords:event',
  /** main -> renderer: a MenuCommand (the application menu asks the page to do something) */
  menu: 'photowords:menu',
} as const;

/**
 * What ipcMain answers. Errors travel as data, not as rejections: a rejected invoke reaches the
 * page as "Error invoking remote method ..." with the code lost, so the preload unwraps this and
 * throws an Error carrying the backend's own message.
 */
export type CallReply<T = unknown> = { result: T } | { error: ApiErrorShape };

/**
 * Commands from the application menu that need the page. "Find Similar to a File…" picks the file
 * in the main process (a page may not open a file chooser without a click of its own) and hands
 * the page the bytes, which it passes to similarToFile like a dropped file.
 */
export type MenuCommand = { command: 'similar-to-file'; file: UploadedFile } | { command: 'show-duplicates' };

/** What the Electron preload adds to PhotowordsApi (only there; a browser page has no menu). */
export interface ElectronShellExtras {
  /** Subscribes to application-menu commands; returns the unsubscribe function. */
  onMenu(listener: (c: MenuCommand) => void): () => void;
}

/** Arguments each JSON method takes at most; more is a bad request before it reaches the engine. */
export const METHOD_ARITY = {
  listFolders: 0,
  addFolder: 1,
  removeFolder: 1,
  listPhotos: 1,
  photoDates: 1,
  listSubfolders: 1,
  photo: 1,
  photoInfo: 1,
  similar: 2,
  status: 0,
  pause: 0,
  resume: 0,
  getSettings: 0,
  setSettings: 1,
  duplicates: 1,
  trashPhoto: 1,
  revealPhoto: 1,
  trashPhotos: 1,
  listTrashed: 0,
  restoreTrashed: 1,
  similarToMany: 2,
  explain: 3,
  decideDuplicates: 1,
  listDecisions: 0,
  undoDecision: 1,
  listModels: 0,
  measureModel: 1,
  chooseModel: 2,
  modelChange: 0,
  cancelModelChange: 0,
} as const satisfies Record<JsonMethod, number>;

/** Checks the shape of a call from the page; the engine validates the values themselves. */
export function checkCall(method: unknown, args: unknown): { method: JsonMethod; args: unknown[] } | { error: ApiErrorShape } {
  if (typeof method !== 'string' || !isJsonMethod(method)) {
    return { error: { code: 'bad-request', message: `Unknown method ${JSON.stringify(String(method)).slice(0, 80)}.` } };
  }
  if (args === undefined) args = [];
  if (!Array.isArray(args)) return { error: { code: 'bad-request', message: `Arguments to ${method} must be a list.` } };
  if (args.length > METHOD_ARITY[method]) {
    return { error: { code: 'bad-request', message: `${method} takes at most ${METHOD_ARITY[method]} argument(s), got ${args.length}.` } };
  }
  return { method, args };
}

/** The biggest file "Find similar to a file" accepts (a 100-megapixel TIFF fits). */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/** A Uint8Array view of bytes that came over IPC (an ArrayBuffer, or any typed array / Buffer). */
export function toBytes(x: unknown): Uint8Array | null {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  return null;
}

/** Checks the arguments of a similar-file call from the page. */
export function checkSimilarFile(name: unknown, bytes: unknown, opts: unknown): { file: UploadedFile; opts?: SimilarOptions } | { error: ApiErrorShape } {
  const data = toBytes(bytes);
  if (typeof name !== 'string' || name.length > 1024) return { error: { code: 'bad-request', message: 'The file needs a name.' } };
  if (!data) return { error: { code: 'bad-request', message: 'The file came without its bytes.' } };
  if (data.byteLength === 0) return { error: { code: 'bad-request', message: `${name} is empty.` } };
  if (data.byteLength > MAX_UPLOAD_BYTES) return { error: { code: 'bad-request', message: `${name} is larger than ${MAX_UPLOAD_BYTES / 2 ** 20} MB.` } };
  if (opts !== undefined && opts !== null && (typeof opts !== 'object' || Array.isArray(opts))) {
    return { error: { code: 'bad-request', message: 'Search options must be an object.' } };
  }
  return { file: { name, bytes: data }, opts: (opts ?? undefined) as SimilarOptions | undefined };
}

export function isReportFormat(x: unknown): x is ReportFormat {
  return typeof x === 'string' && (REPORT_FORMATS as readonly string[]).includes(x);
}

/** Checks the arguments of an export call from the page. */
export function checkExport(format: unknown, opts: unknown): { format: ReportFormat; opts?: DuplicatesOptions } | { error: ApiErrorShape } {
  if (!isReportFormat(format)) return { error: { code: 'bad-request', message: `A report is ${REPORT_FORMATS.join(', ')}, not ${String(format).slice(0, 40)}.` } };
  if (opts !== undefined && opts !== null && !isRecord(opts)) return { error: { code: 'bad-request', message: 'Report options must be an object.' } };
  return { format, opts: (opts ?? undefined) as DuplicatesOptions | undefined };
}

/** Any thrown value as the shape every transport carries ({message, code}). */
export function toErrorShape(e: unknown): ApiErrorShape {
  if (e && typeof e === 'object') {
    const { message, code } = e as { message?: unknown; code?: unknown };
    if (typeof message === 'string') return { message, code: typeof code === 'string' && API_ERROR_CODES.has(code) ? code : 'internal' };
  }
  return { message: String(e), code: 'internal' };
}

/** Codes the UI knows; anything else (an errno such as 'ENOENT', a SQLite code) is 'internal'. */
const API_ERROR_CODES = new Set(['not-found', 'bad-request', 'forbidden', 'busy', 'internal', 'unavailable']);

// ---------------------------------------------------------------------------------------------
// Main <-> indexing utility process (utilityProcess.postMessage / process.parentPort)

export interface OpenLibrary {
  type: 'open';
  dbPath: string;
  provider?: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml';
  thumbsDir?: string;
}

/** From main to the utility process. Every request but 'open' and 'shutdown' gets one reply by id. */
export type IndexerRequest =
  | OpenLibrary
  | { type: 'call'; id: number; method: JsonMethod; args: unknown[] }
  | { type: 'similarToFile'; id: number; file: UploadedFile; opts?: SimilarOptions }
  /** The cached thumbnail's path, for photowords://thumb/ (the core refuses paths outside the library). */
  | { type: 'thumbnail'; id: number; path: string; size: number }
  /** The photo's real path, for photowords://file/ (same guard). */
  | { type: 'file'; id: number; path: string }
  /**
   * Trash and reveal run in main (Electron's shell), the checks and the index in the engine:
   * 'photoTarget' answers the indexed library photo's path (path guard, indexed, unchanged) or
   * an error; after shell.trashItem, 'forgetTrashed' drops it from the index (TrashResult).
   */
  | { type: 'photoTarget'; id: number; path: string; action: 'trash' | 'reveal' }
  | { type: 'forgetTrashed'; id: number; path: string; quiet?: boolean }
  /** After a batch (trashPhotos): the status and library events once, and the batch's TrashManyResult with its sentence. */
  | { type: 'trashSettled'; id: number; trashed: { path: string; bytes: number }[]; failed: { path: string; reason: string }[] }
  /** The duplicates report's text, for main to write where the person chose (DuplicatesReportFile). */
  | { type: 'duplicatesReport'; id: number; format: ReportFormat; opts?: DuplicatesOptions }
  /** Close the library (finish the current write, stop the model threads) and exit. */
  | { type: 'shutdown' };

type WithoutId<T> = T extends { id: number } ? Omit<T, 'id'> : never;
/** A request that gets a reply, without its id (the host numbers them). */
export type IndexerCall = WithoutId<IndexerRequest>;

export type IndexerReply = { type: 'reply'; id: number; result: unknown } | { type: 'reply'; id: number; error: ApiErrorShape };

/** From the utility process to main. */
export type IndexerMessage =
  | IndexerReply
  | { type: 'event'; event: BackendEvent }
  /** The library is open; calls are answered from now on. */
  | { type: 'ready'; dbPath: string }
  /** The library could not be opened (or the process cannot go on); it exits after this. */
  | { type: 'fatal'; error: ApiErrorShape }
  /** Answer to 'shutdown': the library is closed; the process exits next. */
  | { type: 'closed' };

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isErrorShape(x: unknown): x is ApiErrorShape {
  return isRecord(x) && typeof x.message === 'string' && typeof x.code === 'string';
}

/** Guards what main receives from the utility process (a crashed or foreign sender must not crash main). */
export function isIndexerMessage(x: unknown): x is IndexerMessage {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'reply':
      return Number.isInteger(x.id) && ('result' in x || isErrorShape(x.error));
    case 'event':
      return isRecord(x.event) && (x.event.type === 'status' || x.event.type === 'library' || x.event.type === 'duplicates-progress');
    case 'ready':
      return typeof x.dbPath === 'string';
    case 'fatal':
      return isErrorShape(x.error);
    case 'closed':
      return true;
    default:
      return false;
  }
}

/** Guards what the utility process receives. */
export function isIndexerRequest(x: unknown): x is IndexerRequest {
  if (!isRecord(x)) return false;
  const id = Number.isInteger(x.id);
  switch (x.type) {
    case 'open':
      return typeof x.dbPath === 'string';
    case 'call':
      return id && typeof x.method === 'string' && isJsonMethod(x.method) && Array.isArray(x.args);
    case 'similarToFile':
      return id && isRecord(x.file) && typeof x.file.name === 'string' && toBytes(x.file.bytes) !== null;
    case 'thumbnail':
      return id && typeof x.path === 'string' && typeof x.size === 'number';
    case 'file':
      return id && typeof x.path === 'string';
    case 'forgetTrashed':
      return id && typeof x.path === 'string' && (x.quiet === undefined || typeof x.quiet === 'boolean');
    case 'trashSettled':
      return id && Array.isArray(x.trashed) && Array.isArray(x.failed);
    case 'photoTarget':
      return id && typeof x.path === 'string' && (x.action === 'trash' || x.action === 'reveal');
    case 'duplicatesReport':
      return id && isReportFormat(x.format) && (x.opts === undefined || isRecord(x.opts));
    case 'shutdown':
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// photowords:// URLs (a privileged standard scheme registered by the main process)

export const SCHEME = 'photowords';
/** The app's own pages in a build: photowords://app/index.html (a secure origin that is not file://). */
export const APP_ORIGIN = `${SCHEME}://app`;

export type ProtocolTarget =
  | { kind: 'thumb'; path: string; size: number }
  | { kind: 'file'; path: string }
  /** A file of the renderer build, relative to its folder ('index.html', 'assets/x.js'). */
  | { kind: 'app'; file: string };

/** photowords://thumb/?path=...&size=... */
export function thumbUrl(path: string, size: number = DEFAULT_THUMB_SIZE): string {
  return `${SCHEME}://thumb/?${new URLSearchParams({ path, size: String(size) })}`;
}

/** photowords://file/?path=... */
export function fileUrl(path: string): string {
  return `${SCHEME}://file/?${new URLSearchParams({ path })}`;
}

/** What a photowords:// URL asks for, or null for anything else (answered 404). */
export function parseProtocolUrl(url: string): ProtocolTarget | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${SCHEME}:`) return null;
  if (u.hostname === 'app') {
    let file: string;
    try {
      file = decodeURIComponent(u.pathname).replace(/^\/+/, '');
    } catch {
      return null;
    }
    // The WHATWG parser already resolved '.' and '..'; a backslash or NUL is never ours.
    if (file.split('/').some((part) => part === '..') || /[\\\0]/.test(file)) return null;
    return { kind: 'app', file: file || 'index.html' };
  }
  const path = u.searchParams.get('path');
  if (!path || u.pathname !== '/') return null;
  if (u.hostname === 'file') return { kind: 'file', path };
  if (u.hostname === 'thumb') {
    const size = Number(u.searchParams.get('size') ?? DEFAULT_THUMB_SIZE);
    return { kind: 'thumb', path, size: Number.isInteger(size) && size > 0 && size <= 4096 ? size : DEFAULT_THUMB_SIZE };
  }
  return null;
}
