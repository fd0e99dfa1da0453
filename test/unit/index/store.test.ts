import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IndexStore } from '../../../src/core/index/store.js';
import { InvertedIndex } from '../../../src/core/search/inverted-index.js';
import type { Bag, TokenGrid } from '../../../src/core/common/types.js';
import { mulberry32 } from '../../../src/core/common/random.js';

const rng = mulberry32;

function tmpDb(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'photowords-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'index.db');
}

const OPTS = { fingerprint: 'model-a/k3p1', settings: { model: 'a', kernel: 3, padding: 1 } };

function randomBag(r: () => number, space: number, maxTerms: number): Bag {
  const set = new Set<number>();
  const want = 1 + Math.floor(r() * maxTerms);
  while (set.size < want) set.add(Math.floor(r() * space));
  const terms = Uint32Array.from([...set].sort((a, b) => a - b));
  const tfs = Float32Array.from(terms, () => 1 + Math.floor(r() * 9));
  return { terms, tfs };
}

function randomGrid(r: () => number): TokenGrid {
  const heads = 2;
  const height = 1 + Math.floor(r() * 4);
  const width = 1 + Math.floor(r() * 4);
  return { heads, height, width, codes: 1024, tokens: Uint16Array.from({ length: heads * height * width }, () => Math.floor(r() * 1024)) };
}

function file(path: string, i = 0) {
  return { path, size: 1000 + i, mtimeMs: 1_700_000_000_000.5 + i, hash: `h${i}`, width: 640, height: 480 };
}

/** df straight from the database, independent of the store's own check. */
function rawDf(path: string): Map<number, number> {
  const db = new Database(path, { readonly: true });
  try {
    return new Map(
      db
        .prepare<[], { term: number; df: number }>('SELECT term, df FROM df')
        .all()
        .map((r) => [r.term, r.df]),
    );
  } finally {
    db.close();
  }
}

