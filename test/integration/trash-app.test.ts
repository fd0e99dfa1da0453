// Bulk trash, the Trash list and Restore through the app's API (issue 19), over `photowords
// serve`'s HTTP transport with the real model, real photos, a real SQLite file and a real XDG
// trash under a temp XDG_DATA_HOME: one trashPhotos call with per-photo results (refused photos
// listed with why, the others gone), what went recorded and listed, Restore putting the same bytes
// back and the library indexing them again, never over a file now at the old place, an emptied
// trash said as such, a file put back by hand taken off the list; and find similar from several
// photos at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Library } from '../../src/core/library/library.js';
import { nodeDesktop } from '../../src/server/desktop.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import {
  isReadOnlyMethod,
  type FolderInfo,
  type IndexStatus,
  type PhotoPage,
  type RestoreResult,
  type SimilarResult,
  type TrashedList,
  type TrashManyResult,
  type TrashResult,
} from '../../src/shared/api.js';

const DATA = path.resolve('../shared/datasets');

let tmp: string;
let xdg: string;
let libDir: string;
let library: Library;
let server: RunningServer;
let csrf = '';
const lilies: string[] = [];
const others: string[] = [];
let N = 0;
/** Content hashes of the photos trashed, from before they went. */
const shas = new Map<string, string>();

type Reply<T> = { status: number; body: { result?: T; error?: { message: string; code: string } } };

async function call<T>(method: string, ...args: unknown[]): Promise<Reply<T>> {
  const res = await fetch(`${server.url}api/call/${method}`, { method: 'POST', body: JSON.stringify(args), headers: { 'Content-Type': 'application/json', 'X-Photowords-CSRF': csrf } });
  return { status: res.status, body: (await res.json()) as Reply<T>['body'] };
}

async function ok<T>(method: string, ...args: unknown[]): Promise<T> {
  const r = await call<T>(method, ...args);
  assert.equal(r.status, 200, `${method}: ${JSON.stringify(r.body.error)}`);
  return r.body.result!;
}

const jpegs = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const trashFiles = () => {
  const dir = path.join(xdg, 'Trash', 'files');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
};

