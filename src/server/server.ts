// `photowords serve`: the app's UI for a browser. Serves the same renderer build Electron loads,
// and the same typed API (src/shared/api.ts) over HTTP: JSON calls, a raw-bytes upload for
// "find similar to a file", server-sent events for progress, and guarded file routes for
// thumbnails and photos. On fastify with its official plugins (cookies, rate limits, static
// files), because a server reachable from a network needs what they keep right: body limits,
// timeouts, cookie attributes. What is ours: sign-in (auth.ts), the checks every request passes
// (guards.ts) and the caps (limits.ts). docs/SERVER.md is the owner's guide.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { HTTP, REPORT_FORMATS, type ApiErrorShape, type BackendEvent, type ExportTicket, type ReportFormat, type SimilarityName } from '../shared/api.js';
import { checkCall } from '../shared/ipc.js';
import { ApiError, AuthStore, REPORT_CSP, RootPolicy, checkPathList, type Library } from '../core/index.js';
import { uniqueNames, zipStream, type ZipSource } from './zip.js';
import { Auth, type Identity } from './auth.js';
import { HttpError, allowedHosts, checkHost, checkOrigin, checkScope, isChanging, isLoopbackHost, isWildcardHost, jsonParser } from './guards.js';
import {
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_MS,
  KeyedSlots,
  REQUEST_TIMEOUT_MS,
  STREAMS_PER_CLIENT,
  STREAMS_TOTAL,
  Slots,
  UPLOAD_LIMIT,
  UPLOAD_TIMEOUT_MS,
  UPLOADS_IN_FLIGHT,
} from './limits.js';

export interface ServeOptions {
  library: Library;
  /** The renderer build (index.html and assets). */
  staticDir: string;
  /** Default 127.0.0.1: the library is private unless the person says otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  log?: (m: string) => void;
  /** Require sign-in even on loopback (any other bind always requires it). */
  auth?: boolean;
  /** Host names the server answers besides its addresses (--public-name), e.g. photos.home.lan. */
  publicNames?: string[];
  /** Folders a library folder may be added under (--roots); default: Pictures, the library's folders, and home on an open loopback server. */
  roots?: string[];
  /** Folders named on serve's command line: roots too. */
  commandLineFolders?: string[];
  /** PEM files: serve https. */
  tls?: { cert: string; key: string };
  /** Trust X-Forwarded-* from these proxy addresses (true: loopback only). */
  trustProxy?: boolean | string;
}

export interface RunningServer {
  url: string;
  /** Sign-in is required. */
  authRequired: boolean;
  /** The one-time first-run URL (…/?setup=<token>) while sign-in is required and no password is set; else null. */
  setupUrl: string | null;
  close(): Promise<void>;
}

