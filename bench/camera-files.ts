// Camera-size photos made from the dev set (issue 17): the datasets hold 300-500 px photos, phones
// and cameras write 12-48 MP. Each dataset photo is upscaled and given sensor-like grain, because
// a smooth upscale compresses to a fraction of a camera file's bytes and its entropy decoding,
// which dominates decoding at 1/8 scale, would cost a fraction too. The set is made at run time
// into os.tmpdir() and kept there (48 MP JPEGs take seconds each to make), keyed by
// CAMERA_SET_VERSION; nothing of it is committed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { mulberry32 } from '../src/core/common/random.js';
import { tiffWithPreview } from '../test/fixtures/rawfile.js';

/** Bump whenever what is written changes, so an old cache is not measured as the new set. */
export const CAMERA_SET_VERSION = 'v1';

export type CameraFormat = 'jpeg12' | 'jpeg24' | 'jpeg48' | 'heic12' | 'heic12full' | 'raw12';

/** `images`: fewer photos than the bench's sample, where each takes seconds to index. */
export const CAMERA_FORMATS: Record<CameraFormat, { label: string; width: number; height: number; images?: number }> = {
  // 4:3 for phones, 3:2 for APS-C and full-frame cameras.
  jpeg12: { label: 'JPEG 12 MP (4000x3000)', width: 4000, height: 3000 },
  jpeg24: { label: 'JPEG 24 MP (6000x4000)', width: 6000, height: 4000 },
  jpeg48: { label: 'JPEG 48 MP (8000x6000)', width: 8000, height: 6000 },
  heic12: { label: 'HEIC 12 MP (4032x3024), 320 px thumbnail', width: 4032, height: 3024 },
  // The same without a thumbnail item: what a HEIC costs when its whole picture must be decoded.
  heic12full: { label: 'HEIC 12 MP (4032x3024), no thumbnail', width: 4032, height: 3024, images: 16 },
  raw12: { label: 'RAW (DNG-like) 12 MP, full-size JPEG preview', width: 4000, height: 3000 },
};

const CAMERAS = [
  { Make: 'Canon', Model: 'Canon EOS R6' },
  { Make: 'NIKON CORPORATION', Model: 'NIKON Z 6_2' },
  { Make: 'Apple', Model: 'iPhone 13' },
  { Make: 'samsung', Model: 'SM-S911B' },
  { Make: 'SONY', Model: 'ILCE-7M3' },
];

/** Grain in grey levels (standard deviation, luma only): gives q92 files of about 0.3-0.4 bytes a pixel, as cameras write. */
const GRAIN = 6;

export function heifEncoder(): string | undefined {
  const r = spawnSync('heif-enc', ['--help'], { encoding: 'utf8' });
  return r.error ? undefined : 'heif-enc';
}

/**
 * One camera JPEG: `src` cropped to the camera's aspect and upscaled, grain added, written at
 * q92 4:2:0 with Make, Model, DateTimeOriginal and an orientation. Orientation 6 files store the
 * pixels turned a quarter to the left, as a camera held upright does, so they display upright.
 */
export async function cameraJpeg(src: string, width: number, height: number, orientation: 1 | 6, seed: number, quality = 92): Promise<Buffer> {
  const portrait = orientation === 6;
  const dw = portrait ? height : width;
  const dh = portrait ? width : height;
  let img = sharp(src).resize(dw, dh, { fit: 'cover', kernel: 'cubic' });
  if (portrait) img = sharp(await img.toBuffer()).rotate(270);
  const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  addGrain(data, info.channels, seed);
  const camera = CAMERAS[seed % CAMERAS.length];
  const when = new Date(Date.UTC(2025, 5, 1) + seed * 3_600_000).toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, ':');
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels as 3 } })
    .jpeg({ quality, chromaSubsampling: '4:2:0' })
    .withExif({
      IFD0: { Make: camera.Make, Model: camera.Model, DateTime: when, Software: 'photowords bench' },
      IFD2: { DateTimeOriginal: when, ExposureTime: '1/125', FNumber: '4', ISOSpeedRatings: '400' },
    })
    .toBuffer()
    .then((jpeg) => setOrientation(jpeg, orientation));
}

/**
 * Writes the EXIF orientation in place. libvips writes the image's own orientation field over the
 * Orientation tag, and the only way to set that field, withMetadata(), also embeds an sRGB ICC
 * profile, which camera JPEGs mostly do not carry and which sends a JPEG down another decode path.
 */
