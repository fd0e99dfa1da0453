// Indexing that runs by itself: one run at a time, a full reconcile of the folders (open, folders
// added, back online, resume) or the watcher's change sets, with pause and resume, progress that
// goes on where a stopped run left it, the failures to show, and throttled status events.
import type { IndexProgress, IndexReport } from '../index/indexer.js';
import { applyChangeSet, emptyChangeSet, mergeChangeSets, reconcileFolders, changeSetSize, type ChangeSet, type SyncPlan } from '../index/sync.js';
import type { LibraryContext } from './context.js';
import type { IndexFailure, IndexStatus } from '../../shared/api.js';

/** What the library did without a full re-index: counts since it was opened. */
export interface LibraryActivity {
  /** Full reconciles (open, folder added or back online, resume). */
  reconciles: number;
  /** Watcher change sets applied. */
  changeSets: number;
  /** Photos that went through the model. */
  modelPhotos: number;
  /** Photos whose words were copied from a photo with the same bytes. */
  reused: number;
  /** Renames and moves kept by content hash (no model). */
  moved: number;
  /** Touched files with the same bytes (mtime updated, no model). */
  touched: number;
  /** Vanished files forgotten. */
  removed: number;
}

const MAX_FAILURES = 200;
/** Status events at most this often while indexing; state changes go out at once. */
const STATUS_INTERVAL_MS = 250;

type RunStatus = Omit<IndexStatus, 'libraryPhotos' | 'failures' | 'failuresTotal' | 'provider'>;

const idle = (): RunStatus => ({
  state: 'idle',
  total: 0,
  done: 0,
  indexed: 0,
  failed: 0,
  skipped: 0,
  imagesPerSecond: 0,
  etaSeconds: 0,
});

export class RunLoop {
  private run: RunStatus & { current?: string; message?: string } = idle();
  /**
   * Photos done by runs stopped part way (pause, an error) since the last run that finished. The
   * next run plans only what is left, so without them progress after Resume would start again
   * at "8 of 1,304" instead of going on at "360 of 1,360".
   */
  private carried = 0;
  private failureLog: IndexFailure[] = [];
  private failuresTotal = 0;
  paused = false;
  private dirty = false;
  private loop?: Promise<void>;
  private abort?: AbortController;
  private lastStatusAt = 0;
  private statusTimer?: NodeJS.Timeout;
  private counted?: { n: number; at: number; ms: number };
  /** The next run reconciles every folder (else it applies the watcher's changes only). */
  private needsFull = true;
  changes: ChangeSet = emptyChangeSet();
  /** How long the last full reconcile (scan, compare, moves and removals; not the pipeline) took, in ms. */
  lastReconcileMs = 0;
  /** Resolved when the changes taken by a run are applied (the watcher's backpressure). */
  private changeWaiters: (() => void)[] = [];
  readonly activity: LibraryActivity = { reconciles: 0, changeSets: 0, modelPhotos: 0, reused: 0, moved: 0, touched: 0, removed: 0 };

  constructor(private readonly ctx: LibraryContext) {
    const failures = ctx.engine.store.failures();
    this.failuresTotal = failures.length;
    this.failureLog = failures.slice(0, MAX_FAILURES).map((f) => ({ path: f.path, reason: f.error }));
  }

  /** Whether a run is going on. */
  get running(): boolean {
    return this.loop !== undefined;
  }

  statusNow(): IndexStatus {
    const state = this.paused ? 'paused' : this.run.state;
    return {
      ...this.run,
      state,
      libraryPhotos: this.libraryPhotos(),
      failures: this.failureLog,
      failuresTotal: this.failuresTotal,
      provider: this.ctx.engine.tokenizer.provider,
    };
  }

  /**
   * The library's photo count for the status. Counting is a scan of an index of every photo (130
   * ms at a million), and a run pushes its status four times a second: while a run goes on the
   * count is taken again only after 50 times what it cost, exact otherwise. No floor: a small
   * library's count costs microseconds and stays exact, so a pause asked for at "8 stored" comes
   * then and not a second of photos later.
   */
  private libraryPhotos(): number {
    const now = performance.now();
    const c = this.counted;
    if (this.loop && c && now - c.at < 50 * c.ms) return c.n;
    const n = this.ctx.engine.store.countIndexed();
    this.counted = { n, at: now, ms: performance.now() - now };
    return n;
  }

