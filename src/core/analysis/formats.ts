// What a file under a library folder is, from its name alone: the one table that decides which
// files are read as photos (and by which reader), and which are counted as not read, by kind.
// Every other stage asks here, so a format is added in one place and never silently ignored.

import { extname } from 'node:path';
import { BMP_EXTENSIONS, HEIF_EXTENSIONS, RAW_PHOTO_EXTENSIONS, SHARP_EXTENSIONS } from '../../shared/formats.js';
import type { NotReadKindName } from '../../shared/api.js';

/** How a photo's pixels are reached. */
export type PhotoReader =
  /** libvips through sharp reads the file itself. */
  | 'sharp'
  /** HEIF with HEVC (iPhone HEIC, Canon/Sony HIF): libheif in WebAssembly (heic.ts). */
  | 'heif'
  /** Windows bitmaps: bmp-js, then sharp (libvips in sharp's build has no BMP loader). */
  | 'bmp'
  /** Camera RAW: the largest embedded preview, through exiftool (raw.ts). */
  | 'raw';

/**
 * Files that are not photos to index, each with the kind they are counted under: src/shared/library.ts
 * NotReadKindName, defined there once because the UI names the same kinds.
 */
export type NotReadKind = NotReadKindName;

export const NOT_READ_KINDS: readonly NotReadKind[] = ['video', 'live-photo-video', 'sidecar', 'hidden', 'unsupported', 'too-small'];

/** The words after a count of not-read files of `kind` ("3 videos", "1 sidecar file"), as the CLI and the UI show them. */
export function notReadLabel(kind: NotReadKind, count: number): string {
  const one = count === 1;
  switch (kind) {
    case 'video':
      return one ? 'video' : 'videos';
    case 'live-photo-video':
      return one ? "Live Photo's video (counted with its photo)" : "Live Photos' videos (counted with their photos)";
    case 'sidecar':
      return `sidecar file${one ? '' : 's'} (XMP, AAE, THM ...)`;
    case 'hidden':
      return `file${one ? '' : 's'} in hidden folders`;
    case 'unsupported':
      return `file${one ? '' : 's'} in formats that are not photos Photowords reads`;
    case 'too-small':
      return one ? 'image too small to be a photo' : 'images too small to be photos';
  }
}

/**
 * Camera RAW formats (docs/FORMATS.md lists them). exiftool reads the previews of all
 * of them; the few that hold none are failed with that reason, never skipped.
 */
export const RAW_EXTENSIONS: ReadonlySet<string> = new Set(RAW_PHOTO_EXTENSIONS);

const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set(['mov', 'mp4', 'm4v', 'avi', 'mkv', 'webm', '3gp', '3g2', 'mts', 'm2ts', 'mpg', 'mpeg', 'wmv', 'flv', 'insv', 'lrv', 'vob', 'ogv']);

/** Files that describe a photo rather than hold one: edits, ratings, thumbnails of videos. */
const SIDECAR_EXTENSIONS: ReadonlySet<string> = new Set(['xmp', 'aae', 'thm', 'pp3', 'dop', 'on1', 'lrcat-data']);

const READERS = new Map<string, PhotoReader>([
  ...SHARP_EXTENSIONS.map((e) => [e, 'sharp'] as const),
  ...HEIF_EXTENSIONS.map((e) => [e, 'heif'] as const),
  ...BMP_EXTENSIONS.map((e) => [e, 'bmp'] as const),
  ...RAW_PHOTO_EXTENSIONS.map((e) => [e, 'raw'] as const),
]);

/** Lower-case extension without the dot ('' for none). */
export function extensionOf(path: string): string {
  return extname(path).slice(1).toLowerCase();
}

/** The reader for a photo file, or undefined when the name is not a photo format we read. */
export function photoReader(path: string): PhotoReader | undefined {
  return READERS.get(extensionOf(path));
}

/** Every extension read as a photo, lower-case, without the dot. */
export function photoExtensions(): Set<string> {
  return new Set(READERS.keys());
}

export function isRaw(path: string): boolean {
  return RAW_EXTENSIONS.has(extensionOf(path));
}

export function isVideo(path: string): boolean {
  return VIDEO_EXTENSIONS.has(extensionOf(path));
}

export function isSidecar(path: string): boolean {
  return SIDECAR_EXTENSIONS.has(extensionOf(path));
}

/**
 * Formats the browser cannot show, which the UI gets as a JPEG rendering instead of the file
 * itself (the grid's thumbnails are JPEGs for every format already).
 */
export function needsRendering(path: string): boolean {
  const reader = photoReader(path);
  return reader === 'heif' || reader === 'raw' || reader === 'bmp' || extensionOf(path) === 'tif' || extensionOf(path) === 'tiff';
}

/**
 * The kind a file that is not read as a photo is counted under, from its name alone. 'hidden',
 * 'live-photo-video' and 'too-small' need more than the name: the walk (scan.ts) and the
 * decoder decide those.
 */
export function notReadKindOf(path: string): NotReadKind {
  return isVideo(path) ? 'video' : isSidecar(path) ? 'sidecar' : 'unsupported';
}
