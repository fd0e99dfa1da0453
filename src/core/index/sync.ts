// Brings the index in line with the disk without running the model where it need not: what
// changed is found by size and mtime (and by content hash when in doubt), a file that vanished
// while a file with its bytes appeared is a rename or move (its row takes the new path; id, grid,
// bag and df stay), a touched file whose bytes are the same only gets its new mtime, what is new
// or edited goes to the indexing pipeline, and what is gone is forgotten. Used at start (a
// reconcile of every folder), when a folder comes back online, and for each of the watcher's
// change sets.
//
// Memory: only the changes are held (the files to index, the vanished rows), never a list of the
// whole library: known rows are read a page at a time and the folder scan streams.
//
// A full reconcile is one merge of two streams in path order, the scan and the known rows under
// the folders (one SQL scan of the path index, a page at a time): a file whose row has its size
// and mtime costs one stat (the scan's) and nothing else, a row the scan passed is looked at with
// a stat of its own (gone, or only out of the scan's reach), and only the rest go through plan().
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { scanFolders, type ScanResult } from '../analysis/scan.js';
import { TRANSIENT_FAILURES, type DecodeFailureCode } from '../analysis/decode/decode.js';
import type { FileInfo, ImageRecord, IndexStore, KnownFile, NotReadEntry } from './store.js';
import type { NotReadKind } from '../analysis/formats.js';

/** Paths the watcher saw change, coalesced (one entry a path however many events). */
export interface ChangeSet {
  /** Files added or changed. */
  files: Set<string>;
  /** Files deleted (or renamed away). */
  gone: Set<string>;
  /** Folders that appeared (their files are scanned: a folder moved in, a tree copied in). */
  dirsAdded: Set<string>;
  /** Folders that vanished (their known files are checked). */
  dirsGone: Set<string>;
}

export const emptyChangeSet = (): ChangeSet => ({ files: new Set(), gone: new Set(), dirsAdded: new Set(), dirsGone: new Set() });

export function mergeChangeSets(into: ChangeSet, from: ChangeSet): ChangeSet {
  for (const k of ['files', 'gone', 'dirsAdded', 'dirsGone'] as const) for (const p of from[k]) into[k].add(p);
  return into;
}

export function changeSetSize(c: ChangeSet): number {
  return c.files.size + c.gone.size + c.dirsAdded.size + c.dirsGone.size;
}

export interface SyncPlan {
  /** New and edited files for the pipeline. */
  toIndex: FileInfo[];
  /** Renamed or moved: row kept, path updated, no model. */
  moved: number;
  /** Touched with the same bytes: mtime updated, no model. */
  touched: number;
  /** Vanished and forgotten. */
  removed: number;
  /** Candidates that were already up to date. */
  unchanged: number;
  /** Files or folders the scan could not read. */
  failures: { path: string; reason: string; folder: boolean }[];
  /** Files found that are not read as photos (videos, sidecars, hidden ...), recorded in the store's not_read table. */
  notRead: number;
  /** Whether it ran to the end (an aborted plan removes nothing). */
  complete: boolean;
}

export interface SyncOptions {
  signal?: AbortSignal;
  /** Whether the library folder holding `p` is reachable now; nothing under an offline folder is removed. */
  online: (p: string) => boolean;
  /** Read dot-named files and folders as photos (the library's setting); else they are counted as hidden. */
  includeHidden?: boolean;
}

type Candidate = FileInfo | { path: string; failure: string; folder: boolean } | { path: string; notRead: NotReadKind; files: number };

/** A scan's results as plan() takes them. */
async function* fromScan(scan: AsyncIterable<ScanResult>): AsyncGenerator<Candidate> {
  for await (const e of scan) {
    // The scan's own object, not a copy: at a first index of a big library every file comes through here.
    if (e.kind === 'file') yield e;
    else if (e.kind === 'not-read') yield { path: e.path, notRead: e.notRead, files: e.files };
    else yield { path: e.path, failure: e.reason, folder: e.folder };
  }
}

/** sha256 of a file's bytes, hex, as decode.ts's readImageFile computes it. */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function statFile(p: string): Promise<{ size: number; mtimeMs: number } | 'gone' | 'other'> {
  try {
    const st = await stat(p);
    return st.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'gone' : 'other';
  }
}

const PAGE = 1000;

/** Rows under `dir` whose file is gone, read a page at a time. */
async function vanishedUnder(store: IndexStore, dir: string, out: Map<string, ImageRecord>, signal?: AbortSignal): Promise<void> {
  let after = '';
  for (;;) {
    const page = store.recordsUnder(dir, after, PAGE);
    if (page.length === 0) return;
    await Promise.all(
      page.map(async (r) => {
        if ((await statFile(r.path)) === 'gone') out.set(r.path, r);
      }),
    );
    if (signal?.aborted) return;
    after = page[page.length - 1].path;
  }
}

