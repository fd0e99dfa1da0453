// The query index on disk (src/core/search/persisted-index.ts, persisted-snapshot.ts): a file read
// back gives the same arrays and the same answers as the build it was written from; a cut-off,
// damaged, foreign or out-of-step file is refused with a reason and the live index builds again
// (and writes a good file), never crashing and never answering from it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IndexStore } from '../../../src/core/index/store.js';
import { ImpactIndex } from '../../../src/core/search/impact-index.js';
import { LiveIndex } from '../../../src/core/search/live-index.js';
import { readQueryIndex, writeQueryIndex, QIDX_MAGIC, type QueryIndexStamp } from '../../../src/core/search/persisted-index.js';
import { skewedBags } from '../../fixtures/bags.js';
import type { Bag } from '../../../src/core/common/types.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-qidx-'));
const stores: IndexStore[] = [];
after(() => {
  for (const s of stores) s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const GRID = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
const STAMP: QueryIndexStamp = { fingerprint: 'test', since: 1, digest: { count: 0, idSum: 0, atSum: 0 } };

function syntheticIndex(n: number, space = 3000): { index: ImpactIndex; bags: Bag[] } {
  const bag = skewedBags(11, space, 80);
  const bags = Array.from({ length: n }, () => bag());
  return { index: ImpactIndex.build(bags.map((b, i) => ({ id: i * 3 + 1, bag: b }))), bags };
}

const withTimes = (index: ImpactIndex) => ({ ...index.toParts(), indexedAt: Float64Array.from(index.ids, (id) => 1e12 + id) });

function openStore(name: string): IndexStore {
  const s = IndexStore.open(path.join(tmp, name), { fingerprint: 'test', settings: {} });
  stores.push(s);
  return s;
}

function put(store: IndexStore, name: string, bag: Bag): number {
  return store.putIndexed({ path: `/photos/${name}.jpg`, size: 1, mtimeMs: 1, width: 1, height: 1 }, GRID, bag);
}

function fillStore(name: string, n: number): { store: IndexStore; bags: Bag[] } {
  const store = openStore(name);
  const bag = skewedBags(5, 3000, 60);
  const bags: Bag[] = [];
  for (let i = 0; i < n; i++) {
    const b = bag();
    bags.push(b);
    put(store, `p${i}`, b);
  }
  return { store, bags };
}

test('a written index reads back as the same arrays and answers the same queries, same ranking and scores', async () => {
  const { index, bags } = syntheticIndex(2000, 70000); // more than 65,536 words: 32-bit word slots
  const file = path.join(tmp, 'roundtrip.qidx');
  const bytes = await writeQueryIndex(file, withTimes(index), STAMP);
  assert.equal(fs.statSync(file).size, bytes);
  const r = readQueryIndex(file);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.deepEqual(r.stamp, STAMP);
  const want = withTimes(index);
  for (const [name, a] of Object.entries(r.parts)) {
    const b = want[name as keyof typeof want];
    assert.equal(a.constructor, b.constructor, name);
    assert.deepEqual(a, b, name);
  }
  const loaded = ImpactIndex.fromParts(r.parts);
  for (let q = 0; q < 40; q++) {
    const query = bags[(q * 37) % bags.length];
    assert.deepEqual(loaded.search(query, { k: 20 }), index.search(query, { k: 20 }), `query ${q}`);
    assert.deepEqual(loaded.searchDoc(q, { k: 10 }), index.searchDoc(q, { k: 10 }), `doc ${q}`);
  }
  // No temporary file is left beside it.
  assert.deepEqual(
    fs.readdirSync(tmp).filter((f) => f.startsWith('roundtrip')),
    ['roundtrip.qidx'],
  );
});

test('a cut-off, damaged, appended-to or foreign file is refused with a reason, never thrown', async () => {
  const { index } = syntheticIndex(300);
  const good = path.join(tmp, 'good.qidx');
  await writeQueryIndex(good, withTimes(index), STAMP);
  const bytes = fs.readFileSync(good);
  const variant = (name: string, b: Uint8Array) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, b);
    const r = readQueryIndex(f);
    assert.equal(r.ok, false, name);
    return r.ok ? '' : r.reason;
  };
  assert.match(variant('cut.qidx', bytes.subarray(0, Math.floor(bytes.length / 2))), /cut off/);
  assert.match(variant('cut-header.qidx', bytes.subarray(0, 30)), /header runs past|too short/);
  assert.match(variant('empty.qidx', new Uint8Array(0)), /too short/);
  assert.match(variant('long.qidx', Buffer.concat([bytes, Buffer.alloc(8)])), /appended/);
  // One bit flipped in the last array (postings' tf codes), then in the header.
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 3] ^= 4;
  assert.match(variant('flipped.qidx', flipped), /indexedAt is damaged \(checksum\)/);
  const flippedHead = Buffer.from(bytes);
  flippedHead[40] ^= 1;
  assert.match(variant('flipped-head.qidx', flippedHead), /header is damaged/);
  assert.match(variant('foreign.qidx', Buffer.from('SQLite format 3\0' + 'x'.repeat(100))), /wrong magic/);
  const future = Buffer.from(bytes);
  future.writeUInt32LE(99, QIDX_MAGIC.length);
  assert.match(variant('future.qidx', future), /format version 99/);
  assert.deepEqual(readQueryIndex(path.join(tmp, 'absent.qidx')), { ok: false, reason: 'missing' });
});

