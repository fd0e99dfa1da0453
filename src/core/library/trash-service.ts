// Trash, restore and reveal as the library sees them. Moving a file to the system's trash and
// showing it in the file manager are the shell's (a Desktop: src/server/desktop.ts under
// `photowords serve`; Electron's main process uses its own shell and calls photoTarget and
// forgetTrashed around it); what stays here is the library's part: which photo may go, what the
// index forgets and records, and putting files back from the XDG trash (trash.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { ImageRecord, TrashedRecord } from '../index/store.js';
import { backInPlace, findTrashEntry, readTrash, restoreEntry, restoreSupported, RestoreError, trashDirsFor, trashWhereabouts } from './trash.js';
import type { LibraryContext } from './context.js';
import type { Photos } from './photos.js';
import { ApiError, MAX_BATCH, checkPathList } from './validation.js';
import type { RestoreResult, TrashManyResult, TrashResult, TrashedList, TrashedPhoto } from '../../shared/api.js';

/** What a shell under plain Node does for a library photo on the person's desktop. */
export interface Desktop {
  /** Moves a file to the system's trash, where it can be restored from; never a plain delete. */
  moveToTrash(file: string): Promise<void>;
  /** Shows the file in the desktop's file manager. */
  revealInFolder(file: string): Promise<void>;
}

export class TrashService {
  /**
   * Photos checked for the trash (photoTarget) and not yet forgotten, as they were indexed: what
   * the trashed table records, even if the watcher forgets the vanished file first.
   */
  private trashing = new Map<string, ImageRecord>();
  /** The shell's trash and file manager (LibraryOptions.desktop); none in Electron's utility process. */
  private readonly desktop?: Desktop;

  constructor(
    private readonly ctx: LibraryContext,
    private readonly photos: Photos,
  ) {
    this.desktop = ctx.opts.desktop;
  }

  private shell(what: string): Desktop {
    if (!this.desktop) throw new ApiError('unavailable', `Photowords cannot ${what} here: this shell gave the library no desktop to do it with.`);
    return this.desktop;
  }

  /**
   * The path of an indexed library photo a person asked to trash or reveal, or why not: only a
   * photo the index holds, inside a library folder (the path guard), and for the trash only while
   * it is the file that was indexed (what the person compared is what goes).
   */
  async photoTarget(photoPath: string, action: 'trash' | 'reveal'): Promise<string> {
    await this.ctx.swapping;
    if (typeof photoPath !== 'string' || photoPath === '') throw new ApiError('bad-request', 'Name the photo by its path.');
    await this.photos.checkedFile(photoPath, 'forbidden');
    const asked = path.resolve(photoPath);
    const name = path.basename(asked);
    const rec = this.ctx.engine.store.getByPath(asked);
    if (!rec || rec.status !== 'indexed') throw new ApiError('forbidden', `refused: ${photoPath} is not a photo the library has indexed`);
    if (action === 'trash') {
      const st = fs.statSync(rec.path, { throwIfNoEntry: false });
      if (!st) throw new ApiError('not-found', `${name} is no longer in its folder.`);
      if (st.size !== rec.size || st.mtimeMs !== rec.mtimeMs) {
        throw new ApiError('busy', `${name} has changed since it was indexed, so it was not moved to the trash. Look for duplicates again once it is indexed again.`);
      }
      this.trashing.set(rec.path, rec);
    }
    // The path as indexed, not the link's target: a photo reached through a link leaves the library
    // with the link, and nothing outside the library folders is touched.
    return rec.path;
  }

  /**
   * After the file went to the trash (here or in Electron's main process): the index forgets it
   * and the trashed table records it. `quiet` leaves the status and library events to the caller
   * (a batch sends them once, through trashSettled).
   */
  async forgetTrashed(photoPath: string, quiet = false): Promise<TrashResult> {
    await this.ctx.swapping;
    const file = path.resolve(photoPath);
    const name = path.basename(file);
    if (fs.lstatSync(file, { throwIfNoEntry: false })) {
      throw new ApiError('internal', `${name} is still in its folder after moving it to the trash, so the library keeps it.`);
    }
    const store = this.ctx.engine.store;
    const rec = store.getByPath(file);
    const was = rec ?? this.trashing.get(file);
    this.trashing.delete(file);
    if (was) {
      store.addTrashed({
        path: was.path,
        folder: this.ctx.folders.folderOf(was.path) ?? null,
        bytes: was.size,
        hash: was.hash,
        mtimeMs: was.mtimeMs,
        width: was.width,
        height: was.height,
        trashedAt: Date.now(),
      });
    }
    if (rec) {
      this.ctx.duplicates.service.photoRemoved(rec.id, () => {
        store.remove(file);
        this.ctx.engine.refreshQueries();
      });
    }
    if (!quiet) this.trashSettled();
    return {
      path: file,
      name,
      bytes: was?.size ?? 0,
      libraryPhotos: store.stats().indexed,
      message: `${name} is in the trash, and no longer in the library. It can be restored from the trash.`,
    };
  }