async function indexed(n: number): Promise<void> {
  for (let i = 0; ; i++) {
    const s = await ok<IndexStatus>('status');
    if (s.state === 'idle' && s.libraryPhotos === n) return;
    if (s.state === 'error') throw new Error(s.message);
    if (i > 3000) throw new Error(`indexing did not finish: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function allPaths(): Promise<string[]> {
  return (await ok<PhotoPage>('listPhotos', { offset: 0, limit: 1000 })).items.map((p) => p.path).sort();
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-trash-app-'));
  xdg = path.join(tmp, 'xdg-data');
  // The `trash` package reads XDG_DATA_HOME when it is first loaded (the library's first trash).
  process.env.XDG_DATA_HOME = xdg;
  libDir = path.join(tmp, 'photos');
  fs.mkdirSync(path.join(libDir, 'flowers', 'lilies'), { recursive: true });
  for (const [i, src] of jpegs(path.join(DATA, 'flowers17', 'c07'))
    .slice(0, 4)
    .entries()) {
    const p = path.join(libDir, 'flowers', 'lilies', `lily ${i + 1}.jpg`);
    fs.copyFileSync(src, p);
    lilies.push(p);
  }
  for (const c of ['Leopards', 'watch', 'chair', 'airplanes', 'Motorbikes']) {
    const p = path.join(libDir, `${c.toLowerCase()}.jpg`);
    fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', c))[1], p);
    others.push(p);
  }
  N = lilies.length + others.length;
  const staticDir = path.join(tmp, 'ui');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Photowords</title>');
  library = await Library.open(path.join(tmp, 'index.db'), { provider: 'cpu', watch: false, desktop: nodeDesktop });
  server = await startServer({ library, staticDir, port: 0, roots: [tmp] });
  csrf = ((await (await fetch(`${server.url}api/auth/state`)).json()) as { csrf: string }).csrf;
  await ok<FolderInfo>('addFolder', libDir);
  await indexed(N);
});

after(async () => {
  await server?.close();
  await library?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the methods are typed for the transports: listTrashed and similarToMany read-only, trashPhotos and restoreTrashed not', () => {
  assert.equal(isReadOnlyMethod('listTrashed'), true);
  assert.equal(isReadOnlyMethod('similarToMany'), true);
  assert.equal(isReadOnlyMethod('trashPhotos'), false);
  assert.equal(isReadOnlyMethod('restoreTrashed'), false);
});

test('find similar from several photos: the other lilies first, the chosen ones left out; bad input refused with why', async () => {
  const page = await ok<PhotoPage>('listPhotos', { offset: 0, limit: 100 });
  const id = (p: string) => page.items.find((x) => x.path === p)!.id;
  const r = await ok<SimilarResult>('similarToMany', [id(lilies[0]), id(lilies[1])], { top: 5 });
  assert.deepEqual(r.query.ids, [id(lilies[0]), id(lilies[1])]);
  assert.equal(r.query.name, '2 photos');
  assert.equal(r.results.length, 5);
  assert.ok(!r.results.some((x) => x.path === lilies[0] || x.path === lilies[1]), 'the chosen photos are not results');
  assert.deepEqual(
    r.results
      .slice(0, 2)
      .map((x) => x.path)
      .sort(),
    [lilies[2], lilies[3]].sort(),
    `the other two lilies first: ${r.results.map((x) => `${path.basename(x.path)} ${x.score.toFixed(3)}`).join(', ')}`,
  );
  for (let i = 1; i < r.results.length; i++) assert.ok(r.results[i - 1].score >= r.results[i].score, 'best first');
  // The fused score is the mean of each chosen photo's own score.
  const a = await ok<SimilarResult>('similar', id(lilies[0]), { top: 50 });
  const b = await ok<SimilarResult>('similar', id(lilies[1]), { top: 50 });
  const s = (res: SimilarResult, p: string) => res.results.find((x) => x.path === p)?.score ?? 0;
  const top = r.results[0];
  assert.ok(Math.abs(top.score - (s(a, top.path) + s(b, top.path)) / 2) < 1e-6, `mean of ${s(a, top.path)} and ${s(b, top.path)} is ${top.score}`);
  console.log(`similarToMany(2 lilies): ${r.results.map((x) => `${path.basename(x.path)} ${x.score.toFixed(3)}`).join(', ')}; ${r.queryMs.toFixed(1)} ms ranking`);

  for (const [args, status, re] of [
    [[[]], 400, /1 to 100 photos/],
    [[[1.5]], 400, /whole numbers/],
    [[Array.from({ length: 101 }, (_, i) => i + 1)], 400, /1 to 100/],
    [[[999_999]], 404, /not in the library/],
    [['1'], 400, /1 to 100/],
  ] as const) {
    const bad = await call('similarToMany', ...args);
    assert.equal(bad.status, status, JSON.stringify(args));
    assert.match(bad.body.error!.message, re);
  }
});

test('trashPhotos: one call, per-photo results; refused photos stay with why; the rest in the XDG trash, recorded and listed', async () => {
  const outside = path.join(tmp, 'not-in-library.jpg');
  fs.copyFileSync(others[0], outside);
  const changed = others[1];
  fs.appendFileSync(changed, Buffer.from([0])); // changed since it was indexed
  const before = new Map([lilies[0], lilies[1], others[2]].map((p) => [p, { sha: sha(p), bytes: fs.statSync(p).size }]));
  for (const [p, v] of before) shas.set(p, v.sha);

  const r = await ok<TrashManyResult>('trashPhotos', [lilies[0], outside, lilies[1], changed, lilies[0], others[2], path.join(libDir, 'never-here.jpg')]);
  assert.deepEqual(
    r.trashed.map((t) => t.path),
    [lilies[0], lilies[1], others[2]],
    'the library photos went, in the order asked, a repeat once',
  );
  for (const t of r.trashed) assert.equal(t.bytes, before.get(t.path)!.bytes);
  assert.deepEqual(
    r.failed.map((f) => f.path),
    [outside, changed, path.join(libDir, 'never-here.jpg')],
  );
  assert.match(r.failed[0].reason, /not a photo the library has indexed|outside|refused/);
  assert.match(r.failed[1].reason, /has changed since it was indexed/);
  assert.match(r.message, /^3 photos \([\d.]+ (KB|MB)\) moved to the trash; .* 3 photos not moved/);
  assert.equal(r.libraryPhotos, N - 3);
  assert.ok(fs.existsSync(outside) && fs.existsSync(changed), 'refused files are untouched');
  for (const p of before.keys()) assert.ok(!fs.existsSync(p), `${path.basename(p)} left its folder`);
  assert.deepEqual(trashFiles().map(sha).sort(), [...before.values()].map((v) => v.sha).sort(), 'in the XDG trash, byte for byte');
  assert.equal((await allPaths()).length, N - 3);

  // The single-photo trash is recorded too.
  const watchBytes = fs.statSync(others[3]).size;
  const one = await ok<TrashResult>('trashPhoto', others[3]);
  assert.equal(one.bytes, watchBytes);

  const list = await ok<TrashedList>('listTrashed');
  assert.equal(list.restoreSupported, true);
  assert.deepEqual(
    list.items.map((i) => i.path),
    [others[3], others[2], lilies[1], lilies[0]],
    'newest first',
  );
  for (const i of list.items) {
    assert.equal(i.restorable, true, `${i.name}: ${i.note}`);
    assert.equal(i.name, path.basename(i.path));
    assert.equal(i.folder, libDir);
    assert.ok(i.width! > 0 && i.height! > 0 && i.bytes > 0);
  }
  // Bad input loses nothing.
  for (const args of [[[]], ['x'], [[1]], [['']]]) assert.equal((await call('trashPhotos', ...args)).status, 400, JSON.stringify(args));
});

test('restoreTrashed: the same bytes back in place and indexed again; never over a file now at its place; an emptied trash said as such', async () => {
  const list = await ok<TrashedList>('listTrashed');
  const byPath = new Map(list.items.map((i) => [i.path, i]));
  // Someone put a new file where lily 2 was.
  fs.writeFileSync(lilies[1], 'a new file where lily 2 was');
  const listed = await ok<TrashedList>('listTrashed');
  assert.equal(listed.items.find((i) => i.path === lilies[1])!.note, 'a file is at its place now');
  // The trash was emptied of watch.jpg by hand (its .trashinfo left behind).
  const emptied = byPath.get(others[3])!;
  const watchFile = trashFiles().find((f) => fs.statSync(f).size === emptied.bytes)!;
  fs.rmSync(watchFile);
  assert.equal((await ok<TrashedList>('listTrashed')).items.find((i) => i.path === others[3])!.note, 'no longer in the trash (emptied, or put back by hand)');

  const r = await ok<RestoreResult>('restoreTrashed', 'all');
  assert.deepEqual(r.restored.map((x) => x.path).sort(), [lilies[0], others[2]].sort());
  assert.deepEqual(r.failed.map((f) => f.path).sort(), [lilies[1], others[3]].sort());
  assert.match(r.failed.find((f) => f.path === lilies[1])!.reason, /a file is at .*lily 2\.jpg now, so lily 2\.jpg stays in the trash/);
  assert.match(r.failed.find((f) => f.path === others[3])!.reason, /no longer in the trash/);
  assert.equal(fs.readFileSync(lilies[1], 'utf8'), 'a new file where lily 2 was', 'the new file is untouched');
  assert.match(r.message, /^2 files put back where they were\. 2 files not restored/);
  for (const p of [lilies[0], others[2]]) assert.equal(sha(p), shas.get(p), `${path.basename(p)} has its own bytes back`);

  // The library indexes them again (watching is off here: Restore asks for it).
  await indexed(N - 4 + 2);
  const paths = await allPaths();
  assert.ok(paths.includes(lilies[0]) && paths.includes(others[2]));

  // The place is free again: lily 2 comes back with its own bytes.
  fs.rmSync(lilies[1]);
  const left = await ok<TrashedList>('listTrashed');
  assert.deepEqual(
    left.items.map((i) => i.path),
    [others[3], lilies[1]],
  );
  const again = await ok<RestoreResult>('restoreTrashed', [left.items.find((i) => i.path === lilies[1])!.id, 424242]);
  assert.deepEqual(
    again.restored.map((x) => x.path),
    [lilies[1]],
  );
  assert.equal(sha(lilies[1]), shas.get(lilies[1]));
  assert.deepEqual(
    again.failed.map((f) => f.id),
    [424242],
  );
  assert.match(again.failed[0].reason, /no record/);
  await indexed(N - 1);
  assert.equal((await ok<TrashedList>('listTrashed')).items.length, 1, 'only the emptied one stays on the list');

  // Put back by hand (a file manager's Restore): Restore finds the same bytes in place and drops the record.
  const bike = others[4];
  const bikeSha = sha(bike);
  await ok<TrashManyResult>('trashPhotos', [bike]);
  await indexed(N - 2);
  const f = trashFiles().find((x) => sha(x) === bikeSha)!;
  fs.renameSync(f, bike);
  fs.rmSync(path.join(xdg, 'Trash', 'info', `${path.basename(f)}.trashinfo`));
  const rec = (await ok<TrashedList>('listTrashed')).items.find((i) => i.path === bike)!;
  assert.equal(rec.restorable, false);
  assert.equal(rec.note, 'back at its place already (put back by hand)');
  const byHand = await ok<RestoreResult>('restoreTrashed', [rec.id]);
  assert.deepEqual(
    byHand.restored.map((x) => x.path),
    [bike],
  );
  assert.equal(sha(bike), bikeSha);
  await indexed(N - 1);
  assert.deepEqual(
    (await ok<TrashedList>('listTrashed')).items.map((i) => i.path),
    [others[3]],
  );

  for (const args of [['some'], [[]], [[1.5]], [{}]]) assert.equal((await call('restoreTrashed', ...args)).status, 400, JSON.stringify(args));
});
