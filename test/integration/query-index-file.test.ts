// A library opened again answers its first "find similar" from the query index it saved beside its
// SQLite file (<db>.qidx) instead of rebuilding it, with the same answers as a rebuild; a damaged
// file is rebuilt with a log line. Real model, real photos, a real SQLite file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Library } from '../../src/core/library/library.js';
import { Engine } from '../../src/core/library/engine.js';
import { listJpegs, spread } from '../fixtures/photos.js';

const DATA = path.resolve('../shared/datasets');

test('the second open of a library loads the saved query index and answers as a rebuild does', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-qidx-'));
  try {
    const photos = path.join(tmp, 'photos');
    fs.mkdirSync(photos);
    spread(listJpegs(path.join(DATA, 'caltech101')), 24).forEach((p, i) => fs.copyFileSync(p, path.join(photos, `p${i}.jpg`)));
    const db = path.join(tmp, 'index.db');
    const qidx = `${db}.qidx`;

    let library = await Library.open(db, { provider: 'cpu', watch: false });
    await library.addFolder(photos);
    await library.whenIdle();
    const ids = (await library.listPhotos({ offset: 0, limit: 100 })).items.map((p) => p.id).sort((a, b) => a - b);
    assert.equal(ids.length, 24);
    const asked = [ids[0], ids[7], ids[23]];
    const first = await Promise.all(asked.map((id) => library.similar(id, { top: 10 })));
    await library.close();
    assert.ok(fs.existsSync(qidx), 'the build was saved at close');

    // Second open (reconcile finds the folder unchanged): the first search reads the file.
    const logs: string[] = [];
    library = await Library.open(db, { provider: 'cpu', watch: false, log: (m) => logs.push(m) });
    try {
      await library.whenIdle();
      const second = await Promise.all(asked.map((id) => library.similar(id, { top: 10 })));
      assert.deepEqual(
        second.map((r) => r.results),
        first.map((r) => r.results),
      );
      assert.ok(!logs.some((m) => /saved query index/.test(m)), logs.join('\n'));
    } finally {
      await library.close();
    }

    // The engine on the same file: loaded, not built, and the same ranking as a rebuild without it.
    const engine = await Engine.open(db, { provider: 'cpu' });
    const file = path.join(photos, 'p7.jpg');
    try {
      const loaded = await engine.similar(file, { top: 10 });
      assert.equal(engine.liveIndex().stats.foregroundBuilds, 0);
      assert.equal(engine.liveIndex().persisted!.stats.loads, 1);
      fs.rmSync(qidx);
      const rebuilt = await Engine.open(`${db}`, { provider: 'cpu' });
      try {
        fs.rmSync(qidx, { force: true });
        const fresh = await rebuilt.similar(file, { top: 10 });
        assert.equal(rebuilt.liveIndex().stats.foregroundBuilds, 1);
        assert.deepEqual(
          loaded.results.map((r) => [r.id, r.score]),
          fresh.results.map((r) => [r.id, r.score]),
        );
      } finally {
        await rebuilt.close();
      }
    } finally {
      await engine.close();
    }

    // A damaged file: logged, rebuilt, the same answers, and a good file written again.
    const bytes = fs.readFileSync(qidx);
    bytes[bytes.length - 1000] ^= 0x10;
    fs.writeFileSync(qidx, bytes);
    logs.length = 0;
    library = await Library.open(db, { provider: 'cpu', watch: false, log: (m) => logs.push(m) });
    try {
      await library.whenIdle();
      const third = await Promise.all(asked.map((id) => library.similar(id, { top: 10 })));
      assert.deepEqual(
        third.map((r) => r.results),
        first.map((r) => r.results),
      );
      assert.ok(
        logs.some((m) => /saved query index .* was not used \(.*damaged \(checksum\)\)/.test(m)),
        logs.join('\n'),
      );
    } finally {
      await library.close();
    }
    assert.notDeepEqual(fs.readFileSync(qidx), bytes, 'written again');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
