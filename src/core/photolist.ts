// The grid's queries over the index: a page of photos in a chosen order, filtered to a folder
// (or a subfolder of it) and by file name, the number of photos per day for date sections, and
// the folders under a library folder. Read-only; IndexStore.photoList() hands out the one
// instance bound to its connection.
//
// Names and extensions come from the path through small SQL functions registered on this
// connection (never used in an index or a view, so the file stays readable by any SQLite). At
// 50,000 photos a name-sorted or searched page costs one pass over the rows; the default order,
// date taken, walks the images_taken index (schema 8). Figures: docs/EVAL.md is for the model;
// the grid's are in docs/GRID.md.
import { sep } from 'node:path';
import type Database from 'better-sqlite3';

export type PhotoSort = 'taken' | 'name' | 'size' | 'type';
export type SortOrder = 'asc' | 'desc';

export const PHOTO_SORTS: readonly PhotoSort[] = ['taken', 'name', 'size', 'type'];

/** Newest first, A to Z, largest first, by type A to Z: what each order means when none is asked for. */
export const DEFAULT_ORDER: Record<PhotoSort, SortOrder> = { taken: 'desc', name: 'asc', size: 'desc', type: 'asc' };

export interface PhotoFilter {
  /** Only photos strictly under this folder (a library folder or any folder below one). */
  under?: string;
  /** Only photos whose file name contains this, ignoring case. */
  search?: string;
}

export interface PhotoListRow {
  id: number;
  path: string;
  width: number | null;
  height: number | null;
  size: number;
  taken: number | null;
  taken_from: string | null;
}

/** Bounds of the paths strictly under `dir`: [dir + sep, dir + the character after sep). */
export function underRange(dir: string): [string, string] {
  const base = dir.endsWith(sep) ? dir.slice(0, -1) : dir;
  return [base + sep, base + String.fromCharCode(sep.charCodeAt(0) + 1)];
}

const nameOf = (p: string) => p.slice(p.lastIndexOf(sep) + 1);
const extOf = (p: string) => {
  const n = nameOf(p);
  const dot = n.lastIndexOf('.');
  return dot > 0 ? n.slice(dot + 1).toLowerCase() : '';
};

// Each order ends on a unique column so pages never overlap or skip a photo between ties.
// Photos whose date is not read yet (taken NULL) come last newest-first, first oldest-first.
function orderBy(sort: PhotoSort, order: SortOrder): string {
  const o = order === 'asc' ? 'ASC' : 'DESC';
  switch (sort) {
    case 'taken':
      return `taken ${o}, id ${o}`;
    case 'name':
      return `pw_name(path) COLLATE NOCASE ${o}, path ${o}`;
    case 'size':
      return `size ${o}, id ${o}`;
    case 'type':
      return `pw_ext(path) ${o}, pw_name(path) COLLATE NOCASE ${o}, path ${o}`;
  }
}

export class PhotoList {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    db.function('pw_name', { deterministic: true }, (p: unknown) => nameOf(String(p)));
    db.function('pw_ext', { deterministic: true }, (p: unknown) => extOf(String(p)));
    db.function('pw_dir', { deterministic: true }, (p: unknown) => {
      const s = String(p);
      return s.slice(0, s.lastIndexOf(sep));
    });
    // Lower-cased by JavaScript, not SQLite's lower(), which knows only ASCII ("Été" has to match "été").
    db.function('pw_has', { deterministic: true }, (p: unknown, needle: unknown) => (nameOf(String(p)).toLowerCase().includes(String(needle)) ? 1 : 0));
  }

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) this.cache.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private where(f: PhotoFilter): { sql: string; args: unknown[] } {
    const parts = ["status = 'indexed'"];
    const args: unknown[] = [];
    if (f.under) {
      parts.push('path >= ? AND path < ?');
      args.push(...underRange(f.under));
    }
    const needle = f.search?.trim().toLowerCase();
    if (needle) {
      parts.push('pw_has(path, ?)');
      args.push(needle);
    }
    return { sql: parts.join(' AND '), args };
  }

  count(f: PhotoFilter): number {
    const w = this.where(f);
    return (this.stmt(`SELECT COUNT(*) AS n FROM images WHERE ${w.sql}`).get(...w.args) as { n: number }).n;
  }

  page(f: PhotoFilter, sort: PhotoSort, order: SortOrder, offset: number, limit: number): PhotoListRow[] {
    const w = this.where(f);
    return this.stmt(
      `SELECT id, path, width, height, size, taken, taken_from FROM images WHERE ${w.sql} ORDER BY ${orderBy(sort, order)} LIMIT ? OFFSET ?`,
    ).all(...w.args, limit, offset) as PhotoListRow[];
  }

  /**
   * Photos per day taken ('YYYY-MM-DD' of the wall clock; null: not read yet), in the order the
   * 'taken' sort lists them, so the n-th photo of that listing lies in the day where the running
   * count passes n.
   */
  days(f: PhotoFilter, order: SortOrder): { day: string | null; n: number }[] {
    const w = this.where(f);
    const o = order === 'asc' ? 'ASC' : 'DESC';
    return this.stmt(
      `SELECT strftime('%Y-%m-%d', taken / 1000, 'unixepoch') AS day, COUNT(*) AS n FROM images WHERE ${w.sql} GROUP BY day ORDER BY day ${o}`,
    ).all(...w.args) as { day: string | null; n: number }[];
  }

  /** Indexed photos per folder that holds them directly, for every folder under `dir`. */
  dirCounts(dir: string): { dir: string; n: number }[] {
    return this.stmt(
      "SELECT pw_dir(path) AS dir, COUNT(*) AS n FROM images WHERE status = 'indexed' AND path >= ? AND path < ? GROUP BY dir",
    ).all(...underRange(dir)) as { dir: string; n: number }[];
  }

  /** Indexed photos whose date taken is not read yet (an index from before schema 8), a batch at a time. */
  missingTaken(limit: number): { id: number; path: string; mtime_ms: number }[] {
    return this.stmt("SELECT id, path, mtime_ms FROM images WHERE status = 'indexed' AND taken IS NULL ORDER BY id LIMIT ?").all(limit) as {
      id: number;
      path: string;
      mtime_ms: number;
    }[];
  }

  /** Records a date read later (the background fill); only while the photo still has none. */
  setTaken(id: number, taken: number, from: string): void {
    this.stmt('UPDATE images SET taken = ?, taken_from = ? WHERE id = ? AND taken IS NULL').run(taken, from, id);
  }
}
