// What each kind of photo file hands the decoder: the file's own bytes for the formats libvips
// reads, a RAW's largest embedded preview with the RAW's orientation, or pixels that a reader of
// its own decoded (HEIF through libheif, BMP through bmp-js). formats.ts says which reader a file
// gets; decode.ts turns any of these into the model's pixels.

import { mkdtemp, rm, stat as fsStat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { createRequire } from 'node:module';
import { DecodeError } from './decode-error.js';
import { MIN_PHOTO_SIDE, oriented, readImageFile, type PhotoSource } from './decode.js';
import { photoReader } from '../formats.js';
import { decodeHeifOffThread } from './heic-worker.js';
import { jpegHeaderSize, swapsSides } from './jpeg-header.js';
import { readRawPreviews } from './raw.js';

/** The version of a file that was read and hashed. */
export interface FileBytes {
  buffer: Buffer;
  size: number;
  mtimeMs: number;
}

/**
 * The source of `path`'s pixels. `longSide` is the longest side the caller will use (the model's
 * side, a thumbnail's): a HEIF thumbnail item or a RAW preview at least that large stands for the
 * whole picture, and a RAW whose largest preview is smaller gets a note saying so.
 */
export async function photoSource(path: string, file: FileBytes, longSide: number): Promise<PhotoSource> {
  switch (photoReader(path)) {
    case 'heif':
      return heifSource(file.buffer, longSide);
    case 'bmp':
      return { input: decodeBmp(file.buffer) };
    case 'raw':
      return rawSource(path, file, longSide);
    default:
      return { input: file.buffer };
  }
}

async function heifSource(buffer: Buffer, longSide: number): Promise<PhotoSource> {
  const img = await decodeHeifOffThread(buffer, longSide);
  return { input: img, fullWidth: img.fullWidth, fullHeight: img.fullHeight };
}

/** bmp-js gives ABGR bytes whatever the file's depth (1 to 32 bits, palettes, bottom-up rows). */
function decodeBmp(buffer: Buffer): { pixels: Uint8Array; width: number; height: number } {
  const bmp = createRequire(import.meta.url)('bmp-js') as { decode(b: Buffer): { data: Buffer; width: number; height: number } };
  let decoded;
  try {
    decoded = bmp.decode(buffer);
  } catch (err) {
    throw new DecodeError('corrupt', 'truncated or corrupt BMP image data', err instanceof Error ? err.message : String(err));
  }
  const { width, height, data } = decoded;
  if (!(width > 0 && height > 0) || data.length < width * height * 4) {
    throw new DecodeError('corrupt', 'truncated or corrupt BMP image data', `${width} x ${height}, ${data.length} bytes of pixels`);
  }
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; o < pixels.length; i += 4, o += 3) {
    pixels[o] = data[i + 3];
    pixels[o + 1] = data[i + 2];
    pixels[o + 2] = data[i + 1];
  }
  return { pixels, width, height };
}

async function rawSource(path: string, file: FileBytes, longSide: number): Promise<PhotoSource> {
  const ext = extname(path).slice(1).toUpperCase();
  const { candidates, orientation, extract } = await readRawPreviews(path, file);
  const problems: string[] = [];
  // Largest first; the first one libvips can open is the camera's best rendering in the file.
  let largest: { tag: string; width: number; height: number } | undefined;
  for (const c of candidates) {
    // A tag that exiftool lists may still point past the end of a cut-off file, or hold a
    // placeholder: each is tried in turn, and what went wrong is kept for the reason.
    let bytes: Buffer;
    try {
      bytes = await extract(c.tag);
    } catch (err) {
      if (err instanceof DecodeError && (err.code === 'changed' || err.code === 'vanished')) throw err;
      problems.push(`${c.tag}: ${err instanceof DecodeError ? (err.detail ?? err.reason) : String(err)}`);
      continue;
    }
    let width: number;
    let height: number;
    const header = jpegHeaderSize(bytes);
    if (header) {
      width = header.width;
      height = header.height;
    } else {
      try {
        const meta = await sharp(bytes, { failOn: 'truncated' }).metadata();
        width = meta.width;
        height = meta.height;
      } catch (err) {
        problems.push(`${c.tag}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        continue;
      }
    }
    if (!(width > 0 && height > 0)) {
      problems.push(`${c.tag}: no size`);
      continue;
    }
    const [w, h] = swapsSides(orientation) ? [height, width] : [width, height];
    if (Math.max(w, h) < MIN_PHOTO_SIDE) {
      // Stubs and some old cameras keep an 8 x 8 placeholder: not a picture of the photo.
      if (!largest || w * h > largest.width * largest.height) largest = { tag: c.tag, width: w, height: h };
      continue;
    }
    const note = Math.max(w, h) < longSide ? `camera RAW (${ext}) read from its embedded ${w} x ${h} thumbnail: the file holds no larger preview` : undefined;
    return { input: bytes, orientation, note };
  }
  if (largest) {
    throw new DecodeError(
      'unsupported',
      `camera RAW (${ext}) whose only embedded preview is ${largest.width} x ${largest.height} pixels, too small to index; its JPEG, if you keep one, is indexed`,
      problems.join('; ') || undefined,
    );
  }
  throw new DecodeError(
    'unsupported',
    candidates.length === 0
      ? `camera RAW (${ext}) with no embedded preview; its JPEG, if you keep one, is indexed`
      : `camera RAW (${ext}) whose embedded previews cannot be decoded; its JPEG, if you keep one, is indexed`,
    problems.join('; ') || undefined,
  );
}

/**
 * A sharp pipeline over `path`'s picture as people see it (turned by its orientation), for
 * thumbnails, previews and reports: every format the engine reads, the browser's or not.
 * `longSide` as for photoSource.
 */
export async function openForDisplay(path: string, file: FileBytes, longSide: number): Promise<Sharp> {
  const src = await photoSource(path, file, longSide);
  if (!Buffer.isBuffer(src.input)) {
    const { pixels, width, height } = src.input;
    return sharp(pixels, { raw: { width, height, channels: 3 } });
  }
  // failOn 'none': a cut-off file shows what it has, as image viewers do.
  const image = sharp(src.input, { failOn: 'none', autoOrient: src.orientation === undefined });
  return src.orientation === undefined ? image : oriented(image, src.orientation);
}

/** openForDisplay on the file at `path`, read once. */
export async function openPathForDisplay(path: string, longSide: number): Promise<Sharp> {
  return openForDisplay(path, await readImageFile(path), longSide);
}

/**
 * photoSource for a photo held in memory under a file name (one dropped on the window, or sent
 * to the server): the name picks the reader. exiftool reads files, so a RAW is written to a
 * private temporary file for the read and removed after.
 */
export async function photoSourceFromBytes(name: string, buffer: Buffer, longSide: number): Promise<PhotoSource> {
  if (photoReader(name) !== 'raw') return photoSource(name, { buffer, size: buffer.length, mtimeMs: 0 }, longSide);
  const dir = await mkdtemp(join(tmpdir(), 'photowords-raw-'));
  const file = join(dir, `photo.${extname(name).slice(1).toLowerCase()}`);
  try {
    await writeFile(file, buffer, { mode: 0o600 });
    const st = await fsStat(file);
    return await photoSource(file, { buffer, size: st.size, mtimeMs: st.mtimeMs }, longSide);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
