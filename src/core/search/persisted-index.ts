// The query index on disk (`<db>.qidx` beside the SQLite index), so that a library opened again
// answers its first "find similar" from a file read instead of a rebuild from every stored bag
// (the rebuild's cost at scale: docs/EVAL.md#cold-start). Like a Lucene segment it is written once,
// whole, and never changed: a newer build writes a new file over it.
//
// Layout (little-endian): 8-byte magic, u32 format version, u32 header length, u32 CRC-32 of the
// header, u32 0; the header (JSON: the stamp, and each array's name, type, offset, length and
// CRC-32); then the arrays' raw bytes, each at an offset that is a multiple of 8 so it can be
// viewed in place whatever its element size.
//
// Reading allocates each array once and reads the file's bytes straight into it: Node has no mmap
// in core, and no maintained mmap package for Node 20/22 is installed here (mmap-io needs a native
// build). The postings and the forward index may be left unread, to be read by position for the
// first queries while a worker reads the whole (byPosition, persisted-partial.ts). Every array's CRC-32 is checked, and the arrays' lengths against each other, so a cut-off,
// damaged or foreign file is refused with a reason, never loaded into wrong answers.
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { ImpactIndexParts } from './impact-build.js';
import { readThenCheck, type LaterCheck, type ReadThenCheck } from './persisted-check.js';

export const QIDX_MAGIC = Buffer.from('PWQIDX\r\n', 'latin1');
/** Bumped whenever the layout of the file or of ImpactIndexParts changes. */
export const QIDX_VERSION = 2;
const FIXED = 24;

/**
 * The index's arrays and, per document, images.indexed_at of that photo when the file was written
 * (-1 for one removed by then): what tells this library's photos from another's that happens to
 * have the same ids (persisted-snapshot.ts).
 */
export type QueryIndexArrays = ImpactIndexParts & { indexedAt: Float64Array };

/**
 * What the file was built from. `since` is the moment its build began reading the store: photos
 * stored at or after it are the live index's delta. The digest is IndexStore.indexedDigest(since)
 * when the file was written: equal at open means no photo stored before `since` was added, changed
 * or removed meanwhile.
 */
export interface QueryIndexStamp {
  fingerprint: string;
  since: number;
  digest: { count: number; idSum: number; atSum: number };
}

// Every part, with the element types it may have: the `satisfies` makes a new part of
// ImpactIndexParts a compile error here until the file format carries it.
const PART_TYPES = {
  ids: ['Float64Array'],
  terms: ['Uint32Array'],
  idf: ['Float32Array'],
  df: ['Uint32Array'],
  invDocNorm: ['Float32Array'],
  segOffsets: ['Uint32Array'],
  segLevel: ['Uint8Array'],
  segStart: ['Uint32Array'],
  docs: ['Uint32Array'],
  levelWeight: ['Float32Array'],
  fwdOffsets: ['Float64Array'],
  fwd: ['Uint8Array'],
  indexedAt: ['Float64Array'],
} satisfies Record<keyof ImpactIndexParts | 'indexedAt', string[]>;
type PartName = keyof typeof PART_TYPES;
const PART_NAMES = Object.keys(PART_TYPES) as PartName[];

const CTORS = { Float64Array, Float32Array, Uint32Array, Uint16Array, Uint8Array } as const;
type CtorName = keyof typeof CTORS;

interface ArrayEntry {
  name: PartName;
  type: CtorName;
  offset: number;
  length: number;
  crc: number;
}

