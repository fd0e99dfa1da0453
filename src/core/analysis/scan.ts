// Finds the image files under the library folders. Streams results so a library of a million
// photos never has to be listed in memory at once, and never throws for a bad file or folder:
// one unreadable corner of a disk must not stop the rest of the library from being indexed.
// Nothing is left out in silence: every file under a folder comes out as a photo to read, a
// failure with its reason, or a file not read with its kind (formats.ts decides by name).

import type { Dirent, Stats } from 'node:fs';
import { statSync } from 'node:fs';
import { opendir, readdir, stat } from 'node:fs/promises';
import { basename, extname, resolve, sep } from 'node:path';
import { isVideo, notReadKindOf, photoExtensions, type NotReadKind } from './formats.js';

export interface ScanEntry {
  kind: 'file';
  /** Absolute path as reached (through symlinks, not resolved), so it matches what the user sees. */
  path: string;
  size: number;
  mtimeMs: number;
}

export interface ScanFailure {
  kind: 'failure';
  path: string;
  /** Short, user-readable. */
  reason: string;
  /** True when a whole folder was skipped. */
  folder: boolean;
}

/** A file that is not read as a photo, or a hidden folder standing for every file in it. */
export interface ScanNotRead {
  kind: 'not-read';
  path: string;
  notRead: NotReadKind;
  /** 1 for a file; a hidden folder's file count (its files are counted, never stat'ed or read). */
  files: number;
}

export type ScanResult = ScanEntry | ScanFailure | ScanNotRead;

export interface ScanOptions {
  /** Lower-case, without the dot; defaults to imageExtensions(). */
  extensions?: Iterable<string>;
  /** Follow symlinks to files and folders (folders are never entered twice). Default true. */
  followSymlinks?: boolean;
  /**
   * Dot-named files and folders are read like any other when true; else each is one 'hidden'
   * not-read entry (a folder with its file count). The library's setting (Library prefs
   * `includeHidden`, `photowords index --include-hidden`).
   */
  includeHidden?: boolean;
  /** Stops the scan between entries. */
  signal?: AbortSignal;
}

/** Extensions read as photos (formats.ts is the one table). */
export function imageExtensions(): Set<string> {
  return photoExtensions();
}

/** A file name without its extension, lower-case: a Live Photo's video shares it with its photo. */
function stem(name: string): string {
  return name.slice(0, name.length - extname(name).length).toLowerCase();
}

/**
 * Files in a folder that is not entered (a hidden one), counted from its listings alone: no
 * stat per file, no link followed (so no loop), an unreadable subfolder counts what was seen.
 * Paths as bytes, as in the walk.
 */
async function countFiles(dir: Buffer): Promise<number> {
  let n = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    try {
      for await (const e of await opendir(d as unknown as string, { encoding: 'buffer' as BufferEncoding })) {
        const name = (e as unknown as Dirent<Buffer>).name;
        if (e.isDirectory()) stack.push(Buffer.concat([d, Buffer.from(sep), name]));
        else n++;
      }
    } catch {
      // Unreadable: what could be counted is counted.
    }
  }
  return n;
}

/** Stats of one folder's files in flight at once on a slow disk: enough to hide its latency, few enough for a NAS. */
const STAT_PARALLELISM = 16;
/** Files stat'ed in one go on a fast disk before the event loop gets a turn. */
const SYNC_CHUNK = 256;
/** A folder's first few stats, timed: at more than SLOW_STAT_MS each, the rest go in parallel off the thread. */
const PROBE = 16;
const SLOW_STAT_MS = 0.1;

/** A folder's path with the separator after it: a child's path is this + its name (path.join normalises, at a cost a file). */
const under = (dir: string) => (dir.endsWith(sep) ? dir : dir + sep);

/**
 * Stats a folder's files. On a local disk a stat is a few microseconds of CPU, and going through
 * libuv's pool and a promise per file costs several times that (and, on a busy machine, a wait
 * for the pool's threads at every one): there they are stat'ed in this thread, a chunk at a time.
 * A disk where they turn out slow (a network share, a cold spinning disk) is stat'ed in
 * parallel in the pool instead, which hides its latency; the probe blocks for PROBE stats at most.
 */
