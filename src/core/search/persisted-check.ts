// The CRC-32 check of a query index file's largest arrays (its postings), run in a worker thread
// after the index already answers, so that the first "find similar" after opening a library waits
// only for the file's read (docs/EVAL.md#cold-start). readQueryIndex has checked everything else
// (header, lengths, the smaller arrays: ids, offsets, idf) before the index is used.
//
// The verdict is kept in shared memory, written by the worker the moment it has it, and read by
// the live index before every answer (`state`): once a checksum fails, no answer comes from that
// index, whether or not this thread's event loop has run since. Until then (a bounded window: the
// check's duration, measured in docs/EVAL.md) a damaged file can give wrong rankings or scores.
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';
import type { UncheckedArrays } from './persisted-index.js';

// status[0]: 0 checking, 1 all good, 2 a checksum failed (status[1]: which array, -2: the read
// failed), 3 stopped. When the worker reads the file first, the calling thread may read beside it:
// status[3] is the next 64 MB slice to take, status[4] the slices read, status[2] the read's state
// (0 under way, 1 done, 2 failed), status[5] 1 once the read may begin (a paused read waits, so
// that a first answer's own reads do not queue behind it); `done[i]` is 1 once slice i is in.
const CHECKING = 0;
const GOOD = 1;
const BAD = 2;
const STOPPED = 3;
/** status[1] when the verdict is that the file could not be read (not a checksum). */
const UNREADABLE = -2;
// Slices small enough that a stop is seen quickly and no view passes a typed array's limit.
const SLICE = 1 << 26;