/**
 * Works out and applies what needs no model (renames, moves, touches, deletions) for the given
 * candidates and vanished rows, and returns the files left for the pipeline.
 */
async function plan(
  store: IndexStore,
  candidates: AsyncIterable<Candidate>,
  vanished: Map<string, ImageRecord>,
  opts: SyncOptions,
  /** Folders scanned whole: at the end, their not-read rows the scan did not find are dropped. */
  scanned: string[] = [],
  /** The candidates may name a path twice (a change set's files and its folders' scans). */
  dedupe = true,
): Promise<SyncPlan> {
  const out = emptyPlan();
  const mark = store.notReadMark();
  const unreadRoots = new Set<string>();
  const notReadRows: NotReadEntry[] = [];
  // A hidden folder's entry forgets the photos indexed under it (the setting was turned off).
  const writeNotRead = () => (out.removed += store.putNotReadMany(notReadRows.splice(0)));
  // Vanished photos by size: a new file is hashed only when a vanished photo has its size.
  const bySize = new Map<number, ImageRecord[]>();
  for (const r of vanished.values()) {
    if (r.status !== 'indexed' || !r.hash) continue;
    const list = bySize.get(r.size);
    if (list) list.push(r);
    else bySize.set(r.size, [r]);
  }
  const seen = new Set<string>();
  let n = 0;
  for await (const c of candidates) {
    if (opts.signal?.aborted) return out;
    // The candidates come from memory without a wait: other work (the UI's calls) gets a turn.
    if (++n % 1000 === 0) await new Promise<void>((r) => setImmediate(r));
    if ('failure' in c) {
      out.failures.push({ path: c.path, reason: c.failure, folder: c.folder });
      // As a folder scan does: a file that cannot be read is listed, with why, until it changes.
      if (!c.folder) store.putFailed({ path: c.path, size: 0, mtimeMs: 0 }, c.failure);
      else unreadRoots.add(c.path);
      continue;
    }
    if ('notRead' in c) {
      out.notRead += c.files;
      notReadRows.push({ path: c.path, kind: c.notRead, files: c.files });
      if (notReadRows.length >= 256) writeNotRead();
      continue;
    }
    if (dedupe) {
      if (seen.has(c.path)) continue;
      seen.add(c.path);
    }
    const known = store.getByPath(c.path);
    if (!known) {
      // Found too small when it was read: not read again until it changes.
      const was = store.getNotRead(c.path);
      if (was?.kind === 'too-small' && was.size === c.size && was.mtimeMs === c.mtimeMs) {
        store.markNotRead(c.path);
        out.notRead++;
        out.unchanged++;
        continue;
      }
    }
    // The same rule as `photowords index`: failures that say nothing about the file (permission
    // fixed by chmod, a flaky disk, a race) are tried again even though size and mtime match.
    const transient = known?.status === 'failed' && TRANSIENT_FAILURES.has(known.failureCode as DecodeFailureCode);
    if (known && known.size === c.size && known.mtimeMs === c.mtimeMs && !transient) {
      out.unchanged++;
      continue;
    }
    try {
      if (known && known.status === 'indexed' && known.hash && known.size === c.size) {
        // Same size, new mtime: in doubt, so compare the bytes.
        if ((await hashFile(c.path)) === known.hash) {
          store.touch(c.path, c);
          out.touched++;
          continue;
        }
      } else if (!known && bySize.has(c.size)) {
        const hash = await hashFile(c.path);
        const list = bySize.get(c.size)!;
        const i = list.findIndex((r) => r.hash === hash);
        if (i >= 0) {
          const [from] = list.splice(i, 1);
          if (list.length === 0) bySize.delete(c.size);
          store.move(from.path, c.path, c);
          vanished.delete(from.path);
          out.moved++;
          continue;
        }
      }
    } catch {
      // Unreadable now (deleted while hashed, permissions): the pipeline records why, or skips it.
    }
    out.toIndex.push(c);
  }
  if (opts.signal?.aborted) return out;
  writeNotRead();
  for (const root of scanned) if (!unreadRoots.has(root)) store.sweepNotRead(root, mark);
  // What vanished and did not reappear elsewhere is gone, unless its folder is offline (an
  // unmounted disk must not empty the library). Checked again now: a file may be back.
  const gone: string[] = [];
  for (const r of vanished.values()) if (opts.online(r.path) && (await statFile(r.path)) === 'gone') gone.push(r.path);
  for (let i = 0; i < gone.length; i += PAGE) {
    store.transaction(() => {
      for (const p of gone.slice(i, i + PAGE)) if (store.remove(p)) out.removed++;
    });
  }
  out.complete = true;
  return out;
}

