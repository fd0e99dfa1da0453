// k-means alone, on real head vectors: the built-in InceptionV3's mixed7 cells (768 channels, 8
// heads of 96 dims) from caltech101 photos, split and L2-normalised as train.ts does. The vectors
// are cached under ~/.cache/photowords/bench/models-kmeans/ (keyed by photos, vectors and heads;
// the JSON says when a run read them from there). Prints seconds, CPU seconds, load and the
// inertia per pass, and the inertia of held-out vectors against the codebook (quantization error
// on vectors k-means never saw).
//   nice -n 10 node --import tsx bench/models-kmeans.ts [--photos 300] [--vectors 200000] [--codes 4096] [--iterations 10] [--heads 8|16]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scanToLists } from '../src/core/analysis/scan.js';
import { loadForModel } from '../src/core/analysis/decode/decode.js';
import { BackboneSession } from '../src/core/analysis/model/tokenizer.js';
import { ensureInceptionBackbone } from '../src/core/analysis/model/backbone.js';
import { normaliseHeads } from '../src/core/analysis/model/vq.js';
import { mulberry32 } from '../src/core/common/random.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const PHOTOS = Number(arg('photos', '300'));
const VECTORS = Number(arg('vectors', '200000'));
const CODES = Number(arg('codes', '4096'));
const ITER = Number(arg('iterations', '10'));
const HEADS = Number(arg('heads', '8'));
const HELD_OUT = 20_000;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function vectors(): Promise<{ points: Float32Array; dim: number; cached: string | null }> {
  const dir = path.join(os.homedir(), '.cache/photowords/bench/models-kmeans');
  const file = path.join(dir, `mixed7-p${PHOTOS}-v${VECTORS + HELD_OUT}-h${HEADS}.f32`);
  const dim = 768 / HEADS;
  if (fs.existsSync(file)) {
    const b = fs.readFileSync(file);
    return { points: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), dim, cached: `${file} (${fs.statSync(file).mtime.toISOString()})` };
  }
  // One photo of each class in turn, as a model change samples the shipped dataset.
  const { files } = await scanToLists([path.resolve('../shared/datasets/caltech101')]);
  const byClass = new Map<string, string[]>();
  for (const f of files) byClass.set(path.dirname(f.path), [...(byClass.get(path.dirname(f.path)) ?? []), f.path]);
  const lists = [...byClass.values()].map((l) => l.sort());
  const chosen: string[] = [];
  for (let r = 0; chosen.length < PHOTOS; r++) for (const l of lists) if (chosen.length < PHOTOS && l[r]) chosen.push(l[r]);
  const info = await ensureInceptionBackbone('mixed7');
  const session = await BackboneSession.open(info, { provider: 'cpu' });
  const want = VECTORS + HELD_OUT;
  const perImage = Math.ceil(want / chosen.length);
  const points = new Float32Array(want * dim);
  const rand = mulberry32(3);
  let count = 0;
  const cell = new Float32Array(768);
  const unit = new Float32Array(768);
  for (const f of chosen) {
    const img = await loadForModel(f, 299, { minSide: info.minSide });
    const feat = await session.features([img]);
    const data = feat.data as Float32Array;
    const [, C, h, w] = feat.dims;
    const cells = h * w;
    for (let i = 0; i < perImage && count < want; i++) {
      const c = Math.floor(rand() * cells);
      const hd = Math.floor(rand() * HEADS);
      for (let ch = 0; ch < C; ch++) cell[ch] = data[ch * cells + c];
      normaliseHeads(cell, HEADS, dim, unit, 0);
      points.set(unit.subarray(hd * dim, hd * dim + dim), count++ * dim);
    }
  }
  await session.release();
  // Shuffle so the held-out tail comes from every photo.
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    for (let d = 0; d < dim; d++) [points[i * dim + d], points[j * dim + d]] = [points[j * dim + d], points[i * dim + d]];
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, points.subarray(0, count * dim));
  return { points: points.subarray(0, count * dim), dim, cached: null };
}

/** Mean squared distance of each point to its nearest centroid. */
function quantError(points: Float32Array, dim: number, centroids: Float32Array): number {
  const n = points.length / dim;
  const k = centroids.length / dim;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let c = 0; c < k; c++) {
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const t = points[i * dim + d] - centroids[c * dim + d];
        d2 += t * t;
      }
      if (d2 < best) best = d2;
    }
    total += best;
  }
  return total / n;
}

// --impl FILE: another kmeans module (the code before a change) timed on the same vectors.
const { kmeans } = (await import(arg('impl', '../src/core/analysis/model/kmeans.js'))) as typeof import('../src/core/analysis/model/kmeans.js');
const { points, dim, cached } = await vectors();
const n = points.length / dim;
const train = points.subarray(0, Math.min(VECTORS, n - HELD_OUT) * dim);
const held = points.subarray((n - HELD_OUT) * dim);
console.log(`${train.length / dim} vectors of ${dim} dims, ${CODES} codes, ${ITER} passes; ${cached ? `vectors from the cache ${cached}` : 'vectors read now'}; load ${load()}`);
const t0 = performance.now();
const c0 = process.cpuUsage();
let last = t0;
let lastCpu = c0;
const result = await kmeans(train, dim, {
  k: CODES,
  iterations: ITER,
  seed: 1,
  onIteration: (it, inertia, moved) => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const cpuS = (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1e6;
    console.log(
      `  pass ${it + 1}${it === 0 ? ' (with the seeding)' : ''}: inertia ${inertia.toFixed(1)}, ${moved} moved, ${((now - last) / 1000).toFixed(2)} s, CPU ${cpuS.toFixed(2)} s (load ${load()})`,
    );
    last = now;
    lastCpu = cpu;
  },
});
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
const heldErr = quantError(held, dim, result.centroids);
const out = {
  vectors: train.length / dim,
  dim,
  codes: CODES,
  passes: result.iterations,
  wallS: Number(wall.toFixed(2)),
  cpuS: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
  inertiaPerVector: Number((result.inertia / (train.length / dim)).toFixed(5)),
  heldOutErrorPerVector: Number(heldErr.toFixed(5)),
  load: load(),
  cached,
};
console.log(JSON.stringify(out));
