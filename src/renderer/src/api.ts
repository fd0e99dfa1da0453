// The renderer's one door to the engine. Electron's preload puts a PhotowordsApi on
// window.photowords; a browser page served by `photowords serve` talks HTTP to the same backend,
// over the routes defined once in src/shared/api.ts. URLs stay relative because the page may be
// served under any origin (a home server behind a proxy, a random test port).
//
// Over HTTP the server may require sign-in (docs/SERVER.md): every changing request carries the CSRF
// token of the current AuthState, a 401 means the session is gone (the page shows sign-in again),
// and a 403 that a fresh token would cure is retried once. Electron's IPC has none of this.
import {
  HTTP,
  CSRF_HEADER,
  DEFAULT_THUMB_SIZE,
  jsonMethodsOver,
  type ApiErrorShape,
  type AuthState,
  type BackendEvent,
  type DuplicatesOptions,
  type ExportOutcome,
  type ExportTicket,
  type JsonMethod,
  type PhotowordsApi,
  type ReportFormat,
  type SimilarOptions,
  type SimilarResult,
  type UploadedFile,
} from '../../shared/api';
// The server answers in the IPC's envelope, { result } or { error }, so one type names both.
import type { CallReply } from '../../shared/ipc';

/** An Error that keeps the backend's code ('not-found', 'forbidden', ...) next to its message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** The HTTP status, when the reply came over HTTP. */
    readonly status?: number,
    /** Seconds the server asked to wait (Retry-After), when it said. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function retryAfter(res: Response): number | undefined {
  const h = res.headers.get('retry-after');
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, Math.ceil(s));
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

const CODES: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 429: 'rate-limited' };

/**
 * The reply's value: `{result}` (the JSON calls) or, from the auth routes, the value itself.
 * An error is `{error: {code, message}}`, or a plugin's own `{error: 'Too Many Requests',
 * message}`; either becomes an ApiError with the status and any Retry-After.
 */
async function readReply<T>(res: Response): Promise<T> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    // A proxy error page or a dropped connection: there is no {error} to show, so say what we know.
    throw new ApiError(`The Photowords server answered ${res.status} ${res.statusText || ''}`.trim(), CODES[res.status] ?? 'internal', res.status, retryAfter(res));
  }
  const b = body as Partial<CallReply<T>> & { error?: unknown; message?: unknown };
  if (b && typeof b === 'object' && b.error) {
    const e = b.error as Partial<ApiErrorShape> | string;
    const message = typeof e === 'string' ? (typeof b.message === 'string' ? b.message : e) : (e.message ?? `The Photowords server answered ${res.status}`);
    const code = typeof e === 'string' ? (CODES[res.status] ?? 'internal') : (e.code ?? CODES[res.status] ?? 'internal');
    throw new ApiError(message, code, res.status, retryAfter(res));
  }
  if (!res.ok) throw new ApiError(`The Photowords server answered ${res.status} ${res.statusText || ''}`.trim(), CODES[res.status] ?? 'internal', res.status, retryAfter(res));
  if (b && typeof b === 'object' && 'result' in b) return b.result as T;
  if (body !== null && body !== undefined) return body as T;
  throw new ApiError('The Photowords server sent a reply this page does not understand.', 'internal', res.status);
}

const UNREACHABLE = 'Cannot reach the Photowords server. Is `photowords serve` still running?';

// One EventSource for the whole page, opened on the first subscriber: every view listens to the
// same stream, and EventSource reconnects by itself when the server restarts.
const listeners = new Set<(e: BackendEvent) => void>();
let source: EventSource | null = null;

// Where this page stands with the server: auth.ts keeps the reactive copy the views read; this
// module needs only the CSRF token and a way to say that the session ended.
let authState: AuthState | null = null;
const authListeners = new Set<(state: AuthState) => void>();

/** The state the page now has (set by auth.ts after each auth call, and here after a refresh). */
export function setAuthState(state: AuthState): void {
  authState = state;
  // A signed-out page listens to nothing (the stream would only be refused); signed in again, it resumes.
  if (state.required && !state.signedIn) closeEvents();
  else resumeEvents();
  for (const l of authListeners) l(state);
}

