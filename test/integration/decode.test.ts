// Decoding and batching against real photos (../shared/datasets) and real-world bad input.
// The parts that need no photos are in test/unit/analysis/decode.test.ts.
// Run: node --import tsx --test test/integration/decode.test.ts

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';

import { ShapeBatcher } from '../../src/core/analysis/batcher.js';
import { DecodeError, decodeForModel, loadForModel, readImageFile, targetShape } from '../../src/core/analysis/decode/decode.js';
import { CALTECH, FLOWERS, evalUnprivileged, makeBadInputFolder, makeSharedTempDir, repoModuleUrl, samplePhotos, unprivilegedPrefix, type BadInputFolder } from '../fixtures/bad-input.js';

const temps: string[] = [];
after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await makeSharedTempDir();
  temps.push(dir);
  return dir;
}

describe('decodeForModel on real photos', () => {
  test('caltech101 and flowers17 decode to aspect-correct uint8 RGB', async () => {
    const photos = [...(await samplePhotos(CALTECH, 4)), ...(await samplePhotos(FLOWERS, 4))];
    for (const maxSide of [299, 512]) {
      for (const path of photos) {
        const buffer = await readFile(path);
        const meta = await sharp(buffer).metadata();
        const d = await decodeForModel(buffer, maxSide);
        assert.deepEqual({ w: d.srcWidth, h: d.srcHeight }, { w: meta.autoOrient.width, h: meta.autoOrient.height }, path);
        assert.deepEqual({ width: d.width, height: d.height }, targetShape(d.srcWidth, d.srcHeight, maxSide), path);
        assert.equal(Math.max(d.width, d.height), maxSide);
        assert.ok(d.pixels instanceof Uint8Array);
        assert.equal(d.pixels.length, d.width * d.height * 3);
        assert.ok(new Set(d.pixels).size > 32, `${path} looks blank`);
      }
    }
  });

  test('EXIF orientation 6 swaps width and height', async () => {
    const [path] = await samplePhotos(FLOWERS, 1);
    const src = await readFile(path);
    const meta = await sharp(src).metadata();
    const rotated = await sharp(src).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const plain = await decodeForModel(src, 299);
    const d = await decodeForModel(rotated, 299);
    assert.equal(d.srcWidth, meta.height);
    assert.equal(d.srcHeight, meta.width);
    assert.deepEqual({ width: d.width, height: d.height }, { width: plain.height, height: plain.width });
  });

  test('alpha flattens onto white; grey, CMYK, 16-bit and GIF become 3-channel 8-bit', async () => {
    const [path] = await samplePhotos(FLOWERS, 1);
    const src = await readFile(path);
    const transparent = await sharp({ create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    const t = await decodeForModel(transparent, 299);
    assert.ok(
      t.pixels.every((v) => v === 255),
      'transparent must become white',
    );

    const grey = await decodeForModel(await sharp(src).toColourspace('b-w').png().toBuffer(), 299);
    for (let i = 0; i < grey.pixels.length; i += 3) {
      assert.ok(grey.pixels[i] === grey.pixels[i + 1] && grey.pixels[i] === grey.pixels[i + 2]);
    }
    const variants = [
      await sharp(src).toColourspace('cmyk').jpeg().toBuffer(),
      await sharp(src).toColourspace('rgb16').png().toBuffer(),
      await sharp(src).webp().toBuffer(),
      await sharp(src).tiff().toBuffer(),
    ];
    for (const v of variants) {
      const d = await decodeForModel(v, 299);
      assert.equal(d.pixels.length, d.width * d.height * 3);
    }

    const red = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const blue = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#0000ff' } })
      .png()
      .toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } })
      .gif()
      .toBuffer();
    const g = await decodeForModel(gif, 299);
    assert.deepEqual({ width: g.width, height: g.height }, { width: 299, height: 224 });
    assert.ok(g.pixels[0] > 200 && g.pixels[2] < 50, 'first frame (red) expected');
  });

  test('readImageFile hashes exactly the bytes it returns and enforces maxBytes', async () => {
    const [path] = await samplePhotos(CALTECH, 1);
    const f = await readImageFile(path);
    assert.equal(
      f.hash,
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
    assert.equal(f.size, f.buffer.length);
    await assert.rejects(readImageFile(path, { maxBytes: 1000 }), (e: unknown) => {
      return e instanceof DecodeError && e.code === 'file-too-large' && e.reason.startsWith('file too large');
    });
    await assert.rejects(readImageFile(join(path, '..', 'no-such-file.jpg')), (e: unknown) => {
      return e instanceof DecodeError && e.reason === 'file vanished while reading';
    });
  });
});

