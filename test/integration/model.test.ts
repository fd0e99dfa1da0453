// The converted backbone against the tfjs reference, the VQ head, and the any-ONNX-backbone path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { loadNsfwjsInception } from '../../src/core/analysis/model/keras.js';
import { inceptionToOnnx } from '../../src/core/analysis/model/inception.js';
import { importOnnxBackbone } from '../../src/core/analysis/model/backbone.js';
import { BackboneSession, Tokenizer } from '../../src/core/analysis/model/tokenizer.js';
import { ThreadedTokenizer } from '../../src/core/analysis/model/tokenizer-worker.js';
import { vqGraph, normaliseHeads, type Codebook } from '../../src/core/analysis/model/vq.js';
import { kmeans } from '../../src/core/analysis/model/kmeans.js';
import { mulberry32 } from '../../src/core/common/random.js';
import { resnet50Onnx, RESNET50_FEATURES } from '../fixtures/resnet50.js';

const PHOTO = path.resolve('../shared/datasets/caltech101/airplanes/image_0001.jpg');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-model-'));

async function pixels(file: string, w: number, h: number): Promise<Uint8Array> {
  return new Uint8Array(await sharp(file).resize(w, h, { fit: 'fill' }).removeAlpha().raw().toBuffer());
}

test('ONNX InceptionV3 matches the tfjs reference at mixed5, mixed7 and mixed10', async () => {
  const keras = loadNsfwjsInception();
  const blocks = ['mixed5', 'mixed7', 'mixed10'];
  const file = path.join(tmp, 'inception.onnx');
  fs.writeFileSync(file, inceptionToOnnx(keras, { outputs: blocks }));

  // tfjs reference: the very same topology and quantized weights, cut after mixed10 and with a
  // free input size (the dense head needs 299 x 299; the trunk does not).
  const topo = JSON.parse(JSON.stringify(keras.topology));
  const cfg = topo.model_config.config;
  cfg.layers[0].config.batch_input_shape = [null, null, null, 3];
  const cut = cfg.layers.findIndex((l: { name: string }) => l.name === 'mixed10');
  const dropped = new Set(cfg.layers.slice(cut + 1).map((l: { name: string }) => l.name));
  cfg.layers = cfg.layers.slice(0, cut + 1);
  cfg.output_layers = [['mixed10', 0, 0]];
  const specs = [];
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const sp of keras.weightSpecs) {
    const n = sp.shape.reduce((a, b) => a * b, 1) * (sp.quantization ? 1 : 4);
    if (!dropped.has(sp.name.split('/')[0])) {
      specs.push(sp);
      chunks.push(keras.weightBytes.subarray(off, off + n));
    }
    off += n;
  }
  const weightData = new Uint8Array(Buffer.concat(chunks)).buffer;
  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topo, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData }));
  const sub = tf.model({ inputs: model.inputs, outputs: blocks.map((b) => model.getLayer(b).output as tf.SymbolicTensor) });

  const W = 299;
  const H = 203; // an aspect-kept photo, not a square
  const px = await pixels(PHOTO, W, H);
  const ys = sub.predict(
    tf.tensor4d(
      Float32Array.from(px, (v) => v / 255),
      [1, H, W, 3],
    ),
  ) as tf.Tensor[];
  const ref = await Promise.all(ys.map((y) => y.data() as Promise<Float32Array>));

  const session = await ort.InferenceSession.create(file);
  const out = await session.run({ pixels: new ort.Tensor('uint8', px, [1, H, W, 3]) });
  blocks.forEach((b, k) => {
    const a = out[b].data as Float32Array;
    const [, C, h, w] = out[b].dims;
    assert.deepEqual([h, w, C], ys[k].shape.slice(1), `${b} shape`);
    let maxDiff = 0;
    let maxAbs = 0;
    for (let c = 0; c < C; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const u = ref[k][(y * w + x) * C + c];
          maxDiff = Math.max(maxDiff, Math.abs(a[(c * h + y) * w + x] - u));
          maxAbs = Math.max(maxAbs, Math.abs(u));
        }
    console.log(`${b}: ${C}x${h}x${w}, max |onnx - tfjs| = ${maxDiff.toExponential(2)} (values up to ${maxAbs.toFixed(2)})`);
    assert.ok(maxAbs > 0.5, `${b} output is not all zeros`);
    assert.ok(maxDiff < 1e-3, `${b} differs from tfjs by ${maxDiff}`);
  });
  await session.release();
});

