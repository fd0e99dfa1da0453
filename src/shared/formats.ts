// The photo formats Photowords reads, by extension (lower-case, no dot): data only, so that the
// engine (src/core/analysis/formats.ts decides the reader) and the UI (its file picker) share one list.

/** Formats libvips (in sharp) reads itself. */
export const SHARP_EXTENSIONS = ['jpg', 'jpeg', 'jpe', 'jfif', 'png', 'webp', 'avif', 'tif', 'tiff', 'gif', 'svg'];
/** HEIF with HEVC: iPhone HEIC, Canon's and Sony's HIF. */
export const HEIF_EXTENSIONS = ['heic', 'heif', 'hif', 'heics', 'heifs'];
export const BMP_EXTENSIONS = ['bmp', 'dib'];
/** Camera RAW, read through its embedded preview. */
export const RAW_PHOTO_EXTENSIONS = [
  'cr2',
  'cr3',
  'crw',
  'nef',
  'nrw',
  'arw',
  'srf',
  'sr2',
  'orf',
  'rw2',
  'raf',
  'pef',
  'dng',
  'srw',
  '3fr',
  'fff',
  'iiq',
  'x3f',
  'kdc',
  'dcr',
  'mrw',
  'gpr',
  'rwl',
  'erf',
  'mef',
  'mos',
  'raw',
  'k25',
];

/**
 * A file input's `accept`: image/* alone leaves out the formats browsers have no MIME type for
 * (HEIC on some systems, every RAW), so they are named.
 */
export const PHOTO_FILE_ACCEPT = ['image/*', ...[...HEIF_EXTENSIONS, ...BMP_EXTENSIONS, ...RAW_PHOTO_EXTENSIONS].map((e) => `.${e}`)].join(',');

/** Every photo extension, for telling a photo's file name from others where no MIME type helps. */
export const PHOTO_EXTENSIONS: ReadonlySet<string> = new Set([...SHARP_EXTENSIONS, ...HEIF_EXTENSIONS, ...BMP_EXTENSIONS, ...RAW_PHOTO_EXTENSIONS]);
