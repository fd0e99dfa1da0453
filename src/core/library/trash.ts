// Putting back what Photowords moved to the system's trash. Moving there is the shell's job (the
// `trash` package under `serve`, Electron's shell.trashItem in the app); both write Linux's XDG
// trash (the FreeDesktop.org Trash specification 1.0): the file under `<trash>/files/<name>` and
// a `<trash>/info/<name>.trashinfo` with its original Path (URL-escaped) and DeletionDate (local
// time, to the second). Neither tells us <name>, so the entry is found again the way a file
// manager's "Restore" does: by Path, with a DeletionDate next to when we trashed it, and then
// checked by content hash, so a later file trashed from the same path is never taken for ours.
// macOS's Trash and Windows' Recycle Bin keep where a file came from in formats Node cannot read
// or write safely (Finder's .DS_Store, $I files behind shell APIs): there Restore says so.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One file in an XDG trash. */
export interface TrashEntry {
  /** The trashed file itself (`<trash>/files/<name>`). */
  file: string;
  /** Its `<trash>/info/<name>.trashinfo`. */
  info: string;
  /** Where it was trashed from (absolute). */
  originalPath: string;
  /** DeletionDate read as local time, ms since 1970. */
  deletedAt: number;
}

/** Whether this system's trash is one Photowords can put files back from. */
export function restoreSupported(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux';
}

/** Where trashed files are, and on a system without Restore how a person puts them back. */
export function trashWhereabouts(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'Photowords cannot put files back from the macOS Trash: open the Trash in Finder, select them and choose Put Back.';
  if (platform === 'win32') return 'Photowords cannot put files back from the Windows Recycle Bin: open the Recycle Bin, select them and choose Restore.';
  if (!restoreSupported(platform)) return "Photowords cannot put files back from this system's trash: restore them with its file manager.";
  return "Files are in the system's trash (XDG) until it is emptied; Restore puts them back where they were.";
}

/** The home trash: $XDG_DATA_HOME/Trash, else ~/.local/share/Trash (as the `trash` package and GLib pick it). */
export function homeTrash(env: NodeJS.ProcessEnv = process.env): string {
  const data = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'Trash');
}

/** The top folder of the file system holding `p` (its mount point), found by climbing while the device stays the same. */
export function mountTop(p: string): string | undefined {
  let dir = path.resolve(p);
  let st = fs.statSync(dir, { throwIfNoEntry: false });
  while (!st) {
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
    st = fs.statSync(dir, { throwIfNoEntry: false });
  }
  for (;;) {
    const up = path.dirname(dir);
    if (up === dir) return dir;
    const ust = fs.statSync(up, { throwIfNoEntry: false });
    if (!ust || ust.dev !== st.dev) return dir;
    dir = up;
  }
}

/**
 * The trash folders a file trashed from `file` can be in: the home trash, then its file system's
 * `$top/.Trash/$uid` and `$top/.Trash-$uid` (where a file on another disk than home goes).
 */
export function trashDirsFor(file: string, env: NodeJS.ProcessEnv = process.env): { dir: string; top: string }[] {
  const out = [{ dir: homeTrash(env), top: '/' }];
  const top = mountTop(path.dirname(file));
  const uid = process.getuid?.();
  if (top !== undefined && uid !== undefined) {
    out.push({ dir: path.join(top, '.Trash', String(uid)), top }, { dir: path.join(top, `.Trash-${uid}`), top });
  }
  return out.filter((d, i) => out.findIndex((o) => o.dir === d.dir) === i);
}

/**
 * A .trashinfo's Path and DeletionDate, or undefined when it is not one. A relative Path (what
 * GLib writes in a disk's own trash) is relative to that disk's top folder.
 */
export function parseTrashInfo(text: string, top: string): { originalPath: string; deletedAt: number } | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const start = lines.findIndex((l) => l !== '');
  if (start < 0 || lines[start] !== '[Trash Info]') return undefined;
  let raw: string | undefined;
  let date: string | undefined;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('[')) break; // another group: the spec's keys are in the first
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'Path' && raw === undefined) raw = value;
    else if (key === 'DeletionDate' && date === undefined) date = value;
  }
  if (!raw || !date) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(date);
  if (!m) return undefined;
  const deletedAt = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime();
  if (!Number.isFinite(deletedAt)) return undefined;
  return { originalPath: path.isAbsolute(decoded) ? path.normalize(decoded) : path.join(top, decoded), deletedAt };
}

