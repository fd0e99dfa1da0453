// Hostile file systems, each a test on real photos and a real SQLite file: a symlink loop, folders
// without permission, a file deleted while it is read, a file that changes while it is read,
// non-UTF-8 and 255-byte names, and the disk filling up under the database. Each ends with a clear
// message (a failure reason on the photo, a folder failure, or the run's error), an intact index
// (integrity_check ok, df equal to the postings) and indexing going on with the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Engine } from '../../src/core/library/engine.js';
import { IndexStore } from '../../src/core/index/store.js';
import type { IndexReport } from '../../src/core/index/indexer.js';
import { CALTECH, makeSharedTempDir, REPO_ROOT, unprivilegedPrefix } from '../fixtures/bad-input.js';

/** The first `n` caltech101 photos, class by class, in a stable order. */
function photos(n: number, skip = 0): string[] {
  const out: string[] = [];
  for (const c of fs.readdirSync(CALTECH).sort()) {
    for (const f of fs.readdirSync(path.join(CALTECH, c)).sort()) {
      if (f.endsWith('.jpg')) out.push(path.join(CALTECH, c, f));
    }
    if (out.length >= n + skip) break;
  }
  return out.slice(skip, skip + n);
}

async function tempDir(t: { after: (fn: () => void | Promise<void>) => void }): Promise<string> {
  const dir = await makeSharedTempDir('pw-hostile-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Copies (never links: some tests rewrite or chmod them) photos into `dir` under the given names. */
function put(dir: string, names: (string | Buffer)[], from = photos(names.length)): string[] {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return names.map((name, i) => {
    const dst = typeof name === 'string' ? path.join(dir, name) : Buffer.concat([Buffer.from(dir + '/'), name]);
    fs.copyFileSync(from[i], dst);
    return typeof dst === 'string' ? dst : dst.toString('utf8');
  });
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** integrity_check ok, df and doc_count equal to what the stored bags imply. */
function assertIntact(db: string, label: string): { indexed: number; failed: number } {
  const raw = new Database(db, { readonly: true });
  try {
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok', `${label}: integrity_check`);
  } finally {
    raw.close();
  }
  const store = IndexStore.open(db, { fingerprint: IndexStore.readFingerprint(db)!, settings: {} });
  try {
    const df = store.recomputeDf();
    assert.ok(df.ok, `${label}: df consistent ${JSON.stringify(df)}`);
    const dup = (store as unknown as { db: Database.Database }).db.prepare('SELECT COUNT(*) - COUNT(DISTINCT path) FROM images').pluck().get();
    assert.equal(dup, 0, `${label}: no path twice`);
    const s = store.stats();
    return { indexed: s.indexed, failed: s.failed };
  } finally {
    store.close();
  }
}

function indexedPaths(engine: Engine): Set<string> {
  return new Set(
    engine.store
      .listImages()
      .filter((r) => r.status === 'indexed')
      .map((r) => r.path),
  );
}

function lost(engine: Engine, expected: string[]): string[] {
  const have = indexedPaths(engine);
  return expected.filter((p) => !have.has(p));
}

function reasons(r: IndexReport): Map<string, string> {
  return new Map(r.failures.map((f) => [f.path, f.reason]));
}

test('a symlink loop: links that loop are failures with a reason, a folder cycle is entered once, the rest is indexed', async (t) => {
  const root = await tempDir(t);
  const lib = path.join(root, 'lib');
  const good = put(path.join(lib, 'a'), ['1.jpg', '2.jpg', '3.jpg', '4.jpg']);
  fs.symlinkSync('..', path.join(lib, 'a', 'loop')); // lib/a/loop -> lib: a cycle of folders
  fs.symlinkSync('self.jpg', path.join(lib, 'self.jpg')); // a link to itself
  fs.symlinkSync('pong.jpg', path.join(lib, 'ping.jpg')); // two links to each other
  fs.symlinkSync('ping.jpg', path.join(lib, 'pong.jpg'));
  const db = path.join(root, 'index.db');
  const engine = await Engine.open(db, { provider: 'cpu' });
  try {
    const r = await engine.index([lib]);
    const why = reasons(r);
    for (const name of ['self.jpg', 'ping.jpg', 'pong.jpg']) assert.equal(why.get(path.join(lib, name)), 'symbolic link loop', name);
    assert.deepEqual([...indexedPaths(engine)].sort(), good, 'each photo once, none through the loop');
    assert.equal(engine.store.getByPath(path.join(lib, 'self.jpg'))?.error, 'symbolic link loop', 'recorded on the photo');
    // Indexing goes on: a new photo beside the loop is picked up by the next run.
    const [more] = put(path.join(lib, 'a'), ['5.jpg'], photos(1, 10));
    const r2 = await engine.index([lib]);
    assert.equal(r2.indexed, 1);
    assert.ok(indexedPaths(engine).has(more));
    console.log(
      `hostile: symlink loop: ${indexedPaths(engine).size} indexed, failures ${r.failures.map((f) => `${path.basename(f.path)} (${f.reason})`).join(', ')}, lost ${lost(engine, [...good, more]).length}`,
    );
    assert.deepEqual(lost(engine, [...good, more]), []);
  } finally {
    await engine.close();
  }
  assertIntact(db, 'symlink loop');
});

test('folders without permission: a failure with a reason, the rest indexed, and their photos once permission is back', async (t) => {
  assert.notEqual(unprivilegedPrefix(), null, 'need setpriv or runuser to drop root');
  const root = await tempDir(t);
  const lib = path.join(root, 'lib');
  const open = put(path.join(lib, 'open'), ['1.jpg', '2.jpg', '3.jpg']);
  const closed = put(path.join(lib, 'closed'), ['1.jpg', '2.jpg'], photos(2, 5)); // no permission at all
  const noSearch = put(path.join(lib, 'nosearch'), ['1.jpg', '2.jpg'], photos(2, 8)); // listable, not enterable
  const [locked] = put(path.join(lib, 'open'), ['locked.jpg'], photos(1, 12)); // a photo it may not read
  fs.chmodSync(locked, 0o000);
  fs.chmodSync(path.join(lib, 'closed'), 0o000);
  fs.chmodSync(path.join(lib, 'nosearch'), 0o644);
  t.after(() => {
    for (const d of ['closed', 'nosearch']) fs.rmSync(path.join(lib, d), { recursive: true, force: true }); // root needs no permission
  });
  const dbDir = path.join(root, 'db');
  fs.mkdirSync(dbDir);
  fs.chmodSync(dbDir, 0o777);
  const db = path.join(dbDir, 'index.db');
  const cli = (asNobody: boolean) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const argv = [...(asNobody ? unprivilegedPrefix()! : []), process.execPath, path.join(REPO_ROOT, 'bin/photowords.js'), 'index', lib, '--db', db, '--json'];
      execFile(argv[0], argv.slice(1), { cwd: REPO_ROOT, env: { ...process.env, HOME: root }, timeout: 300_000, maxBuffer: 64 << 20 }, (e, out, err) =>
        resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out, err }),
      );
    });

  const r = await cli(true);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out) as { indexed: number; failures: { path: string; reason: string }[] };
  const why = new Map(s.failures.map((f) => [f.path, f.reason]));
  assert.equal(s.indexed, open.length);
  assert.equal(why.get(path.join(lib, 'closed')), 'permission denied', 'the folder it cannot read');
  for (const p of noSearch) assert.equal(why.get(p), 'permission denied', `${p}: a photo it cannot reach`);
  assert.equal(why.get(locked), 'permission denied');
  assertIntact(db, 'no permission');

  // Permission back: the next run indexes them (chmod keeps every mtime, and nothing is lost).
  fs.chmodSync(path.join(lib, 'closed'), 0o755);
  fs.chmodSync(path.join(lib, 'nosearch'), 0o755);
  fs.chmodSync(locked, 0o644);
  const r2 = await cli(true);
  assert.equal(r2.code, 0, r2.err);
  const s2 = JSON.parse(r2.out) as { indexed: number; failed: number };
  assert.equal(s2.indexed, closed.length + noSearch.length + 1);
  assert.equal(s2.failed, 0);
  const counts = assertIntact(db, 'permission back');
  console.log(
    `hostile: no permission: first run ${s.indexed} indexed, failures ${s.failures.map((f) => `${path.relative(lib, f.path)} (${f.reason})`).join(', ')}; with permission back ${s2.indexed} more, lost ${open.length + 1 + closed.length + noSearch.length - counts.indexed}`,
  );
  assert.deepEqual(counts, { indexed: open.length + 1 + closed.length + noSearch.length, failed: 0 });
});

