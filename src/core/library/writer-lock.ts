// One writer per library: `serve`, `daemon` and the app's indexing process each take this lock
// in Library.open, so two of them never index into the same database at once. The lock is a
// file beside the database (`library.db.lock`) made atomically (written to a temporary file,
// then hard-linked into place, which fails if the lock exists), holding the owner's pid, host
// and kind. A lock left by a process that died (kill -9, a crash, a power cut) is taken over:
// on the same host, a pid that no longer runs is stale. A lock from another host (a database on
// a network share) is never taken over automatically.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LockOwner {
  pid: number;
  host: string;
  /** What holds it: 'daemon', 'serve', 'app', 'library'. */
  kind: string;
  startedAt: string;
}

export class DbLockedError extends Error {
  constructor(
    readonly dbPath: string,
    readonly owner: LockOwner | undefined,
    readonly lockPath: string,
  ) {
    const who = owner
      ? `${owner.kind === 'library' ? 'another Photowords process' : `a Photowords ${owner.kind}`} (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt})`
      : 'another Photowords process';
    super(`${dbPath} is in use by ${who}. Stop that one first, or use another --db. ` + (owner && owner.host !== os.hostname() ? `If ${owner.host} is gone for good, delete ${lockPath}.` : ''));
    this.name = 'DbLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // runs, as another user
  }
}

function readOwner(lockPath: string): LockOwner | undefined | 'missing' {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    return undefined;
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

export class DbLock {
  private released = false;

  private constructor(
    readonly lockPath: string,
    private readonly token: string,
  ) {}

  /** Takes the lock for `dbPath` or throws DbLockedError saying who holds it. */
  static acquire(dbPath: string, kind = 'library'): DbLock {
    if (dbPath === ':memory:') return new DbLock('', '');
    const lockPath = `${path.resolve(dbPath)}.lock`;
    const owner: LockOwner = { pid: process.pid, host: os.hostname(), kind, startedAt: new Date().toISOString() };
    const text = JSON.stringify(owner);
    const tmp = `${lockPath}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, text);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          fs.linkSync(tmp, lockPath);
          return new DbLock(lockPath, text);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const held = readOwner(lockPath);
        if (held === 'missing') continue; // released meanwhile
        const stale = held !== undefined && held.host === os.hostname() && held.pid !== process.pid && !alive(held.pid);
        if (!stale) throw new DbLockedError(dbPath, held, lockPath);
        // Take over a dead process's lock: move it aside atomically, so two takers cannot both win.
        const aside = `${lockPath}.stale.${process.pid}`;
        try {
          fs.renameSync(lockPath, aside);
          const moved = readOwner(aside);
          // A live lock made between our look and the move goes back where it was.
          if (typeof moved === 'object' && (moved.pid !== held.pid || moved.startedAt !== held.startedAt)) {
            fs.linkSync(aside, lockPath);
            fs.rmSync(aside, { force: true });
            throw new DbLockedError(dbPath, moved, lockPath);
          }
          fs.rmSync(aside, { force: true });
        } catch (e) {
          if (e instanceof DbLockedError) throw e;
          // Someone else took it over first; try again.
        }
      }
      throw new DbLockedError(dbPath, undefined, lockPath);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Removes the lock file if it is still ours. */
  release(): void {
    if (this.released || !this.lockPath) return;
    this.released = true;
    try {
      if (fs.readFileSync(this.lockPath, 'utf8') === this.token) fs.rmSync(this.lockPath, { force: true });
    } catch {
      // Gone already.
    }
  }
}
