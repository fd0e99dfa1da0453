// What the preview's info panel costs a photo (photoInfo, src/core/browse/photoinfo.ts), read from the
// file on each call: wall time per call by kind of file, each file read 20 times after one
// unmeasured read (exiftool's perl process starts on the first RAW). Kinds: flowers17 JPEGs
// (no EXIF), a 12 MP JPEG with a phone's EXIF made here, the camera samples' HEIC (exifr), CR3
// and HIF (exiftool, which exifr does not parse), a PNG.
//   node --import tsx bench/experiments/photoinfo-cost.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { readPhotoInfo } from '../../src/core/browse/photoinfo.js';
import { closeRawReader } from '../../src/core/analysis/decode/raw.js';

const SAMPLES = path.resolve('test/fixtures/camera-samples');
const FLOWERS = path.resolve('../shared/datasets/flowers17/c01');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-photoinfo-cost-'));

const phone = path.join(tmp, 'phone.jpg');
await sharp({ create: { width: 3024, height: 4032, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
  .jpeg({ quality: 85 })
  .withExif({
    IFD0: { Make: 'Apple', Model: 'iPhone 12 Pro' },
    IFD2: { DateTimeOriginal: '2023:05:01 14:32:10', ExposureTime: '1/120', FNumber: '8/5' },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2988/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4020/100' },
  })
  .toFile(phone);
const png = path.join(tmp, 'alpha.png');
await sharp({ create: { width: 1200, height: 800, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
  .png()
  .toFile(png);

const kinds: [string, string[]][] = [
  [
    'flowers17 JPEG, no EXIF',
    fs
      .readdirSync(FLOWERS)
      .sort()
      .slice(0, 10)
      .map((f) => path.join(FLOWERS, f)),
  ],
  ['12 MP JPEG with EXIF', [phone]],
  ['PNG with alpha', [png]],
  ['HEIC (exifr)', [path.join(SAMPLES, 'apple-iphone-xr-orientation6-grid.heic')]],
  ['CR3 (exiftool)', [path.join(SAMPLES, 'canon-eos-r6-pruned.cr3')]],
  ['HIF (exiftool)', [path.join(SAMPLES, 'sony-ilce-7cm2-portrait-stub.hif')]],
];
for (const [kind, files] of kinds) {
  const times: number[] = [];
  for (const f of files) {
    await readPhotoInfo({ id: 1, path: f, width: null, height: null });
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await readPhotoInfo({ id: 1, path: f, width: null, height: null });
      times.push(performance.now() - t);
    }
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
  console.log(`${kind.padEnd(26)} median ${q(0.5)} ms, p90 ${q(0.9)} ms (${times.length} calls)`);
}
await closeRawReader();
fs.rmSync(tmp, { recursive: true, force: true });
