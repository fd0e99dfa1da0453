// Words beyond the plain k-gram bag (docs/EVAL.md "Beyond the bag"): soft assignment,
// co-occurrence pairs, and a second field in one bag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendField, bagFromGrid, pairBag, pairTermSpace, termSpaceSize, PAIR_OFFSETS } from '../../../src/core/analysis/kgrams.js';
import { fingerprint, DEFAULT_SETTINGS, kgramSettings } from '../../../src/core/common/settings.js';
import { mulberry32 } from '../../../src/core/common/random.js';
import type { Bag, KgramSettings, TokenGrid } from '../../../src/core/common/types.js';
import ort from 'onnxruntime-node';
import { vqGraph, FEATURES_INPUT, TOKENS_OUTPUT, TOP2_CODES_OUTPUT, TOP2_DISTANCES_OUTPUT } from '../../../src/core/analysis/model/vq.js';

function toMap(b: Bag): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < b.terms.length; i++) m.set(b.terms[i], b.tfs[i]);
  return m;
}

function assertAscending(b: Bag): void {
  for (let i = 1; i < b.terms.length; i++) assert.ok(b.terms[i] > b.terms[i - 1], `terms ascend at ${i}`);
}

function randomSoftGrid(seed: number, heads: number, h: number, w: number, codes: number): TokenGrid {
  const r = mulberry32(seed);
  const n = heads * h * w;
  const tokens = new Uint16Array(n);
  const second = new Uint16Array(n);
  const dist1 = new Float32Array(n);
  const dist2 = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    tokens[i] = Math.floor(r() * codes);
    second[i] = (tokens[i] + 1 + Math.floor(r() * (codes - 1))) % codes; // never the nearest code
    dist1[i] = r();
    dist2[i] = dist1[i] + r();
  }
  return { heads, height: h, width: w, codes, tokens, soft: { second, dist1, dist2 } };
}

test('soft assignment, by hand: 1 head, 3x3 grid, k=3 collapsed: nearest codes count 1, second codes w', () => {
  const g = randomSoftGrid(1, 1, 3, 3, 16);
  g.tokens.set([0, 0, 1, 1, 2, 2, 3, 3, 3]);
  g.soft!.second.set([1, 1, 0, 5, 5, 5, 5, 5, 4]);
  const bag = bagFromGrid(g, { kernel: 3, padding: 0, channel: false, collapse: true, soft: 0.25 });
  assertAscending(bag);
  // One window covers every cell once: token 0 x2 + second 0 x1 = 2.25, token 1 x2 + second 1 x2
  // = 2.5, 2: 2, 3: 3, 4: 0.25, 5: 1.25, rounded to whole counts as the index stores them (4 drops).
  assert.deepEqual([...bag.terms], [0, 1, 2, 3, 5]);
  assert.deepEqual([...bag.tfs], [2, 3, 2, 3, 1]);
});

test('soft bag = hard bag of the nearest codes + w x hard bag of the second codes (random grids, all layouts)', () => {
  for (let seed = 0; seed < 30; seed++) {
    const r = mulberry32(100 + seed);
    const heads = 1 + Math.floor(r() * 3);
    const h = 1 + Math.floor(r() * 6);
    const w = 1 + Math.floor(r() * 6);
    const codes = 2 + Math.floor(r() * 20);
    const g = randomSoftGrid(seed, heads, h, w, codes);
    const kernel = 1 + Math.floor(r() * 3);
    const s: KgramSettings = { kernel, padding: Math.floor(r() * kernel), channel: false, collapse: r() < 0.5 };
    const weight = 0.5 * r() + 0.1;
    const soft = bagFromGrid(g, { ...s, soft: weight });
    assertAscending(soft);
    const want = toMap(bagFromGrid({ ...g, soft: undefined }, s));
    const second = bagFromGrid({ ...g, tokens: g.soft!.second, soft: undefined }, s);
    for (let i = 0; i < second.terms.length; i++) want.set(second.terms[i], (want.get(second.terms[i]) ?? 0) + weight * second.tfs[i]);
    for (const [t, v] of want) {
      if (Math.round(v) > 0) want.set(t, Math.round(v));
      else want.delete(t);
    }
    assert.deepEqual(toMap(soft), want, `seed ${seed}`);
    for (const t of soft.terms) assert.ok(t < termSpaceSize(heads, codes, s));
  }
});

test('soft assignment needs second codes and 2D k-grams', () => {
  const g = randomSoftGrid(3, 2, 3, 3, 8);
  assert.throws(() => bagFromGrid({ ...g, soft: undefined }, { kernel: 3, padding: 0, channel: false, soft: 0.5 }), /second codes/);
  assert.throws(() => bagFromGrid(g, { kernel: 3, padding: 0, channel: true, soft: 0.5 }), /2D/);
});

test('soft assignment off leaves the default settings, their k-grams and the fingerprint as they were', () => {
  assert.equal(DEFAULT_SETTINGS.softAssign, 0);
  assert.equal(kgramSettings(DEFAULT_SETTINGS).soft, undefined);
  const { softAssign: _off, ...before } = DEFAULT_SETTINGS;
  // An index made before the setting existed stored no softAssign; its fingerprint must not move.
  assert.equal(fingerprint(DEFAULT_SETTINGS, 'b', 'c'), fingerprint(before as typeof DEFAULT_SETTINGS, 'b', 'c'));
  assert.notEqual(fingerprint({ ...DEFAULT_SETTINGS, softAssign: 0.5 }, 'b', 'c'), fingerprint(DEFAULT_SETTINGS, 'b', 'c'));
});

