// The main process's side of the indexing utility process: starts it, numbers requests and
// matches replies, forwards events, restarts it once after a crash, and shuts it down cleanly.
import { utilityProcess, type UtilityProcess } from 'electron';
import type { ApiErrorShape, BackendEvent } from '../shared/api.js';
import { isIndexerMessage, type IndexerCall, type IndexerRequest, type OpenLibrary } from '../shared/ipc.js';

export interface IndexerHostOptions {
  /** out/main/indexer-process.js */
  entry: string;
  open: OpenLibrary;
  env: Record<string, string>;
  onEvent: (e: BackendEvent) => void;
  /** The process ended unexpectedly; `restarting` says whether it is being started again. */
  onCrash: (message: string, restarting: boolean) => void;
  /** The library could not be opened (the process exits after this; no restart). */
  onFatal: (error: ApiErrorShape) => void;
}

/** How stop() ended: the library closed and the process exited; it exited without saying so; it was killed; none ran. */
export type StopOutcome = 'closed' | 'exited' | 'killed' | 'not-running';

/** How many times a crashed indexer is started again before giving up. */
const MAX_RESTARTS = 1;

export class IndexerError extends Error {
  constructor(readonly shape: ApiErrorShape) {
    super(shape.message);
  }
}

export class IndexerHost {
  private child?: UtilityProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: IndexerError) => void }>();
  private restarts = 0;
  private stopping?: Promise<StopOutcome>;
  /** The process answered 'shutdown' with 'closed': the library was closed cleanly. */
  private closed = false;
  /** Set when the library cannot be opened or the process cannot be kept up: every call gets it. */
  private broken?: ApiErrorShape;

  constructor(private readonly opts: IndexerHostOptions) {}

  start(): void {
    const child = utilityProcess.fork(this.opts.entry, [], {
      serviceName: 'Photowords indexer',
      env: this.opts.env,
      stdio: 'inherit',
    });
    this.child = child;
    child.on('message', (m: unknown) => this.onMessage(m));
    child.on('exit', (code) => this.onExit(child, code));
    this.send(this.opts.open);
  }

  /** One request to the engine; rejects with an IndexerError carrying {message, code}. */
  request<T>(call: IndexerCall): Promise<T> {
    if (this.broken) return Promise.reject(new IndexerError(this.broken));
    if (this.stopping || !this.child) return Promise.reject(new IndexerError({ code: 'unavailable', message: 'Photowords is closing.' }));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ ...call, id } as IndexerRequest);
    });
  }

  /**
   * Asks the process to close the library and waits for it to exit. Closing lets the photos in
   * flight (being decoded, tokenized, written) finish and be stored; new ones are not started.
   * Killed after `timeoutMs`, which SQLite's journal survives (the photo being written is read next time).
   */
  stop(timeoutMs = 30_000): Promise<StopOutcome> {
    if (this.stopping) return this.stopping;
    const child = this.child;
    this.stopping = new Promise<StopOutcome>((resolve) => {
      if (!child || child.pid === undefined) return resolve('not-running');
      const timer = setTimeout(() => {
        child.kill();
        resolve('killed');
      }, timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(this.closed ? 'closed' : 'exited');
      });
      this.send({ type: 'shutdown' });
    });
    return this.stopping;
  }

  private send(m: IndexerRequest): void {
    this.child?.postMessage(m);
  }

  private onMessage(m: unknown): void {
    if (!isIndexerMessage(m)) return;
    switch (m.type) {
      case 'reply': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if ('error' in m) p.reject(new IndexerError(m.error));
        else p.resolve(m.result);
        return;
      }
      case 'event':
        this.opts.onEvent(m.event);
        return;
      case 'ready':
        // A library that opens has proven the setup; a later crash is worth one more restart.
        return;
      case 'fatal':
        this.broken = m.error;
        this.failPending(m.error);
        this.opts.onFatal(m.error);
        return;
      case 'closed':
        this.closed = true;
        return;
    }
  }

  private onExit(child: UtilityProcess, code: number): void {
    if (child !== this.child) return;
    this.child = undefined;
    if (this.stopping || this.broken) {
      this.failPending({ code: 'unavailable', message: 'Photowords is closing.' });
      return;
    }
    const restarting = this.restarts < MAX_RESTARTS;
    const message = `The indexing process stopped unexpectedly (exit code ${code}).`;
    this.failPending({ code: 'internal', message: `${message} Try again${restarting ? '' : ' after restarting Photowords'}.` });
    if (restarting) {
      this.restarts++;
      this.opts.onCrash(message, true);
      this.start();
    } else {
      this.broken = { code: 'internal', message: `${message} Restart Photowords to go on.` };
      this.opts.onCrash(message, false);
    }
  }

  private failPending(error: ApiErrorShape): void {
    for (const p of this.pending.values()) p.reject(new IndexerError(error));
    this.pending.clear();
  }
}
