// The app's engine service (src/core/library/library.ts) behind `photowords serve`'s HTTP API, with the
// real model, real photos and a real SQLite file: folders, indexing to idle, find similar by id
// and by uploaded bytes, thumbnails, pause/resume, and the rule that no request reads a file
// outside the library folders.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Library } from '../../src/core/library/library.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import type { AuthState, BackendEvent, FolderInfo, IndexStatus, PhotoPage, SimilarResult } from '../../src/shared/api.js';

const DATA = path.resolve('../shared/datasets/caltech101');
const CLASSES = ['airplanes', 'Faces', 'Leopards'];
const PER_CLASS = 8;
/** The class photos, plus link-out.jpg and escape/private.jpg, reached through symlinks. */
const N = CLASSES.length * PER_CLASS + 2;

let tmp: string;
let libDir: string;
let outside: string;
let library: Library;
let server: RunningServer;
const events: BackendEvent[] = [];

/** The per-run CSRF token of a loopback server without sign-in (what the page reads first). */
let csrf = '';

async function call<T>(method: string, ...args: unknown[]): Promise<{ status: number; body: { result?: T; error?: { message: string; code: string } } }> {
  const res = await fetch(`${server.url}api/call/${method}`, {
    method: 'POST',
    body: JSON.stringify(args),
    headers: { 'Content-Type': 'application/json', 'X-Photowords-CSRF': csrf },
  });
  return { status: res.status, body: (await res.json()) as { result?: T; error?: { message: string; code: string } } };
}

async function waitIdle(): Promise<IndexStatus> {
  for (let i = 0; i < 600; i++) {
    const s = (await call<IndexStatus>('status')).body.result!;
    if (s.state === 'idle' || s.state === 'error') return s;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('indexing did not finish');
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-server-'));
  libDir = path.join(tmp, 'photos');
  for (const c of CLASSES) {
    fs.mkdirSync(path.join(libDir, c), { recursive: true });
    for (const f of fs.readdirSync(path.join(DATA, c)).sort().slice(0, PER_CLASS)) {
      fs.copyFileSync(path.join(DATA, c, f), path.join(libDir, c, f));
    }
  }
  fs.writeFileSync(path.join(libDir, 'airplanes', 'broken.jpg'), Buffer.from('not a jpeg at all'));
  // Files next to the library that a request must never reach.
  outside = path.join(tmp, 'secret');
  fs.mkdirSync(outside);
  fs.copyFileSync(path.join(DATA, 'airplanes', fs.readdirSync(path.join(DATA, 'airplanes')).sort()[20]), path.join(outside, 'private.jpg'));
  fs.writeFileSync(path.join(outside, 'notes.txt'), 'secret');
  fs.symlinkSync(outside, path.join(libDir, 'escape'));
  fs.symlinkSync(path.join(outside, 'private.jpg'), path.join(libDir, 'airplanes', 'link-out.jpg'));

  const staticDir = path.join(tmp, 'ui');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Photowords</title>');
  library = await Library.open(path.join(tmp, 'index.db'), { provider: 'cpu' });
  library.onEvent((e) => events.push(e));
  server = await startServer({ library, staticDir, port: 0, roots: [tmp] });
  csrf = ((await (await fetch(`${server.url}api/auth/state`)).json()) as AuthState).csrf!;
});

