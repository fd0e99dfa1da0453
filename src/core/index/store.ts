// The on-disk index: one SQLite file holding, per photo, its file identity, its raw token grid and
// its bag of visual words, plus the document frequencies the scorers need.
//
// IndexStore is the one way in, the facade over the table modules of store/: images (file
// identity), words (grids, bags, df), vectors (dense, phash), not-read, folders, meta (prefs),
// decisions and trashed, each over its own table; writer.ts changes a photo's rows across them.
// The layout is store/schema.ts (migrations.ts for older files, open.ts to open one), the BLOB
// layout store/codec.ts. Why a forward index (a bag per photo) and no posting table, and what the
// queries cost: docs/STORE.md.

import type Database from 'better-sqlite3';
import type { Bag, TokenGrid } from '../common/types.js';
import { PhotoList } from '../browse/photolist.js';
import type { DecisionKind } from '../../shared/api.js';
import { openIndexDatabase, peekMeta, type OpenOptions } from './store/open.js';
import { writeError } from './store/errors.js';
import { Images, toRecord, type FileInfo, type ImageRecord, type IndexedFileInfo, type PhotoRow, type IndexedDigest, type KnownFile } from './store/images.js';
import { Words, type DfCheck, type StoredBag, type StoredGrid } from './store/words.js';
import { Vectors, type StoredDense } from './store/vectors.js';
import { NotRead, type NotReadCount, type NotReadEntry } from './store/not-read.js';
import { Folders } from './store/folders.js';
import { Meta } from './store/meta.js';
import { Decisions, type Decision } from './store/decisions.js';
import { Trashed, type TrashedRecord } from './store/trashed.js';
import { PhotoWriter, type IndexedEntry } from './store/writer.js';

// What callers of the store import from it: each defined once, in its table's module.
export { SCHEMA_VERSION } from './store/schema.js';
export type { OpenOptions } from './store/open.js';
export { FingerprintMismatchError, IndexWriteError, writeError } from './store/errors.js';
export type { FileInfo, ImageRecord, ImageStatus, IndexedFileInfo, KnownFile } from './store/images.js';
export type { DfCheck, StoredBag, StoredGrid } from './store/words.js';
export type { StoredDense } from './store/vectors.js';
export type { NotReadCount, NotReadEntry } from './store/not-read.js';
export type { Decision } from './store/decisions.js';
// Defined in src/shared/api.ts, since it crosses processes; the core's callers may name it here.
export type { DecisionKind } from '../../shared/api.js';
export type { TrashedRecord } from './store/trashed.js';
export type { IndexedEntry } from './store/writer.js';

export interface IndexStats {
  indexed: number;
  failed: number;
  /** Documents with a bag (what N means for idf). Equals `indexed`. */
  docCount: number;
  /** Distinct terms with df > 0. */
  terms: number;
  settings: unknown;
}

