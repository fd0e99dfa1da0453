// Turns one image file into the exact uint8 RGB pixels the model reads, or into a short,
// user-readable reason why it cannot. Every photo is read at the same resolution (long side =
// maxSide) so that visual words from different photos describe objects at comparable scales.

import sharp, { type OutputInfo, type Sharp } from 'sharp';
import jpegTurbo from '@julusian/jpeg-turbo';
import { jpegHeaderSize, swapsSides, type HeaderSize } from './jpeg-header.js';
import { resizeRgb } from './resample.js';
import { turnedForShrinkOnLoad, scaledJpegPixels } from './jpeg-scale.js';
import { photoSource } from './source.js';

/** InceptionV3's smallest valid input side. */
export const DEFAULT_MIN_SIDE = 75;
export const DEFAULT_STEP = 16;

export { DEFAULT_PIXEL_LIMIT, DecodeError, TRANSIENT_FAILURES, classifyError, type DecodeFailureCode } from './decode-error.js';
import { DEFAULT_PIXEL_LIMIT, DecodeError, classifyError, tooManyPixels } from './decode-error.js';
// Reading a file's bytes, once, as one version of it: read-file.ts.
export { DEFAULT_MAX_BYTES, readImageFile, type ImageFile, type ReadOptions } from './read-file.js';
import { readImageFile, type ImageFile, type ReadOptions } from './read-file.js';

export interface ShapeOptions {
  /** The short side is rounded to a multiple of this so similar aspect ratios share one shape. */
  step?: number;
  /** Lower clamp for the short side (very thin panoramas still give the CNN a valid input). */
  minSide?: number;
}

export interface Shape {
  width: number;
  height: number;
}

/**
 * Rounds an exact short side to the batching grid. Exported because batch keys must be computed
 * exactly the same way as decode shapes, or photos would be decoded into shapes no batch expects.
 */
export function roundSide(exact: number, maxSide: number, opts: ShapeOptions = {}): number {
  const step = opts.step ?? DEFAULT_STEP;
  const minSide = opts.minSide ?? DEFAULT_MIN_SIDE;
  const rounded = Math.round(exact / step) * step;
  return Math.min(maxSide, Math.max(minSide, rounded));
}

/** Aspect-correct model input shape: long side = maxSide, short side on the step grid. */
export function targetShape(width: number, height: number, maxSide: number, opts: ShapeOptions = {}): Shape {
  if (!(width > 0 && height > 0)) throw new RangeError(`invalid image size ${width} x ${height}`);
  const minSide = opts.minSide ?? DEFAULT_MIN_SIDE;
  if (!Number.isInteger(maxSide) || maxSide < minSide) {
    throw new RangeError(`maxSide ${maxSide} must be an integer of at least minSide ${minSide}`);
  }
  if (width >= height) return { width: maxSide, height: roundSide((maxSide * height) / width, maxSide, opts) };
  return { width: roundSide((maxSide * width) / height, maxSide, opts), height: maxSide };
}

/** Key under which decoded images can be stacked into one tensor. */
export function shapeKey(shape: Shape): string {
  return `${shape.width}x${shape.height}`;
}

export interface DecodeOptions extends ShapeOptions {
  /** Largest width x height accepted (checked from the header, before any pixel is decoded); false = no limit. */
  limitInputPixels?: number | false;
  /**
   * How strict libvips is with damaged data. 'truncated' (default) rejects cut-off files, which
   * would otherwise decode with a flat bottom and give wrong visual words, while tolerating the
   * harmless warnings (odd EXIF, extraneous bytes) that real cameras and editors produce. A
   * cut-off JPEG is then read again by readCutOffJpeg's rule.
   */
  failOn?: 'none' | 'truncated' | 'error' | 'warning';
}

export interface DecodedImage {
  /** RGB, row-major HWC, height * width * 3 bytes; fed to the model as uint8 without conversion. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** Size after EXIF orientation, before resizing. */
  srcWidth: number;
  srcHeight: number;
  /** Set when less than the whole picture was read (a small embedded thumbnail, a cut-off file). */
  note?: string;
}

