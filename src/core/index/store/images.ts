// The `images` table: one row per known file, indexed or failed, with its file identity (path,
// size, mtime, content hash), how it was read and when it was taken. Its words live in the
// tables words.ts and vectors.ts keep; writer.ts changes a photo's rows together.

import type Database from 'better-sqlite3';
import type { TakenFrom } from '../../analysis/taken.js';
import { underRange } from '../../browse/photolist.js';

export type ImageStatus = 'indexed' | 'failed';

/** What the scanner knows about a file before decoding it. */
export interface FileInfo {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface IndexedFileInfo extends FileInfo {
  /** Content hash if the caller computed one (exact-duplicate detection). */
  hash?: string | null;
  width: number;
  height: number;
  /** How the photo was read when not from the whole picture, for `info` and the UI. */
  note?: string | null;
  /** When it was taken (taken.ts: wall-clock ms as if UTC) and whether from EXIF or the file's mtime. */
  taken?: number | null;
  takenFrom?: TakenFrom | null;
}

export interface ImageRecord {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
  hash: string | null;
  width: number | null;
  height: number | null;
  status: ImageStatus;
  error: string | null;
  indexedAt: number;
  /** For a failed file, the kind of failure (a DecodeFailureCode) when known; null for indexed ones. */
  failureCode?: string | null;
  /** For an indexed photo read from less than the whole picture: how (a RAW's small thumbnail, a cut-off JPEG). */
  note?: string | null;
  /** Schema 8: when it was taken (taken.ts), null until read; 'exif' or 'mtime'. */
  taken?: number | null;
  takenFrom?: string | null;
}

export interface ImageRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  hash: string | null;
  width: number | null;
  height: number | null;
  status: ImageStatus;
  error: string | null;
  indexed_at: number;
  failure_code: string | null;
  note: string | null;
  taken: number | null;
  taken_from: string | null;
}

/** An indexed photo as a page of the folder view lists it. */
export interface PhotoRow {
  id: number;
  path: string;
  width: number | null;
  height: number | null;
}

/** A known file as a reconcile compares it with the disk (Images.filesUnder). */
export interface KnownFile {
  path: string;
  size: number;
  mtimeMs: number;
  status: ImageStatus;
  failureCode: string | null;
}

export function toRecord(r: ImageRow): ImageRecord {
  return {
    id: r.id,
    path: r.path,
    size: r.size,
    mtimeMs: r.mtime_ms,
    hash: r.hash,
    width: r.width,
    height: r.height,
    status: r.status,
    error: r.error,
    indexedAt: r.indexed_at,
    failureCode: r.failure_code ?? null,
    note: r.note ?? null,
    taken: r.taken ?? null,
    takenFrom: r.taken_from ?? null,
  };
}

function prepare(db: Database.Database) {
  return {
    byPath: db.prepare<[string], ImageRow>('SELECT * FROM images WHERE path = ?'),
    byId: db.prepare<[number], ImageRow>('SELECT * FROM images WHERE id = ?'),
    listImages: db.prepare<[], ImageRow>('SELECT * FROM images ORDER BY id'),
    insertImage: db.prepare(
      `INSERT INTO images (path, size, mtime_ms, hash, width, height, status, error, indexed_at, failure_code, note, taken, taken_from)
       VALUES (@path, @size, @mtimeMs, @hash, @width, @height, @status, @error, @indexedAt, @failureCode, @note, @taken, @takenFrom)`,
    ),
    updateImage: db.prepare(
      `UPDATE images SET size = @size, mtime_ms = @mtimeMs, hash = @hash, width = @width, height = @height,
         status = @status, error = @error, indexed_at = @indexedAt, failure_code = @failureCode, note = @note,
         taken = @taken, taken_from = @takenFrom WHERE id = @id`,
    ),
    deleteImage: db.prepare<[number]>('DELETE FROM images WHERE id = ?'),
    countStatus: db.prepare<[], { status: ImageStatus; n: number }>('SELECT status, COUNT(*) AS n FROM images GROUP BY status'),
    notes: db.prepare<[], { path: string; note: string }>("SELECT path, note FROM images WHERE status = 'indexed' AND note IS NOT NULL ORDER BY path"),
    failures: db.prepare<[], { path: string; error: string | null }>("SELECT path, error FROM images WHERE status = 'failed' ORDER BY path"),
    // Paths under a folder are the range [dir + '/', dir + '0'): '0' is the character after '/',
    // so the UNIQUE index on path answers it without a scan.
    countUnder: db.prepare<[string, string], { status: ImageStatus; n: number }>('SELECT status, COUNT(*) AS n FROM images WHERE path >= ? AND path < ? GROUP BY status'),
    pageUnder: db.prepare<[string, string, number, number], PhotoRow>("SELECT id, path, width, height FROM images WHERE status = 'indexed' AND path >= ? AND path < ? ORDER BY path LIMIT ? OFFSET ?"),
    pageAll: db.prepare<[number, number], PhotoRow>("SELECT id, path, width, height FROM images WHERE status = 'indexed' ORDER BY path LIMIT ? OFFSET ?"),
    pathsUnder: db.prepare<[string, string], { path: string }>('SELECT path FROM images WHERE path >= ? AND path < ?'),
  };
}

