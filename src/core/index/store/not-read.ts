// The `not_read` table (schema 6): files under the library folders that are not read as photos,
// one row per path, kept by mark and sweep over scan generations (see schema.ts for why).

import type Database from 'better-sqlite3';
import { NOT_READ_KINDS, type NotReadKind } from '../../analysis/formats.js';
import { underRange } from '../../browse/photolist.js';
import type { NotReadGroup } from '../../../shared/api.js';
import type { Transaction } from './errors.js';

/** A file (or a hidden folder) under a library folder that is not read as a photo. */
export interface NotReadEntry {
  path: string;
  kind: NotReadKind;
  /** 1 for a file; a hidden folder's count of files. */
  files: number;
  /** For 'too-small': the file as read, so it is not decoded again until it changes. */
  size?: number;
  mtimeMs?: number;
}

/** Files not read of one kind, with a few example paths: the UI's NotReadGroup before it is put in words. */
export type NotReadCount = Omit<NotReadGroup, 'label'>;

interface NotReadRow {
  path: string;
  kind: string;
  files: number;
  size: number | null;
  mtime_ms: number | null;
  seen: number;
}

/** Statements are prepared on first use, when the scan generation starts above the highest on file. */
export class NotRead {
  private stmts?: {
    put: Database.Statement<[string, string, number, number | null, number | null, number]>;
    get: Database.Statement<[string], NotReadRow>;
    del: Database.Statement<[string]>;
    mark: Database.Statement<[number, string]>;
    sweep: Database.Statement<[string, string, number]>;
    sweepAt: Database.Statement<[string, number]>;
    delUnder: Database.Statement<[string, string]>;
    delAt: Database.Statement<[string]>;
    countUnder: Database.Statement<[string, string], { kind: string; files: number }>;
    countAll: Database.Statement<[], { kind: string; files: number }>;
    examplesUnder: Database.Statement<[string, string, string, number], { path: string }>;
    examplesAll: Database.Statement<[string, number], { path: string }>;
    maxSeen: Database.Statement<[], number | null>;
  };
  private gen?: number;

  constructor(
    private readonly db: Database.Database,
    private readonly transaction: Transaction,
  ) {}

  private nr() {
    this.stmts ??= {
      put: this.db.prepare('INSERT OR REPLACE INTO not_read (path, kind, files, size, mtime_ms, seen) VALUES (?, ?, ?, ?, ?, ?)'),
      get: this.db.prepare('SELECT * FROM not_read WHERE path = ?'),
      del: this.db.prepare('DELETE FROM not_read WHERE path = ?'),
      mark: this.db.prepare('UPDATE not_read SET seen = ? WHERE path = ?'),
      sweep: this.db.prepare('DELETE FROM not_read WHERE path >= ? AND path < ? AND seen < ?'),
      sweepAt: this.db.prepare('DELETE FROM not_read WHERE path = ? AND seen < ?'),
      delUnder: this.db.prepare('DELETE FROM not_read WHERE path >= ? AND path < ?'),
      delAt: this.db.prepare('DELETE FROM not_read WHERE path = ?'),
      countUnder: this.db.prepare('SELECT kind, SUM(files) AS files FROM not_read WHERE path >= ? AND path < ? GROUP BY kind'),
      countAll: this.db.prepare('SELECT kind, SUM(files) AS files FROM not_read GROUP BY kind'),
      examplesUnder: this.db.prepare('SELECT path FROM not_read WHERE kind = ? AND path >= ? AND path < ? ORDER BY path LIMIT ?'),
      examplesAll: this.db.prepare('SELECT path FROM not_read WHERE kind = ? ORDER BY path LIMIT ?'),
      maxSeen: this.db.prepare<[], number | null>('SELECT MAX(seen) FROM not_read').pluck(),
    };
    this.gen ??= (this.stmts.maxSeen.get() ?? 0) + 1;
    return this.stmts;
  }

  /**
   * Starts a scan generation: rows written or re-marked from now on are newer than the returned
   * mark, so a scan that ran to the end can drop what it did not find (sweep).
   */
  mark(): number {
    this.nr();
    return ++this.gen!;
  }

  /** Writes the row as found by the scan in progress; the caller forgets any photo at the path (IndexStore.putNotRead). */
  put(e: NotReadEntry): void {
    const s = this.nr();
    s.put.run(e.path, e.kind, e.files, e.size ?? null, e.mtimeMs ?? null, this.gen!);
  }

  get(path: string): NotReadEntry | undefined {
    const r = this.nr().get.get(path);
    return r && { path: r.path, kind: r.kind as NotReadKind, files: r.files, size: r.size ?? undefined, mtimeMs: r.mtime_ms ?? undefined };
  }

  /** Found again by the scan in progress (a too-small file skipped as unchanged). */
  markFound(path: string): void {
    const s = this.nr();
    s.mark.run(this.gen!, path);
  }

  forget(path: string): boolean {
    return this.nr().del.run(path).changes > 0;
  }

  /** Drops the rows at or under `dir` that no scan found since `mark`. Returns how many went. */
  sweep(dir: string, mark: number): number {
    const s = this.nr();
    return this.transaction(() => s.sweep.run(...underRange(dir), mark).changes + s.sweepAt.run(dir, mark).changes);
  }

  /** Forgets every row at or under `dir` (a folder removed from the library, or gone from disk). */
  forgetUnder(dir: string): number {
    const s = this.nr();
    return this.transaction(() => s.delUnder.run(...underRange(dir)).changes + s.delAt.run(dir).changes);
  }

  /**
   * Files not read under `dir` (every folder when left out), by kind in NOT_READ_KINDS order,
   * each with up to `examples` paths (the first in path order). Kinds with no file are left out.
   */
  summary(dir?: string, examples = 3): NotReadCount[] {
    const s = this.nr();
    const range = dir === undefined ? undefined : underRange(dir);
    const rows = range ? s.countUnder.all(...range) : s.countAll.all();
    const files = new Map(rows.map((r) => [r.kind, r.files]));
    const out: NotReadCount[] = [];
    for (const kind of NOT_READ_KINDS) {
      const n = files.get(kind) ?? 0;
      if (n === 0) continue;
      const ex = range ? s.examplesUnder.all(kind, ...range, examples) : s.examplesAll.all(kind, examples);
      out.push({ kind, files: n, examples: ex.map((r) => r.path) });
    }
    return out;
  }
}
