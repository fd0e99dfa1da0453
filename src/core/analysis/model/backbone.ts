// Backbones: graphs that take uint8 RGB pixels [N, H, W, 3] and return one conv feature map
// [N, C, H/s, W/s]. The default is derived from the installed nsfwjs package on first use (the
// 90 MB file is never committed); any other ONNX CNN goes through importOnnxBackbone.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { loadNsfwjsInception } from './keras.js';
import { INCEPTION_BLOCK_SHAPES, PIXELS_INPUT, inceptionToOnnx } from './inception.js';
import { DType } from './onnx-graph.js';

const onnx = onnxProto.onnx;

export interface BackboneInfo {
  /** 'inception_v3' for the built-in model, else the imported file's base name. */
  name: string;
  path: string;
  /** Name of the feature-map output (for the built-in model: the Keras block name). */
  output: string;
  channels: number;
  /** Smallest input side the graph accepts. */
  minSide: number;
  preprocessing: string;
  sha256: string;
  source: string;
  /** 'int8' for a quantized graph (model/quantize.ts); absent means float32. */
  precision?: 'fp32' | 'int8';
  /** For a graph derived from another (the int8 one): that graph's sha256, which its codebooks were trained on. */
  sourceSha256?: string;
}

/**
 * resources/models of the checkout, found from this file in src/core/analysis/model/. A bundle (the Electron
 * app's out/main/) sits elsewhere, so whoever starts one says where the models are with
 * PHOTOWORDS_MODELS_DIR (read once, when this module loads).
 */
export const DEFAULT_MODELS_DIR = process.env.PHOTOWORDS_MODELS_DIR
  ? path.resolve(process.env.PHOTOWORDS_MODELS_DIR)
  : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../resources/models');

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Builds resources/models/inception_v3-<block>.onnx (and its manifest) unless it is already there. */
export function ensureInceptionBackbone(block: string, modelsDir = DEFAULT_MODELS_DIR, log?: (msg: string) => void): BackboneInfo {
  const shape = INCEPTION_BLOCK_SHAPES[block];
  if (!shape) throw new Error(`unknown InceptionV3 block "${block}"; choose one of ${Object.keys(INCEPTION_BLOCK_SHAPES).join(', ')}`);
  const file = path.join(modelsDir, `inception_v3-${block}.onnx`);
  const manifestFile = file.replace(/\.onnx$/, '.json');
  if (fs.existsSync(file) && fs.existsSync(manifestFile)) {
    const info = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackboneInfo;
    return { ...info, path: file };
  }
  log?.(`Building the ${block} backbone from the nsfwjs InceptionV3 (one time) ...`);
  const keras = loadNsfwjsInception();
  const bytes = inceptionToOnnx(keras, { outputs: [block] });
  fs.mkdirSync(modelsDir, { recursive: true });
  // Write then rename so an interrupted build never leaves a half file that looks complete.
  fs.writeFileSync(`${file}.tmp`, bytes);
  fs.renameSync(`${file}.tmp`, file);
  const info: BackboneInfo = {
    name: 'inception_v3',
    path: file,
    output: block,
    channels: shape.channels,
    minSide: 75,
    preprocessing: 'uint8 RGB NHWC in; inside the graph: float RGB/255 in [0, 1], NCHW (as nsfwjs feeds the model)',
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    source: `npm ${keras.source.package}@${keras.source.version} dist/models/inception_v3 (Keras 2.2.4 InceptionV3; up to mixed5 ImageNet weights, later blocks fine-tuned by nsfwjs); batch norm folded into convolutions`,
  };
  fs.writeFileSync(manifestFile, JSON.stringify({ ...info, path: path.basename(file) }, null, 2) + '\n');
  return info;
}

export interface ImportOptions {
  /** Name of the conv feature-map tensor to stop at, e.g. a ResNet-50's last block output. */
  output: string;
  /** Channel count of that output. */
  channels: number;
  /** Per-channel normalisation the network was trained with, on RGB scaled to [0, 1]. */
  mean?: [number, number, number];
  std?: [number, number, number];
  minSide?: number;
  outDir?: string;
}

/**
 * Wraps a user's ONNX CNN (NCHW float input) so it takes our uint8 NHWC pixels and returns the
 * named intermediate feature map: preprocessing nodes in front, everything after the output pruned,
 * and the spatial input dimensions made dynamic so any aspect ratio can be fed.
 */
