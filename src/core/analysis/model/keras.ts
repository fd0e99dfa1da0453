// Reads the Keras InceptionV3 that the nsfwjs npm package ships (a tfjs LayersModel) without tfjs:
// the topology is plain JSON and the weights are uint8-quantized tensors stored as base64 strings
// inside CommonJS modules. We only need both as data, to rebuild the graph in ONNX.
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';

const require = createRequire(import.meta.url);

export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Names of the layers feeding this one, in order. */
  inputs: string[];
}

export interface KerasTensor {
  shape: number[];
  data: Float32Array;
}

export interface KerasModel {
  layers: KerasLayer[];
  weights: Map<string, KerasTensor>;
  /** Raw topology and manifest, so a tfjs reference can load the very same model in tests. */
  topology: unknown;
  weightSpecs: WeightSpec[];
  weightBytes: Uint8Array;
  source: { package: string; version: string; dir: string };
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min: number; scale: number; dtype: string };
}

/** Folder of the nsfwjs InceptionV3 model files inside the installed package. */
export function nsfwjsModelDir(): { dir: string; version: string } {
  // The package's "exports" map hides dist/models, so locate the package root from its entry point.
  let dir = path.dirname(require.resolve('nsfwjs'));
  let pkg: { name?: string; version?: string } = {};
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === 'nsfwjs') break;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the nsfwjs package root; reinstall dependencies (npm ci)');
    dir = up;
  }
  const version = pkg.version!;
  const modelDir = path.join(dir, 'dist', 'models', 'inception_v3');
  if (!fs.existsSync(path.join(modelDir, 'model.min.js'))) {
    throw new Error(`nsfwjs ${version} has no InceptionV3 model at ${modelDir}; reinstall dependencies (npm ci)`);
  }
  return { dir: modelDir, version };
}

export function loadNsfwjsInception(): KerasModel {
  const { dir, version } = nsfwjsModelDir();
  const model = require(path.join(dir, 'model.min.js')) as {
    modelTopology: { model_config: { config: { layers: RawLayer[] } } };
    weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  };
  const layers = model.modelTopology.model_config.config.layers.map(toLayer);
  const manifest = model.weightsManifest;
  const shards: Buffer[] = [];
  const specs: WeightSpec[] = [];
  for (const group of manifest) {
    for (const p of group.paths) {
      const b64 = require(path.join(dir, `${p}.min.js`)) as string;
      shards.push(Buffer.from(b64, 'base64'));
    }
    specs.push(...group.weights);
  }
  const bytes = new Uint8Array(Buffer.concat(shards));
  const weights = new Map<string, KerasTensor>();
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    const q = spec.quantization;
    if (q) {
      if (q.dtype !== 'uint8') throw new Error(`unsupported weight quantization ${q.dtype} for ${spec.name}`);
      for (let i = 0; i < count; i++) data[i] = bytes[offset + i] * q.scale + q.min;
      offset += count;
    } else {
      if (spec.dtype !== 'float32') throw new Error(`unsupported weight dtype ${spec.dtype} for ${spec.name}`);
      data.set(new Float32Array(bytes.slice(offset, offset + count * 4).buffer));
      offset += count * 4;
    }
    weights.set(spec.name, { shape: spec.shape, data });
  }
  if (offset !== bytes.length) {
    throw new Error(`nsfwjs weights: manifest covers ${offset} bytes but shards hold ${bytes.length}`);
  }
  return {
    layers,
    weights,
    topology: model.modelTopology,
    weightSpecs: specs,
    weightBytes: bytes,
    source: { package: 'nsfwjs', version, dir },
  };
}

interface RawLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

function toLayer(l: RawLayer): KerasLayer {
  const inbound = l.inbound_nodes[0] ?? [];
  return { name: l.name, className: l.class_name, config: l.config, inputs: inbound.map((n) => n[0]) };
}
