// `photowords serve`: the app's UI for a browser. Serves the same renderer build Electron loads,
// and the same typed API (src/shared/api.ts) over HTTP: JSON calls, a raw-bytes upload for
// "find similar to a file", server-sent events for progress, and guarded file routes for
// thumbnails and photos. On fastify with its official plugins (cookies, rate limits, static
// files), because a server reachable from a network needs what they keep right: body limits,
// timeouts, cookie attributes. What is ours: sign-in (auth.ts), the checks every request passes
// (guards.ts) and the caps (limits.ts). docs/SERVER.md is the owner's guide.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import { AuthStore, RootPolicy, type Library } from '../core/index.js';
import { Auth } from './auth.js';
import { registerRequestChecks, requireAccessRules } from './access.js';
import { allowedHosts, isLoopbackHost, isWildcardHost, jsonParser } from './guards.js';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_MS, Slots, UPLOAD_TIMEOUT_MS, UPLOADS_IN_FLIGHT } from './limits.js';
import { registerApiRoutes } from './routes/api.js';
import { registerErrorHandlers } from './routes/errors.js';
import { EventStreams } from './routes/events.js';
import { registerExportRoutes } from './routes/export.js';
import { registerPhotoRoutes } from './routes/photos.js';
import { registerStatic } from './routes/static.js';

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
    // REQUEST_TIMEOUT_MS by the onRequest hook (access.ts).
    requestTimeout: UPLOAD_TIMEOUT_MS,
    bodyLimit: 1 << 20,
    trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.server.headersTimeout = HEADERS_TIMEOUT_MS;

  let allowed = new Set<string>();
  const events = new EventStreams(library);

  requireAccessRules(app);
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  app.removeContentTypeParser(['application/json', 'text/plain']);
  jsonParser(app);
  registerErrorHandlers(app, log);
  registerRequestChecks(app, { auth, trustProxy: trustProxy !== false, allowed: () => allowed });

  auth.routes(app, (req) => req.who);
  await registerApiRoutes(app, { library, host, loopbackBind, uploadSlots: new Slots(UPLOADS_IN_FLIGHT) });
  events.route(app);
  registerPhotoRoutes(app, library, required);
  registerExportRoutes(app, library);
  await registerStatic(app, opts.staticDir);
  events.start();

  try {
    await app.listen({ port: opts.port ?? 0, host });
  } catch (e) {
    events.stop(false);
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
      events.stop(true);
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