/** RGB pixels a reader has decoded already (HEIF, BMP). */
export interface RgbImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** What a file's reader hands the decoder: bytes for libvips, or pixels it decoded itself. */
export interface PhotoSource {
  input: Buffer | RgbImage;
  /** EXIF orientation (1-8) to apply instead of the bytes' own: a RAW's preview is stored unturned. */
  orientation?: number;
  /** Size of the whole picture as displayed, when the input is a smaller rendering of it. */
  fullWidth?: number;
  fullHeight?: number;
  note?: string;
}

/** Images whose longer side is below this are icons, spacers and tracking pixels, not photos. */
export const MIN_PHOTO_SIDE = 32;

export async function decodeForModel(source: Buffer | PhotoSource, maxSide: number, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const src: PhotoSource = Buffer.isBuffer(source) ? { input: source } : source;
  if (!Buffer.isBuffer(src.input)) return decodePixels(src, src.input, maxSide, opts);
  const input = src.input;
  if (input.length === 0) throw new DecodeError('empty', 'empty file (0 bytes)');
  const limit = opts.limitInputPixels ?? DEFAULT_PIXEL_LIMIT;
  const failOn = opts.failOn ?? 'truncated';
  // Animated GIF/WebP and multi-page TIFF: the first frame stands for the file.
  const frame = { pages: 1, page: 0 };

  // A JPEG's header gives its size without opening it in libvips; other formats, and JPEGs whose
  // header this reader is unsure of, ask sharp (imageheader.ts says why).
  const header = jpegHeaderSize(input);
  let storedWidth: number;
  let storedHeight: number;
  let orientation: number;
  if (header) {
    storedWidth = header.width;
    storedHeight = header.height;
    orientation = header.orientation;
  } else {
    try {
      // metadata() reads only the header, so a giant image is refused before gigabytes are
      // allocated. sharp's own limit is lifted for this read only: it would refuse without
      // saying how large the image is, and the user deserves the numbers.
      const meta = await sharp(input, { failOn, limitInputPixels: false, ...frame }).metadata();
      storedWidth = meta.width;
      storedHeight = meta.height;
      orientation = meta.orientation ?? 1;
      if (!(storedWidth > 0 && storedHeight > 0)) throw new DecodeError('corrupt', 'truncated or corrupt image data', 'no image size in header');
    } catch (err) {
      throw classifyError(err);
    }
  }
  if (limit !== false && storedWidth * storedHeight > limit) throw tooManyPixels(storedWidth, storedHeight, limit);
  orientation = src.orientation ?? orientation;
  const turned = swapsSides(orientation);
  const srcWidth = turned ? storedHeight : storedWidth;
  const srcHeight = turned ? storedWidth : storedHeight;
  checkPhotoSize(srcWidth, srcHeight);
  const full = { srcWidth: src.fullWidth ?? srcWidth, srcHeight: src.fullHeight ?? srcHeight };

  const shape = targetShape(srcWidth, srcHeight, maxSide, opts);
  if (header && orientation === 1 && fastPathFits(header, maxSide)) {
    const fast = decodeJpegInThread(input, shape);
    if (fast) return { pixels: fast, width: shape.width, height: shape.height, ...full, note: src.note };
  }
  try {
    // A turned camera JPEG keeps libjpeg's DCT scaling only if it is resized before the turn (jpegscale.ts).
    if (header && turnedForShrinkOnLoad(storedWidth, storedHeight, orientation, shape))
      return { ...(await scaledJpegPixels(input, orientation, shape, { failOn, limitInputPixels: limit })), ...full, note: src.note };
    // The limit applies again here, as a second guard in case a header understated the size.
    // The file's own orientation through sharp's autoOrient (the pixels every index so far was
    // built from); an orientation from outside the bytes (a RAW's) explicitly.
    const image =
      src.orientation === undefined
        ? sharp(input, { failOn, limitInputPixels: limit, autoOrient: true, ...frame })
        : oriented(sharp(input, { failOn, limitInputPixels: limit, autoOrient: false, ...frame }), orientation);
    return { ...(await toModelPixels(image, shape)), ...full, note: src.note };
  } catch (err) {
    const e = classifyError(err);
    // A cut-off JPEG that every image viewer shows is read by the rule in readCutOffJpeg.
    if (header && e.code === 'corrupt' && failOn !== 'none') {
      const cut = await readCutOffJpeg(input, { width: storedWidth, height: storedHeight }, orientation, maxSide, opts);
      return { ...cut, srcWidth: src.fullWidth ?? cut.srcWidth, srcHeight: src.fullHeight ?? cut.srcHeight, note: [src.note, cut.note].filter(Boolean).join('; ') };
    }
    throw e;
  }
}

