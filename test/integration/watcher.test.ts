// The watcher and the daemon, on real photos, real SQLite and real fs.watch: adds, edits,
// deletes, renames and folder moves reach the index without a full rescan (a rename keeps the
// photo's id and does not run the model again), a file still being written is indexed once,
// complete; a library folder that disappears keeps its photos while offline and is reconciled
// when it comes back; changes made while the library was closed are found at open; and the
// daemon refuses a second instance on the same database and stops cleanly on SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { Library } from '../../src/core/library/library.js';
import type { BackendEvent } from '../../src/shared/api.js';

const DATA = path.resolve('../shared/datasets/caltech101');
const photo = (cls: string, i: number) => path.join(DATA, cls, fs.readdirSync(path.join(DATA, cls)).sort()[i]);

let tmp: string;
let lib: string;
let db: string;
let library: Library;
const events: BackendEvent[] = [];

const store = () => library.engineForTools.store;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const t = Date.now();
  while (!ok()) {
    if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const openLibrary = (watch = true) => Library.open(db, { provider: 'cpu', watch, pollMs: 300, watcher: { debounceMs: 150, maxWaitMs: 1000, stableMs: 400 } });

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-watch-'));
  lib = path.join(tmp, 'photos');
  db = path.join(tmp, 'index.db');
  for (const cls of ['airplanes', 'Faces']) {
    fs.mkdirSync(path.join(lib, cls), { recursive: true });
    for (let i = 0; i < 4; i++) fs.copyFileSync(photo(cls, i), path.join(lib, cls, `${cls}-${i}.jpg`));
  }
  fs.writeFileSync(path.join(lib, 'notes.txt'), 'not a photo');
  library = await openLibrary();
  library.onEvent((e) => events.push(e));
  await library.addFolder(lib);
  await library.whenQuiet();
});

after(async () => {
  await library?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the folder is indexed at start; a photo added later shows up with an event', async () => {
  assert.equal(store().stats().indexed, 8);
  const model = library.activity.modelPhotos;
  const before = events.length;
  const added = path.join(lib, 'Faces', 'new.jpg');
  fs.copyFileSync(photo('Leopards', 0), added);
  await waitFor('the new photo', () => store().getByPath(added)?.status === 'indexed');
  await library.whenQuiet();
  assert.equal(library.activity.modelPhotos, model + 1);
  assert.ok(
    events.slice(before).some((e) => e.type === 'library' && e.folders[0].photos === 9),
    'the UI hears of it',
  );
  // Non-photos and dot files are not looked at.
  fs.writeFileSync(path.join(lib, 'more-notes.txt'), 'x');
  fs.copyFileSync(photo('Leopards', 1), path.join(lib, '.hidden.jpg'));
  await sleep(800);
  await library.whenQuiet();
  assert.equal(store().getByPath(path.join(lib, '.hidden.jpg')), undefined);
  assert.equal(store().stats().indexed, 9);
});

test('an edit re-indexes the photo under its id; a rename keeps it without the model', async () => {
  const file = path.join(lib, 'airplanes', 'airplanes-0.jpg');
  const old = store().getByPath(file)!;
  let model = library.activity.modelPhotos;
  fs.copyFileSync(photo('Leopards', 2), file); // new bytes, same path
  await waitFor('the edit', () => store().getByPath(file)?.hash !== old.hash);
  await library.whenQuiet();
  const edited = store().getByPath(file)!;
  assert.equal(edited.id, old.id);
  assert.equal(library.activity.modelPhotos, model + 1, 'an edit runs the model once');

  model = library.activity.modelPhotos;
  const moved = library.activity.moved;
  const renamed = path.join(lib, 'airplanes', 'renamed.jpg');
  fs.renameSync(file, renamed);
  await waitFor('the rename', () => store().getByPath(renamed) !== undefined && store().getByPath(file) === undefined);
  await library.whenQuiet();
  const after = store().getByPath(renamed)!;
  assert.equal(after.id, edited.id, 'same photo id');
  assert.equal(after.indexedAt, edited.indexedAt, 'not indexed again');
  assert.equal(after.hash, edited.hash);
  assert.equal(library.activity.modelPhotos, model, 'the model did not run for a rename');
  assert.equal(library.activity.moved, moved + 1);
  assert.ok(store().recomputeDf().ok, 'df untouched and consistent');
});

