// The folders a person added to the library: their rows and counts, adding and removing them,
// whether each is online (an unplugged disk keeps its photos), and the path guard that lets a
// window read only indexed photos inside them.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { PathGuard } from './pathguard.js';
import type { RootPolicy } from './roots.js';
import type { LibraryContext } from './context.js';
import { ApiError } from './validation.js';
import { notReadLabel } from '../analysis/formats.js';
import { naturalCompare } from '../browse/photolist.js';
import type { FolderInfo, NotReadGroup } from '../../shared/api.js';

/** Example paths per kind of file not read, in each folder's counts. */
const NOT_READ_EXAMPLES = 3;

export class FolderService {
  readonly guard: PathGuard;
  readonly onlineState = new Map<string, boolean>();
  /** Where add may add from (photowords serve sets it; the desktop app's picker needs none). */
  rootPolicy?: RootPolicy;

  constructor(private readonly ctx: LibraryContext) {
    this.guard = new PathGuard((p) => ctx.engine.store.getByPath(p)?.status === 'indexed');
    this.guard.setFolders(this.rows().map((f) => f.path));
  }

  // In the order a person reads names: case ignored, "2" before "10" (SQLite's order put "b" after "Z").
  rows() {
    return this.ctx.engine.store.listFolders().sort((a, b) => naturalCompare(a.path, b.path));
  }

  /**
   * A folder is online when its root is a readable folder. An empty root while the index holds
   * photos under it is taken for an unmounted disk's mount point, not for every photo deleted:
   * its photos are kept until it has files again (remove the folder to forget them).
   */
  isOnline(dir: string): boolean {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return false;
    try {
      const d = fs.opendirSync(dir);
      try {
        if (d.readSync()) return true;
      } finally {
        d.closeSync();
      }
    } catch {
      return false;
    }
    const known = this.ctx.engine.store.countUnder(dir);
    return known.indexed + known.failed === 0;
  }

  /** The library folder holding `p`, if any. */
  folderOf(p: string): string | undefined {
    return this.rows().find((f) => p === f.path || p.startsWith(f.path + path.sep))?.path;
  }

  info(row: { id: number; path: string }): FolderInfo {
    const store = this.ctx.engine.store;
    const c = store.countUnder(row.path);
    const notReadKinds = store.notReadSummary(row.path, NOT_READ_EXAMPLES).map((k): NotReadGroup => ({ kind: k.kind, label: notReadLabel(k.kind, k.files), files: k.files, examples: k.examples }));
    return {
      id: row.id,
      path: row.path,
      photos: c.indexed,
      failed: c.failed,
      notRead: notReadKinds.reduce((n, k) => n + k.files, 0),
      notReadKinds,
      online: this.onlineState.get(row.path) ?? this.isOnline(row.path),
    };
  }

  infos(): FolderInfo[] {
    return this.rows().map((r) => this.info(r));
  }

  async list(): Promise<FolderInfo[]> {
    await this.ctx.swapping;
    return this.infos();
  }

  async add(input: string): Promise<FolderInfo> {
    await this.ctx.swapping;
    if (typeof input !== 'string' || input.trim() === '') throw new ApiError('bad-request', 'Type the path of a folder to add.');
    const raw = input.trim().replace(/^~(?=$|\/)/, os.homedir());
    if (!path.isAbsolute(raw)) throw new ApiError('bad-request', `Give the folder's full path (starting with ${path.sep}), not ${input}.`);
    const dir = path.resolve(raw);
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st) throw new ApiError('not-found', `There is no folder at ${dir}.`);
    if (!st.isDirectory()) throw new ApiError('bad-request', `${dir} is a file, not a folder.`);
    try {
      fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
    } catch {
      throw new ApiError('forbidden', `Photowords may not read ${dir} (permission denied).`);
    }
    const refused = this.rootPolicy?.refusal(dir);
    if (refused) throw new ApiError('forbidden', refused);
    const rows = this.rows();
    const within = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
    const same = rows.find((r) => r.path === dir);
    if (same) throw new ApiError('bad-request', `${dir} is already in the library.`);
    const parent = rows.find((r) => within(dir, r.path));
    if (parent) throw new ApiError('bad-request', `${dir} is already in the library, inside ${parent.path}.`);
    // A parent of existing folders takes them over: their photos are its photos.
    const store = this.ctx.engine.store;
    const id = store.transaction(() => {
      for (const r of rows) if (within(r.path, dir)) store.deleteFolder(r.id);
      return store.addFolder(dir);
    });
    this.changed();
    this.ctx.run.kick();
    return this.info({ id, path: dir });
  }

  async remove(id: number): Promise<void> {
    await this.ctx.swapping;
    const row = this.rows().find((r) => r.id === id);
    if (!row) throw new ApiError('not-found', 'That folder is not in the library (any more).');
    // The run may be reading this folder; stop it, forget the folder, then go on with the rest.
    await this.ctx.run.stopRun();
    const others = this.rows().filter((r) => r.id !== id);
    const store = this.ctx.engine.store;
    store.transaction(() => {
      store.deleteFolder(id);
      for (const p of store.pathsUnder(row.path)) {
        if (!others.some((o) => p.startsWith(o.path + path.sep))) store.remove(p);
      }
      // Library folders never nest (add refuses a folder inside another), so all of these go.
      store.forgetNotReadUnder(row.path);
    });
    this.ctx.engine.refreshQueries();
    this.changed();
    if (!this.ctx.run.paused) this.ctx.run.kick();
  }

  /** After folders were added, removed or reopened: the guard, the online states, the watcher and the windows follow. */
  changed(): void {
    this.guard.setFolders(this.rows().map((f) => f.path));
    const rows = this.rows();
    for (const f of rows) if (!this.onlineState.has(f.path)) this.onlineState.set(f.path, this.isOnline(f.path));
    for (const p of [...this.onlineState.keys()]) if (!rows.some((f) => f.path === p)) this.onlineState.delete(p);
    this.ctx.watching.watchFolders();
    this.ctx.emitFolders();
  }
}
