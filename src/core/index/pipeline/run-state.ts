// What one indexing run counts and how it ends: the figures every stage adds to, the progress
// events they send, and the first error that stops the run. Shared by the stages in this folder.
import type { FileInfo, NotReadCount } from '../store.js';
import { NOT_READ_KINDS, type NotReadKind } from '../../analysis/formats.js';
import type { IndexStatus } from '../../../shared/api.js';

/** A run's progress: the counters the app's IndexStatus (src/shared/api.ts) carries to the UI. */
export type IndexProgress = Pick<IndexStatus, 'total' | 'done' | 'indexed' | 'failed' | 'skipped' | 'imagesPerSecond' | 'etaSeconds' | 'current'>;

/** Busy time of each stage; decode overlaps the model, so the parts can exceed the wall time. */
export interface StageTimings {
  readMs: number;
  decodeMs: number;
  modelMs: number;
  kgramsMs: number;
  sqliteMs: number;
  wallMs: number;
}

/** A file the scan found and the run means to read: its identity as the store keeps it. */
export type TodoFile = FileInfo;

export class RunState {
  readonly timings: StageTimings = { readMs: 0, decodeMs: 0, modelMs: 0, kgramsMs: 0, sqliteMs: 0, wallMs: 0 };
  readonly failures: { path: string; reason: string }[] = [];
  readonly progress: IndexProgress = { total: 0, done: 0, indexed: 0, failed: 0, skipped: 0, imagesPerSecond: 0, etaSeconds: 0 };
  readonly notRead = new NotReadTally();
  modelPhotos = 0;
  reused = 0;
  /** Photos finished since startClock(): the rate is theirs, not the scan's skips. */
  processedSinceStart = 0;
  /**
   * The first error that ends the run: a dead model thread, or an index that cannot be written
   * (store.ts's IndexWriteError: the disk is full ...). Photos in flight stay unindexed, not
   * failed, and the next run reads them.
   */
  fatal: Error | undefined;
  private startedAt = performance.now();

  constructor(private readonly onProgress?: (p: IndexProgress) => void) {}

  /** The rate and ETA count from here (after the scan, which reads no photo). */
  startClock(): void {
    this.startedAt = performance.now();
  }

  stop(err: unknown): void {
    this.fatal ??= err instanceof Error ? err : new Error(String(err));
  }

  report(): void {
    const progress = this.progress;
    const elapsed = (performance.now() - this.startedAt) / 1000;
    progress.imagesPerSecond = elapsed > 0 ? this.processedSinceStart / elapsed : 0;
    progress.etaSeconds = progress.imagesPerSecond > 0 ? (progress.total - progress.done) / progress.imagesPerSecond : 0;
    this.onProgress?.({ ...progress });
  }
}

/** A run's not-read files by kind, with the first few paths of each. */
export class NotReadTally {
  private readonly byKind = new Map<NotReadKind, { files: number; examples: string[] }>();
  constructor(private readonly examples = 3) {}

  add(kind: NotReadKind, files: number, path: string): void {
    let k = this.byKind.get(kind);
    if (!k) this.byKind.set(kind, (k = { files: 0, examples: [] }));
    k.files += files;
    if (k.examples.length < this.examples) k.examples.push(path);
  }

  counts(): NotReadCount[] {
    return NOT_READ_KINDS.filter((k) => this.byKind.has(k)).map((kind) => ({ kind, ...this.byKind.get(kind)! }));
  }
}