async function statChildren(dir: string, todo: { name: string; st?: Stats; error?: unknown }[]): Promise<void> {
  const prefix = under(dir);
  const statHere = (c: { name: string; st?: Stats; error?: unknown }) => {
    try {
      c.st = statSync(prefix + c.name);
    } catch (err) {
      c.error = err;
    }
  };
  let i = 0;
  const t0 = performance.now();
  for (; i < Math.min(PROBE, todo.length); i++) statHere(todo[i]);
  if ((performance.now() - t0) / Math.max(1, i) <= SLOW_STAT_MS) {
    while (i < todo.length) {
      await new Promise<void>((r) => setImmediate(r));
      for (const end = Math.min(todo.length, i + SYNC_CHUNK); i < end; i++) statHere(todo[i]);
    }
  }
  for (; i < todo.length; i += STAT_PARALLELISM) {
    await Promise.all(
      todo.slice(i, i + STAT_PARALLELISM).map(async (c) => {
        try {
          c.st = await stat(prefix + c.name);
        } catch (err) {
          c.error = err;
        }
      }),
    );
  }
}

/**
 * Yields every image file under `dirs`, and a failure for every file or folder that could not be
 * read, in ascending order of path (by UTF-16 code unit, independent of locale).
 */
export async function* scanFolders(dirs: string[], opts: ScanOptions = {}): AsyncGenerator<ScanResult> {
  const exts = new Set([...(opts.extensions ?? imageExtensions())].map((e) => e.toLowerCase().replace(/^\./, '')));
  const follow = opts.followSymlinks ?? true;
  const includeHidden = opts.includeHidden ?? false;
  // Keyed by dev:ino, not path: catches symlink loops, two links to one folder, and a root
  // nested inside another root.
  const visited = new Set<string>();
  const isImage = (name: string) => exts.has(extname(name).slice(1).toLowerCase());
  // A video named like a photo beside it is a Live Photo's motion part (IMG_0001.HEIC +
  // IMG_0001.MOV): counted with that photo, not as a video of its own.
  const notReadKind = (name: string, photoStems: Set<string>): NotReadKind => (isVideo(name) && photoStems.has(stem(name)) ? 'live-photo-video' : notReadKindOf(name));

  type Child = { name: string; key: string; dirent: Dirent<Buffer>; st?: Stats; error?: unknown; badName?: boolean; hidden?: boolean; notRead?: boolean };

  async function* walk(dir: string, dirStat: Stats): AsyncGenerator<ScanResult> {
    const id = `${dirStat.dev}:${dirStat.ino}`;
    if (visited.has(id)) return;
    visited.add(id);

    let dirents: Dirent<Buffer>[];
    try {
      // Names as bytes: Linux allows any bytes but '/' and NUL, and a name that is not UTF-8
      // would come back as a string with U+FFFD in it, naming no file at all.
      // One call for the whole listing: opendir's iterator costs a promise an entry.
      dirents = (await readdir(dir, { withFileTypes: true, encoding: 'buffer' })) as unknown as Dirent<Buffer>[];
    } catch (err) {
      yield { kind: 'failure', path: dir, reason: fsReason(err, true), folder: true };
      return;
    }

    const photoStems = new Set<string>();
    const children: Child[] = [];
    for (const dirent of dirents) {
      const name = dirent.name.toString('utf8');
      const badName = !Buffer.from(name, 'utf8').equals(dirent.name);
      const shown = badName ? escapeNonUtf8(dirent.name) : name;
      if (!includeHidden && name.startsWith('.')) {
        // Not entered and not stat'ed: one entry for the whole folder (or the dot-file).
        children.push({ name: shown, key: dirent.isDirectory() ? `${shown}/` : shown, dirent, hidden: true });
        continue;
      }
      if (dirent.isSymbolicLink() && !follow) continue;
      // Some filesystems (older NFS, FUSE) report no type at all; stat() below decides for those.
      const untyped = !dirent.isFile() && !dirent.isDirectory() && !dirent.isSymbolicLink() && !dirent.isFIFO() && !dirent.isSocket() && !dirent.isCharacterDevice() && !dirent.isBlockDevice();
      const maybeDir = dirent.isDirectory() || dirent.isSymbolicLink() || untyped;
      // Pipes, sockets and devices are not files.
      if (!maybeDir && !dirent.isFile()) continue;
      if (!dirent.isDirectory() && isImage(shown)) photoStems.add(stem(shown));
      if (badName) {
        // The rest of the engine (SQLite TEXT, the UI, the path guard) speaks strings; such a
        // photo or folder is listed as failed under a readable spelling of its name instead,
        // any other file as not read under that spelling.
        const failed = dirent.isDirectory() || isImage(shown);
        children.push({ name: shown, key: dirent.isDirectory() ? `${shown}/` : shown, dirent, badName: failed, notRead: !failed });
        continue;
      }
      // A plain file that is not a photo needs no stat: its name says all that is counted.
      children.push({ name, key: name, dirent, notRead: dirent.isFile() && !isImage(name) });
    }

    // stat() follows symlinks, which both resolves what a link points at and gives size/mtime.
    await statChildren(
      dir,
      children.filter((c) => !(c.badName || c.hidden || c.notRead)),
    );

    // A folder sorts as "name/" so that a depth-first walk yields exactly the global path order
    // ("a.jpg" < "a/b.jpg", because '.' < '/').
    const kept = children.filter((c) => {
      if (c.st?.isDirectory()) c.key = `${c.name}/`;
      else if (c.st && !c.st.isFile())
        return false; // a link to a pipe or device
      // A link or untyped entry we cannot stat is a failure if it looked like a photo, else
      // not read by its name (a broken link to a video is still "a video").
      else if (c.error && !c.dirent.isDirectory() && !isImage(c.name)) c.notRead = true;
      return true;
    });
    kept.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

    const prefix = under(dir);
    for (const c of kept) {
      if (opts.signal?.aborted) return;
      const path = prefix + c.name;
      if (c.hidden) {
        const files = c.dirent.isDirectory() ? await countFiles(Buffer.concat([Buffer.from(dir + sep), c.dirent.name])) : 1;
        if (files > 0) yield { kind: 'not-read', path, notRead: 'hidden', files };
      } else if (c.notRead) {
        yield { kind: 'not-read', path, notRead: notReadKind(c.name, photoStems), files: 1 };
      } else if (c.badName) {
        const folder = c.dirent.isDirectory();
        yield {
          kind: 'failure',
          path,
          reason: folder
            ? 'folder name is not valid UTF-8 (shown with \\x escapes); rename the folder to index the photos in it'
            : 'file name is not valid UTF-8 (shown with \\x escapes); rename the file to index it',
          folder,
        };
      } else if (c.error !== undefined) {
        const broken = c.dirent.isSymbolicLink() && (c.error as NodeJS.ErrnoException).code === 'ENOENT';
        yield {
          kind: 'failure',
          path,
          reason: broken ? 'broken symbolic link' : fsReason(c.error, c.dirent.isDirectory()),
          folder: c.dirent.isDirectory(),
        };
      } else if (c.st!.isDirectory()) {
        yield* walk(path, c.st!);
      } else if (isImage(c.name)) {
        yield { kind: 'file', path, size: c.st!.size, mtimeMs: c.st!.mtimeMs };
      } else {
        yield { kind: 'not-read', path, notRead: notReadKind(c.name, photoStems), files: 1 };
      }
    }
  }

  const roots = [...new Set(dirs.map((d) => resolve(d)))].sort((a, b) => (`${a}/` < `${b}/` ? -1 : 1));
  for (const root of roots) {
    if (opts.signal?.aborted) return;
    let st: Stats;
    try {
      st = await stat(root);
    } catch (err) {
      yield { kind: 'failure', path: root, reason: fsReason(err, true), folder: true };
      continue;
    }
    if (st.isDirectory()) yield* walk(root, st);
    else if (st.isFile() && isImage(basename(root))) yield { kind: 'file', path: root, size: st.size, mtimeMs: st.mtimeMs };
    else yield { kind: 'failure', path: root, reason: 'not a folder or image file', folder: false };
  }
}