test('a library opened again loads its query index from the file and answers exactly as the build did', async () => {
  const { store, bags } = fillStore('reopen.db', 600);
  const first = new LiveIndex(store, { background: false });
  const queries = [bags[3], bags[100], bags[599], skewedBags(99, 3000, 60)()];
  const built = queries.map((q) => first.search(q, 15));
  assert.equal(first.stats.foregroundBuilds, 1);
  await first.close();
  assert.ok(fs.existsSync(`${store.path}.qidx`));
  assert.equal(first.persisted!.stats.writes, 1);

  const second = new LiveIndex(store, { background: false });
  assert.deepEqual(
    queries.map((q) => second.search(q, 15)),
    built,
  );
  assert.equal(second.stats.foregroundBuilds, 0, 'loaded, not built');
  assert.equal(second.persisted!.stats.loads, 1);
  assert.equal(second.persisted!.stats.writes, 0, 'a file in step is not written again');
  await second.close();
});

test('photos added, re-indexed and removed after the file was written are the delta: answers match a live index that never closed', async () => {
  const { store, bags } = fillStore('changed.db', 500);
  // Photos stored in the build's first millisecond are in both the file and the delta (correct, but
  // the delta's size below would count them): let the clock move on first.
  await new Promise((r) => setTimeout(r, 5));
  const first = new LiveIndex(store, { background: false, rebuildMin: 1e9 });
  first.search(bags[0], 5);
  await first.close();
  await new Promise((r) => setTimeout(r, 5)); // later photos are stamped after the file's `since`
  const bag = skewedBags(77, 3000, 60);
  const added = Array.from({ length: 20 }, (_, i) => put(store, `new${i}`, bag()));
  put(store, 'p7', bag()); // re-indexed with other words
  for (const i of [3, 4, 50]) store.remove(`/photos/p${i}.jpg`);

  const logs: string[] = [];
  const reopened = new LiveIndex(store, { background: false, rebuildMin: 1e9, log: (m) => logs.push(m) });
  // The same snapshot, kept open all along, is the reference: the file plus the delta must be it.
  const kept = new LiveIndex(store, { background: false, rebuildMin: 1e9, persist: false });
  kept.search(bags[0], 1);
  const queries = [bags[3], bags[7], bags[8], store.getBag(added[5])!, bag()];
  for (const [i, q] of queries.entries()) {
    const got = reopened.search(q, 20);
    for (const r of got) assert.ok(![4, 5, 51].includes(r.id), `removed photo ${r.id} returned`);
    assert.ok(got.some((r) => added.includes(r.id)) || i !== 3, 'a photo added after the file is found');
    // kept was built from the store as changed, so its ranking is a fresh build's; the reopened
    // index's exact cosines use the file's idf, which moved by 20 photos of 517: same top photo.
    assert.equal(got[0].id, kept.search(q, 20)[0].id, `query ${i}`);
  }
  assert.equal(reopened.stats.foregroundBuilds, 0);
  assert.deepEqual(reopened.deltaSize, { added: 21, removed: 3 });
  assert.deepEqual(logs, []);
  await reopened.close();
  await kept.close();
});