test('a file deleted while it is read: reported, forgotten by the index, the rest indexed', async (t) => {
  const root = await tempDir(t);
  const lib = path.join(root, 'lib');
  const files = put(lib, ['a.jpg', 'b-gone-before-read.jpg', 'c.jpg', 'd-gone-during-read.jpg', 'e.jpg', 'f-indexed-then-gone.jpg']);
  const [a, beforeRead, c, duringRead, e, laterGone] = files;
  const db = path.join(root, 'index.db');
  const engine = await Engine.open(db, { provider: 'cpu' });
  try {
    const r = await engine.index([lib], {
      testHooks: {
        beforeRead: (p) => (p === beforeRead ? fs.unlinkSync(p) : undefined), // between scan and read
        duringRead: (p) => (p === duringRead ? fs.unlinkSync(p) : undefined), // open, then unlinked
      },
    });
    const why = reasons(r);
    assert.equal(why.get(beforeRead), 'file vanished while reading');
    assert.equal(why.get(duringRead), 'file deleted while reading');
    assert.equal(engine.store.getByPath(beforeRead), undefined, 'no ghost record for a deleted file');
    assert.equal(engine.store.getByPath(duringRead), undefined);
    assert.deepEqual(lost(engine, [a, c, e, laterGone]), []);
    // An indexed photo edited, then deleted while the next run reads it: its old record goes too.
    fs.appendFileSync(laterGone, Buffer.from([0]));
    const r2 = await engine.index([lib], { testHooks: { duringRead: (p) => (p === laterGone ? fs.unlinkSync(p) : undefined) } });
    assert.equal(reasons(r2).get(laterGone), 'file deleted while reading');
    assert.equal(engine.store.getByPath(laterGone), undefined);
    assert.equal(engine.store.stats().failed, 0);
    console.log(
      `hostile: deleted while read: 3 deleted (before the read, during it, an indexed photo during re-reading), reasons "${why.get(beforeRead)}", "${why.get(duringRead)}"; ${indexedPaths(engine).size} indexed, lost ${lost(engine, [a, c, e]).length}`,
    );
    assert.deepEqual(lost(engine, [a, c, e]), []);
  } finally {
    await engine.close();
  }
  assertIntact(db, 'deleted while read');
});

