// Camera RAW files (issue 7): indexed through the JPEG preview they embed, or listed as
// unsupported with that reason; a RAW and its JPEG sibling are related, never duplicates to trash.
// No camera RAW file ships with the datasets, so the test writes the structure RAW formats share
// (DNG, CR2, NEF, ARW are TIFF files; the preview sits in IFD1 behind JPEGInterchangeFormat)
// around a real photo's JPEG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../src/core/engine.js';
import { findDuplicates } from '../src/core/duplicates.js';

/** A little-endian TIFF whose IFD0 is a 1 x 1 placeholder and whose IFD1 carries `jpeg` as the preview. */
function tiffWithPreview(jpeg: Buffer): Buffer {
  const entries0: [number, number, number][] = [
    [0x0100, 3, 1], // ImageWidth
    [0x0101, 3, 1], // ImageLength
    [0x0102, 3, 8], // BitsPerSample
    [0x0103, 3, 1], // Compression: none
    [0x0106, 3, 1], // PhotometricInterpretation
    [0x0111, 4, 0], // StripOffsets (filled in below)
    [0x0115, 3, 1], // SamplesPerPixel
    [0x0116, 3, 1], // RowsPerStrip
    [0x0117, 4, 1], // StripByteCounts
  ];
  const ifd0 = 8;
  const ifd1 = ifd0 + 2 + entries0.length * 12 + 4;
  const pixel = ifd1 + 2 + 3 * 12 + 4;
  const jpegAt = pixel + 2;
  const buf = Buffer.alloc(jpegAt + jpeg.length);
  buf.write('II', 0, 'ascii');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(ifd0, 4);
  const entry = (o: number, tag: number, type: number, value: number) => {
    buf.writeUInt16LE(tag, o);
    buf.writeUInt16LE(type, o + 2);
    buf.writeUInt32LE(1, o + 4);
    if (type === 3) buf.writeUInt16LE(value, o + 8);
    else buf.writeUInt32LE(value, o + 8);
  };
  let o = ifd0;
  buf.writeUInt16LE(entries0.length, o);
  o += 2;
  for (const [tag, type, value] of entries0) {
    entry(o, tag, type, tag === 0x0111 ? pixel : value);
    o += 12;
  }
  buf.writeUInt32LE(ifd1, o);
  o = ifd1;
  buf.writeUInt16LE(3, o);
  o += 2;
  entry(o, 0x0103, 3, 6); // Compression: JPEG
  entry(o + 12, 0x0201, 4, jpegAt); // JPEGInterchangeFormat
  entry(o + 24, 0x0202, 4, jpeg.length); // JPEGInterchangeFormatLength
  buf.writeUInt32LE(0, o + 36);
  jpeg.copy(buf, jpegAt);
  return buf;
}

test('RAW: indexed through its embedded preview, grouped with its JPEG as related and protected; no preview: unsupported with a reason', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-raw-'));
  const lib = path.join(dir, 'photos');
  fs.mkdirSync(lib);
  try {
    const flowers = path.resolve('../shared/datasets/flowers17/c05');
    const src = path.join(flowers, fs.readdirSync(flowers).sort()[0]);
    // The camera's pair: the RAW (preview inside) and the JPEG it wrote beside it.
    fs.writeFileSync(path.join(lib, 'IMG_0042.DNG'), tiffWithPreview(await sharp(src).resize(400).jpeg({ quality: 85 }).toBuffer()));
    fs.copyFileSync(src, path.join(lib, 'IMG_0042.JPG'));
    // A RAW without a readable preview.
    fs.writeFileSync(path.join(lib, 'IMG_0043.NEF'), Buffer.from('MM\0*\0\0\0\x08 not a real raw file'));
    const caltech = path.resolve('../shared/datasets/caltech101/airplanes');
    for (const f of fs.readdirSync(caltech).sort().slice(0, 3)) fs.copyFileSync(path.join(caltech, f), path.join(lib, f));

    const engine = await Engine.open(path.join(dir, 'index.db'), { provider: 'cpu' });
    try {
      const report = await engine.index([lib]);
      const raw = engine.store.getByPath(path.join(lib, 'IMG_0042.DNG'))!;
      assert.equal(raw.status, 'indexed', `the DNG is indexed through its preview: ${raw.error}`);
      assert.equal(raw.width, 400, "the preview's size");
      const bad = engine.store.getByPath(path.join(lib, 'IMG_0043.NEF'))!;
      assert.equal(bad.status, 'failed');
      assert.match(bad.error ?? '', /camera RAW \(NEF\) with no embedded preview/);
      assert.ok(report.failures.some((f) => f.path.endsWith('IMG_0043.NEF')));

      const r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
      const g = r.groups.find((x) => x.members.some((m) => m.path.endsWith('IMG_0042.DNG')));
      assert.ok(g, 'the RAW and its JPEG are one photo');
      assert.deepEqual(g.members.map((m) => path.basename(m.path)).sort(), ['IMG_0042.DNG', 'IMG_0042.JPG']);
      assert.deepEqual(g.related?.map((x) => x.kind), ['raw+jpeg']);
      assert.ok(g.members.every((m) => m.protect === 'raw+jpeg pair'), 'neither is offered for the trash');
      console.log(`RAW: ${path.basename(raw.path)} indexed at ${raw.width}x${raw.height} from its preview; ${bad.error}; group: ${g.members.map((m) => `${path.basename(m.path)} (${m.protect})`).join(', ')}`);
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
