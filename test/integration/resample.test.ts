// The in-thread decode path (libjpeg-turbo + resample.ts's WebAssembly filter) against libvips'
// own 'linear' resize, on real photos, and which photos it leaves to sharp.
// Run: node --import tsx --test test/integration/resample.test.ts

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import jpegTurbo from '@julusian/jpeg-turbo';
import sharp from 'sharp';

import { decodeForModel, targetShape } from '../../src/core/analysis/decode/decode.js';
import { resizeRgb } from '../../src/core/analysis/decode/resample.js';
import { listJpegs, spread } from '../fixtures/photos.js';

const DATASETS = join(import.meta.dirname, '..', '..', '..', 'shared', 'datasets');
const flowers = spread(listJpegs(join(DATASETS, 'flowers17')), 20);
const caltech = spread(listJpegs(join(DATASETS, 'caltech101')), 20);

const meanAbs = (a: Uint8Array, b: Uint8Array) => {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

async function viaSharp(buf: Buffer, width: number, height: number): Promise<Buffer> {
  return sharp(buf, { autoOrient: true }).toColourspace('srgb').resize(width, height, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
}

describe('resizeRgb', () => {
  test('a flat image stays exactly flat, and the same size gives the same pixels', () => {
    const flat = new Uint8Array(123 * 77 * 3).fill(200);
    for (const [w, h] of [
      [299, 187],
      [61, 40],
      [123, 77],
    ])
      assert.ok(
        resizeRgb(flat, 123, 77, w, h).every((v) => v === 200),
        `${w}x${h}`,
      );
    const d = jpegTurbo.decompressSync(readFileSync(flowers[0]), { format: jpegTurbo.FORMAT_RGB });
    assert.deepEqual(resizeRgb(d.data, d.width, d.height, d.width, d.height), new Uint8Array(d.data.buffer, d.data.byteOffset, d.width * d.height * 3));
  });

  test("shrinking real photos agrees with libvips' linear resize to about a grey level", async () => {
    let worst = 0;
    for (const p of flowers) {
      const buf = readFileSync(p);
      const d = jpegTurbo.decompressSync(buf, { format: jpegTurbo.FORMAT_RGB });
      const s = targetShape(d.width, d.height, 299);
      const diff = meanAbs(resizeRgb(d.data, d.width, d.height, s.width, s.height), await viaSharp(buf, s.width, s.height));
      worst = Math.max(worst, diff);
    }
    console.log(`flowers17, 20 photos shrunk to 299 px: worst mean difference from libvips' linear ${worst.toFixed(2)} grey levels`);
    assert.ok(worst < 1.5, `worst ${worst}`);
  });
});

describe("decodeForModel's paths", () => {
  test("a plain JPEG up to twice the model's side is decoded in this thread", async () => {
    for (const p of [...flowers.slice(0, 5), ...caltech.slice(0, 5)]) {
      const buf = readFileSync(p);
      const d = await decodeForModel(buf, 299);
      const raw = jpegTurbo.decompressSync(buf, { format: jpegTurbo.FORMAT_RGB });
      assert.deepEqual(d.pixels, resizeRgb(raw.data, raw.width, raw.height, d.width, d.height), p);
    }
  });

  test('rotated, colour-managed, CMYK and big photos go through sharp, with the same filter', async () => {
    const src = readFileSync(flowers[3]);
    const cases: [string, Buffer][] = [
      ['EXIF orientation 6', await sharp(src).withMetadata({ orientation: 6 }).jpeg().toBuffer()],
      ['an ICC profile', await sharp(src).withIccProfile('p3').jpeg().toBuffer()],
      ['CMYK', await sharp(src).toColourspace('cmyk').jpeg().toBuffer()],
      ["3x the model's side", await sharp(src).resize(900).jpeg().toBuffer()],
      ['PNG', await sharp(src).png().toBuffer()],
    ];
    for (const [what, buf] of cases) {
      const d = await decodeForModel(buf, 299);
      assert.equal(d.pixels.length, d.width * d.height * 3, what);
      assert.deepEqual(Buffer.from(d.pixels), await viaSharp(buf, d.width, d.height), what);
    }
  });

  test('a cut-off JPEG leaves the in-thread path (libjpeg-turbo refuses it) for the cut-off rule: its top rows with a note, or refused with the share read', async () => {
    const buf = readFileSync(caltech[4]);
    const whole = await decodeForModel(buf, 299);
    const most = await decodeForModel(buf.subarray(0, Math.floor(buf.length * 0.95)), 299);
    assert.match(most.note ?? '', /^cut-off file: /);
    assert.ok(most.height <= whole.height);
    await assert.rejects(
      decodeForModel(buf.subarray(0, Math.floor(buf.length * 0.2)), 299),
      (e: Error & { code?: string; reason?: string }) => e.code === 'corrupt' && /^truncated JPEG: only \d+%/.test(e.reason ?? ''),
    );
  });
});