test('a file that changes while it is read: hash, words and size/mtime describe one version; a later change is read again next run', async (t) => {
  const root = await tempDir(t);
  const lib = path.join(root, 'lib');
  const [A, B, C, D] = photos(4, 20);
  const files = put(lib, ['aa-first.jpg', 'changes-during-read.jpg', 'changes-before-read.jpg', 'other.jpg', 'restless.jpg', 'zz-last.jpg'], [A, A, A, B, A, C]);
  const [first, during, before, other, restless, last] = files;
  const db = path.join(root, 'index.db');
  const engine = await Engine.open(db, { provider: 'cpu' });
  try {
    let rewrites = 0;
    let restlessWrites = 0;
    const r = await engine.index([lib], {
      testHooks: {
        beforeRead: (p) => {
          if (p === before) fs.copyFileSync(B, p); // replaced between scan and read
          if (p === last) fs.copyFileSync(D, first); // an already indexed file changes later in the run
        },
        duringRead: (p) => {
          if (p === during && rewrites++ === 0) fs.copyFileSync(B, p); // rewritten once, mid-read
          if (p === restless) fs.appendFileSync(p, Buffer.from([restlessWrites++ & 255])); // never still
        },
      },
    });
    const why = reasons(r);
    assert.match(why.get(restless) ?? '', /file changed while being read/);
    assert.equal(engine.store.getByPath(restless)?.status, 'failed');
    // Whatever was read is described consistently: the bytes now on disk (B), their hash, and the
    // words of B (the same as other.jpg's, which holds B's bytes), with B's size and mtime.
    const ref = engine.store.getByPath(other)!;
    for (const p of [during, before]) {
      const rec = engine.store.getByPath(p)!;
      const st = fs.statSync(p);
      assert.equal(rec.status, 'indexed', p);
      assert.equal(rec.hash, sha(p), `${p}: hash of the version on disk`);
      assert.equal(rec.hash, ref.hash);
      assert.deepEqual([rec.size, rec.mtimeMs], [st.size, st.mtimeMs], `${p}: size and mtime of the version read`);
      assert.deepEqual(engine.store.getBag(rec.id), engine.store.getBag(ref.id), `${p}: the words of the version read`);
    }
    // first.jpg changed after it was read: the index keeps what it read (A), with A's size/mtime ...
    const stale = engine.store.getByPath(first)!;
    assert.notEqual(stale.hash, sha(first));
    assert.notEqual(stale.mtimeMs, fs.statSync(first).mtimeMs);

    // ... so the next run picks it up again, and the restless file now that it is still.
    const r2 = await engine.index([lib]);
    assert.equal(r2.indexed, 2, 'first.jpg (changed after its read) and restless.jpg (still now)');
    assert.equal(engine.store.getByPath(first)!.hash, sha(first));
    assert.equal(engine.store.getByPath(restless)!.hash, sha(restless));
    const r3 = await engine.index([lib]);
    assert.equal(r3.indexed + r3.failed, 0, 'then nothing is left to do');
    console.log(
      `hostile: changed while read: rewritten once mid-read (read again), replaced before the read, changed after its read (re-read next run), changing on every read (${restlessWrites} reads, "${why.get(restless)}", indexed next run); lost ${lost(engine, files).length}`,
    );
    assert.deepEqual(lost(engine, files), []);
  } finally {
    await engine.close();
  }
  assertIntact(db, 'changed while read');
});

