// Reads an image file's bytes once, as one version of the file: the buffer that is hashed is the
// buffer that is decoded, and the size and mtime stored with it are that version's.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { DecodeError, classifyError } from './decode-error.js';

export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

export interface ReadOptions {
  /** Files above this are refused before reading: a huge file is almost never a photo we can use. */
  maxBytes?: number;
  /**
   * Test seam: runs after the file is opened and stat'ed, before its bytes are read, which is
   * where a concurrent writer or an unlink strikes. Real races are too rare to hit on purpose;
   * test/integration/hostile.test.ts rewrites or deletes the file here. Nothing else sets it.
   */
  onOpen?: () => void | Promise<void>;
}

/** Reads of a file that keeps changing under us before it is given up for this run. */
const READ_ATTEMPTS = 3;

export interface ImageFile {
  buffer: Buffer;
  size: number;
  mtimeMs: number;
  /** sha256 of exactly the bytes that get decoded, so the hash can never describe a different version. */
  hash: string;
}

/**
 * Reads the file once; the same buffer is hashed and decoded (no second read that could race an
 * edit), and size/mtime are those of the version read: the file is stat'ed before and after the
 * read (through the open handle, then by path), and a file that changed, was replaced or deleted in
 * between is read again (up to READ_ATTEMPTS), else refused as 'changed' or 'vanished'. So the
 * hash, the pixels and the stored size/mtime always describe one version, and a later edit shows
 * as a size/mtime change that the next run picks up.
 */
export async function readImageFile(path: string, opts: ReadOptions = {}): Promise<ImageFile> {
  for (let attempt = 1; ; attempt++) {
    const file = await readOnce(path, opts);
    if (file) return file;
    if (attempt >= READ_ATTEMPTS) throw changedTooOften();
  }
}

/**
 * readImageFile done synchronously, with the same checks, retries and errors (the steps below are
 * shared): for a small file on a fast local disk, the five round trips through libuv's pool (open,
 * stat, read, stat by path, close) cost the calling thread more than the reads. The caller decides
 * when (the indexing pipeline: while such reads stay fast; a slow disk or a network share goes back
 * to readImageFile).
 */
export function readImageFileSync(path: string, opts: Omit<ReadOptions, 'onOpen'> = {}): ImageFile {
  for (let attempt = 1; ; attempt++) {
    const file = readOnceSync(path, opts.maxBytes ?? DEFAULT_MAX_BYTES);
    if (file) return file;
    if (attempt >= READ_ATTEMPTS) throw changedTooOften();
  }
}

/** One read; undefined when the file changed during it. */
async function readOnce(path: string, opts: ReadOptions): Promise<ImageFile | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw classifyError(err);
  }
  try {
    const before = await handle.stat();
    const buffer = bufferFor(before, opts.maxBytes ?? DEFAULT_MAX_BYTES);
    await opts.onOpen?.();
    let got = 0;
    while (got < before.size) {
      const { bytesRead } = await handle.read(buffer, got, before.size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got !== before.size) return undefined;
    let now;
    try {
      now = await stat(path);
    } catch (err) {
      throw vanishedOr(err);
    }
    return versionRead(buffer, before, now);
  } catch (err) {
    throw classifyError(err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** readOnce, synchronously (the same steps). */
function readOnceSync(path: string, maxBytes: number): ImageFile | undefined {
  let fd;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw classifyError(err);
  }
  try {
    const before = fstatSync(fd);
    const buffer = bufferFor(before, maxBytes);
    let got = 0;
    while (got < before.size) {
      const bytesRead = readSync(fd, buffer, got, before.size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got !== before.size) return undefined;
    let now;
    try {
      now = statSync(path);
    } catch (err) {
      throw vanishedOr(err);
    }
    return versionRead(buffer, before, now);
  } catch (err) {
    throw classifyError(err);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // a close that fails changes nothing about what was read
    }
  }
}

/**
 * The buffer for an opened file's bytes, after the checks that refuse it unread. Exactly the size
 * stat'ed, read in one go where the OS allows (readFile would stat again and read once more to find
 * the end): growth shows in the stat by path after the read, shrinking in the read. Never from
 * Node's shared pool (allocUnsafe hands out slices of one 8 KiB block for small files): a reader
 * that follows an offset past the file's end (exifr did, on a 368-byte RAW) must meet the end of
 * the memory, not another file's bytes.
 */
function bufferFor(before: Stats, maxBytes: number): Buffer {
  if (!before.isFile()) throw new DecodeError('not-a-file', 'not a regular file');
  if (before.size > maxBytes) throw fileTooLarge(before.size, maxBytes);
  return Buffer.allocUnsafeSlow(before.size);
}

/**
 * The file as read, or undefined when the stat by path after the read differs from the handle's
 * before it. By path: it sees an edit in place (the same inode's size and mtime) as the handle
 * would, and also an unlink, or a save that replaced the file (new inode), which the handle does not.
 */
function versionRead(buffer: Buffer, before: Stats, now: Stats): ImageFile | undefined {
  if (now.size !== before.size || now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.dev !== before.dev) return undefined;
  const hash = createHash('sha256').update(buffer).digest('hex');
  return { buffer, size: buffer.length, mtimeMs: before.mtimeMs, hash };
}

function vanishedOr(err: unknown): unknown {
  return (err as NodeJS.ErrnoException).code === 'ENOENT' ? new DecodeError('vanished', 'file deleted while reading', 'ENOENT') : err;
}

function changedTooOften(): DecodeError {
  return new DecodeError('changed', 'file changed while being read (still being written?); it is read again next time');
}

function fileTooLarge(size: number, maxBytes: number): DecodeError {
  const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
  return new DecodeError('file-too-large', `file too large: ${mib(size)} exceeds the limit of ${mib(maxBytes)}`);
}
