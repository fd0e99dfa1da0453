// Camera RAW files, read through the largest image the camera embedded in them. No RAW developer
// ships as a maintained npm package, and for finding similar photos and a RAW's JPEG sibling the
// camera's own rendering is what matters. exiftool (exiftool-vendored, as Immich uses) knows
// where every maker keeps its previews (CR3's PRVW box, RAF's header, X3F's and IIQ's own
// layouts, the TIFF IFDs and maker notes of the rest), which a TIFF reader alone does not.

import { stat } from 'node:fs/promises';
import type { ExifTool as ExifToolType } from 'exiftool-vendored';
import { DecodeError } from './decode-error.js';

let exiftool: ExifToolType | undefined;

async function tool(): Promise<ExifToolType> {
  if (!exiftool) {
    const { ExifTool } = await import('exiftool-vendored');
    // One perl process: RAW files are a minority of a library, and each read takes a few ms.
    // Its child is unref'd, so an open exiftool never keeps a CLI run from exiting.
    exiftool = new ExifTool({ maxProcs: 1, taskTimeoutMillis: 30_000 });
  }
  return exiftool;
}

/** Ends exiftool's process (the engine calls this on close; a later read starts it again). */
export async function closeRawReader(): Promise<void> {
  const et = exiftool;
  exiftool = undefined;
  await et?.end();
}

export interface RawPreview {
  /** The embedded image's bytes (a JPEG, or a TIFF for a few older formats). */
  bytes: Buffer;
  /** Which tag held it, for notes and logs. */
  tag: string;
  /** EXIF orientation of the RAW (1-8): previews are stored as the sensor saw them. */
  orientation: number;
}

/** exiftool's words for the orientations, for a build that returns them as text. */
const ORIENTATION_WORDS: Record<string, number> = {
  'Horizontal (normal)': 1,
  'Mirror horizontal': 2,
  'Rotate 180': 3,
  'Mirror vertical': 4,
  'Mirror horizontal and rotate 270 CW': 5,
  'Rotate 90 CW': 6,
  'Mirror horizontal and rotate 90 CW': 7,
  'Rotate 270 CW': 8,
};

function orientationOf(value: unknown): number {
  if (typeof value === 'number' && value >= 1 && value <= 8) return Math.trunc(value);
  if (typeof value === 'string') return ORIENTATION_WORDS[value] ?? 1;
  return 1;
}

/** Tags that hold an embedded image, by exiftool's names; larger ones first where sizes tie. */
const PREVIEW_TAG = /^(JpgFromRaw\d*|PreviewImage\d*|OtherImage\d*|ThumbnailImage\d*|PreviewTIFF|ThumbnailTIFF)$/;

/** The size exiftool reports for a binary tag ("(Binary data 12345 bytes, ...)"), or 0. */
function binaryBytes(value: unknown): number {
  if (value && typeof value === 'object' && 'bytes' in value && typeof (value as { bytes: unknown }).bytes === 'number') {
    return (value as { bytes: number }).bytes;
  }
  const m = typeof value === 'string' ? /Binary data (\d+) bytes/.exec(value) : null;
  return m ? Number(m[1]) : 0;
}

/**
 * The embedded images of the RAW file at `path`, largest first, each only read on demand by the
 * caller (`previews()` then `extract()`): most files' first one is the one used.
 * `expect` is the size and mtime of the version the caller hashed; the file is stat'ed after
 * exiftool read it, and one that changed in between is refused as 'changed', so the words and
 * the hash always describe one version.
 */
export async function readRawPreviews(
  path: string,
  expect: { size: number; mtimeMs: number },
): Promise<{ candidates: { tag: string; bytes: number }[]; orientation: number; extract: (tag: string) => Promise<Buffer> }> {
  const et = await tool();
  let tags: Record<string, unknown>;
  try {
    tags = (await et.read(path)) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new DecodeError('corrupt', 'camera RAW file that could not be read', err instanceof Error ? err.message.split('\n')[0] : String(err));
  }
  const candidates = Object.entries(tags)
    .filter(([name]) => PREVIEW_TAG.test(name))
    .map(([tag, value]) => ({ tag, bytes: binaryBytes(value) }))
    .filter((c) => c.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  const orientation = orientationOf(tags.Orientation);
  const extract = async (tag: string): Promise<Buffer> => {
    let bytes: Buffer;
    try {
      bytes = await et.extractBinaryTagToBuffer(tag, path);
    } catch (err) {
      throw new DecodeError('corrupt', 'camera RAW file whose preview could not be extracted', err instanceof Error ? err.message.split('\n')[0] : String(err));
    }
    const now = await stat(path).catch(() => undefined);
    if (!now) throw new DecodeError('vanished', 'file deleted while reading', 'ENOENT after exiftool');
    if (now.size !== expect.size || now.mtimeMs !== expect.mtimeMs) {
      throw new DecodeError('changed', 'file changed while being read (still being written?); it is read again next time');
    }
    // A fresh copy: nothing the caller keeps may share memory with another file's read.
    return Buffer.from(bytes);
  };
  return { candidates, orientation, extract };
}
