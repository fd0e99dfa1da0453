// The on-disk index: one SQLite file holding, per photo, its file identity, its raw token grid and
// its bag of visual words, plus the document frequencies the scorers need.
//
// Why a forward index (one `bags` row per photo, terms and counts packed in BLOBs) and no
// (term, image) posting table: a photo has ~4,000 distinct words, so a posting table would hold
// billions of rows at library scale, each paying SQLite's per-row and B-tree overhead, and
// re-indexing a photo would mean thousands of row deletes. Queries never run in SQL anyway: the
// inverted index is rebuilt in memory from the bags at startup (see invindex.ts), which takes a
// second or two. Only df is kept as rows, because it must be updated incrementally and
// atomically with each bag and is at most one row per term.
//
// Why keep the token grid too: bags for another kernel/padding (and the CropAndJaccard baseline)
// can be derived from it without running the model again.

import { endianness } from 'node:os';
import { sep } from 'node:path';
import Database from 'better-sqlite3';
import type { Bag, TokenGrid } from '../common/types.js';
import { decodePhash, encodePhash } from '../analysis/phash.js';
import { NOT_READ_KINDS, type NotReadKind } from '../analysis/formats.js';
import { AUTH_TABLES } from './auth-store.js';
import { PhotoList } from '../browse/photolist.js';

// BLOBs are typed-array bytes written as-is and documented as little-endian. Every platform
// Photowords ships on is LE; refuse rather than write files other machines would misread.
if (endianness() !== 'LE') throw new Error('Photowords index files are little-endian; this platform is big-endian');

/**
 * The layout this build writes. A file records its version in meta.schema_version; an older file
 * is migrated at open (MIGRATIONS, one transaction), a newer one or a foreign SQLite file is
 * refused without being changed, so no build ever misreads a file laid out differently.
 */
export const SCHEMA_VERSION = 9;

// Optional pooled (pre-quantisation) feature vectors, written only when a caller asks for them
// (evaluation's no-quantisation baseline); normal indexing leaves this table empty. IF NOT EXISTS
// because it was added to schema 1 during development and older schema-1 files lack it.
const DENSE_TABLE = `CREATE TABLE IF NOT EXISTS dense (
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  dim      INTEGER NOT NULL,
  vector   BLOB NOT NULL            -- Float32 LE
);`;

// Library folders the app watches and indexes (the CLI indexes whatever folders it is given and
// leaves this empty). Kept through --rebuild: the folders are the person's choice, not the index's.
const FOLDERS_TABLE = `CREATE TABLE IF NOT EXISTS folders (
  id       INTEGER PRIMARY KEY,
  path     TEXT NOT NULL UNIQUE,
  added_at INTEGER NOT NULL
);`;

// A photo's perceptual hash (phash.ts): the 64 low DCT coefficients of its 32 x 32 grey image,
// for duplicate finding. Content-only (no model), so it is kept apart from the visual words.
const PHASH_TABLE = `CREATE TABLE IF NOT EXISTS phash (
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  dct      BLOB NOT NULL            -- 64 x Float32 LE
);`;

// A person's decisions about duplicate groups (duplicates.ts), keyed by content hash so that
// they survive renames, moves, re-indexing and a rebuild with other settings (which keeps this
// table), and stop applying to a photo whose content changed (its hash is no longer in it).
const DECISIONS_TABLE = `CREATE TABLE IF NOT EXISTS decisions (
  id         INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('not-duplicates', 'keep-all', 'keeper')),
  hashes     TEXT NOT NULL,         -- JSON array of sha256, sorted, at least 2
  keeper     TEXT,                  -- for 'keeper': the sha256 to keep
  created_at INTEGER NOT NULL
);`;

// Files under the library folders that are not read as photos (formats.ts NotReadKind): videos,
// sidecars, hidden folders, unsupported formats, photos too small to read. One row per file (a
// hidden folder is one row with its file count, as the walk never enters it), not per-folder
// totals: the scan and the watcher add and drop single paths, and a row per path is what lets
// them do that without recounting a folder, and what names the examples the UI and `info` show.
// At a million files this stays small next to images (a path, a word, three numbers, no
// ROWID: the path is the key, so a folder's counts are one range scan of the table itself).
// `seen` is the scan generation that last found the file: a complete scan of a folder drops the
// rows under it that it did not find (mark and sweep), so nothing has to hold the folder's
// list in memory. Kept through --rebuild: it describes files, not words.
const NOT_READ_TABLE = `CREATE TABLE IF NOT EXISTS not_read (
  path     TEXT PRIMARY KEY,
  kind     TEXT NOT NULL,           -- formats.ts NotReadKind
  files    INTEGER NOT NULL,        -- 1, or a hidden folder's file count
  size     INTEGER,                 -- for a file read and found too small: skipped until it changes
  mtime_ms REAL,
  seen     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS not_read_kind ON not_read(kind, path);`;

// Schema 8: when a photo was taken, for the grid's date order and sections. `taken` is the
// wall-clock time as the camera wrote it (EXIF DateTimeOriginal, else CreateDate), stored as if it
// were UTC ms: EXIF dates carry no time zone, and a photo taken at 23:30 in Tokyo belongs to that
// day wherever it is browsed. Without EXIF it is the file's mtime in the engine's local time and
// `taken_from` says 'mtime'. NULL until read (an index from before schema 8 is filled in in the
// background, library.ts). The index serves the default order (newest first) and the date counts.
const TAKEN_COLUMNS = `taken REAL, -- schema 8: wall-clock ms as if UTC (see above)
  taken_from TEXT                   -- schema 8: 'exif' | 'mtime'`;
const TAKEN_INDEX = 'CREATE INDEX IF NOT EXISTS images_taken ON images(status, taken);';

// Schema 9: what Photowords moved to the system's trash (trashPhotos), so the app can list it and
// put it back (trash.ts). One row per file trashed: where it was, from which library folder, its
// size, content hash and mtime as indexed, and when. The system's trash is the truth about what is
// still there; a row only says where to look. Kept through --rebuild: it describes files.
const TRASHED_TABLE = `CREATE TABLE IF NOT EXISTS trashed (
  id         INTEGER PRIMARY KEY,
  path       TEXT NOT NULL,         -- where the file was (the path as indexed)
  folder     TEXT,                  -- the library folder it was under
  bytes      INTEGER NOT NULL,
  hash       TEXT,                  -- sha256 as indexed: restore checks the trash holds these bytes
  mtime_ms   REAL,
  width      INTEGER,
  height     INTEGER,
  trashed_at INTEGER NOT NULL       -- ms since 1970, just after the move
);
CREATE INDEX IF NOT EXISTS trashed_path ON trashed(path);`;

