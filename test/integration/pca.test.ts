// PCA before k-means (issue 9): the projection learned in JS, and the VQ graph applying it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { learnPca, project } from '../../src/core/analysis/model/pca.js';
import { vqGraph, normaliseHeads, type Codebook } from '../../src/core/analysis/model/vq.js';
import { codebookName, loadCodebook, saveCodebook, CODEBOOKS_DIR, type CodebookManifest } from '../../src/core/analysis/model/codebook.js';
import { DEFAULT_SETTINGS, fingerprint } from '../../src/core/common/settings.js';
import { mulberry32 } from '../../src/core/common/random.js';

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** n vectors in `channels` dims: mean + sum_k s_k z_k u_k + noise, with orthonormal u_k. */
function lowRank(n: number, channels: number, scales: number[], noise: number, seed: number) {
  const rand = mulberry32(seed);
  const basis: Float64Array[] = [];
  for (const _ of scales) {
    const u = Float64Array.from({ length: channels }, () => gaussian(rand));
    for (const b of basis) {
      const dot = u.reduce((s, v, i) => s + v * b[i], 0);
      for (let i = 0; i < channels; i++) u[i] -= dot * b[i];
    }
    const len = Math.hypot(...u);
    for (let i = 0; i < channels; i++) u[i] /= len;
    basis.push(u);
  }
  const mean = Float64Array.from({ length: channels }, () => 3 * rand());
  const x = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const z = scales.map((s) => s * gaussian(rand));
    for (let c = 0; c < channels; c++) {
      let v = mean[c] + noise * gaussian(rand);
      for (let k = 0; k < scales.length; k++) v += z[k] * basis[k][c];
      x[i * channels + c] = v;
    }
  }
  return { x, basis, mean };
}

function column(m: Float32Array, channels: number, dims: number, col: number): Float64Array {
  return Float64Array.from({ length: channels }, (_, c) => m[c * dims + col]);
}

test('PCA recovers a known low-rank subspace, in eigenvalue order, centred on the mean', () => {
  const channels = 20;
  const { x, basis, mean } = lowRank(4000, channels, [5, 3, 2], 0.05, 1);
  const p = learnPca(x, 4000, channels, { dims: 3 });
  assert.ok(p.explained > 0.99, `explained ${p.explained}`);
  for (let c = 0; c < channels; c++) assert.ok(Math.abs(p.mean[c] - mean[c]) < 0.5, `mean ${c}`);
  // Component k is (up to sign, fixed by the code) the k-th true direction.
  for (let k = 0; k < 3; k++) {
    const col = column(p.matrix, channels, 3, k);
    const cos = Math.abs(col.reduce((s, v, i) => s + v * basis[k][i], 0));
    assert.ok(cos > 0.99, `component ${k}: |cos| ${cos}`);
    assert.ok(Math.abs(Math.hypot(...col) - 1) < 1e-4, 'unwhitened columns are unit vectors');
  }
  assert.ok(p.eigenvalues[0] > p.eigenvalues[1] && p.eigenvalues[1] > p.eigenvalues[2]);
  assert.ok(Math.abs(p.eigenvalues[0] - 25) / 25 < 0.1, `top eigenvalue ${p.eigenvalues[0]} (expected ~25)`);
});

test('whitened PCA output has identity covariance; components are dealt round-robin over heads', () => {
  const channels = 12;
  const n = 3000;
  const { x } = lowRank(n, channels, [6, 4, 3, 2, 1.5, 1], 0.2, 2);
  const dims = 6;
  const p = learnPca(x, n, channels, { dims, whiten: true, heads: 2 });
  const y = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) project(p, x.subarray(i * channels, (i + 1) * channels), y, i * dims);
  for (let a = 0; a < dims; a++)
    for (let b = 0; b < dims; b++) {
      let s = 0;
      let ma = 0;
      let mb = 0;
      for (let i = 0; i < n; i++) {
        ma += y[i * dims + a];
        mb += y[i * dims + b];
      }
      for (let i = 0; i < n; i++) s += y[i * dims + a] * y[i * dims + b];
      const cov = (s - (ma * mb) / n) / (n - 1);
      assert.ok(Math.abs(cov - (a === b ? 1 : 0)) < 1e-2, `cov[${a}][${b}] = ${cov}`);
    }
  // Unwhitened, heads 2: column 0 = component 0, column 3 (head 1's first) = component 1, column 1 = component 2.
  const q = learnPca(x, n, channels, { dims, heads: 2 });
  const plain = learnPca(x, n, channels, { dims });
  const same = (c1: number, c2: number) => Math.abs(column(q.matrix, channels, dims, c1).reduce((s, v, i) => s + v * column(plain.matrix, channels, dims, c2)[i], 0));
  assert.ok(same(0, 0) > 0.999 && same(3, 1) > 0.999 && same(1, 2) > 0.999 && same(4, 3) > 0.999);
  assert.throws(() => learnPca(x, n, channels, { dims: 5, heads: 2 }), /heads/);
});

