// The model alone, per photo, for each catalogue entry: the built-in InceptionV3 graph and the
// stand-ins of the downloadable ones (real architecture, so real multiply-accumulates; random
// weights), each wrapped as the backbone the engine runs (uint8 pixels in, feature map out).
// Speed only: the stand-ins say nothing of retrieval quality (docs/MODELS.md).
//   node --import tsx bench/models.ts [--runs 7] [--threads N]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { ensureInceptionBackbone } from '../src/core/analysis/model/backbone.js';
import { importOnnxBackbone } from '../src/core/analysis/model/backbone.js';
import { findEntry } from '../src/core/analysis/model/catalog.js';
import { wrapTokenBackbone } from '../src/core/analysis/model/token-backbone.js';
import { standinBytes } from '../test/fixtures/standin-models.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const runs = arg('--runs', 7);
const threads = arg('--threads', os.availableParallelism());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-models-'));

async function time(file: string, output: string, h: number, w: number): Promise<{ ms: number[]; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const input = new ort.Tensor(
    'uint8',
    new Uint8Array(h * w * 3).map((_, i) => (i * 37) & 255),
    [1, h, w, 3],
  );
  let dims: readonly number[] = [];
  const ms: number[] = [];
  for (let r = 0; r <= runs; r++) {
    const t = performance.now();
    const out = await session.run({ pixels: input });
    if (r > 0) ms.push(performance.now() - t); // the first run pays for allocation
    dims = out[output].dims;
  }
  await session.release();
  return { ms: ms.sort((a, b) => a - b), dims };
}

const backbones: { id: string; file: string; output: string; gmacs: number }[] = [];
const inc = ensureInceptionBackbone('mixed7');
backbones.push({ id: 'inception_v3 (mixed7)', file: inc.path, output: inc.output, gmacs: findEntry('inception_v3').gmacs });
for (const id of ['dinov2-small', 'dinov2-base', 'resnet50']) {
  const e = findEntry(id);
  const raw = path.join(dir, `${id}.onnx`);
  fs.writeFileSync(raw, standinBytes(id, 'fp32'));
  const info =
    e.feature.layout === 'tokens'
      ? wrapTokenBackbone(raw, e, dir)
      : importOnnxBackbone(raw, { output: e.feature.tensor, channels: e.feature.channels, mean: e.preprocessing.mean, std: e.preprocessing.std, outDir: dir });
  backbones.push({ id: `${id} stand-in`, file: info.path, output: info.output, gmacs: e.gmacs });
}

console.log(`CPU: ${os.cpus()[0]?.model} x ${os.availableParallelism()}, ${threads} threads, median of ${runs} runs (min-max), batch 1, load ${os.loadavg()[0].toFixed(1)}`);
console.log('| model | GMACs at training size | 224x224: grid, ms | 299x224: grid, ms |');
console.log('| --- | --- | --- | --- |');
for (const b of backbones) {
  const cells: string[] = [];
  for (const [h, w] of [
    [224, 224],
    [224, 299],
  ]) {
    const r = await time(b.file, b.output, h, w);
    const med = r.ms[r.ms.length >> 1];
    cells.push(`${r.dims[2]}x${r.dims[3]}x${r.dims[1]}, ${med.toFixed(0)} (${r.ms[0].toFixed(0)}-${r.ms[r.ms.length - 1].toFixed(0)})`);
  }
  console.log(`| ${b.id} | ${b.gmacs} | ${cells.join(' | ')} |`);
}
fs.rmSync(dir, { recursive: true, force: true });
