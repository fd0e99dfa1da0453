// Stacks decoded images into batches of one shape, because one model call takes one tensor and a
// tensor cannot mix shapes. targetShape's rounding makes photos of similar aspect ratio share a shape.

import type { Shape } from './decode/decode.js';

export interface Batch<T extends Shape> {
  width: number;
  height: number;
  items: T[];
}

export interface ShapeBatcherOptions {
  /** Items per full batch. */
  maxBatch: number;
  /**
   * Most items held across all partial batches. Each held item owns its pixels (about 0.8 MB at
   * 512 px), and a library with many aspect ratios could otherwise hold dozens of nearly full
   * batches; past this, the largest partial batch is released early. Default 4 x maxBatch.
   */
  maxPending?: number;
}

export class ShapeBatcher<T extends Shape> {
  readonly maxBatch: number;
  readonly maxPending: number;
  // Map keeps insertion order, which makes flush order deterministic among equal sizes.
  private readonly pending = new Map<string, Batch<T>>();
  private pendingCount = 0;

  constructor(opts: ShapeBatcherOptions | number) {
    const o = typeof opts === 'number' ? { maxBatch: opts } : opts;
    if (!(Number.isInteger(o.maxBatch) && o.maxBatch >= 1)) throw new RangeError(`maxBatch must be a positive integer, got ${o.maxBatch}`);
    this.maxBatch = o.maxBatch;
    this.maxPending = Math.max(o.maxPending ?? 4 * o.maxBatch, o.maxBatch);
  }

  /** Items waiting in partial batches. */
  get size(): number {
    return this.pendingCount;
  }

  /** Adds one item; returns the batches that are ready to run (usually none or one). */
  push(item: T): Batch<T>[] {
    const key = `${item.width}x${item.height}`;
    let batch = this.pending.get(key);
    if (!batch) {
      batch = { width: item.width, height: item.height, items: [] };
      this.pending.set(key, batch);
    }
    batch.items.push(item);
    this.pendingCount++;

    const ready: Batch<T>[] = [];
    if (batch.items.length >= this.maxBatch) ready.push(this.take(key));
    while (this.pendingCount > this.maxPending) ready.push(this.take(this.largestKey()!));
    return ready;
  }

  /** Everything still held, largest batch first (the most efficient model calls go first). */
  flush(): Batch<T>[] {
    const out: Batch<T>[] = [];
    while (this.pending.size > 0) out.push(this.take(this.largestKey()!));
    return out;
  }

  private take(key: string): Batch<T> {
    const batch = this.pending.get(key)!;
    this.pending.delete(key);
    this.pendingCount -= batch.items.length;
    return batch;
  }

  private largestKey(): string | undefined {
    let best: string | undefined;
    let bestSize = -1;
    for (const [key, batch] of this.pending) {
      if (batch.items.length > bestSize) {
        best = key;
        bestSize = batch.items.length;
      }
    }
    return best;
  }
}

/**
 * Orders entries by aspect ratio (width / height), so that when dimensions are known before
 * decoding (e.g. from the store), consecutive photos share a shape and batches fill quickly.
 * Stable: entries of equal aspect keep their order. Returns a new array.
 */
export function sortByAspect<E extends Shape>(entries: readonly E[]): E[] {
  return entries
    .map((e, i) => ({ e, i, aspect: e.width / e.height }))
    .sort((a, b) => a.aspect - b.aspect || a.i - b.i)
    .map((x) => x.e);
}
