// A photo's visual words: its token grid (`grids`), its bag (`bags`), and the document
// frequencies the scorers need (`df`, with meta.doc_count), which move with every bag stored or
// dropped so that they always equal what the bags imply.
//
// Why keep the token grid too: bags for another kernel/padding (and the CropAndJaccard baseline)
// can be derived from it without running the model again.

import Database from 'better-sqlite3';
import type { Bag, TokenGrid } from '../../common/types.js';
import { decodeBag, decodeGrid, termsJson, type BagRow, type GridRow } from './codec.js';

export interface StoredBag {
  id: number;
  path: string;
  bag: Bag;
}

export interface StoredGrid {
  id: number;
  path: string;
  grid: TokenGrid;
}

export interface DfCheck {
  /** Stored df table and doc_count both equal what the bags imply. */
  ok: boolean;
  /** Terms whose stored df differs from the recomputed one (including missing/extra rows). */
  mismatchedTerms: number;
  storedDocCount: number;
  actualDocCount: number;
}

/**
 * Runs `fn` over the bags of the index at `path`, opened read-only on this thread's own
 * connection (a worker thread building the query index beside the writer: WAL lets it read a
 * consistent snapshot while the writer goes on). One read transaction holds the snapshot, so
 * `fn` may stream the bags more than once and see the same ones.
 */
export function withStoredBags<T>(path: string, fn: (bags: () => IterableIterator<StoredBag>) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const it = db.prepare<[], BagRow>('SELECT b.image_id AS id, i.path, b.n_terms, b.terms, b.tfs FROM bags b JOIN images i ON i.id = b.image_id ORDER BY b.image_id');
    function* bags(): IterableIterator<StoredBag> {
      for (const row of it.iterate()) yield { id: row.id, path: row.path, bag: decodeBag(row) };
    }
    return db.transaction(() => fn(bags))();
  } finally {
    db.close();
  }
}

function prepare(db: Database.Database) {
  return {
    putGrid: db.prepare('INSERT OR REPLACE INTO grids (image_id, heads, height, width, codes, tokens) VALUES (?, ?, ?, ?, ?, ?)'),
    deleteGrid: db.prepare<[number]>('DELETE FROM grids WHERE image_id = ?'),
    getGrid: db.prepare<[number], GridRow>('SELECT g.image_id AS id, i.path, g.heads, g.height, g.width, g.codes, g.tokens FROM grids g JOIN images i ON i.id = g.image_id WHERE g.image_id = ?'),
    iterGrids: db.prepare<[], GridRow>('SELECT g.image_id AS id, i.path, g.heads, g.height, g.width, g.codes, g.tokens FROM grids g JOIN images i ON i.id = g.image_id ORDER BY g.image_id'),
    putBag: db.prepare('INSERT INTO bags (image_id, n_terms, terms, tfs) VALUES (?, ?, ?, ?)'),
    deleteBag: db.prepare<[number]>('DELETE FROM bags WHERE image_id = ?'),
    getBag: db.prepare<[number], BagRow>('SELECT b.image_id AS id, i.path, b.n_terms, b.terms, b.tfs FROM bags b JOIN images i ON i.id = b.image_id WHERE b.image_id = ?'),
    iterBags: db.prepare<[], BagRow>('SELECT b.image_id AS id, i.path, b.n_terms, b.terms, b.tfs FROM bags b JOIN images i ON i.id = b.image_id ORDER BY b.image_id'),
    // df maintenance goes through json_each so a whole bag is one statement executed inside
    // SQLite instead of a round trip through the binding per term (docs/STORE.md#df). Adding
    // takes a JSON object of term -> how many of the photos being stored have it.
    dfAddCounts: db.prepare<[string]>('INSERT INTO df (term, df) SELECT CAST(key AS INTEGER), value FROM json_each(?) WHERE true ON CONFLICT(term) DO UPDATE SET df = df + excluded.df'),
    // Drop rows that would reach 0 first, so the CHECK (df > 0) never sees a zero.
    dfDropLast: db.prepare<[string]>('DELETE FROM df WHERE df = 1 AND term IN (SELECT value FROM json_each(?))'),
    dfSub: db.prepare<[string]>('UPDATE df SET df = df - 1 WHERE term IN (SELECT value FROM json_each(?))'),
    docCountAdd: db.prepare<[number]>("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + ? AS TEXT) WHERE key = 'doc_count'"),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    countTerms: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM df'),
    allDf: db.prepare<[], { term: number; df: number }>('SELECT term, df FROM df'),
  };
}