after(async () => {
  await server?.close();
  await library?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('adding a folder indexes it; counts, pages, failures and events follow', async () => {
  const bad = await call('addFolder', path.join(tmp, 'nope'));
  assert.equal(bad.status, 404);
  assert.match(bad.body.error!.message, /no folder/);
  const rel = await call('addFolder', 'photos');
  assert.equal(rel.status, 400, 'a relative path is refused with a reason');

  const added = await call<FolderInfo>('addFolder', libDir);
  assert.equal(added.status, 200);
  const dup = await call('addFolder', libDir);
  assert.equal(dup.status, 400);
  assert.match(dup.body.error!.message, /already in the library/);

  const status = await waitIdle();
  assert.equal(status.state, 'idle');
  assert.equal(status.libraryPhotos, N);
  assert.ok(
    status.failures.some((f) => f.path.endsWith('broken.jpg') && f.reason.length > 0),
    'the broken file is listed with its reason',
  );
  // The scanner follows links a person put in a library folder: the linked photo and the linked
  // folder's photo are indexed under the paths they were reached by.
  const folders = (await call<FolderInfo[]>('listFolders')).body.result!;
  assert.equal(folders.length, 1);
  assert.equal(folders[0].photos, N);
  assert.equal(folders[0].failed, 1);
  assert.ok(
    events.some((e) => e.type === 'status' && e.status.state === 'indexing'),
    'progress was pushed while indexing',
  );
  assert.ok(events.some((e) => e.type === 'library'));

  const page = (await call<PhotoPage>('listPhotos', { offset: 5, limit: 10 })).body.result!;
  assert.equal(page.total, N);
  assert.equal(page.items.length, 10);
  const all = (await call<PhotoPage>('listPhotos', { offset: 0, limit: 1000, folderId: folders[0].id })).body.result!;
  assert.deepEqual(all.items.slice(5, 15), page.items);
  // The grid's default order: date taken, newest first (these copies have no EXIF: their file times).
  const taken = all.items.map((p) => p.taken!);
  assert.ok(
    taken.every((t, i) => typeof t === 'string' && (i === 0 || t <= taken[i - 1])),
    'pages come newest first by date taken',
  );
  assert.ok(all.items.every((p) => p.takenFrom === 'mtime' && p.bytes! > 0));
  const byName = (await call<PhotoPage>('listPhotos', { offset: 0, limit: 1000, sort: 'name' })).body.result!;
  const names = byName.items.map((p) => p.name.toLowerCase());
  assert.deepEqual(names, [...names].sort(), 'and by name when asked');
});

test('find similar by id ranks the query first and mostly its own class', async () => {
  // The first photo of each class by name (as this test chose them when the list came in path
  // order): flowers17 holds a few byte-near twins, and a twin's query may rank its twin first.
  const page = (await call<PhotoPage>('listPhotos', { offset: 0, limit: 1000, sort: 'name' })).body.result!;
  let hits = 0;
  for (const c of CLASSES) {
    const q = page.items.find((p) => p.path.includes(`/${c}/`))!;
    const r = (await call<SimilarResult>('similar', q.id, { top: 6 })).body.result!;
    assert.equal(r.results[0].id, q.id, 'the query stays in its own ranking, first');
    assert.equal(r.similarity, 'tfidf');
    hits += r.results.slice(1).filter((x) => x.path.includes(`/${c}/`)).length;
  }
  assert.ok(hits >= 10, `at least 10 of 15 neighbours share the query's class (got ${hits})`);
  const missing = await call('similar', 999999);
  assert.equal(missing.status, 404);
});

test('find similar to a file from outside the library, by its bytes', async () => {
  const bytes = fs.readFileSync(path.join(outside, 'private.jpg'));
  const res = await fetch(`${server.url}api/similar-file?name=private.jpg&top=5`, { method: 'POST', body: bytes, headers: { 'X-Photowords-CSRF': csrf } });
  assert.equal(res.status, 200);
  const r = ((await res.json()) as { result: SimilarResult }).result;
  assert.equal(r.query.indexed, false);
  assert.equal(r.query.name, 'private.jpg');
  assert.equal(r.results.length, 5);
  assert.ok(r.results.filter((x) => x.path.includes('/airplanes/')).length >= 3, 'an airplane finds airplanes');

  // Chunked (no Content-Length): streamed to a private temp file, then read once.
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 4096) c.enqueue(bytes.subarray(i, i + 4096));
      c.close();
    },
  });
  const chunked = await fetch(`${server.url}api/similar-file?name=private.jpg&top=5`, { method: 'POST', body, duplex: 'half', headers: { 'X-Photowords-CSRF': csrf } } as RequestInit);
  assert.equal(chunked.status, 200);
  assert.deepEqual(
    ((await chunked.json()) as { result: SimilarResult }).result.results.map((x) => x.id),
    r.results.map((x) => x.id),
    'the same answer as with a Content-Length',
  );

  const junk = await fetch(`${server.url}api/similar-file?name=junk.jpg`, { method: 'POST', body: Buffer.from('junk'), headers: { 'X-Photowords-CSRF': csrf } });
  assert.equal(junk.status, 400);
  assert.match(((await junk.json()) as { error: { message: string } }).error.message, /junk\.jpg could not be read as a photo/);
});