test('a damaged or out-of-step file is logged, rebuilt and written again; the answers are as a fresh build gives', async () => {
  const { store, bags } = fillStore('damaged.db', 400);
  const file = `${store.path}.qidx`;
  const reference = new LiveIndex(store, { background: false, persist: false });
  const want = [bags[1], bags[200]].map((q) => reference.search(q, 10));
  // reason undefined: no log line expected (a missing file is the ordinary first start).
  const check = async (what: string, damage: () => void, reason: RegExp | undefined) => {
    damage();
    const logs: string[] = [];
    const live = new LiveIndex(store, { background: false, log: (m) => logs.push(m) });
    assert.deepEqual(
      [bags[1], bags[200]].map((q) => live.search(q, 10)),
      want,
      what,
    );
    assert.equal(live.stats.foregroundBuilds, 1, `${what}: rebuilt`);
    assert.equal(logs.length, reason ? 1 : 0, `${what}: ${logs.join(' | ')}`);
    if (reason) assert.match(logs[0], reason, what);
    await live.close();
    assert.ok(readQueryIndex(file).ok, `${what}: a good file written again`);
  };
  await check('missing', () => fs.rmSync(file, { force: true }), undefined);
  assert.ok(readQueryIndex(file).ok);
  const bytes = fs.readFileSync(file);
  await check('cut off', () => fs.writeFileSync(file, bytes.subarray(0, bytes.length - 100)), /cut off/);
  await check('bit flip', () => fs.writeFileSync(file, Buffer.from(bytes).fill(0xff, bytes.length - 40, bytes.length - 39)), /damaged \(checksum\)/);
  await check('foreign', () => fs.copyFileSync(store.path, file), /wrong magic/);
  // Another library's file with the same settings: it does not hold this one's photos.
  const other = fillStore('other.db', 450).store;
  const otherLive = new LiveIndex(other, { background: false });
  otherLive.search(bags[0], 1);
  await otherLive.close();
  await check('another library', () => fs.copyFileSync(`${other.path}.qidx`, file), /photo \d+ of the index is not in it as stored/);
});

test('an in-memory store keeps no file', () => {
  const store = IndexStore.open(':memory:', { fingerprint: 'test', settings: {} });
  stores.push(store);
  put(store, 'a', skewedBags(1, 100, 10)());
  const live = new LiveIndex(store, {});
  assert.equal(live.persisted, undefined);
  assert.equal(live.search(store.getBag(1)!, 1)[0].id, 1);
});

const BYTES: Record<string, number> = { Uint8Array: 1, Uint16Array: 2, Uint32Array: 4, Float32Array: 4, Float64Array: 8 };

/** The file's arrays (from its own header), largest first, with the byte offset of each one's middle: whatever parts the layout has. */
function arraysBySize(bytes: Buffer): { name: string; bytes: number; middle: number }[] {
  const header = JSON.parse(bytes.subarray(24, 24 + bytes.readUInt32LE(12)).toString('utf8')) as { arrays: { name: string; offset: number; length: number; type: string }[] };
  return header.arrays.map((e) => ({ name: e.name, bytes: e.length * BYTES[e.type], middle: e.offset + Math.floor((e.length * BYTES[e.type]) / 2) })).sort((a, b) => b.bytes - a.bytes);
}

