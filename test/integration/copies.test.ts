// Copies indexed by content hash (IndexOptions.reuseByHash, what the app does): a file with the
// bytes of an indexed photo gets that photo's rows (grid, bag, phash) without the model, in write
// batches like any photo (more copies than one batch here), df stays what the bags imply, and a
// broken file among the copies is still recorded as failed, with why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { readImageFile, readImageFileSync } from '../../src/core/analysis/decode/read-file.js';
import { DecodeError } from '../../src/core/analysis/decode/decode-error.js';

const CLASS_DIR = path.resolve('../shared/datasets/caltech101/airplanes');
const COPIES = 600;

test('copies of indexed photos take their rows without the model, in batches, and a broken file among them is recorded', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-copies-'));
  const originals = path.join(tmp, 'lib', 'a');
  const copies = path.join(tmp, 'lib', 'b');
  fs.mkdirSync(originals, { recursive: true });
  fs.mkdirSync(copies);
  const photos = fs
    .readdirSync(CLASS_DIR)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, 4)
    .map((f) => {
      fs.copyFileSync(path.join(CLASS_DIR, f), path.join(originals, f));
      return path.join(originals, f);
    });
  const copyOf = new Map<string, string>();
  for (let i = 0; i < COPIES; i++) {
    const to = path.join(copies, `c${String(i).padStart(4, '0')}.jpg`);
    fs.copyFileSync(photos[i % photos.length], to);
    copyOf.set(to, photos[i % photos.length]);
  }
  // The first bytes of a JPEG and nothing else: not a copy of anything, and not a readable photo.
  const broken = path.join(copies, 'c9999.jpg');
  fs.writeFileSync(broken, fs.readFileSync(photos[0]).subarray(0, 200));

  const engine = await Engine.open(path.join(tmp, 'index.db'), { provider: 'cpu' });
  try {
    const first = await engine.index([originals], { reuseByHash: true });
    assert.equal(first.modelPhotos, photos.length);
    const r = await engine.index([path.join(tmp, 'lib')], { reuseByHash: true });
    assert.equal(r.modelPhotos, 0, 'no copy goes through the model');
    assert.equal(r.reused, COPIES);
    assert.equal(r.failed, 1);
    assert.equal(r.failures.length, 1);
    assert.equal(r.failures[0].path, broken);
    assert.ok(r.failures[0].reason.length > 0, 'the failure says why');

    const store = engine.store;
    assert.equal(store.stats().indexed, photos.length + COPIES);
    const failed = store.getByPath(broken)!;
    assert.equal(failed.status, 'failed');
    assert.ok(failed.error && failed.error.length > 0);
    for (const [copy, original] of copyOf) {
      const c = store.getByPath(copy)!;
      const o = store.getByPath(original)!;
      assert.equal(c.status, 'indexed');
      assert.notEqual(c.id, o.id);
      assert.equal(c.hash, o.hash);
      assert.deepEqual([c.width, c.height, c.size], [o.width, o.height, o.size]);
      assert.deepEqual(store.getGrid(c.id), store.getGrid(o.id));
      assert.deepEqual(store.getBag(c.id), store.getBag(o.id));
      assert.deepEqual(store.getPhash(c.id), store.getPhash(o.id));
    }
    assert.ok(store.recomputeDf().ok, 'df and doc_count equal what the stored bags imply');
  } finally {
    await engine.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the synchronous read (small files while reads are fast) gives what the async one gives, and the same errors', async () => {
  const file = path.join(CLASS_DIR, fs.readdirSync(CLASS_DIR).filter((f) => f.endsWith('.jpg'))[0]);
  const a = await readImageFile(file);
  const b = readImageFileSync(file);
  assert.deepEqual({ ...b, buffer: b.buffer.equals(a.buffer) }, { ...a, buffer: true });
  const missing = path.join(os.tmpdir(), `pw-missing-${process.pid}.jpg`);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof DecodeError ? e.code : 'not a DecodeError';
    }
    return 'no error';
  };
  const asyncCode = await readImageFile(missing).then(
    () => 'no error',
    (e: unknown) => (e instanceof DecodeError ? e.code : 'not a DecodeError'),
  );
  assert.equal(
    code(() => readImageFileSync(missing)),
    asyncCode,
  );
  assert.equal(
    code(() => readImageFileSync(CLASS_DIR)),
    'not-a-file',
  );
});
