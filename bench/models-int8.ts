// fp32 against int8 for the ViT catalogue models: the full-size stand-in (real architecture, random
// weights) and the same graph quantized by quantize-dynamic.ts (MatMulInteger, as onnxruntime's
// quantize_dynamic and the Xenova int8 exports). Batch 1 at 224x224, median of 7 runs after a
// warm-up, with 2 threads and with 1 (as the indexer runs two sessions), CPU time and load; and how
// far the int8 output is from the fp32 one (cosine of the token vectors).
//   nice -n 10 node --import tsx bench/models-int8.ts [--ids dinov2-small,dinov2-base]
import os from 'node:os';
import fs from 'node:fs';
import ort from 'onnxruntime-node';
import { vitOnnx, VIT_SHAPES } from '../test/fixtures/standin-models.js';
import { quantizeDynamic } from '../src/core/analysis/model/quantize-dynamic.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/\b(avx512_vnni|avx_vnni|amx_int8)\b/g) ?? [];
console.log(`${os.cpus()[0]?.model} x ${os.cpus().length}; int8 flags: ${[...new Set(flags)].join(' ') || 'none'}; load ${load()}`);

const input = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i * 0.001) * 2);
async function time(bytes: Uint8Array, threads: number): Promise<{ ms: number; min: number; max: number; cpuMs: number; out: Float32Array }> {
  const s = await ort.InferenceSession.create(Buffer.from(bytes), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const feed = { pixel_values: new ort.Tensor('float32', input, [1, 3, 224, 224]) };
  let out = (await s.run(feed)).last_hidden_state.data as Float32Array;
  const ms: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    out = (await s.run(feed)).last_hidden_state.data as Float32Array;
    ms.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  await s.release();
  ms.sort((a, b) => a - b);
  return { ms: ms[3], min: ms[0], max: ms[6], cpuMs: (c.user + c.system) / 1000 / 7, out };
}

function meanCosine(a: Float32Array, b: Float32Array, dim: number): number {
  let sum = 0;
  const n = a.length / dim;
  for (let t = 0; t < n; t++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let d = t * dim; d < t * dim + dim; d++) {
      ab += a[d] * b[d];
      aa += a[d] * a[d];
      bb += b[d] * b[d];
    }
    sum += ab / Math.sqrt(aa * bb);
  }
  return sum / n;
}

for (const id of arg('ids', 'dinov2-small,dinov2-base').split(',')) {
  const shape = VIT_SHAPES[id];
  const fp32 = vitOnnx(shape, 0);
  const { bytes: int8, quantized } = quantizeDynamic(fp32);
  const row: Record<string, string | number> = { id, fp32MB: +(fp32.length / 1e6).toFixed(1), int8MB: +(int8.length / 1e6).toFixed(1), quantizedMatMuls: quantized };
  for (const threads of [2, 1]) {
    const a = await time(fp32, threads);
    const b = await time(int8, threads);
    row[`fp32 ms (${threads} thr)`] = `${a.ms.toFixed(0)} (${a.min.toFixed(0)}-${a.max.toFixed(0)}), CPU ${a.cpuMs.toFixed(0)}`;
    row[`int8 ms (${threads} thr)`] = `${b.ms.toFixed(0)} (${b.min.toFixed(0)}-${b.max.toFixed(0)}), CPU ${b.cpuMs.toFixed(0)}`;
    row[`speed-up (${threads} thr)`] = +(a.ms / b.ms).toFixed(2);
    if (threads === 2) row.cosine = +meanCosine(a.out, b.out, shape.dim).toFixed(4);
  }
  row.load = load();
  console.log(JSON.stringify(row));
}