export function onAuthState(listener: (state: AuthState) => void): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

/** A state with sign-in not required: what an older server without /api/auth/state means. */
const OPEN: AuthState = { required: false, passwordSet: false, signedIn: false, scope: null, csrf: null, setupNeedsToken: false };

/** Asks the server where this page stands (and so gets a CSRF token). */
export async function fetchAuthState(): Promise<AuthState> {
  let res: Response;
  try {
    res = await fetch(HTTP.authState, { cache: 'no-store', credentials: 'same-origin' });
  } catch {
    throw new ApiError(UNREACHABLE, 'unreachable');
  }
  const state = res.status === 404 ? OPEN : await readReply<AuthState>(res);
  setAuthState(state);
  return state;
}

/** The session is gone (a 401): the page shows sign-in, with the same state a fresh load would get. */
function sessionEnded(): void {
  const was = authState;
  if (!was?.required) return;
  setAuthState({ ...was, signedIn: false, scope: null, csrf: null });
}

/**
 * A request to the server with the session's rules applied: changing methods carry the CSRF
 * token; a 401 ends the session on the page; a 403 is retried once after refreshing the state
 * when the refusal is about the CSRF token (the server restarted and made a new one, or another
 * tab signed in again). Other 403s (a folder outside the roots, a read-only session) are not.
 */
export async function request(url: string, init: RequestInit = {}, opts: { keep401?: boolean } = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const changing = method !== 'GET' && method !== 'HEAD';
  const attempt = async (): Promise<{ res: Response; sent: string | null }> => {
    const sent = changing ? (authState?.csrf ?? null) : null;
    const headers = new Headers(init.headers);
    if (sent) headers.set(CSRF_HEADER, sent);
    try {
      return { res: await fetch(url, { ...init, headers, credentials: 'same-origin' }), sent };
    } catch {
      throw new ApiError(UNREACHABLE, 'unreachable');
    }
  };
  let { res, sent } = await attempt();
  if (changing && res.status === 403 && (await refusedForCsrf(res, sent))) ({ res } = await attempt());
  if (res.status === 401 && !opts.keep401) sessionEnded();
  return res;
}

/**
 * One of the auth routes (HTTP.auth*): GET without a body, POST with JSON. Where a 401 is an
 * answer (a wrong password at sign-in), keep401 leaves it to the caller instead of ending the
 * session on the page.
 */