// The same policy as the renderer's meta tag, plus what only a header can say (frame-ancestors).
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The report is a file to save, not a page of this origin: its own policy (its meta tag's, which
// allows its one style block by hash), plus what only a header can say.
const REPORT_HEADER_CSP = `${REPORT_CSP}; frame-ancestors 'none'; sandbox`;

const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.jpe': 'image/jpeg',
  '.jfif': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

const STATUS: Record<string, number> = { 'not-found': 404, 'bad-request': 400, forbidden: 403, busy: 409, internal: 500, unavailable: 503 };
const CODE_OF: Record<number, string> = { 400: 'bad-request', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 405: 'bad-request', 409: 'busy', 413: 'bad-request', 415: 'bad-request', 429: 'rate-limited', 503: 'unavailable' };

/**
 * Who may reach each route, by the route it matched (never by the raw URL: the router decodes
 * `/%61pi/...` to `/api/...`). 'public': the sign-in routes the page needs first; 'owner': a
 * session or the desktop user (auth.ts checks, tokens refused); 'api': a session, token or the
 * desktop user, with CSRF and the token's scope; 'static': the UI's files. A route missing here
 * stops the server at start (the onRoute hook), so none is open by omission.
 */
type Access = 'public' | 'logout' | 'owner' | 'api' | 'static';
const CALL_ROUTE = '/api/call/:method';
const ACCESS: Record<string, Access> = {
  [HTTP.authState]: 'public',
  [HTTP.authSetup]: 'public',
  [HTTP.authLogin]: 'public',
  [HTTP.authLogout]: 'logout',
  [HTTP.authPassword]: 'owner',
  [HTTP.authTokens]: 'owner',
  [HTTP.authTokensRevoke]: 'owner',
  [CALL_ROUTE]: 'api',
  [HTTP.similarToFile]: 'api',
  [HTTP.events]: 'api',
  [HTTP.thumb]: 'api',
  [HTTP.file]: 'api',
  [HTTP.duplicatesReport]: 'api',
  [HTTP.exportPrepare]: 'api',
  [HTTP.exportDownload]: 'api',
  // @fastify/static's
  '/*': 'static',
  '/': 'static',
};
/** A request no route matched is treated as an API one (so it is refused before it is a 404). */
const accessOf = (req: FastifyRequest): Access => (req.routeOptions.url === undefined ? 'api' : (ACCESS[req.routeOptions.url] ?? 'api'));

declare module 'fastify' {
  interface FastifyRequest {
    who: Identity;
    bodyTimer?: NodeJS.Timeout;
  }
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { library } = opts;
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => undefined);
  const index = path.join(opts.staticDir, 'index.html');
  if (!fs.existsSync(index)) {
    throw new Error(`the UI is not built (${index} is missing); build it with: npm run build:web`);
  }
  const loopbackBind = isLoopbackHost(host);
  const required = opts.auth === true || !loopbackBind;
  const trustProxy = opts.trustProxy === true ? 'loopback' : opts.trustProxy || false;

  // addFolder through this server only under its roots (src/core/library/roots.ts).
  const existing = (await library.listFolders()).map((f) => f.path);
  const policy = new RootPolicy({
    roots: opts.roots,
    existing,
    commandLine: opts.commandLineFolders,
    loopbackOpen: !required,
    loopback: loopbackBind,
    dbPath: library.dbPath,
  });
  for (const r of opts.roots ?? []) {
    const why = policy.refusedRoot(r);
    if (why) throw new Error(`--roots ${r}: ${why}`);
  }
  library.rootPolicy = policy;
  for (const { folder, why } of policy.refusedExisting(existing)) {
    log(`Warning: the library folder ${folder} would be refused today (${why}) Its photos are still served; remove it from the library unless you mean to share them.`);
  }

  const authStore = AuthStore.open(library.dbPath);
  const auth = new Auth({ store: authStore, required, loopbackBind, trustProxy: trustProxy !== false });

  const tls = opts.tls ? { cert: fs.readFileSync(opts.tls.cert), key: fs.readFileSync(opts.tls.key) } : undefined;
  // headersTimeout is node's own (fastify has no option for it); checked every second, not every 30 s.
  const nodeServerOpts = { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 };
  const app = Fastify({
    logger: false,
    ...(tls ? { https: { ...tls, ...nodeServerOpts } } : { http: nodeServerOpts }),
    keepAliveTimeout: KEEP_ALIVE_MS,
    // The longest a request may take to arrive (an upload); other bodies are held to
    // REQUEST_TIMEOUT_MS by the hook below.
    requestTimeout: UPLOAD_TIMEOUT_MS,
    bodyLimit: 1 << 20,
    trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.server.headersTimeout = HEADERS_TIMEOUT_MS;

  let allowed = new Set<string>();
  const streams = new Set<ServerResponse>();
  const streamSlots = new KeyedSlots(STREAMS_PER_CLIENT, STREAMS_TOTAL);
  const uploadSlots = new Slots(UPLOADS_IN_FLIGHT);

  app.addHook('onRoute', (r) => {
    if (!(r.url in ACCESS)) throw new Error(`serve: the route ${r.url} has no access rule (ACCESS in server.ts)`);
  });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  app.removeContentTypeParser(['application/json', 'text/plain']);
  jsonParser(app);

  app.setErrorHandler((err: unknown, _req, reply) => {
    let status = 500;
    let shape: ApiErrorShape;
    if (err instanceof ApiError) {
      status = STATUS[err.code] ?? 500;
      shape = { message: err.message, code: err.code };
    } else if (err instanceof HttpError) {
      status = err.status;
      shape = { message: err.message, code: err.code ?? CODE_OF[status] ?? 'bad-request' };
    } else if (typeof (err as { statusCode?: unknown })?.statusCode === 'number' && (err as { statusCode: number }).statusCode < 500) {
      // fastify's own (a body too large, a bad content type, a rate limit): its words, our shape.
      status = (err as { statusCode: number }).statusCode;
      const tooLarge = status === 413;
      shape = { message: tooLarge ? 'That is too large.' : (err as Error).message, code: CODE_OF[status] ?? 'bad-request' };
    } else {
      shape = { message: `Something went wrong: ${(err as Error)?.message ?? String(err)}`, code: 'internal' };
      log(`error: ${(err as Error)?.stack ?? String(err)}`);
    }
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    reply.code(status).header('Cache-Control', 'no-store').send({ error: shape });
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).header('Cache-Control', 'no-store').send({ error: { message: `Not found: ${req.url.split('?')[0].slice(0, 200)}`, code: 'not-found' } });
  });

  // Every request, before any route: Host, where it comes from, who asks, CSRF, scope.
  app.addHook('onRequest', async (req) => {
    // DNS rebinding: a page on another site must not reach this server through a name that
    // resolves to it, so the Host header must be one of ours.
    checkHost(req, allowed, trustProxy !== false);
    const access = accessOf(req);
    const route = req.routeOptions.url;
    checkOrigin(req, access !== 'static');
    req.who = { via: null, scope: null };
    if (access === 'static') return;
    req.who = auth.identify(req);
    if (access !== 'public') {
      if (req.who.via === null) {
        if (access === 'logout') return;
        throw new HttpError(401, 'Sign in first.', 'unauthorized');
      }
      if (isChanging(req.method)) auth.checkCsrf(req, req.who);
      if (access === 'api') checkScope(req, route === CALL_ROUTE ? (req.params as { method?: string }).method ?? '' : route ?? '', req.who.scope!);
    }
    // A request body must arrive in time (node's requestTimeout is the upload's, the longest).
    if (route !== HTTP.similarToFile && route !== HTTP.events) {
      req.bodyTimer = setTimeout(() => req.raw.destroy(), REQUEST_TIMEOUT_MS);
      req.bodyTimer.unref();
    }
  });
  app.addHook('preHandler', async (req) => {
    if (req.bodyTimer) clearTimeout(req.bodyTimer);
  });
  app.addHook('onResponse', async (req) => {
    if (req.bodyTimer) clearTimeout(req.bodyTimer);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (accessOf(req) !== 'static') reply.header('X-Content-Type-Options', 'nosniff');
    return payload;
  });

  auth.routes(app, (req) => req.who);

  app.post<{ Params: { method: string } }>(CALL_ROUTE, async (req) => {
    const method = req.params.method;
    const checked = checkCall(method, req.body ?? []);
    if ('error' in checked) throw new HttpError(method && checked.error.message.startsWith('Unknown method') ? 404 : 400, checked.error.message);
    // The folder would open on the screen of the computer running serve, not of whoever asks.
    if (checked.method === 'revealPhoto' && !loopbackBind) {
      throw new HttpError(
        403,
        `"Reveal in folder" works only when photowords serve listens on this computer alone (127.0.0.1); it listens on ${host}, so the folder would open on the server's screen. The photo's path is shown beside it.`,
      );
    }
    const fn = library[checked.method] as (...a: unknown[]) => Promise<unknown>;
    const result = await fn.apply(library, checked.args);
    return { result: result ?? null };
  });

  // The upload: its own context, where no parser reads the body, so the handler streams it with
  // its own cap and at most UPLOADS_IN_FLIGHT at once.
  await app.register(async (upload) => {
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    upload.post(HTTP.similarToFile, async (req, reply) => {
      // Refused before its body is read: the connection closes rather than draining what is still coming.
      reply.header('Connection', 'close');
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > UPLOAD_LIMIT) throw new HttpError(413, `That file is too large (over ${UPLOAD_LIMIT >> 20} MB).`);
      const release = uploadSlots.take();
      if (!release) {
        reply.header('Retry-After', '5');
        throw new HttpError(503, `The server is reading ${UPLOADS_IN_FLIGHT} other uploads; try again in a moment.`, 'unavailable');
      }
      try {
        const bytes = await readCapped(req, UPLOAD_LIMIT);
        reply.removeHeader('Connection');
        const q = req.query as Record<string, string | undefined>;
        const top = q.top;
        const similarity = (q.similarity ?? undefined) as SimilarityName | undefined;
        const result = await library.similarToFile({ name: String(q.name ?? 'photo').slice(0, 1024), bytes }, { top: top ? Number(top) : undefined, similarity });
        return { result };
      } finally {
        release();
      }
    });
  });

  app.get(HTTP.events, async (req, reply) => {
    const key = req.who.session ? `s:${req.who.session}` : `a:${req.ip}`;
    const release = streamSlots.take(key);
    if (!release) throw new HttpError(429, `Too many event streams open (at most ${STREAMS_PER_CLIENT} per client, ${STREAMS_TOTAL} in all).`, 'rate-limited');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
    streams.add(res);
    req.raw.socket.setTimeout(0);
    const done = () => {
      streams.delete(res);
      release();
    };
    req.raw.on('close', done);
    res.on('close', done);
    try {
      res.write(`data: ${JSON.stringify({ type: 'status', status: await library.status() } satisfies BackendEvent)}\n\n`);
    } catch {
      res.destroy();
    }
  });

  const sendFile = (req: FastifyRequest, reply: FastifyReply, file: string, cache: string) => {
    const st = fs.statSync(file);
    const etag = `"${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`;
    reply.header('ETag', etag).header('Cache-Control', cache);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    reply
      .header('Content-Type', TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream')
      .header('Content-Length', st.size)
      .header('X-Content-Type-Options', 'nosniff');
    if (req.method === 'HEAD') return reply.send();
    return reply.send(fs.createReadStream(file));
  };

  // Behind sign-in a photo is asked for again (a 304 while it is unchanged): a browser that has
  // signed out must not go on showing photos from its cache to whoever sits at it next.
  const photoCache = required ? 'private, no-cache' : 'private, max-age=300';
  app.get<{ Querystring: { path?: string; size?: string } }>(HTTP.thumb, async (req, reply) => {
    const file = await library.thumbnailFile(req.query.path ?? '', Number(req.query.size) || undefined);
    return sendFile(req, reply, file, photoCache);
  });
  app.get<{ Querystring: { path?: string } }>(HTTP.file, async (req, reply) => {
    const file = await library.displayFile(req.query.path ?? '');
    return sendFile(req, reply, file, photoCache);
  });

  app.get<{ Querystring: { format?: string; sensitivity?: string } }>(HTTP.duplicatesReport, async (req, reply) => {
    // A link on another site could start this download: checkOrigin refuses any request whose
    // Sec-Fetch-Site is not our own page or the address bar.
    const format = (req.query.format ?? 'html') as ReportFormat;
    if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new HttpError(400, `A report is ${REPORT_FORMATS.join(', ')}, not ${String(format).slice(0, 40)}.`);
    const sens = req.query.sensitivity;
    const report = await library.duplicatesReport(format, { sensitivity: sens === undefined || sens === '' ? undefined : Number(sens) });
    const body = Buffer.from(report.text, 'utf8');
    reply
      .header('Content-Type', report.type)
      .header('Content-Length', body.length)
      .header('Content-Disposition', `attachment; filename="${report.name}"`)
      .header('Content-Security-Policy', REPORT_HEADER_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-store');
    return reply.send(req.method === 'HEAD' ? undefined : body);
  });

  // Export (issue 19): the photos are checked and named when asked, then downloaded from a plain
  // link (so the browser streams it to disk), once, within a minute, by whoever asked.
  const EXPORT_TTL_MS = 60_000;
  const EXPORTS_WAITING = 64;
  const exportsWaiting = new Map<string, { who: string; expires: number; sources: ZipSource[]; name: string }>();
  const whoKey = (w: Identity) => `${w.via}:${w.session ?? ''}`;
  app.post(HTTP.exportPrepare, async (req): Promise<ExportTicket> => {
    const list = checkPathList((req.body as { paths?: unknown } | undefined)?.paths);
    const sources: ZipSource[] = [];
    for (const p of list) {
      // Only indexed photos inside the library folders, by the path they were indexed by (as reveal).
      const file = await library.photoTarget(p, 'reveal');
      const st = await fs.promises.stat(file).catch(() => null);
      if (!st?.isFile()) throw new ApiError('not-found', `${path.basename(file)} is no longer in its folder.`);
      sources.push({ file, name: path.basename(file), size: st.size, mtimeMs: st.mtimeMs });
    }
    uniqueNames(sources.map((s) => s.name)).forEach((n, i) => (sources[i].name = n));
    const now = Date.now();
    for (const [k, t] of exportsWaiting) if (t.expires < now) exportsWaiting.delete(k);
    if (exportsWaiting.size >= EXPORTS_WAITING) throw new HttpError(429, 'Too many downloads are waiting to start; try again in a minute.', 'rate-limited');
    const d = new Date(now);
    const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    const name = sources.length === 1 ? sources[0].name : `photowords-export-${day}.zip`;
    const ticket = crypto.randomBytes(24).toString('base64url');
    exportsWaiting.set(ticket, { who: whoKey(req.who), expires: now + EXPORT_TTL_MS, sources, name });
    return { ticket, name, files: sources.length, bytes: sources.reduce((n, s) => n + s.size, 0) };
  });
  app.get<{ Querystring: { ticket?: string } }>(HTTP.exportDownload, async (req, reply) => {
    const ticket = req.query.ticket ?? '';
    const t = exportsWaiting.get(ticket);
    if (!t || t.expires < Date.now() || t.who !== whoKey(req.who)) throw new HttpError(404, 'That download has expired or was taken already; export again.');
    // A HEAD (a browser probing the link) leaves the ticket for the GET.
    if (req.method !== 'HEAD') exportsWaiting.delete(ticket);
    const ascii = t.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
    reply
      .header('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(t.name)}`)
      .header('Cache-Control', 'no-store')
      .header('X-Content-Type-Options', 'nosniff');
    if (t.sources.length === 1) {
      reply.header('Content-Type', TYPES[path.extname(t.name).toLowerCase()] ?? 'application/octet-stream');
      return reply.send(req.method === 'HEAD' ? undefined : fs.createReadStream(t.sources[0].file));
    }
    reply.header('Content-Type', 'application/zip');
    return reply.send(req.method === 'HEAD' ? undefined : zipStream(t.sources));
  });

  await app.register(fastifyStatic, {
    root: fs.realpathSync(opts.staticDir),
    wildcard: true,
    index: ['index.html'],
    dotfiles: 'ignore',
    cacheControl: false,
    setHeaders: (res, file) => {
      if (file.endsWith('.html')) {
        res.header('Content-Security-Policy', CSP);
        res.header('X-Frame-Options', 'DENY');
        res.header('Referrer-Policy', 'no-referrer');
      }
      res.header('X-Content-Type-Options', 'nosniff');
      // Vite names assets by content hash, so they never change under one URL.
      res.header('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  const onEvent = (e: BackendEvent) => {
    const frame = `data: ${JSON.stringify(e)}\n\n`;
    for (const r of streams) r.write(frame);
  };
  const unsubscribe = library.onEvent(onEvent);
  // Server-sent events keep connections open; a comment now and then keeps proxies from closing them.
  const keepAlive = setInterval(() => {
    for (const r of streams) r.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  try {
    await app.listen({ port: opts.port ?? 0, host });
  } catch (e) {
    clearInterval(keepAlive);
    unsubscribe();
    authStore.close();
    throw e;
  }
  const port = (app.server.address() as AddressInfo).port;
  allowed = allowedHosts(host, port, opts.publicNames);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const scheme = tls ? 'https' : 'http';
  const url = `${scheme}://${shownHost}:${port}/`;
  const setup = auth.startSetup();
  // 0.0.0.0 is no address to type into a browser on another machine: the setup link names one of ours.
  const lan = isWildcardHost(host)
    ? Object.values(os.networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal)?.address
    : undefined;
  const setupBase = lan ? `${scheme}://${lan}:${port}/` : url;
  return {
    url,
    authRequired: required,
    setupUrl: setup ? `${setupBase}?setup=${setup}` : null,
    close: async () => {
      clearInterval(keepAlive);
      unsubscribe();
      for (const r of streams) r.end();
      streams.clear();
      if (library.rootPolicy === policy) library.rootPolicy = undefined;
      // Idle keep-alive connections would hold close() open for their timeout.
      const force = setTimeout(() => app.server.closeAllConnections(), 2000);
      force.unref();
      await app.close();
      clearTimeout(force);
      authStore.close();
    },
  };
}

/**
 * The request body, at most `limit` bytes (413 past it), held once: with a Content-Length, read
 * straight into a buffer of that size; chunked, streamed to a private temp file (mode 0600 in a
 * 0700 folder) and read back whole, so neither way holds a second copy while it arrives.
 */
async function readCapped(req: FastifyRequest, limit: number): Promise<Uint8Array> {
  const raw = req.raw;
  const tooLarge = () => new HttpError(413, `That file is too large (over ${limit >> 20} MB).`);
  const declared = raw.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, 'The Content-Length header is not a number.');
    if (n > limit) throw tooLarge();
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    for await (const c of raw as AsyncIterable<Buffer>) {
      // node stops at Content-Length; more would be a bug, so refuse rather than overrun.
      if (at + c.length > n) throw new HttpError(400, 'The body is longer than its Content-Length.');
      c.copy(out, at);
      at += c.length;
    }
    if (at !== n) throw new HttpError(400, 'The upload was cut off.');
    return out;
  }
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'photowords-upload-'));
  const file = path.join(dir, 'body');
  try {
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        done(size > limit ? tooLarge() : null, chunk);
      },
    });
    await pipeline(raw, counter, fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    return await fs.promises.readFile(file);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
