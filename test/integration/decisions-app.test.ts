// Decisions about duplicates through the app's API (issue 7), over `photowords serve`'s HTTP
// transport with the real model, real photos and a real SQLite file: the two tiers and each
// member's link in words, "not duplicates" / "keep all" / "keep this one" stored by photo ids
// (mapped to contents by the library), the search following at once (no stale cached answer),
// undo, the Decisions list, and clear refusals for unknown photos and impossible decisions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Library } from '../../src/core/library/library.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import type { DecisionView, DuplicatesResult, FolderInfo, IndexStatus } from '../../src/shared/api.js';

const DATA = path.resolve('../shared/datasets');

let tmp: string;
let libDir: string;
let library: Library;
let server: RunningServer;
let flower: string;
let small: string;
let mirror: string;
let plane: string;
let planeCopy: string;
const N = 9;

type Reply<T> = { status: number; body: { result?: T; error?: { message: string; code: string } } };

/** The server's per-run CSRF token (a loopback server without sign-in still wants it on every call). */
let csrf = '';

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
const groupOf = (d: DuplicatesResult, p: string) => d.groups.find((g) => g.members.some((m) => m.path === p));

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-decisions-app-'));
  libDir = path.join(tmp, 'photos');
  fs.mkdirSync(libDir, { recursive: true });
  const [src, other] = jpegs(path.join(DATA, 'flowers17', 'c07')).slice(11, 13);
  flower = path.join(libDir, 'lily.jpg');
  fs.copyFileSync(src, flower);
  const { width = 0 } = await sharp(src).metadata();
  small = path.join(libDir, 'lily-small.jpg');
  await sharp(src)
    .resize(Math.round(width * 0.6))
    .jpeg({ quality: 75 })
    .toFile(small);
  mirror = path.join(libDir, 'lily-mirrored.jpg');
  await sharp(src).flop().jpeg({ quality: 90 }).toFile(mirror);
  fs.copyFileSync(other, path.join(libDir, 'another-lily.jpg'));
  plane = path.join(libDir, 'plane.jpg');
  planeCopy = path.join(libDir, 'plane copy.jpg');
  fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', 'airplanes'))[3], plane);
  fs.copyFileSync(plane, planeCopy);
  for (const c of ['Leopards', 'watch', 'chair']) fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', c))[1], path.join(libDir, `${c}.jpg`));

  const staticDir = path.join(tmp, 'ui');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Photowords</title>');
  library = await Library.open(path.join(tmp, 'index.db'), { provider: 'cpu', watch: false });
  server = await startServer({ library, staticDir, port: 0, roots: [tmp] });
  csrf = ((await (await fetch(`${server.url}api/auth/state`)).json()) as { csrf: string }).csrf;
  await ok<FolderInfo>('addFolder', libDir);
  for (let i = 0; ; i++) {
    const s = await ok<IndexStatus>('status');
    if (s.state === 'idle' && s.libraryPhotos === N) break;
    if (s.state === 'error') throw new Error(s.message);
    if (i > 3000) throw new Error(`indexing did not finish: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

after(async () => {
  await server?.close();
  await library?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('two tiers: the resized and mirrored copies join the original, each with how it joined in words; similar shots pass through', async () => {
  const d = await ok<DuplicatesResult>('duplicates');
  assert.equal(d.photos, N);
  assert.equal(d.similarShots, d.defaultSimilarShots);
  assert.ok(Array.isArray(d.similar) && Array.isArray(d.keptAll));
  const g = groupOf(d, flower)!;
  assert.ok(g, 'the original has a group');
  assert.deepEqual(g.members.map((m) => m.path).sort(), [flower, small, mirror].sort());
  assert.match(g.key, /^[0-9a-f]{16}$/);
  // The mirrored copy (q90) may be a larger file than the original: then the original is the mirror of the keeper.
  const pair = g.members.filter((x) => x.path === mirror || x.path === flower);
  assert.deepEqual(pair.map((x) => x.transform ?? 'none').sort(), ['mirror', 'none'], 'one of the original and the mirrored copy is the mirror of the other');
  for (const x of g.members.filter((y) => y.id !== g.keeper)) assert.ok(x.link && x.why, `${path.basename(x.path)} says how it joined`);
  assert.ok(
    g.members.some((x) => /mirrored copy/.test(x.why ?? '')),
    g.members.map((x) => x.why).join('; '),
  );
  const exact = groupOf(d, plane)!;
  assert.equal(exact.tier, 'exact');
  assert.match(exact.members.find((x) => x.id !== exact.keeper)!.why!, /same bytes/);
  console.log(`tiers: ${d.groups.length} same-photo groups, ${d.similar.length} similar-shot groups; ${g.members.map((x) => `${path.basename(x.path)}: ${x.why ?? 'keeper'}`).join('; ')}`);

  const loose = await ok<DuplicatesResult>('duplicates', { similarShots: 0.2, burstSeconds: 5 });
  assert.equal(loose.similarShots, 0.2);
  assert.equal(loose.burstSeconds, 5);
  for (const bad of [{ similarShots: 0 }, { similarShots: 2 }, { burstSeconds: -1 }]) {
    assert.equal((await call('duplicates', bad)).status, 400, JSON.stringify(bad));
  }
});

test('not duplicates: the group goes at once, is listed with its photos, and comes back on undo', async () => {
  const before = await ok<DuplicatesResult>('duplicates');
  const g = groupOf(before, flower)!;
  const ids = g.members.map((m) => m.id);
  const decision = await ok<DecisionView>('decideDuplicates', { kind: 'not-duplicates', ids });
  assert.equal(decision.kind, 'not-duplicates');
  assert.equal(decision.stale, false);
  assert.deepEqual(decision.photos.map((p) => p.path).sort(), [flower, small, mirror].sort());
  const after = await ok<DuplicatesResult>('duplicates');
  assert.equal(groupOf(after, flower), undefined, 'dismissed: no longer a group');
  assert.ok(groupOf(after, plane), 'other groups stay');
  const list = await ok<DecisionView[]>('listDecisions');
  assert.deepEqual(
    list.map((x) => x.id),
    [decision.id],
  );
  assert.ok(list[0].createdAt > Date.now() - 60_000);
  assert.deepEqual(await ok('undoDecision', decision.id), { undone: true });
  assert.deepEqual((await ok<DuplicatesResult>('duplicates')).groups.map((x) => x.key).sort(), before.groups.map((x) => x.key).sort(), 'undone: back as before');
  assert.equal((await call('undoDecision', decision.id)).status, 404);
  assert.deepEqual(await ok('listDecisions'), []);
});

test('keep this one and keep all', async () => {
  const d = await ok<DuplicatesResult>('duplicates');
  const g = groupOf(d, flower)!;
  const smallId = g.members.find((m) => m.path === small)!.id;
  assert.notEqual(g.keeper, smallId);
  const keeper = await ok<DecisionView>('decideDuplicates', { kind: 'keeper', ids: g.members.map((m) => m.id), keeper: smallId });
  assert.deepEqual(
    keeper.keeper!.map((p) => p.path),
    [small],
  );
  const chosen = groupOf(await ok<DuplicatesResult>('duplicates'), flower)!;
  assert.equal(chosen.keeper, smallId);
  assert.equal(chosen.reason, 'chosen by you');
  assert.deepEqual(chosen.decision, { id: keeper.id, kind: 'keeper' });
  await ok('undoDecision', keeper.id);

  const kept = await ok<DecisionView>('decideDuplicates', { kind: 'keep-all', ids: g.members.map((m) => m.id) });
  const after = await ok<DuplicatesResult>('duplicates');
  assert.equal(groupOf(after, flower), undefined);
  const k = after.keptAll.find((x) => x.members.some((m) => m.path === flower));
  assert.ok(k, 'kept whole: listed under keptAll');
  assert.deepEqual(k.decision, { id: kept.id, kind: 'keep-all' });
  await ok('undoDecision', kept.id);
  assert.ok(groupOf(await ok<DuplicatesResult>('duplicates'), flower));
});

test('refusals: unknown photos, a keeper outside the group, byte-for-byte copies, malformed decisions', async () => {
  const d = await ok<DuplicatesResult>('duplicates');
  const g = groupOf(d, flower)!;
  const ids = g.members.map((m) => m.id);
  const unknown = await call('decideDuplicates', { kind: 'not-duplicates', ids: [ids[0], 999_999] });
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error!.message, /Photo 999999 is not in the library/);
  const outside = await call('decideDuplicates', { kind: 'keeper', ids, keeper: 999_999 });
  assert.equal(outside.status, 400);
  assert.match(outside.body.error!.message, /must be one of the group/);
  const exact = groupOf(d, plane)!;
  const same = await call('decideDuplicates', { kind: 'keep-all', ids: exact.members.map((m) => m.id) });
  assert.equal(same.status, 400);
  assert.match(same.body.error!.message, /very same bytes/);
  for (const bad of [null, {}, { kind: 'delete', ids }, { kind: 'keep-all', ids: [ids[0]] }, { kind: 'keep-all', ids: ['1', '2'] }]) {
    assert.equal((await call('decideDuplicates', bad)).status, 400, JSON.stringify(bad));
  }
  assert.equal((await call('undoDecision', 'x')).status, 400);
  assert.deepEqual(await ok('listDecisions'), [], 'nothing was stored by a refused call');
});
