// An index whose words came from another model (an update's backbone or codebook, a changed way of
// reading pixels) must not lock the person out of their library: it is rebuilt from the photos in
// its folders, on the settings they chose, and their folders and duplicate decisions stay.
// Real model, real photos, a real SQLite file; the other model is played by the stored fingerprint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { Library } from '../../src/core/library/library.js';
import { Engine } from '../../src/core/library/engine.js';
import { listJpegs, spread } from '../fixtures/photos.js';

const DATA = path.resolve('../shared/datasets');

test('a library built by another model opens, is indexed again, and keeps its folders, settings and decisions', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-rebuild-'));
  try {
    const photos = path.join(tmp, 'photos');
    fs.mkdirSync(photos);
    const picks = spread(listJpegs(path.join(DATA, 'caltech101')), 4);
    picks.forEach((p, i) => fs.copyFileSync(p, path.join(photos, `p${i}.jpg`)));
    // A smaller re-save of the first: a same-photo group a person can decide about.
    await sharp(picks[0]).resize(200).jpeg({ quality: 75 }).toFile(path.join(photos, 'p0 small.jpg'));
    const p0 = path.join(photos, 'p0.jpg');
    const db = path.join(tmp, 'index.db');

    let library = await Library.open(db, { provider: 'cpu', watch: false });
    await library.addFolder(photos);
    await library.whenIdle();
    // A setting the person chose, which the rebuild must keep (not the defaults).
    await library.setSettings({ kernel: 2 });
    await library.whenIdle();
    const chosen = (await library.getSettings()).settings;
    assert.equal(chosen.kernel, 2);
    assert.equal((await library.status()).libraryPhotos, 5);
    const group = (await library.duplicates()).groups.find((g) => g.members.some((m) => m.path === p0));
    assert.ok(group, 'the re-saved copy joins the original');
    await library.decideDuplicates({ kind: 'keep-all', ids: group.members.map((m) => m.id) });
    await library.close();

    // Another model's index: same settings, another fingerprint.
    const raw = new Database(db);
    raw.prepare("UPDATE meta SET value = 'f0f0f0f0f0f0f0f0' WHERE key = 'fingerprint'").run();
    raw.close();
    // The engine alone refuses it, with the way out in words.
    await assert.rejects(Engine.open(db, { provider: 'cpu' }), /built with other settings.*--rebuild/s);

    const logs: string[] = [];
    library = await Library.open(db, { provider: 'cpu', watch: false, log: (m) => logs.push(m) });
    try {
      assert.ok(
        logs.some((m) => /built by another model \(fingerprint f0f0f0f0f0f0f0f0/.test(m)),
        logs.join('\n'),
      );
      await library.whenIdle();
      const s = await library.status();
      assert.equal(s.libraryPhotos, 5, 'every photo indexed again');
      assert.deepEqual(
        (await library.listFolders()).map((f) => f.path),
        [photos],
      );
      assert.deepEqual((await library.getSettings()).settings, chosen);
      const decisions = await library.listDecisions();
      assert.equal(decisions.length, 1);
      assert.equal(decisions[0].kind, 'keep-all');
      // The decision still applies to the re-indexed photos: their group is no longer listed as open.
      const after = await library.duplicates();
      assert.ok(!after.groups.some((g) => g.members.some((m) => m.path === p0)));
      assert.ok(after.keptAll.some((g) => g.members.some((m) => m.path === p0)));
      console.log(`rebuilt: ${s.libraryPhotos} photos indexed again, ${decisions.length} decision kept; ${logs.find((m) => /another model/.test(m))}`);
    } finally {
      await library.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
