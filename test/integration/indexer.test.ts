// The pipeline when the model itself goes away mid-run: the run stops with a clear error and no
// photo is blamed for it, so the next run picks every one of them up again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';

const CLASS_DIR = path.resolve('../shared/datasets/caltech101/airplanes');

test('a dead model thread stops indexing without recording photos as failed; the next run indexes them', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-indexer-'));
  const lib = path.join(tmp, 'lib');
  fs.mkdirSync(lib);
  const photos = fs
    .readdirSync(CLASS_DIR)
    .filter((f) => f.endsWith('.jpg'))
    .slice(0, 6);
  for (const f of photos) fs.copyFileSync(path.join(CLASS_DIR, f), path.join(lib, f));
  const db = path.join(tmp, 'index.db');

  const engine = await Engine.open(db, { provider: 'cpu' });
  // Stop every model thread, as a crash or an out-of-memory kill would.
  const members = (engine.tokenizer as unknown as { members: { worker: { terminate(): Promise<number> } }[] }).members;
  await Promise.all(members.map((m) => m.worker.terminate()));
  await assert.rejects(engine.index([lib]), /model thread/);
  const stats = engine.store.stats();
  assert.equal(stats.failed, 0, 'no photo is blamed for the model going away');
  assert.equal(stats.indexed, 0);
  await engine.close();

  const again = await Engine.open(db, { provider: 'cpu' });
  try {
    const r = await again.index([lib]);
    assert.equal(r.indexed, photos.length);
    assert.equal(r.failed, 0);
  } finally {
    await again.close();
  }
});
