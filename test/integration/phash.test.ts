// The perceptual hash (src/core/analysis/phash.ts) and its lookup (src/core/duplicates/hash-index.ts) on real photos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeForModel } from '../../src/core/analysis/decode/decode.js';
import { HashIndex } from '../../src/core/duplicates/hash-index.js';
import { TRANSFORMS, dihedralHashes, hamming, hashOf, lowFrequencyDct, transformCoefficients, type Hash64, type Transform } from '../../src/core/analysis/phash.js';
import { mulberry32 } from '../../src/core/common/random.js';

const FLOWERS = path.resolve('../shared/datasets/flowers17');
const photo = (cls: string, i: number) => {
  const dir = path.join(FLOWERS, cls);
  return path.join(dir, fs.readdirSync(dir).sort()[i]);
};

/** RGB HWC pixels after a flip or quarter turn, done by hand so the test does not lean on any library's order of operations. */
function transformPixels(px: Uint8Array, w: number, h: number, t: Transform): { px: Uint8Array; w: number; h: number } {
  const swap = t === 'transpose' || t === 'rot90' || t === 'rot270' || t === 'transverse';
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = new Uint8Array(px.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // Source pixel of output (x, y).
      let sx: number;
      let sy: number;
      switch (t) {
        case 'identity':
          [sx, sy] = [x, y];
          break;
        case 'mirror':
          [sx, sy] = [w - 1 - x, y];
          break;
        case 'flip':
          [sx, sy] = [x, h - 1 - y];
          break;
        case 'rot180':
          [sx, sy] = [w - 1 - x, h - 1 - y];
          break;
        case 'transpose':
          [sx, sy] = [y, x];
          break;
        case 'rot90':
          [sx, sy] = [y, h - 1 - x];
          break; // clockwise
        case 'rot270':
          [sx, sy] = [w - 1 - y, x];
          break;
        case 'transverse':
          [sx, sy] = [w - 1 - y, h - 1 - x];
          break;
      }
      for (let c = 0; c < 3; c++) out[(y * W + x) * 3 + c] = px[(sy * w + sx) * 3 + c];
    }
  }
  return { px: out, w: W, h: H };
}

test('phash: every flip and quarter turn of a photo has the hash its coefficients predict', async () => {
  for (const file of [photo('c01', 0), photo('c07', 3)]) {
    const img = await decodeForModel(fs.readFileSync(file), 299);
    const coeffs = lowFrequencyDct(img.pixels, img.width, img.height);
    const predicted = dihedralHashes(coeffs);
    for (const [i, t] of TRANSFORMS.entries()) {
      const turned = transformPixels(img.pixels, img.width, img.height, t);
      const actual = hashOf(lowFrequencyDct(turned.px, turned.w, turned.h));
      assert.ok(hamming(predicted[i], actual) <= 2, `${path.basename(file)} ${t}: ${hamming(predicted[i], actual)} bits off`);
      if (t !== 'identity') assert.ok(hamming(hashOf(coeffs), actual) >= 12, `${t} changes the plain hash`);
    }
    // And sharp's own rotation agrees for a quarter turn (a real rotated file).
    const rotated = await decodeForModel(await sharp(file).rotate(90).jpeg({ quality: 90 }).toBuffer(), 299);
    assert.ok(hamming(predicted[TRANSFORMS.indexOf('rot90')], hashOf(lowFrequencyDct(rotated.pixels, rotated.width, rotated.height))) <= 4);
  }
  const c = new Float32Array(64).map((_, i) => Math.sin(i));
  assert.deepEqual(Array.from(transformCoefficients(transformCoefficients(c, 'rot90'), 'rot270')), Array.from(c));
});

test('phash: photometric edits stay close, another photo of the same flower does not', async () => {
  const file = photo('c03', 5);
  const h = async (buf: Buffer) => {
    const img = await decodeForModel(buf, 299);
    return hashOf(lowFrequencyDct(img.pixels, img.width, img.height));
  };
  const original = await h(fs.readFileSync(file));
  for (const edit of [sharp(file).greyscale(), sharp(file).blur(2.5), sharp(file).jpeg({ quality: 5 }), sharp(file).resize(200)]) {
    assert.ok(hamming(original, await h(await edit.jpeg().toBuffer())) <= 6);
  }
  assert.ok(hamming(original, await h(fs.readFileSync(photo('c03', 6)))) > 12);
});

test('hashindex: finds exactly the hashes a full comparison finds', () => {
  const rand = mulberry32(3);
  const u32 = () => Math.floor(rand() * 2 ** 32) >>> 0;
  const base: Hash64[] = Array.from({ length: 400 }, () => ({ hi: u32(), lo: u32() }));
  // Near copies: a few bits flipped, so every distance from 0 to 20 occurs.
  const flip = (x: Hash64, bits: number): Hash64 => {
    let { hi, lo } = x;
    for (let b = 0; b < bits; b++) {
      const k = Math.floor(rand() * 64);
      if (k < 32) lo = (lo ^ (1 << k)) >>> 0;
      else hi = (hi ^ (1 << (k - 32))) >>> 0;
    }
    return { hi, lo };
  };
  const hashes = [...base, ...base.map((x, i) => flip(x, i % 21))];
  const index = new HashIndex(hashes);
  for (const maxD of [0, 3, 10, 16]) {
    for (let i = 0; i < hashes.length; i += 7) {
      const got: number[] = [];
      index.near(hashes[i], maxD, (j, d) => {
        assert.equal(d, hamming(hashes[i], hashes[j]));
        got.push(j);
      });
      const want = hashes.map((x, j) => (hamming(hashes[i], x) <= maxD ? j : -1)).filter((j) => j >= 0);
      assert.deepEqual(
        got.sort((a, b) => a - b),
        want,
        `query ${i}, within ${maxD}`,
      );
    }
  }
});