/** Every online library folder against the index: what changed while nothing watched. */
export async function reconcileFolders(store: IndexStore, folders: string[], opts: SyncOptions): Promise<SyncPlan> {
  const vanished = new Map<string, ImageRecord>();
  const changed: (Candidate | undefined)[] = [];
  let unchanged = 0;
  const rows = knownRows(store, folders);
  let row = rows.next().value;
  // A row the scan went past: gone (to forget, or a move's origin), unless the file is there.
  const passed = async (r: KnownFile) => {
    if ((await statFile(r.path)) !== 'gone') return;
    const record = store.getByPath(r.path);
    if (record) vanished.set(r.path, record);
  };
  for await (const c of fromScan(scanFolders(folders, { signal: opts.signal, includeHidden: opts.includeHidden }))) {
    if (opts.signal?.aborted) return { ...emptyPlan(), unchanged };
    if (!('size' in c)) {
      changed.push(c);
      continue;
    }
    while (row && row.path < c.path) {
      await passed(row);
      row = rows.next().value;
    }
    if (row && row.path === c.path) {
      const known = row;
      row = rows.next().value;
      if (known.size === c.size && known.mtimeMs === c.mtimeMs && !(known.status === 'failed' && TRANSIENT_FAILURES.has(known.failureCode as DecodeFailureCode))) {
        unchanged++;
        continue;
      }
    }
    // New or changed (or out of the rows' order: plan() looks the path up itself).
    changed.push(c);
  }
  for (; row; row = rows.next().value) await passed(row);
  // Handed over one by one and let go: a first index of a big library is all "changed".
  async function* drain(): AsyncGenerator<Candidate> {
    for (let i = 0; i < changed.length; i++) {
      const c = changed[i]!;
      changed[i] = undefined;
      yield c;
    }
  }
  const out = await plan(store, drain(), vanished, opts, folders, false);
  out.unchanged += unchanged;
  return out;
}

const emptyPlan = (): SyncPlan => ({ toIndex: [], moved: 0, touched: 0, removed: 0, unchanged: 0, failures: [], notRead: 0, complete: false });

/** The known rows under `folders` in path order, a page at a time (a folder inside another is read with it). */
function* knownRows(store: IndexStore, folders: string[]): Generator<KnownFile, undefined> {
  const roots = [...new Set(folders.map((f) => path.resolve(f)))].sort((a, b) => (`${a}/` < `${b}/` ? -1 : 1));
  const outer = roots.filter((r) => !roots.some((o) => o !== r && r.startsWith(o + path.sep)));
  for (const dir of outer) {
    let after = '';
    for (;;) {
      const page = store.filesUnder(dir, after, PAGE);
      if (page.length === 0) break;
      yield* page;
      after = page[page.length - 1].path;
    }
  }
  return undefined;
}

/** One of the watcher's change sets. `inLibrary` says whether a path is inside a library folder. */
export async function applyChangeSet(store: IndexStore, changes: ChangeSet, opts: SyncOptions & { inLibrary: (p: string) => boolean }): Promise<SyncPlan> {
  const vanished = new Map<string, ImageRecord>();
  for (const p of changes.gone) {
    const r = store.getByPath(p);
    if (r && (await statFile(p)) === 'gone') vanished.set(p, r);
  }
  for (const d of changes.dirsGone) await vanishedUnder(store, d, vanished, opts.signal);
  // The watcher sees photos only (a watch per file costs memory), so a folder that went is
  // where its other files are seen to go; the next full reconcile catches the rest.
  for (const d of changes.dirsGone) if (opts.online(d) && (await statFile(d)) === 'gone') store.forgetNotReadUnder(d);
  // Folders that appeared: a moved-in or copied-in tree; the scan finds what the events may not have named.
  const dirs = [...changes.dirsAdded].filter((d) => opts.inLibrary(d));
  // A folder inside another added folder is scanned with it.
  const outer = dirs.filter((d) => !dirs.some((o) => o !== d && d.startsWith(o + path.sep)));
  async function* candidates(): AsyncGenerator<Candidate> {
    for (const p of changes.files) {
      if (!opts.inLibrary(p)) continue;
      const st = await statFile(p);
      if (typeof st === 'object') yield { path: p, ...st };
    }
    if (outer.length > 0) yield* fromScan(scanFolders(outer, { signal: opts.signal, includeHidden: opts.includeHidden }));
  }
  return plan(store, candidates(), vanished, opts, outer);
}