const SCHEMA = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE images (
  id         INTEGER PRIMARY KEY,
  path       TEXT NOT NULL UNIQUE,
  size       INTEGER NOT NULL,
  mtime_ms   REAL NOT NULL,
  hash       TEXT,
  width      INTEGER,
  height     INTEGER,
  status     TEXT NOT NULL CHECK (status IN ('indexed', 'failed')),
  error      TEXT,
  indexed_at INTEGER NOT NULL,
  failure_code TEXT,                -- schema 2: DecodeFailureCode of a failed file (transient ones are retried)
  note       TEXT,                  -- schema 5: how an indexed photo was read when not whole (a RAW's small thumbnail, a cut-off JPEG)
  ${TAKEN_COLUMNS}
);
CREATE INDEX images_status ON images(status);
CREATE INDEX images_hash ON images(hash);
${TAKEN_INDEX}
CREATE TABLE grids (
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  heads    INTEGER NOT NULL,
  height   INTEGER NOT NULL,
  width    INTEGER NOT NULL,
  codes    INTEGER NOT NULL,
  tokens   BLOB NOT NULL            -- Uint16 LE, row-major [head][y][x]
);
CREATE TABLE bags (
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  n_terms  INTEGER NOT NULL,
  terms    BLOB NOT NULL,           -- Uint32 LE, strictly ascending
  tfs      BLOB NOT NULL            -- Uint16 LE counts, clamped at 65535
);
CREATE TABLE df (
  term INTEGER PRIMARY KEY,
  df   INTEGER NOT NULL CHECK (df > 0)
);
${DENSE_TABLE}
${FOLDERS_TABLE}
${PHASH_TABLE}
${DECISIONS_TABLE}
${NOT_READ_TABLE}
${AUTH_TABLES}
${TRASHED_TABLE}
`;

/**
 * Ordered steps, each taking a file from schema `to - 1` to `to`. All steps a file needs run in
 * one transaction at open, together with the new schema_version, so a crash mid-migration leaves
 * the old file as it was. A new layout is one more entry here plus the change in SCHEMA (what a
 * new file gets), and SCHEMA_VERSION bumped; test/unit/index/schema.test.ts keeps the schema-1 DDL to prove
 * old files still open.
 */
const MIGRATIONS: { to: number; what: string; up: (db: Database.Database) => void }[] = [
  {
    to: 2,
    what: 'failure codes (transient read failures are retried), the content-hash index, the dense and folders tables',
    up: (db) => {
      db.exec('ALTER TABLE images ADD COLUMN failure_code TEXT');
      // Schema 1 kept only the reason's words; the ones that meant a transient cause get its code.
      db.exec(`UPDATE images SET failure_code = CASE
          WHEN error = 'permission denied' THEN 'permission'
          WHEN error LIKE 'file vanished%' THEN 'vanished'
          WHEN error LIKE 'disk read error%' OR error = 'too many open files' THEN 'io'
          ELSE NULL END
        WHERE status = 'failed'`);
      db.exec('CREATE INDEX IF NOT EXISTS images_hash ON images(hash)');
      db.exec(DENSE_TABLE);
      db.exec(FOLDERS_TABLE);
    },
  },
  {
    to: 3,
    what: 'perceptual hashes for duplicate finding (filled in for older photos when duplicates are first asked for)',
    up: (db) => {
      db.exec(PHASH_TABLE);
    },
  },
  {
    to: 4,
    what: 'decisions about duplicates (not duplicates, keep all, chosen keeper) kept by content hash',
    up: (db) => {
      db.exec(DECISIONS_TABLE);
    },
  },
  {
    to: 5,
    what: "a note on photos read from less than the whole picture (a RAW's small thumbnail, a cut-off JPEG)",
    up: (db) => {
      db.exec('ALTER TABLE images ADD COLUMN note TEXT');
    },
  },
  {
    to: 6,
    what: 'files not read as photos (videos, sidecars, hidden folders, unsupported formats, too small), by kind',
    up: (db) => {
      db.exec(NOT_READ_TABLE);
    },
  },
  {
    to: 7,
    what: "photowords serve's sign-in: the owner's password hash, sessions and API tokens (auth-store.ts)",
    up: (db) => {
      db.exec(AUTH_TABLES);
    },
  },
  {
    to: 8,
    what: 'when each photo was taken (EXIF, else the file time), for date order and sections; older photos are read in the background',
    up: (db) => {
      db.exec('ALTER TABLE images ADD COLUMN taken REAL');
      db.exec('ALTER TABLE images ADD COLUMN taken_from TEXT');
      db.exec(TAKEN_INDEX);
    },
  },
  {
    to: 9,
    what: 'what Photowords moved to the trash (where from, when, bytes, hash), for the Trash view and Restore',
    up: (db) => {
      db.exec(TRASHED_TABLE);
    },
  },
];

export interface OpenOptions {
  /** Identifies the model + bagging settings; bags from different fingerprints are not comparable. */
  fingerprint: string;
  /** Human-readable settings, stored as JSON for `stats()` and error messages. */
  settings: object;
  /** Clear all photos and adopt this fingerprint, whatever the file was built with. */
  rebuild?: boolean;
  /** Where "migrated index from schema N to M" goes; stderr when left out. */
  log?: (msg: string) => void;
}

/**
 * Writing the index failed for a reason no photo is to blame for (the disk is full, the file or
 * its folder became read-only, an I/O error): indexing stops with this message, and everything
 * committed before stays as it was.
 */
/**
 * The index was built by another model or other settings than it is opened with: its words are
 * not comparable with new ones. Typed so that callers which know the stored settings are the
 * ones wanted (the app's library, eval's cache) can rebuild instead of failing.
 */
export class FingerprintMismatchError extends Error {
  constructor(
    readonly path: string,
    readonly stored: string,
    readonly current: string,
    readonly storedSettings: string,
    readonly currentSettings: string,
  ) {
    super(
      `Index at ${path} was built with other settings (fingerprint ${stored}, settings ${storedSettings}); ` +
        `the current ones are fingerprint ${current}, settings ${currentSettings}. ` +
        'Its visual words are not comparable with new ones. Re-index from scratch with --rebuild ' +
        '(rebuild: true in the API; this clears the stored photos), or use another index path.',
    );
    this.name = 'FingerprintMismatchError';
  }
}

export class IndexWriteError extends Error {
  constructor(
    message: string,
    /** SQLite's extended result code, e.g. SQLITE_FULL. */
    readonly code: string,
  ) {
    super(message);
    this.name = 'IndexWriteError';
  }
}

/** What the scanner knows about a file before decoding it. */
export interface FileInfo {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface IndexedFileInfo extends FileInfo {
  /** Content hash if the caller computed one (exact-duplicate detection). */
  hash?: string | null;
  width: number;
  height: number;
  /** How the photo was read when not from the whole picture, for `info` and the UI. */
  note?: string | null;
  /** When it was taken (taken.ts: wall-clock ms as if UTC) and whether from EXIF or the file's mtime. */
  taken?: number | null;
  takenFrom?: 'exif' | 'mtime' | null;
}

/** One photo for IndexStore.putIndexedMany. */
export interface IndexedEntry {
  file: IndexedFileInfo;
  grid: TokenGrid;
  bag: Bag;
  phash?: Float32Array;
}

export type ImageStatus = 'indexed' | 'failed';

export type DecisionKind = 'not-duplicates' | 'keep-all' | 'keeper';

export interface Decision {
  id: number;
  kind: DecisionKind;
  /** Content sha256s the decision covers, sorted. */
  hashes: string[];
  /** For 'keeper': the hash to keep. */
  keeper: string | null;
  createdAt: number;
  /** The indexed photos that hold each hash now (any paths: renames and moves keep the hash). */
  photos: { hash: string; photos: { id: number; path: string }[] }[];
  /** Some hash is held by no photo now (changed or removed): the decision no longer covers it. */
  stale: boolean;
}

/** A file Photowords moved to the system's trash (table `trashed`). */
export interface TrashedRecord {
  id: number;
  /** Where it was: the path as indexed. */
  path: string;
  /** The library folder it was under, when it was under one. */
  folder: string | null;
  bytes: number;
  hash: string | null;
  mtimeMs: number | null;
  width: number | null;
  height: number | null;
  /** ms since 1970. */
  trashedAt: number;
}

type TrashedRow = { id: number; path: string; folder: string | null; bytes: number; hash: string | null; mtime_ms: number | null; width: number | null; height: number | null; trashed_at: number };

const trashedRecord = (r: TrashedRow): TrashedRecord => ({
  id: r.id,
  path: r.path,
  folder: r.folder,
  bytes: r.bytes,
  hash: r.hash,
  mtimeMs: r.mtime_ms,
  width: r.width,
  height: r.height,
  trashedAt: r.trashed_at,
});

export interface ImageRecord {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
  hash: string | null;
  width: number | null;
  height: number | null;
  status: ImageStatus;
  error: string | null;
  indexedAt: number;
  /** For a failed file, the kind of failure (a DecodeFailureCode) when known; null for indexed ones. */
  failureCode?: string | null;
  /** For an indexed photo read from less than the whole picture: how (a RAW's small thumbnail, a cut-off JPEG). */
  note?: string | null;
  /** Schema 8: when it was taken (taken.ts), null until read; 'exif' or 'mtime'. */
  taken?: number | null;
  takenFrom?: string | null;
}

/** A file (or a hidden folder) under a library folder that is not read as a photo. */
export interface NotReadEntry {
  path: string;
  kind: NotReadKind;
  /** 1 for a file; a hidden folder's count of files. */
  files: number;
  /** For 'too-small': the file as read, so it is not decoded again until it changes. */
  size?: number;
  mtimeMs?: number;
}

/** Files not read of one kind, with a few example paths. */
export interface NotReadCount {
  kind: NotReadKind;
  files: number;
  examples: string[];
}

interface NotReadRow {
  path: string;
  kind: string;
  files: number;
  size: number | null;
  mtime_ms: number | null;
  seen: number;
}

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

export interface StoredDense {
  id: number;
  vector: Float32Array;
}

export interface IndexStats {
  indexed: number;
  failed: number;
  /** Documents with a bag (what N means for idf). Equals `indexed`. */
  docCount: number;
  /** Distinct terms with df > 0. */
  terms: number;
  settings: unknown;
}

export interface DfCheck {
  /** Stored df table and doc_count both equal what the bags imply. */
  ok: boolean;
  /** Terms whose stored df differs from the recomputed one (including missing/extra rows). */
  mismatchedTerms: number;
  storedDocCount: number;
  actualDocCount: number;
}

interface ImageRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  hash: string | null;
  width: number | null;
  height: number | null;
  status: ImageStatus;
  error: string | null;
  indexed_at: number;
  failure_code: string | null;
  note: string | null;
  taken: number | null;
  taken_from: string | null;
}

interface BagRow {
  id: number;
  path: string;
  n_terms: number;
  terms: Buffer;
  tfs: Buffer;
}

interface GridRow {
  id: number;
  path: string;
  heads: number;
  height: number;
  width: number;
  codes: number;
  tokens: Buffer;
}

interface FolderRow {
  id: number;
  path: string;
  added_at: number;
}

interface PhotoRow {
  id: number;
  path: string;
  width: number | null;
  height: number | null;
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
    const it = db.prepare<[], BagRow>(
      'SELECT b.image_id AS id, i.path, b.n_terms, b.terms, b.tfs FROM bags b JOIN images i ON i.id = b.image_id ORDER BY b.image_id',
    );
    function* bags(): IterableIterator<StoredBag> {
      for (const row of it.iterate()) yield { id: row.id, path: row.path, bag: decodeBag(row) };
    }
    return db.transaction(() => fn(bags))();
  } finally {
    db.close();
  }
}

/** Bounds of the paths strictly under `dir` (see countUnder). */
function underRange(dir: string): [string, string] {
  const base = dir.endsWith(sep) ? dir.slice(0, -1) : dir;
  return [base + sep, base + String.fromCharCode(sep.charCodeAt(0) + 1)];
}

function prepareStatements(db_: Database.Database) {
  return {
    byPath: db_.prepare<[string], ImageRow>('SELECT * FROM images WHERE path = ?'),
    byId: db_.prepare<[number], ImageRow>('SELECT * FROM images WHERE id = ?'),
    listImages: db_.prepare<[], ImageRow>('SELECT * FROM images ORDER BY id'),
    insertImage: db_.prepare(
      `INSERT INTO images (path, size, mtime_ms, hash, width, height, status, error, indexed_at, failure_code, note, taken, taken_from)
       VALUES (@path, @size, @mtimeMs, @hash, @width, @height, @status, @error, @indexedAt, @failureCode, @note, @taken, @takenFrom)`,
    ),
    updateImage: db_.prepare(
      `UPDATE images SET size = @size, mtime_ms = @mtimeMs, hash = @hash, width = @width, height = @height,
         status = @status, error = @error, indexed_at = @indexedAt, failure_code = @failureCode, note = @note,
         taken = @taken, taken_from = @takenFrom WHERE id = @id`,
    ),
    deleteImage: db_.prepare<[number]>('DELETE FROM images WHERE id = ?'),
    putGrid: db_.prepare(
      'INSERT OR REPLACE INTO grids (image_id, heads, height, width, codes, tokens) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deleteGrid: db_.prepare<[number]>('DELETE FROM grids WHERE image_id = ?'),
    getGrid: db_.prepare<[number], GridRow>(
      'SELECT g.image_id AS id, i.path, g.heads, g.height, g.width, g.codes, g.tokens FROM grids g JOIN images i ON i.id = g.image_id WHERE g.image_id = ?',
    ),
    iterGrids: db_.prepare<[], GridRow>(
      'SELECT g.image_id AS id, i.path, g.heads, g.height, g.width, g.codes, g.tokens FROM grids g JOIN images i ON i.id = g.image_id ORDER BY g.image_id',
    ),
    putDense: db_.prepare<[number, number, Buffer]>('INSERT OR REPLACE INTO dense (image_id, dim, vector) VALUES (?, ?, ?)'),
    deleteDense: db_.prepare<[number]>('DELETE FROM dense WHERE image_id = ?'),
    putPhash: db_.prepare<[number, Buffer]>('INSERT OR REPLACE INTO phash (image_id, dct) VALUES (?, ?)'),
    deletePhash: db_.prepare<[number]>('DELETE FROM phash WHERE image_id = ?'),
    getPhash: db_.prepare<[number], { dct: Buffer }>('SELECT dct FROM phash WHERE image_id = ?'),
    iterPhash: db_.prepare<[], { id: number; dct: Buffer }>(
      "SELECT p.image_id AS id, p.dct FROM phash p JOIN images i ON i.id = p.image_id WHERE i.status = 'indexed' ORDER BY p.image_id",
    ),
    missingPhash: db_.prepare<[], { id: number; path: string }>(
      "SELECT i.id, i.path FROM images i LEFT JOIN phash p ON p.image_id = i.id WHERE i.status = 'indexed' AND p.image_id IS NULL ORDER BY i.id",
    ),
    missingDense: db_.prepare<[], { id: number; path: string }>(
      "SELECT i.id, i.path FROM images i LEFT JOIN dense d ON d.image_id = i.id WHERE i.status = 'indexed' AND d.image_id IS NULL ORDER BY i.id",
    ),
    iterDense: db_.prepare<[], { id: number; dim: number; vector: Buffer }>(
      'SELECT image_id AS id, dim, vector FROM dense ORDER BY image_id',
    ),
    putBag: db_.prepare('INSERT INTO bags (image_id, n_terms, terms, tfs) VALUES (?, ?, ?, ?)'),
    deleteBag: db_.prepare<[number]>('DELETE FROM bags WHERE image_id = ?'),
    getBag: db_.prepare<[number], BagRow>(
      'SELECT b.image_id AS id, i.path, b.n_terms, b.terms, b.tfs FROM bags b JOIN images i ON i.id = b.image_id WHERE b.image_id = ?',
    ),
    iterBags: db_.prepare<[], BagRow>(
      'SELECT b.image_id AS id, i.path, b.n_terms, b.terms, b.tfs FROM bags b JOIN images i ON i.id = b.image_id ORDER BY b.image_id',
    ),
    // df maintenance goes through json_each so a 4,000-term bag is one statement executed inside
    // SQLite instead of 4,000 round trips through the binding. Adding takes a JSON object of
    // term -> how many of the photos being stored have it.
    dfAddCounts: db_.prepare<[string]>(
      'INSERT INTO df (term, df) SELECT CAST(key AS INTEGER), value FROM json_each(?) WHERE true ON CONFLICT(term) DO UPDATE SET df = df + excluded.df',
    ),
    // Drop rows that would reach 0 first, so the CHECK (df > 0) never sees a zero.
    dfDropLast: db_.prepare<[string]>('DELETE FROM df WHERE df = 1 AND term IN (SELECT value FROM json_each(?))'),
    dfSub: db_.prepare<[string]>('UPDATE df SET df = df - 1 WHERE term IN (SELECT value FROM json_each(?))'),
    docCountAdd: db_.prepare<[number]>(
      "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + ? AS TEXT) WHERE key = 'doc_count'",
    ),
    getMeta: db_.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: db_.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    countStatus: db_.prepare<[], { status: ImageStatus; n: number }>('SELECT status, COUNT(*) AS n FROM images GROUP BY status'),
    countTerms: db_.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM df'),
    notes: db_.prepare<[], { path: string; note: string }>(
      "SELECT path, note FROM images WHERE status = 'indexed' AND note IS NOT NULL ORDER BY path",
    ),
    failures: db_.prepare<[], { path: string; error: string | null }>(
      "SELECT path, error FROM images WHERE status = 'failed' ORDER BY path",
    ),
    allDf: db_.prepare<[], { term: number; df: number }>('SELECT term, df FROM df'),
    listFolders: db_.prepare<[], FolderRow>('SELECT id, path, added_at FROM folders ORDER BY path'),
    addFolder: db_.prepare<[string, number]>('INSERT INTO folders (path, added_at) VALUES (?, ?)'),
    deleteFolder: db_.prepare<[number]>('DELETE FROM folders WHERE id = ?'),
    // Paths under a folder are the range [dir + '/', dir + '0'): '0' is the character after '/',
    // so the UNIQUE index on path answers it without a scan.
    countUnder: db_.prepare<[string, string], { status: ImageStatus; n: number }>(
      'SELECT status, COUNT(*) AS n FROM images WHERE path >= ? AND path < ? GROUP BY status',
    ),
    pageUnder: db_.prepare<[string, string, number, number], PhotoRow>(
      "SELECT id, path, width, height FROM images WHERE status = 'indexed' AND path >= ? AND path < ? ORDER BY path LIMIT ? OFFSET ?",
    ),
    pageAll: db_.prepare<[number, number], PhotoRow>(
      "SELECT id, path, width, height FROM images WHERE status = 'indexed' ORDER BY path LIMIT ? OFFSET ?",
    ),
    pathsUnder: db_.prepare<[string, string], { path: string }>('SELECT path FROM images WHERE path >= ? AND path < ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

export class IndexStore {
  private readonly stmts: Statements;
  private changes = 0;
  private liveStmts?: {
    indexedSince: Database.Statement<[number], { id: number; indexed_at: number }>;
    indexedIds: Database.Statement<[], number>;
    countIndexed: Database.Statement<[], number>;
  };

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    this.stmts = prepareStatements(db);
  }

  /**
   * Open (creating if needed) the index at `path` (':memory:' works for tests).
   * Throws if the file was built with another fingerprint, unless `rebuild` is set, since mixing
   * bags from two models or k-gram settings would make every score meaningless.
   */
  static open(path: string, opts: OpenOptions): IndexStore {
    const db = new Database(path);
    try {
      // Identify the file before anything writes to it: switching a foreign SQLite file to WAL
      // would already change its header, and a newer schema must stay exactly as it is.
      inspectSchema(db, path);
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode may lose the last commits on power loss but never corrupts: fine for
      // an index that can be re-scanned.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      initOrCheck(db, path, opts);
      return new IndexStore(db, path);
    } catch (err) {
      db.close();
      throw writeError(err, path);
    }
  }

  /**
   * The settings an existing index was built with, without opening it for writing or checking
   * its fingerprint (so a caller can reuse them before computing the fingerprint). undefined if the
   * file is missing or is not a Photowords index of this schema version.
   */
  static readSettings(path: string): unknown {
    const json = IndexStore.peekMeta(path, 'settings');
    return json === undefined ? undefined : JSON.parse(json);
  }

  /** The fingerprint an existing index was built with (for tools that check an index as it is). */
  static readFingerprint(path: string): string | undefined {
    return IndexStore.peekMeta(path, 'fingerprint');
  }

  /** A value the app keeps with the index (setPref), read without opening the index. */
  static readPref(path: string, key: string): string | undefined {
    return IndexStore.peekMeta(path, `pref.${key}`);
  }

  private static peekMeta(path: string, key: string): string | undefined {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch {
      return undefined;
    }
    try {
      const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
      if (!hasMeta) return undefined;
      const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
      // Older schemas keep meta's keys as they are (open() migrates the rest); newer ones are unknown.
      const version = Number(get.get('schema_version')?.value);
      if (!(Number.isInteger(version) && version >= 1 && version <= SCHEMA_VERSION)) return undefined;
      return get.get(key)?.value;
    } catch {
      return undefined; // not an SQLite file at all: open() says so
    } finally {
      db.close();
    }
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
    return this.meta('fingerprint') ?? '';
  }

  get settings(): unknown {
    return JSON.parse(this.meta('settings') ?? 'null');
  }

  /** The stored record for a file, so the scanner can skip files whose size and mtime are unchanged. */
  getByPath(path: string): ImageRecord | undefined {
    const row = this.stmts.byPath.get(path);
    return row && toRecord(row);
  }

  getById(id: number): ImageRecord | undefined {
    const row = this.stmts.byId.get(id);
    return row && toRecord(row);
  }

  /** Every known file, indexed or failed, in id order (e.g. to prune files that disappeared). */
  listImages(): ImageRecord[] {
    return this.stmts.listImages.all().map(toRecord);
  }

  /**
   * Store a successfully indexed photo, replacing whatever was stored for its path (same id is
   * kept). df and doc_count move in the same transaction as the bag.
   */
  putIndexed(file: IndexedFileInfo, grid: TokenGrid, bag: Bag, phash?: Float32Array): number {
    return this.putIndexedMany([{ file, grid, bag, phash }])[0];
  }

  /**
   * Several photos in one transaction, their df increments summed first: per photo, SQLite's
   * share of indexing was about 1 ms, most of it the ~800 df upserts, and photos share most of
   * their terms. Returns the ids in the entries' order.
   */
  putIndexedMany(entries: readonly IndexedEntry[]): number[] {
    const encoded = entries.map((e) => ({ ...e, tokens: encodeGrid(e.grid), ...encodeBag(e.bag) }));
    return this.transaction(() => {
      const dfDelta = new Map<number, number>();
      const flushDf = () => {
        if (dfDelta.size === 0) return;
        let json = '{';
        for (const [term, n] of dfDelta) json += `${json.length > 1 ? ',' : ''}"${term}":${n}`;
        this.stmts.dfAddCounts.run(json + '}');
        dfDelta.clear();
      };
      const ids = encoded.map((e) => {
        // Replacing a stored photo takes its old terms out of df: the sums so far must be in first.
        const existing = this.stmts.byPath.get(e.file.path);
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
        this.stmts.putGrid.run(id, e.grid.heads, e.grid.height, e.grid.width, e.grid.codes, e.tokens);
        this.stmts.putBag.run(id, e.bag.terms.length, e.terms, e.tfs);
        if (e.phash) this.stmts.putPhash.run(id, encodePhash(e.phash));
        for (const t of e.bag.terms) dfDelta.set(t, (dfDelta.get(t) ?? 0) + 1);
        this.changes++;
        return id;
      });
      flushDf();
      this.stmts.docCountAdd.run(entries.length);
      return ids;
    });
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
        this.stmts.byPath.get(file.path),
      ),
    );
  }

  /** Forget a file (e.g. deleted from disk). Returns whether it was known. */
  remove(path: string): boolean {
    this.changes++;
    return this.transaction(() => {
      const existing = this.stmts.byPath.get(path);
      if (!existing) return false;
      this.dropBag(existing.id);
      this.stmts.deleteImage.run(existing.id); // cascades to grids
      return true;
    });
  }

  // ---- keeping a photo's identity (the watcher, reconcile) -------------------------------------

  private syncStmts?: {
    move: Database.Statement<[string, number, number, number]>;
    touch: Database.Statement<[number, number, number]>;
    under: Database.Statement<[string, string, number], ImageRow>;
    byHash: Database.Statement<[string], ImageRow>;
  };

  private sync() {
    if (!this.syncStmts) {
      // Finding a photo by its content (a renamed file, a copy) uses the images_hash index (schema 2).
      this.syncStmts = {
        move: this.db.prepare('UPDATE images SET path = ?, size = ?, mtime_ms = ? WHERE id = ?'),
        touch: this.db.prepare('UPDATE images SET size = ?, mtime_ms = ? WHERE id = ?'),
        under: this.db.prepare("SELECT * FROM images WHERE path > ? AND path < ? ORDER BY path LIMIT ?"),
        byHash: this.db.prepare("SELECT * FROM images WHERE hash = ? AND status = 'indexed' ORDER BY id LIMIT 1"),
      };
    }
    return this.syncStmts;
  }

  /**
   * A file renamed or moved with the same content: its row takes the new path (and the file's
   * size and mtime); its id, grid, bag and df stay as they are, and no model runs. Whatever was
   * stored for the new path before (a failed file, an older photo) is forgotten first.
   */
  move(from: string, to: string, file: { size: number; mtimeMs: number }): boolean {
    this.changes++;
    return this.transaction(() => {
      const existing = this.stmts.byPath.get(from);
      if (!existing) return false;
      if (from !== to) this.remove(to);
      this.sync().move.run(to, file.size, file.mtimeMs, existing.id);
      return true;
    });
  }

  /** The file was touched but its bytes are the same (hash checked): only size and mtime change. */
  touch(path: string, file: { size: number; mtimeMs: number }): boolean {
    const existing = this.stmts.byPath.get(path);
    if (!existing) return false;
    this.sync().touch.run(file.size, file.mtimeMs, existing.id);
    return true;
  }

  /**
   * Known files under a folder, a page at a time in path order, starting after `after` (''
   * for the first page), so a reconcile never holds a whole library's rows at once.
   */
  recordsUnder(dir: string, after: string, limit: number): ImageRecord[] {
    const [lo, hi] = underRange(dir);
    return this.sync().under.all(after > lo ? after : lo, hi, limit).map(toRecord);
  }

  /** An indexed photo with exactly these bytes (sha256), if any. */
  /** Ids of indexed photos that share their content hash with another, one group per hash (ids ascending), by first id. */
  hashGroups(): number[][] {
    const rows = this.db
      .prepare<[], { ids: string }>(
        `SELECT group_concat(id) AS ids FROM (SELECT id, hash FROM images
           WHERE status = 'indexed' AND hash IS NOT NULL ORDER BY hash, id) GROUP BY hash HAVING COUNT(*) > 1 ORDER BY MIN(id)`,
      )
      .all();
    return rows.map((r) => r.ids.split(',').map(Number).sort((a, b) => a - b));
  }

  findIndexedByHash(hash: string): ImageRecord | undefined {
    const row = this.sync().byHash.get(hash);
    return row && toRecord(row);
  }

  /** Number of known files (indexed + failed). */
  count(): number {
    let n = 0;
    for (const r of this.stmts.countStatus.all()) n += r.n;
    return n;
  }

  stats(): IndexStats {
    let indexed = 0;
    let failed = 0;
    for (const r of this.stmts.countStatus.all()) {
      if (r.status === 'indexed') indexed = r.n;
      else failed = r.n;
    }
    return {
      indexed,
      failed,
      docCount: Number(this.meta('doc_count') ?? 0),
      terms: this.stmts.countTerms.get()!.n,
      settings: this.settings,
    };
  }

  listFolders(): { id: number; path: string; addedAt: number }[] {
    return this.stmts.listFolders.all().map((r) => ({ id: r.id, path: r.path, addedAt: r.added_at }));
  }

  addFolder(path: string): number {
    return Number(this.stmts.addFolder.run(path, Date.now()).lastInsertRowid);
  }

  deleteFolder(id: number): void {
    this.stmts.deleteFolder.run(id);
  }

  /** Indexed and failed files under a folder. */
  countUnder(dir: string): { indexed: number; failed: number } {
    const out = { indexed: 0, failed: 0 };
    for (const r of this.stmts.countUnder.all(...underRange(dir))) out[r.status] = r.n;
    return out;
  }

  /** A page of indexed photos under a folder, in path order. */
  pageUnder(dir: string, offset: number, limit: number): { id: number; path: string; width: number | null; height: number | null }[] {
    return this.stmts.pageUnder.all(...underRange(dir), limit, offset);
  }

  /** A page of every indexed photo, in path order. */
  pageAll(offset: number, limit: number): { id: number; path: string; width: number | null; height: number | null }[] {
    return this.stmts.pageAll.all(limit, offset);
  }

  private photoListInstance?: PhotoList;
  /** The grid's queries (photolist.ts): pages in date, name, size or type order, date counts, subfolders. */
  photoList(): PhotoList {
    return (this.photoListInstance ??= new PhotoList(this.db, () => this.changes));
  }

  /** Every known path under a folder (indexed or failed). */
  pathsUnder(dir: string): string[] {
    return this.stmts.pathsUnder.all(...underRange(dir)).map((r) => r.path);
  }

  /** A value the app keeps with the index (e.g. the chosen scoring), or undefined. */
  getPref(key: string): string | undefined {
    return this.meta(`pref.${key}`);
  }

  setPref(key: string, value: string): void {
    this.stmts.setMeta.run(`pref.${key}`, value);
  }

  failures(): { path: string; error: string }[] {
    return this.stmts.failures.all().map((r) => ({ path: r.path, error: r.error ?? '' }));
  }

  /** Indexed photos read from less than the whole picture, with how (a RAW's thumbnail, a cut-off file). */
  notes(): { path: string; note: string }[] {
    return this.stmts.notes.all();
  }

  // ---- files not read as photos (schema 6) ----------------------------------------------------

  private nrStmts?: {
    put: Database.Statement<[string, string, number, number | null, number | null, number]>;
    get: Database.Statement<[string], NotReadRow>;
    del: Database.Statement<[string]>;
    mark: Database.Statement<[number, string]>;
    sweep: Database.Statement<[string, string, number]>;
    sweepAt: Database.Statement<[string, number]>;
    delUnder: Database.Statement<[string, string]>;
    delAt: Database.Statement<[string]>;
    countUnder: Database.Statement<[string, string], { kind: string; files: number }>;
    countAll: Database.Statement<[], { kind: string; files: number }>;
    examplesUnder: Database.Statement<[string, string, string, number], { path: string }>;
    examplesAll: Database.Statement<[string, number], { path: string }>;
    maxSeen: Database.Statement<[], number | null>;
  };
  private notReadGen?: number;

  private nr() {
    this.nrStmts ??= {
      put: this.db.prepare('INSERT OR REPLACE INTO not_read (path, kind, files, size, mtime_ms, seen) VALUES (?, ?, ?, ?, ?, ?)'),
      get: this.db.prepare('SELECT * FROM not_read WHERE path = ?'),
      del: this.db.prepare('DELETE FROM not_read WHERE path = ?'),
      mark: this.db.prepare('UPDATE not_read SET seen = ? WHERE path = ?'),
      sweep: this.db.prepare('DELETE FROM not_read WHERE path >= ? AND path < ? AND seen < ?'),
      sweepAt: this.db.prepare('DELETE FROM not_read WHERE path = ? AND seen < ?'),
      delUnder: this.db.prepare('DELETE FROM not_read WHERE path >= ? AND path < ?'),
      delAt: this.db.prepare('DELETE FROM not_read WHERE path = ?'),
      countUnder: this.db.prepare('SELECT kind, SUM(files) AS files FROM not_read WHERE path >= ? AND path < ? GROUP BY kind'),
      countAll: this.db.prepare('SELECT kind, SUM(files) AS files FROM not_read GROUP BY kind'),
      examplesUnder: this.db.prepare('SELECT path FROM not_read WHERE kind = ? AND path >= ? AND path < ? ORDER BY path LIMIT ?'),
      examplesAll: this.db.prepare('SELECT path FROM not_read WHERE kind = ? ORDER BY path LIMIT ?'),
      maxSeen: this.db.prepare<[], number | null>('SELECT MAX(seen) FROM not_read').pluck(),
    };
    this.notReadGen ??= (this.nrStmts.maxSeen.get() ?? 0) + 1;
    return this.nrStmts;
  }

  /**
   * Starts a scan generation: rows written or re-marked from now on are newer than the returned
   * mark, so a scan that ran to the end can drop what it did not find (sweepNotRead).
   */
  notReadMark(): number {
    this.nr();
    return ++this.notReadGen!;
  }

  /**
   * Records a file (or a hidden folder, with its file count) that is not read as a photo. A path
   * is either an image row or a not-read one, never both: a photo stored for this path (or, for
   * a hidden folder, under it: the setting was turned off) is forgotten. Returns how many photos
   * were forgotten.
   */
  putNotRead(e: NotReadEntry): number {
    const s = this.nr();
    return this.transaction(() => {
      s.put.run(e.path, e.kind, e.files, e.size ?? null, e.mtimeMs ?? null, this.notReadGen!);
      let removed = this.stmts.byPath.get(e.path) && this.remove(e.path) ? 1 : 0;
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
    const r = this.nr().get.get(path);
    return r && { path: r.path, kind: r.kind as NotReadKind, files: r.files, size: r.size ?? undefined, mtimeMs: r.mtime_ms ?? undefined };
  }

  /** Found again by the scan in progress (a too-small file skipped as unchanged). */
  markNotRead(path: string): void {
    const s = this.nr();
    s.mark.run(this.notReadGen!, path);
  }

  forgetNotRead(path: string): boolean {
    return this.nr().del.run(path).changes > 0;
  }

  /** Drops the rows at or under `dir` that no scan found since `mark`. Returns how many went. */
  sweepNotRead(dir: string, mark: number): number {
    const s = this.nr();
    return this.transaction(() => s.sweep.run(...underRange(dir), mark).changes + s.sweepAt.run(dir, mark).changes);
  }

  /** Forgets every row at or under `dir` (a folder removed from the library, or gone from disk). */
  forgetNotReadUnder(dir: string): number {
    const s = this.nr();
    return this.transaction(() => s.delUnder.run(...underRange(dir)).changes + s.delAt.run(dir).changes);
  }

  /**
   * Files not read under `dir` (every folder when left out), by kind in NOT_READ_KINDS order,
   * each with up to `examples` paths (the first in path order). Kinds with no file are left out.
   */
  notReadSummary(dir?: string, examples = 3): NotReadCount[] {
    const s = this.nr();
    const range = dir === undefined ? undefined : underRange(dir);
    const rows = range ? s.countUnder.all(...range) : s.countAll.all();
    const files = new Map(rows.map((r) => [r.kind, r.files]));
    const out: NotReadCount[] = [];
    for (const kind of NOT_READ_KINDS) {
      const n = files.get(kind) ?? 0;
      if (n === 0) continue;
      const ex = range ? s.examplesUnder.all(kind, ...range, examples) : s.examplesAll.all(kind, examples);
      out.push({ kind, files: n, examples: ex.map((r) => r.path) });
    }
    return out;
  }

  /** Term -> document frequency, as maintained with the bags (what idf is computed from). */
  documentFrequencies(): Map<number, number> {
    const m = new Map<number, number>();
    for (const { term, df } of this.stmts.allDf.iterate()) m.set(term, df);
    return m;
  }

  getBag(id: number): Bag | undefined {
    const row = this.stmts.getBag.get(id);
    return row && decodeBag(row);
  }

  getGrid(id: number): TokenGrid | undefined {
    const row = this.stmts.getGrid.get(id);
    return row && decodeGrid(row);
  }

  /**
   * Counts calls that may change which photos are indexed or what their words are (putIndexed,
   * putFailed, remove, move), in this process: the query index (liveindex.ts) looks at the
   * store again only when it moved.
   */
  get changeCount(): number {
    return this.changes;
  }

  private live() {
    // `+status` keeps SQLite off the images_status index here: one pass over the table beats an
    // index walk plus a row lookup for every indexed photo.
    this.liveStmts ??= {
      indexedSince: this.db.prepare("SELECT id, indexed_at FROM images WHERE +status = 'indexed' AND indexed_at >= ? ORDER BY id"),
      indexedIds: this.db.prepare<[], number>("SELECT id FROM images WHERE status = 'indexed' ORDER BY id").pluck(),
      countIndexed: this.db.prepare<[], number>("SELECT COUNT(*) FROM images WHERE status = 'indexed'").pluck(),
    };
    return this.liveStmts;
  }

  /** Indexed photos whose words were stored at or after `ms` (epoch ms, images.indexed_at), in id order. */
  indexedSince(ms: number): { id: number; indexedAt: number }[] {
    return this.live()
      .indexedSince.all(ms)
      .map((r) => ({ id: r.id, indexedAt: r.indexed_at }));
  }

  /** Ids of every indexed photo, ascending. */
  indexedIds(): number[] {
    return this.live().indexedIds.all();
  }

  /** How many photos are indexed. */
  countIndexed(): number {
    return this.live().countIndexed.get()!;
  }

  /**
   * Bags in id order, streamed, so an inverted index can be built in two passes without holding
   * every bag in memory (see buildInvertedIndex). Do not write to the store while iterating.
   */
  *iterBags(): IterableIterator<StoredBag> {
    for (const row of this.stmts.iterBags.iterate()) yield { id: row.id, path: row.path, bag: decodeBag(row) };
  }

  loadAll(): StoredBag[] {
    return Array.from(this.iterBags());
  }

  /** Token grids in id order (for CropAndJaccard and for re-deriving bags with other settings). */
  *iterGrids(): IterableIterator<StoredGrid> {
    for (const row of this.stmts.iterGrids.iterate()) yield { id: row.id, path: row.path, grid: decodeGrid(row) };
  }

  /** Attach a pooled feature vector to an indexed image (replaces any previous one). */
  putDense(id: number, vector: Float32Array): void {
    this.stmts.putDense.run(id, vector.length, bytesOf(vector));
  }

  /** Attach a perceptual hash (phash.ts lowFrequencyDct) to an indexed image. */
  putPhash(id: number, dct: Float32Array): void {
    this.stmts.putPhash.run(id, encodePhash(dct));
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

  /** Records a decision about duplicates; `hashes` are content sha256s (at least two distinct). */
  addDecision(kind: DecisionKind, hashes: string[], keeper?: string): number {
    const set = [...new Set(hashes)].sort();
    if (set.length < 2 && kind !== 'keeper') throw new Error('a decision needs at least two different photos');
    if (kind === 'keeper' && (!keeper || !set.includes(keeper))) throw new Error('the chosen keeper must be one of the photos');
    return Number(
      this.db.prepare('INSERT INTO decisions (kind, hashes, keeper, created_at) VALUES (?, ?, ?, ?)').run(kind, JSON.stringify(set), keeper ?? null, Date.now()).lastInsertRowid,
    );
  }

  /** Every decision, newest first, with the photos that now hold its hashes and whether any hash is gone. */
  listDecisions(): Decision[] {
    const rows = this.db.prepare<[], { id: number; kind: DecisionKind; hashes: string; keeper: string | null; created_at: number }>('SELECT * FROM decisions ORDER BY id DESC').all();
    const byHash = this.db.prepare<[string], { id: number; path: string }>("SELECT id, path FROM images WHERE hash = ? AND status = 'indexed' ORDER BY id");
    return rows.map((r) => {
      const hashes = JSON.parse(r.hashes) as string[];
      const photos = hashes.map((h) => ({ hash: h, photos: byHash.all(h) }));
      return {
        id: r.id,
        kind: r.kind,
        hashes,
        keeper: r.keeper,
        createdAt: r.created_at,
        photos,
        // A hash no photo holds any more: that photo changed or is gone, so the decision no
        // longer covers it (its new content is judged afresh).
        stale: photos.some((p) => p.photos.length === 0),
      };
    });
  }

  /** Undoes a decision; returns whether it existed. */
  deleteDecision(id: number): boolean {
    return this.db.prepare('DELETE FROM decisions WHERE id = ?').run(id).changes > 0;
  }

  // ---- what Photowords trashed (schema 9) --------------------------------------------------------

  /** Records a file moved to the system's trash; returns the row's id. */
  addTrashed(t: Omit<TrashedRecord, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO trashed (path, folder, bytes, hash, mtime_ms, width, height, trashed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(t.path, t.folder, t.bytes, t.hash, t.mtimeMs, t.width, t.height, t.trashedAt).lastInsertRowid,
    );
  }

  /** Every trashed file on record, newest first. */
  listTrashed(): TrashedRecord[] {
    return this.db
      .prepare<[], TrashedRow>('SELECT * FROM trashed ORDER BY trashed_at DESC, id DESC')
      .all()
      .map(trashedRecord);
  }

  getTrashed(id: number): TrashedRecord | undefined {
    const r = this.db.prepare<[number], TrashedRow>('SELECT * FROM trashed WHERE id = ?').get(id);
    return r && trashedRecord(r);
  }

  /** Forgets a trashed file (restored, or gone from the trash); returns whether it was on record. */
  deleteTrashed(id: number): boolean {
    return this.db.prepare('DELETE FROM trashed WHERE id = ?').run(id).changes > 0;
  }

  /** Stored pooled vectors in id order. */
  *iterDense(): IterableIterator<StoredDense> {
    for (const row of this.stmts.iterDense.iterate()) {
      if (row.vector.byteLength !== row.dim * 4) throw new Error(`corrupt dense vector for image ${row.id}`);
      const vector = new Float32Array(row.dim);
      new Uint8Array(vector.buffer).set(row.vector);
      yield { id: row.id, vector };
    }
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
    const storedDocCount = Number(this.meta('doc_count') ?? 0);
    return {
      ok: mismatchedTerms === 0 && storedDocCount === actualDocCount,
      mismatchedTerms,
      storedDocCount,
      actualDocCount,
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private meta(key: string): string | undefined {
    return this.stmts.getMeta.get(key)?.value;
  }

  /** Insert or update the image row for row.path (dropping any old bag/grid); returns its id. Caller holds a transaction. */
  /** `existing` is what is stored for row.path (callers look it up; putIndexedMany needs it first). */
  private upsertImage(row: Omit<ImageRecord, 'id'>, existing: ImageRow | undefined): number {
    const values = { ...row, failureCode: row.failureCode ?? null, note: row.note ?? null, taken: row.taken ?? null, takenFrom: row.takenFrom ?? null };
    if (!existing) return Number(this.stmts.insertImage.run(values).lastInsertRowid);
    this.dropBag(existing.id);
    this.stmts.deleteGrid.run(existing.id);
    this.stmts.deleteDense.run(existing.id); // it described the old content
    this.stmts.deletePhash.run(existing.id);
    this.stmts.updateImage.run({ ...values, id: existing.id });
    return existing.id;
  }

  /** Remove an image's bag and take its terms back out of df. Caller holds a transaction. */
  private dropBag(id: number): void {
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
}

/** The schema version a file records, or undefined for a new (empty) file; throws for anything this build must not touch. */
function inspectSchema(db: Database.Database, path: string): number | undefined {
  let tables: { name: string }[];
  try {
    tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new Error(`${path} is not an SQLite database, so not a Photowords index; refusing to touch it.`);
    }
    throw writeError(err, path);
  }
  if (tables.length === 0) return undefined;
  const hasMeta = tables.some((t) => t.name === 'meta');
  const raw = hasMeta
    ? db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value
    : undefined;
  if (raw === undefined) {
    throw new Error(`${path} is an SQLite file but not a Photowords index (no schema version); refusing to touch it.`);
  }
  const version = Number(raw);
  if (!Number.isInteger(version) || version < 1) {
    throw new Error(`${path} records schema version "${raw}", which no Photowords release wrote; refusing to touch it.`);
  }
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `Index at ${path} has schema version ${version}, newer than this Photowords build can read (schema ${SCHEMA_VERSION} and older). ` +
        'It was written by a newer Photowords release: update Photowords, or choose another index path. The file was left unchanged.',
    );
  }
  return version;
}

function initOrCheck(db: Database.Database, path: string, opts: OpenOptions): void {
  const settingsJson = JSON.stringify(opts.settings);
  let migratedFrom: number | undefined;
  // IMMEDIATE: the write lock is taken before the version is read, so two processes opening an
  // old file at once cannot both migrate it.
  db.transaction(() => {
    const version = inspectSchema(db, path); // again, under the lock
    if (version === undefined) {
      db.exec(SCHEMA);
      const set = db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?)');
      set.run('schema_version', String(SCHEMA_VERSION));
      set.run('fingerprint', opts.fingerprint);
      set.run('settings', settingsJson);
      set.run('doc_count', '0');
      return;
    }
    if (version < SCHEMA_VERSION) {
      for (const step of MIGRATIONS) if (step.to > version) step.up(db);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
      migratedFrom = version;
    }
    const stored = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'fingerprint'").get()?.value;
    if (opts.rebuild) {
      // Cascades to grids and bags; df goes with them, so every count restarts from zero.
      db.exec('DELETE FROM images; DELETE FROM bags; DELETE FROM grids; DELETE FROM dense; DELETE FROM phash; DELETE FROM df;');
      const set = db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
      set.run('fingerprint', opts.fingerprint);
      set.run('settings', settingsJson);
      set.run('doc_count', '0');
      return;
    }
    if (stored !== opts.fingerprint) {
      const storedSettings = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'settings'").get()?.value;
      // Thrown inside the transaction: a migration that ran above is rolled back with it.
      throw new FingerprintMismatchError(path, stored ?? '', opts.fingerprint, storedSettings ?? '', settingsJson);
    }
  }).immediate();
  if (migratedFrom !== undefined) {
    const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
    log(`migrated index from schema ${migratedFrom} to ${SCHEMA_VERSION} (${path})`);
  }
}

/**
 * SQLite's write failures in words a person can act on. SQLITE_FULL etc. are not any photo's
 * fault, so the indexer stops on an IndexWriteError instead of blaming the photo in hand.
 */
export function writeError(err: unknown, path: string): unknown {
  if (err instanceof IndexWriteError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  const kept = 'Every photo stored before this is kept; run indexing again to go on.';
  if (code === 'SQLITE_FULL') {
    return new IndexWriteError(`the disk is full: could not write the index ${path} (SQLITE_FULL). Free some space on that disk. ${kept}`, code);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new IndexWriteError(`cannot write the index ${path}: the file or its folder is read-only or not permitted (${code}). ${kept}`, code);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new IndexWriteError(`disk error while writing the index ${path} (${code}: ${(err as Error).message}). ${kept}`, code);
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new IndexWriteError(`the index ${path} is damaged (${code}: ${(err as Error).message}); move it aside and index again.`, code);
  }
  return err;
}

function toRecord(r: ImageRow): ImageRecord {
  return {
    id: r.id,
    path: r.path,
    size: r.size,
    mtimeMs: r.mtime_ms,
    hash: r.hash,
    width: r.width,
    height: r.height,
    status: r.status,
    error: r.error,
    indexedAt: r.indexed_at,
    failureCode: r.failure_code ?? null,
    note: r.note ?? null,
    taken: r.taken ?? null,
    takenFrom: r.taken_from ?? null,
  };
}

function termsJson(terms: Uint32Array): string {
  return '[' + terms.join(',') + ']';
}

/** A Buffer over the typed array's own bytes (no copy); byteOffset/byteLength matter for subarrays. */
function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function encodeGrid(grid: TokenGrid): Buffer {
  const want = grid.heads * grid.height * grid.width;
  if (grid.tokens.length !== want) throw new Error(`token grid has ${grid.tokens.length} tokens, expected ${want}`);
  if (!grid.soft) return bytesOf(grid.tokens);
  // Soft-assignment grids (settings.softAssign) append the second codes and both distances.
  const { second, dist1, dist2 } = grid.soft;
  if (second.length !== want || dist1.length !== want || dist2.length !== want) throw new Error(`soft codes do not match the ${want}-token grid`);
  return Buffer.concat([bytesOf(grid.tokens), bytesOf(second), bytesOf(dist1), bytesOf(dist2)]);
}

function encodeBag(bag: Bag): { terms: Buffer; tfs: Buffer } {
  const { terms, tfs } = bag;
  if (terms.length !== tfs.length) throw new Error(`bag has ${terms.length} terms but ${tfs.length} counts`);
  // df counts each term once per document; duplicates or disorder would corrupt it.
  for (let i = 1; i < terms.length; i++) {
    if (terms[i] <= terms[i - 1]) throw new Error(`bag terms must be strictly ascending (at ${i}: ${terms[i - 1]}, ${terms[i]})`);
  }
  const counts = new Uint16Array(tfs.length);
  for (let i = 0; i < tfs.length; i++) {
    const v = Math.round(tfs[i]);
    counts[i] = v > 65535 ? 65535 : v < 0 ? 0 : v;
  }
  return { terms: bytesOf(terms), tfs: bytesOf(counts) };
}

// Reads copy the BLOB bytes into fresh typed arrays: the Buffer SQLite hands back may live in a
// shared pool at an offset that is not a multiple of 4, so viewing it in place is unsafe.
function decodeBag(row: BagRow): Bag {
  const n = row.n_terms;
  if (row.terms.byteLength !== n * 4 || row.tfs.byteLength !== n * 2) {
    throw new Error(`corrupt bag for image ${row.id}: ${n} terms but ${row.terms.byteLength}/${row.tfs.byteLength} bytes`);
  }
  const terms = new Uint32Array(n);
  new Uint8Array(terms.buffer).set(row.terms);
  const counts = new Uint16Array(n);
  new Uint8Array(counts.buffer).set(row.tfs);
  return { terms, tfs: Float32Array.from(counts) };
}

function decodeGrid(row: GridRow): TokenGrid {
  const n = row.heads * row.height * row.width;
  const soft = row.tokens.byteLength === n * 12;
  if (row.tokens.byteLength !== n * 2 && !soft) throw new Error(`corrupt grid for image ${row.id}: ${row.tokens.byteLength} bytes for ${n} tokens`);
  const tokens = new Uint16Array(n);
  new Uint8Array(tokens.buffer).set(row.tokens.subarray(0, n * 2));
  const grid: TokenGrid = { heads: row.heads, height: row.height, width: row.width, codes: row.codes, tokens };
  if (soft) {
    const second = new Uint16Array(n);
    const dist1 = new Float32Array(n);
    const dist2 = new Float32Array(n);
    new Uint8Array(second.buffer).set(row.tokens.subarray(n * 2, n * 4));
    new Uint8Array(dist1.buffer).set(row.tokens.subarray(n * 4, n * 8));
    new Uint8Array(dist2.buffer).set(row.tokens.subarray(n * 8, n * 12));
    grid.soft = { second, dist1, dist2 };
  }
  return grid;
}