function expectedDf(bags: Iterable<Bag>): Map<number, number> {
  const m = new Map<number, number>();
  for (const b of bags) for (const t of b.terms) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

test('grid and bag round-trip, records, reopen persists', (t) => {
  const path = tmpDb(t);
  const store = IndexStore.open(path, OPTS);
  const grid: TokenGrid = { heads: 2, height: 2, width: 3, codes: 1024, tokens: Uint16Array.from([0, 1, 2, 1023, 4, 5, 6, 7, 8, 9, 10, 65535 % 1024]) };
  // A subarray with a non-zero byteOffset must be stored as its own bytes, not the parent's.
  const parent = Uint32Array.from([999, 3, 70, 100_000, 4_000_000_000]);
  const bag: Bag = { terms: parent.subarray(1), tfs: Float32Array.from([1, 2, 70_000, 5]) };
  const id = store.putIndexed(file('/photos/a.jpg'), grid, bag);
  assert.deepEqual(store.getGrid(id), grid);
  const back = store.getBag(id)!;
  assert.deepEqual([...back.terms], [3, 70, 100_000, 4_000_000_000]);
  assert.deepEqual([...back.tfs], [1, 2, 65535, 5], 'counts clamp at 65535');
  assert.ok(back.tfs instanceof Float32Array && back.terms instanceof Uint32Array);
  const rec = store.getByPath('/photos/a.jpg')!;
  assert.equal(rec.id, id);
  assert.equal(rec.status, 'indexed');
  assert.equal(rec.size, 1000);
  assert.equal(rec.mtimeMs, 1_700_000_000_000.5);
  assert.equal(rec.hash, 'h0');
  assert.equal(rec.width, 640);
  assert.equal(rec.error, null);
  assert.equal(store.getByPath('/nope'), undefined);
  store.close();

  const again = IndexStore.open(path, OPTS);
  assert.deepEqual(again.getGrid(id), grid);
  assert.deepEqual(again.getBag(id), back);
  assert.deepEqual(again.stats(), { indexed: 1, failed: 0, docCount: 1, terms: 4, settings: OPTS.settings });
  const all = again.loadAll();
  assert.equal(all.length, 1);
  assert.equal(all[0].path, '/photos/a.jpg');
  assert.equal([...again.iterGrids()].length, 1);
  again.close();
});

test('df and doc_count follow inserts, replacements, failures and removals', (t) => {
  const path = tmpDb(t);
  const store = IndexStore.open(path, OPTS);
  const r = rng(1);
  const current = new Map<string, Bag>();
  const check = (label: string) => {
    assert.deepEqual(rawDf(path), expectedDf(current.values()), label);
    const c = store.recomputeDf();
    assert.ok(c.ok, `${label}: ${JSON.stringify(c)}`);
    assert.equal(store.stats().docCount, current.size);
    assert.equal(store.stats().indexed, current.size);
  };
  const put = (p: string) => {
    const bag = randomBag(r, 300, 60);
    store.putIndexed(file(p), randomGrid(r), bag);
    current.set(p, bag);
  };
  store.transaction(() => {
    for (let i = 0; i < 30; i++) put(`/p/${i}.jpg`);
  });
  check('after inserts');
  const idBefore = store.getByPath('/p/3.jpg')!.id;
  for (const i of [3, 4, 5, 3]) put(`/p/${i}.jpg`);
  assert.equal(store.getByPath('/p/3.jpg')!.id, idBefore, 'replacement keeps the id');
  check('after replacements');
  store.putFailed({ path: '/p/6.jpg', size: 1, mtimeMs: 2 }, 'decode: truncated JPEG');
  current.delete('/p/6.jpg');
  check('after an indexed file failed');
  assert.equal(store.getGrid(store.getByPath('/p/6.jpg')!.id), undefined, 'failed file keeps no grid');
  for (const i of [7, 8, 6]) {
    assert.equal(store.remove(`/p/${i}.jpg`), true);
    current.delete(`/p/${i}.jpg`);
  }
  assert.equal(store.remove('/p/unknown.jpg'), false);
  check('after removals');
  assert.equal(store.count(), 27);
  // Bags come back in id order.
  const ids = store.loadAll().map((b) => b.id);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
  // The inverted index can stream straight from the store (two passes over iterBags).
  const idx = InvertedIndex.build(() => store.iterBags());
  assert.deepEqual([...idx.ids], ids);
  const df = expectedDf(current.values());
  assert.equal(idx.terms.length, df.size);
  for (let s = 0; s < idx.terms.length; s++) assert.equal(idx.df[s], df.get(idx.terms[s]));
  store.close();
});

test('a failing batch rolls back entirely, df included', (t) => {
  const path = tmpDb(t);
  const store = IndexStore.open(path, OPTS);
  const r = rng(2);
  store.putIndexed(file('/a.jpg'), randomGrid(r), randomBag(r, 100, 20));
  const before = rawDf(path);
  assert.throws(() =>
    store.transaction(() => {
      store.putIndexed(file('/b.jpg'), randomGrid(r), randomBag(r, 100, 20));
      store.remove('/a.jpg');
      throw new Error('crash mid-batch');
    }),
  );
  assert.deepEqual(rawDf(path), before);
  assert.equal(store.count(), 1);
  assert.ok(store.recomputeDf().ok);
  // An invalid bag is refused before anything is written.
  assert.throws(() => store.putIndexed(file('/c.jpg'), randomGrid(r), { terms: Uint32Array.from([5, 5]), tfs: Float32Array.from([1, 1]) }), /ascending/);
  assert.equal(store.getByPath('/c.jpg'), undefined);
  store.close();
});

test('failed files are listed with their reasons and can later succeed', (t) => {
  const path = tmpDb(t);
  const store = IndexStore.open(path, OPTS);
  store.putFailed({ path: '/z.heic', size: 10, mtimeMs: 5 }, 'unsupported format: heic');
  store.putFailed({ path: '/b.jpg', size: 20, mtimeMs: 6 }, 'decode: premature end of data');
  assert.deepEqual(store.failures(), [
    { path: '/b.jpg', error: 'decode: premature end of data' },
    { path: '/z.heic', error: 'unsupported format: heic' },
  ]);
  const rec = store.getByPath('/z.heic')!;
  assert.equal(rec.status, 'failed');
  assert.equal(rec.size, 10);
  assert.equal(rec.mtimeMs, 5);
  const r = rng(3);
  const id = store.putIndexed({ ...file('/b.jpg'), hash: undefined }, randomGrid(r), randomBag(r, 50, 10));
  assert.equal(store.getByPath('/b.jpg')!.error, null);
  assert.equal(store.getByPath('/b.jpg')!.hash, null);
  assert.ok(store.getBag(id));
  assert.deepEqual(
    store.failures().map((f) => f.path),
    ['/z.heic'],
  );
  assert.deepEqual({ ...store.stats(), settings: null }, { indexed: 1, failed: 1, docCount: 1, terms: store.stats().terms, settings: null });
  assert.equal(store.listImages().length, 2);
  store.close();
});

test('fingerprint mismatch is refused; rebuild clears and adopts the new one', (t) => {
  const path = tmpDb(t);
  const r = rng(4);
  const store = IndexStore.open(path, OPTS);
  store.putIndexed(file('/a.jpg'), randomGrid(r), randomBag(r, 100, 20));
  store.putFailed({ path: '/b.jpg', size: 1, mtimeMs: 1 }, 'bad');
  store.close();

  const other = { fingerprint: 'model-a/k4p2', settings: { model: 'a', kernel: 4, padding: 2 } };
  assert.throws(
    () => IndexStore.open(path, other),
    (err: Error) => {
      assert.match(err.message, /built with other settings/);
      assert.match(err.message, /rebuild/);
      assert.match(err.message, /model-a\/k3p1/);
      return true;
    },
  );
  // The refused open left the file as it was.
  const same = IndexStore.open(path, OPTS);
  assert.equal(same.count(), 2);
  same.close();

  const rebuilt = IndexStore.open(path, { ...other, rebuild: true });
  assert.equal(rebuilt.fingerprint, 'model-a/k4p2');
  assert.deepEqual(rebuilt.stats(), { indexed: 0, failed: 0, docCount: 0, terms: 0, settings: other.settings });
  assert.deepEqual(rawDf(path).size, 0);
  rebuilt.putIndexed(file('/a.jpg'), randomGrid(r), randomBag(r, 100, 20));
  rebuilt.close();
  const reopened = IndexStore.open(path, other);
  assert.equal(reopened.count(), 1);
  assert.ok(reopened.recomputeDf().ok);
  reopened.close();
  assert.throws(() => IndexStore.open(path, OPTS), /other settings/);
});

test('unknown schema versions and foreign SQLite files give clear errors', (t) => {
  const path = tmpDb(t);
  IndexStore.open(path, OPTS).close();
  const db = new Database(path);
  db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
  db.close();
  assert.throws(() => IndexStore.open(path, OPTS), /schema version 99, newer than this Photowords build can read/);

  const foreign = tmpDb(t).replace('index.db', 'other.db');
  const f = new Database(foreign);
  f.exec('CREATE TABLE notes (x TEXT)');
  f.close();
  assert.throws(() => IndexStore.open(foreign, OPTS), /not a Photowords index/);
});

test('WAL mode and foreign keys are on', (t) => {
  const path = tmpDb(t);
  const store = IndexStore.open(path, OPTS);
  const r = rng(5);
  store.putIndexed(file('/a.jpg'), randomGrid(r), randomBag(r, 100, 20));
  store.remove('/a.jpg');
  store.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  // Cascade worked: removing the image removed its grid and bag.
  assert.deepEqual(db.prepare('SELECT (SELECT COUNT(*) FROM grids) AS g, (SELECT COUNT(*) FROM bags) AS b').get(), { g: 0, b: 0 });
  db.close();
});

test('write speed: 200 photos of 4,000 terms in one transaction', (t) => {
  const path = tmpDb(t);
  const store = IndexStore.open(path, OPTS);
  const r = rng(6);
  const bags = Array.from({ length: 200 }, () => randomBag(r, 73_728, 4000));
  const grid: TokenGrid = { heads: 8, height: 17, width: 17, codes: 1024, tokens: new Uint16Array(8 * 17 * 17) };
  const t0 = performance.now();
  store.transaction(() => bags.forEach((b, i) => store.putIndexed(file(`/p/${i}.jpg`), grid, b)));
  const ms = performance.now() - t0;
  const t1 = performance.now();
  const loaded = store.loadAll();
  const loadMs = performance.now() - t1;
  console.log(`putIndexed: ${(ms / 200).toFixed(2)} ms/photo; loadAll of 200 bags: ${loadMs.toFixed(1)} ms`);
  assert.equal(loaded.length, 200);
  assert.ok(store.recomputeDf().ok);
  store.close();
});

test('getById, readSettings without opening, dense vectors follow their image', (t) => {
  const path = tmpDb(t);
  assert.equal(IndexStore.readSettings(path), undefined, 'missing file');
  const store = IndexStore.open(path, OPTS);
  const r = rng(8);
  const a = store.putIndexed(file('/a.jpg'), randomGrid(r), randomBag(r, 100, 20));
  const b = store.putIndexed(file('/b.jpg', 1), randomGrid(r), randomBag(r, 100, 20));
  assert.equal(store.getById(b)!.path, '/b.jpg');
  assert.equal(store.getById(12345), undefined);
  const va = Float32Array.from([0.5, -1, 3.25]);
  store.putDense(a, va);
  store.putDense(b, Float32Array.from([1, 2, 3]).subarray(1));
  assert.deepEqual(
    [...store.iterDense()],
    [
      { id: a, vector: va },
      { id: b, vector: Float32Array.from([2, 3]) },
    ],
  );
  // Re-indexing a file drops its now-stale vector; removing a file drops it too.
  store.putIndexed(file('/a.jpg', 2), randomGrid(r), randomBag(r, 100, 20));
  store.remove('/b.jpg');
  assert.deepEqual([...store.iterDense()], []);
  assert.deepEqual(IndexStore.readSettings(path), OPTS.settings, 'readable while open elsewhere');
  store.close();
  assert.deepEqual(IndexStore.readSettings(path), OPTS.settings);
  const foreign = path.replace('index.db', 'foreign.db');
  const fdb = new Database(foreign);
  fdb.exec('CREATE TABLE x (y)');
  fdb.close();
  assert.equal(IndexStore.readSettings(foreign), undefined);
});
