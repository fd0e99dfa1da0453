// The command line end to end on real photos and a real SQLite file: bad input is recorded and
// skipped (exit 0), unchanged files cost nothing on the next run, queries find the photo itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeBadInputFolder, makeSharedTempDir, unprivilegedPrefix, REPO_ROOT } from '../fixtures/bad-input.js';
import { IndexStore } from '../../src/core/index/store.js';

const CLI = path.join(REPO_ROOT, 'bin/photowords.js');

function run(args: string[], asNobody = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const prefix = asNobody ? (unprivilegedPrefix() ?? []) : [];
  const argv = [...prefix, process.execPath, CLI, ...args];
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { cwd: REPO_ROOT, maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('index: bad files are recorded with a reason and skipped, the rest is indexed, exit 0', async () => {
  const root = await makeSharedTempDir();
  const lib = path.join(root, 'library');
  const fixture = await makeBadInputFolder(lib);
  const dbDir = path.join(root, 'db');
  fs.mkdirSync(dbDir, { mode: 0o777 });
  fs.chmodSync(dbDir, 0o777);
  const db = path.join(dbDir, 'index.db');

  // As root every file is readable; run as an unprivileged user so "no read permission" is real.
  const r = await run(['index', lib, '--db', db, '--json'], true);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.indexed, fixture.good.length);
  assert.equal(summary.failed, Object.keys(fixture.bad).length);
  const reasons = new Map<string, string>(summary.failures.map((f: { path: string; reason: string }) => [f.path, f.reason]));
  for (const [file, expected] of Object.entries(fixture.bad)) {
    const got = reasons.get(file);
    assert.ok(got, `${path.basename(file)} is not listed as failed`);
    assert.ok(got!.includes(expected), `${path.basename(file)}: "${got}" should mention "${expected}"`);
  }

  // info lists the same failures from the database.
  const info = await run(['info', '--db', db, '--json']);
  assert.equal(info.code, 0, info.stderr);
  const parsed = JSON.parse(info.stdout);
  assert.equal(parsed.photos.indexed, fixture.good.length);
  assert.equal(parsed.failures.length, Object.keys(fixture.bad).length);
  assert.ok(parsed.failures.every((f: { error: string }) => f.error.length > 0));

  // A second run over unchanged files does no work, except trying the unreadable file again
  // (a permission fixed with chmod leaves its mtime as it was).
  const again = await run(['index', lib, '--db', db, '--json'], true);
  assert.equal(again.code, 0, again.stderr);
  const s2 = JSON.parse(again.stdout);
  assert.equal(s2.indexed, 0);
  assert.equal(s2.unchanged, fixture.good.length + Object.keys(fixture.bad).length - fixture.unreadable.length);
  assert.deepEqual(
    s2.failures.map((f: { path: string }) => f.path),
    fixture.unreadable,
  );

  // An indexed photo is its own best match, with cosine 1.
  const sim = await run(['similar', fixture.good[0], '--db', db, '--top', '3', '--json']);
  assert.equal(sim.code, 0, sim.stderr);
  const res = JSON.parse(sim.stdout);
  assert.equal(res.query.indexed, true);
  assert.equal(res.results[0].path, fixture.good[0]);
  assert.ok(Math.abs(res.results[0].score - 1) < 1e-5);

  // The index is consistent: document frequencies equal those recomputed from the bags.
  const store = IndexStore.open(db, { fingerprint: IndexStore.readFingerprint(db)!, settings: {} });
  try {
    assert.ok(store.recomputeDf().ok);
  } finally {
    store.close();
  }
});

test('user mistakes end in one clear line and a non-zero exit', async () => {
  const missing = await run(['similar', '/no/such/photo.jpg', '--db', '/tmp/none.db']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr.trim(), /^photowords: no such file: \/no\/such\/photo\.jpg$/);
  const noDb = await run(['info', '--db', '/tmp/photowords-no-such-index.db']);
  assert.notEqual(noDb.code, 0);
  assert.match(noDb.stderr, /no index at/);
  assert.doesNotMatch(noDb.stderr, /\n\s+at /, 'no stack trace');
  const badFlag = await run(['index', '/tmp', '--kernel', 'zero']);
  assert.notEqual(badFlag.code, 0);
  assert.match(badFlag.stderr, /kernel must be a whole number/);
});
