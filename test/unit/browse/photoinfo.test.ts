// photoInfo's reading (src/core/browse/photoinfo.ts) on real files: JPEGs written by sharp with known
// EXIF, a PNG with transparency, a PNG named .jpg, the camera samples (HEIC, DNG, NEF, and CR3 /
// RAF / HIF, which exifr does not parse and exiftool reads), broken and missing values, a file
// gone since it was indexed. The panel's wording of them is checked in the browser (test/e2e/preview.test.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { cameraName, exifDate, PhotoInfoError, readPhotoInfo } from '../../../src/core/browse/photoinfo.js';
import { closeRawReader } from '../../../src/core/analysis/decode/raw.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-photoinfo-'));
const SAMPLES = path.resolve('test/fixtures/camera-samples');

after(async () => {
  await closeRawReader();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Exif = Parameters<ReturnType<typeof sharp>['withExif']>[0];

async function jpegWithExif(name: string, exif: Exif, width = 640, height = 480): Promise<string> {
  const file = path.join(tmp, name);
  await sharp({ create: { width, height, channels: 3, background: { r: 120, g: 160, b: 90 } } })
    .jpeg({ quality: 80 })
    .withExif(exif)
    .toFile(file);
  return file;
}

const row = (file: string, width: number | null = null, height: number | null = null) => ({ id: 7, path: file, width, height });

test('a phone photo: date as the camera wrote it, its zone, camera, lens, exposure, place, bytes and type', async () => {
  const file = await jpegWithExif('IMG_0001.JPG', {
    IFD0: { Make: 'Apple', Model: 'iPhone 12 Pro' },
    IFD2: {
      DateTimeOriginal: '2023:05:01 14:32:10',
      OffsetTimeOriginal: '+02:00',
      ExposureTime: '1/120',
      FNumber: '8/5',
      ISOSpeedRatings: '32',
      FocalLength: '21/5',
      Flash: '16',
      LensModel: 'iPhone 12 Pro back triple camera 4.2mm f/1.6',
    },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2988/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4020/100', GPSAltitudeRef: '0', GPSAltitude: '35/1' },
  });
  const info = await readPhotoInfo(row(file, 640, 480));
  assert.equal(info.name, 'IMG_0001.JPG');
  assert.equal(info.folder, tmp);
  assert.equal(info.bytes, fs.statSync(file).size);
  assert.equal(info.type, 'JPEG');
  assert.equal(info.mime, 'image/jpeg');
  assert.equal(info.alpha, false);
  // The wall clock, not shifted by this process's zone (TZ may be anything where tests run).
  assert.equal(info.taken, '2023-05-01T14:32:10');
  assert.equal(info.takenOffset, '+02:00');
  assert.equal(info.camera, 'Apple iPhone 12 Pro');
  assert.equal(info.lens, 'iPhone 12 Pro back triple camera 4.2mm f/1.6');
  assert.ok(Math.abs(info.exposureTime! - 1 / 120) < 1e-9);
  assert.equal(info.fNumber, 1.6);
  assert.equal(info.iso, 32);
  assert.equal(info.focalLength, 4.2);
  assert.equal(info.flash, false);
  assert.ok(info.place);
  assert.ok(Math.abs(info.place.latitude - 48.8583) < 1e-6, `latitude ${info.place.latitude}`);
  assert.ok(Math.abs(info.place.longitude - 2.2945) < 1e-6, `longitude ${info.place.longitude}`);
  assert.equal(info.place.altitude, 35);
  assert.equal(info.metadataNote, null);
});

test('southern and western places are negative; 0,0 and blank dates are no place and no date', async () => {
  const south = await jpegWithExif('south.jpg', {
    IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '33/1 51/1 3540/100', GPSLongitudeRef: 'W', GPSLongitude: '70/1 39/1 0/1', GPSAltitude: '12/1' },
  });
  const s = await readPhotoInfo(row(south));
  assert.ok(s.place && s.place.latitude < -33.85 && s.place.latitude > -33.87, `latitude ${s.place?.latitude}`);
  assert.ok(s.place && s.place.longitude < -70.64 && s.place.longitude > -70.66, `longitude ${s.place?.longitude}`);
  assert.equal(s.place?.altitude, 12);

  const blank = await jpegWithExif('blank.jpg', {
    IFD0: { Make: 'Canon', Model: 'Canon EOS R6' },
    IFD2: { DateTimeOriginal: '0000:00:00 00:00:00' },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '0/1 0/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '0/1 0/1 0/1' },
  });
  const b = await readPhotoInfo(row(blank));
  assert.equal(b.taken, null);
  assert.equal(b.place, null);
  assert.equal(b.camera, 'Canon EOS R6', 'the make is not said twice');
});

test('a PNG with transparency, a PNG named .jpg, a PNG without EXIF', async () => {
  const png = path.join(tmp, 'logo.png');
  await sharp({ create: { width: 200, height: 120, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([{ input: { create: { width: 80, height: 60, channels: 4, background: { r: 220, g: 30, b: 30, alpha: 1 } } }, left: 60, top: 30 }])
    .png()
    .toFile(png);
  const p = await readPhotoInfo(row(png, 200, 120));
  assert.equal(p.type, 'PNG');
  assert.equal(p.mime, 'image/png');
  assert.equal(p.alpha, true);
  assert.equal(p.taken, null);
  assert.equal(p.camera, null);
  assert.equal(p.metadataNote, null, 'no EXIF is not an error');

  const misnamed = path.join(tmp, 'really-a-png.jpg');
  fs.copyFileSync(png, misnamed);
  assert.equal((await readPhotoInfo(row(misnamed))).type, 'PNG (named .jpg)');
});

test('camera files: HEIC with GPS, DNG, NEF through exifr; CR3, RAF and HIF through exiftool', async () => {
  const heic = await readPhotoInfo(row(path.join(SAMPLES, 'apple-iphone-xr-orientation6-grid.heic')));
  assert.equal(heic.type, 'HEIC');
  assert.equal(heic.camera, 'Apple iPhone XR');
  assert.equal(heic.taken, '2021-02-13T11:03:31');
  assert.equal(heic.takenOffset, '-06:00');
  assert.ok(heic.place && Math.abs(heic.place.latitude - 30.5804) < 1e-3 && Math.abs(heic.place.longitude + 88.0739) < 1e-3);

  const nef = await readPhotoInfo(row(path.join(SAMPLES, 'nikon-d70s-stripped.nef')));
  assert.equal(nef.type, 'Nikon RAW (NEF)');
  assert.equal(nef.camera, 'NIKON D70s');
  assert.equal(nef.flash, true);

  const cr3 = await readPhotoInfo(row(path.join(SAMPLES, 'canon-eos-r6-pruned.cr3')));
  assert.equal(cr3.type, 'Canon RAW (CR3)');
  assert.equal(cr3.camera, 'Canon EOS R6');
  assert.equal(cr3.lens, 'RF70-200mm F2.8 L IS USM');
  assert.equal(cr3.taken, '2021-05-12T12:21:21');
  assert.equal(cr3.takenOffset, '+02:00');
  assert.equal(cr3.metadataNote, null);

  const raf = await readPhotoInfo(row(path.join(SAMPLES, 'fujifilm-finepix-s5pro-stub.raf')));
  assert.equal(raf.camera, 'FUJIFILM FinePix S5Pro');
  assert.equal(raf.focalLength35, 105);

  const hif = await readPhotoInfo(row(path.join(SAMPLES, 'sony-ilce-7cm2-portrait-stub.hif')));
  assert.equal(hif.camera, 'SONY ILCE-7CM2');
  assert.equal(hif.taken, '2026-04-06T15:12:57');
});

test('a file gone since it was indexed is not-found, with its path', async () => {
  const gone = path.join(tmp, 'gone.jpg');
  await assert.rejects(readPhotoInfo(row(gone)), (e: unknown) => e instanceof PhotoInfoError && e.code === 'not-found' && e.message.includes(gone));
});

test('dates as EXIF writes them, camera names', () => {
  assert.equal(exifDate('2021:05:12 12:21:21.92+02:00'), '2021-05-12T12:21:21');
  assert.equal(exifDate('    :  :     :  :  '), null);
  assert.equal(cameraName('NIKON CORPORATION', 'NIKON D70s'), 'NIKON D70s');
  assert.equal(cameraName('Apple', 'iPhone 12 Pro'), 'Apple iPhone 12 Pro');
  assert.equal(cameraName(null, 'DMC-LX3'), 'DMC-LX3');
  assert.equal(cameraName('GoPro', null), 'GoPro');
});
