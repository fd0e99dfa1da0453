// Who is asking: the owner's session (a cookie), an API token (Authorization: Bearer), or, on a
// loopback server without sign-in, the desktop user. And the routes that sign in and out, set
// the password and manage tokens (docs/SERVER.md; the shapes are in src/shared/api.ts).
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER, HTTP, type AuthScope, type AuthState } from '../shared/api.js';
import { AuthInputError, AuthStore, SESSION_MS, checkNewPassword, randomSecret, sameSecret } from '../core/index.js';
import { FailureLimiter } from './limits.js';
import { HttpError, isLoopbackAddress } from './guards.js';

export const SESSION_COOKIE = 'photowords_session';

/** How a request is authenticated: 'open' is a loopback server without sign-in. */
export interface Identity {
  via: 'session' | 'token' | 'open' | null;
  scope: AuthScope | null;
  /** The cookie's value, for a session. */
  session?: string;
}

export interface AuthOptions {
  store: AuthStore;
  /** Sign-in needed (any bind but loopback, or --auth). */
  required: boolean;
  /** Bound to loopback: setup from a loopback address needs no setup token. */
  loopbackBind: boolean;
  trustProxy: boolean;
}

/** The CSRF token of a session: derived from its secret id, so nothing more is stored. */
function csrfOf(session: string): string {
  return crypto.createHash('sha256').update(`photowords-csrf:${session}`).digest('base64url');
}

export class Auth {
  readonly store: AuthStore;
  readonly required: boolean;
  /** Printed in the setup URL while no password is set; dies once one is. */
  private setupToken: string | null = null;
  /** The CSRF token of a server without sign-in, one per run. */
  private readonly openCsrf = randomSecret();
  readonly failures = new FailureLimiter();

  constructor(private readonly opts: AuthOptions) {
    this.store = opts.store;
    this.required = opts.required;
  }

  /** A one-time setup token, when sign-in is required and no password is set yet; else null. */
  startSetup(): string | null {
    this.setupToken = this.required && !this.store.passwordSet() ? randomSecret() : null;
    return this.setupToken;
  }