/** Collects a whole scan, for callers (tests, small libraries) that want two lists. */
export async function scanToLists(dirs: string[], opts: ScanOptions = {}): Promise<{ files: ScanEntry[]; failures: ScanFailure[]; notRead: ScanNotRead[] }> {
  const files: ScanEntry[] = [];
  const failures: ScanFailure[] = [];
  const notRead: ScanNotRead[] = [];
  for await (const r of scanFolders(dirs, opts)) {
    if (r.kind === 'file') files.push(r);
    else if (r.kind === 'not-read') notRead.push(r);
    else failures.push(r);
  }
  return { files, failures, notRead };
}

/**
 * A file name's bytes as a string: valid UTF-8 as it is, every other byte as `\xNN`, so two such
 * names stay two entries and a person can tell which file is meant.
 */
export function escapeNonUtf8(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    let n = 0;
    for (let len = 1; len <= 4 && i + len <= bytes.length; len++) {
      const piece = bytes.subarray(i, i + len);
      if (Buffer.from(piece.toString('utf8'), 'utf8').equals(piece)) {
        n = len;
        break;
      }
    }
    if (n > 0) {
      out += bytes.toString('utf8', i, i + n);
      i += n;
    } else {
      out += `\\x${bytes[i].toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

function fsReason(err: unknown, folder: boolean): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return folder ? 'folder not found or vanished during scan' : 'file vanished during scan';
    case 'ENOTDIR':
      return 'not a folder';
    case 'ELOOP':
      return 'symbolic link loop';
    case 'EIO':
      return 'disk read error (I/O error)';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return `could not read ${folder ? 'folder' : 'file'}${code ? ` (${code})` : ''}`;
  }
}
