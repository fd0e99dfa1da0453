// The index file's layout: the DDL a new file gets (SCHEMA) and the table definitions that the
// migrations (migrations.ts) add to older files, written once so both say the same thing.
// Why the words are a forward index (a bag per photo) and no posting table: docs/STORE.md#why-a-forward-index.

import { AUTH_TABLES } from './auth.js';

/**
 * The layout this build writes. A file records its version in meta.schema_version; an older file
 * is migrated at open (migrations.ts, one transaction), a newer one or a foreign SQLite file is
 * refused without being changed, so no build ever misreads a file laid out differently.
 */
export const SCHEMA_VERSION = 10;

// Optional pooled (pre-quantisation) feature vectors, written only when a caller asks for them
// (evaluation's no-quantisation baseline); normal indexing leaves this table empty. IF NOT EXISTS
// because it was added to schema 1 during development and older schema-1 files lack it.
export const DENSE_TABLE = `CREATE TABLE IF NOT EXISTS dense (
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  dim      INTEGER NOT NULL,
  vector   BLOB NOT NULL            -- Float32 LE
);`;

// Library folders the app watches and indexes (the CLI indexes whatever folders it is given and
// leaves this empty). Kept through --rebuild: the folders are the person's choice, not the index's.
export const FOLDERS_TABLE = `CREATE TABLE IF NOT EXISTS folders (
  id       INTEGER PRIMARY KEY,
  path     TEXT NOT NULL UNIQUE,
  added_at INTEGER NOT NULL
);`;

// A photo's perceptual hash (analysis/phash.ts): the 64 low DCT coefficients of its 32 x 32 grey image,
// for duplicate finding. Content-only (no model), so it is kept apart from the visual words.
export const PHASH_TABLE = `CREATE TABLE IF NOT EXISTS phash (
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  dct      BLOB NOT NULL            -- 64 x Float32 LE
);`;

// A person's decisions about duplicate groups (duplicates/find.ts), keyed by content hash so that
// they survive renames, moves, re-indexing and a rebuild with other settings (which keeps this
// table), and stop applying to a photo whose content changed (its hash is no longer in it).
export const DECISIONS_TABLE = `CREATE TABLE IF NOT EXISTS decisions (
  id         INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('not-duplicates', 'keep-all', 'keeper')),
  hashes     TEXT NOT NULL,         -- JSON array of sha256, sorted, at least 2
  keeper     TEXT,                  -- for 'keeper': the sha256 to keep
  created_at INTEGER NOT NULL
);`;

// Files under the library folders that are not read as photos (analysis/formats.ts NotReadKind): videos,
// sidecars, hidden folders, unsupported formats, photos too small to read. One row per file (a
// hidden folder is one row with its file count, as the walk never enters it), not per-folder
// totals: the scan and the watcher add and drop single paths, and a row per path is what lets
// them do that without recounting a folder, and what names the examples the UI and `info` show.
// At a million files this stays small next to images (a path, a word, three numbers, no
// ROWID: the path is the key, so a folder's counts are one range scan of the table itself).
// `seen` is the scan generation that last found the file: a complete scan of a folder drops the
// rows under it that it did not find (mark and sweep), so nothing has to hold the folder's
// list in memory. Kept through --rebuild: it describes files, not words.
export const NOT_READ_TABLE = `CREATE TABLE IF NOT EXISTS not_read (
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
// background, library/library.ts). The index serves the default order (newest first) and the date counts.
const TAKEN_COLUMNS = `taken REAL, -- schema 8: wall-clock ms as if UTC (see above)
  taken_from TEXT                   -- schema 8: 'exif' | 'mtime'`;
export const TAKEN_INDEX = 'CREATE INDEX IF NOT EXISTS images_taken ON images(status, taken);';

// Schema 9: what Photowords moved to the system's trash (trashPhotos), so the app can list it and
// put it back (library/trash.ts). One row per file trashed: where it was, from which library folder, its
// size, content hash and mtime as indexed, and when. The system's trash is the truth about what is
// still there; a row only says where to look. Kept through --rebuild: it describes files.
export const TRASHED_TABLE = `CREATE TABLE IF NOT EXISTS trashed (
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

// Schema 10: the photos stored since a moment, and the digest of those stored before it, are what a
// persisted query index is checked against at the first search of a session (search/persisted-snapshot.ts).
// Without this index both scanned every row; at a million photos that was most of a cold start's
// time beside reading the file (docs/EVAL.md, "Cold start").
export const INDEXED_AT_INDEX = 'CREATE INDEX IF NOT EXISTS images_indexed_at ON images(status, indexed_at);';

export const SCHEMA = `
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
${INDEXED_AT_INDEX}
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
