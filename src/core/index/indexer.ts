// The indexing pipeline: scan -> read+hash -> decode (sharp, in libuv's pool) -> shape batches ->
// tokenize (onnxruntime's own threads) -> k-grams -> SQLite. Decoding runs ahead of the model so
// both overlap; backpressure keeps at most a few decoded photos in memory.
import PQueue from 'p-queue';
import { scanFolders, type ScanResult } from '../analysis/scan.js';
import { readImageFile, decodeForModel, DecodeError, classifyError, TRANSIENT_FAILURES, type DecodedImage, type DecodeFailureCode } from '../analysis/decode/decode.js';
import { photoSource } from '../analysis/decode/source.js';
import { ShapeBatcher, type Batch } from '../analysis/batcher.js';
import { bagFromGrid } from '../analysis/kgrams.js';
import { lowFrequencyDct } from '../analysis/phash.js';
import type { FileInfo, IndexedEntry, IndexStore, NotReadCount, NotReadEntry } from './store.js';
import { NOT_READ_KINDS, type NotReadKind } from '../analysis/formats.js';
import { ModelStoppedError, type TokenizerApi, type TokenizedImage } from '../analysis/model/tokenizer.js';
import type { KgramSettings } from '../common/types.js';
import type { IndexStatus } from '../../shared/api.js';
import { takenOf, type Taken } from '../analysis/taken.js';

export interface PipelineSettings {
  /** Longest side every photo is read at. */
  resolution: number;
  kgrams: KgramSettings;
  /** Photos per model call; 1 is as fast as any on a CPU, GPUs like more. */
  batchSize: number;
  /** Photos decoded at once. */
  decodeConcurrency: number;
  /**
   * Also store each photo's pooled dense vector (evaluation's no-quantization baseline). Off in
   * the app: nothing there reads them, and on two cores every write beside the model is time
   * the model does not get.
   */
  dense?: boolean;
}

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

export interface IndexReport extends IndexProgress {
  timings: StageTimings;
  provider: string;
  failures: { path: string; reason: string }[];
  /** Photos that went through the model in this run. */
  modelPhotos: number;
  /** Photos whose words were copied from an indexed photo with the same bytes (reuseByHash). */
  reused: number;
  /**
   * Files this run found and did not read as photos, by kind, with a few examples each (the
   * scan's videos, sidecars, hidden folders ... and the files the decoder found too small).
   */
  notRead: NotReadCount[];
}

export interface IndexOptions {
  onProgress?: (p: IndexProgress) => void;
  /** Read dot-named files and folders too (else counted as 'hidden'); the library's setting. */
  includeHidden?: boolean;
  signal?: AbortSignal;
  /**
   * A file whose bytes (sha256) equal an indexed photo's gets that photo's grid and bag without
   * running the model (copies, a folder copied in); the app turns it on.
   */
  reuseByHash?: boolean;
  /**
   * Test seams for races too rare to hit on purpose (test/integration/hostile.test.ts): `beforeRead` runs
   * between the scan and the read of a file (to delete or replace it there), `duringRead` after
   * the file is opened and before its bytes are read. Nothing else sets them.
   */
  testHooks?: {
    beforeRead?: (path: string) => void | Promise<void>;
    duringRead?: (path: string) => void | Promise<void>;
  };
}

/** Finished photos written to SQLite in one transaction, or after WRITE_DELAY_MS when fewer come. */
const WRITE_BATCH = 32;
const WRITE_DELAY_MS = 1000;

interface Pending extends DecodedImage {
  phash: Float32Array;
  path: string;
  size: number;
  mtimeMs: number;
  hash: string;
  taken: Taken;
}

export async function indexFolders(
  dirs: string[],
  store: IndexStore,
  tokenizer: TokenizerApi,
  settings: PipelineSettings,
  opts: IndexOptions = {},
): Promise<IndexReport> {
  return runPipeline(scanFolders(dirs, { signal: opts.signal, includeHidden: opts.includeHidden }), store, tokenizer, settings, opts, dirs);
}

/**
 * The same pipeline over an explicit list of files (the watcher's change sets, a reconcile's
 * new and edited files) instead of a folder scan. Unchanged files are skipped as in a scan.
 */