function checkPhotoSize(width: number, height: number): void {
  if (Math.max(width, height) < MIN_PHOTO_SIDE) {
    throw new DecodeError('too-small', `too small to be a photo (${width} x ${height} pixels; photos need a side of at least ${MIN_PHOTO_SIDE})`);
  }
}

/**
 * sharp's operations for an EXIF orientation, applied explicitly so that an orientation given
 * from outside the bytes (a RAW's) is honoured the same way as the file's own. sharp mirrors
 * before it rotates, hence 5 = mirror + 270 and 7 = mirror + 90.
 */
export function oriented(image: Sharp, orientation: number): Sharp {
  switch (orientation) {
    case 2:
      return image.flop();
    case 3:
      return image.rotate(180);
    case 4:
      return image.flip();
    case 5:
      return image.flop().rotate(270);
    case 6:
      return image.rotate(90);
    case 7:
      return image.flop().rotate(90);
    case 8:
      return image.rotate(270);
    default:
      return image;
  }
}

/** The model's pixels from a sharp pipeline: flattened on white, 8-bit sRGB, the filter of resample.ts. */
async function toModelPixels(image: Sharp, shape: Shape): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const { data, info }: { data: Buffer; info: OutputInfo } = await image
    // White, not black: transparent areas of logos and screenshots are meant to look like paper.
    .flatten({ background: '#ffffff' })
    // Greyscale, CMYK and 16-bit inputs all become 8-bit sRGB, so the model sees one layout.
    .toColourspace('srgb')
    // The shape is already aspect-correct up to the rounding, so 'fill' distorts by < step/2 px.
    // 'linear', the filter of the in-thread path (resample.ts): photos too big or too unusual
    // for that path are read the same way, only through libvips.
    .resize(shape.width, shape.height, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== shape.width || info.height !== shape.height || info.channels !== 3) {
    throw new DecodeError('unknown', 'could not convert image to RGB', `got ${info.width} x ${info.height} x ${info.channels}, wanted ${shape.width} x ${shape.height} x 3`);
  }
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Pixels a reader decoded (already turned as displayed), resized by the same filter. */
function decodePixels(src: PhotoSource, img: RgbImage, maxSide: number, opts: ShapeOptions): DecodedImage {
  checkPhotoSize(src.fullWidth ?? img.width, src.fullHeight ?? img.height);
  const shape = targetShape(img.width, img.height, maxSide, opts);
  return {
    pixels: resizeRgb(img.pixels, img.width, img.height, shape.width, shape.height),
    width: shape.width,
    height: shape.height,
    srcWidth: src.fullWidth ?? img.width,
    srcHeight: src.fullHeight ?? img.height,
    note: src.note,
  };
}

/**
 * The share of a cut-off JPEG's rows that must have been read for it to be indexed. Below it the
 * words would describe a fragment, and the file is failed with the share that was there. 0.7:
 * "most of the picture", with a margin for the block rows a partial download cuts mid-way.
 */
export const CUT_OFF_MIN_SHARE = 0.7;

/**
 * A JPEG that ends early (an interrupted copy or download) decodes in libjpeg with every block
 * after the cut set to the last one's DC value: a flat band at the bottom of the stored picture.
 * The rows above it are the photo as the camera wrote it, so they are indexed, with a note, when
 * they are at least CUT_OFF_MIN_SHARE of the picture. A progressive JPEG cut in a later scan has
 * no flat band: the whole picture is there at lower detail, which is what the note then says.
 */
