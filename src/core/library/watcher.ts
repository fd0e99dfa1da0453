// Watches the library folders (one watch a folder: dir-watches.ts) and hands the changes on in
// batches: events are coalesced per path (a file written in a hundred chunks is one entry), a
// batch goes out after a short quiet time or at the latest maxWaitMs after its first event (so a
// storm of 10,000 new files becomes a few batches, not 10,000 runs), a file still being written
// (its mtime younger than stableMs, or its size or mtime moving between two looks) waits for a
// later batch, and the next batch waits until the handler has finished the last one
// (backpressure: memory is one entry per distinct changed path, however many events arrive).
//
// What the watcher hands on is photos only (scan.ts's imageExtensions()) and folders, and no dot
// files or dot folders unless the library reads hidden ones; the files counted as not read
// (videos, sidecars, hidden folders) are left to the scans. A folder added is scanned whole (its
// not-read files with it), a folder gone takes its not-read rows along, and the rest (a video
// added beside photos, a sidecar deleted) shows at the next full reconcile: at open, a folder
// back online, resume.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { imageExtensions } from '../analysis/scan.js';
import { changeSetSize, emptyChangeSet, type ChangeSet } from '../index/sync.js';
import { DirWatches } from './dir-watches.js';

export interface WatcherOptions {
  /** Receives each batch; the next one waits until this resolves. */
  onBatch: (changes: ChangeSet) => Promise<void>;
  /** A batch goes out after this much quiet (default 300 ms)... */
  debounceMs?: number;
  /** ...or at the latest this long after its first event (default 2,000 ms). */
  maxWaitMs?: number;
  /** A file is complete when its mtime is at least this old and its size and mtime hold still (default 1,000 ms). */
  stableMs?: number;
  log?: (m: string) => void;
  /** Watch dot-named files and folders too (the library's includeHidden setting). */
  includeHidden?: boolean;
}

export interface WatcherStats {
  /** File and folder events taken in (after the image/dot-file filter). */
  events: number;
  /** Batches handed on. */
  batches: number;
  /** Paths handed on, over all batches. */
  paths: number;
  /** The largest batch. */
  largestBatch: number;
  /** Paths waiting now (not stable yet, or behind a batch in progress). */
  pending: number;
}

const STAT_PARALLELISM = 64;

export class FolderWatcher {
  private fsw?: DirWatches;
  private roots: string[] = [];
  private includeHidden: boolean;
  private pending: ChangeSet = emptyChangeSet();
  /** Last look at a file that was not stable yet. */
  private looked = new Map<string, { size: number; mtimeMs: number }>();
  private timer?: NodeJS.Timeout;
  private firstAt = 0;
  private busy = false;
  private closed = false;
  private readonly exts = imageExtensions();
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly stableMs: number;
  readonly stats: WatcherStats = { events: 0, batches: 0, paths: 0, largestBatch: 0, pending: 0 };

  constructor(private readonly opts: WatcherOptions) {
    this.debounceMs = opts.debounceMs ?? 300;
    this.maxWaitMs = opts.maxWaitMs ?? 2000;
    this.stableMs = opts.stableMs ?? 1000;
    this.includeHidden = opts.includeHidden ?? false;
  }

  /** Follows the library's setting: the folders are watched again with the new filter. */
  async setIncludeHidden(on: boolean): Promise<void> {
    if (on === this.includeHidden) return;
    this.includeHidden = on;
    const roots = this.roots;
    this.roots = [];
    await this.setRoots(roots);
  }

  /**
   * Watches exactly these folders (new watches when the set changes; cheaper and sturdier than
   * unwatching parts). Resolves once every folder below them is watched: changes made after that
   * are seen; what changed before is a reconcile's job.
   */
  async setRoots(roots: string[]): Promise<void> {
    const next = [...new Set(roots.map((r) => path.resolve(r)))].sort();
    if (this.closed || (this.fsw && next.join('\0') === this.roots.join('\0'))) return;
    this.fsw?.close();
    this.fsw = undefined;
    this.roots = next;
    if (next.length === 0) return;
    const fsw = new DirWatches(this.includeHidden, {
      file: (p, gone) => this.onFile(p, gone),
      dir: (p, gone) => this.onDir(p, gone),
      // Lost events: the folder is looked at whole, as one that went and came back.
      rescan: (d) => {
        this.onDir(d, true);
        this.onDir(d, false);
      },
      error: (e) => this.opts.log?.(`Watching: ${e.message}`),
    });
    this.fsw = fsw;
    for (const root of next) await fsw.add(root, false);
  }

