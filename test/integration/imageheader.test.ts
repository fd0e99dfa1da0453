// The JPEG header reader that spares decoding a second trip through libvips: it must give exactly
// the size sharp would (after EXIF orientation), or step aside.
// Run: node --import tsx --test test/integration/imageheader.test.ts

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';

import { decodeForModel } from '../../src/core/analysis/decode/decode.js';
import { jpegHeaderSize } from '../../src/core/analysis/decode/jpeg-header.js';
import { listJpegs, spread } from '../fixtures/photos.js';

const DATASETS = join(import.meta.dirname, '..', '..', '..', 'shared', 'datasets');
const photos = [...spread(listJpegs(join(DATASETS, 'caltech101')), 150), ...spread(listJpegs(join(DATASETS, 'flowers17')), 100)];

async function sharpSize(buf: Buffer) {
  const m = await sharp(buf).metadata();
  return { width: m.autoOrient?.width ?? m.width, height: m.autoOrient?.height ?? m.height, orientation: m.orientation ?? 1 };
}

/** A JPEG's bytes with `segment` (marker + length + body) inserted right after SOI. */
function withSegment(jpeg: Buffer, segment: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

describe('jpegHeaderSize', () => {
  test("gives sharp's size and orientation for 250 dev-set photos", async () => {
    let read = 0;
    for (const p of photos) {
      const buf = readFileSync(p);
      const h = jpegHeaderSize(buf);
      assert.ok(h, `header not read: ${p}`);
      read++;
      assert.deepEqual({ width: h.displayWidth, height: h.displayHeight, orientation: h.orientation }, await sharpSize(buf), p);
    }
    assert.equal(read, 250);
  });

  test('every EXIF orientation 1-8, baseline and progressive', async () => {
    const src = readFileSync(photos[0]);
    for (const progressive of [false, true]) {
      for (let o = 1; o <= 8; o++) {
        const buf = await sharp(src).resize(123, 77, { fit: 'fill' }).withMetadata({ orientation: o }).jpeg({ progressive }).toBuffer();
        const h = jpegHeaderSize(buf);
        assert.ok(h);
        assert.equal(h.orientation, o);
        assert.deepEqual({ width: h.displayWidth, height: h.displayHeight, orientation: o }, await sharpSize(buf));
        assert.deepEqual({ width: h.width, height: h.height }, { width: 123, height: 77 });
      }
    }
  });

  test('fill bytes before a marker are skipped', async () => {
    const src = readFileSync(photos[1]);
    const padded = Buffer.concat([src.subarray(0, 2), Buffer.from([0xff, 0xff, 0xff]), src.subarray(3)]);
    // src[2] is the 0xFF of the first marker after SOI; the padding adds fill bytes before it.
    assert.equal(src[2], 0xff);
    assert.deepEqual(jpegHeaderSize(padded), jpegHeaderSize(src));
    assert.deepEqual(await sharpSize(padded), await sharpSize(src));
  });

  test('steps aside where it is not sure: other formats, two Exif blocks, damage', async () => {
    const src = readFileSync(photos[2]);
    for (const format of ['png', 'webp', 'gif', 'tiff'] as const) {
      assert.equal(jpegHeaderSize(await sharp(src).toFormat(format).toBuffer()), undefined, format);
    }
    const oriented = await sharp(src).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const exifStart = oriented.indexOf(Buffer.from('Exif\0\0'));
    assert.ok(exifStart > 0);
    const app1 = oriented.subarray(exifStart - 4, exifStart - 2 + oriented.readUInt16BE(exifStart - 2));
    // libvips keeps the last of several Exif blocks; the reader leaves such files to it.
    assert.equal(jpegHeaderSize(withSegment(oriented, app1)), undefined);
    // Cut inside the header, before any frame: no size.
    assert.equal(jpegHeaderSize(src.subarray(0, 20)), undefined);
    assert.equal(jpegHeaderSize(Buffer.from([0xff, 0xd8])), undefined);
    // Not on a marker where one must be.
    const broken = Buffer.from(src);
    broken[2] = 0x00;
    assert.equal(jpegHeaderSize(broken), undefined);
    // An Exif orientation outside 1-8 is libvips' to interpret.
    const bad = Buffer.from(oriented);
    const tiff = exifStart + 6;
    const little = bad[tiff] === 0x49;
    const ifd = tiff + (little ? bad.readUInt32LE(tiff + 4) : bad.readUInt32BE(tiff + 4));
    const count = little ? bad.readUInt16LE(ifd) : bad.readUInt16BE(ifd);
    let patched = false;
    for (let i = 0; i < count; i++) {
      const e = ifd + 2 + i * 12;
      if ((little ? bad.readUInt16LE(e) : bad.readUInt16BE(e)) !== 0x0112) continue;
      if (little) bad.writeUInt16LE(9, e + 8);
      else bad.writeUInt16BE(9, e + 8);
      patched = true;
    }
    assert.ok(patched);
    assert.equal(jpegHeaderSize(bad), undefined);
  });

  test("decodeForModel reads the same shape through the header as through sharp's metadata", async () => {
    // A PNG copy goes the metadata way, the JPEG the header way; both must land on one shape.
    for (const p of photos.slice(0, 20)) {
      const jpeg = readFileSync(p);
      const viaHeader = await decodeForModel(jpeg, 299);
      const png = await sharp(jpeg).png().toBuffer();
      const viaMeta = await decodeForModel(png, 299);
      assert.deepEqual([viaHeader.width, viaHeader.height, viaHeader.srcWidth, viaHeader.srcHeight], [viaMeta.width, viaMeta.height, viaMeta.srcWidth, viaMeta.srcHeight], p);
    }
  });
});
