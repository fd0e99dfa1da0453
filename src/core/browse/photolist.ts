// The grid's queries over the index: a page of photos in a chosen order, filtered to a folder
// (or a subfolder of it) and by file name, the number of photos per day for date sections, and
// the folders under a library folder. Read-only; IndexStore.photoList() hands out the one
// instance bound to its connection.
//
// Names and extensions come from the path through small SQL functions registered on this
// connection (never used in an index or a view, so the file stays readable by any SQLite). The
// default order over the whole library, date taken, walks the images_taken index (schema 8);
// any other listing is sorted once and kept (below). Figures at 50,000 photos: docs/GRID.md.
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import type Database from 'better-sqlite3';
import { takenOf } from '../analysis/taken.js';
import type { PhotoSortName, SortOrderName } from '../../shared/api.js';

// The orders the UI offers, defined once in src/shared/library.ts (the renderer may import only src/shared).
export type PhotoSort = PhotoSortName;
export type SortOrder = SortOrderName;

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

const filterKey = (f: PhotoFilter) => `${JSON.stringify([f.under ?? '', f.search?.trim().toLowerCase() ?? ''])} `;

/** Bounds of the paths strictly under `dir`: [dir + sep, dir + the character after sep). */
export function underRange(dir: string): [string, string] {
  const base = dir.endsWith(sep) ? dir.slice(0, -1) : dir;
  return [base + sep, base + String.fromCharCode(sep.charCodeAt(0) + 1)];
}

const nameOf = (p: string) => p.slice(p.lastIndexOf(sep) + 1);

/**
 * A file name as people sort it, as a key SQLite compares byte for byte: case ignored and every
 * run of digits padded to 20, so "IMG_2" comes before "IMG_10" (as in file managers). Leading
 * zeros are dropped first, so "007" and "7" tie and the path decides.
 */
export function naturalKey(name: string): string {
  return name.toLowerCase().replace(/\d+/g, (d) => d.replace(/^0+(?=\d)/, '').padStart(20, '0'));
}
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
      return `pw_natural(path) ${o}, path ${o}`;
    case 'size':
      return `size ${o}, id ${o}`;
    case 'type':
      return `pw_ext(path) ${o}, pw_natural(path) ${o}, path ${o}`;
  }
}

export class PhotoList {
  private readonly cache = new Map<string, Database.Statement>();
  // The last listing in an order no index serves (name, size, type, a search, a folder): its ids in
  // order, so the pages a scroll asks for next are slices, not a sort of every row each (measured
  // at 50,000 photos: docs/GRID.md, "Queries").
  private ordered?: { key: string; stamp: string; ids: number[] };
  // Dates set by the background fill (setTaken) change the order of a date listing too.
  private datesSet = 0;

  /** `version` moves whenever photos are added, removed, renamed or changed (IndexStore.changeCount). */
  constructor(
    private readonly db: Database.Database,
    private readonly version: () => number,
  ) {
    db.function('pw_name', { deterministic: true }, (p: unknown) => nameOf(String(p)));
    db.function('pw_ext', { deterministic: true }, (p: unknown) => extOf(String(p)));
    db.function('pw_natural', { deterministic: true }, (p: unknown) => naturalKey(nameOf(String(p))));
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
    const key = filterKey(f);
    if (this.ordered && this.ordered.key.startsWith(key) && this.ordered.stamp === this.stamp()) return this.ordered.ids.length;
    const w = this.where(f);
    return (this.stmt(`SELECT COUNT(*) AS n FROM images WHERE ${w.sql}`).get(...w.args) as { n: number }).n;
  }

