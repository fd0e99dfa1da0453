// quantize-dynamic.ts on the one-block DINOv2 stand-in: the MatMuls with constant weights become
// MatMulInteger (int8 weights), the file shrinks, onnxruntime runs it, and its tokens stay close to
// the float graph's on a real-looking input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { vitOnnx, VIT_SHAPES } from '../../fixtures/standin-models.js';
import { quantizeDynamic } from '../../../src/core/analysis/model/quantize-dynamic.js';

test('dynamic int8: MatMulInteger in place of the weight MatMuls, a smaller file, tokens close to fp32', async () => {
  const fp32 = vitOnnx({ ...VIT_SHAPES['dinov2-small'], depth: 1, posGrid: 16 });
  const { bytes, quantized } = quantizeDynamic(fp32);
  // One block: q, k, v, the projection and the two MLP layers.
  assert.equal(quantized, 6);
  const ops = (onnxProto.onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.opType);
  assert.equal(ops.filter((o) => o === 'MatMulInteger').length, 6);
  // The attention's two MatMuls have no constant weight and stay float.
  assert.equal(ops.filter((o) => o === 'MatMul').length, 2);
  assert.ok(bytes.length < fp32.length / 2, `${bytes.length} vs ${fp32.length}`);
  const input = new ort.Tensor(
    'float32',
    new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i * 0.01) * 2),
    [1, 3, 224, 224],
  );
  const run = async (b: Uint8Array) => {
    const s = await ort.InferenceSession.create(Buffer.from(b));
    const out = (await s.run({ pixel_values: input })).last_hidden_state;
    await s.release();
    return out;
  };
  const [a, q] = [await run(fp32), await run(bytes)];
  assert.deepEqual(q.dims, a.dims);
  const x = a.data as Float32Array;
  const y = q.data as Float32Array;
  let err = 0;
  let norm = 0;
  for (let i = 0; i < x.length; i++) {
    err += (x[i] - y[i]) ** 2;
    norm += x[i] ** 2;
  }
  assert.ok(Math.sqrt(err / norm) < 0.05, `relative error ${Math.sqrt(err / norm)}`);
});