export function importOnnxBackbone(file: string, opts: ImportOptions): BackboneInfo {
  if (!fs.existsSync(file)) throw new Error(`ONNX backbone not found: ${file}`);
  const model = onnx.ModelProto.decode(fs.readFileSync(file));
  const graph = model.graph;
  if (!graph) throw new Error(`${file} has no graph`);
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const realInputs = (graph.input ?? []).filter((i) => !initNames.has(i.name));
  if (realInputs.length !== 1) throw new Error(`${file}: expected one image input, found ${realInputs.length}`);
  const inputName = realInputs[0].name!;
  const producers = new Map<string, onnxProto.onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producers.set(o, n);
  if (!producers.has(opts.output)) {
    throw new Error(`${file}: no tensor named "${opts.output}"; pass the name of the last convolutional block's output`);
  }
  // Keep only the nodes the feature map depends on.
  const keep = new Set<onnxProto.onnx.INodeProto>();
  const stack = [opts.output];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const n = producers.get(t);
    if (n && !keep.has(n)) {
      keep.add(n);
      stack.push(...(n.input ?? []).filter(Boolean));
    }
  }
  const mean = opts.mean ?? [0.485, 0.456, 0.406];
  const std = opts.std ?? [0.229, 0.224, 0.225];
  const f32 = (name: string, values: number[], dims: number[]) => ({
    name,
    dims,
    dataType: DType.FLOAT,
    rawData: new Uint8Array(new Float32Array(values).buffer),
  });
  const pre: onnxProto.onnx.INodeProto[] = [
    { opType: 'Cast', input: [PIXELS_INPUT], output: ['pw_float'], attribute: [{ name: 'to', type: 2, i: DType.FLOAT }] },
    { opType: 'Transpose', input: ['pw_float'], output: ['pw_nchw'], attribute: [{ name: 'perm', type: 7, ints: [0, 3, 1, 2] }] },
    { opType: 'Mul', input: ['pw_nchw', 'pw_inv255'], output: ['pw_unit'] },
    { opType: 'Sub', input: ['pw_unit', 'pw_mean'], output: ['pw_centred'] },
    { opType: 'Div', input: ['pw_centred', 'pw_std'], output: [inputName] },
  ];
  const keptNodes = (graph.node ?? []).filter((n) => keep.has(n));
  const used = new Set(keptNodes.flatMap((n) => n.input ?? []));
  graph.node = [...pre, ...keptNodes];
  graph.initializer = [...(graph.initializer ?? []).filter((t) => used.has(t.name!)), f32('pw_inv255', [1 / 255], []), f32('pw_mean', mean, [1, 3, 1, 1]), f32('pw_std', std, [1, 3, 1, 1])];
  graph.input = [
    {
      name: PIXELS_INPUT,
      type: { tensorType: { elemType: DType.UINT8, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'height' }, { dimParam: 'width' }, { dimValue: 3 }] } } },
    },
  ];
  graph.output = [
    {
      name: opts.output,
      type: { tensorType: { elemType: DType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: opts.channels }, { dimParam: 'fh' }, { dimParam: 'fw' }] } } },
    },
  ];
  // Shapes recorded for the original fixed input size would contradict dynamic inputs.
  graph.valueInfo = [];
  const bytes = onnx.ModelProto.encode(model).finish();
  const base = path.basename(file).replace(/\.onnx$/i, '');
  const outDir = opts.outDir ?? DEFAULT_MODELS_DIR;
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, `${base}-${opts.output.replace(/[^A-Za-z0-9_.-]/g, '_')}.onnx`);
  fs.writeFileSync(`${outFile}.tmp`, bytes);
  fs.renameSync(`${outFile}.tmp`, outFile);
  const info: BackboneInfo = {
    name: base,
    path: outFile,
    output: opts.output,
    channels: opts.channels,
    minSide: opts.minSide ?? 32,
    preprocessing: `uint8 RGB NHWC in; inside the graph: RGB/255, minus mean ${mean.join(',')}, over std ${std.join(',')}, NCHW`,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    source: `${path.resolve(file)} (sha256 ${sha256File(file)})`,
  };
  fs.writeFileSync(outFile.replace(/\.onnx$/, '.json'), JSON.stringify({ ...info, path: path.basename(outFile) }, null, 2) + '\n');
  return info;
}
