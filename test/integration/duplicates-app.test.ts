// The app's duplicates over `photowords serve`'s HTTP API (src/core/library/library.ts behind
// src/server/server.ts), with the real model, real photos and a real SQLite file: the groups,
// "Move to trash" into the XDG trash of a temp XDG_DATA_HOME (the `trash` package) with the index
// following at once, "Reveal in folder" through the desktop's opener (PHOTOWORDS_OPENER: a script
// that writes down what it was given), the path guard in front of both, and the report exports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Library } from '../../src/core/library/library.js';
import { nodeDesktop } from '../../src/server/desktop.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { AuthStore } from '../../src/core/index/store/auth.js';
import type { DuplicatesResult, FolderInfo, IndexStatus, PhotoPage, TrashResult } from '../../src/shared/api.js';

const DATA = path.resolve('../shared/datasets');

let tmp: string;
let libDir: string;
let outside: string;
let xdg: string;
let revealedFile: string;
let library: Library;
let server: RunningServer;
/** The flowers17 original, its byte-for-byte copy, its resized and recompressed copy; a caltech101 photo and its copy. */
let flower: string;
let flowerCopy: string;
let flowerSmall: string;
let plane: string;
let planeCopy: string;

type Reply<T> = { status: number; body: { result?: T; error?: { message: string; code: string } } };

async function call<T>(method: string, ...args: unknown[]): Promise<Reply<T>> {
  return callAt<T>(server, method, ...args);
}

/** Each server's CSRF token (a loopback server without sign-in still wants its per-run one), or an API token. */
const creds = new Map<RunningServer, Record<string, string>>();