/** The grids, bags and df tables. Writers hold a transaction around put, addDf and drop (writer.ts). */
export class Words {
  private readonly stmts: ReturnType<typeof prepare>;

  constructor(db: Database.Database) {
    this.stmts = prepare(db);
  }

  /** Stores a photo's grid and bag, already encoded (codec.ts); df is the caller's to add (addDf). */
  put(id: number, grid: TokenGrid, tokens: Buffer, nTerms: number, terms: Buffer, tfs: Buffer): void {
    this.stmts.putGrid.run(id, grid.heads, grid.height, grid.width, grid.codes, tokens);
    this.stmts.putBag.run(id, nTerms, terms, tfs);
  }

  /** Adds to df: `json` is an object of term -> how many photos stored now have it. */
  addDf(json: string): void {
    this.stmts.dfAddCounts.run(json);
  }

  addDocCount(n: number): void {
    this.stmts.docCountAdd.run(n);
  }

  deleteGrid(id: number): void {
    this.stmts.deleteGrid.run(id);
  }

  /** Remove an image's bag and take its terms back out of df. Caller holds a transaction. */
  dropBag(id: number): void {
    const row = this.stmts.getBag.get(id);
    if (!row) return;
    const { terms } = decodeBag(row);
    if (terms.length > 0) {
      const json = termsJson(terms);
      this.stmts.dfDropLast.run(json);
      this.stmts.dfSub.run(json);
    }
    this.stmts.deleteBag.run(id);
    this.stmts.docCountAdd.run(-1);
  }

  getBag(id: number): Bag | undefined {
    const row = this.stmts.getBag.get(id);
    return row && decodeBag(row);
  }

  getGrid(id: number): TokenGrid | undefined {
    const row = this.stmts.getGrid.get(id);
    return row && decodeGrid(row);
  }

  /** Bags in id order, streamed. Do not write to the store while iterating. */
  *iterBags(): IterableIterator<StoredBag> {
    for (const row of this.stmts.iterBags.iterate()) yield { id: row.id, path: row.path, bag: decodeBag(row) };
  }

  *iterGrids(): IterableIterator<StoredGrid> {
    for (const row of this.stmts.iterGrids.iterate()) yield { id: row.id, path: row.path, grid: decodeGrid(row) };
  }

  /** meta.doc_count: how many bags df counts. */
  docCount(): number {
    return Number(this.stmts.getMeta.get('doc_count')?.value ?? 0);
  }

  /** Distinct terms with df > 0. */
  terms(): number {
    return this.stmts.countTerms.get()!.n;
  }

  /** Term -> document frequency, as maintained with the bags (what idf is computed from). */
  documentFrequencies(): Map<number, number> {
    const m = new Map<number, number>();
    for (const { term, df } of this.stmts.allDf.iterate()) m.set(term, df);
    return m;
  }

  /**
   * Recompute df and doc_count from the stored bags and compare with the maintained ones.
   * A consistency check (crash-safety tests, `doctor`-style commands); it reads every bag.
   */
  recomputeDf(): DfCheck {
    const expected = new Map<number, number>();
    let actualDocCount = 0;
    for (const { bag } of this.iterBags()) {
      actualDocCount++;
      const t = bag.terms;
      for (let i = 0; i < t.length; i++) expected.set(t[i], (expected.get(t[i]) ?? 0) + 1);
    }
    let mismatchedTerms = 0;
    let seen = 0;
    for (const { term, df } of this.stmts.allDf.iterate()) {
      const want = expected.get(term);
      if (want === undefined) mismatchedTerms++;
      else {
        seen++;
        if (want !== df) mismatchedTerms++;
      }
    }
    mismatchedTerms += expected.size - seen; // terms the bags have but df lacks
    const storedDocCount = this.docCount();
    return {
      ok: mismatchedTerms === 0 && storedDocCount === actualDocCount,
      mismatchedTerms,
      storedDocCount,
      actualDocCount,
    };
  }
}