  pushStatus(force = false): void {
    if (this.ctx.closing) return;
    const now = Date.now();
    if (!force && now - this.lastStatusAt < STATUS_INTERVAL_MS) {
      // Throttled, but the last word always goes out.
      this.statusTimer ??= setTimeout(() => {
        this.statusTimer = undefined;
        this.pushStatus(true);
      }, STATUS_INTERVAL_MS);
      return;
    }
    this.lastStatusAt = now;
    let status: IndexStatus;
    try {
      status = this.statusNow();
    } catch {
      return; // the engine is being reopened (settings); the next push tells the news
    }
    this.ctx.emit({ type: 'status', status });
  }

  async pause(): Promise<IndexStatus> {
    this.paused = true;
    await this.stopRun();
    this.pushStatus(true);
    return this.statusNow();
  }

  async resume(): Promise<IndexStatus> {
    this.paused = false;
    this.kick();
    this.pushStatus(true);
    return this.statusNow();
  }

  /** Waits until no indexing is running (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  async stopRun(): Promise<void> {
    this.abort?.abort();
    await this.loop;
  }

  /**
   * Starts indexing unless it runs (then it runs once more after) or is paused. `full`: reconcile
   * every folder (open, folders added, back online, resume); else apply the watcher's changes.
   */
  kick(full = true): void {
    if (full) this.needsFull = true;
    if (this.paused || this.ctx.closing) return;
    if (this.loop) {
      this.dirty = true;
      return;
    }
    this.loop = this.indexLoop().finally(() => {
      this.loop = undefined;
      this.ctx.photos.fillDates();
      this.ctx.engine.refreshQueries();
      this.pushStatus(true);
      if (!this.ctx.closing) this.ctx.emitFolders();
    });
  }

  /** A change set from the watcher; resolves when it has been applied (or the library closes). */
  onChanges(c: ChangeSet): Promise<void> {
    if (this.ctx.closing) return Promise.resolve();
    mergeChangeSets(this.changes, c);
    return new Promise<void>((resolve) => {
      this.changeWaiters.push(resolve);
      this.kick(false);
    });
  }

