// Progress after Pause and Resume goes on from where it stopped ("360 of 1,360"), rather than
// starting again over what is left ("8 of 1,304"): the run after a resume plans only the photos
// not yet indexed, and the library counts the ones the stopped run did. Real photos (flowers17),
// a real index, the model on the CPU.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Library } from '../../src/core/library/library.js';
import type { IndexStatus } from '../../src/shared/api.js';

const FLOWERS = path.resolve('../shared/datasets/flowers17');
const N = 48;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-resume-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('after Resume, progress counts on from the photos done before the pause, up to the whole run', async () => {
  const lib = path.join(tmp, 'photos');
  fs.mkdirSync(lib);
  // Photos of several classes, so no two share their bytes (a copy would be indexed by its hash).
  const classes = fs.readdirSync(FLOWERS).sort();
  for (let i = 0; i < N; i++) {
    const dir = path.join(FLOWERS, classes[i % classes.length]);
    const file = fs.readdirSync(dir).sort()[Math.floor(i / classes.length)];
    fs.copyFileSync(path.join(dir, file), path.join(lib, `${String(i).padStart(2, '0')}-${file}`));
  }
  const library = await Library.open(path.join(tmp, 'index.db'), { provider: 'cpu', watch: false });
  try {
    const seen: IndexStatus[] = [];
    library.onEvent((e) => {
      if (e.type === 'status') seen.push(e.status);
    });
    await library.addFolder(lib);
    // Pause once some photos are stored, well before the end.
    const deadline = Date.now() + 5 * 60_000;
    while ((await library.status()).libraryPhotos < 8) {
      assert.ok(Date.now() < deadline, 'indexing started');
      await new Promise((r) => setTimeout(r, 50));
    }
    const paused = await library.pause();
    const stored = paused.libraryPhotos;
    assert.ok(stored >= 8 && stored < N, `paused part way (${stored} of ${N} stored)`);
    assert.equal(paused.state, 'paused');
    assert.equal(paused.total, N, 'the paused status still speaks of the whole run');
    assert.ok(paused.done >= stored, `done ${paused.done} counts the ${stored} stored`);

    const from = seen.length;
    await library.resume();
    await library.whenIdle();
    const after = seen.slice(from).filter((s) => s.state === 'indexing');
    assert.ok(after.length > 0, 'progress was reported after Resume');
    for (const s of after) {
      assert.equal(s.total, N, `after Resume: "${s.done} of ${s.total}" speaks of the whole run of ${N}`);
      assert.ok(s.done >= paused.done, `after Resume: done ${s.done} goes on from ${paused.done}`);
    }
    const end = await library.status();
    assert.equal(end.state, 'idle');
    assert.equal(end.libraryPhotos, N);
    assert.equal(end.done, N);
    assert.equal(end.total, N);
    console.log(`paused at ${paused.done} of ${paused.total} (${stored} stored); first after Resume: ${after[0].done} of ${after[0].total}; end ${end.done} of ${end.total}`);

    // A later run (a new photo) counts from zero again: the carry belonged to the stopped run.
    fs.copyFileSync(path.join(FLOWERS, classes[0], fs.readdirSync(path.join(FLOWERS, classes[0])).sort()[20]), path.join(lib, 'new.jpg'));
    const from2 = seen.length;
    await library.resume(); // a full reconcile, as on open
    await library.whenIdle();
    const last = await library.status();
    assert.equal(last.libraryPhotos, N + 1);
    assert.equal(last.total, 1);
    assert.equal(last.done, 1);
    for (const s of seen.slice(from2).filter((x) => x.state === 'indexing')) assert.equal(s.total, 1);
  } finally {
    await library.close();
  }
});
