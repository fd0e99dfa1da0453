// Who may reach each route, and the checks every request passes before any route: Host, where it
// comes from, who asks, CSRF, scope, and the time its body may take to arrive.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HTTP } from '../shared/api.js';
import type { Auth, Identity } from './auth.js';
import { HttpError, checkHost, checkOrigin, checkScope, isChanging } from './guards.js';
import { REQUEST_TIMEOUT_MS } from './limits.js';

/**
 * Who may reach each route, by the route it matched (never by the raw URL: the router decodes
 * `/%61pi/...` to `/api/...`). 'public': the sign-in routes the page needs first; 'owner': a
 * session or the desktop user (auth.ts checks, tokens refused); 'api': a session, token or the
 * desktop user, with CSRF and the token's scope; 'static': the UI's files. A route missing here
 * stops the server at start (the onRoute hook), so none is open by omission.
 */
export type Access = 'public' | 'logout' | 'owner' | 'api' | 'static';
export const CALL_ROUTE = '/api/call/:method';
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
export const accessOf = (req: FastifyRequest): Access => (req.routeOptions.url === undefined ? 'api' : (ACCESS[req.routeOptions.url] ?? 'api'));

declare module 'fastify' {
  interface FastifyRequest {
    who: Identity;
    bodyTimer?: NodeJS.Timeout;
  }
}

/** Before any route is added: a route without a rule in ACCESS stops the server at start. */
export function requireAccessRules(app: FastifyInstance): void {
  app.addHook('onRoute', (r) => {
    if (!(r.url in ACCESS)) throw new Error(`serve: the route ${r.url} has no access rule (ACCESS in access.ts)`);
  });
}

export interface RequestCheckOptions {
  auth: Auth;
  /** X-Forwarded-* is trusted from some proxy. */
  trustProxy: boolean;
  /** The Host names the server answers (known once it listens). */
  allowed: () => Set<string>;
}

/** Every request, before any route: Host, where it comes from, who asks, CSRF, scope. */
export function registerRequestChecks(app: FastifyInstance, { auth, trustProxy, allowed }: RequestCheckOptions): void {
  app.addHook('onRequest', async (req) => {
    // DNS rebinding: a page on another site must not reach this server through a name that
    // resolves to it, so the Host header must be one of ours.
    checkHost(req, allowed(), trustProxy);
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
      if (access === 'api') checkScope(req, route === CALL_ROUTE ? ((req.params as { method?: string }).method ?? '') : (route ?? ''), req.who.scope!);
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
}