test('a folder moved inside the library keeps every photo, without the model', async () => {
  const from = path.join(lib, 'Faces');
  const ids = new Map(
    store()
      .pathsUnder(from)
      .map((p) => [path.basename(p), store().getByPath(p)!.id]),
  );
  assert.equal(ids.size, 5);
  const model = library.activity.modelPhotos;
  fs.mkdirSync(path.join(lib, 'people'));
  const to = path.join(lib, 'people', 'Faces');
  fs.renameSync(from, to);
  await waitFor('the folder move', () => store().pathsUnder(to).length === 5 && store().pathsUnder(from).length === 0);
  await library.whenQuiet();
  for (const [name, id] of ids) assert.equal(store().getByPath(path.join(to, name))?.id, id, `${name} kept its id`);
  assert.equal(library.activity.modelPhotos, model);
  assert.equal(store().stats().indexed, 9);
});

test('a deleted photo leaves the index', async () => {
  const file = path.join(lib, 'people', 'Faces', 'Faces-1.jpg');
  fs.unlinkSync(file);
  await waitFor('the delete', () => store().getByPath(file) === undefined);
  await library.whenQuiet();
  assert.equal(store().stats().indexed, 8);
  assert.ok(store().recomputeDf().ok);
});

test('a file written in chunks over a second is indexed once, when complete', async () => {
  const bytes = fs.readFileSync(photo('Leopards', 3));
  const file = path.join(lib, 'airplanes', 'slow.jpg');
  const model = library.activity.modelPhotos;
  const fd = fs.openSync(file, 'w');
  const chunks = 5;
  const size = Math.ceil(bytes.length / chunks);
  let seenEarly = false;
  for (let i = 0; i < chunks; i++) {
    fs.writeSync(fd, bytes, i * size, Math.min(size, bytes.length - i * size));
    const t = Date.now();
    while (Date.now() - t < 250) {
      if (store().getByPath(file)) seenEarly = true;
      await sleep(25);
    }
  }
  fs.closeSync(fd);
  assert.equal(seenEarly, false, 'nothing stored while it was being written');
  await waitFor('the complete file', () => store().getByPath(file) !== undefined);
  await library.whenQuiet();
  const rec = store().getByPath(file)!;
  assert.equal(rec.status, 'indexed', rec.error ?? '');
  assert.equal(rec.size, bytes.length);
  assert.equal(library.activity.modelPhotos, model + 1, 'read by the model once');
});

test('a library folder that disappears keeps its photos while offline and is reconciled when back', async () => {
  const away = path.join(tmp, 'unplugged');
  const n = store().stats().indexed;
  const ids = new Map(
    store()
      .pathsUnder(lib)
      .map((p) => [p, store().getByPath(p)!.id]),
  );
  fs.renameSync(lib, away); // the disk is unplugged
  await waitFor('offline', () => events.some((e) => e.type === 'library' && e.folders[0].online === false));
  await sleep(1500); // several polls and whatever the watcher says about the vanished files
  await library.whenQuiet();
  assert.equal(store().stats().indexed, n, 'no photo removed while the folder is offline');
  assert.equal((await library.listFolders())[0].online, false);
  // Changed on the other machine meanwhile: one deleted, one added.
  const deleted = path.join(lib, 'people', 'Faces', 'Faces-2.jpg');
  fs.unlinkSync(path.join(away, 'people', 'Faces', 'Faces-2.jpg'));
  fs.copyFileSync(photo('Motorbikes', 0), path.join(away, 'airplanes', 'bike.jpg'));
  fs.renameSync(away, lib); // plugged in again
  await waitFor('back online', () => events.at(-1)?.type === 'library' && (events.at(-1) as { folders: { online: boolean }[] }).folders[0].online);
  await waitFor('reconciled', () => store().getByPath(path.join(lib, 'airplanes', 'bike.jpg'))?.status === 'indexed' && !store().getByPath(deleted));
  await library.whenQuiet();
  assert.equal(store().stats().indexed, n);
  for (const [p, id] of ids) if (p !== deleted) assert.equal(store().getByPath(p)?.id, id, `${p} kept`);
  // And the watcher watches it again.
  const later = path.join(lib, 'airplanes', 'later.jpg');
  fs.copyFileSync(photo('Motorbikes', 1), later);
  await waitFor('watched again', () => store().getByPath(later)?.status === 'indexed');
});

