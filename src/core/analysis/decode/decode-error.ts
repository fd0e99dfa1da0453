// Why a file could not be read, in words a person can act on; shared by every reader (decode.ts,
// heic.ts, raw.ts) without importing the readers themselves.

export type DecodeFailureCode =
  | 'empty'
  | 'unsupported'
  | 'corrupt'
  | 'too-many-pixels'
  | 'file-too-large'
  | 'not-a-file'
  | 'permission'
  | 'vanished'
  | 'changed'
  | 'io'
  | 'too-small'
  | 'unknown';

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