/** Rows of `images` by path and id, their counts and pages; statements the open store uses all the time are prepared at open. */
export class Images {
  private readonly stmts: ReturnType<typeof prepare>;
  private syncStmts?: {
    move: Database.Statement<[string, number, number, number]>;
    touch: Database.Statement<[number, number, number]>;
    under: Database.Statement<[string, string, number], ImageRow>;
    filesUnder: Database.Statement<[string, string, number], KnownFile>;
    byHash: Database.Statement<[string], ImageRow>;
  };
  private liveStmts?: {
    indexedSince: Database.Statement<[number], { id: number; indexed_at: number }>;
    indexedIds: Database.Statement<[], number>;
    countIndexed: Database.Statement<[], number>;
    digestBefore: Database.Statement<[number], IndexedDigest>;
  };

  constructor(private readonly db: Database.Database) {
    this.stmts = prepare(db);
  }

  row(path: string): ImageRow | undefined {
    return this.stmts.byPath.get(path);
  }

  byId(id: number): ImageRow | undefined {
    return this.stmts.byId.get(id);
  }

  list(): ImageRow[] {
    return this.stmts.listImages.all();
  }

  /** Inserts the row for `values.path`, or overwrites the row `id` in place (its id is kept); returns the id. */
  write(values: Omit<ImageRecord, 'id'>, id?: number): number {
    if (id === undefined) return Number(this.stmts.insertImage.run(values).lastInsertRowid);
    this.stmts.updateImage.run({ ...values, id });
    return id;
  }

  /** Deletes the row; the grids, bags, dense and phash rows go with it (ON DELETE CASCADE). */
  delete(id: number): void {
    this.stmts.deleteImage.run(id);
  }

  private sync() {
    if (!this.syncStmts) {
      // Finding a photo by its content (a renamed file, a copy) uses the images_hash index (schema 2).
      this.syncStmts = {
        move: this.db.prepare('UPDATE images SET path = ?, size = ?, mtime_ms = ? WHERE id = ?'),
        touch: this.db.prepare('UPDATE images SET size = ?, mtime_ms = ? WHERE id = ?'),
        under: this.db.prepare('SELECT * FROM images WHERE path > ? AND path < ? ORDER BY path LIMIT ?'),
        filesUnder: this.db.prepare('SELECT path, size, mtime_ms AS mtimeMs, status, failure_code AS failureCode FROM images WHERE path > ? AND path < ? ORDER BY path LIMIT ?'),
        byHash: this.db.prepare("SELECT * FROM images WHERE hash = ? AND status = 'indexed' ORDER BY id LIMIT 1"),
      };
    }
    return this.syncStmts;
  }

  /** The row `id` takes another path (and the file's size and mtime); nothing else changes. */
  move(id: number, to: string, file: { size: number; mtimeMs: number }): void {
    this.sync().move.run(to, file.size, file.mtimeMs, id);
  }

  touch(id: number, file: { size: number; mtimeMs: number }): void {
    this.sync().touch.run(file.size, file.mtimeMs, id);
  }

  /**
   * Known files under a folder, a page at a time in path order, starting after `after` (''
   * for the first page), so a reconcile never holds a whole library's rows at once.
   */
  recordsUnder(dir: string, after: string, limit: number): ImageRecord[] {
    const [lo, hi] = underRange(dir);
    return this.sync()
      .under.all(after > lo ? after : lo, hi, limit)
      .map(toRecord);
  }

  /**
   * What a reconcile compares with the disk, for the known files under a folder, a page at a time
   * in path order: only the columns it needs, no record built (a million rows at every open).
   */
  filesUnder(dir: string, after: string, limit: number): KnownFile[] {
    const [lo, hi] = underRange(dir);
    return this.sync().filesUnder.all(after > lo ? after : lo, hi, limit);
  }