interface Header {
  version: number;
  stamp: QueryIndexStamp;
  arrays: ArrayEntry[];
  bytes: number;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;
const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
// zlib.crc32 takes at most 2^31 - 1 bytes a call (a Node int32), so large arrays go in pieces.
const CHUNK = 1 << 30;
function crc32(a: ArrayBufferView): number {
  const b = bytesOf(a);
  let crc = 0;
  for (let at = 0; at < b.length || at === 0; at += CHUNK) {
    crc = zlib.crc32(b.subarray(at, Math.min(b.length, at + CHUNK)), crc);
    if (b.length === 0) break;
  }
  return crc;
}

function layout(parts: QueryIndexArrays, stamp: QueryIndexStamp): { head: Buffer; header: Header } {
  const arrays: ArrayEntry[] = PART_NAMES.map((name) => {
    const a = parts[name];
    return { name, type: a.constructor.name as CtorName, offset: 0, length: a.length, crc: crc32(a) };
  });
  // The header's length decides where the arrays start, and the offsets are in the header: lay it
  // out with room for the offsets' digits, then fix them.
  let start = 0;
  let json = '';
  for (let i = 0; i < 3; i++) {
    let at = align8(start);
    for (const e of arrays) {
      e.offset = at;
      at = align8(at + e.length * CTORS[e.type].BYTES_PER_ELEMENT);
    }
    const header: Header = { version: QIDX_VERSION, stamp, arrays, bytes: at };
    json = JSON.stringify(header);
    const need = align8(FIXED + Buffer.byteLength(json));
    if (need === start) break;
    start = need;
  }
  const body = Buffer.from(json);
  const head = Buffer.alloc(start);
  QIDX_MAGIC.copy(head, 0);
  head.writeUInt32LE(QIDX_VERSION, 8);
  head.writeUInt32LE(body.length, 12);
  head.writeUInt32LE(zlib.crc32(body), 16);
  body.copy(head, FIXED);
  return { head, header: JSON.parse(json) as Header };
}

/**
 * Writes the index to `file` as a whole or not at all: a temporary file beside it, fsync, rename
 * (and fsync of the folder, so the rename itself survives a power cut). The arrays must not change
 * while it runs (an ImpactIndex never changes its arrays). Returns the file's size.
 */
export async function writeQueryIndex(file: string, parts: QueryIndexArrays, stamp: QueryIndexStamp): Promise<number> {
  const { head, header } = layout(parts, stamp);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.write(head, 0, head.length, 0);
    for (const e of header.arrays) {
      const b = bytesOf(parts[e.name]);
      for (let at = 0; at < b.length; at += CHUNK) await fh.write(b, at, Math.min(CHUNK, b.length - at), e.offset + at);
    }
    await fh.truncate(header.bytes);
    await fh.sync();
    await fh.close();
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  await syncFolder(file);
  return header.bytes;
}

async function syncFolder(file: string): Promise<void> {
  // Windows cannot open a folder for fsync; its rename is durable enough there.
  if (process.platform === 'win32') return;
  const dir = await fs.promises.open(file.slice(0, Math.max(1, file.lastIndexOf('/'))), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Arrays read but not yet checked: their bytes in a shared buffer, for a check off this thread (persisted-check.ts). */
export interface UncheckedArrays {
  buffer: SharedArrayBuffer;
  arrays: { name: string; offset: number; bytes: number; crc: number }[];
}

/**
 * Arrays left unread (byPosition): `fd` stays open for reads by position (persisted-partial.ts)
 * until the worker has read the whole file (`job.begin()` starts it) and closes it.
 */
export interface ByPosition {
  fd: number;
  /** File offset of the shared buffer's first byte. */
  start: number;
  job: ReadThenCheck;
  /** The arrays not read yet, by name: their bytes in the buffer are filled on demand or by the worker. */
  unread: Set<PartName>;
}

export type ReadResult =
  | { ok: true; parts: QueryIndexArrays; stamp: QueryIndexStamp; bytes: number; unchecked?: UncheckedArrays; later?: LaterCheck; byPosition?: ByPosition; readMs: number; checkMs: number }
  | { ok: false; reason: string };

export interface ReadOptions {
  /**
   * Arrays of more bytes than this are returned unchecked (their CRC-32 in `unchecked`), so the
   * caller can answer before checking them. Default: none (every array checked before return).
   */
  checkLaterAbove?: number;
  /**
   * Called with the file's stamp while a worker thread reads the data (when arrays are left for
   * later): the caller's own checks run meanwhile. A reason returned refuses the file.
   */
  meanwhile?: (stamp: QueryIndexStamp) => string | undefined;
  /**
   * Of the arrays checked later, the postings (`docs`) and the forward index (`fwd`) are not read
   * before return: `byPosition` in the result reads what a query needs of them (persisted-partial.ts),
   * and a worker reads the whole file once asked to (then checks it).
   */
  byPosition?: boolean;
}

/** The arrays a query reads only parts of, by position: each photo's row, each word's list. */
const BY_POSITION: ReadonlySet<PartName> = new Set<PartName>(['docs', 'fwd']);

/**
 * Reads and checks a file written by writeQueryIndex. Not there: { ok: false, reason: 'missing' };
 * anything else wrong says what, and nothing is thrown for a bad file.
 */
export function readQueryIndex(file: string, opts: ReadOptions = {}): ReadResult {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    return { ok: false, reason: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message };
  }
  let handedOver = false;
  try {
    const r = readOpen(fd, opts, () => handedOver);
    handedOver = r.ok && r.byPosition !== undefined;
    return r;
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  } finally {
    if (!handedOver) fs.closeSync(fd);
  }
}

/** Fills `into` (a view, or a whole buffer: it may pass what one typed array can span) from `position`. */
function readExactly(fd: number, into: Uint8Array | ArrayBufferLike, position: number): void {
  const [buf, off, len] = ArrayBuffer.isView(into) ? [into.buffer, into.byteOffset, into.byteLength] : [into, 0, into.byteLength];
  for (let at = 0; at < len;) {
    const n = fs.readSync(fd, new Uint8Array(buf, off + at, Math.min(CHUNK, len - at)), 0, Math.min(CHUNK, len - at), position + at);
    if (n === 0) throw new Error(`the file ends at ${position + at} bytes, in the middle of its data`);
    at += n;
  }
}

function readHeader(fd: number, size: number): Header | string {
  const fixed = Buffer.alloc(FIXED);
  if (size < FIXED) return `too short for a query index (${size} bytes)`;
  readExactly(fd, fixed, 0);
  if (!fixed.subarray(0, 8).equals(QIDX_MAGIC)) return 'not a Photowords query index (wrong magic)';
  const version = fixed.readUInt32LE(8);
  if (version !== QIDX_VERSION) return `format version ${version}, this build reads ${QIDX_VERSION}`;
  const len = fixed.readUInt32LE(12);
  if (FIXED + len > size) return 'the header runs past the end of the file';
  const body = Buffer.alloc(len);
  readExactly(fd, body, FIXED);
  if (zlib.crc32(body) !== fixed.readUInt32LE(16)) return 'the header is damaged (checksum)';
  const header = JSON.parse(body.toString('utf8')) as Header;
  if (header.bytes !== size) return `the file is ${size} bytes, its header says ${header.bytes} (cut off or appended to)`;
  return checkShape(header) ?? header;
}

function readOpen(fd: number, opts: ReadOptions, handedOver: () => boolean): ReadResult {
  const t0 = performance.now();
  const header = readHeader(fd, fs.fstatSync(fd).size);
  if (typeof header === 'string') return { ok: false, reason: header };
  // All arrays in one buffer, filled by one sequential read of the file's data (per-array reads
  // and allocations cost more: docs/EVAL.md#cold-start). Shared when some arrays are to be
  // checked by a worker thread after the first answer.
  const start = header.arrays.length > 0 ? header.arrays[0].offset : header.bytes;
  const bytesOfEntry = (e: ArrayEntry) => e.length * CTORS[e.type].BYTES_PER_ELEMENT;
  const later = header.arrays.filter((e) => bytesOfEntry(e) > (opts.checkLaterAbove ?? Infinity));
  const buffer = later.length > 0 ? new SharedArrayBuffer(header.bytes - start) : new ArrayBuffer(header.bytes - start);
  const unchecked = later.length > 0 ? { buffer: buffer as SharedArrayBuffer, arrays: later.map((e) => ({ name: e.name, offset: e.offset - start, bytes: bytesOfEntry(e), crc: e.crc })) } : undefined;
  const unread = opts.byPosition ? later.filter((e) => BY_POSITION.has(e.name)) : [];
  // With a worker, the read overlaps the caller's checks (the store's, an SQL scan at scale), this
  // thread joining the read when they are done; the worker then checks the arrays left for later.
  // Arrays read by position: the worker's read waits for job.begin(), after the first answer.
  const job =
    unchecked && (opts.meanwhile || unread.length > 0) ? readThenCheck(fd, start, unchecked, unread.length > 0 ? { paused: true, release: () => handedOver() && fs.closeSync(fd) } : {}) : undefined;
  let notUsed: string | undefined;
  let readError: string | undefined;
  let readMs: number | undefined; // the read alone, where the store's checks did not overlap it
  if (job && unread.length > 0) {
    // Everything but the arrays read by position, in as few reads as the layout allows.
    let at = start;
    for (const e of [...unread, undefined]) {
      const to = e ? e.offset : header.bytes;
      if (to > at) readExactly(fd, new Uint8Array(buffer, at - start, to - at), at);
      if (e) at = e.offset + bytesOfEntry(e);
    }
    readMs = performance.now() - t0;
    notUsed = opts.meanwhile?.(header.stamp);
  } else {
    try {
      notUsed = job ? opts.meanwhile!(header.stamp) : undefined;
    } finally {
      readError = job?.waitRead(); // the fd stays open until the worker is done with it
    }
    if (!job) readExactly(fd, buffer, start);
    else if (readError) {
      job.stop();
      return { ok: false, reason: readError };
    }
  }
  const t1 = performance.now();
  const refuse = (reason: string): ReadResult => {
    job?.stop();
    return { ok: false, reason };
  };
  if (notUsed) return refuse(notUsed);
  const parts: Record<string, ArrayBufferView> = {};
  for (const e of header.arrays) {
    // A view on a shared buffer is an ordinary typed array; the union of constructors types only ArrayBuffer.
    const a = new CTORS[e.type](buffer as ArrayBuffer, e.offset - start, e.length);
    if (!later.includes(e) && crc32(a) !== e.crc) return refuse(`${e.name} is damaged (checksum)`);
    parts[e.name] = a;
  }
  const p = parts as unknown as QueryIndexArrays;
  const bad = checkConsistent(p);
  if (bad) return refuse(bad);
  const byPosition = job && unread.length > 0 ? { fd, start, job, unread: new Set(unread.map((e) => e.name)) } : undefined;
  return { ok: true, parts: p, stamp: header.stamp, bytes: header.bytes, unchecked, later: readError ? undefined : job, byPosition, readMs: readMs ?? t1 - t0, checkMs: performance.now() - t1 };
}

/** The header names every part once, with an allowed type, inside the file, in order. */
function checkShape(h: Header): string | undefined {
  if (!h.stamp || typeof h.stamp.since !== 'number' || typeof h.stamp.fingerprint !== 'string' || !h.stamp.digest) return 'the header has no stamp';
  if (!Array.isArray(h.arrays) || h.arrays.length !== PART_NAMES.length) return 'the header does not list the index arrays';
  let end = 0;
  for (let i = 0; i < PART_NAMES.length; i++) {
    const e = h.arrays[i];
    const allowed: readonly string[] = PART_TYPES[PART_NAMES[i]];
    if (e.name !== PART_NAMES[i] || !allowed.includes(e.type)) return `unexpected array ${e.name} (${e.type})`;
    if (!Number.isSafeInteger(e.length) || e.length < 0 || e.offset % 8 !== 0 || e.offset < end) return `array ${e.name} is misplaced`;
    end = e.offset + e.length * CTORS[e.type].BYTES_PER_ELEMENT;
  }
  return end <= h.bytes ? undefined : 'the arrays run past the end of the file';
}

/** The arrays' lengths agree with each other, as an index built here has them (the checksums cover their values). */
function checkConsistent(p: QueryIndexArrays): string | undefined {
  const n = p.ids.length;
  const T = p.terms.length;
  const nseg = p.segLevel.length;
  const kept = p.docs.length;
  const ok =
    p.invDocNorm.length === n &&
    p.indexedAt.length === n &&
    p.fwdOffsets.length === n + 1 &&
    p.idf.length === T &&
    p.df.length === T &&
    p.segOffsets.length === T + 1 &&
    p.segStart.length === nseg + 1 &&
    p.fwdOffsets[n] === p.fwd.length &&
    p.segStart[nseg] === kept &&
    p.segOffsets[T] === nseg &&
    p.levelWeight.length === 256;
  return ok ? undefined : "the index arrays' lengths do not agree";
}
