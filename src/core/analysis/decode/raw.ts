// Camera RAW files, read through the largest image the camera embedded in them. No RAW developer
// ships as a maintained npm package, and for finding similar photos and a RAW's JPEG sibling the
// camera's own rendering is what matters. exiftool (exiftool-vendored, as Immich uses) knows
// where every maker keeps its previews (CR3's PRVW box, RAF's header, X3F's and IIQ's own
// layouts, the TIFF IFDs and maker notes of the rest), which a TIFF reader alone does not.

import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * A private folder for the previews exiftool writes: through a file, a preview costs a small part
 * of the CPU it costs through extractBinaryTagToBuffer, which pipes it as base64
 * (bench/experiments/raw-preview-cost.ts, docs/EVAL.md, "Camera-size files").
 */
let scratch: Promise<string> | undefined;
let nextScratch = 0;

/** Ends exiftool's process and removes its previews' folder (tests; a later read starts it again). */
export async function closeRawReader(): Promise<void> {
  const et = exiftool;
  exiftool = undefined;
  const dir = scratch;
  scratch = undefined;
  await et?.end();
  if (dir) await rm(await dir, { recursive: true, force: true });
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

/** Tags that hold an embedded image, by exiftool's names. */
const PREVIEW_TAGS = ['JpgFromRaw', 'PreviewImage', 'OtherImage', 'ThumbnailImage', 'PreviewTIFF', 'ThumbnailTIFF'];

/** The size exiftool reports for a binary tag ("(Binary data 12345 bytes, ...)"), or 0. */
function binaryBytes(value: unknown): number {
  if (value && typeof value === 'object' && 'bytes' in value && typeof (value as { bytes: unknown }).bytes === 'number') {
    return (value as { bytes: number }).bytes;
  }
  const m = typeof value === 'string' ? /Binary data (\d+) bytes/.exec(value) : null;
  return m ? Number(m[1]) : 0;
}

/**
 * The embedded images of the RAW file at `path`, largest first, each read only when the caller
 * asks for it (`extract`): most files' first one is the one used.
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
    // Only the tags used, as exiftool prints them (-n: Orientation as a number): parsing the
    // hundreds of others a RAW carries is most of a full read's cost.
    tags = (await et.readRaw(path, { readArgs: ['-fast', '-n', '-Orientation', ...PREVIEW_TAGS.map((t) => `-${t}`)] })) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new DecodeError('corrupt', 'camera RAW file that could not be read', err instanceof Error ? err.message.split('\n')[0] : String(err));
  }
  const candidates = Object.entries(tags)
    .filter(([name]) => PREVIEW_TAGS.includes(name))
    .map(([tag, value]) => ({ tag, bytes: binaryBytes(value) }))
    .filter((c) => c.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  const orientation = orientationOf(tags.Orientation);
  const extract = async (tag: string): Promise<Buffer> => {
    let bytes: Buffer;
    scratch ??= mkdtemp(join(tmpdir(), 'photowords-previews-')).then((dir) => {
      // A run that ends without closeRawReader (a CLI command) leaves no folder behind.
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      return dir;
    });
    const out = join(await scratch, `${process.pid}-${nextScratch++}.bin`);
    try {
      await et.extractBinaryTag(tag, path, out);
      bytes = await readFile(out);
    } catch (err) {
      throw new DecodeError('corrupt', 'camera RAW file whose preview could not be extracted', err instanceof Error ? err.message.split('\n')[0] : String(err));
    } finally {
      await rm(out, { force: true });
    }
    const now = await stat(path).catch(() => undefined);
    if (!now) throw new DecodeError('vanished', 'file deleted while reading', 'ENOENT after exiftool');
    if (now.size !== expect.size || now.mtimeMs !== expect.mtimeMs) {
      throw new DecodeError('changed', 'file changed while being read (still being written?); it is read again next time');
    }
    // readFile allocates for this file alone: nothing the caller keeps shares memory with another read.
    return bytes;
  };
  return { candidates, orientation, extract };
}

/**
 * Tags of `file` by name, as exiftool reads them with -n (numbers rather than words, dates as the
 * camera wrote them; GPS as signed decimal degrees): for the details of formats exifr does not
 * parse (CR3, RAF, X3F, MRW, Canon's and Sony's HIF), on the same one exiftool process.
 */
export async function exiftoolTags(file: string, names: readonly string[]): Promise<Record<string, unknown>> {
  const et = await tool();
  return (await et.readRaw(file, { readArgs: ['-n', '-fast', ...names.map((n) => `-${n}`)] })) as Record<string, unknown>;
}