  releaseChangeWaiters(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const w of waiters) w();
  }

  /** The index was rebuilt with new settings: what earlier runs did and failed no longer counts. */
  forgetPast(): void {
    this.carried = 0;
    this.failureLog = [];
    this.failuresTotal = 0;
  }

  /** Stops the status timer and lets the watcher's waiters go (the last steps of closing). */
  close(): void {
    this.releaseChangeWaiters();
    clearTimeout(this.statusTimer);
  }

  private async indexLoop(): Promise<void> {
    const { ctx } = this;
    try {
      do {
        this.dirty = false;
        const full = this.needsFull;
        const changes = this.changes;
        const waiters = this.changeWaiters;
        if (!full && changeSetSize(changes) === 0) break;
        this.needsFull = false;
        this.changes = emptyChangeSet();
        this.changeWaiters = [];
        ctx.watching.pollFolders(); // folders gone offline or back since the last look
        const folders = ctx.folders
          .rows()
          .map((f) => f.path)
          .filter((p) => ctx.folders.onlineState.get(p));
        const online = (p: string) => {
          const f = ctx.folders.folderOf(p);
          return f !== undefined && ctx.folders.isOnline(f);
        };
        const abort = (this.abort = new AbortController());
        this.run = { ...idle(), state: 'scanning' };
        this.pushStatus(true);
        const seen = new Set<string>();
        try {
          let plan: SyncPlan | undefined;
          if (full) {
            // A full reconcile also covers whatever the watcher had queued.
            const t0 = performance.now();
            if (folders.length > 0) plan = await reconcileFolders(ctx.engine.store, folders, { signal: abort.signal, online, includeHidden: ctx.engine.includeHidden });
            this.lastReconcileMs = performance.now() - t0;
            this.activity.reconciles++;
          } else {
            plan = await applyChangeSet(ctx.engine.store, changes, {
              signal: abort.signal,
              online,
              inLibrary: (p) => ctx.folders.folderOf(p) !== undefined,
              includeHidden: ctx.engine.includeHidden,
            });
            this.activity.changeSets++;
          }
          if (plan) this.notePlan(plan, seen);
          let report: IndexReport | undefined;
          if (plan?.complete && plan.toIndex.length > 0 && !abort.signal.aborted) {
            report = await ctx.engine.indexFiles(handOver(plan.toIndex), {
              signal: abort.signal,
              reuseByHash: true,
              onProgress: (p: IndexProgress) => {
                this.run = { ...withCarried(progressOf(p), this.carried), state: 'indexing' };
                this.pushStatus();
              },
            });
            this.activity.modelPhotos += report.modelPhotos;
            this.activity.reused += report.reused;
            for (const f of report.failures) this.noteFailure(f, seen);
          }
          this.failureLog.length = Math.min(this.failureLog.length, MAX_FAILURES);
          this.run = report ? { ...withCarried(progressOf(report), this.carried), state: 'idle', current: undefined } : idle();
          if ((plan && !plan.complete) || abort.signal.aborted) {
            // Stopped part way (pause, a folder removed, close): the next run starts over from the disk.
            this.needsFull = true;
            if (report) this.carried = this.run.done;
          } else this.carried = 0;
        } catch (e) {
          this.needsFull = true;
          if (this.run.state === 'indexing') this.carried = this.run.done;
          this.run = { ...this.run, state: 'error', message: `Indexing stopped: ${(e as Error).message}` };
          ctx.opts.log?.(this.run.message!);
          return;
        } finally {
          this.abort = undefined;
          for (const w of waiters) w();
        }
        if (abort.signal.aborted) return;
      } while ((this.dirty || this.needsFull || changeSetSize(this.changes) > 0) && !this.paused && !ctx.closing);
    } finally {
      if (ctx.closing) this.releaseChangeWaiters();
    }
  }

  /** What a reconcile or change set found without the model: counted, logged, its failures kept. */
  private notePlan(plan: SyncPlan, seen: Set<string>): void {
    this.activity.moved += plan.moved;
    this.activity.touched += plan.touched;
    this.activity.removed += plan.removed;
    if (plan.moved + plan.removed + plan.touched > 0 || plan.failures.length > 0) {
      this.ctx.opts.log?.(
        `Changes: ${plan.toIndex.length} to index, ${plan.moved} moved or renamed, ${plan.removed} removed, ${plan.touched} touched${plan.failures.length ? `, ${plan.failures.length} unreadable` : ''}.`,
      );
    }
    for (const f of plan.failures) this.noteFailure(f, seen);
    if (plan.moved + plan.removed > 0) this.ctx.engine.refreshQueries();
  }

  private noteFailure(f: { path: string; reason: string }, seen: Set<string>): void {
    if (seen.has(f.path)) return;
    seen.add(f.path);
    this.failureLog.unshift({ path: f.path, reason: f.reason });
    this.failuresTotal++;
  }
}

/**
 * A list's items one by one, each let go as it is handed on: the pipeline keeps its own list of
 * what it reads, and at a first index of a big library both would be every file.
 */
function* handOver<T>(list: T[]): Generator<T> {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    (list as (T | undefined)[])[i] = undefined;
    yield x;
  }
  list.length = 0;
}

/** A run's progress counted on from the photos done before it was stopped (RunLoop.carried). */
function withCarried<T extends { total: number; done: number }>(p: T, carried: number): T {
  return carried > 0 ? { ...p, total: p.total + carried, done: p.done + carried } : p;
}

function progressOf(p: IndexProgress): Omit<RunStatus, 'state'> & { current?: string } {
  const { total, done, indexed, failed, skipped, imagesPerSecond, etaSeconds, current } = p;
  return { total, done, indexed, failed, skipped, imagesPerSecond, etaSeconds, current };
}