test('changes made while the library was closed are found at open', async () => {
  await library.whenQuiet();
  await library.close();
  const s0 = new Map(
    ['airplanes/airplanes-1.jpg', 'airplanes/airplanes-2.jpg', 'airplanes/airplanes-3.jpg', 'people/Faces/Faces-3.jpg'].map((r) => {
      const p = path.join(lib, r);
      const d = new Database(db, { readonly: true });
      const row = d.prepare('SELECT id, indexed_at AS at FROM images WHERE path = ?').get(p) as { id: number; at: number };
      d.close();
      return [r, row];
    }),
  );
  fs.unlinkSync(path.join(lib, 'airplanes', 'airplanes-1.jpg')); // deleted
  fs.renameSync(path.join(lib, 'airplanes', 'airplanes-2.jpg'), path.join(lib, 'people', 'moved.jpg')); // moved
  const touched = path.join(lib, 'airplanes', 'airplanes-3.jpg');
  fs.utimesSync(touched, new Date(), new Date(Date.now() - 60_000)); // same bytes, new mtime
  fs.copyFileSync(photo('Leopards', 5), path.join(lib, 'people', 'Faces', 'Faces-3.jpg')); // edited
  fs.copyFileSync(photo('Leopards', 6), path.join(lib, 'added.jpg')); // added

  library = await openLibrary(false);
  library.onEvent((e) => events.push(e));
  await library.whenQuiet();
  const a = library.activity;
  assert.equal(store().getByPath(path.join(lib, 'airplanes', 'airplanes-1.jpg')), undefined, 'deleted is gone');
  assert.equal(store().getByPath(path.join(lib, 'people', 'moved.jpg'))?.id, s0.get('airplanes/airplanes-2.jpg')!.id, 'moved kept its id');
  const t = store().getByPath(touched)!;
  assert.equal(t.indexedAt, s0.get('airplanes/airplanes-3.jpg')!.at, 'touched: not indexed again');
  assert.equal(t.mtimeMs, fs.statSync(touched).mtimeMs, 'touched: new mtime stored');
  const e = store().getByPath(path.join(lib, 'people', 'Faces', 'Faces-3.jpg'))!;
  assert.ok(e.indexedAt > s0.get('people/Faces/Faces-3.jpg')!.at, 'edited: indexed again');
  assert.equal(store().getByPath(path.join(lib, 'added.jpg'))?.status, 'indexed');
  assert.deepEqual({ model: a.modelPhotos, moved: a.moved, touched: a.touched, removed: a.removed }, { model: 2, moved: 1, touched: 1, removed: 1 });
  assert.ok(store().recomputeDf().ok);
});

// ---- the daemon ------------------------------------------------------------------------------

function daemon(args: string[]) {
  const child = spawn(process.execPath, ['bin/photowords.js', 'daemon', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => err };
}

test('daemon: a second one on the same database is refused; SIGTERM stops it cleanly', async () => {
  await library.close();
  const ddb = path.join(tmp, 'daemon.db');
  const first = daemon([lib, '--db', ddb, '--poll', '500']);
  try {
    await waitFor('the daemon indexing to idle', () => /Library: \d+ photos indexed/.test(first.output()), 60_000);
    const second = daemon([lib, '--db', ddb]);
    const code = await second.exited;
    assert.notEqual(code, 0);
    assert.match(second.output(), /is in use by a Photowords daemon \(pid \d+/);
    // It keeps watching: a new photo arrives, then SIGTERM while it may be reading it.
    fs.copyFileSync(photo('Leopards', 7), path.join(lib, 'late.jpg'));
    await waitFor('the daemon saw the new photo', () => (first.output().match(/Library: \d+ photos indexed/g) ?? []).length >= 2, 30_000);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output());
    assert.match(first.output(), /SIGTERM: finishing the photos in flight/);
    assert.match(first.output(), /Stopped \(SIGTERM\)/);
  } finally {
    first.child.kill('SIGKILL');
  }
  assert.equal(fs.existsSync(`${ddb}.lock`), false, 'lock released');
  const d = new Database(ddb, { readonly: true });
  assert.equal((d.pragma('integrity_check') as { integrity_check: string }[])[0].integrity_check, 'ok');
  d.close();
  // Consistent: every file on disk indexed once, df equal to what the bags imply.
  library = await Library.open(ddb, { provider: 'cpu', autoIndex: false });
  assert.ok(store().recomputeDf().ok);
  assert.equal(store().getByPath(path.join(lib, 'late.jpg'))?.status, 'indexed');
});
