// HEIF/HEIC images (every iPhone since 2017, Samsung phones, Canon's and Sony's 10-bit HIF) to
// 8-bit RGB. sharp's prebuilt libvips has libheif without an HEVC decoder (patents), so this is
// libheif compiled to WebAssembly (libheif-js, with libde265). Its JavaScript wrapper decodes the
// primary image only, so this module talks to libheif's C API through the module's exports: that
// also reaches the thumbnail items, which cost a tenth of the full picture to decode
// (docs/EVAL.md, "Camera-size files"), and libheif applies the file's rotation and mirroring
// (irot/imir) and assembles grid (tiled) images as it decodes.

import { createRequire } from 'node:module';
import { DEFAULT_PIXEL_LIMIT, DecodeError, tooManyPixels } from './decode-error.js';

/** The parts of libheif's C API this module calls (pointers are numbers into the wasm heap). */
interface LibHeif {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _heif_context_alloc(): number;
  _heif_context_free(ctx: number): void;
  _heif_context_read_from_memory(err: number, ctx: number, data: number, size: number, options: number): void;
  _heif_context_get_primary_image_handle(err: number, ctx: number, out: number): void;
  _heif_image_handle_release(handle: number): void;
  _heif_image_handle_get_width(handle: number): number;
  _heif_image_handle_get_height(handle: number): number;
  _heif_image_handle_get_number_of_thumbnails(handle: number): number;
  _heif_image_handle_get_list_of_thumbnail_IDs(handle: number, ids: number, count: number): number;
  _heif_image_handle_get_thumbnail(err: number, handle: number, id: number, out: number): void;
  _heif_decode_image(err: number, handle: number, out: number, colorspace: number, chroma: number, options: number): void;
  _heif_image_get_plane_readonly(image: number, channel: number, stride: number): number;
  _heif_image_get_width(image: number, channel: number): number;
  _heif_image_get_height(image: number, channel: number): number;
  _heif_image_release(image: number): void;
}

// libheif's enum values (heif.h): RGB colour space, interleaved 8-bit RGB, its one plane.
const COLORSPACE_RGB = 1;
const CHROMA_INTERLEAVED_RGB = 10;
const CHANNEL_INTERLEAVED = 10;

let lib: LibHeif | undefined;

function libheif(): LibHeif {
  // The bundle carries the .wasm inside it and instantiates synchronously on load, which takes a
  // noticeable moment (docs/FORMATS.md, "What a 12 MP HEIC costs"), so nothing is loaded for
  // libraries without HEIC files.
  lib ??= createRequire(import.meta.url)('libheif-js/wasm-bundle') as LibHeif;
  return lib;
}

export interface HeifPixels {
  /** RGB, row-major, width * height * 3 bytes; a copy, never a view of the decoder's memory. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** Size of the primary image, as displayed. */
  fullWidth: number;
  fullHeight: number;
  /** True when a thumbnail item was decoded instead of the full picture. */
  fromThumbnail: boolean;
}

/**
 * Decodes a HEIF file's primary image to RGB, or its largest thumbnail item when that has a
 * long side of at least `minLongSide` (the model's side or the thumbnail asked for): the picture
 * the model reads is that small anyway. `minLongSide` Infinity always decodes the full image.
 */