  /** An indexed photo with exactly these bytes (sha256), if any. */
  findIndexedByHash(hash: string): ImageRecord | undefined {
    const row = this.sync().byHash.get(hash);
    return row && toRecord(row);
  }

  /** Ids of indexed photos that share their content hash with another, one group per hash (ids ascending), by first id. */
  hashGroups(): number[][] {
    const rows = this.db
      .prepare<[], { ids: string }>(
        `SELECT group_concat(id) AS ids FROM (SELECT id, hash FROM images
           WHERE status = 'indexed' AND hash IS NOT NULL ORDER BY hash, id) GROUP BY hash HAVING COUNT(*) > 1 ORDER BY MIN(id)`,
      )
      .all();
    return rows.map((r) =>
      r.ids
        .split(',')
        .map(Number)
        .sort((a, b) => a - b),
    );
  }

  countByStatus(): { status: ImageStatus; n: number }[] {
    return this.stmts.countStatus.all();
  }

  /** Indexed and failed files under a folder. */
  countUnder(dir: string): { indexed: number; failed: number } {
    const out = { indexed: 0, failed: 0 };
    for (const r of this.stmts.countUnder.all(...underRange(dir))) out[r.status] = r.n;
    return out;
  }

  /** A page of indexed photos under a folder, in path order. */
  pageUnder(dir: string, offset: number, limit: number): PhotoRow[] {
    return this.stmts.pageUnder.all(...underRange(dir), limit, offset);
  }

  /** A page of every indexed photo, in path order. */
  pageAll(offset: number, limit: number): PhotoRow[] {
    return this.stmts.pageAll.all(limit, offset);
  }

  /** Every known path under a folder (indexed or failed). */
  pathsUnder(dir: string): string[] {
    return this.stmts.pathsUnder.all(...underRange(dir)).map((r) => r.path);
  }

  failures(): { path: string; error: string }[] {
    return this.stmts.failures.all().map((r) => ({ path: r.path, error: r.error ?? '' }));
  }

  /** Indexed photos read from less than the whole picture, with how (a RAW's thumbnail, a cut-off file). */
  notes(): { path: string; note: string }[] {
    return this.stmts.notes.all();
  }

  private live() {
    // indexedSince and digestBefore are ranges of images_indexed_at (schema 10), and read nothing
    // else: id is the rowid, in every index. They used to scan every row (docs/EVAL.md, "Cold start").
    this.liveStmts ??= {
      indexedSince: this.db.prepare("SELECT id, indexed_at FROM images WHERE status = 'indexed' AND indexed_at >= ? ORDER BY id"),
      indexedIds: this.db.prepare<[], number>("SELECT id FROM images WHERE status = 'indexed' ORDER BY id").pluck(),
      countIndexed: this.db.prepare<[], number>("SELECT COUNT(*) FROM images WHERE status = 'indexed'").pluck(),
      // Sums kept small enough to stay exact in a double at 10 million photos.
      digestBefore: this.db.prepare<[number], IndexedDigest>(
        "SELECT COUNT(*) AS count, COALESCE(SUM(id), 0) AS idSum, COALESCE(SUM(indexed_at % 1000003), 0) AS atSum FROM images WHERE status = 'indexed' AND indexed_at < ?",
      ),
    };
    return this.liveStmts;
  }

  /** Indexed photos whose words were stored at or after `ms` (epoch ms, images.indexed_at), in id order. */
  indexedSince(ms: number): { id: number; indexedAt: number }[] {
    return this.live()
      .indexedSince.all(ms)
      .map((r) => ({ id: r.id, indexedAt: r.indexed_at }));
  }

  /** Ids of every indexed photo, ascending. */
  indexedIds(): number[] {
    return this.live().indexedIds.all();
  }

  /** How many photos are indexed. */
  countIndexed(): number {
    return this.live().countIndexed.get()!;
  }

  /** Count and sums of the indexed photos stored before `ms`, the rows a persisted query index vouches for. */
  indexedDigest(before: number): IndexedDigest {
    return this.live().digestBefore.get(before)!;
  }
}

/** What indexedDigest() sums: any photo stored, re-indexed, failed or removed before the cut changes it. */
export interface IndexedDigest {
  count: number;
  idSum: number;
  /** Sum of indexed_at modulo a prime. */
  atSum: number;
}
