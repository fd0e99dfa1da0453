// Keeping up with the disk between runs: the watcher over the online library folders, and the
// poll that sees a folder go offline (an unplugged disk) or come back (then reconciled).
import { changeSetSize } from '../index/sync.js';
import { FolderWatcher, type WatcherStats } from './watcher.js';
import type { LibraryContext } from './context.js';

export class Watching {
  private watcher?: FolderWatcher;
  private watching: Promise<void> = Promise.resolve();
  private pollTimer?: NodeJS.Timeout;

  constructor(private readonly ctx: LibraryContext) {}

  /** Starts the watcher (when asked for) and the poll of offline folders. */
  start(): void {
    const { opts, folders } = this.ctx;
    for (const f of folders.rows()) folders.onlineState.set(f.path, folders.isOnline(f.path));
    if (opts.watch ?? opts.autoIndex !== false) {
      this.watcher = new FolderWatcher({ ...opts.watcher, onBatch: (c) => this.ctx.run.onChanges(c), log: opts.log, includeHidden: this.ctx.engine.includeHidden });
      this.watchFolders();
    }
    this.pollTimer = setInterval(() => this.pollFolders(), opts.pollMs ?? 3000);
    this.pollTimer.unref();
  }

  /** Watches the online folders (after the watcher is ready, a reconcile closes the gap). */
  watchFolders(): void {
    const watcher = this.watcher;
    if (!watcher || this.ctx.closing) return;
    const { folders } = this.ctx;
    const roots = folders
      .rows()
      .map((f) => f.path)
      .filter((p) => folders.onlineState.get(p) ?? folders.isOnline(p));
    const same = roots.length === watcher.watchedRoots.length && roots.every((r) => watcher.watchedRoots.includes(r));
    if (same) return;
    this.watching = this.watching
      .then(() => watcher.setRoots(roots))
      // What changed between the last scan and the watcher being ready: one more (cheap) reconcile.
      .then(() => {
        if (this.ctx.opts.autoIndex !== false) this.ctx.run.kick();
      })
      .catch((e) => this.ctx.opts.log?.(`Could not watch the library folders: ${(e as Error).message}`));
  }

  /** Folders going offline (an unplugged disk) and coming back; those back are reconciled. */
  pollFolders(): void {
    if (this.ctx.closing) return;
    const { folders } = this.ctx;
    let changed = false;
    let back = false;
    try {
      for (const f of folders.rows()) {
        const now = folders.isOnline(f.path);
        const was = folders.onlineState.get(f.path);
        if (was === now) continue;
        folders.onlineState.set(f.path, now);
        if (was === undefined) {
          changed = true; // a new folder: watch it
          continue;
        }
        changed = true;
        back ||= now;
        this.ctx.opts.log?.(now ? `${f.path} is back; looking for what changed.` : `${f.path} is offline; its photos are kept until it is back.`);
      }
    } catch {
      return; // the engine is being reopened (settings)
    }
    if (!changed) return;
    this.watchFolders();
    this.ctx.emitFolders();
    if (back) this.ctx.run.kick();
  }

  /** The watcher's counts (events, batches), when it runs. */
  get stats(): WatcherStats | undefined {
    return this.watcher?.stats;
  }

  async setIncludeHidden(on: boolean): Promise<void> {
    await this.watcher?.setIncludeHidden(on);
  }

  /** Waits until the watcher has handed on every change and indexing has caught up. */
  async whenQuiet(): Promise<void> {
    const run = this.ctx.run;
    for (;;) {
      await this.watching;
      await this.watcher?.whenQuiet();
      await run.whenIdle();
      if (!run.running && !this.watcher?.stats.pending && changeSetSize(run.changes) === 0) return;
    }
  }

  /** Stops the poll and the watcher (the first steps of closing). */
  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    await this.watcher?.close();
  }
}