export class IndexStore {
  private readonly images: Images;
  private readonly words: Words;
  private readonly vectors: Vectors;
  private readonly writer: PhotoWriter;
  private readonly notRead: NotRead;
  private readonly folders: Folders;
  private readonly meta: Meta;
  private readonly decisions: Decisions;
  private readonly trashed: Trashed;
  private photoListInstance?: PhotoList;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    const tx = <T>(fn: () => T): T => this.transaction(fn);
    this.images = new Images(db);
    this.words = new Words(db);
    this.vectors = new Vectors(db);
    this.writer = new PhotoWriter(this.images, this.words, this.vectors, tx);
    this.notRead = new NotRead(db, tx);
    this.folders = new Folders(db);
    this.meta = new Meta(db);
    this.decisions = new Decisions(db);
    this.trashed = new Trashed(db);
  }

  /**
   * Open (creating if needed) the index at `path` (':memory:' works for tests).
   * Throws if the file was built with another fingerprint, unless `rebuild` is set, since mixing
   * bags from two models or k-gram settings would make every score meaningless.
   */
  static open(path: string, opts: OpenOptions): IndexStore {
    return new IndexStore(openIndexDatabase(path, opts), path);
  }

  /**
   * The settings an existing index was built with, without opening it for writing or checking
   * its fingerprint (so a caller can reuse them before computing the fingerprint). undefined if the
   * file is missing or is not a Photowords index of this schema version.
   */
  static readSettings(path: string): unknown {
    const json = peekMeta(path, 'settings');
    return json === undefined ? undefined : JSON.parse(json);
  }

  /** The fingerprint an existing index was built with (for tools that check an index as it is). */
  static readFingerprint(path: string): string | undefined {
    return peekMeta(path, 'fingerprint');
  }

  /** A value the app keeps with the index (setPref), read without opening the index. */
  static readPref(path: string, key: string): string | undefined {
    return peekMeta(path, `pref.${key}`);
  }

  /** Run `fn` in one transaction (nested calls become savepoints). Batching puts this way is far faster than one commit per photo. */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      // SQLite has rolled the transaction back; say in words what happened to the file.
      throw writeError(err, this.path);
    }
  }

  get fingerprint(): string {
    return this.meta.fingerprint;
  }

  get settings(): unknown {
    return this.meta.settings;
  }

  // ---- photos: file identity, storing and forgetting (images.ts, writer.ts) ---------------------

  /** The stored record for a file, so the scanner can skip files whose size and mtime are unchanged. */
  getByPath(path: string): ImageRecord | undefined {
    const row = this.images.row(path);
    return row && toRecord(row);
  }

  getById(id: number): ImageRecord | undefined {
    const row = this.images.byId(id);
    return row && toRecord(row);
  }

  /** Every known file, indexed or failed, in id order (e.g. to prune files that disappeared). */
  listImages(): ImageRecord[] {
    return this.images.list().map(toRecord);
  }

  /**
   * Store a successfully indexed photo, replacing whatever was stored for its path (same id is
   * kept). df and doc_count move in the same transaction as the bag.
   */
  putIndexed(file: IndexedFileInfo, grid: TokenGrid, bag: Bag, phash?: Float32Array): number {
    return this.putIndexedMany([{ file, grid, bag, phash }])[0];
  }

  /** Several photos in one transaction (writer.ts); returns the ids in the entries' order. */
  putIndexedMany(entries: readonly IndexedEntry[]): number[] {
    return this.writer.putIndexedMany(entries);
  }

  /** A file that could not be read, with why and a DecodeFailureCode (writer.ts). */
  putFailed(file: FileInfo, reason: string, code?: string): number {
    return this.writer.putFailed(file, reason, code);
  }

  /** Forget a file (e.g. deleted from disk). Returns whether it was known. */
  remove(path: string): boolean {
    return this.writer.remove(path);
  }

  /** A file renamed or moved with the same content keeps its id and words (writer.ts). */
  move(from: string, to: string, file: { size: number; mtimeMs: number }): boolean {
    return this.writer.move(from, to, file);
  }

  /** The file was touched but its bytes are the same (hash checked): only size and mtime change. */
  touch(path: string, file: { size: number; mtimeMs: number }): boolean {
    return this.writer.touch(path, file);
  }

  /** Known files under a folder, a page at a time in path order, after `after` ('' for the first). */
  recordsUnder(dir: string, after: string, limit: number): ImageRecord[] {
    return this.images.recordsUnder(dir, after, limit);
  }

  /** The columns a reconcile compares, for the known files under a folder, a page at a time in path order. */
  filesUnder(dir: string, after: string, limit: number): KnownFile[] {
    return this.images.filesUnder(dir, after, limit);
  }

  /** Ids of indexed photos that share their content hash with another, one group per hash (ids ascending), by first id. */
  hashGroups(): number[][] {
    return this.images.hashGroups();
  }

  /** An indexed photo with exactly these bytes (sha256), if any. */
  findIndexedByHash(hash: string): ImageRecord | undefined {
    return this.images.findIndexedByHash(hash);
  }

  /** Number of known files (indexed + failed). */
  count(): number {
    let n = 0;
    for (const r of this.images.countByStatus()) n += r.n;
    return n;
  }

  stats(): IndexStats {
    let indexed = 0;
    let failed = 0;
    for (const r of this.images.countByStatus()) {
      if (r.status === 'indexed') indexed = r.n;
      else failed = r.n;
    }
    return { indexed, failed, docCount: this.words.docCount(), terms: this.words.terms(), settings: this.settings };
  }

  /**
   * Counts calls that may change which photos are indexed or what their words are (putIndexed,
   * putFailed, remove, move), in this process: the query index (live-index.ts) looks at the store
   * again only when it moved.
   */
  get changeCount(): number {
    return this.writer.changes;
  }

  /** Indexed photos whose words were stored at or after `ms` (epoch ms, images.indexed_at), in id order. */
  indexedSince(ms: number): { id: number; indexedAt: number }[] {
    return this.images.indexedSince(ms);
  }

  /** Ids of every indexed photo, ascending. */
  indexedIds(): number[] {
    return this.images.indexedIds();
  }

  /** How many photos are indexed. */
  countIndexed(): number {
    return this.images.countIndexed();
  }

  /** Count and sums of the photos indexed before `ms` (epoch ms): what a persisted query index (search/persisted-index.ts) checks it is in step with. */
  indexedDigest(before: number): IndexedDigest {
    return this.images.indexedDigest(before);
  }

  failures(): { path: string; error: string }[] {
    return this.images.failures();
  }

  /** Indexed photos read from less than the whole picture, with how (a RAW's thumbnail, a cut-off file). */
  notes(): { path: string; note: string }[] {
    return this.images.notes();
  }

  // ---- folders and what is under them (folders.ts, images.ts) -----------------------------------

  listFolders(): { id: number; path: string; addedAt: number }[] {
    return this.folders.list();
  }

  addFolder(path: string): number {
    return this.folders.add(path);
  }

  deleteFolder(id: number): void {
    this.folders.delete(id);
  }

  /** Indexed and failed files under a folder. */
  countUnder(dir: string): { indexed: number; failed: number } {
    return this.images.countUnder(dir);
  }

  /** A page of indexed photos under a folder, in path order. */
  pageUnder(dir: string, offset: number, limit: number): PhotoRow[] {
    return this.images.pageUnder(dir, offset, limit);
  }

  /** A page of every indexed photo, in path order. */
  pageAll(offset: number, limit: number): PhotoRow[] {
    return this.images.pageAll(offset, limit);
  }

  /** Every known path under a folder (indexed or failed). */
  pathsUnder(dir: string): string[] {
    return this.images.pathsUnder(dir);
  }

  /** The grid's queries (photolist.ts): pages in date, name, size or type order, date counts, subfolders. */
  photoList(): PhotoList {
    return (this.photoListInstance ??= new PhotoList(this.db, () => this.writer.changes));
  }

  /** A value the app keeps with the index (e.g. the chosen scoring), or undefined. */
  getPref(key: string): string | undefined {
    return this.meta.getPref(key);
  }

  setPref(key: string, value: string): void {
    this.meta.setPref(key, value);
  }

  // ---- files not read as photos (not-read.ts) ---------------------------------------------------

  /** Starts a scan generation; sweepNotRead drops what no scan found since (not-read.ts). */
  notReadMark(): number {
    return this.notRead.mark();
  }

  /**
   * Records a file (or a hidden folder, with its file count) that is not read as a photo. A path
   * is either an image row or a not-read one, never both: a photo stored for this path (or, for
   * a hidden folder, under it: the setting was turned off) is forgotten. Returns how many photos
   * were forgotten.
   */
  putNotRead(e: NotReadEntry): number {
    return this.transaction(() => {
      this.notRead.put(e);
      let removed = this.images.row(e.path) && this.remove(e.path) ? 1 : 0;
      if (e.kind === 'hidden') for (const p of this.pathsUnder(e.path)) if (this.remove(p)) removed++;
      return removed;
    });
  }

  /** Several at once, in one transaction (a scan finds them by the thousand). */
  putNotReadMany(entries: readonly NotReadEntry[]): number {
    if (entries.length === 0) return 0;
    return this.transaction(() => entries.reduce((n, e) => n + this.putNotRead(e), 0));
  }

  getNotRead(path: string): NotReadEntry | undefined {
    return this.notRead.get(path);
  }

  /** Found again by the scan in progress (a too-small file skipped as unchanged). */
  markNotRead(path: string): void {
    this.notRead.markFound(path);
  }

  forgetNotRead(path: string): boolean {
    return this.notRead.forget(path);
  }

  /** Drops the rows at or under `dir` that no scan found since `mark`. Returns how many went. */
  sweepNotRead(dir: string, mark: number): number {
    return this.notRead.sweep(dir, mark);
  }

  /** Forgets every row at or under `dir` (a folder removed from the library, or gone from disk). */
  forgetNotReadUnder(dir: string): number {
    return this.notRead.forgetUnder(dir);
  }

  /** Files not read under `dir` (every folder when left out), by kind, with a few example paths. */
  notReadSummary(dir?: string, examples = 3): NotReadCount[] {
    return this.notRead.summary(dir, examples);
  }

  // ---- words and vectors (words.ts, vectors.ts) --------------------------------------------------

  /** Term -> document frequency, as maintained with the bags (what idf is computed from). */
  documentFrequencies(): Map<number, number> {
    return this.words.documentFrequencies();
  }

  getBag(id: number): Bag | undefined {
    return this.words.getBag(id);
  }

  getGrid(id: number): TokenGrid | undefined {
    return this.words.getGrid(id);
  }

  /**
   * Bags in id order, streamed, so an inverted index can be built in two passes without holding
   * every bag in memory (see buildInvertedIndex). Do not write to the store while iterating.
   */
  iterBags(): IterableIterator<StoredBag> {
    return this.words.iterBags();
  }

  loadAll(): StoredBag[] {
    return Array.from(this.iterBags());
  }

  /** Token grids in id order (for CropAndJaccard and for re-deriving bags with other settings). */
  iterGrids(): IterableIterator<StoredGrid> {
    return this.words.iterGrids();
  }

  /** df and doc_count recomputed from the bags and compared with the maintained ones (a consistency check). */
  recomputeDf(): DfCheck {
    return this.words.recomputeDf();
  }

  /** Attach a pooled feature vector to an indexed image (replaces any previous one). */
  putDense(id: number, vector: Float32Array): void {
    this.vectors.putDense(id, vector);
  }

  /** Stored pooled vectors in id order. */
  iterDense(): IterableIterator<StoredDense> {
    return this.vectors.iterDense();
  }

  /** Indexed photos without a pooled vector (indexed by something that did not ask for them). */
  missingDense(): { id: number; path: string }[] {
    return this.vectors.missingDense();
  }

  /** Attach a perceptual hash (phash.ts lowFrequencyDct) to an indexed image. */
  putPhash(id: number, dct: Float32Array): void {
    this.vectors.putPhash(id, dct);
  }

  getPhash(id: number): Float32Array | undefined {
    return this.vectors.getPhash(id);
  }

  /** Perceptual hashes of indexed photos, in id order. */
  iterPhash(): IterableIterator<{ id: number; dct: Float32Array }> {
    return this.vectors.iterPhash();
  }

  /** Indexed photos without a perceptual hash (indexed before schema 3). */
  missingPhash(): { id: number; path: string }[] {
    return this.vectors.missingPhash();
  }

  // ---- decisions about duplicates and what Photowords trashed (decisions.ts, trashed.ts) ---------

  /** Records a decision about duplicates; `hashes` are content sha256s (at least two distinct). */
  addDecision(kind: DecisionKind, hashes: string[], keeper?: string): number {
    return this.decisions.add(kind, hashes, keeper);
  }

  /** Every decision, newest first, with the photos that now hold its hashes and whether any hash is gone. */
  listDecisions(): Decision[] {
    return this.decisions.list();
  }

  /** Undoes a decision; returns whether it existed. */
  deleteDecision(id: number): boolean {
    return this.decisions.delete(id);
  }

  /** Records a file moved to the system's trash; returns the row's id. */
  addTrashed(t: Omit<TrashedRecord, 'id'>): number {
    return this.trashed.add(t);
  }

  /** Every trashed file on record, newest first. */
  listTrashed(): TrashedRecord[] {
    return this.trashed.list();
  }

  getTrashed(id: number): TrashedRecord | undefined {
    return this.trashed.get(id);
  }

  /** Forgets a trashed file (restored, or gone from the trash); returns whether it was on record. */
  deleteTrashed(id: number): boolean {
    return this.trashed.delete(id);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
