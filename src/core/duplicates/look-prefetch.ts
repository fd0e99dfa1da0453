// The photos the checks will look at next, decoded ahead on a worker thread (look-thread.ts):
// decoding a photo and making its looks was a third of the groups stage on the calling thread
// (7.5 s of CPU at 100,000 photos: docs/DUPLICATES.md#scale), while the second core waited for
// crop searches. The checks go through the linked sets in an order known before they start, so
// the thread works a few photos ahead of them along it; a photo asked for that the thread has
// not made is decoded on the calling thread as before (the same code, so the same answers).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LocalLook } from './local.js';

/** A photo to decode: its path, at the index's resolution. */
export interface LookRequest {
  id: number;
  path: string;
  resolution: number;
}

/** A photo made ahead: its grey image and both looks, or null where it cannot be read now. */
export interface PrefetchedPhoto {
  grey: Float32Array;
  width: number;
  height: number;
  look: { fine: Float32Array; local: LocalLook };
}

export interface LookReply {
  id: number;
  photo: PrefetchedPhoto | null;
}

/** Photos asked for ahead of the last one the checks took (each up to ~1 MB while it waits). */
const AHEAD = 12;
/** Photos made but passed over by this many places are let go (the checks did not need them). */
const BEHIND = 48;

// Beside this file with its extension from source (.ts, through tsx) or tsc (.js); bundles say
// where theirs is (setLookThreadEntry, as for the HEIF decoder's thread).
let entry = (() => {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `look-thread${path.extname(self)}`);
})();

export function setLookThreadEntry(file: string): void {
  entry = file;
}

export class LookPrefetch {
  private worker: Worker | undefined;
  private readonly order: number[] = [];
  private readonly place = new Map<number, number>();
  /** Next place in `order` to ask the thread for; the furthest place the checks took. */
  private next = 0;
  private cursor = -1;
  /** What the thread made of each photo asked for: undefined where it could not (its thread gone). */
  private readonly made = new Map<number, Promise<PrefetchedPhoto | null | undefined>>();
  private readonly waiting = new Map<number, (p: PrefetchedPhoto | null | undefined) => void>();
  /** No thread to be had (it failed to start, or went). */
  private dead = false;

  constructor(
    private readonly pathOf: (id: number) => string | undefined,
    private readonly resolution: number,
  ) {}

  /** The photos the checks will ask for, in the order they will (roughly): appended to what is planned. */
  plan(ids: Iterable<number>): void {
    for (const id of ids) {
      if (this.place.has(id)) continue;
      this.place.set(id, this.order.length);
      this.order.push(id);
    }
    this.pump();
  }

  /**
   * The photo as made ahead (handed over once): null where it cannot be read now, undefined
   * where it was not made (not asked for yet, or its thread gone): then decode it here.
   */
  take(id: number): Promise<PrefetchedPhoto | null | undefined> | undefined {
    const p = this.made.get(id);
    if (p) this.made.delete(id);
    // A photo asked for far ahead (a crop candidate of a later set) does not move the thread there.
    const at = this.place.get(id);
    if (at !== undefined && at <= this.cursor + 2 * AHEAD) this.reached(at);
    return p;
  }

  /** The checks have come to photo `id` of the plan: the thread works from there on. */
  lookingAt(id: number): void {
    const at = this.place.get(id);
    if (at !== undefined) this.reached(at);
  }

  private reached(at: number): void {
    if (at <= this.cursor) return;
    this.cursor = at;
    for (const other of [...this.made.keys()]) if (this.place.get(other)! < this.cursor - BEHIND) this.made.delete(other);
    this.pump();
  }

  private start(): Worker | undefined {
    try {
      // From source the worker registers tsx's loader first (tokenizer-worker.ts says why).
      const w = entry.endsWith('.ts')
        ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}); });`, { eval: true })
        : new Worker(entry);
      w.unref();
      w.on('message', ({ id, photo }: LookReply) => this.settle(id, photo));
      // A thread gone: what it had not made is decoded on the calling thread.
      const gone = () => {
        if (this.worker !== w) return;
        this.worker = undefined;
        this.dead = true;
        for (const id of [...this.waiting.keys()]) this.settle(id, undefined);
      };
      w.on('error', gone);
      w.on('exit', gone);
      return w;
    } catch {
      this.dead = true;
      return undefined;
    }
  }

  private settle(id: number, photo: PrefetchedPhoto | null | undefined): void {
    const done = this.waiting.get(id);
    if (!done) return;
    this.waiting.delete(id);
    done(photo);
    if (this.waiting.size === 0) this.worker?.unref();
  }

  private pump(): void {
    while (!this.dead && this.next < this.order.length && this.next <= this.cursor + AHEAD) {
      const id = this.order[this.next++];
      const file = this.pathOf(id);
      if (!file || this.made.has(id)) continue;
      this.worker ??= this.start();
      const w = this.worker;
      if (!w) return;
      this.made.set(id, new Promise((resolve) => this.waiting.set(id, resolve)));
      w.ref();
      w.postMessage({ id, path: file, resolution: this.resolution } satisfies LookRequest);
    }
  }

  close(): void {
    const w = this.worker;
    this.worker = undefined;
    this.dead = true;
    for (const id of [...this.waiting.keys()]) this.settle(id, undefined);
    if (w) void w.terminate();
  }
}
