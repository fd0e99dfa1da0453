// Decoding, scanning and batching without photos from the datasets: target shapes, the folder
// scan and the batcher. The same stages on real photos and real-world bad input are in
// test/integration/decode.test.ts.
// Run: node --import tsx --test test/unit/analysis/decode.test.ts

import assert from 'node:assert/strict';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ShapeBatcher, sortByAspect, type Batch } from '../../../src/core/analysis/batcher.js';
import { roundSide, shapeKey, targetShape } from '../../../src/core/analysis/decode/decode.js';
import { imageExtensions, scanToLists } from '../../../src/core/analysis/scan.js';
import { evalUnprivileged, makeSharedTempDir, repoModuleUrl, unprivilegedPrefix } from '../../fixtures/bad-input.js';

const temps: string[] = [];
after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await makeSharedTempDir();
  temps.push(dir);
  return dir;
}

describe('targetShape', () => {
  test('landscape and portrait: long side = maxSide, short side on the 16 px grid', () => {
    assert.deepEqual(targetShape(300, 200, 299), { width: 299, height: 192 });
    assert.deepEqual(targetShape(200, 300, 299), { width: 192, height: 299 });
    assert.deepEqual(targetShape(4000, 3000, 512), { width: 512, height: 384 });
  });

  test('small photos are scaled up to the same resolution', () => {
    assert.deepEqual(targetShape(30, 20, 299), { width: 299, height: 192 });
  });

  test('square stays square even when rounding would overshoot maxSide', () => {
    assert.deepEqual(targetShape(500, 500, 299), { width: 299, height: 299 });
  });

  test('thin panoramas are clamped to minSide', () => {
    assert.deepEqual(targetShape(10_000, 500, 299), { width: 299, height: 75 });
    assert.deepEqual(targetShape(500, 10_000, 299, { minSide: 96 }), { width: 96, height: 299 });
  });

  test('step is configurable', () => {
    assert.deepEqual(targetShape(300, 200, 299, { step: 1 }), { width: 299, height: 199 });
    assert.deepEqual(targetShape(300, 200, 299, { step: 32 }), { width: 299, height: 192 });
  });

  test('similar aspect ratios share one shape key', () => {
    const keys = new Set(
      [
        [300, 200],
        [301, 200],
        [310, 205],
        [640, 427],
      ].map(([w, h]) => shapeKey(targetShape(w, h, 299))),
    );
    assert.deepEqual([...keys], ['299x192']);
    assert.equal(roundSide(199.3, 299), 192);
  });

  test('invalid sizes throw', () => {
    assert.throws(() => targetShape(0, 10, 299), RangeError);
    assert.throws(() => targetShape(10, 10, 50), RangeError);
  });
});