export async function authCall<T>(url: string, body?: object, opts: { keep401?: boolean } = {}): Promise<T> {
  // A POST always has a JSON body, {} when there is nothing to say: fastify refuses an empty one.
  const init: RequestInit = body === undefined ? { cache: 'no-store' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  return readReply<T>(await request(url, init, opts));
}

let refreshing: Promise<AuthState> | null = null;

async function refusedForCsrf(res: Response, sent: string | null): Promise<boolean> {
  let message = '';
  try {
    message = ((await res.clone().json()) as { error?: { message?: string } }).error?.message ?? '';
  } catch {
    // Not our JSON: decide from the token alone.
  }
  let fresh: AuthState;
  try {
    // Calls refused together (a page of the grid and its neighbour) share one refresh.
    refreshing ??= fetchAuthState().finally(() => (refreshing = null));
    fresh = await refreshing;
  } catch {
    return false;
  }
  // Signed out meanwhile: the refreshed state has already sent the page to sign-in.
  if (fresh.required && !fresh.signedIn) return false;
  return /csrf/i.test(message) || (fresh.csrf !== null && fresh.csrf !== sent);
}

async function send(method: JsonMethod, args: unknown[]): Promise<unknown> {
  const res = await request(HTTP.call(method), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  return readReply<unknown>(res);
}

async function similarToFile(file: UploadedFile, opts: SimilarOptions = {}): Promise<SimilarResult> {
  const q = new URLSearchParams({ name: file.name });
  if (opts.top !== undefined) q.set('top', String(opts.top));
  if (opts.similarity) q.set('similarity', opts.similarity);
  const res = await request(`${HTTP.similarToFile}?${q}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    // The DOM typings only accept ArrayBuffer-backed views; an upload always is one.
    body: file.bytes as Uint8Array<ArrayBuffer>,
  });
  return readReply<SimilarResult>(res);
}

// The report is fetched first, so a failure is shown as a message rather than saved as a file,
// then handed to the browser as a download under the name the server gave it.
async function exportDuplicates(format: ReportFormat, opts: DuplicatesOptions = {}): Promise<ExportOutcome> {
  const q = new URLSearchParams({ format });
  if (opts.sensitivity !== undefined) q.set('sensitivity', String(opts.sensitivity));
  const res = await request(`${HTTP.duplicatesReport}?${q}`);
  if (!res.ok) await readReply<never>(res);
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `photowords-duplicates.${format}`;
  const url = URL.createObjectURL(await res.blob());
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.style.display = 'none';
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // The download has its own copy once it started; a moment later the page's can go.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return { saved: true, name };
}

/**
 * The server checks the photos and answers a one-time ticket (a POST with the CSRF token), then
 * the browser downloads from a plain link, so even a zip of gigabytes streams to disk instead of
 * through this page's memory.
 */
async function exportPhotos(paths: string[]): Promise<ExportOutcome> {
  const res = await request(HTTP.exportPrepare, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ paths }),
  });
  const t = await readReply<ExportTicket>(res);
  const a = document.createElement('a');
  a.href = `${HTTP.exportDownload}?${new URLSearchParams({ ticket: t.ticket })}`;
  a.download = t.name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  return { saved: true, name: t.name };
}

function openEvents(): void {
  source = new EventSource(HTTP.events);
  source.onmessage = (msg) => {
    let event: BackendEvent;
    try {
      event = JSON.parse(msg.data as string) as BackendEvent;
    } catch {
      return;
    }
    for (const l of listeners) l(event);
  };
  // EventSource retries a dropped stream by itself but gives up on a refusal (a 401 once the
  // session is gone): then ask the server why, so the page can show sign-in, and reopen after.
  source.onerror = () => {
    if (source?.readyState !== EventSource.CLOSED) return;
    source = null;
    void fetchAuthState()
      .then((s) => {
        if (s.required && !s.signedIn) sessionEnded();
        else setTimeout(resumeEvents, 2000);
      })
      .catch(() => setTimeout(resumeEvents, 5000));
  };
}

/** Opens the event stream again if views listen and it is closed (after signing in again). */
function resumeEvents(): void {
  if (!source && listeners.size > 0) openEvents();
}

function closeEvents(): void {
  source?.close();
  source = null;
}

function onEvent(listener: (e: BackendEvent) => void): () => void {
  listeners.add(listener);
  if (!source && !(authState?.required && !authState.signedIn)) openEvents();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) closeEvents();
  };
}

export function createHttpApi(): PhotowordsApi {
  return {
    ...jsonMethodsOver(send),
    similarToFile,
    thumbUrl: (path, size = DEFAULT_THUMB_SIZE) => `${HTTP.thumb}?path=${encodeURIComponent(path)}&size=${size}`,
    fileUrl: (path) => `${HTTP.file}?path=${encodeURIComponent(path)}`,
    onEvent,
    pickFolder: null,
    exportDuplicates,
    exportPhotos,
    shell: 'browser',
  };
}

function fromPreload(): PhotowordsApi | null {
  const exposed = (window as { photowords?: Partial<PhotowordsApi> }).photowords;
  // The preload may expose only a stub during development; use it only when it is the real API.
  return exposed && typeof exposed.listFolders === 'function' ? (exposed as PhotowordsApi) : null;
}

export const api: PhotowordsApi = fromPreload() ?? createHttpApi();

/** A message for the person from whatever a call threw. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    // Electron's IPC wraps remote errors as "Error invoking remote method 'x': Error: message".
    return err.message.replace(/^Error invoking remote method '[^']+': (?:\w*Error: )?/, '');
  }
  return String(err);
}
