// The `trashed` table (schema 9): what Photowords moved to the system's trash, so the Trash view
// can list it and Restore can put it back. The system's trash is the truth; a row says where to look.

import type Database from 'better-sqlite3';

/** A file Photowords moved to the system's trash (table `trashed`). */
export interface TrashedRecord {
  id: number;
  /** Where it was: the path as indexed. */
  path: string;
  /** The library folder it was under, when it was under one. */
  folder: string | null;
  bytes: number;
  hash: string | null;
  mtimeMs: number | null;
  width: number | null;
  height: number | null;
  /** ms since 1970. */
  trashedAt: number;
}

type TrashedRow = { id: number; path: string; folder: string | null; bytes: number; hash: string | null; mtime_ms: number | null; width: number | null; height: number | null; trashed_at: number };

const trashedRecord = (r: TrashedRow): TrashedRecord => ({
  id: r.id,
  path: r.path,
  folder: r.folder,
  bytes: r.bytes,
  hash: r.hash,
  mtimeMs: r.mtime_ms,
  width: r.width,
  height: r.height,
  trashedAt: r.trashed_at,
});

export class Trashed {
  constructor(private readonly db: Database.Database) {}

  /** Records a file moved to the system's trash; returns the row's id. */
  add(t: Omit<TrashedRecord, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO trashed (path, folder, bytes, hash, mtime_ms, width, height, trashed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(t.path, t.folder, t.bytes, t.hash, t.mtimeMs, t.width, t.height, t.trashedAt).lastInsertRowid,
    );
  }

  /** Every trashed file on record, newest first. */
  list(): TrashedRecord[] {
    return this.db.prepare<[], TrashedRow>('SELECT * FROM trashed ORDER BY trashed_at DESC, id DESC').all().map(trashedRecord);
  }

  get(id: number): TrashedRecord | undefined {
    const r = this.db.prepare<[number], TrashedRow>('SELECT * FROM trashed WHERE id = ?').get(id);
    return r && trashedRecord(r);
  }

  /** Forgets a trashed file (restored, or gone from the trash); returns whether it was on record. */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM trashed WHERE id = ?').run(id).changes > 0;
  }
}