  async trashPhoto(photoPath: string): Promise<TrashResult> {
    const target = await this.photoTarget(photoPath, 'trash');
    try {
      await this.shell('move photos to the trash').moveToTrash(target);
    } catch (e) {
      throw new ApiError('internal', `${path.basename(target)} could not be moved to the trash: ${(e as Error)?.message ?? String(e)}. Nothing was deleted.`);
    }
    return this.forgetTrashed(target);
  }

  /**
   * Status and folder counts after trashing (once per batch); with a batch's outcome (Electron's
   * main trashes photo by photo), that outcome as trashPhotos answers it.
   */
  trashSettled(): void;
  trashSettled(trashed: TrashManyResult['trashed'], failed: TrashManyResult['failed']): TrashManyResult;
  trashSettled(trashed?: TrashManyResult['trashed'], failed?: TrashManyResult['failed']): TrashManyResult | void {
    this.ctx.run.pushStatus(true);
    this.ctx.emitFolders();
    if (trashed && failed) return trashManyResult(trashed, failed, this.ctx.engine.store.stats().indexed);
  }

  async trashPhotos(paths: string[]): Promise<TrashManyResult> {
    const list = checkPathList(paths);
    const trashed: TrashManyResult['trashed'] = [];
    const failed: TrashManyResult['failed'] = [];
    try {
      for (const p of list) {
        let target: string;
        try {
          target = await this.photoTarget(p, 'trash');
        } catch (e) {
          failed.push({ path: p, reason: (e as Error)?.message ?? String(e) });
          continue;
        }
        try {
          await this.shell('move photos to the trash').moveToTrash(target);
        } catch (e) {
          this.trashing.delete(target);
          failed.push({ path: p, reason: `${path.basename(target)} could not be moved to the trash: ${(e as Error)?.message ?? String(e)}. Nothing was deleted.` });
          continue;
        }
        try {
          const r = await this.forgetTrashed(target, true);
          trashed.push({ path: target, bytes: r.bytes });
        } catch (e) {
          failed.push({ path: p, reason: (e as Error)?.message ?? String(e) });
        }
      }
    } finally {
      if (trashed.length > 0) this.trashSettled();
    }
    return trashManyResult(trashed, failed, this.ctx.engine.store.stats().indexed);
  }

  async revealPhoto(photoPath: string): Promise<void> {
    const target = await this.photoTarget(photoPath, 'reveal');
    try {
      await this.shell('show photos in their folder').revealInFolder(target);
    } catch (e) {
      throw new ApiError('unavailable', `Could not show ${path.basename(target)} in its folder: ${(e as Error)?.message ?? String(e)}.`);
    }
  }

  // ---- the Trash view ----------------------------------------------------------------------------

  private trashedIndex(records: TrashedRecord[]) {
    const dirs = new Map<string, { dir: string; top: string }>();
    for (const r of records) for (const d of trashDirsFor(r.path)) dirs.set(d.dir, d);
    return readTrash([...dirs.values()]);
  }

  async listTrashed(): Promise<TrashedList> {
    await this.ctx.swapping;
    const records = this.ctx.engine.store.listTrashed();
    const supported = restoreSupported();
    const index = supported ? this.trashedIndex(records) : new Map();
    const items = records.map((r): TrashedPhoto => {
      const base = { id: r.id, path: r.path, name: path.basename(r.path), folder: r.folder, bytes: r.bytes, width: r.width, height: r.height, trashedAt: r.trashedAt };
      if (!supported) return { ...base, restorable: false, note: "put it back with the system's file manager" };
      // The listing reads names only; Restore checks the bytes.
      if (!findTrashEntry(index, r, false)) {
        return { ...base, restorable: false, note: backInPlace(r) ? 'back at its place already (put back by hand)' : 'no longer in the trash (emptied, or put back by hand)' };
      }
      if (fs.lstatSync(r.path, { throwIfNoEntry: false })) return { ...base, restorable: false, note: 'a file is at its place now' };
      return { ...base, restorable: true };
    });
    return { items, restoreSupported: supported, message: trashWhereabouts() };
  }

