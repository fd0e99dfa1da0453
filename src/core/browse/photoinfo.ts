// What the preview's info panel says about one photo: the file as it is on disk now (bytes, type,
// folder) and what its metadata says about the shot (when, camera, lens, exposure, place). Read on
// demand with exifr, never stored: the panel asks for one photo at a time, and a file edited in
// another program shows its new details at once.
//
// Dates stay as the camera's clock wrote them ('2023:05:01 14:32:10' -> '2023-05-01T14:32:10'):
// EXIF has no time zone (OffsetTimeOriginal, when written, is passed on beside it), so turning it
// into an instant would shift every photo by the viewer's own zone.
import fs from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import type { PhotoInfo } from '../../shared/api.js';
import { BMP_EXTENSIONS, HEIF_EXTENSIONS, RAW_PHOTO_EXTENSIONS, SHARP_EXTENSIONS } from '../../shared/formats.js';
import { extensionOf } from '../analysis/formats.js';
import { exiftoolTags } from '../analysis/decode/raw.js';
import type { PhotoRow } from '../index/store/images.js';

/** Why photoInfo could not read the file (gone, unreadable): the message is for the person. */
export class PhotoInfoError extends Error {
  constructor(
    message: string,
    readonly code: 'not-found' | 'forbidden',
  ) {
    super(message);
    this.name = 'PhotoInfoError';
  }
}

const RAW_MAKERS: Record<string, string> = {
  cr2: 'Canon',
  cr3: 'Canon',
  crw: 'Canon',
  nef: 'Nikon',
  nrw: 'Nikon',
  arw: 'Sony',
  srf: 'Sony',
  sr2: 'Sony',
  orf: 'Olympus',
  rw2: 'Panasonic',
  raf: 'Fujifilm',
  pef: 'Pentax',
  dng: 'Adobe DNG',
  srw: 'Samsung',
  '3fr': 'Hasselblad',
  fff: 'Hasselblad',
  iiq: 'Phase One',
  x3f: 'Sigma',
  kdc: 'Kodak',
  dcr: 'Kodak',
  k25: 'Kodak',
  mrw: 'Minolta',
  gpr: 'GoPro',
  rwl: 'Leica',
  erf: 'Epson',
  mef: 'Mamiya',
  mos: 'Leaf',
  raw: 'Panasonic/Leica',
};

/** sharp's format names as people say them. */
const SHARP_FORMATS: Record<string, { type: string; mime: string }> = {
  jpeg: { type: 'JPEG', mime: 'image/jpeg' },
  png: { type: 'PNG', mime: 'image/png' },
  webp: { type: 'WebP', mime: 'image/webp' },
  gif: { type: 'GIF', mime: 'image/gif' },
  tiff: { type: 'TIFF', mime: 'image/tiff' },
  heif: { type: 'AVIF', mime: 'image/avif' },
  svg: { type: 'SVG', mime: 'image/svg+xml' },
};

/** The format by the file's name alone (what a file that sharp does not open says it is). */
function typeByName(ext: string): { type: string; mime: string | null } {
  if (ext === 'jpg' || ext === 'jpeg' || ext === 'jpe' || ext === 'jfif') return { type: 'JPEG', mime: 'image/jpeg' };
  if (ext === 'tif' || ext === 'tiff') return { type: 'TIFF', mime: 'image/tiff' };
  if (ext === 'avif') return { type: 'AVIF', mime: 'image/avif' };
  if (HEIF_EXTENSIONS.includes(ext)) return { type: ext === 'hif' ? 'HEIF' : ext.startsWith('heic') ? 'HEIC' : 'HEIF', mime: ext.startsWith('heic') ? 'image/heic' : 'image/heif' };
  if (BMP_EXTENSIONS.includes(ext)) return { type: 'BMP', mime: 'image/bmp' };
  if (RAW_PHOTO_EXTENSIONS.includes(ext)) return { type: `${RAW_MAKERS[ext] ?? 'Camera'} RAW (${ext.toUpperCase()})`, mime: null };
  const known = SHARP_FORMATS[ext];
  return known ?? { type: ext ? ext.toUpperCase() : 'Unknown', mime: null };
}

/**
 * The type as the file's own header says (sharp reads only the header), so a PNG named .jpg is
 * called what it is; and whether it carries an alpha channel, which the preview draws over a
 * checkerboard.
 */
