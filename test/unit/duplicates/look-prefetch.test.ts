// Photos decoded ahead on the prefetch's thread (look-prefetch.ts) give the checks the very grey
// images and looks that decoding them on the calling thread gives; a file that cannot be read is
// null from either; a photo the thread did not make, or made after its thread went, is made here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImageRecord } from '../../../src/core/index/store.js';
import { LookPrefetch } from '../../../src/core/duplicates/look-prefetch.js';
import { Looks } from '../../../src/core/duplicates/looks.js';

const DATASETS = path.resolve('../shared/datasets');
const skip = !fs.existsSync(DATASETS) && 'no dev set under ../shared/datasets';

function photos(): Map<number, ImageRecord> {
  const dir = path.join(DATASETS, 'flowers17', 'c02');
  const files = fs
    .readdirSync(dir)
    .sort()
    .slice(0, 6)
    .map((f) => path.join(dir, f));
  // A file that is not an image, and one that is gone: unreadable either way.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-prefetch-'));
  fs.writeFileSync(path.join(tmp, 'broken.jpg'), 'not a jpeg');
  files.push(path.join(tmp, 'broken.jpg'), path.join(tmp, 'gone.jpg'));
  return new Map(files.map((p, i) => [i + 1, { id: i + 1, path: p } as ImageRecord]));
}

test('looks made ahead on the thread equal the looks made here, bit for bit; unreadable files are null from both', { skip }, async () => {
  const recs = photos();
  const here = new Looks(recs, 299);
  const prefetch = new LookPrefetch((id) => recs.get(id)?.path, 299);
  const ahead = new Looks(recs, 299, prefetch);
  try {
    const ids = [...recs.keys()];
    prefetch.plan(ids);
    for (const id of ids) {
      const [a, b] = [await ahead.lookOf(id), await here.lookOf(id)];
      assert.deepEqual(a, b, `photo ${id}'s look`);
      const [ga, gb] = [await ahead.greyOf(id), await here.greyOf(id)];
      assert.deepEqual(ga && { ...ga, grey: [...ga.grey] }, gb && { ...gb, grey: [...gb.grey] }, `photo ${id}'s grey`);
      assert.equal(a === null, id > 6, `photo ${id} readable`);
    }
  } finally {
    prefetch.close();
  }
});

test('a photo the thread did not make, or could not because it was closed, is decoded here', { skip }, async () => {
  const recs = photos();
  const here = new Looks(recs, 299);
  const prefetch = new LookPrefetch((id) => recs.get(id)?.path, 299);
  const ahead = new Looks(recs, 299, prefetch);
  prefetch.plan([1, 2, 3]);
  // Asked for while in flight, then the thread is let go: the photos come from this thread.
  const pending = [ahead.lookOf(1), ahead.greyOf(2)];
  prefetch.close();
  assert.deepEqual(await pending[0], await here.lookOf(1));
  assert.deepEqual(await pending[1], await here.greyOf(2));
  // Never planned: made here too.
  assert.deepEqual(await ahead.lookOf(5), await here.lookOf(5));
});
