// The last stages: k-grams for each batch the model returns, then SQLite, in one queue on the main
// thread. Queued rather than awaited by the model stage, so the next model call starts at once and
// this runs while onnxruntime computes in its own threads: back to back, the model sat idle for
// this long after every photo. Failed photos are written here too, in the same counters.
import PQueue from 'p-queue';
import { classifyError } from '../../analysis/decode/decode.js';
import type { DecodedImage } from '../../analysis/decode/decode.js';
import type { Batch } from '../../analysis/batcher.js';
import { bagFromGrid } from '../../analysis/kgrams.js';
import type { TokenizedImage } from '../../analysis/model/tokenizer.js';
import type { Taken } from '../../analysis/taken.js';
import type { KgramSettings } from '../../common/types.js';
import type { IndexedEntry, IndexStore } from '../store.js';
import type { RunState, TodoFile } from './run-state.js';

/**
 * Finished photos written to SQLite in one transaction, or after WRITE_DELAY_MS when fewer come.
 * The model gives a few photos a second, so its writes go by the delay; copies (reuseByHash) come
 * a thousand a second, and a batch's df upserts are its distinct terms (about 20,000 for 32
 * different photos, hardly more for 256): 256 a transaction made them a tenth of what they were.
 */
const WRITE_BATCH = 256;
const WRITE_DELAY_MS = 1000;

/** A decoded photo on its way through the model. */
export interface Pending extends DecodedImage {
  phash: Float32Array;
  path: string;
  size: number;
  mtimeMs: number;
  hash: string;
  taken: Taken;
}

export class StoreStage {
  /** k-grams and SQLite, one task at a time. */
  readonly queue = new PQueue({ concurrency: 1 });
  // Finished photos wait here to be written together, up to WRITE_BATCH of them or WRITE_DELAY_MS:
  // one transaction with summed df increments instead of one per photo. A photo waiting here is
  // as good as stored for copies of it (reuseByHash); a crash loses only these, which stay
  // unindexed and are read again next run.
  private readonly unwritten: { entry: IndexedEntry; pooled?: Float32Array; reused: boolean }[] = [];
  private readonly unwrittenByHash = new Map<string, IndexedEntry>();
  private writeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: IndexStore,
    private readonly state: RunState,
    private readonly kgrams: KgramSettings,
    /** Keep each photo's pooled vector (PipelineSettings.dense). */
    private readonly dense: boolean,
  ) {}

  /** Runs `task` in the store queue's order; an error in it ends the run. */
  add(task: () => void): void {
    this.queue.add(task).catch((err) => this.state.stop(err));
  }

  /** Writes the photos waiting to be written, now. */
  writeUnwritten(): void {
    const { state, store, unwritten } = this;
    clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    if (state.fatal || unwritten.length === 0) return;
    const t = performance.now();
    const writing = unwritten.splice(0);
    this.unwrittenByHash.clear();
    // The pooled vector (the no-quantization baseline), when asked for, goes with the bag, atomically.
    store.transaction(() => {
      const ids = store.putIndexedMany(writing.map((w) => w.entry));
      writing.forEach((w, i) => w.pooled && store.putDense(ids[i], w.pooled));
    });
    state.timings.sqliteMs += performance.now() - t;
    for (const w of writing) if (w.reused) state.reused++;
    const progress = state.progress;
    progress.indexed += writing.length;
    progress.done += writing.length;
    state.processedSinceStart += writing.length;
    progress.current = writing[writing.length - 1].entry.file.path;
    state.report();
  }

  /** A finished photo, written with the next batch. */
  stage(entry: IndexedEntry, pooled: Float32Array | undefined, reused: boolean): void {
    this.unwritten.push({ entry, pooled, reused });
    if (entry.file.hash) this.unwrittenByHash.set(entry.file.hash, entry);
    if (this.unwritten.length >= WRITE_BATCH) this.writeUnwritten();
    else this.writeTimer ??= setTimeout(() => this.add(() => this.writeUnwritten()), WRITE_DELAY_MS);
  }

  /** The k-grams of a batch the model read, and its photos staged for writing. */
  storeBatch(batch: Batch<Pending>, results: TokenizedImage[]): void {
    if (this.state.fatal) return;
    const t = performance.now();
    const bags = results.map((r) => bagFromGrid(r.grid, this.kgrams));
    this.state.timings.kgramsMs += performance.now() - t;
    batch.items.forEach((item, i) =>
      this.stage(
        {
          file: {
            path: item.path,
            size: item.size,
            mtimeMs: item.mtimeMs,
            hash: item.hash,
            width: item.srcWidth,
            height: item.srcHeight,
            note: item.note,
            taken: item.taken.taken,
            takenFrom: item.taken.from,
          },
          grid: results[i].grid,
          bag: bags[i],
          phash: item.phash,
        },
        this.dense ? results[i].pooled : undefined,
        false,
      ),
    );
  }

  /** An indexed or finished photo with these bytes at another path, whose words a copy can take. */
  twinOf(hash: string, path: string): IndexedEntry | undefined {
    const store = this.store;
    const waiting = this.unwrittenByHash.get(hash);
    if (waiting) return waiting.file.path === path ? undefined : waiting;
    const twin = store.findIndexedByHash(hash);
    if (!twin || twin.path === path) return undefined;
    const grid = store.getGrid(twin.id);
    const bag = store.getBag(twin.id);
    if (!grid || !bag) return undefined;
    return { file: { path: twin.path, size: twin.size, mtimeMs: twin.mtimeMs, hash, width: twin.width ?? 0, height: twin.height ?? 0 }, grid, bag, phash: store.getPhash(twin.id) };
  }

  /** A photo that could not be read or tokenized: failed, not read (too small), or forgotten (deleted). */
  fail(file: TodoFile, err: unknown): void {
    const { state, store } = this;
    const { progress, timings } = state;
    const e = classifyError(err);
    const tooSmall = (e.code as string) === 'too-small';
    if (!tooSmall) state.failures.push({ path: file.path, reason: e.reason });
    const t = performance.now();
    try {
      if (tooSmall) {
        // An icon or a tracking pixel, not a photo: counted as not read, not as failed.
        store.putNotRead({ path: file.path, kind: 'too-small', files: 1, size: file.size, mtimeMs: file.mtimeMs });
        state.notRead.add('too-small', 1, file.path);
        timings.sqliteMs += performance.now() - t;
        progress.done++;
        state.processedSinceStart++;
        state.report();
        return;
      }
      // A file deleted since the scan is not kept as a failed photo: the run reports it, and the
      // index forgets whatever it knew of that path, as it would for any deleted file.
      if (e.code === 'vanished' && e.detail === 'ENOENT') store.remove(file.path);
      else store.putFailed(file, e.reason, e.code);
    } catch (storeErr) {
      state.stop(storeErr); // the index cannot be written (disk full ...): no photo is to blame
      return;
    }
    timings.sqliteMs += performance.now() - t;
    progress.failed++;
    progress.done++;
    state.processedSinceStart++;
    state.report();
  }
}