  identify(req: FastifyRequest): Identity {
    const authz = req.headers.authorization;
    if (typeof authz === 'string' && authz.length > 0) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz);
      const scope = m ? this.store.tokenScope(m[1]) : undefined;
      // A wrong token is never quietly ignored for the cookie or the open mode: the script is told.
      if (!scope) throw new HttpError(401, 'That API token is not valid (revoked, or mistyped).', 'unauthorized');
      return { via: 'token', scope };
    }
    const cookie = req.cookies?.[SESSION_COOKIE];
    if (cookie) {
      const s = this.store.session(cookie);
      if (s) return { via: 'session', scope: s.scope, session: cookie };
    }
    if (!this.required) return { via: 'open', scope: 'full' };
    return { via: null, scope: null };
  }

  csrfFor(who: Identity): string | null {
    if (who.via === 'session' && who.session) return csrfOf(who.session);
    if (who.via === 'open') return this.openCsrf;
    return null;
  }

  /** A changing request carried by the cookie (or open mode) needs the CSRF header; a token does not. */
  checkCsrf(req: FastifyRequest, who: Identity): void {
    const want = this.csrfFor(who);
    if (want === null) return;
    const got = req.headers[CSRF_HEADER];
    if (typeof got !== 'string' || !sameSecret(got, want)) {
      throw new HttpError(403, `Refused: this request lacks the ${CSRF_HEADER} header of this page (reload the page).`, 'forbidden');
    }
  }

  /**
   * Loopback on a loopback bind (the person at this computer) sets up without the token. A
   * forwarded request is not the person at this computer even when the proxy is.
   */
  private setupNeedsToken(req: FastifyRequest): boolean {
    if (!this.opts.loopbackBind) return true;
    const forwarded = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
    if (forwarded && !this.opts.trustProxy) return true;
    return !isLoopbackAddress(req.ip);
  }

  state(req: FastifyRequest, who: Identity): AuthState {
    const passwordSet = this.store.passwordSet();
    return {
      required: this.required,
      passwordSet,
      signedIn: who.via !== null,
      scope: who.scope,
      csrf: this.csrfFor(who),
      setupNeedsToken: !passwordSet && this.setupNeedsToken(req),
    };
  }

  private setCookie(req: FastifyRequest, reply: FastifyReply, id: string): void {
    reply.setCookie(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: req.protocol === 'https',
      maxAge: SESSION_MS / 1000,
    });
  }

  private clearCookie(req: FastifyRequest, reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: req.protocol === 'https' });
  }

  private signIn(req: FastifyRequest, reply: FastifyReply): AuthState {
    const { id } = this.store.createSession('full');
    this.setCookie(req, reply, id);
    return this.state(req, { via: 'session', scope: 'full', session: id });
  }

  /** The auth routes. `who(req)` is the identity the onRequest hook found. */
  routes(app: FastifyInstance, who: (req: FastifyRequest) => Identity): void {
    const body = (req: FastifyRequest): Record<string, unknown> => {
      const b = req.body;
      if (b === undefined || b === null) return {};
      if (typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'The request body must be a JSON object.');
      return b as Record<string, unknown>;
    };
    const input = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (e) {
        if (e instanceof AuthInputError) throw new HttpError(400, e.message);
        throw e;
      }
    };
    // The owner only: a session or the desktop user, never a token (a leaked token must not mint more).
    const owner = (req: FastifyRequest): Identity => {
      const w = who(req);
      if (w.via === null) throw new HttpError(401, 'Sign in first.', 'unauthorized');
      if (w.via === 'token' || w.scope !== 'full') throw new HttpError(403, 'Only the owner, signed in, may do this (not an API token).', 'forbidden');
      return w;
    };
    // Request-rate limits on top of the failure count (FailureLimiter): each try costs a 32 MiB scrypt.
    const tries = { config: { rateLimit: { max: 30, timeWindow: 60_000 } } };

    app.get(HTTP.authState, async (req) => this.state(req, who(req)));

    app.post(HTTP.authSetup, tries, async (req, reply) => {
      const b = body(req);
      if (this.store.passwordSet()) throw new HttpError(409, 'A password is already set; sign in with it (or reset it with `photowords password`).', 'busy');
      if (this.setupNeedsToken(req)) {
        const t = b.setupToken;
        if (typeof t !== 'string' || this.setupToken === null || !sameSecret(t, this.setupToken)) {
          throw new HttpError(403, 'Setting the first password needs the setup link photowords serve printed when it started.', 'forbidden');
        }
      }
      const password = input(() => checkNewPassword(b.password));
      if (!(await this.store.setFirstPassword(password))) throw new HttpError(409, 'A password is already set; sign in with it.', 'busy');
      this.setupToken = null;
      return this.signIn(req, reply);
    });

    app.post(HTTP.authLogin, tries, async (req, reply) => {
      const b = body(req);
      const key = req.ip;
      const wait = this.failures.retryAfter(key);
      if (wait > 0) {
        reply.header('Retry-After', String(wait));
        throw new HttpError(429, `Too many wrong passwords; try again in ${wait} s.`, 'rate-limited');
      }
      if (!this.store.passwordSet()) throw new HttpError(409, 'No password is set yet: open the setup link photowords serve printed.', 'busy');
      const password = b.password;
      if (typeof password !== 'string' || password.length > 4096 || !(await this.store.checkPassword(password))) {
        this.failures.fail(key);
        throw new HttpError(401, 'Wrong password.', 'unauthorized');
      }
      return this.signIn(req, reply);
    });

    app.post(HTTP.authLogout, async (req, reply) => {
      const w = who(req);
      if (w.via === 'session' && w.session) this.store.deleteSession(w.session);
      this.clearCookie(req, reply);
      return this.state(req, this.required ? { via: null, scope: null } : { via: 'open', scope: 'full' });
    });

    app.post(HTTP.authPassword, tries, async (req, reply) => {
      const w = owner(req);
      const b = body(req);
      const key = req.ip;
      const wait = this.failures.retryAfter(key);
      if (wait > 0) {
        reply.header('Retry-After', String(wait));
        throw new HttpError(429, `Too many wrong passwords; try again in ${wait} s.`, 'rate-limited');
      }
      const password = input(() => checkNewPassword(b.password));
      if (this.store.passwordSet()) {
        if (typeof b.current !== 'string' || b.current.length > 4096 || !(await this.store.checkPassword(b.current))) {
          this.failures.fail(key);
          throw new HttpError(401, 'The current password is wrong.', 'unauthorized');
        }
      }
      await this.store.setPassword(password); // ends every session, this one too
      this.setupToken = null;
      if (w.via === 'session') return this.signIn(req, reply);
      return this.state(req, w);
    });

    app.get(HTTP.authTokens, async (req) => {
      owner(req);
      return this.store.listTokens();
    });

    app.post(HTTP.authTokens, async (req) => {
      owner(req);
      const b = body(req);
      return input(() => this.store.createToken(b.name, b.scope));
    });

    app.post(HTTP.authTokensRevoke, async (req) => {
      owner(req);
      const b = body(req);
      const gone = input(() => this.store.revokeToken(b.id));
      if (!gone) throw new HttpError(404, 'No such token (already revoked?).');
      return { ok: true as const };
    });
  }
}
