// The per-photo vectors kept beside the words: `dense` (pooled feature vectors, for evaluation's
// no-quantisation baseline) and `phash` (perceptual hashes, for duplicate finding). Both describe
// a photo's content, so writer.ts drops them when that content changes.

import type Database from 'better-sqlite3';
import { decodePhash, encodePhash } from '../../analysis/phash.js';
import { bytesOf, decodeDense, type DenseRow } from './codec.js';

export interface StoredDense {
  id: number;
  vector: Float32Array;
}

function prepare(db: Database.Database) {
  return {
    putDense: db.prepare<[number, number, Buffer]>('INSERT OR REPLACE INTO dense (image_id, dim, vector) VALUES (?, ?, ?)'),
    deleteDense: db.prepare<[number]>('DELETE FROM dense WHERE image_id = ?'),
    putPhash: db.prepare<[number, Buffer]>('INSERT OR REPLACE INTO phash (image_id, dct) VALUES (?, ?)'),
    deletePhash: db.prepare<[number]>('DELETE FROM phash WHERE image_id = ?'),
    getPhash: db.prepare<[number], { dct: Buffer }>('SELECT dct FROM phash WHERE image_id = ?'),
    iterPhash: db.prepare<[], { id: number; dct: Buffer }>("SELECT p.image_id AS id, p.dct FROM phash p JOIN images i ON i.id = p.image_id WHERE i.status = 'indexed' ORDER BY p.image_id"),
    missingPhash: db.prepare<[], { id: number; path: string }>(
      "SELECT i.id, i.path FROM images i LEFT JOIN phash p ON p.image_id = i.id WHERE i.status = 'indexed' AND p.image_id IS NULL ORDER BY i.id",
    ),
    missingDense: db.prepare<[], { id: number; path: string }>(
      "SELECT i.id, i.path FROM images i LEFT JOIN dense d ON d.image_id = i.id WHERE i.status = 'indexed' AND d.image_id IS NULL ORDER BY i.id",
    ),
    iterDense: db.prepare<[], DenseRow>('SELECT image_id AS id, dim, vector FROM dense ORDER BY image_id'),
  };
}

export class Vectors {
  private readonly stmts: ReturnType<typeof prepare>;

  constructor(db: Database.Database) {
    this.stmts = prepare(db);
  }

  /** Attach a pooled feature vector to an indexed image (replaces any previous one). */
  putDense(id: number, vector: Float32Array): void {
    this.stmts.putDense.run(id, vector.length, bytesOf(vector));
  }

  /** Attach a perceptual hash (phash.ts lowFrequencyDct) to an indexed image. */
  putPhash(id: number, dct: Float32Array): void {
    this.stmts.putPhash.run(id, encodePhash(dct));
  }

  /** Both vectors go: they described content the photo no longer has. */
  drop(id: number): void {
    this.stmts.deleteDense.run(id);
    this.stmts.deletePhash.run(id);
  }

  getPhash(id: number): Float32Array | undefined {
    const row = this.stmts.getPhash.get(id);
    return row && decodePhash(row.dct);
  }

  /** Perceptual hashes of indexed photos, in id order. */
  *iterPhash(): IterableIterator<{ id: number; dct: Float32Array }> {
    for (const row of this.stmts.iterPhash.iterate()) yield { id: row.id, dct: decodePhash(row.dct) };
  }

  /** Indexed photos without a perceptual hash (indexed before schema 3). */
  missingPhash(): { id: number; path: string }[] {
    return this.stmts.missingPhash.all();
  }

  /** Indexed photos without a pooled vector (indexed by something that did not ask for them). */
  missingDense(): { id: number; path: string }[] {
    return this.stmts.missingDense.all();
  }

  /** Stored pooled vectors in id order. */
  *iterDense(): IterableIterator<StoredDense> {
    for (const row of this.stmts.iterDense.iterate()) yield { id: row.id, vector: decodeDense(row) };
  }
}