describe('scanFolders', () => {
  let root: string;
  let outside: string;
  before(async () => {
    const base = await tempDir();
    root = join(base, 'library');
    outside = join(base, 'outside');
    const mk = async (rel: string, data = 'x') => {
      const p = join(root, rel);
      await mkdir(join(p, '..'), { recursive: true, mode: 0o755 });
      await writeFile(p, data, { mode: 0o644 });
    };
    await mkdir(root, { mode: 0o755 });
    await mkdir(outside, { mode: 0o755 });
    await writeFile(join(outside, 'real.jpg'), 'x', { mode: 0o644 });
    for (const rel of ['a.jpg', 'B.JPG', 'c.Png', 'a/b.jpeg', 'sub/d.webp', 'sub/e.tiff', 'sub/f.gif', 'sub/g.avif', 'h.jpe']) await mk(rel);
    for (const rel of ['readme.txt', '.hidden.jpg', '.thumbs/x.jpg', 'sub/.cache/y.png', 'movie.mp4']) await mk(rel);
    await mk('locked/inside.jpg');
    await chmod(join(root, 'locked'), 0o000);
    await symlink('..', join(root, 'sub', 'loop')); // sub/loop -> library: a cycle
    await symlink(join(outside, 'real.jpg'), join(root, 'link.jpg')); // followed
    await symlink(outside, join(root, 'outside-link')); // symlinked folder, entered once
    await symlink(join(root, 'missing.jpg'), join(root, 'broken.jpg'));
  });
  after(async () => {
    await chmod(join(root, 'locked'), 0o755).catch(() => undefined);
  });

  const expectedFiles = (withLocked: boolean) =>
    ['B.JPG', 'a.jpg', 'a/b.jpeg', 'c.Png', 'h.jpe', 'link.jpg', ...(withLocked ? ['locked/inside.jpg'] : []), 'outside-link/real.jpg', 'sub/d.webp', 'sub/e.tiff', 'sub/f.gif', 'sub/g.avif'].map(
      (rel) => join(root, rel),
    );

  test('finds images case-insensitively, in path order, counting hidden and other files as not read, surviving a symlink loop', async () => {
    const { files, failures, notRead } = await scanToLists([root]);
    assert.deepEqual(
      notRead.map((n) => [n.path.slice(root.length + 1), n.notRead, n.files]),
      [
        ['.hidden.jpg', 'hidden', 1],
        ['.thumbs', 'hidden', 1],
        ['movie.mp4', 'video', 1],
        ['readme.txt', 'unsupported', 1],
        ['sub/.cache', 'hidden', 1],
      ],
    );
    const asRoot = unprivilegedPrefix()?.length !== 0;
    assert.deepEqual(
      files.map((f) => f.path),
      expectedFiles(asRoot),
    );
    const sorted = files.map((f) => f.path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(
      files.map((f) => f.path),
      sorted,
    );
    for (const f of files) assert.ok(f.size === 1 && f.mtimeMs > 0);
    assert.deepEqual(
      failures.map((f) => [f.path, f.reason]),
      [[join(root, 'broken.jpg'), 'broken symbolic link'], ...(asRoot ? [] : [[join(root, 'locked'), 'permission denied']])],
    );
  });

  test('a root given twice, or nested in another root, is scanned once', async () => {
    const { files } = await scanToLists([join(root, 'sub'), root, root + '/']);
    assert.deepEqual(
      files.map((f) => f.path),
      expectedFiles(unprivilegedPrefix()?.length !== 0),
    );
  });

  test('a missing root is a failure, not a throw', async () => {
    const { files, failures } = await scanToLists([join(root, 'nope')]);
    assert.equal(files.length, 0);
    assert.equal(failures[0].reason, 'folder not found or vanished during scan');
  });

  test('as an unprivileged user, an unreadable folder is a failure and the scan goes on', async () => {
    assert.notEqual(unprivilegedPrefix(), null, 'need setpriv or runuser to drop root');
    const r = await evalUnprivileged<{ uid: number; files: string[]; failures: [string, string][] }>(`
      const { scanToLists } = await import(${JSON.stringify(repoModuleUrl('src/core/analysis/scan.ts'))});
      const { files, failures } = await scanToLists([${JSON.stringify(root)}]);
      console.log(JSON.stringify({ uid: process.getuid(), files: files.map((f) => f.path), failures: failures.map((f) => [f.path, f.reason]) }));
    `);
    assert.notEqual(r.uid, 0);
    assert.deepEqual(r.files, expectedFiles(false));
    assert.deepEqual(r.failures, [
      [join(root, 'broken.jpg'), 'broken symbolic link'],
      [join(root, 'locked'), 'permission denied'],
    ]);
  });

  test('extension list is formats.ts: what sharp decodes plus HEIC, BMP and camera RAW', () => {
    const exts = imageExtensions();
    for (const e of ['jpg', 'jpeg', 'jpe', 'png', 'webp', 'avif', 'tif', 'tiff', 'gif', 'heic', 'bmp', 'cr2', 'dng']) assert.ok(exts.has(e), e);
    for (const e of ['mov', 'mp4', 'xmp', 'txt']) assert.ok(!exts.has(e), e);
  });
});

describe('ShapeBatcher', () => {
  const item = (id: number, width: number, height: number) => ({ id, width, height });
  const ids = (b: Batch<{ id: number; width: number; height: number }>) => b.items.map((i) => i.id);

  test('emits a batch when maxBatch items of one shape arrive', () => {
    const b = new ShapeBatcher<ReturnType<typeof item>>(3);
    assert.deepEqual(b.push(item(1, 299, 192)), []);
    assert.deepEqual(b.push(item(2, 192, 299)), []);
    assert.deepEqual(b.push(item(3, 299, 192)), []);
    const ready = b.push(item(4, 299, 192));
    assert.equal(ready.length, 1);
    assert.deepEqual({ w: ready[0].width, h: ready[0].height, ids: ids(ready[0]) }, { w: 299, h: 192, ids: [1, 3, 4] });
    assert.equal(b.size, 1);
  });

  test('flush returns partial batches, largest first, and empties the batcher', () => {
    const b = new ShapeBatcher<ReturnType<typeof item>>(10);
    [item(1, 299, 224), item(2, 299, 299), item(3, 299, 299), item(4, 224, 299), item(5, 299, 299), item(6, 224, 299)].forEach((i) => b.push(i));
    assert.deepEqual(b.flush().map(ids), [[2, 3, 5], [4, 6], [1]]);
    assert.deepEqual(b.flush(), []);
    assert.equal(b.size, 0);
  });

  test('maxPending bounds held items by releasing the largest partial batch', () => {
    const b = new ShapeBatcher<ReturnType<typeof item>>({ maxBatch: 4, maxPending: 5 });
    const out = [item(1, 299, 192), item(2, 299, 192), item(3, 299, 208), item(4, 299, 192), item(5, 299, 224)].flatMap((i) => b.push(i));
    assert.deepEqual(out, []);
    const released = b.push(item(6, 299, 208));
    assert.deepEqual(released.map(ids), [[1, 2, 4]]);
    assert.equal(b.size, 3);
  });

  test('sortByAspect orders by width/height, stable for ties', () => {
    const sorted = sortByAspect([item(1, 300, 200), item(2, 200, 300), item(3, 100, 100), item(4, 600, 400), item(5, 10, 10)]);
    assert.deepEqual(
      sorted.map((i) => i.id),
      [2, 3, 5, 1, 4],
    );
  });
});
