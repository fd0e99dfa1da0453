// Opening an index file: identify it before anything writes to it, then create it, migrate it
// (migrations.ts) or check that its words were made with the settings it is opened with.

import Database from 'better-sqlite3';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';
import { MIGRATIONS } from './migrations.js';
import { FingerprintMismatchError, writeError } from './errors.js';

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
 * Opens (creating if needed) the SQLite file at `path` as an index of this build's schema. See
 * IndexStore.open, the way in for everyone else.
 */
export function openIndexDatabase(path: string, opts: OpenOptions): Database.Database {
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
    return db;
  } catch (err) {
    db.close();
    throw writeError(err, path);
  }
}

/**
 * A meta value of an existing index, read without opening it for writing; undefined if the file
 * is missing or is not a Photowords index of this schema version or older.
 */
export function peekMeta(path: string, key: string): string | undefined {
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
  const raw = hasMeta ? db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value : undefined;
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