async function sniff(file: string, ext: string): Promise<{ type: string; mime: string | null; alpha: boolean | null }> {
  const named = typeByName(ext);
  if (!SHARP_EXTENSIONS.includes(ext)) return { ...named, alpha: null };
  try {
    const meta = await sharp(file, { limitInputPixels: false, pages: 1 }).metadata();
    const fmt = meta.format === 'heif' && meta.compression !== 'av1' ? undefined : SHARP_FORMATS[meta.format ?? ''];
    if (!fmt) return { ...named, alpha: meta.hasAlpha ?? null };
    const type = fmt.type === named.type ? fmt.type : `${fmt.type} (named .${ext})`;
    return { type, mime: fmt.mime, alpha: meta.hasAlpha ?? null };
  } catch {
    return { ...named, alpha: null };
  }
}

function text(x: unknown): string | null {
  if (typeof x === 'number' && Number.isFinite(x)) return String(x);
  if (typeof x !== 'string') return null;
  // Cameras pad fixed-size fields with NULs and spaces.
  const t = x.replace(/\0+$/g, '').trim();
  return t === '' ? null : t;
}

function num(x: unknown): number | null {
  const v = Array.isArray(x) ? x[0] : x;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

/** 'Canon' + 'Canon EOS R6' is 'Canon EOS R6'; 'NIKON CORPORATION' + 'NIKON D70s' is 'NIKON D70s'; 'Apple' + 'iPhone 12 Pro' is 'Apple iPhone 12 Pro'. */
export function cameraName(make: string | null, model: string | null): string | null {
  if (!model) return make;
  if (!make) return model;
  const first = make.split(/\s+/)[0].toLowerCase();
  return model.toLowerCase().startsWith(first) ? model : `${make} ${model}`;
}

/** EXIF's 'YYYY:MM:DD HH:MM:SS' (sub-seconds and zone left out) as 'YYYY-MM-DDTHH:MM:SS'; null for the all-zero or blank dates some cameras write. */
export function exifDate(x: unknown): string | null {
  const t = text(x);
  const m = t && /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(t);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00'] = m;
  if (Number(y) < 1800 || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return null;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}`;
}

function offset(x: unknown): string | null {
  const t = text(x);
  return t && /^[+-]\d{2}:\d{2}$/.test(t) ? t : null;
}

interface Tags {
  Make?: unknown;
  Model?: unknown;
  LensModel?: unknown;
  LensMake?: unknown;
  DateTimeOriginal?: unknown;
  CreateDate?: unknown;
  DateTimeDigitized?: unknown;
  OffsetTimeOriginal?: unknown;
  OffsetTime?: unknown;
  ExposureTime?: unknown;
  FNumber?: unknown;
  ISO?: unknown;
  ISOSpeedRatings?: unknown;
  PhotographicSensitivity?: unknown;
  FocalLength?: unknown;
  FocalLengthIn35mmFormat?: unknown;
  FocalLengthIn35mmFilm?: unknown;
  Flash?: unknown;
  latitude?: unknown;
  longitude?: unknown;
  GPSAltitude?: unknown;
  GPSAltitudeRef?: unknown;
  GPSLatitude?: unknown;
  GPSLongitude?: unknown;
}

const EXIFTOOL_TAGS = [
  'Make',
  'Model',
  'LensModel',
  'DateTimeOriginal',
  'CreateDate',
  'OffsetTimeOriginal',
  'OffsetTime',
  'ExposureTime',
  'FNumber',
  'ISO',
  'FocalLength',
  'FocalLengthIn35mmFormat',
  'Flash',
  'GPSLatitude',
  'GPSLongitude',
  'GPSAltitude',
  'GPSAltitudeRef',
] as const;

/** Which formats can carry EXIF at all, so a PNG without any is not reported as unreadable. */
function mayHaveExif(ext: string): boolean {
  return !['gif', 'bmp', 'dib', 'svg'].includes(ext);
}

// reviveValues off: dates stay the camera's text (see the top of the file); exifr still works out
// latitude and longitude in decimal degrees from the GPS block. One object for every call: exifr
// keeps what it derives from an options object in a module-level map keyed by that object, for good.
const DETAIL_TAGS = {
  tiff: true,
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  reviveValues: false,
  translateValues: false,
  mergeOutput: true,
};

/** Reads one indexed photo's info (the store's row for it) from its file. Throws PhotoInfoError when the file is gone or unreadable. */
export async function readPhotoInfo(row: PhotoRow): Promise<PhotoInfo> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(row.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new PhotoInfoError(`${row.path} cannot be read (permission denied).`, 'forbidden');
    throw new PhotoInfoError(`${row.path} is no longer there.`, 'not-found');
  }
  if (!st.isFile()) throw new PhotoInfoError(`${row.path} is no longer a file.`, 'not-found');
  const ext = extensionOf(row.path);
  const kind = await sniff(row.path, ext);

  let tags: Tags | undefined;
  let metadataNote: string | null = null;
  if (mayHaveExif(ext)) {
    try {
      tags = (await exifr.parse(row.path, DETAIL_TAGS)) as Tags | undefined;
    } catch (err) {
      // exifr says "Unknown file format" for containers it does not read (CR3, RAF, Canon's HIF)
      // and throws on broken blocks; the file's own facts are still worth showing.
      const msg = err instanceof Error ? err.message : String(err);
      metadataNote = /unknown file format/i.test(msg) ? `Photowords cannot read camera details from ${kind.type} files.` : `The camera details in this file could not be read (${msg.slice(0, 120)}).`;
    }
    // RAW and HEIF files exifr cannot parse, or parses to nothing (CRW, ORF), go to exiftool,
    // which knows every maker's layout; it runs as one process, already there for RAW previews.
    const empty = !tags || (tags.Make === undefined && tags.Model === undefined && tags.DateTimeOriginal === undefined);
    if (empty && (RAW_PHOTO_EXTENSIONS.includes(ext) || HEIF_EXTENSIONS.includes(ext))) {
      try {
        const et = await exiftoolTags(row.path, EXIFTOOL_TAGS);
        tags = { ...et, latitude: et.GPSLatitude, longitude: et.GPSLongitude };
        metadataNote = null;
      } catch (err) {
        metadataNote ??= `The camera details in this file could not be read (${(err instanceof Error ? err.message : String(err)).slice(0, 120)}).`;
      }
    }
  }
  const t: Tags = tags ?? {};

  const lat = typeof t.latitude === 'number' && Number.isFinite(t.latitude) ? t.latitude : null;
  const lon = typeof t.longitude === 'number' && Number.isFinite(t.longitude) ? t.longitude : null;
  // 0,0 is where broken GPS blocks point (in the Atlantic), never a photo's real place worth a claim.
  const place = lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && !(lat === 0 && lon === 0) ? { latitude: lat, longitude: lon, altitude: altitude(t) } : null;
  const flash = typeof t.Flash === 'number' ? (t.Flash & 1) === 1 : null;

  return {
    id: row.id,
    path: row.path,
    name: path.basename(row.path),
    folder: path.dirname(row.path),
    width: row.width,
    height: row.height,
    bytes: st.size,
    modifiedMs: st.mtimeMs,
    type: kind.type,
    mime: kind.mime,
    alpha: kind.alpha,
    taken: exifDate(t.DateTimeOriginal) ?? exifDate(t.CreateDate) ?? exifDate(t.DateTimeDigitized),
    takenOffset: offset(t.OffsetTimeOriginal) ?? offset(t.OffsetTime),
    camera: cameraName(text(t.Make), text(t.Model)),
    lens: text(t.LensModel),
    exposureTime: num(t.ExposureTime),
    fNumber: num(t.FNumber),
    iso: num(t.ISO) ?? num(t.ISOSpeedRatings) ?? num(t.PhotographicSensitivity),
    focalLength: num(t.FocalLength),
    focalLength35: num(t.FocalLengthIn35mmFormat) ?? num(t.FocalLengthIn35mmFilm),
    flash,
    place,
    metadataNote,
  };
}

function altitude(t: Tags): number | null {
  const a = typeof t.GPSAltitude === 'number' && Number.isFinite(t.GPSAltitude) ? t.GPSAltitude : null;
  if (a === null) return null;
  const ref = t.GPSAltitudeRef instanceof Uint8Array ? t.GPSAltitudeRef[0] : t.GPSAltitudeRef;
  // Ref 1: below sea level.
  return ref === 1 ? -a : a;
}
