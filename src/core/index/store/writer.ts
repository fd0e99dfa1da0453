// Storing, replacing, moving and forgetting a photo: the one place that changes a photo's rows in
// images, grids, bags, df, dense and phash together, in one transaction, so df and doc_count
// always equal what the stored bags imply (IndexStore.recomputeDf checks it).

import type { Bag, TokenGrid } from '../../common/types.js';
import { encodeBag, encodeGrid } from './codec.js';
import type { Transaction } from './errors.js';
import type { FileInfo, ImageRecord, ImageRow, Images, IndexedFileInfo } from './images.js';
import type { Vectors } from './vectors.js';
import type { Words } from './words.js';

/** One photo for IndexStore.putIndexedMany. */
export interface IndexedEntry {
  file: IndexedFileInfo;
  grid: TokenGrid;
  bag: Bag;
  phash?: Float32Array;
}

/** Term ids below this are summed in a flat array (collapsed k-grams: heads x codes, 32,768 by default); any above, in a Map. */
const DENSE_TERMS = 1 << 20;
let denseSums = new Int32Array(0);

/**
 * The df increments of a batch of photos, summed: a Map update per term and photo was a third of
 * the store's time when copies go in at a thousand a second. Zeroed again by takeJson, so the one
 * flat array serves every batch (the writes are synchronous, one transaction at a time).
 */
class DfSums {
  private readonly touched: number[] = [];
  private readonly sparse = new Map<number, number>();

  add(terms: ArrayLike<number>): void {
    for (let i = 0; i < terms.length; i++) {
      const t = terms[i];
      if (t < DENSE_TERMS) {
        if (t >= denseSums.length) {
          const grown = new Int32Array(Math.min(DENSE_TERMS, Math.max(t + 1, denseSums.length * 2, 1 << 15)));
          grown.set(denseSums);
          denseSums = grown;
        }
        if (denseSums[t]++ === 0) this.touched.push(t);
      } else this.sparse.set(t, (this.sparse.get(t) ?? 0) + 1);
    }
  }

  /** The sums as words.ts's addDf takes them (a JSON object term -> count), and back to zero; undefined when none. */
  takeJson(): string | undefined {
    const parts: string[] = [];
    for (const t of this.touched) {
      parts.push(`"${t}":${denseSums[t]}`);
      denseSums[t] = 0;
    }
    for (const [t, n] of this.sparse) parts.push(`"${t}":${n}`);
    this.touched.length = 0;
    this.sparse.clear();
    return parts.length > 0 ? `{${parts.join(',')}}` : undefined;
  }

  /** Back to zero without writing (a transaction that failed half way must not leave its sums to the next). */
  reset(): void {
    for (const t of this.touched) denseSums[t] = 0;
    this.touched.length = 0;
    this.sparse.clear();
  }
}

export class PhotoWriter {
  /** Calls that may have changed which photos are indexed or what their words are (IndexStore.changeCount). */
  changes = 0;

  constructor(
    private readonly images: Images,
    private readonly words: Words,
    private readonly vectors: Vectors,
    private readonly transaction: Transaction,
  ) {}

  /**
   * Several photos in one transaction, their df increments summed first: photos share most of
   * their terms, and the df upserts were most of SQLite's share of indexing (docs/STORE.md#df).
   * Returns the ids in the entries' order.
   */
  putIndexedMany(entries: readonly IndexedEntry[]): number[] {
    const encoded = entries.map((e) => ({ ...e, tokens: encodeGrid(e.grid), ...encodeBag(e.bag) }));
    return this.transaction(() => {
      const dfDelta = new DfSums();
      const flushDf = () => {
        const json = dfDelta.takeJson();
        if (json) this.words.addDf(json);
      };
      try {
        return this.putEncoded(encoded, dfDelta, flushDf);
      } finally {
        dfDelta.reset();
      }
    });
  }

  /** putIndexedMany's rows, inside its transaction. */
  private putEncoded(encoded: (IndexedEntry & { tokens: Buffer; terms: Buffer; tfs: Buffer })[], dfDelta: DfSums, flushDf: () => void): number[] {
    const ids = encoded.map((e) => {
      // Replacing a stored photo takes its old terms out of df: the sums so far must be in first.
      const existing = this.images.row(e.file.path);
      if (existing) flushDf();
      const id = this.upsertImage(
        {
          path: e.file.path,
          size: e.file.size,
          mtimeMs: e.file.mtimeMs,
          hash: e.file.hash ?? null,
          width: e.file.width,
          height: e.file.height,
          status: 'indexed',
          error: null,
          indexedAt: Date.now(),
          failureCode: null,
          note: e.file.note ?? null,
          taken: e.file.taken ?? null,
          takenFrom: e.file.takenFrom ?? null,
        },
        existing,
      );
      this.words.put(id, e.grid, e.tokens, e.bag.terms.length, e.terms, e.tfs);
      if (e.phash) this.vectors.putPhash(id, e.phash);
      dfDelta.add(e.bag.terms);
      this.changes++;
      return id;
    });
    flushDf();
    this.words.addDocCount(encoded.length);
    return ids;
  }

  /**
   * Record a file that could not be decoded or embedded, with why, so it is listed and not retried
   * until it changes. `code` (a DecodeFailureCode) lets the indexer retry transient failures.
   */
  putFailed(file: FileInfo, reason: string, code?: string): number {
    this.changes++;
    return this.transaction(() =>
      this.upsertImage(
        {
          path: file.path,
          size: file.size,
          mtimeMs: file.mtimeMs,
          hash: null,
          width: null,
          height: null,
          status: 'failed',
          error: reason,
          indexedAt: Date.now(),
          failureCode: code ?? null,
        },
        this.images.row(file.path),
      ),
    );
  }

  /** Forget a file (e.g. deleted from disk). Returns whether it was known. */
  remove(path: string): boolean {
    this.changes++;
    return this.transaction(() => {
      const existing = this.images.row(path);
      if (!existing) return false;
      this.words.dropBag(existing.id);
      this.images.delete(existing.id); // cascades to grids
      return true;
    });
  }

  /**
   * A file renamed or moved with the same content: its row takes the new path (and the file's
   * size and mtime); its id, grid, bag and df stay as they are, and no model runs. Whatever was
   * stored for the new path before (a failed file, an older photo) is forgotten first.
   */
  move(from: string, to: string, file: { size: number; mtimeMs: number }): boolean {
    this.changes++;
    return this.transaction(() => {
      const existing = this.images.row(from);
      if (!existing) return false;
      if (from !== to) this.remove(to);
      this.images.move(existing.id, to, file);
      return true;
    });
  }

  /** The file was touched but its bytes are the same (hash checked): only size and mtime change. */
  touch(path: string, file: { size: number; mtimeMs: number }): boolean {
    const existing = this.images.row(path);
    if (!existing) return false;
    this.images.touch(existing.id, file);
    return true;
  }

  /**
   * Insert or update the image row for row.path (dropping any old bag/grid); returns its id.
   * `existing` is what is stored for row.path (callers look it up; putIndexedMany needs it
   * first). Caller holds a transaction.
   */
  private upsertImage(row: Omit<ImageRecord, 'id'>, existing: ImageRow | undefined): number {
    const values = { ...row, failureCode: row.failureCode ?? null, note: row.note ?? null, taken: row.taken ?? null, takenFrom: row.takenFrom ?? null };
    if (!existing) return this.images.write(values);
    this.words.dropBag(existing.id);
    this.words.deleteGrid(existing.id);
    this.vectors.drop(existing.id); // they described the old content
    return this.images.write(values, existing.id);
  }
}