export function decodeHeif(input: Uint8Array, minLongSide: number): HeifPixels {
  const h = libheif();
  // One scratch block for the error struct (code, subcode, message: 12 bytes) and out-pointers.
  const scratch = h._malloc(64);
  const err = scratch;
  const out = scratch + 16;
  const stride = scratch + 20;
  const ids = scratch + 24; // room for 8 thumbnail ids
  const data = h._malloc(input.byteLength);
  const ctx = h._heif_context_alloc();
  const handles: number[] = [];
  let image = 0;
  const check = (what: string) => {
    const code = h.HEAP32[err >> 2];
    if (code === 0) return;
    // heif_error_code: 3 unsupported file type, 4 unsupported feature (a codec or layout this
    // build lacks); 2 invalid input and the rest mean the data is damaged or cut off.
    const unsupported = code === 3 || code === 4;
    throw new DecodeError(
      unsupported ? 'unsupported' : 'corrupt',
      unsupported ? 'HEIF file with a compression or layout this version cannot decode' : 'truncated or corrupt HEIF image data',
      `${what}: ${cString(h, h.HEAPU32[(err + 8) >> 2]) || `libheif error ${code}`}`,
    );
  };
  try {
    if (!data || !ctx) throw new DecodeError('io', 'not enough memory to decode the image', 'libheif allocation failed');
    h.HEAPU8.set(input, data);
    h._heif_context_read_from_memory(err, ctx, data, input.byteLength, 0);
    check('read');
    h._heif_context_get_primary_image_handle(err, ctx, out);
    check('primary image');
    const primary = h.HEAPU32[out >> 2];
    handles.push(primary);
    const fullWidth = h._heif_image_handle_get_width(primary);
    const fullHeight = h._heif_image_handle_get_height(primary);
    // Refused from the header, as decode.ts does for other formats, before the heap grows for it.
    if (fullWidth * fullHeight > DEFAULT_PIXEL_LIMIT) throw tooManyPixels(fullWidth, fullHeight, DEFAULT_PIXEL_LIMIT);

    let chosen = primary;
    const count = Math.min(8, h._heif_image_handle_get_number_of_thumbnails(primary));
    if (count > 0 && Number.isFinite(minLongSide)) {
      h._heif_image_handle_get_list_of_thumbnail_IDs(primary, ids, count);
      let best = 0;
      for (let i = 0; i < count; i++) {
        h._heif_image_handle_get_thumbnail(err, primary, h.HEAPU32[(ids >> 2) + i], out);
        if (h.HEAP32[err >> 2] !== 0) continue; // a broken thumbnail: the full image still serves
        const thumb = h.HEAPU32[out >> 2];
        handles.push(thumb);
        const side = Math.max(h._heif_image_handle_get_width(thumb), h._heif_image_handle_get_height(thumb));
        // The smallest thumbnail that is still big enough, and only one of the primary's shape
        // (a thumbnail of another aspect would be a crop).
        const sameShape = Math.abs(h._heif_image_handle_get_width(thumb) / h._heif_image_handle_get_height(thumb) - fullWidth / fullHeight) < 0.02;
        if (side >= minLongSide && sameShape && (best === 0 || side < best)) {
          best = side;
          chosen = thumb;
        }
      }
    }

    h._heif_decode_image(err, chosen, out, COLORSPACE_RGB, CHROMA_INTERLEAVED_RGB, 0);
    if (h.HEAP32[err >> 2] !== 0 && chosen !== primary) {
      // A thumbnail libheif cannot decode (seen in 10-bit HIF files): the full picture still can.
      chosen = primary;
      h._heif_decode_image(err, chosen, out, COLORSPACE_RGB, CHROMA_INTERLEAVED_RGB, 0);
    }
    check('decode');
    image = h.HEAPU32[out >> 2];
    const width = h._heif_image_get_width(image, CHANNEL_INTERLEAVED);
    const height = h._heif_image_get_height(image, CHANNEL_INTERLEAVED);
    const plane = h._heif_image_get_plane_readonly(image, CHANNEL_INTERLEAVED, stride);
    const rowBytes = h.HEAP32[stride >> 2];
    if (!plane || !(width > 0 && height > 0) || rowBytes < width * 3) {
      throw new DecodeError('corrupt', 'truncated or corrupt HEIF image data', 'no RGB plane after decoding');
    }
    // Copied out row by row: the heap is reused by the next file, and may grow (detaching views).
    const pixels = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) pixels.set(h.HEAPU8.subarray(plane + y * rowBytes, plane + y * rowBytes + width * 3), y * width * 3);
    return {
      pixels,
      width,
      height,
      // libheif gives a handle's size as displayed (rotation and mirroring applied).
      fullWidth,
      fullHeight,
      fromThumbnail: chosen !== primary,
    };
  } finally {
    if (image) h._heif_image_release(image);
    for (const handle of handles) h._heif_image_handle_release(handle);
    if (ctx) h._heif_context_free(ctx);
    if (data) h._free(data);
    h._free(scratch);
  }
}

/** A NUL-terminated string in the wasm heap (libheif's error messages are static ASCII). */
function cString(h: LibHeif, ptr: number): string {
  let s = '';
  for (let i = ptr; ptr && i < ptr + 300 && h.HEAPU8[i]; i++) s += String.fromCharCode(h.HEAPU8[i]);
  return s;
}
