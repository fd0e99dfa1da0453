// Keeping up with the disk between runs: the watcher over the online library folders, and the
// poll that sees a folder go offline (an unplugged disk) or come back (then reconciled).
import { changeSetSize } from '../index/sync.js';
import { FolderWatcher, type WatcherStats } from './watcher.js';
import type { LibraryContext } from './context.js';

export class Watching {
  private watcher?: FolderWatcher;
  private watching: Promise<void> = Promise.resolve();
  private pollTimer?: NodeJS.Timeout;
  /** How long the last (re)start of the watches took, in ms (bench/library-open.ts). */
  lastWatchMs = 0;

  constructor(private readonly ctx: LibraryContext) {}

  /**
   * Starts the watcher (when asked for) and the poll of offline folders. Returns whether a full
   * reconcile follows by itself once the folders are watched (then the opener need not start one:
   * a reconcile begun before would leave a gap for the second to close, twice the work at open).
   */
  start(): boolean {
    const { opts, folders } = this.ctx;
    for (const f of folders.rows()) folders.onlineState.set(f.path, folders.isOnline(f.path));
    if (opts.watch ?? opts.autoIndex !== false) {
      this.watcher = new FolderWatcher({ ...opts.watcher, onBatch: (c) => this.ctx.run.onChanges(c), log: opts.log, includeHidden: this.ctx.engine.includeHidden });
    }
    this.pollTimer = setInterval(() => this.pollFolders(), opts.pollMs ?? 3000);
    this.pollTimer.unref();
    return this.watchFolders();
  }

  /** Watches the online folders (after the watcher is ready, a reconcile closes the gap); true when that reconcile is on its way. */
  watchFolders(): boolean {
    const watcher = this.watcher;
    if (!watcher || this.ctx.closing) return false;
    const { folders } = this.ctx;
    const roots = folders
      .rows()
      .map((f) => f.path)
      .filter((p) => folders.onlineState.get(p) ?? folders.isOnline(p));
    const same = roots.length === watcher.watchedRoots.length && roots.every((r) => watcher.watchedRoots.includes(r));
    if (same) return false;
    this.watching = this.watching
      .then(async () => {
        const t0 = performance.now();
        await watcher.setRoots(roots);
        this.lastWatchMs = performance.now() - t0;
      })
      .catch((e) => this.ctx.opts.log?.(`Could not watch the library folders: ${(e as Error).message}`))
      // What changed before the watches were in place (while closed, or since the last scan): a reconcile.
      .then(() => {
        if (this.ctx.opts.autoIndex !== false) this.ctx.run.kick();
      });
    return this.ctx.opts.autoIndex !== false;
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
