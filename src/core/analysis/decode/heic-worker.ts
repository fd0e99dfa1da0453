// HEIF decoding off the engine's thread: one worker thread (heic-thread.ts) started on the first
// HEIC and kept for the next, unref'd so it never keeps a process alive. A file whose decoding
// kills the thread (libheif running out of WebAssembly memory on a huge picture) fails alone, and
// the next file gets a new thread.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DecodeError, type DecodeFailureCode } from './decode-error.js';
import type { HeifPixels } from './heic.js';

export interface HeicThreadRequest {
  id: number;
  input: Uint8Array;
  minLongSide: number;
}

export type HeicThreadReply = { id: number; image: HeifPixels; error?: undefined } | { id: number; image?: undefined; error: { code: DecodeFailureCode; reason: string; detail?: string } };

// Beside this file with its extension from source (.ts, through tsx) or tsc (.js); bundles say
// where theirs is (setHeicThreadEntry, as for the tokenizer thread).
let entry = (() => {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `heic-thread${path.extname(self)}`);
})();

export function setHeicThreadEntry(file: string): void {
  entry = file;
}

let worker: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 0;
/**
 * A WebAssembly heap only grows (a 48 MP picture leaves a few hundred MB behind), so a thread
 * idle this long is ended and its memory returned; a burst of HEICs keeps one thread.
 */
const IDLE_MS = 15_000;
const pending = new Map<number, { resolve: (img: HeifPixels) => void; reject: (e: Error) => void }>();

function start(): Worker {
  // From source the worker registers tsx's loader first (tokenizer-worker.ts says why).
  const w = entry.endsWith('.ts')
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}); });`, { eval: true })
    : new Worker(entry);
  w.unref();
  w.on('message', (m: HeicThreadReply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) {
      w.unref();
      idleTimer = setTimeout(() => void closeHeicThread(), IDLE_MS).unref();
    }
    if (m.error) p.reject(new DecodeError(m.error.code, m.error.reason, m.error.detail));
    else p.resolve(m.image);
  });
  const fail = (why: string) => {
    if (worker === w) worker = undefined;
    for (const p of pending.values()) p.reject(new DecodeError('io', 'not enough memory to decode the HEIF image', why));
    pending.clear();
  };
  w.on('error', (e) => fail(e.message));
  w.on('exit', (code) => fail(`decoder thread exited with ${code}`));
  return w;
}

/** decodeHeif (heic.ts) in the worker thread. */
export function decodeHeifOffThread(input: Uint8Array, minLongSide: number): Promise<HeifPixels> {
  clearTimeout(idleTimer);
  worker ??= start();
  const w = worker;
  const id = nextId++;
  // Held while a decode is in flight, so a CLI run waits for its last photo.
  w.ref();
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // A copy goes over: the caller keeps its buffer (it was hashed, and may be read again).
    w.postMessage({ id, input: new Uint8Array(input), minLongSide } satisfies HeicThreadRequest);
  });
}

/** Ends the thread (tests, shutdown); a later decode starts a new one. */
export async function closeHeicThread(): Promise<void> {
  clearTimeout(idleTimer);
  const w = worker;
  worker = undefined;
  await w?.terminate();
}
