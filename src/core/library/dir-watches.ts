// One watch a folder, none a file: the library's folders are watched with fs.watch on each folder
// (inotify on Linux: a folder's watch reports its files' creations, writes, deletions and renames
// by name), so what watching costs grows with the folders, not the photos. chokidar kept an
// fs.watch per file, which at a million photos is a million inotify watches (past Linux's default
// limit, so changes went unseen) and a million watcher objects in memory, and its ready event came
// after a stat of every file. Each raw event is classified at once with a stat (in event order, so
// a file deleted and written again ends as written): a file, a folder (new: watched, its photos
// named as if each had an event of its own), or gone (a watched folder: it and its subfolders
// unwatched).
import { watch, statSync, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface DirWatchEvents {
  file: (p: string, gone: boolean) => void;
  dir: (p: string, gone: boolean) => void;
  /** A folder's events were lost (the kernel's queue overflowed): look at all of it again. */
  rescan: (dir: string) => void;
  error: (e: Error) => void;
}

export class DirWatches {
  /** Watched folder -> its watch and its identity (dev:ino). */
  private readonly dirs = new Map<string, { w: FSWatcher; id: string }>();
  /** dev:ino -> the path it is watched under: a folder reached twice (links, nested roots) is watched once. */
  private readonly ids = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly includeHidden: boolean,
    private readonly on: DirWatchEvents,
  ) {}

  get size(): number {
    return this.dirs.size;
  }

  private skipped(name: string): boolean {
    return !this.includeHidden && name.startsWith('.');
  }

  /** Watches `root` and every folder below it; `announce`: name its files and folders as new (a folder that appeared). */
  async add(root: string, announce: boolean): Promise<void> {
    const stack = [root];
    while (stack.length > 0 && !this.closed) {
      const dir = stack.pop()!;
      if (this.dirs.has(dir)) continue;
      let st;
      try {
        st = await stat(dir);
      } catch {
        continue; // gone again, or unreadable: the scans say why
      }
      if (!st.isDirectory()) {
        if (announce) this.on.file(dir, false);
        continue;
      }
      const id = `${st.dev}:${st.ino}`;
      const holder = this.ids.get(id);
      if (holder !== undefined) {
        // The same folder under another path: a link or a nested root, unless it was moved here
        // and its old path's event has not come yet.
        if (this.sameFolder(holder, id)) continue;
        this.remove(holder);
        this.on.dir(holder, true);
      }
      if (!this.watchOne(dir, id)) continue;
      if (announce && dir !== root) this.on.dir(dir, false);
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (this.skipped(e.name)) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory() || e.isSymbolicLink()) stack.push(p);
        else if (announce && e.isFile()) this.on.file(p, false);
      }
    }
  }

  private sameFolder(p: string, id: string): boolean {
    const st = statSync(p, { throwIfNoEntry: false });
    return st !== undefined && st.isDirectory() && `${st.dev}:${st.ino}` === id;
  }

  private watchOne(dir: string, id: string): boolean {
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: true }, (_event, name) => this.raw(dir, name === null ? null : String(name)));
    } catch (e) {
      this.on.error(new Error(`${dir}: ${(e as Error).message}`));
      return false;
    }
    // A watched folder deleted or unmounted: its parent's event (or the offline poll) tells.
    w.on('error', () => this.remove(dir));
    this.dirs.set(dir, { w, id });
    this.ids.set(id, dir);
    return true;
  }

  private raw(dir: string, name: string | null): void {
    if (this.closed || !this.dirs.has(dir)) return;
    if (name === null) return this.on.rescan(dir);
    if (this.skipped(name)) return;
    const p = path.join(dir, name);
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      st = undefined; // ENOTDIR, EACCES: not something to index now
    }
    if (st?.isDirectory()) {
      if (!this.dirs.has(p)) {
        this.on.dir(p, false);
        void this.add(p, true).catch((e: Error) => this.on.error(e));
      }
    } else if (st) this.on.file(p, false);
    else if (this.dirs.has(p)) {
      this.remove(p);
      this.on.dir(p, true);
    } else this.on.file(p, true);
  }

  /** Stops watching `dir` and every folder below it. */
  remove(dir: string): void {
    const below = dir + path.sep;
    for (const [p, { w, id }] of this.dirs) {
      if (p !== dir && !p.startsWith(below)) continue;
      w.close();
      this.dirs.delete(p);
      if (this.ids.get(id) === p) this.ids.delete(id);
    }
  }

  close(): void {
    this.closed = true;
    for (const { w } of this.dirs.values()) w.close();
    this.dirs.clear();
    this.ids.clear();
  }
}