test('arrays left for after use: read unchecked, then their check in a worker finds a flipped bit, and passes a good file', async () => {
  const { index } = syntheticIndex(800);
  const file = path.join(tmp, 'later.qidx');
  await writeQueryIndex(file, withTimes(index), STAMP);
  const bytes = fs.readFileSync(file);
  const { checkLater } = await import('../../../src/core/search/persisted-check.js');
  const [big] = arraysBySize(bytes);
  const good = readQueryIndex(file, { checkLaterAbove: 2000 });
  assert.ok(good.ok && good.unchecked, 'the large arrays are left unchecked');
  assert.deepEqual(
    good.unchecked.arrays.map((a) => a.name).sort(),
    arraysBySize(bytes)
      .filter((a) => a.bytes > 2000)
      .map((a) => a.name)
      .sort(),
    'exactly those above the limit; the rest was checked before',
  );
  assert.equal((await checkLater(good.unchecked).done).state, 'ok');

  const flipped = Buffer.from(bytes);
  flipped[big.middle] ^= 0x20;
  fs.writeFileSync(file, flipped);
  assert.match(readQueryIndex(file).ok ? '' : (readQueryIndex(file) as { reason: string }).reason, new RegExp(`${big.name} is damaged \\(checksum\\)`), 'checked before use by default');
  const r = readQueryIndex(file, { checkLaterAbove: 1000 });
  assert.ok(r.ok && r.unchecked, 'read, its postings not checked yet');
  const check = checkLater(r.unchecked);
  assert.equal((await check.done).state, `${big.name} is damaged (checksum)`);
  assert.equal(check.state, `${big.name} is damaged (checksum)`);
  // The same verdict on the calling thread (what snapshot() uses before handing the index out).
  const r2 = readQueryIndex(file, { checkLaterAbove: 1000 });
  assert.ok(r2.ok && r2.unchecked);
  const c2 = checkLater(r2.unchecked);
  assert.equal(c2.now(), `${big.name} is damaged (checksum)`);
  c2.stop();
});

test('a flipped bit in the postings is found after the first answer: no later answer comes from that file, it is rebuilt and written again', async () => {
  const { store, bags } = fillStore('later.db', 700);
  const file = `${store.path}.qidx`;
  const reference = new LiveIndex(store, { background: false, persist: false });
  const queries = [bags[2], bags[300], bags[650]];
  const want = queries.map((q) => reference.search(q, 10));
  const first = new LiveIndex(store, { background: false });
  first.search(bags[0], 1);
  await first.close();
  const bytes = fs.readFileSync(file);
  // The three largest arrays: the postings and the forward index, whatever the layout calls them.
  for (const { name, middle } of arraysBySize(bytes).slice(0, 3)) {
    const damaged = Buffer.from(bytes);
    damaged[middle] ^= 0x08;
    fs.writeFileSync(file, damaged);
    const logs: string[] = [];
    const live = new LiveIndex(store, { background: false, checkLaterAbove: 0, log: (m) => logs.push(m) });
    // Loaded and used: the worker reads the file, then checks it, while this thread goes on (a file
    // this small may be found damaged before the first answer is out: it is then answered again).
    live.search(queries[0], 10);
    assert.equal(live.persisted!.stats.loads, 1, `${name}: loaded`);
    // The verdict is read from shared memory: seen without this thread's event loop running.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 3000 && live.stats.foregroundBuilds === 0; i++) {
      Atomics.wait(pause, 0, 0, 20);
      live.search(queries[1], 10);
    }
    assert.equal(live.stats.foregroundBuilds, 1, `${name}: rebuilt once the check failed`);
    assert.deepEqual(
      queries.map((q) => live.search(q, 10)),
      want,
      `${name}: answers as a fresh build`,
    );
    assert.equal(logs.length, 1, logs.join(' | '));
    assert.match(logs[0], new RegExp(`${name} is damaged \\(checksum\\), found after it was loaded`));
    assert.equal(live.persisted!.stats.damagedLater, 1);
    await live.close();
    const again = readQueryIndex(file);
    assert.ok(again.ok, `${name}: a good file written again`);
  }
  // A good file: the check passes and the file keeps answering.
  const live = new LiveIndex(store, { background: false, checkLaterAbove: 0 });
  live.search(queries[0], 10);
  assert.equal((await live.persisted!.laterChecked())?.state, 'ok');
  assert.deepEqual(
    queries.map((q) => live.search(q, 10)),
    want,
  );
  assert.equal(live.stats.foregroundBuilds, 0);
  await live.close();
});

