// The indexing pipeline: scan -> read+hash -> decode (sharp, in libuv's pool) -> shape batches ->
// tokenize (onnxruntime's own threads) -> k-grams -> SQLite. Decoding runs ahead of the model so
// both overlap; backpressure keeps at most a few decoded photos in memory. The stages are in
// pipeline/; this file assembles them and says what a run takes and gives.
import PQueue from 'p-queue';
import { scanFolders, type ScanResult } from '../analysis/scan.js';
import { ShapeBatcher } from '../analysis/batcher.js';
import type { FileInfo, IndexStore, NotReadCount } from './store.js';
import type { TokenizerApi } from '../analysis/model/tokenizer.js';
import type { KgramSettings } from '../common/types.js';
import { RunState, type IndexProgress, type StageTimings, type TodoFile } from './pipeline/run-state.js';
import { planRun } from './pipeline/scan-stage.js';
import { StoreStage, type Pending } from './pipeline/store-stage.js';
import { ModelStage, SyncReads, readAndDecode } from './pipeline/read-decode-model.js';

export type { IndexProgress, StageTimings } from './pipeline/run-state.js';

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

export async function indexFolders(dirs: string[], store: IndexStore, tokenizer: TokenizerApi, settings: PipelineSettings, opts: IndexOptions = {}): Promise<IndexReport> {
  return runPipeline(scanFolders(dirs, { signal: opts.signal, includeHidden: opts.includeHidden }), store, tokenizer, settings, opts, dirs);
}

/**
 * The same pipeline over an explicit list of files (the watcher's change sets, a reconcile's
 * new and edited files) instead of a folder scan. Unchanged files are skipped as in a scan.
 */
export async function indexFiles(files: Iterable<FileInfo>, store: IndexStore, tokenizer: TokenizerApi, settings: PipelineSettings, opts: IndexOptions = {}): Promise<IndexReport> {
  async function* entries(): AsyncGenerator<ScanResult> {
    // A scan's entry (a reconcile's new files) goes on as it is; a copy a file otherwise.
    for (const f of files) yield 'kind' in f && f.kind === 'file' ? (f as ScanResult) : { kind: 'file', path: f.path, size: f.size, mtimeMs: f.mtimeMs };
  }
  return runPipeline(entries(), store, tokenizer, settings, opts);
}

/**
 * The stages in order: scan (scan-stage.ts) -> read+hash -> decode -> batch -> model
 * (read-decode-model.ts) -> k-grams -> store (store-stage.ts), over the counters of run-state.ts.
 */
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
  const state = new RunState(opts.onProgress);
  const todo = await planRun(scan, store, state, opts.signal, scannedRoots);

  const batcher = new ShapeBatcher<Pending>({ maxBatch: settings.batchSize });
  const decodeQueue = new PQueue({ concurrency: settings.decodeConcurrency });
  const writer = new StoreStage(store, state, settings.kgrams, settings.dense ?? false);
  const model = new ModelStage(tokenizer, state, writer);
  const read = { resolution: settings.resolution, reuseByHash: Boolean(opts.reuseByHash && !settings.dense), syncReads: new SyncReads(), testHooks: opts.testHooks };
  const minSide = tokenizer.info.minSide;
  state.startClock();

  for (let i = 0; i < todo.length; i++) {
    const file = todo[i];
    // Let go as handed on: at a first index of a big library the list is every file.
    (todo as (TodoFile | undefined)[])[i] = undefined;
    if (opts.signal?.aborted || state.fatal) break;
    // Backpressure: decoded photos wait in memory only a few at a time.
    await decodeQueue.onSizeLessThan(settings.decodeConcurrency);
    while (model.queue.size >= 2) await model.queue.onSizeLessThan(2);
    void decodeQueue.add(() => readAndDecode(file, read, minSide, state, batcher, model, writer));
  }
  await decodeQueue.onIdle();
  for (const batch of batcher.flush()) model.push(batch);
  await model.queue.onIdle();
  await writer.queue.onIdle();
  try {
    writer.writeUnwritten();
  } catch (err) {
    state.stop(err);
  }
  if (state.fatal) throw state.fatal;
  state.timings.wallMs = performance.now() - t0;
  state.report();
  const { progress, timings, failures, modelPhotos, reused, notRead } = state;
  return { ...progress, timings, provider: tokenizer.provider, failures, modelPhotos, reused, notRead: notRead.counts() };
}