test('co-occurrence pairs, by hand: 1 head, 2x3 grid, right and down neighbours', () => {
  // tokens  0 1 1
  //         2 0 1
  const g: TokenGrid = { heads: 1, height: 2, width: 3, codes: 4, tokens: Uint16Array.from([0, 1, 1, 2, 0, 1]) };
  const bag = pairBag(g, PAIR_OFFSETS.hv);
  const m = 4;
  const id = (o: number, a: number, b: number) => (o * m + a) * m + b;
  const want = new Map<number, number>();
  const add = (k: number) => want.set(k, (want.get(k) ?? 0) + 1);
  // right (o = 0): (0,1) (1,1) (2,0) (0,1); down (o = 1): (0,2) (1,0) (1,1)
  [id(0, 0, 1), id(0, 1, 1), id(0, 2, 0), id(0, 0, 1), id(1, 0, 2), id(1, 1, 0), id(1, 1, 1)].forEach(add);
  assert.deepEqual(toMap(bag), want);
  assertAscending(bag);
  assert.ok(Math.max(...bag.terms) < pairTermSpace(1, 2, m));
});

test('co-occurrence pairs are ordered, stay within a head, and go through the coarse map', () => {
  const g: TokenGrid = { heads: 2, height: 1, width: 2, codes: 6, tokens: Uint16Array.from([4, 5, 5, 4]) };
  const map = Uint16Array.from([0, 0, 0, 1, 1, 2]); // codes 3, 4 -> 1; 5 -> 2
  const bag = pairBag(g, [[0, 1]], map, 3);
  // head 0: (4, 5) -> (1, 2); head 1: (5, 4) -> (2, 1), in head 1's own range.
  assert.deepEqual([...bag.terms], [(0 * 3 + 1) * 3 + 2, (1 * 3 + 2) * 3 + 1]);
  assert.deepEqual([...bag.tfs], [1, 1]);
  // Diagonal offsets with a negative dx, on a grid too small for them, give no pairs and no error.
  assert.equal(pairBag({ heads: 1, height: 1, width: 1, codes: 2, tokens: Uint16Array.from([1]) }, PAIR_OFFSETS.hvd).terms.length, 0);
  assert.throws(() => pairBag(g, [[0, 1]], map, 2), /outside/);
});

test('appendField puts the second field in a disjoint range after the first', () => {
  const a: Bag = { terms: Uint32Array.from([1, 7]), tfs: Float32Array.from([2, 3]) };
  const b: Bag = { terms: Uint32Array.from([0, 5]), tfs: Float32Array.from([1, 4]) };
  const both = appendField(a, b, 8);
  assert.deepEqual([...both.terms], [1, 7, 8, 13]);
  assert.deepEqual([...both.tfs], [2, 3, 1, 4]);
  assert.throws(() => appendField(a, b, 7), /overlaps/);
});

test('VQ graph with top2: nearest and second-nearest codes and their squared distances match brute force; tokens unchanged', async () => {
  const r = mulberry32(7);
  for (const perHead of [false, true]) {
    const heads = 2;
    const dim = 3;
    const codes = 6;
    const channels = heads * dim;
    const centroids = Float32Array.from({ length: (perHead ? heads : 1) * codes * dim }, () => r() - 0.5);
    const cb = { channels, heads, dim, codes, perHead, centroids };
    const [H, W] = [2, 3];
    const feat = Float32Array.from({ length: channels * H * W }, () => r());
    const plain = await ort.InferenceSession.create(Buffer.from(vqGraph(cb)));
    const soft = await ort.InferenceSession.create(Buffer.from(vqGraph(cb, { top2: true })));
    const input = { [FEATURES_INPUT]: new ort.Tensor('float32', feat, [1, channels, H, W]) };
    const a = await plain.run(input);
    const b = await soft.run(input);
    assert.equal(a[TOP2_CODES_OUTPUT], undefined);
    assert.deepEqual([...(b[TOKENS_OUTPUT].data as BigInt64Array)], [...(a[TOKENS_OUTPUT].data as BigInt64Array)]);
    const top = b[TOP2_CODES_OUTPUT].data as BigInt64Array;
    const dist = b[TOP2_DISTANCES_OUTPUT].data as Float32Array;
    assert.deepEqual(b[TOP2_CODES_OUTPUT].dims, [1, H * W, heads, 2]);
    for (let cell = 0; cell < H * W; cell++) {
      for (let h = 0; h < heads; h++) {
        const v = Array.from({ length: dim }, (_, d) => feat[(h * dim + d) * H * W + cell]);
        const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0) + 1e-6);
        const d2 = Array.from({ length: codes }, (_, k) => {
          let s = 0;
          for (let d = 0; d < dim; d++) s += (v[d] / norm - centroids[((perHead ? h : 0) * codes + k) * dim + d]) ** 2;
          return s;
        });
        const order = [...d2.keys()].sort((x, y) => d2[x] - d2[y]);
        const j = (cell * heads + h) * 2;
        assert.equal(Number(top[j]), order[0]);
        assert.equal(Number(top[j + 1]), order[1]);
        assert.ok(Math.abs(dist[j] - d2[order[0]]) < 1e-4 && Math.abs(dist[j + 1] - d2[order[1]]) < 1e-4, `${dist[j]} ${d2[order[0]]}`);
      }
    }
    await plain.release();
    await soft.release();
  }
});
