// The key word index's arrays (word-pairs.ts): in shared memory, so that the threads that find
// the candidate pairs (word-pairs-threads.ts) read them where they are, without a copy (1.2 GB
// at 1,000,000 photos), and the long lists' order by weight.

export const sharedInt32 = (n: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * n));
export const sharedFloat32 = (n: number): Float32Array => new Float32Array(new SharedArrayBuffer(4 * n));

/** `a`'s values in a shared array of `size` (larger). */
export function growShared<T extends Int32Array | Float32Array>(a: T, size: number): T {
  const b = (a instanceof Int32Array ? sharedInt32(size) : sharedFloat32(size)) as T;
  b.set(a);
  return b;
}

/** Entries a list may hold for the one-number sort key (the weight's 32 bits above the place's 21). */
const PLACE_BITS = 2 ** 21;

/**
 * Orders each list longer than `window` by weight, heaviest first, ties in photo order (the
 * order the lists were filled in): `docs` and `w` in place, and `pos` (a key's place in its
 * list; `where[q]` is the key at place q before the sort) after them. Each entry is sorted as
 * one exact number, its weight's bits (descending) times 2^21 plus its place in the list: a
 * typed array's numeric sort, where a comparator over boxed numbers took 3 s of 7 to key
 * 100,000 photos. Lists of 2^21 entries or more (a word keying 2 million photos) by comparator.
 */
export function sortListsByWeight(start: Int32Array, docs: Int32Array, w: Float32Array, pos: Int32Array, where: Int32Array, window: number): void {
  const T = start.length - 1;
  let longest = 0;
  for (let t = 0; t < T; t++) longest = Math.max(longest, start[t + 1] - start[t]);
  const key = new Float64Array(Math.min(longest, PLACE_BITS));
  const d0 = new Int32Array(longest);
  const w0 = new Float32Array(longest);
  const k0 = new Int32Array(longest);
  const places = new Int32Array(Math.min(longest, PLACE_BITS));
  const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
  for (let t = 0; t < T; t++) {
    const a = start[t];
    const len = start[t + 1] - a;
    if (len <= window) continue;
    d0.set(docs.subarray(a, a + len));
    w0.set(w.subarray(a, a + len));
    k0.set(where.subarray(a, a + len));
    let order: ArrayLike<number>;
    if (len < PLACE_BITS) {
      for (let q = 0; q < len; q++) {
        const u = bits[a + q];
        // The float's bits in an order that follows its value (negative weights reversed), then descending.
        const ordered = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
        key[q] = (0xffffffff - ordered) * PLACE_BITS + q;
      }
      const sorted = key.subarray(0, len).sort();
      // The place is the low 21 bits: x - floor(x / 2^21) * 2^21, every step exact below 2^53
      // (a double's % is a library call: a third of the sort's time).
      for (let q = 0; q < len; q++) {
        const x = sorted[q];
        places[q] = x - Math.floor(x / PLACE_BITS) * PLACE_BITS;
      }
      order = places;
    } else {
      order = Array.from({ length: len }, (_, q) => q).sort((x, y) => w0[y] - w0[x] || d0[x] - d0[y]);
    }
    for (let q = 0; q < len; q++) {
      const from = order[q];
      docs[a + q] = d0[from];
      w[a + q] = w0[from];
      pos[k0[from]] = a + q;
    }
  }
}
