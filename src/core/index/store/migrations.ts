// How an older index file is brought up to this build's layout (schema.ts): one step per schema
// version, run at open (open.ts).

import type Database from 'better-sqlite3';
import { DECISIONS_TABLE, DENSE_TABLE, FOLDERS_TABLE, INDEXED_AT_INDEX, NOT_READ_TABLE, PHASH_TABLE, TAKEN_INDEX, TRASHED_TABLE } from './schema.js';
import { AUTH_TABLES } from './auth.js';
/**
 * Ordered steps, each taking a file from schema `to - 1` to `to`. All steps a file needs run in
 * one transaction at open, together with the new schema_version, so a crash mid-migration leaves
 * the old file as it was. A new layout is one more entry here plus the change in schema.ts SCHEMA (what a
 * new file gets), and SCHEMA_VERSION bumped; test/unit/index/schema.test.ts keeps the schema-1 DDL to prove
 * old files still open.
 */
export const MIGRATIONS: { to: number; what: string; up: (db: Database.Database) => void }[] = [
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
    what: "photowords serve's sign-in: the owner's password hash, sessions and API tokens (store/auth.ts)",
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
  {
    to: 10,
    what: 'an index of when each photo was stored, so the first search of a session checks its saved query index without reading every row',
    up: (db) => {
      db.exec(INDEXED_AT_INDEX);
    },
  },
];