describe('bad input', () => {
  let folder: BadInputFolder;
  before(async () => {
    folder = await makeBadInputFolder(join(await tempDir(), 'photos'));
  });

  test('good photos decode', async () => {
    assert.equal(folder.good.length, 6);
    for (const path of folder.good) {
      const d = await loadForModel(path, 299);
      assert.equal(d.pixels.length, d.width * d.height * 3);
    }
  });

  test('each bad file gives a DecodeError with a readable reason', async (t) => {
    for (const [path, expected] of Object.entries(folder.bad)) {
      if (folder.unreadable.includes(path) && unprivilegedPrefix()?.length) continue; // root reads it fine
      const t0 = performance.now();
      await assert.rejects(loadForModel(path, 299), (e: unknown) => {
        assert.ok(e instanceof DecodeError, `${path}: ${String(e)}`);
        assert.ok(e.reason.includes(expected), `${path}: got "${e.reason}", expected "${expected}"`);
        return true;
      });
      const ms = performance.now() - t0;
      t.diagnostic(`${path.split('/').pop()}: refused in ${ms.toFixed(0)} ms`);
      // The giant PNG must be refused from its header, not after decoding 400 megapixels.
      if (path.endsWith('huge.png')) assert.ok(ms < 2000, `huge image took ${ms} ms to refuse`);
    }
  });

  test('as an unprivileged user, the unreadable file is "permission denied" and the rest still classify', async () => {
    assert.notEqual(unprivilegedPrefix(), null, 'need setpriv or runuser to drop root');
    const results = await evalUnprivileged<{ uid: number; out: Record<string, string> }>(`
      const { loadForModel } = await import(${JSON.stringify(repoModuleUrl('src/core/analysis/decode/decode.ts'))});
      const paths = ${JSON.stringify([...folder.good, ...Object.keys(folder.bad)])};
      const out = {};
      for (const p of paths) {
        try { await loadForModel(p, 299); out[p] = 'ok'; } catch (e) { out[p] = e.reason ?? String(e); }
      }
      console.log(JSON.stringify({ uid: process.getuid(), out }));
    `);
    assert.notEqual(results.uid, 0);
    for (const path of folder.good) assert.equal(results.out[path], 'ok', path);
    for (const [path, expected] of Object.entries(folder.bad)) {
      assert.ok(results.out[path].includes(expected), `${path}: got "${results.out[path]}", expected "${expected}"`);
    }
  });
});

describe('ShapeBatcher', () => {
  test('decoded shapes of real photos group into few batches', async () => {
    const photos = await samplePhotos(CALTECH, 20);
    const b = new ShapeBatcher<{ path: string; width: number; height: number }>(8);
    const batches = [];
    for (const path of photos) {
      const d = await decodeForModel(await readFile(path), 299);
      batches.push(...b.push({ path, width: d.width, height: d.height }));
    }
    batches.push(...b.flush());
    assert.equal(
      batches.reduce((n, x) => n + x.items.length, 0),
      photos.length,
    );
    for (const batch of batches) for (const i of batch.items) assert.deepEqual([i.width, i.height], [batch.width, batch.height]);
    assert.ok(batches.length < photos.length / 2, `${batches.length} batches for ${photos.length} photos`);
  });
});
