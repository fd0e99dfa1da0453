// The checks every request passes before any route: the Host header (DNS rebinding), where a
// changing request comes from (Origin, Sec-Fetch-Site), what a read-only token may call, and the
// shape of a JSON body (size, depth). Each refusal says why in words.
import os from 'node:os';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isReadOnlyMethod, HTTP } from '../shared/api.js';
import { JSON_DEPTH, JSON_LIMIT, jsonDepth } from './limits.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** A client address on this machine (IPv4-mapped IPv6 too). */
export function isLoopbackAddress(ip: string | undefined): boolean {
  if (!ip) return false;
  const a = ip.replace(/^::ffff:/, '');
  return a === '::1' || /^127\./.test(a);
}

const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);

/**
 * Host header values this server answers: its bind address, localhost's names when bound to
 * loopback or every interface, every interface's address when bound to all, and the names
 * given with --public-name (a bare name: with our port or with none, as a proxy on 443 sends it).
 */
export function allowedHosts(bind: string, port: number, publicNames: string[] = []): Set<string> {
  const out = new Set<string>();
  const add = (h: string, withBare = false) => {
    out.add(`${bracket(h).toLowerCase()}:${port}`);
    if (withBare) out.add(bracket(h).toLowerCase());
  };
  add(bind);
  if (isLoopbackHost(bind) || isWildcardHost(bind)) for (const h of ['localhost', '127.0.0.1', '::1']) add(h);
  if (isWildcardHost(bind)) {
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) add(a.family === 'IPv6' && a.scopeid ? `${a.address}%${a.scopeid}` : a.address);
    }
  }
  for (const n of publicNames) {
    const name = n.trim().toLowerCase();
    if (!name) continue;
    if (/:\d+$/.test(name) && !/^[^[]*:.*:/.test(name)) out.add(name);
    else add(name, true);
  }
  return out;
}

export function checkHost(req: FastifyRequest, allowed: Set<string>, trustProxy: boolean): void {
  const host = String(req.headers.host ?? '').toLowerCase();
  const forwarded = trustProxy ? req.headers['x-forwarded-host'] : undefined;
  const names = [host, ...(typeof forwarded === 'string' ? [forwarded.split(',')[0].trim().toLowerCase()] : [])];
  for (const h of names) {
    if (!allowed.has(h)) {
      throw new HttpError(
        403,
        `Refused: this server does not answer to the host name "${h.slice(0, 100)}". Start photowords serve with --public-name ${h.replace(/:\d+$/, '').slice(0, 100) || '<name>'} to allow it.`,
        'forbidden',
      );
    }
  }
}

const CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const isChanging = (method: string) => CHANGING.has(method);

/**
 * Another site's page may send requests here (a form, fetch, an <img>, an EventSource): the
 * browser says so in Origin and Sec-Fetch-Site. Changing requests must come from our own origin;
 * API, event and file requests from our own page or typed in the address bar.
 */
export function checkOrigin(req: FastifyRequest, apiRoute: boolean): void {
  const origin = req.headers.origin;
  if (origin !== undefined && (isChanging(req.method) || apiRoute)) {
    if (origin !== `${req.protocol}://${req.host}`) throw new HttpError(403, 'Refused: request from another site.', 'forbidden');
  }
  const site = req.headers['sec-fetch-site'];
  if (apiRoute && site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, 'Refused: request from another site.', 'forbidden');
  }
}

/**
 * The routes a read-only token may POST to: read-only JSON calls and the upload search.
 * `target` is the JSON call's method name, or the route matched.
 */
export function checkScope(req: FastifyRequest, target: string, scope: 'full' | 'read'): void {
  if (scope === 'full' || !isChanging(req.method)) return;
  if (target === HTTP.similarToFile || isReadOnlyMethod(target)) return;
  throw new HttpError(403, 'Refused: a read-only API token may not change anything.', 'forbidden');
}

/**
 * JSON bodies: at most JSON_LIMIT bytes and JSON_DEPTH levels (checked on the text, before
 * JSON.parse sees it); an empty body is no arguments.
 */
export function jsonParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: JSON_LIMIT }, (_req, text, done) => {
    const s = String(text);
    if (s.trim() === '') return done(null, undefined);
    if (jsonDepth(s, JSON_DEPTH) > JSON_DEPTH) return done(new HttpError(400, `The request body nests deeper than ${JSON_DEPTH} levels.`, 'bad-request'), undefined);
    try {
      // A "__proto__" key would become an object's prototype once code Object.assigns the body.
      done(
        null,
        JSON.parse(s, (k, v) => (k === '__proto__' ? undefined : v)),
      );
    } catch {
      done(new HttpError(400, 'The request body is not JSON.', 'bad-request'), undefined);
    }
  });
}
