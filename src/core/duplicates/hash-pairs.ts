// Every photo's hash lookups (hash-index.ts: its own hash, and its flips' and turns' hashes) as a
// list of the pairs they meet, on a worker thread: the lookups read only the index's tables and
// the hashes (in shared memory), and what a pair then needs (shapes, the words' cosine, the
// user's decisions, the links) is done on the calling thread, over the list in the order the
// lookups met the pairs. So the lookups (at 1,000,000 photos ~60 s of the calling thread's, with
// the second core idle) can run while the calling thread reads the bags for the key words.
//
// One source in plain JavaScript, run by the worker (no TypeScript loader there) and, where no
// thread is to be had or it fails, compiled and run here: HashIndex.near's visits, bit for bit
// (the test compares them), with the checks that need no more than the hashes done there too.
import { Worker } from 'node:worker_threads';
import type { HashIndex } from './hash-index.js';

/** The pairs met, in order: photo indices i and j, their distance, and the transform (0: the plain hash; else TRANSFORMS[t] of i). */
export interface HashHits {
  count: number;
  i: Int32Array;
  j: Int32Array;
  d: Uint8Array;
  t: Uint8Array;
}

const SOURCE = `function hashPairs(x) {
  const { starts, rows, words, masks, hashes, turned, n } = x;
  let cap = 1024;
  let count = 0;
  let oi = new Int32Array(cap), oj = new Int32Array(cap), od = new Uint8Array(cap), ot = new Uint8Array(cap);
  const pop = (v) => {
    v = (v - ((v >>> 1) & 0x55555555)) | 0;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    v = (v + (v >>> 4)) & 0x0f0f0f0f;
    return Math.imul(v, 0x01010101) >>> 24;
  };
  const push = (i, j, d, t) => {
    if (count === cap) {
      cap *= 2;
      const gi = new Int32Array(cap), gj = new Int32Array(cap), gd = new Uint8Array(cap), gt = new Uint8Array(cap);
      gi.set(oi); gj.set(oj); gd.set(od); gt.set(ot);
      oi = gi; oj = gj; od = gd; ot = gt;
    }
    oi[count] = i; oj[count] = j; od[count] = d; ot[count++] = t;
  };
  // HashIndex.near(query, maxD) for photo i (t: 0 the plain hash, else a transform of it).
  const near = (i, t, hi, lo, maxD, probes) => {
    const r = Math.min(16, Math.floor(maxD / 4));
    const ihi = hashes[2 * i], ilo = hashes[2 * i + 1];
    for (let c = 0; c < 4; c++) {
      const v = c < 2 ? (lo >>> (c * 16)) & 0xffff : (hi >>> ((c - 2) * 16)) & 0xffff;
      const start = starts[c], row = rows[c], word = words[c];
      for (let p = 0; p < probes; p++) {
        const key = v ^ masks[p];
        for (let k = start[key], end = start[key + 1]; k < end; k++) {
          const xlo = word[2 * k + 1] ^ lo;
          const dlo = pop(xlo);
          if (dlo > maxD) continue;
          const xhi = word[2 * k] ^ hi;
          const d = dlo + pop(xhi);
          if (d > maxD) continue;
          if (c > 0 && pop(xlo & 0xffff) <= r) continue;
          if (c > 1 && pop(xlo >>> 16) <= r) continue;
          if (c > 2 && pop(xhi & 0xffff) <= r) continue;
          const j = row[k];
          // The plain lookup: each pair once, from its first photo. A turned one: not the photo
          // itself, nor a pair the plain hashes have as close.
          if (t === 0 ? j <= i : j === i || pop(ihi ^ hashes[2 * j]) + pop(ilo ^ hashes[2 * j + 1]) <= d) continue;
          push(i, j, d, t);
        }
      }
    }
  };
  for (let i = 0; i < n; i++) {
    near(i, 0, hashes[2 * i], hashes[2 * i + 1], x.plainMax, x.plainProbes);
    if (!turned) continue;
    for (let t = 1; t < 8; t++) near(i, t, turned[16 * i + 2 * t], turned[16 * i + 2 * t + 1], x.turnedMax, x.turnedProbes);
  }
  return { count, i: oi, j: oj, d: od, t: ot };
}`;

interface Job {
  starts: Int32Array[];
  rows: Int32Array[];
  words: Uint32Array[];
  masks: Uint16Array;
  hashes: Uint32Array;
  turned: Uint32Array | null;
  n: number;
  plainMax: number;
  plainProbes: number;
  turnedMax: number;
  turnedProbes: number;
}

const hashPairs = new Function(`return ${SOURCE}`)() as (x: Job) => HashHits;

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const hits = (${SOURCE})(workerData);
parentPort.postMessage(hits, [hits.i.buffer, hits.j.buffer, hits.d.buffer, hits.t.buffer]);
`;

/**
 * The pairs photo i's lookups meet, for every photo in order: within `plainMax` bits of its hash
 * (`hashes`: hi, lo a photo; pairs with a later photo), then within `turnedMax` of each of its
 * turned hashes (`turned`: dihedralHashesInto's 16 numbers a photo, or null for none; pairs with
 * another photo that its plain hash has farther). Both arrays in shared memory. On a worker
 * thread unless `threaded` is false; on this thread if none is to be had or it fails.
 */
export function hashPairsOf(index: HashIndex, hashes: Uint32Array, turned: Uint32Array | null, plainMax: number, turnedMax: number, threaded = true): Promise<HashHits> {
  const job: Job = { ...index.tables(), hashes, turned, n: hashes.length >>> 1, plainMax, plainProbes: index.probes(plainMax), turnedMax, turnedProbes: index.probes(turnedMax) };
  if (!threaded) return Promise.resolve(hashPairs(job));
  let worker: Worker;
  try {
    worker = new Worker(WORKER, { eval: true, workerData: job });
  } catch {
    return Promise.resolve(hashPairs(job));
  }
  return new Promise<HashHits>((resolve) => {
    let settled = false;
    const here = () => {
      if (settled) return;
      settled = true;
      resolve(hashPairs(job));
    };
    worker.once('message', (hits: HashHits) => {
      settled = true;
      resolve(hits);
      void worker.terminate();
    });
    worker.once('error', here);
    worker.once('exit', here);
  });
}
