// The hash lookups' pair list (hash-pairs.ts, on a worker thread and on this one) against the
// lookups it was written out from: HashIndex.near for every photo's hash and turned hashes, with
// the same checks, in the same order, over hashes with many near copies (every distance from 0
// to 20 bits) and turned hashes that meet other photos and the photo itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSFORMS, dihedralHashesInto, hamming, type Hash64 } from '../../../src/core/analysis/phash.js';
import { HashIndex } from '../../../src/core/duplicates/hash-index.js';
import { hashPairsOf } from '../../../src/core/duplicates/hash-pairs.js';
import { mulberry32 } from '../../../src/core/common/random.js';

test('the pair list is what HashIndex.near meets, in its order, on a worker thread and on this one', async () => {
  const r = mulberry32(21);
  const u32 = () => Math.floor(r() * 2 ** 32) >>> 0;
  const flip = (x: Hash64, bits: number): Hash64 => {
    let { hi, lo } = x;
    for (let b = 0; b < bits; b++) {
      const k = Math.floor(r() * 64);
      if (k < 32) lo = (lo ^ (1 << k)) >>> 0;
      else hi = (hi ^ (1 << (k - 32))) >>> 0;
    }
    return { hi, lo };
  };
  // Coefficients whose hashes and turned hashes are real (dihedralHashesInto), some photos turned copies of others.
  const coeffs: Float32Array[] = [];
  for (let i = 0; i < 300; i++) coeffs.push(Float32Array.from({ length: 64 }, () => (r() - 0.5) * 100));
  const turnedOf = (c: Float32Array) => {
    const out = new Uint32Array(16);
    dihedralHashesInto(c, out);
    return out;
  };
  const hashes: Hash64[] = [];
  const turnedRows: Uint32Array[] = [];
  for (const c of coeffs) {
    const t = turnedOf(c);
    hashes.push({ hi: t[0], lo: t[1] });
    turnedRows.push(t);
  }
  // Near copies of the plain hashes, and photos whose hash is a turned hash of another's, a few bits off.
  for (let i = 0; i < 300; i++) {
    const near = flip(hashes[i], i % 21);
    hashes.push(near);
    turnedRows.push(
      Uint32Array.from({ length: 16 }, () => u32())
        .fill(near.hi, 0, 1)
        .fill(near.lo, 1, 2),
    );
  }
  for (let i = 0; i < 100; i++) {
    const src = turnedRows[i];
    const t = 1 + (i % 7);
    const copy = flip({ hi: src[2 * t], lo: src[2 * t + 1] }, i % 5);
    hashes.push(copy);
    turnedRows.push(
      Uint32Array.from({ length: 16 }, () => u32())
        .fill(copy.hi, 0, 1)
        .fill(copy.lo, 1, 2),
    );
  }
  const index = new HashIndex(hashes);
  const bits = new Uint32Array(new SharedArrayBuffer(8 * hashes.length));
  hashes.forEach((h, i) => ((bits[2 * i] = h.hi), (bits[2 * i + 1] = h.lo)));
  const turned = new Uint32Array(new SharedArrayBuffer(64 * hashes.length));
  turnedRows.forEach((t, i) => turned.set(t, 16 * i));
  for (const [plainMax, turnedMax] of [
    [7, 6],
    [3, 10],
  ]) {
    // The lookups as candidates.ts made them before hash-pairs.ts.
    const want: string[] = [];
    hashes.forEach((h, i) => {
      index.near(h, plainMax, (j, d) => {
        if (j > i) want.push(`${i} ${j} ${d} 0`);
      });
      for (let t = 1; t < TRANSFORMS.length; t++) {
        index.near({ hi: turned[16 * i + 2 * t], lo: turned[16 * i + 2 * t + 1] }, turnedMax, (j, d) => {
          if (j !== i && hamming(h, hashes[j]) > d) want.push(`${i} ${j} ${d} ${t}`);
        });
      }
    });
    assert.ok(want.filter((x) => x.endsWith(' 0')).length >= 20, `plain pairs met: ${want.filter((x) => x.endsWith(' 0')).length}`);
    assert.ok(want.filter((x) => !x.endsWith(' 0')).length >= 50, `turned pairs met: ${want.filter((x) => !x.endsWith(' 0')).length}`);
    for (const threaded of [true, false]) {
      const hits = await hashPairsOf(index, bits, turned, plainMax, turnedMax, threaded);
      const got = Array.from({ length: hits.count }, (_, h) => `${hits.i[h]} ${hits.j[h]} ${hits.d[h]} ${hits.t[h]}`);
      assert.deepEqual(got, want, `within ${plainMax} and ${turnedMax}, ${threaded ? 'on a worker' : 'here'}`);
    }
    const plainOnly = await hashPairsOf(index, bits, null, plainMax, turnedMax);
    assert.equal(plainOnly.count, want.filter((x) => x.endsWith(' 0')).length);
  }
});
