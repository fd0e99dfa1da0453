// The thread that rebuilds the query index (impact-thread.ts) off the calling thread, started
// from live-index.ts when its delta has grown: where its entry is, and the index it posts back.
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ImpactIndex, type ImpactIndexParts } from './impact-index.js';

export interface ImpactThreadInit {
  dbPath: string;
  /** An Electron build of better-sqlite3 to load in place of the Node one (see setImpactThread). */
  sqliteBinding?: string;
}

export type ImpactThreadReply = { type: 'built'; parts: ImpactIndexParts; ms: number } | { type: 'error'; message: string };

// The entry sits beside this file with the same extension: .ts from source (tsx), .js from tsc.
let entry = (() => {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `impact-thread${path.extname(self)}`);
})();
let sqliteBinding: string | undefined;

/**
 * For bundles (as setTokenizerThreadEntry): where the thread's entry is (out/main/impact-thread.js
 * in the Electron build) and, in Electron, the better-sqlite3 build the thread must load.
 */
export function setImpactThread(opts: { entry?: string; sqliteBinding?: string }): void {
  if (opts.entry) entry = opts.entry;
  if (opts.sqliteBinding) sqliteBinding = opts.sqliteBinding;
}

/** Builds the ImpactIndex of the database at `dbPath` in a worker thread. */
export function buildInWorker(dbPath: string): { done: Promise<{ index: ImpactIndex; ms: number }>; stop: () => void } {
  const init: ImpactThreadInit = { dbPath, sqliteBinding };
  // From source the worker registers tsx's loader first (see tokenizer-worker.ts for why).
  const worker = entry.endsWith('.ts')
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}); });`, {
        eval: true,
        workerData: init,
      })
    : new Worker(entry, { workerData: init });
  let settled = false;
  const done = new Promise<{ index: ImpactIndex; ms: number }>((resolve, reject) => {
    worker.once('message', (m: ImpactThreadReply) => {
      settled = true;
      if (m.type === 'built') resolve({ index: ImpactIndex.fromParts(m.parts), ms: m.ms });
      else reject(new Error(m.message));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the index thread stopped (exit code ${code})`));
    });
  });
  done.catch(() => undefined).finally(() => void worker.terminate());
  return { done, stop: () => void worker.terminate() };
}
