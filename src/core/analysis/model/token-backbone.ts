// Wraps a ViT export (pixel_values [N, 3, H, W] -> tokens [N, prefix + h*w, C]) as a backbone the
// engine already reads: uint8 RGB pixels [N, H, W, 3] in, a feature map [N, C, H/p, W/p] out. The
// ViT's counterpart of backbone.ts importOnnxBackbone, which does the same for a CNN; the manifest
// beside it is the one `--backbone file.onnx` loads. Whether the export takes sizes other than its
// training size is the probe's to say (probe.ts); this graph passes the photo's size through.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import onnxProto from 'onnx-proto';
import type { BackboneInfo } from './backbone.js';
import type { CatalogEntry } from './catalog.js';
import { PIXELS_INPUT } from './inception.js';
import { DType } from './onnx-graph.js';

const onnx = onnxProto.onnx;
type Node = onnxProto.onnx.INodeProto;

/** The feature map's name in the wrapped graph. */
export const PATCH_GRID = 'patch_grid';

const f32 = (name: string, values: number[], dims: number[]) => ({ name, dims, dataType: DType.FLOAT, rawData: new Uint8Array(new Float32Array(values).buffer) });
const i64 = (name: string, values: number[]) => ({ name, dims: [values.length], dataType: DType.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []): Node => ({ opType, input, output: [output], attribute, name: `pw_${output}` });

export function wrapTokenBackbone(file: string, entry: CatalogEntry, outDir = path.dirname(file)): BackboneInfo {
  const f = entry.feature;
  const p = entry.preprocessing;
  if (f.layout !== 'tokens') throw new Error(`${entry.id}: wrapTokenBackbone is for token outputs; a CNN goes through importOnnxBackbone`);
  const source = fs.readFileSync(file);
  const model = onnx.ModelProto.decode(source);
  const g = model.graph;
  if (!g) throw new Error(`${file} has no graph`);
  if (!(g.input ?? []).some((i) => i.name === p.inputName)) throw new Error(`${file}: no input named "${p.inputName}"`);
  if (!(g.node ?? []).some((n) => (n.output ?? []).includes(f.tensor))) throw new Error(`${file}: no tensor named "${f.tensor}"`);
  const pre: Node[] = [
    node('Cast', [PIXELS_INPUT], 'pw_float', [{ name: 'to', type: 2, i: DType.FLOAT }]),
    node('Transpose', ['pw_float'], 'pw_nchw', [{ name: 'perm', type: 7, ints: [0, 3, 1, 2] }]),
    node('Mul', ['pw_nchw', 'pw_scale'], 'pw_unit'),
    node('Sub', ['pw_unit', 'pw_mean'], 'pw_centred'),
    node('Div', ['pw_centred', 'pw_std'], p.inputName),
  ];
  // Patch tokens (past the CLS/register prefix) back onto the photo's grid: [N, T, C] -> [N, C, H/p, W/p].
  const post: Node[] = [
    node('Slice', [f.tensor, 'pw_prefix', 'pw_big', 'pw_axis1'], 'pw_patches'),
    node('Transpose', ['pw_patches'], 'pw_channels_first', [{ name: 'perm', type: 7, ints: [0, 2, 1] }]),
    node('Shape', [PIXELS_INPUT], 'pw_shape'),
    node('Slice', ['pw_shape', 'pw_one', 'pw_three'], 'pw_hw'),
    node('Div', ['pw_hw', 'pw_patch'], 'pw_grid_hw'),
    node('Concat', ['pw_zero_c', 'pw_grid_hw'], 'pw_grid_shape', [{ name: 'axis', type: 2, i: 0 }]),
    node('Reshape', ['pw_channels_first', 'pw_grid_shape'], PATCH_GRID),
  ];
  g.node = [...pre, ...(g.node ?? []), ...post];
  g.initializer = [
    ...(g.initializer ?? []),
    f32('pw_scale', [p.scale], []),
    f32('pw_mean', p.mean, [1, 3, 1, 1]),
    f32('pw_std', p.std, [1, 3, 1, 1]),
    i64('pw_prefix', [f.prefixTokens]),
    i64('pw_big', [2 ** 31 - 1]),
    i64('pw_axis1', [1]),
    i64('pw_one', [1]),
    i64('pw_three', [3]),
    i64('pw_patch', [f.stride]),
    // Reshape's 0 keeps the batch dimension as it is.
    i64('pw_zero_c', [0, f.channels]),
  ];
  g.input = [
    ...(g.input ?? []).filter((i) => i.name !== p.inputName),
    { name: PIXELS_INPUT, type: { tensorType: { elemType: DType.UINT8, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'height' }, { dimParam: 'width' }, { dimValue: 3 }] } } } },
  ];
  g.output = [{ name: PATCH_GRID, type: { tensorType: { elemType: DType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: f.channels }, { dimParam: 'fh' }, { dimParam: 'fw' }] } } } }];
  const bytes = onnx.ModelProto.encode(model).finish();
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `${entry.id}-${PATCH_GRID}.onnx`);
  fs.writeFileSync(`${out}.tmp`, bytes);
  fs.renameSync(`${out}.tmp`, out);
  const info: BackboneInfo = {
    name: entry.id,
    path: out,
    output: PATCH_GRID,
    channels: f.channels,
    minSide: 2 * f.stride,
    preprocessing: `uint8 RGB NHWC in; inside the graph: RGB x ${p.scale.toFixed(6)}, minus mean ${p.mean.join(',')}, over std ${p.std.join(',')}, NCHW; patch tokens past ${f.prefixTokens} prefix token(s) as a [C, H/${f.stride}, W/${f.stride}] map`,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    source: `${path.resolve(file)} (sha256 ${crypto.createHash('sha256').update(source).digest('hex')})`,
  };
  fs.writeFileSync(out.replace(/\.onnx$/, '.json'), JSON.stringify({ ...info, path: path.basename(out) }, null, 2) + '\n');
  return info;
}