export async function indexFiles(
  files: Iterable<FileInfo>,
  store: IndexStore,
  tokenizer: TokenizerApi,
  settings: PipelineSettings,
  opts: IndexOptions = {},
): Promise<IndexReport> {
  async function* entries(): AsyncGenerator<ScanResult> {
    for (const f of files) yield { kind: 'file', path: f.path, size: f.size, mtimeMs: f.mtimeMs };
  }
  return runPipeline(entries(), store, tokenizer, settings, opts);
}

async function runPipeline(
  scan: AsyncIterable<ScanResult>,
  store: IndexStore,
  tokenizer: TokenizerApi,
  settings: PipelineSettings,
  opts: IndexOptions,
  /** The folders `scan` walks: a scan that ends unaborted drops their not-read rows it did not find. */
  scannedRoots?: string[],
): Promise<IndexReport> {
  const t0 = performance.now();
  const timings: StageTimings = { readMs: 0, decodeMs: 0, modelMs: 0, kgramsMs: 0, sqliteMs: 0, wallMs: 0 };
  const failures: { path: string; reason: string }[] = [];
  const progress: IndexProgress = { total: 0, done: 0, indexed: 0, failed: 0, skipped: 0, imagesPerSecond: 0, etaSeconds: 0 };
  let modelPhotos = 0;
  let reused = 0;

  const notRead = new NotReadTally();
  const notReadMark = scannedRoots ? store.notReadMark() : 0;
  const unreadRoots = new Set<string>();
  // Written a few hundred at a time: a folder of sidecars is thousands of rows.
  const notReadRows: NotReadEntry[] = [];
  const writeNotRead = () => store.putNotReadMany(notReadRows.splice(0));

  const todo: { path: string; size: number; mtimeMs: number }[] = [];
  for await (const entry of scan) {
    if (entry.kind === 'failure') {
      failures.push({ path: entry.path, reason: entry.reason });
      if (!entry.folder) {
        store.putFailed({ path: entry.path, size: 0, mtimeMs: 0 }, entry.reason);
        progress.failed++;
      } else unreadRoots.add(entry.path);
      continue;
    }
    if (entry.kind === 'not-read') {
      notRead.add(entry.notRead, entry.files, entry.path);
      notReadRows.push({ path: entry.path, kind: entry.notRead, files: entry.files });
      if (notReadRows.length >= 256) writeNotRead();
      continue;
    }
    const known = store.getByPath(entry.path);
    if (!known) {
      // A file the decoder found too small is not read again until it changes.
      const was = store.getNotRead(entry.path);
      if (was?.kind === 'too-small' && was.size === entry.size && was.mtimeMs === entry.mtimeMs) {
        store.markNotRead(entry.path);
        notRead.add('too-small', 1, entry.path);
        continue;
      }
      if (was) store.forgetNotRead(entry.path);
    }
    // Unchanged since last time (indexed or failed): no work at all. A transient failure (a
    // permission since fixed, a file caught mid-write) is read again, as chmod keeps the mtime.
    const transient = known?.status === 'failed' && TRANSIENT_FAILURES.has(known.failureCode as DecodeFailureCode);
    if (known && known.size === entry.size && known.mtimeMs === entry.mtimeMs && !transient) {
      progress.skipped++;
      continue;
    }
    todo.push(entry);
  }
  progress.total = todo.length;
  writeNotRead();
  // Only a whole scan knows what is gone; a root it could not read keeps what it had.
  if (scannedRoots && !opts.signal?.aborted) {
    for (const root of scannedRoots) if (!unreadRoots.has(root)) store.sweepNotRead(root, notReadMark);
  }

  const minSide = tokenizer.info.minSide;
  const batcher = new ShapeBatcher<Pending>({ maxBatch: settings.batchSize });
  const decodeQueue = new PQueue({ concurrency: settings.decodeConcurrency });
  // Two batches in flight per model slot: the second waits in the worker's own message queue and
  // starts the moment the first is done. With one, the worker sat idle after every photo until
  // this thread, busy with SQLite or GC, got round to handing it the next (about 4% of the time).
  const modelQueue = new PQueue({ concurrency: tokenizer.slots * 2 });
  let processedSinceStart = 0;
  const startedAt = performance.now();

  const report = () => {
    const elapsed = (performance.now() - startedAt) / 1000;
    progress.imagesPerSecond = elapsed > 0 ? processedSinceStart / elapsed : 0;
    progress.etaSeconds = progress.imagesPerSecond > 0 ? (progress.total - progress.done) / progress.imagesPerSecond : 0;
    opts.onProgress?.({ ...progress });
  };

  const fail = (file: { path: string; size: number; mtimeMs: number }, err: unknown) => {
    const e = classifyError(err);
    const tooSmall = (e.code as string) === 'too-small';
    if (!tooSmall) failures.push({ path: file.path, reason: e.reason });
    const t = performance.now();
    try {
      if (tooSmall) {
        // An icon or a tracking pixel, not a photo: counted as not read, not as failed.
        store.putNotRead({ path: file.path, kind: 'too-small', files: 1, size: file.size, mtimeMs: file.mtimeMs });
        notRead.add('too-small', 1, file.path);
        timings.sqliteMs += performance.now() - t;
        progress.done++;
        processedSinceStart++;
        report();
        return;
      }
      // A file deleted since the scan is not kept as a failed photo: the run reports it, and the
      // index forgets whatever it knew of that path, as it would for any deleted file.
      if (e.code === 'vanished' && e.detail === 'ENOENT') store.remove(file.path);
      else store.putFailed(file, e.reason, e.code);
    } catch (storeErr) {
      stop(storeErr); // the index cannot be written (disk full ...): no photo is to blame
      return;
    }
    timings.sqliteMs += performance.now() - t;
    progress.failed++;
    progress.done++;
    processedSinceStart++;
    report();
  };

  // k-grams for one batch, then SQLite. Queued rather than awaited by the model stage, so the next
  // model call starts at once and this runs on the main thread while onnxruntime computes in its
  // own threads: back to back, the model sat idle for this long after every photo.
  const storeQueue = new PQueue({ concurrency: 1 });
  let fatal: Error | undefined;
  // The first error that ends the run: a dead model thread, or an index that cannot be written
  // (store.ts's IndexWriteError: the disk is full ...). Photos in flight stay unindexed, not
  // failed, and the next run reads them.
  const stop = (err: unknown) => {
    fatal ??= err instanceof Error ? err : new Error(String(err));
  };

  // Finished photos wait here to be written together, up to WRITE_BATCH of them or WRITE_DELAY_MS:
  // one transaction with summed df increments instead of one per photo. A photo waiting here is
  // as good as stored for copies of it (reuseByHash); a crash loses only these, which stay
  // unindexed and are read again next run.
  const unwritten: { entry: IndexedEntry; pooled?: Float32Array; reused: boolean }[] = [];
  const unwrittenByHash = new Map<string, IndexedEntry>();
  let writeTimer: NodeJS.Timeout | undefined;
  const writeUnwritten = () => {
    clearTimeout(writeTimer);
    writeTimer = undefined;
    if (fatal || unwritten.length === 0) return;
    const t = performance.now();
    const writing = unwritten.splice(0);
    unwrittenByHash.clear();
    // The pooled vector (the no-quantization baseline), when asked for, goes with the bag, atomically.
    store.transaction(() => {
      const ids = store.putIndexedMany(writing.map((w) => w.entry));
      writing.forEach((w, i) => w.pooled && store.putDense(ids[i], w.pooled));
    });
    timings.sqliteMs += performance.now() - t;
    for (const w of writing) if (w.reused) reused++;
    progress.indexed += writing.length;
    progress.done += writing.length;
    processedSinceStart += writing.length;
    progress.current = writing[writing.length - 1].entry.file.path;
    report();
  };
  const stage = (entry: IndexedEntry, pooled: Float32Array | undefined, reused: boolean) => {
    unwritten.push({ entry, pooled, reused });
    if (entry.file.hash) unwrittenByHash.set(entry.file.hash, entry);
    if (unwritten.length >= WRITE_BATCH) writeUnwritten();
    else writeTimer ??= setTimeout(() => storeQueue.add(writeUnwritten).catch(stop), WRITE_DELAY_MS);
  };

  const storeBatch = (batch: Batch<Pending>, results: TokenizedImage[]) => {
    if (fatal) return;
    const t = performance.now();
    const bags = results.map((r) => bagFromGrid(r.grid, settings.kgrams));
    timings.kgramsMs += performance.now() - t;
    batch.items.forEach((item, i) =>
      stage(
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
        settings.dense ? results[i].pooled : undefined,
        false,
      ),
    );
  };

  const runBatch = async (batch: Batch<Pending>) => {
    const t = performance.now();
    let results: TokenizedImage[];
    try {
      results = await tokenizer.run(batch.items);
    } catch (err) {
      // A dead model thread stops the run; its photos stay unindexed, not failed, so the next
      // run takes them up again.
      if (err instanceof ModelStoppedError) {
        fatal ??= err;
        return;
      }
      for (const item of batch.items) fail(item, new Error(`model failed: ${(err as Error).message}`));
      return;
    }
    timings.modelMs += performance.now() - t;
    modelPhotos += batch.items.length;
    storeQueue.add(() => storeBatch(batch, results)).catch(stop);
  };

  // An indexed or finished photo with these bytes at another path, whose words a copy can take.
  const twinOf = (hash: string, path: string): IndexedEntry | undefined => {
    const waiting = unwrittenByHash.get(hash);
    if (waiting) return waiting.file.path === path ? undefined : waiting;
    const twin = store.findIndexedByHash(hash);
    if (!twin || twin.path === path) return undefined;
    const grid = store.getGrid(twin.id);
    const bag = store.getBag(twin.id);
    if (!grid || !bag) return undefined;
    return { file: { path: twin.path, size: twin.size, mtimeMs: twin.mtimeMs, hash, width: twin.width ?? 0, height: twin.height ?? 0 }, grid, bag, phash: store.getPhash(twin.id) };
  };

  const decodeOne = async (file: { path: string; size: number; mtimeMs: number }) => {
    let t = performance.now();
    try {
      const hooks = opts.testHooks;
      await hooks?.beforeRead?.(file.path);
      const f = await readImageFile(file.path, hooks?.duringRead && { onOpen: () => hooks.duringRead!(file.path) });
      timings.readMs += performance.now() - t;
      // The date taken from the bytes already in memory: EXIF sits in the first few KB.
      const taken = await takenOf(f.buffer, f.mtimeMs);
      if (opts.reuseByHash && !settings.dense) {
        // The same bytes give the same words: copy them, in the store queue's order.
        const copy = twinOf(f.hash, file.path);
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
          storeQueue.add(() => !fatal && stage(entry, undefined, true)).catch(stop);
          return;
        }
      }
      t = performance.now();
      const img = await decodeForModel(await photoSource(file.path, f, settings.resolution), settings.resolution, { minSide });
      // The perceptual hash comes from the pixels the model reads: no second decode.
      const phash = lowFrequencyDct(img.pixels, img.width, img.height);
      timings.decodeMs += performance.now() - t;
      for (const batch of batcher.push({ ...img, phash, path: file.path, size: f.size, mtimeMs: f.mtimeMs, hash: f.hash, taken })) {
        void modelQueue.add(() => runBatch(batch));
      }
    } catch (err) {
      fail(file, err);
    }
  };

  for (const file of todo) {
    if (opts.signal?.aborted || fatal) break;
    // Backpressure: decoded photos wait in memory only a few at a time.
    await decodeQueue.onSizeLessThan(settings.decodeConcurrency);
    while (modelQueue.size >= 2) await modelQueue.onSizeLessThan(2);
    void decodeQueue.add(() => decodeOne(file));
  }
  await decodeQueue.onIdle();
  for (const batch of batcher.flush()) void modelQueue.add(() => runBatch(batch));
  await modelQueue.onIdle();
  await storeQueue.onIdle();
  try {
    writeUnwritten();
  } catch (err) {
    stop(err);
  }
  if (fatal) throw fatal;
  timings.wallMs = performance.now() - t0;
  report();
  return { ...progress, timings, provider: tokenizer.provider, failures, modelPhotos, reused, notRead: notRead.counts() };
}

/** A run's not-read files by kind, with the first few paths of each. */
class NotReadTally {
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