function setOrientation(jpeg: Buffer, orientation: number): Buffer {
  const exif = jpeg.indexOf('Exif\0\0', 0, 'latin1');
  if (exif < 0 || exif > 64) throw new Error('no EXIF block where sharp writes it');
  const tiff = exif + 6;
  const le = jpeg.toString('latin1', tiff, tiff + 2) === 'II';
  const u16 = (o: number) => (le ? jpeg.readUInt16LE(o) : jpeg.readUInt16BE(o));
  const u32 = (o: number) => (le ? jpeg.readUInt32LE(o) : jpeg.readUInt32BE(o));
  const ifd0 = tiff + u32(tiff + 4);
  for (let i = 0, n = u16(ifd0); i < n; i++) {
    const e = ifd0 + 2 + i * 12;
    if (u16(e) !== 0x0112) continue;
    if (le) jpeg.writeUInt16LE(orientation, e + 8);
    else jpeg.writeUInt16BE(orientation, e + 8);
    return jpeg;
  }
  throw new Error('no Orientation tag in IFD0');
}

function addGrain(px: Buffer, channels: number, seed: number): void {
  const rand = mulberry32(seed);
  for (let i = 0; i < px.length; i += channels) {
    // Sum of two uniforms: close enough to Gaussian for an encoder, and cheap on 48 MP.
    const n = Math.round((rand() + rand() - 1) * GRAIN * 2.45);
    for (let c = 0; c < 3; c++) {
      const v = px[i + c] + n;
      px[i + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

export interface CameraSet {
  dir: string;
  formats: Partial<Record<CameraFormat, { files: string[]; bytes: number; skipped?: string }>>;
}

/**
 * The camera set for `formats`, `count` photos each, made from `sources` (dataset photos) where
 * not cached yet. A format that cannot be made here (no HEIF encoder) is returned with `skipped`.
 */
export async function cameraSet(sources: string[], formats: CameraFormat[], opts: { log?: (m: string) => void; dir?: string } = {}): Promise<CameraSet> {
  const log = opts.log ?? (() => undefined);
  const dir = opts.dir ?? path.join(os.tmpdir(), `photowords-camera-set-${CAMERA_SET_VERSION}`);
  const set: CameraSet = { dir, formats: {} };
  for (const format of formats) {
    const spec = CAMERA_FORMATS[format];
    const folder = path.join(dir, format);
    fs.mkdirSync(folder, { recursive: true });
    const heic = format === 'heic12' || format === 'heic12full';
    const encoder = heic ? heifEncoder() : 'sharp';
    if (!encoder) {
      set.formats[format] = { files: [], bytes: 0, skipped: 'no HEIF encoder here (apt-get install libheif-examples gives heif-enc)' };
      continue;
    }
    const files: string[] = [];
    let made = 0;
    const t0 = performance.now();
    for (let i = 0; i < sources.length; i++) {
      // Every fourth photo is a portrait shot held upright (EXIF orientation 6).
      const orientation = i % 4 === 3 ? 6 : 1;
      const ext = heic ? 'HEIC' : format === 'raw12' ? 'DNG' : 'JPG';
      // The source's name is in the file's, so a different sample never reuses another's file.
      const tag = createHash('sha1').update(sources[i]).digest('hex').slice(0, 8);
      const file = path.join(folder, `IMG_${String(i + 1).padStart(4, '0')}_${tag}.${ext}`);
      files.push(file);
      if (fs.existsSync(file)) continue;
      const partial = `${file}.part`;
      if (heic) {
        // heif-enc reads a JPEG, keeps its EXIF and encodes HEVC with x265, as a phone's hardware
        // would, with a 320 px thumbnail item as iPhones write (not their 512 px tiles: this
        // libheif writes one image).
        const jpeg = `${file}.src.jpg`;
        fs.writeFileSync(jpeg, await cameraJpeg(sources[i], spec.width, spec.height, orientation, i, 97));
        try {
          const thumb = format === 'heic12' ? ['-t', '320'] : [];
          execFileSync('heif-enc', ['-q', '50', ...thumb, '-p', 'preset=fast', '-o', partial, jpeg], { stdio: 'ignore' });
        } finally {
          fs.rmSync(jpeg, { force: true });
        }
      } else if (format === 'raw12') {
        const preview = await cameraJpeg(sources[i], spec.width, spec.height, orientation, i, 90);
        const camera = CAMERAS[i % CAMERAS.length];
        // A 12-bit mosaic, losslessly compressed to about 10 bits a pixel as cameras store it.
        // The preview as the sensor saw it (turned pixels for a portrait shot); the orientation is the RAW's.
        const raw = tiffWithPreview(preview, { sensorBytes: Math.round(spec.width * spec.height * 1.25), width: spec.width, height: spec.height, make: camera.Make, model: camera.Model, orientation });
        fs.writeFileSync(partial, raw);
      } else {
        fs.writeFileSync(partial, await cameraJpeg(sources[i], spec.width, spec.height, orientation, i));
      }
      fs.renameSync(partial, file);
      made++;
      if (made % 10 === 0) log(`  ${format}: made ${made} (${((performance.now() - t0) / 1000 / made).toFixed(1)} s each) ...`);
    }
    const bytes = files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
    set.formats[format] = { files, bytes };
    log(`  ${format}: ${files.length} files in ${folder}${made ? `, ${made} made now` : ', cached'}, ${(bytes / files.length / 2 ** 20).toFixed(1)} MiB each`);
  }
  return set;
}
