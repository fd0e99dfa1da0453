// Schema versioning on real SQLite files: an older index is migrated at open with its photos
// intact (and says so), a newer one and a file that is not a Photowords index are refused with a
// message and left byte for byte as they were, never misread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { IndexStore, SCHEMA_VERSION } from '../../../src/core/index/store.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'photowords-schema-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const OPTS = { fingerprint: 'fp-v1', settings: { model: 'a' } };

// The first layout Photowords shipped (schema 1), before the dense and folders tables were added
// to it: frozen here on purpose, it must never follow store.ts.
const V1_DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE images (
  id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, mtime_ms REAL NOT NULL,
  hash TEXT, width INTEGER, height INTEGER,
  status TEXT NOT NULL CHECK (status IN ('indexed', 'failed')), error TEXT, indexed_at INTEGER NOT NULL
);
CREATE INDEX images_status ON images(status);
CREATE TABLE grids (
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  heads INTEGER NOT NULL, height INTEGER NOT NULL, width INTEGER NOT NULL, codes INTEGER NOT NULL, tokens BLOB NOT NULL
);
CREATE TABLE bags (
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  n_terms INTEGER NOT NULL, terms BLOB NOT NULL, tfs BLOB NOT NULL
);
CREATE TABLE df (term INTEGER PRIMARY KEY, df INTEGER NOT NULL CHECK (df > 0));
`;

const BAGS = [
  [3, 70, 100_000],
  [3, 9, 70],
  [9, 4_000_000_000],
];

/** A schema-1 index written with schema 1's DDL and raw SQL, as a schema-1 build would have. */
function makeV1(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(V1_DDL);
  const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  meta.run('schema_version', '1');
  meta.run('fingerprint', OPTS.fingerprint);
  meta.run('settings', JSON.stringify(OPTS.settings));
  meta.run('doc_count', String(BAGS.length));
  const img = db.prepare("INSERT INTO images (path, size, mtime_ms, hash, width, height, status, error, indexed_at) VALUES (?, ?, ?, ?, 640, 480, 'indexed', NULL, 1)");
  const df = new Map<number, number>();
  BAGS.forEach((terms, i) => {
    const id = Number(img.run(`/photos/${i}.jpg`, 1000 + i, 1_700_000_000_000.5 + i, `h${i}`).lastInsertRowid);
    const tokens = Buffer.from(Uint16Array.from([i, 1, 2, 3]).buffer);
    db.prepare('INSERT INTO grids VALUES (?, 1, 2, 2, 1024, ?)').run(id, tokens);
    const t = Buffer.from(Uint32Array.from(terms).buffer);
    const tf = Buffer.from(Uint16Array.from(terms.map((_, j) => j + 1)).buffer);
    db.prepare('INSERT INTO bags VALUES (?, ?, ?, ?)').run(id, terms.length, t, tf);
    for (const term of terms) df.set(term, (df.get(term) ?? 0) + 1);
  });
  for (const [term, n] of df) db.prepare('INSERT INTO df VALUES (?, ?)').run(term, n);
  db.prepare("INSERT INTO images (path, size, mtime_ms, hash, width, height, status, error, indexed_at) VALUES ('/photos/locked.jpg', 5, 5, NULL, NULL, NULL, 'failed', 'permission denied', 1)").run();
  db.prepare(
    "INSERT INTO images (path, size, mtime_ms, hash, width, height, status, error, indexed_at) VALUES ('/photos/bad.jpg', 5, 5, NULL, NULL, NULL, 'failed', 'truncated or corrupt image data', 1)",
  ).run();
  db.close();
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const snapshot = (p: string) => ({ sha: sha(p), mtimeMs: statSync(p).mtimeMs, wal: existsSync(`${p}-wal`), shm: existsSync(`${p}-shm`) });

test(`a schema-1 index opens, is migrated to schema ${SCHEMA_VERSION} with a message, and keeps every photo`, (t) => {
  const path = join(tmp(t), 'v1.db');
  makeV1(path);
  assert.deepEqual(IndexStore.readSettings(path), OPTS.settings, 'its settings are readable before the migration');
  const logged: string[] = [];
  const store = IndexStore.open(path, { ...OPTS, log: (m) => logged.push(m) });
  try {
    console.log(`schema: ${logged.join('; ')}`);
    assert.deepEqual(logged, [`migrated index from schema 1 to ${SCHEMA_VERSION} (${path})`]);
    const s = store.stats();
    assert.equal(s.indexed, 3);
    assert.equal(s.failed, 2);
    assert.equal(s.docCount, 3);
    BAGS.forEach((terms, i) => {
      const rec = store.getByPath(`/photos/${i}.jpg`)!;
      assert.equal(rec.status, 'indexed');
      assert.equal(rec.hash, `h${i}`);
      assert.equal(rec.mtimeMs, 1_700_000_000_000.5 + i);
      assert.deepEqual([...store.getBag(rec.id)!.terms], terms);
      assert.deepEqual(
        [...store.getBag(rec.id)!.tfs],
        terms.map((_, j) => j + 1),
      );
      assert.deepEqual([...store.getGrid(rec.id)!.tokens], [i, 1, 2, 3]);
    });
    assert.ok(store.recomputeDf().ok, 'df still matches the bags');
    // What schema 2 adds works on the migrated file.
    assert.equal(store.getByPath('/photos/locked.jpg')!.failureCode, 'permission', 'a transient failure got its code');
    assert.equal(store.getByPath('/photos/bad.jpg')!.failureCode, null);
    store.addFolder('/photos');
    assert.equal(store.listFolders().length, 1);
    const id = store.putIndexed(
      { path: '/photos/new.jpg', size: 1, mtimeMs: 1, hash: 'n', width: 1, height: 1 },
      { heads: 1, height: 1, width: 1, codes: 1024, tokens: Uint16Array.from([7]) },
      { terms: Uint32Array.from([3, 5]), tfs: Float32Array.from([1, 1]) },
    );
    store.putDense(id, Float32Array.from([1, 2]));
    assert.ok(store.recomputeDf().ok);
    // Schema 6's not_read table: a hidden folder's entry forgets a photo indexed under it.
    store.putNotRead({ path: '/photos', kind: 'hidden', files: 4 });
    assert.equal(store.getByPath('/photos/new.jpg'), undefined);
    assert.deepEqual(store.notReadSummary(), [{ kind: 'hidden', files: 4, examples: ['/photos'] }]);
    assert.ok(store.recomputeDf().ok);
  } finally {
    store.close();
  }
  const db = new Database(path, { readonly: true });
  assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), String(SCHEMA_VERSION));
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  // A migrated file checks a saved query index by ranges of images_indexed_at, as a new file does,
  // instead of reading every row.
  const plan = (sql: string) =>
    db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all(0)
      .map((r) => (r as { detail: string }).detail)
      .join('; ');
  assert.match(plan("SELECT id, indexed_at FROM images WHERE status = 'indexed' AND indexed_at >= ? ORDER BY id"), /COVERING INDEX images_indexed_at/);
  assert.match(plan("SELECT COUNT(*), SUM(id), SUM(indexed_at % 1000003) FROM images WHERE status = 'indexed' AND indexed_at < ?"), /COVERING INDEX images_indexed_at/);
  db.close();
  // Once migrated, opening says nothing.
  const again: string[] = [];
  IndexStore.open(path, { ...OPTS, log: (m) => again.push(m) }).close();
  assert.deepEqual(again, []);
});

test('a migration that cannot finish (other settings) leaves the schema-1 file as it was', (t) => {
  const path = join(tmp(t), 'v1.db');
  makeV1(path);
  const before = sha(path);
  assert.throws(() => IndexStore.open(path, { ...OPTS, fingerprint: 'other', log: () => {} }), /built with other settings/);
  const db = new Database(path, { readonly: true });
  assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), '1');
  db.close();
  assert.equal(sha(path), before);
});

test('an index from a newer Photowords is refused with a message and left untouched', (t) => {
  const path = join(tmp(t), 'future.db');
  IndexStore.open(path, OPTS).close();
  const db = new Database(path);
  db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION + 1));
  db.close();
  const before = snapshot(path);
  assert.throws(() => IndexStore.open(path, OPTS), new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this Photowords build can read .*update Photowords`));
  assert.throws(() => IndexStore.open(path, { ...OPTS, rebuild: true }), /newer than this Photowords build/, '--rebuild does not override it');
  assert.deepEqual(snapshot(path), before);
  assert.equal(IndexStore.readSettings(path), undefined, 'its settings are not read either');
  // (a read-only look at a WAL file may leave SQLite's empty -wal/-shm beside it; the file itself is the same)
  assert.deepEqual({ ...snapshot(path), wal: false, shm: false }, before);
});