  page(f: PhotoFilter, sort: PhotoSort, order: SortOrder, offset: number, limit: number): PhotoListRow[] {
    // Date order over the whole library walks the images_taken index and stops after the page.
    // Under a folder SQLite still walks that index, filtering every row by path (slow in a large
    // library: docs/GRID.md, "Queries"): there, as for the other orders, the listing is made once.
    if (sort !== 'taken' || f.search || f.under) {
      const ids = this.orderedIds(f, sort, order).slice(offset, offset + limit);
      if (ids.length === 0) return [];
      const rows = this.stmt('SELECT id, path, width, height, size, taken, taken_from FROM images WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as PhotoListRow[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      // A photo removed since the listing was made is left out; the next version lists afresh.
      return ids.map((id) => byId.get(id)).filter((r): r is PhotoListRow => r !== undefined);
    }
    const w = this.where(f);
    return this.stmt(`SELECT id, path, width, height, size, taken, taken_from FROM images WHERE ${w.sql} ORDER BY ${orderBy(sort, order)} LIMIT ? OFFSET ?`).all(
      ...w.args,
      limit,
      offset,
    ) as PhotoListRow[];
  }

  private orderedIds(f: PhotoFilter, sort: PhotoSort, order: SortOrder): number[] {
    const key = `${filterKey(f)}${sort} ${order}`;
    const stamp = this.stamp();
    if (this.ordered?.key === key && this.ordered.stamp === stamp) return this.ordered.ids;
    const w = this.where(f);
    const ids = this.stmt(`SELECT id FROM images WHERE ${w.sql} ORDER BY ${orderBy(sort, order)}`)
      .pluck()
      .all(...w.args) as number[];
    this.ordered = { key, stamp, ids };
    return ids;
  }

  private stamp(): string {
    return `${this.version()}:${this.datesSet}`;
  }

  /**
   * Photos per day taken ('YYYY-MM-DD' of the wall clock; null: not read yet), in the order the
   * 'taken' sort lists them, so the n-th photo of that listing lies in the day where the running
   * count passes n.
   */
  days(f: PhotoFilter, order: SortOrder): { day: string | null; n: number }[] {
    const w = this.where(f);
    const o = order === 'asc' ? 'ASC' : 'DESC';
    return this.stmt(`SELECT strftime('%Y-%m-%d', taken / 1000, 'unixepoch') AS day, COUNT(*) AS n FROM images WHERE ${w.sql} GROUP BY day ORDER BY day ${o}`).all(...w.args) as {
      day: string | null;
      n: number;
    }[];
  }

  /** Indexed photos per folder that holds them directly, for every folder under `dir`. */
  dirCounts(dir: string): { dir: string; n: number }[] {
    return this.stmt("SELECT pw_dir(path) AS dir, COUNT(*) AS n FROM images WHERE status = 'indexed' AND path >= ? AND path < ? GROUP BY dir").all(...underRange(dir)) as { dir: string; n: number }[];
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
    this.datesSet++;
  }
}

// ---- the API's shapes (Library wraps these with its folders and its errors) ---------------------

export class PhotoQueryError extends Error {}

export interface ResolvedQuery {
  filter: PhotoFilter;
  sort: PhotoSort;
  order: SortOrder;
}

const MAX_SEARCH = 200;

/**
 * Checks a listPhotos / photoDates query's sort, order, search and subfolder. `folder` is the
 * library folder asked for (folderId), `folders` every library folder (for `under` without one).
 */
export function resolveQuery(q: { under?: unknown; search?: unknown; sort?: unknown; order?: unknown }, folder: string | undefined, folders: readonly string[]): ResolvedQuery {
  const sort = (q.sort ?? 'taken') as PhotoSort;
  if (!PHOTO_SORTS.includes(sort)) throw new PhotoQueryError(`Unknown sort ${JSON.stringify(String(q.sort)).slice(0, 40)}; choose one of ${PHOTO_SORTS.join(', ')}.`);
  const order = (q.order ?? DEFAULT_ORDER[sort]) as SortOrder;
  if (order !== 'asc' && order !== 'desc') throw new PhotoQueryError(`Unknown order ${JSON.stringify(String(q.order)).slice(0, 40)}; choose asc or desc.`);
  if (q.search !== undefined && q.search !== null && typeof q.search !== 'string') throw new PhotoQueryError('Search for a file name as text.');
  const search = typeof q.search === 'string' ? q.search.trim() : '';
  if (search.length > MAX_SEARCH) throw new PhotoQueryError(`Search for at most ${MAX_SEARCH} characters of a file name.`);
  let under = folder;
  if (q.under !== undefined && q.under !== null && q.under !== '') {
    if (typeof q.under !== 'string' || !isAbsolute(q.under)) throw new PhotoQueryError('Give the subfolder as a full path.');
    const dir = resolve(q.under);
    const inside = (parent: string) => dir === parent || dir.startsWith(parent.endsWith(sep) ? parent : parent + sep);
    if (folder !== undefined ? !inside(folder) : !folders.some(inside)) {
      throw new PhotoQueryError(`${dir} is not a folder of ${folder ?? 'the library'}.`);
    }
    under = dir;
  }
  return { filter: { under, search: search || undefined }, sort, order };
}

/** Wall-clock ms (as if UTC) as the API shows it: "2024-05-03T14:22:10", no zone, since it has none. */
export function takenIso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString().slice(0, 19);
}