  async restoreTrashed(ids: number[] | 'all'): Promise<RestoreResult> {
    await this.ctx.swapping;
    const store = this.ctx.engine.store;
    let records: TrashedRecord[];
    const failed: RestoreResult['failed'] = [];
    if (ids === 'all') records = store.listTrashed();
    else {
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BATCH || !ids.every((i) => Number.isInteger(i))) {
        throw new ApiError('bad-request', `Name the files to restore by their ids (a list of 1 to ${MAX_BATCH.toLocaleString('en')} whole numbers), or 'all'.`);
      }
      records = [];
      for (const id of new Set(ids)) {
        const r = store.getTrashed(id);
        if (r) records.push(r);
        else failed.push({ id, path: '', reason: 'Photowords has no record of trashing that file (restored already?).' });
      }
    }
    const restored: RestoreResult['restored'] = [];
    if (!restoreSupported()) {
      for (const r of records) failed.push({ id: r.id, path: r.path, reason: trashWhereabouts() });
      return restoreResult(restored, failed);
    }
    const index = this.trashedIndex(records);
    const { folders } = this.ctx;
    // Oldest first: a path trashed twice gets its older file back, then the newer is refused (a file is there).
    for (const r of [...records].sort((a, b) => a.trashedAt - b.trashedAt || a.id - b.id)) {
      const name = path.basename(r.path);
      const entry = findTrashEntry(index, r);
      if (!entry) {
        if (backInPlace(r)) {
          // Put back by hand, the same bytes: done already; the record goes.
          store.deleteTrashed(r.id);
          restored.push({ id: r.id, path: r.path });
        } else failed.push({ id: r.id, path: r.path, reason: `${name} is no longer in the trash (it was emptied, or the file was put back by hand).` });
        continue;
      }
      const folder = folders.folderOf(r.path);
      try {
        // A folder of the library that is online may get its subfolder back; anything else stays as it is.
        restoreEntry(entry, r.path, { createParents: folder !== undefined && folders.isOnline(folder) });
      } catch (e) {
        failed.push({ id: r.id, path: r.path, reason: e instanceof RestoreError ? `${e.message}.` : `could not put ${name} back: ${(e as Error)?.message ?? String(e)}.` });
        continue;
      }
      // Only now that the file is back: taken off the list, and (under a library folder) indexed again.
      store.deleteTrashed(r.id);
      const list = index.get(path.normalize(r.path));
      if (list) list.splice(list.indexOf(entry), 1);
      restored.push({ id: r.id, path: r.path });
    }
    const again = restored.map((r) => r.path).filter((p) => folders.folderOf(p) !== undefined);
    if (again.length > 0) void this.ctx.run.onChanges({ files: new Set(again), gone: new Set(), dirsAdded: new Set(), dirsGone: new Set() });
    return restoreResult(restored, failed);
  }
}

function bytesText(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** The per-photo outcome of a batch trash, with one sentence for the person. */
export function trashManyResult(trashed: TrashManyResult['trashed'], failed: TrashManyResult['failed'], libraryPhotos: number): TrashManyResult {
  const bytes = trashed.reduce((n, t) => n + t.bytes, 0);
  const parts: string[] = [];
  if (trashed.length > 0) parts.push(`${plural(trashed.length, 'photo')} (${bytesText(bytes)}) moved to the trash; they can be restored from the Trash view.`);
  if (failed.length > 0) parts.push(`${plural(failed.length, 'photo')} not moved: ${failed[0].reason}${failed.length > 1 ? ' (and others: see each)' : ''}`);
  return { trashed, failed, libraryPhotos, message: parts.join(' ') || 'Nothing was moved to the trash.' };
}

function restoreResult(restored: RestoreResult['restored'], failed: RestoreResult['failed']): RestoreResult {
  const parts: string[] = [];
  if (restored.length > 0) parts.push(`${plural(restored.length, 'file')} put back where ${restored.length === 1 ? 'it was' : 'they were'}.`);
  if (failed.length > 0) parts.push(`${plural(failed.length, 'file')} not restored: ${failed[0].reason}`);
  return { restored, failed, message: parts.join(' ') || 'Nothing to restore.' };
}