test('non-UTF-8 and 255-byte names: valid long and Unicode names are indexed, byte names that are not UTF-8 are failures with a reason', async (t) => {
  const root = await tempDir(t);
  const lib = path.join(root, 'lib');
  const long255 = `${'p'.repeat(251)}.jpg`;
  const longMultibyte = `${'é'.repeat(125)}x.jpg`; // 250 + 5 = 255 bytes
  const unicode = 'Fête 写真 \u{1F4F7} \uFFFD.jpg'; // valid UTF-8, even the replacement character
  assert.equal(Buffer.byteLength(long255), 255);
  assert.equal(Buffer.byteLength(longMultibyte), 255);
  const good = put(lib, [long255, longMultibyte, unicode, 'plain.jpg'], photos(4, 30));
  // Linux allows any bytes in a name; these are Latin-1 and raw bytes, not UTF-8.
  put(lib, [Buffer.from('caf\xe9.jpg', 'latin1'), Buffer.from('\xff\xfe-raw.jpg', 'latin1')], photos(2, 40));
  const badDir = Buffer.concat([Buffer.from(lib + '/'), Buffer.from('r\xe9pertoire', 'latin1')]);
  fs.mkdirSync(badDir);
  fs.copyFileSync(photos(1, 45)[0], Buffer.concat([badDir, Buffer.from('/inside.jpg')]));
  const tooLong = path.join(lib, `${'q'.repeat(252)}.jpg`);
  assert.throws(() => fs.writeFileSync(tooLong, 'x'), /ENAMETOOLONG/, 'the file system itself stops at 255 bytes');

  const db = path.join(root, 'index.db');
  const engine = await Engine.open(db, { provider: 'cpu' });
  try {
    const r = await engine.index([lib]);
    const why = reasons(r);
    assert.deepEqual(lost(engine, good), [], 'every valid name is indexed');
    assert.match(why.get(path.join(lib, 'caf\\xe9.jpg')) ?? '', /file name is not valid UTF-8 .*rename the file/);
    assert.match(why.get(path.join(lib, '\\xff\\xfe-raw.jpg')) ?? '', /file name is not valid UTF-8/);
    assert.match(why.get(path.join(lib, 'r\\xe9pertoire')) ?? '', /folder name is not valid UTF-8 .*rename the folder/);
    assert.equal(engine.store.getByPath(path.join(lib, 'caf\\xe9.jpg'))?.status, 'failed', 'recorded on the photo, under a readable name');
    assert.equal(r.indexed, good.length);
    // The 255-byte photo answers a query as itself.
    const sim = await engine.similar(path.join(lib, long255), { top: 1 });
    assert.equal(sim.query.indexed, true);
    assert.equal(sim.results[0].path, path.join(lib, long255));
    // Renamed to UTF-8, the photos are indexed on the next run.
    fs.renameSync(Buffer.concat([Buffer.from(lib + '/'), Buffer.from('caf\xe9.jpg', 'latin1')]), path.join(lib, 'café.jpg'));
    const r2 = await engine.index([lib]);
    assert.equal(r2.indexed, 1);
    console.log(
      `hostile: names: indexed ${good.length} (255 bytes ASCII, 255 bytes UTF-8, emoji/CJK/U+FFFD, plain); not UTF-8: ${r.failures.map((f) => `${path.basename(f.path)} (${f.reason.split(' (')[0]})`).join(', ')}; renamed one indexed next run; lost ${lost(engine, good).length}`,
    );
  } finally {
    await engine.close();
  }
  assertIntact(db, 'names');
});

