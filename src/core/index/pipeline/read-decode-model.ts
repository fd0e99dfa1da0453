// The middle stages: read and hash a file, decode it (sharp, in libuv's pool), shape batches, and
// run the model on them (onnxruntime's own threads). A file whose bytes an indexed photo already
// has skips the decode and the model and takes that photo's words.
import PQueue from 'p-queue';
import { readImageFile, decodeForModel, type ImageFile } from '../../analysis/decode/decode.js';
import { readImageFileSync } from '../../analysis/decode/read-file.js';
import { photoSource } from '../../analysis/decode/source.js';
import type { Batch, ShapeBatcher } from '../../analysis/batcher.js';
import { lowFrequencyDct } from '../../analysis/phash.js';
import { ModelStoppedError, type TokenizerApi, type TokenizedImage } from '../../analysis/model/tokenizer.js';
import { takenOf } from '../../analysis/taken.js';
import type { RunState, TodoFile } from './run-state.js';
import type { Pending, StoreStage } from './store-stage.js';

export interface ReadStageOptions {
  resolution: number;
  /** Copy the words of an indexed photo with the same bytes (IndexOptions.reuseByHash, never with dense). */
  reuseByHash: boolean;
  /** Small files read synchronously while that stays fast (SyncReads); left out, every read is async. */
  syncReads?: SyncReads;
  testHooks?: {
    beforeRead?: (path: string) => void | Promise<void>;
    duringRead?: (path: string) => void | Promise<void>;
  };
}

/** The model stage: batches through the tokenizer, their results handed to the store stage. */
export class ModelStage {
  // Two batches in flight per model slot: the second waits in the worker's own message queue and
  // starts the moment the first is done. With one, the worker sat idle after every photo until
  // this thread, busy with SQLite or GC, got round to handing it the next (measured: docs/EVAL.md, "Indexing beside the model").
  readonly queue: PQueue;

  constructor(
    private readonly tokenizer: TokenizerApi,
    private readonly state: RunState,
    private readonly writer: StoreStage,
  ) {
    this.queue = new PQueue({ concurrency: tokenizer.slots * 2 });
  }

  /** Queues a batch for the model. */
  push(batch: Batch<Pending>): void {
    void this.queue.add(() => this.run(batch));
  }

  private async run(batch: Batch<Pending>): Promise<void> {
    const { state, writer } = this;
    const t = performance.now();
    let results: TokenizedImage[];
    try {
      results = await this.tokenizer.run(batch.items);
    } catch (err) {
      // A dead model thread stops the run; its photos stay unindexed, not failed, so the next
      // run takes them up again.
      if (err instanceof ModelStoppedError) {
        state.fatal ??= err;
        return;
      }
      for (const item of batch.items) writer.fail(item, new Error(`model failed: ${(err as Error).message}`));
      return;
    }
    state.timings.modelMs += performance.now() - t;
    state.modelPhotos += batch.items.length;
    writer.add(() => writer.storeBatch(batch, results));
  }
}

/** Files up to this size may be read synchronously (SyncReads). */
const SYNC_MAX_BYTES = 1 << 20;
/** A synchronous read slower than this sends the next SYNC_BACKOFF files through libuv's pool. */
const SYNC_SLOW_MS = 2;
const SYNC_BACKOFF = 256;

/**
 * Whether to read the next file synchronously. Copies (reuseByHash) go at a thousand a second or
 * more with the main thread as the limit, and the async read's five trips through libuv's pool
 * cost it more than the read itself: a quarter of its time at a million copies. A small file on a
 * local disk with its pages cached reads in tens of microseconds; where one takes longer (a cold
 * disk, a network share) the next SYNC_BACKOFF files go through the pool, so the event loop (the
 * UI's calls, the watcher) is never held for long. As the scan does for its stats (scan.ts).
 */
export class SyncReads {
  private asyncLeft = 0;

  read(path: string, size: number): ImageFile | undefined {
    if (size > SYNC_MAX_BYTES) return undefined;
    if (this.asyncLeft > 0) {
      this.asyncLeft--;
      return undefined;
    }
    const t = performance.now();
    try {
      return readImageFileSync(path);
    } finally {
      if (performance.now() - t > SYNC_SLOW_MS) this.asyncLeft = SYNC_BACKOFF;
    }
  }
}

/** Read, hash and decode one file, and hand it on: to the batcher, or straight to the store as a copy. */
export async function readAndDecode(file: TodoFile, o: ReadStageOptions, minSide: number, state: RunState, batcher: ShapeBatcher<Pending>, model: ModelStage, writer: StoreStage): Promise<void> {
  const timings = state.timings;
  let t = performance.now();
  try {
    const hooks = o.testHooks;
    await hooks?.beforeRead?.(file.path);
    // The test seams wait between the steps of a read: only the async one has steps to wait between.
    const f = (!hooks && o.syncReads?.read(file.path, file.size)) || (await readImageFile(file.path, hooks?.duringRead && { onOpen: () => hooks.duringRead!(file.path) }));
    timings.readMs += performance.now() - t;
    // The date taken from the bytes already in memory: EXIF sits in the first few KB.
    const taken = await takenOf(f.buffer, f.mtimeMs);
    if (o.reuseByHash) {
      // The same bytes give the same words: copy them, in the store queue's order.
      const copy = writer.twinOf(f.hash, file.path);
      if (copy) {
        const entry = {
          ...copy,
          file: {
            path: file.path,
            size: f.size,
            mtimeMs: f.mtimeMs,
            hash: f.hash,
            width: copy.file.width,
            height: copy.file.height,
            note: copy.file.note,
            taken: taken.taken,
            takenFrom: taken.from,
          },
        };
        writer.add(() => {
          if (!state.fatal) writer.stage(entry, undefined, true);
        });
        return;
      }
    }
    t = performance.now();
    const img = await decodeForModel(await photoSource(file.path, f, o.resolution), o.resolution, { minSide });
    // The perceptual hash comes from the pixels the model reads: no second decode.
    const phash = lowFrequencyDct(img.pixels, img.width, img.height);
    timings.decodeMs += performance.now() - t;
    for (const batch of batcher.push({ ...img, phash, path: file.path, size: f.size, mtimeMs: f.mtimeMs, hash: f.hash, taken })) model.push(batch);
  } catch (err) {
    writer.fail(file, err);
  }
}