test('files are served only from inside library folders', async () => {
  const inside = path.join(libDir, 'airplanes', fs.readdirSync(path.join(libDir, 'airplanes')).filter((f) => f.startsWith('image'))[0]);
  const ok = await fetch(`${server.url}file?path=${encodeURIComponent(inside)}`);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'image/jpeg');
  assert.deepEqual(Buffer.from(await ok.arrayBuffer()), fs.readFileSync(inside));

  const thumb = await fetch(`${server.url}thumb?path=${encodeURIComponent(inside)}&size=160`);
  assert.equal(thumb.status, 200);
  const tb = Buffer.from(await thumb.arrayBuffer());
  assert.equal(tb[0], 0xff, 'a JPEG');
  const sharp = (await import('sharp')).default;
  const meta = await sharp(tb).metadata();
  assert.ok(Math.max(meta.width!, meta.height!) <= 160);

  // A link the person put in the library leads to a photo the library indexed through it: shown.
  const linked = await fetch(`${server.url}file?path=${encodeURIComponent(path.join(libDir, 'airplanes', 'link-out.jpg'))}`);
  assert.equal(linked.status, 200);
  fs.copyFileSync(path.join(outside, 'private.jpg'), path.join(outside, 'other.jpg'));
  fs.symlinkSync(path.join(outside, 'other.jpg'), path.join(libDir, 'late-link.jpg'));
  const refused = [
    '/etc/passwd',
    path.join(outside, 'private.jpg'), // an image, but outside
    path.join(libDir, '..', 'secret', 'private.jpg'), // '..' out of the library
    'relative/path.jpg',
  ];
  // Under a library folder but never indexed: not the library's photo, whatever its name.
  const notIndexed = [
    path.join(libDir, 'late-link.jpg'), // a link to outside that the library never indexed
    path.join(libDir, 'escape', 'notes.txt'), // not a photo, through a linked folder
    path.join(libDir, 'escape', 'other.jpg'), // not indexed, through a linked folder
    path.join(libDir, 'airplanes', 'never-there.jpg'), // no such file: the same answer
  ];
  for (const [list, status, code] of [
    [refused, 403, 'forbidden'],
    [notIndexed, 404, 'not-found'],
  ] as const) {
    for (const p of list) {
      for (const route of ['file', 'thumb']) {
        const res = await fetch(`${server.url}${route}?path=${encodeURIComponent(p)}`);
        assert.equal(res.status, status, `${route} ${p} is refused`);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, code);
      }
    }
  }
  fs.rmSync(path.join(libDir, 'late-link.jpg'));
  fs.rmSync(path.join(outside, 'other.jpg'));
});

test('requests from other sites and other host names are refused', async () => {
  const res = await fetch(`${server.url}api/call/status`, { method: 'POST', body: '[]', headers: { Origin: 'http://evil.example' } });
  assert.equal(res.status, 403);
  const http = await import('node:http');
  const u = new URL(server.url);
  const status = await new Promise<number>((resolve, reject) => {
    http.get({ host: u.hostname, port: u.port, path: '/', headers: { Host: `evil.example:${u.port}` } }, (r) => resolve(r.statusCode!)).on('error', reject);
  });
  assert.equal(status, 403, 'DNS rebinding: a foreign Host header is refused');
  const page = await fetch(server.url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const unknown = await call('close');
  assert.equal(unknown.status, 404, 'only the API methods can be called');
});

test('pause stops indexing, resume finishes it; removing a folder forgets its photos', async () => {
  const extra = path.join(tmp, 'extra');
  fs.mkdirSync(extra);
  const src = path.join(DATA, 'Motorbikes');
  for (const f of fs.readdirSync(src).sort().slice(0, 12)) fs.copyFileSync(path.join(src, f), path.join(extra, f));
  const added = (await call<FolderInfo>('addFolder', extra)).body.result!;
  const paused = (await call<IndexStatus>('pause')).body.result!;
  assert.equal(paused.state, 'paused');
  const during = (await call<IndexStatus>('status')).body.result!;
  assert.equal(during.state, 'paused');
  assert.ok(during.libraryPhotos < N + 12, 'paused before the new folder was done');
  await call('resume');
  const done = await waitIdle();
  assert.equal(done.libraryPhotos, N + 12);

  const removed = await call('removeFolder', added.id);
  assert.equal(removed.status, 200);
  const after = (await call<IndexStatus>('status')).body.result!;
  assert.equal(after.libraryPhotos, N);
  assert.ok(fs.existsSync(path.join(extra, fs.readdirSync(extra)[0])), 'the files themselves are untouched');
  const res = await fetch(`${server.url}file?path=${encodeURIComponent(path.join(extra, fs.readdirSync(extra)[0]))}`);
  assert.equal(res.status, 403, 'a removed folder is no longer readable');
});

test('settings: scoring changes at once; a k-gram change re-indexes; bad values are refused', async () => {
  const bad = await call('setSettings', { kernel: 9 });
  assert.equal(bad.status, 400);
  const sim = (await call<{ settings: { similarity: string }; reindexing: boolean }>('setSettings', { similarity: 'bm25' })).body.result!;
  assert.equal(sim.settings.similarity, 'bm25');
  assert.equal(sim.reindexing, false);
  const page = (await call<PhotoPage>('listPhotos', { offset: 0, limit: 1 })).body.result!;
  assert.equal((await call<SimilarResult>('similar', page.items[0].id, { top: 3 })).body.result!.similarity, 'bm25');
  const k = (await call<{ settings: { kernel: number }; reindexing: boolean; message: string }>('setSettings', { kernel: 2, similarity: 'tfidf' })).body.result!;
  assert.equal(k.reindexing, true);
  assert.equal(k.settings.kernel, 2);
  const done = await waitIdle();
  assert.equal(done.libraryPhotos, N, 'every photo indexed again with the new words');
  assert.equal((await call<FolderInfo[]>('listFolders')).body.result!.length, 1, 'the folders survive the rebuild');
});
