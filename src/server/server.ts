// `photowords serve`: the app's UI for a browser. Serves the same renderer build Electron loads,
// and the same typed API (src/shared/api.ts) over HTTP: JSON calls, a raw-bytes upload for
// "find similar to a file", server-sent events for progress, and guarded file routes for
// thumbnails and photos. Plain node:http: a dozen routes do not need a framework.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { HTTP, REPORT_FORMATS, isJsonMethod, type ApiErrorShape, type BackendEvent, type ReportFormat, type SimilarityName } from '../shared/api.js';
import { ApiError, type Library } from '../core/library.js';

export interface ServeOptions {
  library: Library;
  /** The renderer build (index.html and assets). */
  staticDir: string;
  /** Default 127.0.0.1: the library is private unless the person says otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  log?: (m: string) => void;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const JSON_LIMIT = 1 << 20;
const UPLOAD_LIMIT = 256 << 20;

// The same policy as the renderer's meta tag, plus what only a header can say (frame-ancestors).
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.jpe': 'image/jpeg',
  '.jfif': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

const STATUS: Record<string, number> = { 'not-found': 404, 'bad-request': 400, forbidden: 403, busy: 409, internal: 500, unavailable: 503 };

// The report is a file to save, not a page of this origin: its own policy (it embeds its thumbnails).
const REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox";

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { library } = opts;
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => undefined);
  const index = path.join(opts.staticDir, 'index.html');
  if (!fs.existsSync(index)) {
    throw new Error(`the UI is not built (${index} is missing); build it with: npm run build:web`);
  }
  const staticRoot = fs.realpathSync(opts.staticDir);
  const streams = new Set<http.ServerResponse>();
  let allowedHosts = new Set<string>();

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const json = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(json);
  };

  const sendError = (res: http.ServerResponse, e: unknown) => {
    let status = 500;
    let shape: ApiErrorShape;
    if (e instanceof ApiError) {
      status = STATUS[e.code] ?? 500;
      shape = { message: e.message, code: e.code };
    } else if (e instanceof HttpError) {
      status = e.status;
      shape = { message: e.message, code: status === 403 ? 'forbidden' : status === 404 ? 'not-found' : 'bad-request' };
    } else {
      shape = { message: `Something went wrong: ${(e as Error)?.message ?? String(e)}`, code: 'internal' };
      log(`error: ${(e as Error)?.stack ?? String(e)}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, status, { error: shape });
  };

  const readBody = (req: http.IncomingMessage, limit: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limit) return reject(new HttpError(413, `That is too large (over ${limit >> 20} MB).`));
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          reject(new HttpError(413, `That is too large (over ${limit >> 20} MB).`));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const sendFile = (req: http.IncomingMessage, res: http.ServerResponse, file: string, cache: string) => {
    const st = fs.statSync(file);
    const etag = `"${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag, 'Cache-Control': cache });
      return res.end();
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': cache,
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const serveStatic = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => {
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    const file = path.resolve(staticRoot, rel);
    if (!file.startsWith(staticRoot + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      throw new HttpError(404, `Not found: ${pathname}`);
    }
    if (file.endsWith('.html')) {
      res.setHeader('Content-Security-Policy', CSP);
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader('Referrer-Policy', 'no-referrer');
    }
    // Vite names assets by content hash, so they never change under one URL.
    sendFile(req, res, file, file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
  };

  const onEvent = (e: BackendEvent) => {
    const frame = `data: ${JSON.stringify(e)}\n\n`;
    for (const r of streams) r.write(frame);
  };
  const unsubscribe = library.onEvent(onEvent);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // DNS rebinding: a page on another site must not reach a loopback-bound library through a
    // name that resolves to 127.0.0.1, so the Host header must be one of ours.
    if (isLoopback(host) && !allowedHosts.has(String(req.headers.host ?? ''))) {
      throw new HttpError(403, 'Refused: unexpected Host header.');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    if (req.method === 'POST') {
      // Another site's page may POST here; browsers send its Origin, which must be ours.
      const origin = req.headers.origin;
      if (origin && origin !== `http://${req.headers.host}`) throw new HttpError(403, 'Refused: request from another site.');
      if (p.startsWith('/api/call/')) {
        const method = p.slice('/api/call/'.length);
        if (!isJsonMethod(method)) throw new HttpError(404, `No such call: ${method}`);
        // The folder would open on the screen of the computer running serve, not of whoever asks.
        if (method === 'revealPhoto' && !isLoopback(host)) {
          throw new HttpError(
            403,
            `"Reveal in folder" works only when photowords serve listens on this computer alone (127.0.0.1); it listens on ${host}, so the folder would open on the server's screen. The photo's path is shown beside it.`,
          );
        }
        const body = await readBody(req, JSON_LIMIT);
        let args: unknown;
        try {
          args = body.length ? JSON.parse(body.toString('utf8')) : [];
        } catch {
          throw new HttpError(400, 'The request body is not JSON.');
        }
        if (!Array.isArray(args)) throw new HttpError(400, 'The request body must be a JSON array of arguments.');
        const fn = library[method] as (...a: unknown[]) => Promise<unknown>;
        const result = await fn.apply(library, args);
        return send(res, 200, { result: result ?? null });
      }
      if (p === HTTP.similarToFile) {
        const bytes = await readBody(req, UPLOAD_LIMIT);
        const top = url.searchParams.get('top');
        const similarity = url.searchParams.get('similarity') as SimilarityName | null;
        const result = await library.similarToFile(
          { name: url.searchParams.get('name') ?? 'photo', bytes },
          { top: top ? Number(top) : undefined, similarity: similarity ?? undefined },
        );
        return send(res, 200, { result });
      }
      throw new HttpError(404, `Not found: ${p}`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed here.`);
    if (p === HTTP.events) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(`data: ${JSON.stringify({ type: 'status', status: await library.status() } satisfies BackendEvent)}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (p === HTTP.thumb || p === HTTP.file) {
      const file = url.searchParams.get('path') ?? '';
      const resolved =
        p === HTTP.thumb ? await library.thumbnailFile(file, Number(url.searchParams.get('size')) || undefined) : await library.displayFile(file);
      return sendFile(req, res, resolved, 'private, max-age=300');
    }
    if (p === HTTP.duplicatesReport) {
      // A link on another site could start this download (the Host check only stops other names):
      // fetch metadata says where a request comes from, and only our own page may ask.
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'Refused: request from another site.');
      const format = (url.searchParams.get('format') ?? 'html') as ReportFormat;
      if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new HttpError(400, `A report is ${REPORT_FORMATS.join(', ')}, not ${format}.`);
      const sens = url.searchParams.get('sensitivity');
      const report = await library.duplicatesReport(format, { sensitivity: sens === null || sens === '' ? undefined : Number(sens) });
      const body = Buffer.from(report.text, 'utf8');
      res.writeHead(200, {
        'Content-Type': report.type,
        'Content-Length': body.length,
        'Content-Disposition': `attachment; filename="${report.name}"`,
        'Content-Security-Policy': REPORT_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      });
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
    if (p.startsWith('/api/')) throw new HttpError(404, `Not found: ${p}`);
    return serveStatic(req, res, p);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => sendError(res, e));
  });
  // Server-sent events keep connections open; a comment now and then keeps proxies from closing them.
  const keepAlive = setInterval(() => {
    for (const r of streams) r.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  allowedHosts = new Set([`${shownHost}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  return {
    url: `http://${shownHost}:${port}/`,
    close: async () => {
      clearInterval(keepAlive);
      unsubscribe();
      for (const r of streams) r.end();
      streams.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would hold close() open for their timeout.
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
      await closed;
    },
  };
}