for (const perHead of [false, true]) {
  test(`VQ graph picks the nearest code of each L2-normalised head vector (${perHead ? 'per-head' : 'shared'} codebook)`, async () => {
    const rand = mulberry32(7);
    const channels = 16;
    const heads = 4;
    const dim = 4;
    const codes = 5;
    const books = perHead ? heads : 1;
    const cb: Codebook = { channels, heads, dim, codes, perHead, centroids: Float32Array.from({ length: books * codes * dim }, () => rand() - 0.5) };
    const [h, w] = [3, 2];
    const feat = Float32Array.from({ length: channels * h * w }, () => rand());
    const s = await ort.InferenceSession.create(Buffer.from(vqGraph(cb)));
    const out = await s.run({ features: new ort.Tensor('float32', feat, [1, channels, h, w]) });
    const tokens = out.tokens.data as BigInt64Array;
    assert.deepEqual([...out.tokens.dims], [1, h * w, heads]);
    const cell = new Float32Array(channels);
    const unit = new Float32Array(channels);
    for (let c = 0; c < h * w; c++) {
      for (let ch = 0; ch < channels; ch++) cell[ch] = feat[ch * h * w + c];
      normaliseHeads(cell, heads, dim, unit, 0);
      for (let k = 0; k < heads; k++) {
        const base = perHead ? k * codes * dim : 0;
        let best = -1;
        let bestD = Infinity;
        for (let j = 0; j < codes; j++) {
          let d = 0;
          for (let e = 0; e < dim; e++) d += (unit[k * dim + e] - cb.centroids[base + j * dim + e]) ** 2;
          if (d < bestD) [bestD, best] = [d, j];
        }
        assert.equal(Number(tokens[c * heads + k]), best, `cell ${c} head ${k}`);
      }
    }
    // GeM pooling output: (mean x^3)^(1/3) per channel.
    const pooled = out.pooled.data as Float32Array;
    let m = 0;
    for (let c = 0; c < h * w; c++) m += feat[c] ** 3;
    assert.ok(Math.abs(pooled[0] - Math.cbrt(m / (h * w))) < 1e-5);
    await s.release();
  });
}

test('k-means recovers well-separated clusters', async () => {
  const rand = mulberry32(3);
  const centres = [
    [0, 0],
    [10, 0],
    [0, 10],
  ];
  const pts = new Float32Array(3000 * 2);
  for (let i = 0; i < 3000; i++) {
    const c = centres[i % 3];
    pts[2 * i] = c[0] + rand() - 0.5;
    pts[2 * i + 1] = c[1] + rand() - 0.5;
  }
  const r = await kmeans(pts, 2, { k: 3, seed: 1, iterations: 20 });
  const found = Array.from({ length: 3 }, (_, k) => [Math.round(r.centroids[2 * k]) + 0, Math.round(r.centroids[2 * k + 1]) + 0]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.deepEqual(found, [
    [0, 0],
    [0, 10],
    [10, 0],
  ]);
});

test('any ONNX backbone: a ResNet-50-shaped graph is imported, cut at layer4 and tokenized', async () => {
  const file = path.join(tmp, 'resnet50.onnx');
  fs.writeFileSync(file, resnet50Onnx(0));
  const info = importOnnxBackbone(file, { output: RESNET50_FEATURES, channels: 2048, outDir: tmp });
  assert.equal(info.output, RESNET50_FEATURES);
  const bb = await BackboneSession.open(info, { provider: 'cpu' });
  // Any size, not just the zoo model's fixed 224 x 224: a 320 x 224 photo gives a 10 x 7 grid.
  const px = await pixels(PHOTO, 320, 224);
  const feat = await bb.features([{ pixels: px, width: 320, height: 224 }]);
  assert.deepEqual([...feat.dims], [1, 2048, 7, 10]);
  await bb.release();
  const rand = mulberry32(1);
  const cb: Codebook = { channels: 2048, heads: 8, dim: 256, codes: 16, centroids: Float32Array.from({ length: 16 * 256 }, () => rand()) };
  const tok = await Tokenizer.create(info, cb, { provider: 'cpu' });
  assert.equal(tok.provider, 'cpu');
  const [r] = await tok.run([{ pixels: px, width: 320, height: 224 }]);
  assert.equal(r.grid.heads, 8);
  assert.equal(r.grid.height, 7);
  assert.equal(r.grid.width, 10);
  assert.ok(r.grid.tokens.every((t) => t < 16));
  assert.equal(r.pooled.length, 2048);
  await tok.release();

  // The same model in a worker thread (what the engine uses): identical output, and a bad batch
  // is a rejected call, not a dead thread.
  const threaded = await ThreadedTokenizer.create(info, cb, { provider: 'cpu' });
  try {
    assert.equal(threaded.provider, 'cpu');
    const [t] = await threaded.run([{ pixels: px, width: 320, height: 224 }]);
    assert.deepEqual(t.grid, r.grid);
    assert.deepEqual(t.pooled, r.pooled);
    await assert.rejects(threaded.run([{ pixels: px.subarray(0, 100), width: 320, height: 224 }]), /pixel|size|shape|expected/i);
    const [again] = await threaded.run([{ pixels: px, width: 320, height: 224 }]);
    assert.deepEqual(again.grid, r.grid);
  } finally {
    await threaded.release();
  }
});
