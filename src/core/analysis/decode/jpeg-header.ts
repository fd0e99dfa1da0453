// The displayed size of a JPEG read straight from its header (frame size and EXIF orientation),
// so decoding needs one trip through libvips instead of two. sharp's metadata() opens the whole
// image in libvips on libuv's pool just to learn the size the decode then resizes to: CPU and two
// thread hand-offs a photo, on two cores the model's time (docs/EVAL.md, "Indexing beside the
// model"). Anything this parser is not sure of returns undefined, and the caller asks sharp as before.

export interface HeaderSize {
  /** Size as stored in the frame header. */
  width: number;
  height: number;
  /** EXIF orientation 1-8 (1 when the file has none). */
  orientation: number;
  /** Size after the orientation is applied: what sharp's autoOrient gives. */
  displayWidth: number;
  displayHeight: number;
  /** Colour components of the frame: 1 grey, 3 YCbCr (or RGB), 4 CMYK/YCCK. */
  components: number;
  /** An embedded ICC profile (APP2) or an Adobe marker (APP14, which tells CMYK and RGB encodings apart). */
  colourManaged: boolean;
}

const SOI = 0xd8;
const SOS = 0xda;
const EOI = 0xd9;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic); C4, C8 and CC are not frames. */
function isFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** A JPEG's size and orientation from its header segments, or undefined when it is not a plain JPEG header. */
export function jpegHeaderSize(buf: Uint8Array): HeaderSize | undefined {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== SOI) return undefined;
  let orientation: number | undefined;
  let frame: { width: number; height: number; components: number } | undefined;
  let colourManaged = false;
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) return undefined; // not on a marker: damaged, let libvips judge it
    let marker = buf[p + 1];
    // Any number of 0xFF fill bytes may precede a marker.
    while (marker === 0xff && p + 2 < buf.length) {
      p++;
      marker = buf[p + 1];
    }
    if (marker === SOS || marker === EOI) break;
    // Standalone markers (RSTn, TEM) carry no length.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    if (p + 4 > buf.length) return undefined;
    const length = (buf[p + 2] << 8) | buf[p + 3];
    if (length < 2 || p + 2 + length > buf.length) return undefined;
    const body = p + 4;
    if (isFrame(marker)) {
      // A second frame header (a multi-frame or hierarchical file) is past what this reader knows.
      if (frame || length < 8) return undefined;
      frame = { height: (buf[body + 1] << 8) | buf[body + 2], width: (buf[body + 3] << 8) | buf[body + 4], components: buf[body + 5] };
    } else if (marker === APP2 || marker === APP14) {
      colourManaged = true;
    } else if (marker === APP1 && startsWithExif(buf, body, length - 2)) {
      // libvips keeps the last Exif block it meets; files with several, or one this reader cannot
      // parse, are left to it.
      if (orientation !== undefined || !hasExifHeader(buf, body, length - 2)) return undefined;
      const o = exifOrientation(buf, body + 6, body + length - 2);
      if (o === null) return undefined;
      orientation = o;
    }
    p += 2 + length;
  }
  if (!frame || frame.width === 0 || frame.height === 0) return undefined;
  const o = orientation ?? 1;
  const swap = swapsSides(o);
  return { ...frame, orientation: o, displayWidth: swap ? frame.height : frame.width, displayHeight: swap ? frame.width : frame.height, colourManaged };
}

/** "Exif": the prefix libvips looks for. */
function startsWithExif(buf: Uint8Array, at: number, length: number): boolean {
  return length >= 4 && buf[at] === 0x45 && buf[at + 1] === 0x78 && buf[at + 2] === 0x69 && buf[at + 3] === 0x66;
}

/** "Exif\0\0" and room for a TIFF header. */
function hasExifHeader(buf: Uint8Array, at: number, length: number): boolean {
  return length >= 14 && buf[at + 4] === 0 && buf[at + 5] === 0;
}

/**
 * The Orientation tag (0x0112) of IFD0 in the TIFF structure at [start, end): 1 when absent,
 * null when the structure is odd (then the caller defers to libvips).
 */
function exifOrientation(buf: Uint8Array, start: number, end: number): number | null {
  if (end - start < 8) return null;
  const little = buf[start] === 0x49 && buf[start + 1] === 0x49;
  const big = buf[start] === 0x4d && buf[start + 1] === 0x4d;
  if (!little && !big) return null;
  const u16 = (at: number) => (little ? buf[at] | (buf[at + 1] << 8) : (buf[at] << 8) | buf[at + 1]);
  const u32 = (at: number) => (little ? (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16)) + buf[at + 3] * 2 ** 24 : buf[at] * 2 ** 24 + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]));
  if (u16(start + 2) !== 42) return null;
  const ifd = start + u32(start + 4);
  if (ifd + 2 > end) return null;
  const count = u16(ifd);
  if (ifd + 2 + count * 12 > end) return null;
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (u16(entry) !== 0x0112) continue;
    // SHORT, one value, stored in the first two bytes of the value field.
    if (u16(entry + 2) !== 3 || u32(entry + 4) !== 1) return null;
    const o = u16(entry + 8);
    return o >= 1 && o <= 8 ? o : null;
  }
  return 1;
}

/** EXIF orientations 5-8 turn the picture by a quarter: width and height trade places. */
export function swapsSides(orientation: number): boolean {
  return orientation >= 5 && orientation <= 8;
}