  get watchedRoots(): readonly string[] {
    return this.roots;
  }

  private isRoot(p: string): boolean {
    return this.roots.includes(p);
  }

  private hiddenBelowRoot(p: string): boolean {
    if (this.includeHidden) return false;
    const root = this.roots.find((r) => p.startsWith(r + path.sep));
    if (!root) return false;
    return p
      .slice(root.length + 1)
      .split(path.sep)
      .some((part) => part.startsWith('.'));
  }

  private isImage(p: string): boolean {
    return this.exts.has(path.extname(p).slice(1).toLowerCase());
  }

  private onFile(p: string, gone: boolean): void {
    if (this.closed || !this.isImage(p) || this.hiddenBelowRoot(p)) return;
    this.stats.events++;
    if (gone) {
      this.pending.files.delete(p);
      this.looked.delete(p);
      this.pending.gone.add(p);
    } else {
      this.pending.gone.delete(p);
      this.pending.files.add(p);
    }
    this.schedule();
  }

  private onDir(p: string, gone: boolean): void {
    if (this.closed || this.isRoot(p) || this.hiddenBelowRoot(p)) return;
    this.stats.events++;
    (gone ? this.pending.dirsGone : this.pending.dirsAdded).add(p);
    this.schedule();
  }

  private schedule(delay?: number): void {
    this.stats.pending = changeSetSize(this.pending);
    if (this.busy || this.closed) return; // the batch in progress schedules the next when it ends
    const now = Date.now();
    if (!this.timer) this.firstAt = now;
    clearTimeout(this.timer);
    const wait = delay ?? Math.max(0, Math.min(this.debounceMs, this.firstAt + this.maxWaitMs - now));
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  /** Splits the pending files into those complete now and those still being written. */
  private async stableFiles(): Promise<Set<string>> {
    const ready = new Set<string>();
    const files = [...this.pending.files];
    const now = Date.now();
    for (let i = 0; i < files.length; i += STAT_PARALLELISM) {
      await Promise.all(
        files.slice(i, i + STAT_PARALLELISM).map(async (p) => {
          let st;
          try {
            st = await stat(p);
          } catch {
            // Gone again before it settled: the handler checks the disk itself.
            this.looked.delete(p);
            ready.add(p);
            return;
          }
          const last = this.looked.get(p);
          const young = now - st.mtimeMs < this.stableMs;
          const moving = last !== undefined && (last.size !== st.size || last.mtimeMs !== st.mtimeMs);
          if (young || moving) this.looked.set(p, { size: st.size, mtimeMs: st.mtimeMs });
          else {
            this.looked.delete(p);
            ready.add(p);
          }
        }),
      );
    }
    return ready;
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      const ready = await this.stableFiles();
      const batch = emptyChangeSet();
      for (const p of ready) {
        batch.files.add(p);
        this.pending.files.delete(p);
      }
      batch.gone = this.pending.gone;
      batch.dirsAdded = this.pending.dirsAdded;
      batch.dirsGone = this.pending.dirsGone;
      this.pending = { files: this.pending.files, gone: new Set(), dirsAdded: new Set(), dirsGone: new Set() };
      const n = changeSetSize(batch);
      if (n > 0 && !this.closed) {
        this.stats.batches++;
        this.stats.paths += n;
        this.stats.largestBatch = Math.max(this.stats.largestBatch, n);
        this.stats.pending = changeSetSize(this.pending);
        try {
          await this.opts.onBatch(batch);
        } catch (e) {
          this.opts.log?.(`Could not apply changes: ${(e as Error).message}`);
        }
      }
    } finally {
      this.busy = false;
    }
    this.stats.pending = changeSetSize(this.pending);
    // Files still being written are looked at again after a while; new events come sooner.
    if (this.stats.pending > 0 && !this.closed) {
      const onlyWaiting = this.pending.files.size === this.stats.pending && [...this.pending.files].every((p) => this.looked.has(p));
      this.schedule(onlyWaiting ? Math.min(this.stableMs, 500) : undefined);
    }
  }

  /** Resolves when no event waits and no batch is being handled (tests, benchmarks). */
  async whenQuiet(pollMs = 50): Promise<void> {
    while (!this.closed && (this.busy || this.timer || changeSetSize(this.pending) > 0)) {
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.fsw?.close();
    this.fsw = undefined;
  }
}