test('VQ graph with a projection picks the same tokens as the JS reference (project, split, normalise, nearest)', async () => {
  const rand = mulberry32(11);
  const channels = 24;
  const heads = 2;
  const dims = 8;
  const dim = dims / heads;
  const codes = 7;
  const { x } = lowRank(500, channels, [4, 3, 2, 2, 1, 1, 1, 1], 0.3, 3);
  const p = learnPca(x, 500, channels, { dims, whiten: true, heads });
  const cb: Codebook = {
    channels,
    heads,
    dim,
    codes,
    centroids: Float32Array.from({ length: codes * dim }, () => rand() - 0.5),
    projection: { mean: p.mean, matrix: p.matrix },
  };
  const [h, w] = [4, 3];
  const feat = new Float32Array(channels * h * w);
  for (let c = 0; c < h * w; c++) for (let ch = 0; ch < channels; ch++) feat[ch * h * w + c] = x[c * channels + ch];
  const s = await ort.InferenceSession.create(Buffer.from(vqGraph(cb)));
  const out = await s.run({ features: new ort.Tensor('float32', feat, [1, channels, h, w]) });
  await s.release();
  const tokens = out.tokens.data as BigInt64Array;
  assert.deepEqual([...out.tokens.dims], [1, h * w, heads]);
  const projected = new Float32Array(dims);
  const unit = new Float32Array(dims);
  for (let c = 0; c < h * w; c++) {
    project(p, x.subarray(c * channels, (c + 1) * channels), projected);
    normaliseHeads(projected, heads, dim, unit, 0);
    for (let k = 0; k < heads; k++) {
      const d = Array.from({ length: codes }, (_, j) => {
        let e = 0;
        for (let i = 0; i < dim; i++) e += (unit[k * dim + i] - cb.centroids[j * dim + i]) ** 2;
        return e;
      });
      const sorted = [...d].sort((a, b) => a - b);
      if (sorted[1] - sorted[0] < 1e-4) continue; // a near tie may go either way in float32
      assert.equal(Number(tokens[c * heads + k]), d.indexOf(sorted[0]), `cell ${c} head ${k}`);
    }
  }
});

test('codebooks with a projection round-trip; names, existing codebooks and default fingerprints are unchanged', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-pca-'));
  const rand = mulberry32(5);
  const cb: Codebook = {
    channels: 6,
    heads: 2,
    dim: 2,
    codes: 3,
    centroids: Float32Array.from({ length: 6 }, () => rand()),
    projection: { mean: Float32Array.from({ length: 6 }, () => rand()), matrix: Float32Array.from({ length: 24 }, () => rand()) },
  };
  const manifest = {
    name: 'test-pca4',
    projection: 'pca',
    pca: { dims: 4, whiten: false, explained: 1 },
    channels: 6,
    heads: 2,
    dim: 2,
    codes: 3,
    perHead: false,
  } as unknown as Omit<CodebookManifest, 'sha256'>;
  saveCodebook(cb, manifest, dir);
  const back = loadCodebook('test-pca4', dir).codebook;
  assert.deepEqual(back.centroids, cb.centroids);
  assert.deepEqual(back.projection?.mean, cb.projection!.mean);
  assert.deepEqual(back.projection?.matrix, cb.projection!.matrix);
  fs.rmSync(dir, { recursive: true });

  assert.equal(codebookName('inception_v3', 'mixed7', 8, 4096), 'inception_v3-mixed7-h8-n4096');
  assert.equal(codebookName('inception_v3', 'mixed7', 8, 4096, false, 256), 'inception_v3-mixed7-h8-n4096-pca256');
  assert.equal(codebookName('inception_v3', 'mixed7', 8, 4096, false, 256, true), 'inception_v3-mixed7-h8-n4096-pcaw256');
  if (fs.existsSync(path.join(CODEBOOKS_DIR, 'inception_v3-mixed7-h8-n4096.json'))) {
    const old = loadCodebook('inception_v3-mixed7-h8-n4096');
    assert.equal(old.codebook.projection, undefined);
    assert.equal(old.codebook.centroids.length, 4096 * 96);
  }
  // Settings without pca hash as before the field existed.
  const { pca: _p, whiten: _w, ...before } = DEFAULT_SETTINGS;
  const a = fingerprint(DEFAULT_SETTINGS, 'b', 'c');
  const b = fingerprint(before as typeof DEFAULT_SETTINGS, 'b', 'c');
  assert.equal(a, b);
  assert.notEqual(fingerprint({ ...DEFAULT_SETTINGS, pca: 256 }, 'b', 'c'), a);
});
