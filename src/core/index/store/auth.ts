// The owner's password, sign-in sessions and API tokens of `photowords serve`, kept in the
// library's own SQLite index (schema 7, schema.ts), so a library moved to another machine keeps
// its owner, and `photowords password` / `token` work on the same file the server reads.
//
// Its own connection to the file rather than the engine's: the engine is reopened when settings
// change, and the CLI must reach these tables without loading the model or taking the library's
// writer lock. Every secret is stored only as a hash (scrypt for the password, SHA-256 for the
// 256-bit random session ids and tokens, which need no slow hash), so a copy of the index lets
// no one sign in.
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import type { ApiTokenInfo, AuthScope, NewApiToken } from '../../../shared/api.js';

/** The tables (schema.ts creates them in a new file; migrations.ts adds them in its schema-7 step). */
export const AUTH_TABLES = `
CREATE TABLE IF NOT EXISTS auth_owner (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  password   TEXT NOT NULL,          -- scrypt$N$r$p$salt$key (base64url)
  changed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_sessions (
  id_hash    TEXT PRIMARY KEY,       -- sha256 of the cookie's value
  scope      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  seen_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auth_tokens (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  scope      TEXT NOT NULL CHECK (scope IN ('full', 'read')),
  hash       TEXT NOT NULL UNIQUE,   -- sha256 of the whole token
  created_at INTEGER NOT NULL,
  last_used  INTEGER
);`;

export const AUTH_SCHEMA_VERSION = 7;

/** 30 days, the cookie's Max-Age and the row's expiry. */
export const SESSION_MS = 30 * 24 * 3600 * 1000;
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 1024;
export const TOKEN_PREFIX = 'pwt_';

// scrypt at OWASP's floor (its cost: docs/SERVER.md#first-run-and-sign-in). maxmem must exceed
// 128*N*r or node refuses.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LEN = 32;

export class AuthInputError extends Error {}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const b64 = (b: Buffer) => b.toString('base64url');