test('snapshot() hands out only a checked index: a damaged file found then is rebuilt before it is returned', async () => {
  const { store, bags } = fillStore('later-snap.db', 300);
  const file = `${store.path}.qidx`;
  const first = new LiveIndex(store, { background: false });
  first.search(bags[0], 1);
  await first.close();
  const bytes = fs.readFileSync(file);
  const [big] = arraysBySize(bytes);
  bytes[big.middle] ^= 0x01;
  fs.writeFileSync(file, bytes);
  const logs: string[] = [];
  const live = new LiveIndex(store, { background: false, checkLaterAbove: 0, log: (m) => logs.push(m) });
  const snap = live.snapshot();
  assert.equal(live.stats.foregroundBuilds, 1);
  assert.equal(snap.n, 300);
  assert.match(logs.join('\n'), new RegExp(`${big.name} is damaged \\(checksum\\), found after it was loaded`));
  await live.close();
});

test('a file built with other settings (another model or codebook) is refused with that reason', async () => {
  const { store, bags } = fillStore('settings.db', 200);
  // The same photos under another fingerprint, its file put where this store's belongs.
  const other = IndexStore.open(path.join(tmp, 'settings-other.db'), { fingerprint: 'other-model', settings: {} });
  stores.push(other);
  bags.forEach((b, i) => put(other, `p${i}`, b));
  const otherLive = new LiveIndex(other, { background: false });
  otherLive.search(bags[0], 1);
  await otherLive.close();
  fs.copyFileSync(`${other.path}.qidx`, `${store.path}.qidx`);
  const logs: string[] = [];
  const live = new LiveIndex(store, { background: false, log: (m) => logs.push(m) });
  live.search(bags[0], 1);
  assert.equal(live.stats.foregroundBuilds, 1);
  assert.match(logs.join('\n'), /was not used \(it was built with other settings\)/);
  await live.close();
});

