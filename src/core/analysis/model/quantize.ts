// int8 backbone: the InceptionV3 graph rebuilt with QuantizeLinear/DequantizeLinear pairs (QDQ)
// that onnxruntime fuses into integer kernels (QLinearConv on uint8 activations x int8 weights).
// Weights are quantized per output channel at build time; activation scales are calibrated by
// running the float graph on sample photos (caltech101 by default) with every activation exposed.
// The result keeps the float graph's input and output, so the tokenizer and the float codebooks
// work unchanged; its manifest records the float graph's sha256, which those codebooks name.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import ort from 'onnxruntime-node';
import { loadNsfwjsInception } from './keras.js';
import { ACTIVATION_OUTPUT_PREFIX, PIXELS_INPUT, inceptionToOnnx, quantizedActivations } from './inception.js';
import { DEFAULT_MODELS_DIR, ensureInceptionBackbone, type BackboneInfo } from './backbone.js';
import { scanToLists } from '../scan.js';
import { loadForModel } from '../decode/decode.js';
import { mulberry32 } from '../../common/random.js';

export const DEFAULT_CALIBRATION_IMAGES = path.resolve(DEFAULT_MODELS_DIR, '../../../shared/datasets/caltech101');

/**
 * How an activation's range is set from its calibration histogram: its maximum, a percentile of
 * all its values, or the clipping point with the least expected squared error (rounding below it,
 * clipping above).
 */
export type CalibrationMethod = 'max' | 'percentile' | 'mse';

export interface QuantizeOptions {
  block?: string;
  /** Folder of photos (searched recursively) to calibrate on. */
  images?: string;
  /** Photos drawn from it (a fixed-seed sample). */
  calibration?: number;
  method?: CalibrationMethod;
  /** For method 'percentile'. */
  percentile?: number;
  resolution?: number;
  seed?: number;
  modelsDir?: string;
  /** Where to write the model (default: <modelsDir>/inception_v3-<block>-int8.onnx). */
  outFile?: string;
  log?: (msg: string) => void;
}

/**
 * Defaults from measurements on ../shared/datasets (docs/EVAL.md, "int8 backbone"): every range
 * choice keeps mAP close to float32's, and least squared error agrees best with float32 on
 * held-out photos (the most VQ tokens identical), so it is the default.
 */
export const QUANTIZE_DEFAULTS = { block: 'mixed7', calibration: 150, method: 'mse' as CalibrationMethod, percentile: 99.999, resolution: 299, seed: 0 };

export function int8BackbonePath(block: string, modelsDir = DEFAULT_MODELS_DIR): string {
  return path.join(modelsDir, `inception_v3-${block}-int8.onnx`);
}

/** The int8 backbone for `block`, quantized on first use (and again whenever the float graph changed). */
export async function ensureInt8Backbone(block: string, modelsDir = DEFAULT_MODELS_DIR, log?: (msg: string) => void): Promise<BackboneInfo> {
  const fp32 = ensureInceptionBackbone(block, modelsDir, log);
  const file = int8BackbonePath(block, modelsDir);
  const manifestFile = file.replace(/\.onnx$/, '.json');
  if (fs.existsSync(file) && fs.existsSync(manifestFile)) {
    const info = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackboneInfo;
    if (info.sourceSha256 === fp32.sha256) return { ...info, path: file };
    log?.(`The ${block} float backbone changed since ${path.basename(file)} was made; quantizing it again ...`);
  }
  if (!fs.existsSync(DEFAULT_CALIBRATION_IMAGES)) {
    throw new Error(`no int8 ${block} backbone yet, and no calibration photos at ${DEFAULT_CALIBRATION_IMAGES}; make it with: photowords model quantize --block ${block} --images DIR`);
  }
  return quantizeBackbone({ block, modelsDir, log });
}