async function callAt<T>(s: RunningServer, method: string, ...args: unknown[]): Promise<Reply<T>> {
  if (!creds.has(s)) creds.set(s, { 'X-Photowords-CSRF': ((await (await fetch(`${s.url}api/auth/state`)).json()) as { csrf: string }).csrf });
  const res = await fetch(`${s.url}api/call/${method}`, { method: 'POST', body: JSON.stringify(args), headers: { 'Content-Type': 'application/json', ...creds.get(s) } });
  return { status: res.status, body: (await res.json()) as Reply<T>['body'] };
}

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function firstJpeg(dir: string, skip = 0): string {
  return path.join(
    dir,
    fs
      .readdirSync(dir)
      .filter((f) => /\.jpe?g$/i.test(f))
      .sort()[skip],
  );
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-dupapp-'));
  // Read by the trash package when it is first imported (the first trash), not before.
  xdg = path.join(tmp, 'xdg-data');
  process.env.XDG_DATA_HOME = xdg;
  revealedFile = path.join(tmp, 'revealed.txt');
  const opener = path.join(tmp, 'opener.sh');
  fs.writeFileSync(opener, `#!/bin/sh\nprintf '%s\\n' "$@" > '${revealedFile}'\n`, { mode: 0o755 });
  process.env.PHOTOWORDS_OPENER = opener;

  libDir = path.join(tmp, 'photos');
  fs.mkdirSync(path.join(libDir, 'flowers'), { recursive: true });
  fs.mkdirSync(path.join(libDir, 'backup'), { recursive: true });
  fs.mkdirSync(path.join(libDir, 'misc'), { recursive: true });
  const src = firstJpeg(path.join(DATA, 'flowers17', 'c03'), 5);
  flower = path.join(libDir, 'flowers', 'tulip.jpg');
  flowerCopy = path.join(libDir, 'backup', 'tulip.jpg');
  flowerSmall = path.join(libDir, 'flowers', 'tulip-small.jpg');
  fs.copyFileSync(src, flower);
  fs.copyFileSync(src, flowerCopy);
  const { width = 0 } = await sharp(src).metadata();
  await sharp(src)
    .resize(Math.round(width * 0.6))
    .jpeg({ quality: 70 })
    .toFile(flowerSmall);
  plane = path.join(libDir, 'misc', 'plane.jpg');
  planeCopy = path.join(libDir, 'misc', 'plane (1).jpg');
  fs.copyFileSync(firstJpeg(path.join(DATA, 'caltech101', 'airplanes'), 3), plane);
  fs.copyFileSync(plane, planeCopy);
  for (const c of ['Leopards', 'Motorbikes', 'butterfly', 'watch', 'chair', 'sunflower']) {
    fs.copyFileSync(firstJpeg(path.join(DATA, 'caltech101', c)), path.join(libDir, 'misc', `${c}.jpg`));
  }
  fs.writeFileSync(path.join(libDir, 'misc', 'broken.jpg'), 'not a photo');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(outside);
  fs.copyFileSync(flower, path.join(outside, 'tulip.jpg'));

  const staticDir = path.join(tmp, 'ui');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Photowords</title>');
  // No watcher: what the index shows after a trash is the library's own doing, not a file event's.
  library = await Library.open(path.join(tmp, 'index.db'), { provider: 'cpu', watch: false, desktop: nodeDesktop });
  server = await startServer({ library, staticDir, port: 0, roots: [tmp] });
  assert.equal((await call<FolderInfo>('addFolder', libDir)).status, 200);
  // The first run on a fresh checkout also builds the model (a minute or two).
  for (let i = 0; ; i++) {
    const s = (await call<IndexStatus>('status')).body.result!;
    if (s.state === 'idle' && s.libraryPhotos === 11) break;
    if (s.state === 'error') throw new Error(s.message);
    if (i > 3000) throw new Error(`indexing did not finish: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

after(async () => {
  await server?.close();
  await library?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('duplicates: the resized copy and the byte copy join their original; the byte-for-byte pair is an exact group', async () => {
  const r = await call<DuplicatesResult>('duplicates');
  assert.equal(r.status, 200, JSON.stringify(r.body.error));
  const d = r.body.result!;
  assert.equal(d.photos, 11);
  assert.equal(d.sensitivity, d.defaultSensitivity);
  const paths = d.groups.map((g) => g.members.map((m) => m.path).sort()).sort((a, b) => a.length - b.length);
  assert.deepEqual(paths, [[plane, planeCopy].sort(), [flower, flowerCopy, flowerSmall].sort()]);
  const exact = d.groups.find((g) => g.tier === 'exact')!;
  assert.deepEqual(exact.members.map((m) => m.path).sort(), [plane, planeCopy].sort());
  const near = d.groups.find((g) => g.tier === 'near')!;
  const keeper = near.members.find((m) => m.keep)!;
  assert.equal(keeper.id, near.keeper);
  assert.notEqual(keeper.path, flowerSmall, 'the smaller copy is not the suggested keeper');
  assert.match(near.reason, /\w/);
  const small = near.members.find((m) => m.path === flowerSmall)!;
  assert.ok(small.score >= d.sensitivity && small.score < 1, `similarity ${small.score}`);
  assert.ok(small.width! < keeper.width! && small.size > 0 && small.mtimeMs > 0);
  console.log(
    `duplicates over HTTP: ${d.groups.length} groups among ${d.photos} photos in ${d.ms.toFixed(0)} ms; resized copy similarity ${small.score.toFixed(3)}; keeper ${path.basename(keeper.path)}: ${near.reason}`,
  );

  const strict = (await call<DuplicatesResult>('duplicates', { sensitivity: 0.99 })).body.result!;
  assert.equal(strict.sensitivity, 0.99);
  assert.ok(
    strict.groups.some(
      (g) =>
        g.tier === 'exact' &&
        g.members
          .map((m) => m.path)
          .sort()
          .join() === [plane, planeCopy].sort().join(),
    ),
    'byte copies are found whatever the sensitivity',
  );
  for (const bad of [0, 1.5, 'high', -1]) {
    const res = await call('duplicates', { sensitivity: bad });
    assert.equal(res.status, 400, `sensitivity ${JSON.stringify(bad)} is refused`);
    assert.match(res.body.error!.message, /sensitivity/);
  }
});

test('export: the HTML report as a download (its own CSP), CSV and JSON; other sites and unknown formats refused', async () => {
  const html = await fetch(`${server.url}api/duplicates-report?format=html`);
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-disposition') ?? '', /^attachment; filename="photowords-duplicates-\d{4}-\d\d-\d\d\.html"$/);
  assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const page = await html.text();
  for (const p of [flower, flowerCopy, flowerSmall, plane, planeCopy]) assert.ok(page.includes(p), `the report names ${p}`);
  assert.equal((page.match(/<img src="data:image\/jpeg;base64,/g) ?? []).length, 5, 'every photo embedded, nothing linked');
  assert.match(page, /Suggested keeper/);

  const csv = await (await fetch(`${server.url}api/duplicates-report?format=csv`)).text();
  const lines = csv.trim().split('\r\n');
  assert.equal(lines[0], 'group,tier,keep,path,width,height,bytes,modified,captureDate,similarity,phashBits,identical,joinedBy,reason');
  assert.equal(lines.length, 6);
  const json = (await (await fetch(`${server.url}api/duplicates-report?format=json&sensitivity=0.45`)).json()) as { groups: number; rows: { path: string; keep: boolean }[] };
  assert.equal(json.groups, 2);
  assert.equal(json.rows.filter((r) => r.keep).length, 2);

  const crossSite = await fetch(`${server.url}api/duplicates-report?format=html`, { headers: { 'Sec-Fetch-Site': 'cross-site' } });
  assert.equal(crossSite.status, 403);
  assert.equal((await fetch(`${server.url}api/duplicates-report?format=exe`)).status, 400);
  assert.equal((await fetch(`${server.url}api/duplicates-report?format=html&sensitivity=7`)).status, 400);
});

test('reveal: only indexed photos inside the library; the opener gets the folder; refused when serve is reachable from the network', async () => {
  const refused = [path.join(outside, 'tulip.jpg'), path.join(libDir, '..', 'outside', 'tulip.jpg'), '/etc/passwd', path.join(libDir, 'misc', 'broken.jpg'), 'relative.jpg'];
  for (const p of refused) {
    const r = await call('revealPhoto', p);
    assert.equal(r.status, 403, `reveal ${p} is refused`);
    assert.equal(r.body.error!.code, 'forbidden');
  }
  assert.ok(!fs.existsSync(revealedFile), 'the opener never ran for a refused path');
  const ok = await call('revealPhoto', flowerSmall);
  assert.equal(ok.status, 200, JSON.stringify(ok.body.error));
  for (let i = 0; i < 50 && !fs.existsSync(revealedFile); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(fs.readFileSync(revealedFile, 'utf8').trim(), path.dirname(flowerSmall));

  const open = await startServer({ library, staticDir: path.join(tmp, 'ui'), host: '0.0.0.0', port: 0 });
  try {
    // Reachable from the network means sign-in: the owner's API token.
    const store = AuthStore.open(library.dbPath);
    creds.set(open, { Authorization: `Bearer ${store.createToken('test', 'full').token}` });
    store.close();
    const r = await callAt(open, 'revealPhoto', flowerSmall);
    assert.equal(r.status, 403);
    assert.match(r.body.error!.message, /only when photowords serve listens on this computer alone/);
  } finally {
    await open.close();
  }
});

test('move to trash: refused outside the library and for a changed file; the copy goes to the XDG trash and the index forgets it at once', async () => {
  const outsideFile = path.join(outside, 'tulip.jpg');
  for (const p of [outsideFile, path.join(libDir, 'misc', 'broken.jpg'), path.join(libDir, 'misc', 'nope.jpg')]) {
    const r = await call('trashPhoto', p);
    assert.equal(r.status, 403, `trash ${p} is refused: ${JSON.stringify(r.body)}`);
  }
  assert.ok(fs.existsSync(outsideFile) && fs.existsSync(path.join(libDir, 'misc', 'broken.jpg')));

  // A file rewritten since it was indexed is not what the person compared: it stays.
  const before = fs.statSync(planeCopy);
  fs.utimesSync(planeCopy, before.atime, new Date(before.mtimeMs + 5000));
  const changed = await call('trashPhoto', planeCopy);
  assert.equal(changed.status, 409);
  assert.match(changed.body.error!.message, /changed since it was indexed/);
  assert.ok(fs.existsSync(planeCopy));
  fs.utimesSync(planeCopy, before.atime, before.mtime);

  const hash = sha(flowerSmall);
  const photosBefore = (await call<IndexStatus>('status')).body.result!.libraryPhotos;
  const r = await call<TrashResult>('trashPhoto', flowerSmall);
  assert.equal(r.status, 200, JSON.stringify(r.body.error));
  assert.equal(r.body.result!.path, flowerSmall);
  assert.equal(r.body.result!.libraryPhotos, photosBefore - 1);
  assert.match(r.body.result!.message, /in the trash/);
  assert.ok(!fs.existsSync(flowerSmall), 'the file left its folder');
  const trashed = fs.readdirSync(path.join(xdg, 'Trash', 'files'));
  assert.equal(trashed.length, 1);
  assert.equal(sha(path.join(xdg, 'Trash', 'files', trashed[0])), hash, 'the same bytes are in the trash');
  const info = fs.readFileSync(path.join(xdg, 'Trash', 'info', `${trashed[0]}.trashinfo`), 'utf8');
  assert.match(info, new RegExp(`Path=${flowerSmall.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'the trash knows where to restore it');

  const page = (await call<PhotoPage>('listPhotos', { offset: 0, limit: 100 })).body.result!;
  assert.equal(page.total, photosBefore - 1);
  assert.ok(!page.items.some((p) => p.path === flowerSmall), 'the index no longer holds it');
  assert.equal((await call<FolderInfo[]>('listFolders')).body.result![0].photos, photosBefore - 1);
  const d = (await call<DuplicatesResult>('duplicates')).body.result!;
  assert.deepEqual(
    d.groups
      .find((g) => g.members.some((m) => m.path === flower))!
      .members.map((m) => m.path)
      .sort(),
    [flower, flowerCopy].sort(),
  );
  const again = await call('trashPhoto', flowerSmall);
  assert.equal(again.status, 403, 'gone from the library: nothing more to trash');
  const report = await (await fetch(`${server.url}api/duplicates-report?format=csv`)).text();
  assert.ok(!report.includes(flowerSmall), 'the report follows too');
});