async function readCutOffJpeg(input: Buffer, stored: Shape, orientation: number, maxSide: number, opts: DecodeOptions): Promise<DecodedImage> {
  const limit = opts.limitInputPixels ?? DEFAULT_PIXEL_LIMIT;
  const { width: storedWidth, height: storedHeight } = stored;
  let rows: number;
  try {
    // A small copy of the stored picture (libjpeg's DCT scaling keeps this cheap) is enough to
    // find where the flat band starts.
    const probe = await sharp(input, { failOn: 'none', limitInputPixels: limit, autoOrient: false })
      .resize({ width: 256, height: 256, fit: 'inside', kernel: 'nearest' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { data, info } = probe;
    rows = info.height;
    const rowFlat = (y: number, r: number, g: number, b: number) => {
      for (let x = 0; x < info.width; x++) {
        const o = (y * info.width + x) * info.channels;
        if (Math.abs(data[o] - r) > 2 || Math.abs(data[o + 1] - g) > 2 || Math.abs(data[o + 2] - b) > 2) return false;
      }
      return true;
    };
    const last = ((info.height - 1) * info.width + info.width - 1) * info.channels;
    const [r, g, b] = [data[last], data[last + 1], data[last + 2]];
    // Rows wholly the fill colour, from the bottom up; the row the cut went through keeps some.
    while (rows > 0 && rowFlat(rows - 1, r, g, b)) rows--;
    const share = rows / info.height;
    if (share < CUT_OFF_MIN_SHARE) {
      throw new DecodeError('corrupt', `truncated JPEG: only ${Math.round(share * 100)}% of the picture is in the file (photos are indexed from ${Math.round(CUT_OFF_MIN_SHARE * 100)}%)`);
    }
    const keep = Math.max(1, Math.floor((storedHeight * rows) / info.height));
    const turned = swapsSides(orientation);
    const width = turned ? keep : storedWidth;
    const height = turned ? storedWidth : keep;
    const shape = targetShape(width, height, maxSide, opts);
    const image = oriented(sharp(input, { failOn: 'none', limitInputPixels: limit, autoOrient: false }).extract({ left: 0, top: 0, width: storedWidth, height: keep }), orientation);
    const pixels = await toModelPixels(image, shape);
    const missing = Math.round((1 - share) * 100);
    const note =
      missing > 0
        ? `cut-off file: the bottom ${missing}% of the picture is missing; indexed from the ${Math.round(share * 100)}% that is there`
        : 'cut-off file: the picture is whole but at lower detail (progressive JPEG)';
    // The file's own size, as for any photo: a cut-off copy ties an original on pixels, and the
    // keeper rule's next criterion (the larger file) then prefers the whole one.
    return { ...pixels, srcWidth: turned ? storedHeight : storedWidth, srcHeight: turned ? storedWidth : storedHeight, note };
  } catch (err) {
    throw classifyError(err);
  }
}

/**
 * The common photo, decoded in this thread: a plain JPEG (grey or YCbCr, no colour profile, no
 * rotation to apply) no more than twice the model's side. libjpeg-turbo decodes it and resample.ts
 * resizes it, in a fraction of the CPU sharp takes, whose threads hand each photo back and forth strip
 * by strip (docs/EVAL.md, "The in-thread decoder"). Bigger photos go through sharp, which decodes them
 * at a fraction of their size; anything else too, for its colour handling.
 */
function fastPathFits(h: HeaderSize, maxSide: number): boolean {
  return h.orientation === 1 && !h.colourManaged && (h.components === 1 || h.components === 3) && Math.max(h.width, h.height) <= 2 * maxSide;
}

/** undefined where libjpeg-turbo refuses the file (cut off, CMYK ...): sharp then decides, with its reasons. */
function decodeJpegInThread(input: Buffer, shape: Shape): Uint8Array | undefined {
  let decoded;
  try {
    decoded = jpegTurbo.decompressSync(input, { format: jpegTurbo.FORMAT_RGB });
  } catch {
    return undefined;
  }
  if (decoded.data.length < decoded.width * decoded.height * 3) return undefined;
  return resizeRgb(decoded.data, decoded.width, decoded.height, shape.width, shape.height);
}

/** readImageFile + photoSource + decodeForModel, for callers that do not keep the buffer. */
export async function loadForModel(path: string, maxSide: number, opts: DecodeOptions & ReadOptions = {}): Promise<DecodedImage & Omit<ImageFile, 'buffer'>> {
  const { buffer, ...file } = await readImageFile(path, opts);
  const decoded = await decodeForModel(await photoSource(path, { buffer, ...file }, maxSide), maxSide, opts);
  return { ...file, ...decoded };
}
