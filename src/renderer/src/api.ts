// The renderer's one door to the engine. Electron's preload puts a PhotowordsApi on
// window.photowords; a browser page served by `photowords serve` talks HTTP to the same backend,
// over the routes defined once in src/shared/api.ts. URLs stay relative because the page may be
// served under any origin (a home server behind a proxy, a random test port).
import {
  HTTP,
  DEFAULT_THUMB_SIZE,
  jsonMethodsOver,
  type ApiErrorShape,
  type BackendEvent,
  type DuplicatesOptions,
  type ExportOutcome,
  type JsonMethod,
  type PhotowordsApi,
  type ReportFormat,
  type SimilarOptions,
  type SimilarResult,
  type UploadedFile,
} from '../../shared/api';

/** An Error that keeps the backend's code ('not-found', 'forbidden', ...) next to its message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Reply<T> = { result: T } | { error: ApiErrorShape };

async function readReply<T>(res: Response): Promise<T> {
  let body: Reply<T> | undefined;
  try {
    body = (await res.json()) as Reply<T>;
  } catch {
    // A proxy error page or a dropped connection: there is no {error} to show, so say what we know.
    throw new ApiError(`The Photowords server answered ${res.status} ${res.statusText || ''}`.trim(), 'internal');
  }
  if (body && 'error' in body && body.error) throw new ApiError(body.error.message, body.error.code);
  if (body && 'result' in body) return body.result;
  throw new ApiError('The Photowords server sent a reply this page does not understand.', 'internal');
}

async function post(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { method: 'POST', ...init });
  } catch {
    throw new ApiError('Cannot reach the Photowords server. Is `photowords serve` still running?', 'unreachable');
  }
}

async function send(method: JsonMethod, args: unknown[]): Promise<unknown> {
  const res = await post(HTTP.call(method), {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  return readReply<unknown>(res);
}

async function similarToFile(file: UploadedFile, opts: SimilarOptions = {}): Promise<SimilarResult> {
  const q = new URLSearchParams({ name: file.name });
  if (opts.top !== undefined) q.set('top', String(opts.top));
  if (opts.similarity) q.set('similarity', opts.similarity);
  const res = await post(`${HTTP.similarToFile}?${q}`, {
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
  let res: Response;
  try {
    res = await fetch(`${HTTP.duplicatesReport}?${q}`);
  } catch {
    throw new ApiError('Cannot reach the Photowords server. Is `photowords serve` still running?', 'unreachable');
  }
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

// One EventSource for the whole page, opened on the first subscriber: every view listens to the
// same stream, and EventSource reconnects by itself when the server restarts.
const listeners = new Set<(e: BackendEvent) => void>();
let source: EventSource | null = null;

function onEvent(listener: (e: BackendEvent) => void): () => void {
  listeners.add(listener);
  if (!source) {
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
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && source) {
      source.close();
      source = null;
    }
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
