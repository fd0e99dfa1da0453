// Finds the image files under the library folders. Streams results so a library of a million
// photos never has to be listed in memory at once, and never throws for a bad file or folder:
// one unreadable corner of a disk must not stop the rest of the library from being indexed.

import type { Dirent, Stats } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { RAW_EXTENSIONS } from './decode.js';
import sharp from 'sharp';

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

export type ScanResult = ScanEntry | ScanFailure;

export interface ScanOptions {
  /** Lower-case, without the dot; defaults to imageExtensions(). */
  extensions?: Iterable<string>;
  /** Follow symlinks to files and folders (folders are never entered twice). Default true. */
  followSymlinks?: boolean;
  /** Dot-named files and folders are skipped unless this is true. */
  includeHidden?: boolean;
  /** Stops the scan between entries. */
  signal?: AbortSignal;
}

const BASE_EXTENSIONS = ['jpg', 'jpeg', 'jpe', 'jfif', 'png', 'webp', 'avif', 'tif', 'tiff', 'gif'];

/**
 * Extensions sharp can decode here. HEIC needs a HEVC decoder that sharp's prebuilt libvips
 * leaves out for patent reasons, so it is only listed when this build reports it.
 */
export function imageExtensions(): Set<string> {
  const exts = new Set(BASE_EXTENSIONS);
  const heifSuffixes: string[] = (sharp.format.heif?.input as { fileSuffix?: string[] } | undefined)?.fileSuffix ?? [];
  for (const suffix of heifSuffixes) exts.add(suffix.replace(/^\./, '').toLowerCase());
  // Camera RAW files are read through their embedded preview (decode.ts decodableBytes), or
  // listed as unsupported with the reason: never silently left out.
  for (const ext of RAW_EXTENSIONS) exts.add(ext);
  return exts;
}

/** Stats of one folder's files in flight at once: enough to hide disk latency, few enough for a NAS. */
const STAT_PARALLELISM = 16;

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

  async function* walk(dir: string, dirStat: Stats): AsyncGenerator<ScanResult> {
    const id = `${dirStat.dev}:${dirStat.ino}`;
    if (visited.has(id)) return;
    visited.add(id);

    let dirents: Dirent<Buffer>[];
    try {
      dirents = [];
      // Names as bytes: Linux allows any bytes but '/' and NUL, and a name that is not UTF-8
      // would come back as a string with U+FFFD in it, naming no file at all.
      for await (const d of await opendir(dir, { encoding: 'buffer' as BufferEncoding })) dirents.push(d as unknown as Dirent<Buffer>);
    } catch (err) {
      yield { kind: 'failure', path: dir, reason: fsReason(err, true), folder: true };
      return;
    }

    const children: { name: string; key: string; dirent: Dirent<Buffer>; st?: Stats; error?: unknown; badName?: boolean }[] = [];
    for (const dirent of dirents) {
      const name = dirent.name.toString('utf8');
      const badName = !Buffer.from(name, 'utf8').equals(dirent.name);
      if (!includeHidden && name.startsWith('.')) continue;
      if (dirent.isSymbolicLink() && !follow) continue;
      // Some filesystems (older NFS, FUSE) report no type at all; stat() below decides for those.
      const untyped = !dirent.isFile() && !dirent.isDirectory() && !dirent.isSymbolicLink() && !dirent.isFIFO() &&
        !dirent.isSocket() && !dirent.isCharacterDevice() && !dirent.isBlockDevice();
      const maybeDir = dirent.isDirectory() || dirent.isSymbolicLink() || untyped;
      if (!maybeDir && !(dirent.isFile() && isImage(name))) continue;
      if (badName) {
        // The rest of the engine (SQLite TEXT, the UI, the path guard) speaks strings; such a
        // file is listed as failed under a readable spelling of its name instead.
        const shown = escapeNonUtf8(dirent.name);
        if (dirent.isDirectory() || isImage(shown)) children.push({ name: shown, key: dirent.isDirectory() ? `${shown}/` : shown, dirent, badName });
        continue;
      }
      children.push({ name, key: name, dirent });
    }

    // stat() follows symlinks, which both resolves what a link points at and gives size/mtime.
    for (let i = 0; i < children.length; i += STAT_PARALLELISM) {
      await Promise.all(
        children.slice(i, i + STAT_PARALLELISM).map(async (c) => {
          if (c.badName) return;
          try {
            c.st = await stat(join(dir, c.name));
          } catch (err) {
            c.error = err;
          }
        }),
      );
    }

    // A folder sorts as "name/" so that a depth-first walk yields exactly the global path order
    // ("a.jpg" < "a/b.jpg", because '.' < '/').
    const kept = children.filter((c) => {
      if (c.badName) return true;
      if (c.st?.isDirectory()) c.key = `${c.name}/`;
      else if (c.st && !(c.st.isFile() && isImage(c.name))) return false;
      // A link or untyped entry we cannot stat only matters if it looked like a photo.
      else if (c.error && !c.dirent.isDirectory() && !isImage(c.name)) return false;
      return true;
    });
    kept.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

    for (const c of kept) {
      if (opts.signal?.aborted) return;
      const path = join(dir, c.name);
      if (c.badName) {
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
      } else {
        yield { kind: 'file', path, size: c.st!.size, mtimeMs: c.st!.mtimeMs };
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
export async function scanToLists(dirs: string[], opts: ScanOptions = {}): Promise<{ files: ScanEntry[]; failures: ScanFailure[] }> {
  const files: ScanEntry[] = [];
  const failures: ScanFailure[] = [];
  for await (const r of scanFolders(dirs, opts)) {
    if (r.kind === 'file') files.push(r);
    else failures.push(r);
  }
  return { files, failures };
}

/**
 * A file name's bytes as a string: valid UTF-8 as it is, every other byte as `\xNN`, so two such
 * names stay two entries and a person can tell which file is meant.
 */
export function escapeNonUtf8(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
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