// Plain JavaScript (no TypeScript loader needed in the worker, in Electron or in tests).
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
const fs = require('node:fs');
const { buffer, arrays, status, fd, start, done } = workerData;
const st = new Int32Array(status);
const SLICE = ${SLICE};
if (fd !== undefined) {
  const n = Math.ceil(buffer.byteLength / SLICE);
  const slices = new Int32Array(done);
  while (Atomics.load(st, 5) === 0 && Atomics.load(st, 0) === ${CHECKING}) Atomics.wait(st, 5, 0, 50);
  try {
    for (let i; Atomics.load(st, 2) === 0 && Atomics.load(st, 0) === ${CHECKING} && (i = Atomics.add(st, 3, 1)) < n; ) {
      const from = i * SLICE;
      const end = Math.min(buffer.byteLength, from + SLICE);
      for (let at = from; at < end; ) {
        const got = fs.readSync(fd, new Uint8Array(buffer, at, end - at), 0, end - at, start + at);
        if (got === 0) throw new Error('cut off');
        at += got;
      }
      Atomics.store(slices, i, 1);
      if (Atomics.add(st, 4, 1) + 1 === n) Atomics.store(st, 2, 1);
    }
  } catch (e) {
    Atomics.store(st, 2, 2);
  }
  while (Atomics.load(st, 2) === 0 && Atomics.load(st, 0) === ${CHECKING}) Atomics.wait(st, 2, 0, 20);
  if (Atomics.load(st, 2) !== 1) {
    Atomics.store(st, 1, ${UNREADABLE});
    Atomics.compareExchange(st, 0, ${CHECKING}, ${BAD});
    process.exit(0);
  }
}
let bad = -1;
for (let i = 0; i < arrays.length && bad < 0; i++) {
  const a = arrays[i];
  let crc = 0;
  for (let at = 0; at < a.bytes; at += SLICE) {
    if (Atomics.load(st, 0) === ${STOPPED}) process.exit(0);
    crc = zlib.crc32(new Uint8Array(buffer, a.offset + at, Math.min(SLICE, a.bytes - at)), crc);
  }
  if (crc !== a.crc) bad = i;
}
if (bad >= 0) Atomics.store(st, 1, bad);
Atomics.compareExchange(st, 0, ${CHECKING}, bad >= 0 ? ${BAD} : ${GOOD});
parentPort.postMessage(bad);
`;

export interface LaterCheck {
  /** 'checking', 'ok', or why the file is damaged; cheap (one shared-memory read), call it before every answer. */
  readonly state: 'checking' | 'ok' | string;
  /** Resolves with the verdict (the same as `state` then) and how long the check took. */
  readonly done: Promise<{ state: string; ms: number }>;
  /** Finishes the read (if any) and the check on this thread if the worker has not (for callers about to hold the index a long time). */
  now(): string;
  /** Stops the worker (the verdict stays 'checking' if it had none). */
  stop(): void;
}

/** The file's read by a worker thread, which then checks the arrays (readThenCheck). */
export interface ReadThenCheck extends LaterCheck {
  /** Lets a paused read begin (no-op once begun). */
  begin(): void;
  /** Whether the bytes [from, to) of the buffer are read (false also when the read failed). */
  has(from: number, to: number): boolean;
  /** Whether the whole buffer is read; and whether the read failed (then `state` says so). */
  readonly complete: boolean;
  readonly failed: boolean;
  /** Marks the file unreadable (a read of this thread failed): `state` says so and the worker stops. */
  fail(): void;
  /** Begins the read, reads the slices the worker has not taken, then waits for the rest: undefined, or why it failed. */
  waitRead(): string | undefined;
}

function checkHere(u: UncheckedArrays, stop: () => boolean): number | undefined {
  for (let i = 0; i < u.arrays.length; i++) {
    const a = u.arrays[i];
    let crc = 0;
    for (let at = 0; at < a.bytes; at += SLICE) {
      if (stop()) return undefined;
      crc = zlib.crc32(new Uint8Array(u.buffer, a.offset + at, Math.min(SLICE, a.bytes - at)), crc);
    }
    if (crc !== a.crc) return i;
  }
  return -1;
}

/**
 * Reads the file's data (from `start`, through the open `fd`) into `u.buffer` in a worker thread,
 * which then checks `u`'s arrays. The caller does other work meanwhile (the store's checks, a first
 * answer from the parts it read itself), then waits for the read with waitRead. `paused`: the read
 * waits for begin(). `release` is called once the worker no longer uses `fd`. Undefined if no
 * worker starts.
 */
export function readThenCheck(fd: number, start: number, u: UncheckedArrays, opts: { paused?: boolean; release?: () => void } = {}): ReadThenCheck | undefined {
  const status = new Int32Array(new SharedArrayBuffer(24));
  const n = Math.ceil(u.buffer.byteLength / SLICE);
  const done = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, n)));
  if (n === 0) status[2] = 1;
  if (!opts.paused) status[5] = 1;
  const readHere = (): string | undefined => {
    try {
      for (let i; Atomics.load(status, 2) === 0 && (i = Atomics.add(status, 3, 1)) < n;) {
        const from = i * SLICE;
        const end = Math.min(u.buffer.byteLength, from + SLICE);
        for (let at = from; at < end;) {
          const got = fs.readSync(fd, new Uint8Array(u.buffer, at, end - at), 0, end - at, start + at);
          if (got === 0) throw new Error(`the file ends at ${start + at} bytes, in the middle of its data`);
          at += got;
        }
        Atomics.store(done, i, 1);
        if (Atomics.add(status, 4, 1) + 1 === n) Atomics.store(status, 2, 1);
      }
    } catch (e) {
      Atomics.store(status, 2, 2);
      return (e as Error).message;
    }
    return undefined;
  };
  let wake = () => {};
  const begin = () => {
    if (Atomics.exchange(status, 5, 1) !== 0) return;
    Atomics.notify(status, 5);
    wake();
  };
  const waitRead = (): string | undefined => {
    begin();
    const why = readHere();
    if (why) return why;
    while (Atomics.load(status, 2) === 0) Atomics.wait(status, 2, 0, 20);
    return Atomics.load(status, 2) === 1 ? undefined : 'the file could not be read';
  };
  const check = checkLater(u, { fd, start, status, done, release: opts.release, waitRead });
  if (!check) return undefined;
  wake = () => check.ref();
  // Not Object.assign: it would copy the getters' values of now.
  return {
    get state() {
      return check.state;
    },
    done: check.done,
    now: () => check.now(),
    stop: () => check.stop(),
    begin,
    waitRead,
    has(from: number, to: number): boolean {
      if (Atomics.load(status, 2) === 1) return true;
      for (let i = Math.floor(from / SLICE); i * SLICE < to; i++) if (Atomics.load(done, i) !== 1) return false;
      return true;
    },
    get complete() {
      return Atomics.load(status, 2) === 1;
    },
    get failed() {
      return Atomics.load(status, 2) === 2 || (Atomics.load(status, 0) === BAD && Atomics.load(status, 1) === UNREADABLE);
    },
    fail() {
      Atomics.store(status, 1, UNREADABLE);
      Atomics.compareExchange(status, 0, CHECKING, BAD);
      if (Atomics.compareExchange(status, 2, 0, 2) === 0) Atomics.notify(status, 2);
      Atomics.notify(status, 5);
    },
  };
}

interface ReadJob {
  fd: number;
  start: number;
  status: Int32Array;
  done: Int32Array;
  release?: () => void;
  waitRead: () => string | undefined;
}

/** Starts the check of `u`'s arrays in a worker thread (on this thread, in slices, if a worker cannot start). */
export function checkLater(u: UncheckedArrays): LaterCheck;
export function checkLater(u: UncheckedArrays, read: ReadJob): (LaterCheck & { ref(): void }) | undefined;
export function checkLater(u: UncheckedArrays, read?: ReadJob): (LaterCheck & { ref?(): void }) | undefined {
  const status = read?.status ?? new Int32Array(new SharedArrayBuffer(24));
  const t = performance.now();
  const reason = (i: number) => (i < 0 ? 'the file could not be read' : `${u.arrays[i].name} is damaged (checksum)`);
  const state = (): string => {
    const s = Atomics.load(status, 0);
    return s === GOOD ? 'ok' : s === BAD ? reason(Atomics.load(status, 1)) : 'checking';
  };
  const settle = (bad: number) => {
    if (bad !== -1) Atomics.store(status, 1, bad);
    Atomics.compareExchange(status, 0, CHECKING, bad !== -1 ? BAD : GOOD);
  };
  let worker: Worker | undefined;
  try {
    const workerData = { buffer: u.buffer, arrays: u.arrays, status: status.buffer, fd: read?.fd, start: read?.start, done: read?.done.buffer };
    worker = new Worker(WORKER, { eval: true, workerData });
  } catch (e) {
    if (read) return undefined; // the caller reads the file itself
    worker = undefined;
  }
  let released = false;
  const release = () => {
    if (!released) read?.release?.();
    released = true;
  };
  const done = new Promise<{ state: string; ms: number }>((resolve) => {
    const finish = () => resolve({ state: state(), ms: performance.now() - t });
    const here = () => {
      // A worker that died may have left a slice half read: the file counts as unreadable then.
      if (read && Atomics.compareExchange(status, 2, 0, 2) === 0) settle(UNREADABLE);
      // A read that failed leaves the buffer unfilled: nothing to check (the caller refused the file).
      if (!read || Atomics.load(status, 2) === 1) settle(checkHere(u, () => false)!);
      release();
      finish();
    };
    if (!worker) return void setImmediate(here);
    worker.on('message', finish);
    worker.on('error', here);
    worker.on('exit', () => {
      release();
      finish();
    });
    // A process that ends does not wait for a read never begun (begin() refs it). After the
    // listeners: a 'message' listener refs the worker again.
    if (read && Atomics.load(status, 5) === 0) worker.unref();
  });
  return {
    get state() {
      return state();
    },
    done,
    now() {
      // The arrays are checked once they are all read: this thread joins a read still under way.
      if (read && Atomics.load(status, 0) === CHECKING && read.waitRead()) settle(UNREADABLE);
      if (Atomics.load(status, 0) === CHECKING) {
        const bad = checkHere(u, () => Atomics.load(status, 0) !== CHECKING);
        if (bad !== undefined) settle(bad);
        void worker?.terminate();
      }
      return state();
    },
    stop() {
      Atomics.compareExchange(status, 0, CHECKING, STOPPED);
      void worker?.terminate();
    },
    ref() {
      worker?.ref();
    },
  };
}
