// Which photos' 64-bit perceptual hashes (phash.ts) lie within a few bits of a given hash, without
// comparing all pairs: multi-index hashing (Norouzi, Punjani and Fleet, CVPR 2012).
//
// The 64 bits are cut into 4 chunks of 16. If two hashes differ in at most d bits, at least one
// chunk differs in at most floor(d / 4) (pigeonhole), so looking up every chunk value within that
// many bits of the query's chunk, in a table per chunk, finds every hash within d, and the full
// distance then drops the rest. At 100,000 photos a table of 65,536 buckets holds 1.5 photos a
// bucket on average, so a lookup costs the probes, not the photos.
//
// Each chunk is itself a word (chunk number, 16-bit value): the same lookup runs in any text
// search engine as 4 x (probes) term queries.
import type { Hash64 } from '../analysis/phash.js';

const CHUNKS = 4;
const BITS = 16;
const BUCKETS = 1 << BITS;

function chunk(h: Hash64, c: number): number {
  return c < 2 ? (h.lo >>> (c * BITS)) & 0xffff : (h.hi >>> ((c - 2) * BITS)) & 0xffff;
}

// 16-bit masks by popcount, so probes for radius r are the first MASKS_UPTO[r] entries.
const MASKS: Uint16Array = (() => {
  const all = Array.from({ length: BUCKETS }, (_, m) => m);
  const pop = (m: number) => {
    let n = 0;
    for (; m; m &= m - 1) n++;
    return n;
  };
  all.sort((a, b) => pop(a) - pop(b) || a - b);
  return Uint16Array.from(all);
})();
const MASKS_UPTO = (() => {
  const out: number[] = [];
  let n = 0;
  let binom = 1;
  for (let r = 0; r <= BITS; r++) {
    n += binom;
    out.push(n);
    binom = (binom * (BITS - r)) / (r + 1);
  }
  return out;
})();

export class HashIndex {
  readonly n: number;
  // Per chunk, a bucket array in CSR form: members of value v are rows[c][start[c][v] .. start[c][v + 1]),
  // and their hashes (hi, lo side by side) in the same order in words[c], so that a walk over a
  // bucket reads memory in order: at 1,000,000 photos a bucket holds tens to hundreds of photos,
  // and a look-up of each one's hash elsewhere missed the cache (~100 ns each, ~1,000 s for the stage).
  private readonly start: Int32Array[] = [];
  private readonly rows: Int32Array[] = [];
  private readonly words: Uint32Array[] = [];

  constructor(hashes: Hash64[]) {
    this.n = hashes.length;
    for (let c = 0; c < CHUNKS; c++) {
      const start = new Int32Array(new SharedArrayBuffer(4 * (BUCKETS + 1)));
      for (const h of hashes) start[chunk(h, c) + 1]++;
      for (let v = 0; v < BUCKETS; v++) start[v + 1] += start[v];
      const fill = start.slice(0, BUCKETS);
      const rows = new Int32Array(new SharedArrayBuffer(Math.max(4, 4 * hashes.length)));
      const words = new Uint32Array(new SharedArrayBuffer(Math.max(8, 8 * hashes.length)));
      hashes.forEach((h, i) => {
        const at = fill[chunk(h, c)]++;
        rows[at] = i;
        words[2 * at] = h.hi;
        words[2 * at + 1] = h.lo;
      });
      this.start.push(start);
      this.rows.push(rows);
      this.words.push(words);
    }
  }

  /** The tables (in shared memory: hash-pairs.ts reads them on a worker thread) and the probe masks. */
  tables(): { starts: Int32Array[]; rows: Int32Array[]; words: Uint32Array[]; masks: Uint16Array } {
    return { starts: this.start, rows: this.rows, words: this.words, masks: MASKS };
  }

  /** Probes a chunk for a lookup within `maxDistance` bits (the first of MASKS). */
  probes(maxDistance: number): number {
    return MASKS_UPTO[Math.min(BITS, Math.floor(maxDistance / CHUNKS))];
  }

  /**
   * Calls `visit(index, distance)` once for every stored hash within `maxDistance` bits of `h`
   * (every one: the lookup is exact, not approximate), in the order first met: chunk by chunk,
   * probe by probe.
   */
  near(h: Hash64, maxDistance: number, visit: (index: number, distance: number) => void): void {
    const r = Math.min(BITS, Math.floor(maxDistance / CHUNKS));
    const probes = MASKS_UPTO[r];
    const hi = h.hi;
    const lo = h.lo;
    for (let c = 0; c < CHUNKS; c++) {
      const v = chunk(h, c);
      const start = this.start[c];
      const rows = this.rows[c];
      const words = this.words[c];
      for (let p = 0; p < probes; p++) {
        const key = v ^ MASKS[p];
        for (let k = start[key], end = start[key + 1]; k < end; k++) {
          const d = distanceIfFirst(words, k, hi, lo, maxDistance, c, r);
          if (d >= 0) visit(rows[k], d);
        }
      }
    }
  }
}

/**
 * The distance of the hash at k of chunk c's table from (hi, lo) if it is within maxDistance and
 * this is the first chunk that meets it (within r bits there: each hash once, where first met), else -1.
 */
function distanceIfFirst(words: Uint32Array, k: number, hi: number, lo: number, maxDistance: number, c: number, r: number): number {
  const xlo = words[2 * k + 1] ^ lo;
  const dlo = pop(xlo);
  if (dlo > maxDistance) return -1;
  const xhi = words[2 * k] ^ hi;
  const d = dlo + pop(xhi);
  if (d > maxDistance) return -1;
  if (c > 0 && pop(xlo & 0xffff) <= r) return -1;
  if (c > 1 && pop(xlo >>> 16) <= r) return -1;
  if (c > 2 && pop(xhi & 0xffff) <= r) return -1;
  return d;
}

/**
 * Bits set in the 32-bit `x` (signed or not), in 32-bit integer steps throughout: phash.ts's
 * popcount32 takes an unsigned number, whose first subtraction leaves the integers for doubles
 * when the top bit is set (half the time), which made each hash compared here cost ~15 ns.
 */
function pop(x: number): number {
  x = (x - ((x >>> 1) & 0x55555555)) | 0;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