test('read by position: before the rest of the file is read, each query reads its own words and candidates and answers as the whole file does', async () => {
  const { PartialLoad } = await import('../../../src/core/search/persisted-partial.js');
  const { index, bags } = syntheticIndex(3000);
  const file = path.join(tmp, 'by-position.qidx');
  await writeQueryIndex(file, withTimes(index), STAMP);
  const whole = readQueryIndex(file);
  assert.ok(whole.ok);
  const full = ImpactIndex.fromParts(whole.parts);
  const bigBytes = whole.parts.docs.byteLength + whole.parts.fwd.byteLength;
  // A fresh load for each query, whose worker never begins: only what the query read is there.
  const open = () => {
    const r = readQueryIndex(file, { checkLaterAbove: 0, byPosition: true });
    assert.ok(r.ok && r.byPosition, 'the postings and rows are left to read by position');
    assert.deepEqual([...r.byPosition.unread].sort(), ['docs', 'fwd']);
    return { index: ImpactIndex.fromParts(r.parts), partial: new PartialLoad(r.byPosition, r.parts), job: r.byPosition.job };
  };
  const skip = Int32Array.from([5, 17, 400]);
  for (let q = 0; q < 12; q++) {
    const query = bags[(q * 211) % bags.length];
    const opts = q % 3 === 0 ? { k: 20, skip } : q % 3 === 1 ? { k: 10, candidates: 60 } : { k: 5 };
    let o = open();
    assert.ok(o.partial.readyFor({ bag: query }, opts));
    assert.deepEqual(o.index.search(query, opts), full.search(query, opts), `query ${q}`);
    assert.ok(o.partial.stats.bytes < bigBytes / 2, `query ${q} read ${o.partial.stats.bytes} of ${bigBytes} bytes`);
    assert.equal(o.job.complete, false);
    o.job.stop();
    o = open();
    const d = (q * 997) % full.n;
    assert.ok(o.partial.readyFor({ doc: d }, opts));
    assert.deepEqual(o.index.searchDoc(d, opts), full.searchDoc(d, opts), `doc ${d}`);
    assert.ok(o.partial.readyRows([d, (d + 1) % full.n]));
    assert.equal(o.index.cosineBetween(d, (d + 1) % full.n), full.cosineBetween(d, (d + 1) % full.n));
    o.job.stop();
  }
  // The exhaustive scan reads every row: the whole file is read first, then checked.
  const o = open();
  assert.ok(o.partial.readyFor({ bag: bags[0] }, { k: 10, budget: 1 }));
  assert.ok(o.job.complete);
  assert.deepEqual(o.index.search(bags[0], { k: 10, budget: 1 }), full.search(bags[0], { k: 10, budget: 1 }));
  assert.equal((await o.job.done).state, 'ok');
  // A file cut short after it was opened: the read fails, the load says so, nothing is answered from it.
  const cut = open();
  fs.truncateSync(file, whole.parts.ids.byteLength + 4096);
  assert.equal(cut.partial.readyFor({ bag: bags[1] }, { k: 10 }), false);
  assert.equal(cut.job.failed, true);
  assert.equal(cut.job.state, 'the file could not be read');
  cut.job.stop();
});

test('a library opened again answers from the file before it is all read, and a file cut short meanwhile is rebuilt', async () => {
  const { store, bags } = fillStore('by-position.db', 1500);
  const file = `${store.path}.qidx`;
  const queries = [bags[4], bags[700], bags[1499]];
  const first = new LiveIndex(store, { background: false });
  first.search(bags[0], 1);
  await first.close();
  // The reference: the same file read whole before its first answer.
  const wholeFirst = new LiveIndex(store, { background: false, checkLaterAbove: Infinity });
  const want = queries.map((q) => wholeFirst.search(q, 10));
  const wantById = wholeFirst.searchById(8, 10, () => store.getBag(8));
  assert.equal(wholeFirst.persisted!.stats.lastByPosition.reads, 0);
  await wholeFirst.close();
  const live = new LiveIndex(store, { background: false, checkLaterAbove: 0 });
  assert.deepEqual(live.search(queries[0], 10), want[0]);
  assert.ok(live.persisted!.stats.lastByPosition.reads > 0, 'the first answer read by position');
  assert.deepEqual(
    live.searchById(8, 10, () => store.getBag(8)),
    wantById,
  );
  assert.deepEqual(
    queries.map((q) => live.search(q, 10)),
    want,
  );
  assert.equal((await live.persisted!.laterChecked())?.state, 'ok');
  assert.equal(live.stats.foregroundBuilds, 0);
  await live.close();

  // Cut short after the load (a disk error would read the same): the next query that reads it builds again.
  const logs: string[] = [];
  const cut = new LiveIndex(store, { background: false, checkLaterAbove: 0, log: (m) => logs.push(m) });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  cut.search(queries[0], 10);
  fs.truncateSync(file, 4096);
  for (let i = 0; i < 3000 && cut.stats.foregroundBuilds === 0; i++) {
    Atomics.wait(pause, 0, 0, 5);
    assert.deepEqual(cut.search(queries[i % 3], 10), want[i % 3]);
  }
  assert.equal(cut.stats.foregroundBuilds, 1);
  assert.match(logs.join('\n'), /was not used \((the file could not be read|.*damaged \(checksum\)), found after it was loaded\)/);
  await cut.close();
  assert.ok(readQueryIndex(file).ok, 'a good file written again');
});