/** Calibrates and writes the int8 backbone (always, replacing any earlier one). */
export async function quantizeBackbone(opts: QuantizeOptions = {}): Promise<BackboneInfo> {
  const o = { ...QUANTIZE_DEFAULTS, images: DEFAULT_CALIBRATION_IMAGES, modelsDir: DEFAULT_MODELS_DIR, ...definedOnly(opts) };
  const log = opts.log ?? (() => undefined);
  const t0 = performance.now();
  const fp32 = ensureInceptionBackbone(o.block, o.modelsDir, log);
  const keras = loadNsfwjsInception();
  const photos = await calibrationPhotos(o.images, o.calibration, o.seed);
  log(`Calibrating int8 ${o.block} on ${photos.length} photos from ${o.images} ...`);
  const histograms = await activationHistograms(keras, o.block, photos, o.resolution, fp32.minSide, log);
  const scales = activationScales(histograms, o.method, o.percentile);
  const bytes = inceptionToOnnx(keras, { outputs: [o.block], quantize: { scales } });
  const file = o.outFile ?? int8BackbonePath(o.block, o.modelsDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, bytes);
  fs.renameSync(`${file}.tmp`, file);
  const methodText = o.method === 'percentile' ? `${o.percentile}th percentile` : o.method === 'mse' ? 'least squared error' : 'maximum';
  const info: BackboneInfo & { calibration: object } = {
    ...fp32,
    path: file,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    source: `${fp32.source}; int8 QDQ: weights per output channel, uint8 activations calibrated (${methodText}) on ${photos.length} photos of ${path.basename(o.images)}`,
    precision: 'int8',
    sourceSha256: fp32.sha256,
    calibration: {
      images: path.basename(o.images),
      photos: photos.length,
      method: o.method,
      ...(o.method === 'percentile' ? { percentile: o.percentile } : {}),
      resolution: o.resolution,
      seed: o.seed,
      seconds: Math.round((performance.now() - t0) / 1000),
    },
  };
  fs.writeFileSync(file.replace(/\.onnx$/, '.json'), JSON.stringify({ ...info, path: path.basename(file) }, null, 2) + '\n');
  log(`Wrote ${file}`);
  return info;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A fixed-seed sample of `count` photos under `dir`. */
export async function calibrationPhotos(dir: string, count: number, seed = 0): Promise<string[]> {
  if (!fs.existsSync(dir)) throw new Error(`calibration photos not found: ${dir}`);
  const { files } = await scanToLists([dir]);
  const all = files.map((f) => f.path).sort();
  if (all.length === 0) throw new Error(`no photos under ${dir}`);
  const rand = mulberry32(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, Math.min(count, all.length));
}

const BINS = 2048;

/** Histogram of non-negative values over [0, BINS x width), the width doubling as larger values arrive. */
export class Histogram {
  readonly counts = new Float64Array(BINS);
  width = 0;
  max = 0;
  total = 0;

  add(data: Float32Array): void {
    let m = 0;
    for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
    if (m > this.max) this.max = m;
    if (this.width === 0 && m > 0) this.width = m / (BINS - 1);
    while (this.width > 0 && m >= this.width * BINS) {
      for (let i = 0; i < BINS / 2; i++) this.counts[i] = this.counts[2 * i] + this.counts[2 * i + 1];
      this.counts.fill(0, BINS / 2);
      this.width *= 2;
    }
    this.total += data.length;
    if (this.width === 0) {
      this.counts[0] += data.length;
      return;
    }
    const inv = 1 / this.width;
    const c = this.counts;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      c[v > 0 ? Math.min(BINS - 1, (v * inv) | 0) : 0]++;
    }
  }

  /** The value below which `p` percent of all values lie (upper edge of its bin, at most the maximum). */
  percentile(p: number): number {
    const target = (this.total * p) / 100;
    let acc = 0;
    for (let i = 0; i < BINS; i++) {
      acc += this.counts[i];
      if (acc >= target) return Math.min(this.max, (i + 1) * this.width);
    }
    return this.max;
  }

  /** The clipping point c (a bin edge) with the least expected squared error for uint8 steps of c/255. */
  leastSquaredError(): number {
    let best = this.max;
    let bestErr = Infinity;
    for (let k = 8; k <= BINS; k++) {
      const c = Math.min(k * this.width, this.max);
      const step = c / 255;
      let err = 0;
      for (let i = 0; i < BINS; i++) {
        const n = this.counts[i];
        if (n === 0) continue;
        const x = (i + 0.5) * this.width;
        err += x > c ? n * (x - c) * (x - c) : n * ((step * step) / 12);
      }
      if (err < bestErr) {
        bestErr = err;
        best = c;
      }
    }
    return best;
  }
}

/** Runs the float graph with every quantized activation exposed and histograms each one. */
export async function activationHistograms(
  keras: ReturnType<typeof loadNsfwjsInception>,
  block: string,
  photos: string[],
  resolution: number,
  minSide: number,
  log: (msg: string) => void = () => undefined,
): Promise<Map<string, Histogram>> {
  const names = quantizedActivations(keras, [block]);
  const graph = inceptionToOnnx(keras, { outputs: [block], exposeActivations: true });
  const session = await ort.InferenceSession.create(Buffer.from(graph), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const histograms = new Map(names.map((n) => [n, new Histogram()]));
  const fetches = names.map((n) => `${ACTIVATION_OUTPUT_PREFIX}${n}`);
  let used = 0;
  try {
    for (const file of photos) {
      let img;
      try {
        img = await loadForModel(file, resolution, { minSide });
      } catch (e) {
        log(`skipped ${file}: ${(e as Error).message}`);
        continue;
      }
      const input = new ort.Tensor('uint8', img.pixels, [1, img.height, img.width, 3]);
      const out = await session.run({ [PIXELS_INPUT]: input }, fetches);
      names.forEach((n, i) => {
        const t = out[fetches[i]];
        histograms.get(n)!.add(t.data as Float32Array);
        t.dispose();
      });
      if (++used % 50 === 0) log(`  ${used}/${photos.length} photos`);
    }
  } finally {
    await session.release();
  }
  if (used === 0) throw new Error('no calibration photo could be read');
  return histograms;
}

/** uint8 scales (zero point 0) from the histograms. */
export function activationScales(histograms: Map<string, Histogram>, method: CalibrationMethod, percentile = QUANTIZE_DEFAULTS.percentile): Record<string, number> {
  const scales: Record<string, number> = {};
  for (const [name, h] of histograms) {
    const range = method === 'max' ? h.max : method === 'percentile' ? h.percentile(percentile) : h.leastSquaredError();
    // A layer that stayed at zero on every calibration photo still needs a valid scale.
    scales[name] = (range > 0 ? range : 1) / 255;
  }
  return scales;
}
