// The tokenizer in a worker thread, behind the same interface as Tokenizer. The message types
// between the two threads are defined here, once.
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BackboneInfo } from './backbone.js';
import type { Codebook } from './vq.js';
import { ModelStoppedError, type ImageInput, type TokenizedImage, type TokenizerApi, type TokenizerOptions } from './tokenizer.js';

export interface ThreadInit {
  backbone: BackboneInfo;
  codebook: Codebook;
  options: TokenizerOptions;
}

export type ThreadRequest = { type: 'run'; id: number; batch: ImageInput[] } | { type: 'release' };

export type ThreadReply =
  { type: 'ready'; provider: string; unavailable: string[] } | { type: 'result'; id: number; results: TokenizedImage[] } | { type: 'error'; id: number; message: string } | { type: 'released' };

// The entry sits beside this file with the same extension: .ts when run from source (tsx, whose
// loader workers inherit through execArgv), .js when built by tsc.
let entry = (() => {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `tokenizer-thread${path.extname(self)}`);
})();

/**
 * Where the worker thread's entry is, for bundles: electron-vite bundles this file into a shared
 * chunk of the Electron utility process, where no tokenizer-thread file sits beside it, and emits
 * the thread entry as its own output (out/main/tokenizer-thread.js). The utility process's entry
 * (src/main/indexer-process.ts) calls this before opening the library.
 */
export function setTokenizerThreadEntry(file: string): void {
  entry = file;
}

/** One worker thread with its own sessions. */
export class ThreadedTokenizer implements TokenizerApi {
  readonly slots = 1;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: TokenizedImage[]) => void; reject: (e: Error) => void }>();
  private failure?: Error;
  private readonly onExit: (code: number) => void;

  private constructor(
    private readonly worker: Worker,
    readonly info: BackboneInfo,
    readonly provider: string,
    readonly unavailable: string[],
  ) {
    worker.on('message', (m: ThreadReply) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.results);
      else p.reject(new Error(m.message));
    });
    const fail = (e: Error) => {
      this.failure = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => fail(new ModelStoppedError(`the model thread failed: ${e.message}`)));
    this.onExit = (code: number) => fail(new ModelStoppedError(`the model thread stopped (exit code ${code})`));
    worker.on('exit', this.onExit);
  }

  static async create(backbone: BackboneInfo, codebook: Codebook, options: TokenizerOptions = {}): Promise<ThreadedTokenizer> {
    const init: ThreadInit = { backbone, codebook, options };
    // From source, the worker registers tsx's loader before loading the entry: a loader from the
    // parent's --import or register() does not reach a worker's first module on Node 20.
    const worker = entry.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}); });`, {
          eval: true,
          workerData: init,
        })
      : new Worker(entry, { workerData: init });
    // Only our own listeners come off afterwards: Worker keeps internal ones on itself.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one list for the 'message', 'error' and 'exit' listeners, whose argument types differ
    let listeners: [string, (...a: any[]) => void][] = [];
    const ready = await new Promise<Extract<ThreadReply, { type: 'ready' }>>((resolve, reject) => {
      const onMessage = (m: ThreadReply) => {
        if (m.type === 'ready') resolve(m);
        else if (m.type === 'error') reject(new Error(m.message));
      };
      const onExit = (code: number) => reject(new Error(`the model thread stopped while loading (exit code ${code})`));
      listeners = [
        ['message', onMessage],
        ['error', reject],
        ['exit', onExit],
      ];
      for (const [event, fn] of listeners) worker.on(event, fn);
    })
      .catch(async (e) => {
        await worker.terminate();
        throw e;
      })
      .finally(() => {
        for (const [event, fn] of listeners) worker.off(event, fn);
      });
    return new ThreadedTokenizer(worker, backbone, ready.provider, ready.unavailable);
  }

  run(batch: ImageInput[]): Promise<TokenizedImage[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const msg: ThreadRequest = { type: 'run', id, batch };
      this.worker.postMessage(msg);
    });
  }

  async release(): Promise<void> {
    if (this.failure) return;
    this.worker.off('exit', this.onExit); // a released thread's exit is no failure
    const done = new Promise<void>((resolve) => {
      this.worker.on('message', (m: ThreadReply) => m.type === 'released' && resolve());
      this.worker.once('exit', () => resolve());
    });
    const msg: ThreadRequest = { type: 'release' };
    this.worker.postMessage(msg);
    await done;
    await this.worker.terminate();
  }
}

/**
 * Several worker threads, each with its own single-threaded sessions, taking batches in turn.
 *
 * Why not one session with a thread per core: onnxruntime splits every operator across its
 * threads and waits for the slowest, so whenever decoding or SQLite takes a core for a moment,
 * the whole model stalls. Independent single-threaded sessions just slow down a little instead.
 * The cost is one more copy of the model's weights in memory a session. Both measured in
 * docs/EVAL.md, "Indexing beside the model".
 */
export class TokenizerPool implements TokenizerApi {
  private busy: number[];

  private constructor(private readonly members: ThreadedTokenizer[]) {
    this.busy = members.map(() => 0);
  }

  get slots(): number {
    return this.members.length;
  }

  get info(): BackboneInfo {
    return this.members[0].info;
  }

  get provider(): string {
    return this.members[0].provider;
  }

  get unavailable(): string[] {
    return this.members[0].unavailable;
  }

  /**
   * On the CPU provider, `workers` worker threads of `threads` onnxruntime threads each; a GPU
   * provider gets a single worker (the device does the work; one session per device).
   */
  static async create(backbone: BackboneInfo, codebook: Codebook, options: TokenizerOptions & { workers: number; threads: number }): Promise<TokenizerPool> {
    const { workers, threads, ...rest } = options;
    const first = await ThreadedTokenizer.create(backbone, codebook, { ...rest, threads });
    const members = [first];
    if (first.provider !== 'cpu') return new TokenizerPool(members);
    try {
      for (let i = 1; i < workers; i++) members.push(await ThreadedTokenizer.create(backbone, codebook, { ...rest, provider: 'cpu', threads }));
    } catch (e) {
      await Promise.all(members.map((m) => m.release()));
      throw e;
    }
    return new TokenizerPool(members);
  }

  async run(batch: ImageInput[]): Promise<TokenizedImage[]> {
    let k = 0;
    for (let i = 1; i < this.busy.length; i++) if (this.busy[i] < this.busy[k]) k = i;
    this.busy[k]++;
    try {
      return await this.members[k].run(batch);
    } finally {
      this.busy[k]--;
    }
  }

  async release(): Promise<void> {
    await Promise.all(this.members.map((m) => m.release()));
  }
}
