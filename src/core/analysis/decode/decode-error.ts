// Why a file could not be read, in words a person can act on; shared by every reader (decode.ts,
// heic.ts, raw.ts) without importing the readers themselves.

export type DecodeFailureCode = 'empty' | 'unsupported' | 'corrupt' | 'too-many-pixels' | 'file-too-large' | 'not-a-file' | 'permission' | 'vanished' | 'changed' | 'io' | 'too-small' | 'unknown';

/**
 * Failures that say nothing about the file's content, only about the moment it was read: a fixed
 * permission (chmod leaves the mtime alone), a disk or memory hiccup, a file caught mid-write or
 * mid-delete. The indexer reads these again next run even when size and mtime are unchanged.
 */
export const TRANSIENT_FAILURES: ReadonlySet<DecodeFailureCode> = new Set(['permission', 'io', 'vanished', 'changed']);

/** A failure the user can act on; `reason` is shown as-is, `detail` keeps the raw cause for logs. */
export class DecodeError extends Error {
  readonly code: DecodeFailureCode;
  readonly reason: string;
  readonly detail?: string;

  constructor(code: DecodeFailureCode, reason: string, detail?: string) {
    super(detail ? `${reason} (${detail})` : reason);
    this.name = 'DecodeError';
    this.code = code;
    this.reason = reason;
    this.detail = detail;
  }
}

/** sharp's own default (0x3FFF x 0x3FFF): big enough for any camera or stitched panorama we expect. */
export const DEFAULT_PIXEL_LIMIT = 268_402_689;

/** A picture refused by its size from the header, before any pixel is decoded. */
export function tooManyPixels(width: number, height: number, limit: number): DecodeError {
  return new DecodeError('too-many-pixels', `image too large: ${width} x ${height} pixels exceeds the limit of ${limit} pixels`);
}

// libvips and libc messages are matched loosely on purpose: their wording differs between
// formats and versions, and an unrecognised message still ends up as a generic, honest reason.
const SHARP_PATTERNS: [RegExp, DecodeFailureCode, string][] = [
  [/buffer is empty/i, 'empty', 'empty file (0 bytes)'],
  [/unsupported image format/i, 'unsupported', 'not an image or unsupported format'],
  [/exceeds pixel limit/i, 'too-many-pixels', 'image too large: exceeds the pixel limit'],
  [/out of memory|cannot allocate|memory/i, 'io', 'not enough memory to decode the image'],
  [/premature end|truncat|corrupt|read error|unable to parse|invalid|bad |not a |decode|error/i, 'corrupt', 'truncated or corrupt image data'],
];

const ERRNO_REASONS: Record<string, [DecodeFailureCode, string]> = {
  ENOENT: ['vanished', 'file vanished while reading'],
  EACCES: ['permission', 'permission denied'],
  EPERM: ['permission', 'permission denied'],
  EISDIR: ['not-a-file', 'not a regular file'],
  EIO: ['io', 'disk read error (I/O error)'],
  EMFILE: ['io', 'too many open files'],
  ENFILE: ['io', 'too many open files'],
  ELOOP: ['vanished', 'broken symbolic link (loop)'],
  ESTALE: ['vanished', 'file vanished while reading'],
};

/** Maps any error from reading or decoding to a DecodeError; DecodeErrors pass through unchanged. */
export function classifyError(err: unknown): DecodeError {
  if (err instanceof DecodeError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code in ERRNO_REASONS) {
    const [kind, reason] = ERRNO_REASONS[code];
    return new DecodeError(kind, reason, code);
  }
  const message = err instanceof Error ? err.message : String(err);
  // libvips repeats its warning lines many times; the first line is enough for a log.
  const detail = message.split('\n')[0].trim();
  for (const [pattern, kind, reason] of SHARP_PATTERNS) {
    if (pattern.test(message)) return new DecodeError(kind, reason, detail);
  }
  return new DecodeError('unknown', 'could not read image', detail);
}