export function listedPhoto(r: PhotoListRow): {
  id: number;
  path: string;
  name: string;
  width: number | null;
  height: number | null;
  taken: string | null;
  takenFrom: 'exif' | 'mtime' | null;
  bytes: number;
} {
  return {
    id: r.id,
    path: r.path,
    name: basename(r.path),
    width: r.width ?? null,
    height: r.height ?? null,
    taken: takenIso(r.taken),
    takenFrom: r.taken_from === 'exif' || r.taken_from === 'mtime' ? r.taken_from : null,
    bytes: r.size,
  };
}

/** Days and months in listing order, with the photos not dated yet. */
export function photoDates(list: PhotoList, filter: PhotoFilter, order: SortOrder) {
  const days: { day: string; count: number }[] = [];
  const months: { month: string; count: number }[] = [];
  let undated = 0;
  let total = 0;
  for (const r of list.days(filter, order)) {
    total += r.n;
    if (r.day === null) {
      undated += r.n;
      continue;
    }
    days.push({ day: r.day, count: r.n });
    const month = r.day.slice(0, 7);
    const last = months[months.length - 1];
    if (last?.month === month) last.count += r.n;
    else months.push({ month, count: r.n });
  }
  return { total, order, days, months, undated };
}

// Folder names as a person reads them: "Holiday 2" before "holiday 10", case ignored.
const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
export const naturalCompare = (a: string, b: string) => natural.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

export interface FolderNode {
  path: string;
  name: string;
  photos: number;
  children: FolderNode[];
}

/** The folders under a library folder that hold photos, as a tree whose root is the folder itself. */
export function subfolderTree(list: PhotoList, root: string): FolderNode {
  const top: FolderNode = { path: root, name: basename(root) || root, photos: 0, children: [] };
  const nodes = new Map<string, FolderNode>([[root, top]]);
  const nodeOf = (dir: string): FolderNode => {
    let n = nodes.get(dir);
    if (n) return n;
    n = { path: dir, name: basename(dir), photos: 0, children: [] };
    nodes.set(dir, n);
    nodeOf(dirname(dir)).children.push(n);
    return n;
  };
  for (const { dir, n } of list.dirCounts(root)) {
    // Every dir is root or below it (the path range); walk up adding the count to each ancestor.
    for (let d = dir; ; d = dirname(d)) {
      nodeOf(d).photos += n;
      if (d === root || d.length <= root.length) break;
    }
  }
  const sortTree = (n: FolderNode) => {
    n.children.sort((a, b) => naturalCompare(a.name, b.name));
    n.children.forEach(sortTree);
  };
  sortTree(top);
  return top;
}

const FILL_BATCH = 64;

/**
 * Reads the date taken of indexed photos that have none (an index from before schema 8), a batch
 * at a time, each batch one transaction, yielding to other work between batches. The file is read
 * only as far as its EXIF (exifr reads the first chunk); a photo gone or unreadable takes its
 * stored mtime, so every photo gets a date and the fill ends. `list` is asked for each batch, as
 * the library may swap its store (a settings change) meanwhile; `stop` ends it early (closing).
 */
export async function fillTaken(list: () => { photoList: PhotoList; transaction: <T>(fn: () => T) => T }, opts: { stop: () => boolean; onBatch?: (filled: number) => void }): Promise<number> {
  let filled = 0;
  while (!opts.stop()) {
    const { photoList, transaction } = list();
    const batch = photoList.missingTaken(FILL_BATCH);
    if (batch.length === 0) break;
    const dates = await Promise.all(batch.map(async (r) => ({ id: r.id, t: await takenOf(r.path, r.mtime_ms) })));
    if (opts.stop()) break;
    transaction(() => {
      for (const d of dates) photoList.setTaken(d.id, d.t.taken, d.t.from);
    });
    filled += batch.length;
    opts.onBatch?.(filled);
    await new Promise((r) => setImmediate(r));
  }
  return filled;
}