function scrypt(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => crypto.scrypt(password.normalize('NFC'), salt, KEY_LEN, { N, r, p, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${b64(salt)}$${b64(key)}`;
}

/** Constant-time: the comparison takes as long whichever byte differs. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64url');
  const got = await scrypt(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

export function checkNewPassword(password: unknown): string {
  if (typeof password !== 'string') throw new AuthInputError('A password is needed.');
  const n = [...password].length;
  if (n < PASSWORD_MIN) throw new AuthInputError(`The password must be at least ${PASSWORD_MIN} characters long.`);
  if (n > PASSWORD_MAX) throw new AuthInputError(`The password may be at most ${PASSWORD_MAX} characters long.`);
  return password;
}

/** A random secret: 32 bytes, base64url. */
export function randomSecret(): string {
  return b64(crypto.randomBytes(32));
}

/** Equal strings, compared in constant time (through their hashes, so lengths leak nothing). */
export function sameSecret(a: string, b: string): boolean {
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(a).digest(), crypto.createHash('sha256').update(b).digest());
}

export interface SessionRow {
  scope: AuthScope;
  expiresAt: number;
}

export class AuthStore {
  private constructor(private readonly db: Database.Database) {}

  /**
   * Opens the auth tables of an index that this build has opened before (schema 7 or later is
   * written by Library.open); a missing or older file is refused with what to do.
   */
  static open(dbPath: string): AuthStore {
    let db: Database.Database;
    try {
      db = new Database(dbPath, { fileMustExist: true });
    } catch {
      throw new Error(`There is no Photowords index at ${dbPath}. Start \`photowords serve --db ${dbPath}\` once to create it.`);
    }
    try {
      const version = Number(db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value);
      if (!(version >= AUTH_SCHEMA_VERSION)) {
        throw new Error(`The index ${dbPath} is from an older Photowords (schema ${version || '?'}); start \`photowords serve --db ${dbPath}\` once to update it.`);
      }
      db.pragma('busy_timeout = 5000');
      return new AuthStore(db);
    } catch (e) {
      db.close();
      if ((e as { code?: string }).code?.startsWith('SQLITE_')) throw new Error(`${dbPath} is not a Photowords index: ${(e as Error).message}`);
      throw e;
    }
  }

  close(): void {
    this.db.close();
  }

  // ---- the owner's password ---------------------------------------------------------------

  passwordSet(): boolean {
    return this.db.prepare('SELECT 1 FROM auth_owner WHERE id = 1').get() !== undefined;
  }

  async checkPassword(password: string): Promise<boolean> {
    const row = this.db.prepare<[], { password: string }>('SELECT password FROM auth_owner WHERE id = 1').get();
    if (!row) return false;
    return verifyPassword(password, row.password);
  }

  /** Sets (or resets) the password and ends every session: whoever knew the old one is out. */
  async setPassword(password: string): Promise<void> {
    const hash = await hashPassword(checkNewPassword(password));
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO auth_owner (id, password, changed_at) VALUES (1, ?, ?)').run(hash, Date.now());
      this.db.prepare('DELETE FROM auth_sessions').run();
    })();
  }

  /** Sets the first password only if none is set (two setups racing: one wins). */
  async setFirstPassword(password: string): Promise<boolean> {
    const hash = await hashPassword(checkNewPassword(password));
    return this.db.prepare('INSERT OR IGNORE INTO auth_owner (id, password, changed_at) VALUES (1, ?, ?)').run(hash, Date.now()).changes === 1;
  }

  // ---- sessions -----------------------------------------------------------------------------

  /** A new session; returns the cookie's value (only its hash is kept). */
  createSession(scope: AuthScope = 'full', now = Date.now()): { id: string; expiresAt: number } {
    const id = randomSecret();
    const expiresAt = now + SESSION_MS;
    this.db.prepare('DELETE FROM auth_sessions WHERE expires_at <= ?').run(now);
    this.db.prepare('INSERT INTO auth_sessions (id_hash, scope, created_at, expires_at, seen_at) VALUES (?, ?, ?, ?, ?)').run(sha256(id), scope, now, expiresAt, now);
    return { id, expiresAt };
  }

  session(id: string, now = Date.now()): SessionRow | undefined {
    if (typeof id !== 'string' || id.length > 100) return undefined;
    const row = this.db.prepare<[string], { scope: AuthScope; expires_at: number; seen_at: number }>('SELECT scope, expires_at, seen_at FROM auth_sessions WHERE id_hash = ?').get(sha256(id));
    if (!row) return undefined;
    if (row.expires_at <= now) {
      this.deleteSession(id);
      return undefined;
    }
    // Seen-at is for the owner's curiosity, not security: written at most hourly, not per request.
    if (now - row.seen_at > 3600_000) this.db.prepare('UPDATE auth_sessions SET seen_at = ? WHERE id_hash = ?').run(now, sha256(id));
    return { scope: row.scope, expiresAt: row.expires_at };
  }

  deleteSession(id: string): void {
    this.db.prepare('DELETE FROM auth_sessions WHERE id_hash = ?').run(sha256(id));
  }

  /** Ends every session but `keep` (a password change). */
  deleteOtherSessions(keep?: string): void {
    this.db.prepare('DELETE FROM auth_sessions WHERE id_hash != ?').run(keep ? sha256(keep) : '');
  }

  // ---- API tokens ---------------------------------------------------------------------------

  createToken(name: unknown, scope: unknown): NewApiToken {
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) throw new AuthInputError('A token needs a name (1 to 100 characters).');
    if (scope !== 'full' && scope !== 'read') throw new AuthInputError("A token's scope is 'full' or 'read'.");
    const token = TOKEN_PREFIX + randomSecret();
    const id = Number(this.db.prepare('INSERT INTO auth_tokens (name, scope, hash, created_at) VALUES (?, ?, ?, ?)').run(name.trim(), scope, sha256(token), Date.now()).lastInsertRowid);
    return { id, name: name.trim(), scope, token };
  }

  listTokens(): ApiTokenInfo[] {
    return this.db
      .prepare<[], { id: number; name: string; scope: AuthScope; created_at: number; last_used: number | null }>('SELECT id, name, scope, created_at, last_used FROM auth_tokens ORDER BY id')
      .all()
      .map((r) => ({ id: r.id, name: r.name, scope: r.scope, created: r.created_at, lastUsed: r.last_used }));
  }

  revokeToken(id: unknown): boolean {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new AuthInputError('Which token? Give its id (a number).');
    return this.db.prepare('DELETE FROM auth_tokens WHERE id = ?').run(id).changes === 1;
  }

  /** The scope of a presented token, or undefined if no such token (looked up by its hash). */
  tokenScope(token: string, now = Date.now()): AuthScope | undefined {
    if (typeof token !== 'string' || !token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined;
    const h = sha256(token);
    const row = this.db.prepare<[string], { id: number; scope: AuthScope; last_used: number | null }>('SELECT id, scope, last_used FROM auth_tokens WHERE hash = ?').get(h);
    if (!row) return undefined;
    if (row.last_used === null || now - row.last_used > 60_000) this.db.prepare('UPDATE auth_tokens SET last_used = ? WHERE id = ?').run(now, row.id);
    return row.scope;
  }
}
