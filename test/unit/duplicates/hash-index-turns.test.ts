// The hashes of a photo's flips and quarter turns (phash.ts dihedralHashes) against the plain
// construction they were written out from, hashOf(transformCoefficients(...)): the same bits, on
// real photos' coefficients and on numbers made to tie with the mean or to round differently
// when summed in another order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeForModel } from '../../../src/core/analysis/decode/decode.js';
import { TRANSFORMS, dihedralHashes, dihedralHashesInto, hashOf, lowFrequencyDct, transformCoefficients } from '../../../src/core/analysis/phash.js';
import { mulberry32 } from '../../../src/core/common/random.js';

const DATASETS = path.resolve('../shared/datasets');

function assertSameAsPlain(coeffs: Float32Array, what: string): void {
  const got = dihedralHashes(coeffs);
  const into = new Uint32Array(16);
  dihedralHashesInto(coeffs, into);
  TRANSFORMS.forEach((t, i) => {
    const want = hashOf(transformCoefficients(coeffs, t));
    assert.deepEqual(got[i], want, `${what}, ${t}`);
    assert.deepEqual([into[2 * i], into[2 * i + 1]], [want.hi, want.lo], `${what}, ${t} (into)`);
  });
}

test("the turned hashes are the plain construction's bit for bit, on real photos", { skip: !fs.existsSync(DATASETS) && 'no dev set under ../shared/datasets' }, async () => {
  const dirs = [path.join(DATASETS, 'flowers17', 'c01'), path.join(DATASETS, 'caltech101', 'Faces')];
  let photos = 0;
  for (const dir of dirs) {
    for (const name of fs.readdirSync(dir).sort().slice(0, 12)) {
      const img = await decodeForModel(fs.readFileSync(path.join(dir, name)), 299);
      assertSameAsPlain(lowFrequencyDct(img.pixels, img.width, img.height), name);
      photos++;
    }
  }
  assert.equal(photos, 24);
});

test("the turned hashes are the plain construction's bit for bit where a sum's order or a tie decides a bit", () => {
  const r = mulberry32(11);
  for (let k = 0; k < 2000; k++) {
    const c = new Float32Array(64);
    const kind = k % 4;
    for (let i = 0; i < 64; i++) {
      // Wide exponents (sums that round differently in another order), few distinct values (ties
      // with the mean), zeros (negated to -0 by a flip), and plain photo-like numbers.
      if (kind === 0) c[i] = (r() - 0.5) * 2 ** Math.floor(r() * 60 - 30);
      else if (kind === 1) c[i] = Math.floor(r() * 3) - 1;
      else if (kind === 2) c[i] = r() < 0.5 ? 0 : (r() - 0.5) * 100;
      else c[i] = (r() - 0.5) * 200;
    }
    assertSameAsPlain(c, `case ${k}`);
  }
  // A sum that depends on its order: 2^60 + 1 - 2^60 is 0 in the plain order and 1 in the
  // transposed one (coefficient 1 is read after 8 there), so 0.01 is above one mean and not the other.
  const order = new Float32Array(64);
  [order[0], order[1], order[8], order[2]] = [2 ** 60, 1, -(2 ** 60), 0.01];
  assertSameAsPlain(order, 'an order-dependent sum');
  assertSameAsPlain(new Float32Array(64), 'all zeros');
  assertSameAsPlain(new Float32Array(64).fill(1), 'all equal');
});