test('an SQLite file that is not a Photowords index, and a file that is not SQLite, are refused untouched', async (t) => {
  const dir = tmp(t);
  const foreign = join(dir, 'notes.db');
  const f = new Database(foreign);
  f.exec("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me')");
  f.close();
  const before = snapshot(foreign);
  assert.throws(() => IndexStore.open(foreign, OPTS), /SQLite file but not a Photowords index .*refusing to touch it/);
  assert.throws(() => IndexStore.open(foreign, { ...OPTS, rebuild: true }), /not a Photowords index/);
  assert.deepEqual(snapshot(foreign), before, 'same bytes, same mtime, no WAL files: not even switched to WAL');
  const check = new Database(foreign, { readonly: true });
  assert.equal(check.pragma('journal_mode', { simple: true }), 'delete');
  check.close();

  // A real JPEG, made here so the unit tests need no dataset.
  const photo = join(dir, 'photo.jpg');
  writeFileSync(
    photo,
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#6a8f4e' } })
      .jpeg()
      .toBuffer(),
  );
  const photoBefore = snapshot(photo);
  assert.throws(() => IndexStore.open(photo, OPTS), /is not an SQLite database, so not a Photowords index; refusing to touch it/);
  assert.deepEqual(snapshot(photo), photoBefore);
});