test('the disk fills up while the database is written: a clear error, an intact index, and indexing completes once there is space', async (t) => {
  const root = await tempDir(t);
  // Its own temp dir, unmounted and removed by its own hook (the tree above is removed first).
  const mnt = fs.mkdtempSync(path.join(path.dirname(root), 'pw-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (e) {
    fs.rmdirSync(mnt);
    t.skip(`cannot mount a size-limited tmpfs here (${String((e as { stderr?: Buffer }).stderr ?? e).trim()}): needs root with CAP_SYS_ADMIN`);
    return;
  }
  t.after(() => {
    execFileSync('umount', ['-l', mnt]);
    fs.rmdirSync(mnt);
  });
  const lib = path.join(root, 'lib');
  fs.mkdirSync(lib);
  const all = photos(300, 100).map((src, i) => {
    const dst = path.join(lib, `${String(i).padStart(3, '0')}.jpg`);
    fs.linkSync(src, dst); // read only here
    return dst;
  });
  // Most of the small disk taken by something else, leaving room for about a third of the index.
  const filler = path.join(mnt, 'filler');
  fs.writeFileSync(filler, Buffer.alloc(6.5 * 1024 * 1024, 1));
  const db = path.join(mnt, 'index.db');

  const engine = await Engine.open(db, { provider: 'cpu' });
  let error: Error | undefined;
  try {
    await engine.index([lib]);
  } catch (e) {
    error = e as Error;
  } finally {
    await engine.close().catch(() => undefined);
  }
  assert.ok(error, 'the run stops');
  assert.match(error.message, /^the disk is full: could not write the index .*index\.db \(SQLITE_FULL\)\. Free some space/);
  const atFull = assertIntact(db, 'disk full');
  assert.ok(atFull.indexed > 0 && atFull.indexed < all.length, `${atFull.indexed} photos stored before the disk filled`);
  assert.equal(atFull.failed, 0, 'no photo is blamed for the full disk');

  fs.rmSync(filler); // space again
  const again = await Engine.open(db, { provider: 'cpu' });
  let r: IndexReport;
  try {
    r = await again.index([lib]);
    assert.deepEqual(lost(again, all), []);
  } finally {
    await again.close();
  }
  const done = assertIntact(db, 'after space was freed');
  console.log(
    `hostile: disk full: "${error.message}"; ${atFull.indexed} of ${all.length} stored when the 8 MB disk filled; after freeing space ${r.indexed} more, ${r.skipped} unchanged; lost ${all.length - done.indexed}`,
  );
  assert.deepEqual(done, { indexed: all.length, failed: 0 });
});