/** Every readable entry of the given trash folders, by original path. Unreadable folders and odd files are passed over. */
export function readTrash(dirs: { dir: string; top: string }[]): Map<string, TrashEntry[]> {
  const byPath = new Map<string, TrashEntry[]>();
  for (const { dir, top } of dirs) {
    const infoDir = path.join(dir, 'info');
    let names: string[];
    try {
      names = fs.readdirSync(infoDir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith('.trashinfo')) continue;
      let text: string;
      try {
        text = fs.readFileSync(path.join(infoDir, n), 'utf8');
      } catch {
        continue;
      }
      const parsed = parseTrashInfo(text, top);
      if (!parsed) continue;
      const e: TrashEntry = { ...parsed, info: path.join(infoDir, n), file: path.join(dir, 'files', n.slice(0, -'.trashinfo'.length)) };
      const list = byPath.get(e.originalPath);
      if (list) list.push(e);
      else byPath.set(e.originalPath, [e]);
    }
  }
  return byPath;
}

/**
 * How far a DeletionDate may lie from when Photowords recorded the trashing: the date is written
 * before the move (to the second, local time) and the record after it, so a slow move across
 * disks comes before; a little slack after covers rounding and a clock nudged by NTP.
 */
export const DELETION_WINDOW_BEFORE_MS = 10 * 60_000;
export const DELETION_WINDOW_AFTER_MS = 60_000;

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * The trash entry of a file Photowords trashed from `originalPath` at `trashedAt`: same Path, a
 * DeletionDate inside the window (nearest first), its file still there and, when `hash` is known
 * and `verify` is on, holding exactly those bytes. Undefined when the trash no longer has it.
 */
export function findTrashEntry(index: Map<string, TrashEntry[]>, t: { path: string; trashedAt: number; hash: string | null }, verify = true): TrashEntry | undefined {
  const candidates = (index.get(path.normalize(t.path)) ?? [])
    .filter((e) => e.deletedAt >= t.trashedAt - DELETION_WINDOW_BEFORE_MS && e.deletedAt <= t.trashedAt + DELETION_WINDOW_AFTER_MS)
    .sort((a, b) => Math.abs(a.deletedAt - t.trashedAt) - Math.abs(b.deletedAt - t.trashedAt));
  for (const e of candidates) {
    const st = fs.lstatSync(e.file, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    if (verify && t.hash) {
      try {
        if (sha256(e.file) !== t.hash) continue;
      } catch {
        continue;
      }
    }
    return e;
  }
  return undefined;
}

/**
 * The file trashed from `t.path` is at its place again, the same bytes (put back by hand with a
 * file manager): nothing is left to restore, and the record can go.
 */
export function backInPlace(t: { path: string; bytes: number; hash: string | null }): boolean {
  const st = fs.statSync(t.path, { throwIfNoEntry: false });
  if (!st?.isFile() || st.size !== t.bytes || !t.hash) return false;
  try {
    return sha256(t.path) === t.hash;
  } catch {
    return false;
  }
}

export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreError';
  }
}

/**
 * Moves a trashed file back to `dest` and removes its .trashinfo. Never replaces a file at `dest`:
 * a hard link (which fails if `dest` exists) then the trash's name unlinked, or across disks a
 * copy that refuses an existing `dest`, its times kept, then the trashed file removed. A missing
 * parent folder is made only when `createParents` is set. Throws RestoreError with a sentence.
 */
export function restoreEntry(e: TrashEntry, dest: string, opts: { createParents?: boolean } = {}): void {
  const name = path.basename(dest);
  if (fs.lstatSync(dest, { throwIfNoEntry: false })) throw new RestoreError(`a file is at ${dest} now, so ${name} stays in the trash`);
  const dir = path.dirname(dest);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    if (!opts.createParents) throw new RestoreError(`its folder ${dir} is gone, so ${name} stays in the trash`);
    fs.mkdirSync(dir, { recursive: true });
  }
  try {
    fs.linkSync(e.file, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new RestoreError(`a file is at ${dest} now, so ${name} stays in the trash`);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK' && code !== 'ENOSYS') {
      throw new RestoreError(`could not put ${name} back: ${(err as Error).message}`);
    }
    // Another disk than the trash's, or a file system without hard links: copy, refusing an existing dest.
    try {
      fs.copyFileSync(e.file, dest, fs.constants.COPYFILE_EXCL);
      const st = fs.statSync(e.file);
      fs.utimesSync(dest, st.atime, st.mtime);
    } catch (copyErr) {
      if ((copyErr as NodeJS.ErrnoException).code === 'EEXIST') throw new RestoreError(`a file is at ${dest} now, so ${name} stays in the trash`);
      fs.rmSync(dest, { force: true });
      throw new RestoreError(`could not put ${name} back: ${(copyErr as Error).message}`);
    }
  }
  // The file is back in place: only now are the trash's name for it and its record removed. If
  // that fails (a read-only trash), the photo is back all the same; the trash keeps a second name.
  try {
    fs.unlinkSync(e.file);
    fs.rmSync(e.info, { force: true });
  } catch {
    /* restored; nothing is lost */
  }
}
