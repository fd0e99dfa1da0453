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

/**
 * The pixels a file fixed at `size` takes, as the catalogue's preprocessing says (shortest side to
 * 256/224 of the crop, bicubic; centre crop): [N, 3, H, W] of any size in, [N, 3, size, size] out.
 * Built from Shape/Slice/Min/Resize only, ops whose form is the same from opset 13 on, because the
 * nodes join the export's own graph and its opset.
 */
function centreCropNodes(from: string, to: string, size: number, resizeTo: number): { nodes: Node[]; consts: onnxProto.onnx.ITensorProto[] } {
  const nodes: Node[] = [
    node('Shape', [from], 'pw_in_shape'),
    node('Slice', ['pw_in_shape', 'pw_two', 'pw_four'], 'pw_in_hw'),
    node('Cast', ['pw_in_hw'], 'pw_in_hwf', [{ name: 'to', type: 2, i: DType.FLOAT }]),
    node('Slice', ['pw_in_hwf', 'pw_zero', 'pw_one'], 'pw_in_h'),
    node('Slice', ['pw_in_hwf', 'pw_one', 'pw_two'], 'pw_in_w'),
    node('Min', ['pw_in_h', 'pw_in_w'], 'pw_in_short'),
    node('Div', ['pw_resize_to', 'pw_in_short'], 'pw_resize_scale'),
    node('Mul', ['pw_in_hwf', 'pw_resize_scale'], 'pw_resized_hwf'),
    node('Round', ['pw_resized_hwf'], 'pw_resized_hwr'),
    node('Cast', ['pw_resized_hwr'], 'pw_resized_hw', [{ name: 'to', type: 2, i: DType.INT64 }]),
    node('Slice', ['pw_in_shape', 'pw_zero', 'pw_two'], 'pw_in_nc'),
    node('Concat', ['pw_in_nc', 'pw_resized_hw'], 'pw_resize_sizes', [{ name: 'axis', type: 2, i: 0 }]),
    // PIL's bicubic (a = -0.5), which the export's preprocessor uses; clamped to the pixel range as PIL's uint8 result is.
    node('Resize', [from, '', '', 'pw_resize_sizes'], 'pw_resized', [
      { name: 'mode', type: 3, s: new TextEncoder().encode('cubic') },
      { name: 'cubic_coeff_a', type: 1, f: -0.5 },
    ]),
    node('Max', ['pw_resized', 'pw_pixel_min'], 'pw_resized_lo'),
    node('Min', ['pw_resized_lo', 'pw_pixel_max'], 'pw_resized_clamped'),
    node('Sub', ['pw_resized_hw', 'pw_crop'], 'pw_crop_margin'),
    node('Div', ['pw_crop_margin', 'pw_two'], 'pw_crop_start'),
    node('Add', ['pw_crop_start', 'pw_crop'], 'pw_crop_end'),
    node('Slice', ['pw_resized_clamped', 'pw_crop_start', 'pw_crop_end', 'pw_axes_hw'], to),
  ];
  const consts = [
    f32('pw_resize_to', [resizeTo], [1]),
    f32('pw_pixel_min', [0], []),
    f32('pw_pixel_max', [255], []),
    i64('pw_crop', [size, size]),
    i64('pw_axes_hw', [2, 3]),
    i64('pw_zero', [0]),
    i64('pw_two', [2]),
    i64('pw_four', [4]),
  ];
  return { nodes, consts };
}

/**
 * `fixedInput`: the side the file takes and no other (the install's probe found a larger input
 * failing): every photo is then resized and centre-cropped to it inside the wrapped graph, so the
 * grid is always size/patch square. null: the photo's own size passes through.
 */
export function wrapTokenBackbone(file: string, entry: CatalogEntry, outDir = path.dirname(file), fixedInput: number | null = null): BackboneInfo {
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
    node('Transpose', ['pw_float'], fixedInput ? 'pw_nchw_photo' : 'pw_nchw', [{ name: 'perm', type: 7, ints: [0, 3, 1, 2] }]),
    node('Mul', ['pw_nchw', 'pw_scale'], 'pw_unit'),
    node('Sub', ['pw_unit', 'pw_mean'], 'pw_centred'),
    node('Div', ['pw_centred', 'pw_std'], p.inputName),
  ];
  // The catalogue's resize is "shortest side to 256" for a 224 crop: the same ratio at any size.
  const crop = fixedInput ? centreCropNodes('pw_nchw_photo', 'pw_nchw', fixedInput, Math.round((fixedInput * 256) / 224)) : null;
  if (crop) pre.splice(2, 0, ...crop.nodes);
  // Patch tokens (past the CLS/register prefix) back onto the photo's grid: [N, T, C] -> [N, C, H/p, W/p].
  const post: Node[] = [
    node('Slice', [f.tensor, 'pw_prefix', 'pw_big', 'pw_axis1'], 'pw_patches'),
    node('Transpose', ['pw_patches'], 'pw_channels_first', [{ name: 'perm', type: 7, ints: [0, 2, 1] }]),
    // The grid follows the pixels the model saw: the photo's, or the crop's.
    node('Shape', [fixedInput ? 'pw_nchw' : PIXELS_INPUT], 'pw_shape'),
    node('Slice', ['pw_shape', fixedInput ? 'pw_two' : 'pw_one', fixedInput ? 'pw_four' : 'pw_three'], 'pw_hw'),
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
    // Without the crop the grid's height and width are the photo's, dims 1 and 2 of NHWC.
    ...(fixedInput ? [] : [i64('pw_three', [3])]),
    i64('pw_patch', [f.stride]),
    // Reshape's 0 keeps the batch dimension as it is.
    i64('pw_zero_c', [0, f.channels]),
    ...(crop ? crop.consts : []),
  ];
  g.input = [
    ...(g.input ?? []).filter((i) => i.name !== p.inputName),
    { name: PIXELS_INPUT, type: { tensorType: { elemType: DType.UINT8, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'height' }, { dimParam: 'width' }, { dimValue: 3 }] } } } },
  ];
  g.output = [{ name: PATCH_GRID, type: { tensorType: { elemType: DType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: f.channels }, { dimParam: 'fh' }, { dimParam: 'fw' }] } } } }];
  const bytes = onnx.ModelProto.encode(model).finish();
  fs.mkdirSync(outDir, { recursive: true });
  // The int8 file gets its own wrapped graph: one name for both would leave the fp32 record pointing at int8.
  const int8 = entry.files.find((x) => x.fileName === path.basename(file))?.variant === 'int8';
  const out = path.join(outDir, `${entry.id}-${int8 ? 'int8-' : ''}${PATCH_GRID}.onnx`);
  fs.writeFileSync(`${out}.tmp`, bytes);
  fs.renameSync(`${out}.tmp`, out);
  const info: BackboneInfo = {
    name: entry.id,
    path: out,
    output: PATCH_GRID,
    channels: f.channels,
    minSide: 2 * f.stride,
    preprocessing: `uint8 RGB NHWC in; inside the graph: ${fixedInput ? `shortest side to ${Math.round((fixedInput * 256) / 224)} (bicubic) and a centre crop of ${fixedInput}x${fixedInput} (the file takes no other size), ` : ''}RGB x ${p.scale.toFixed(6)}, minus mean ${p.mean.join(',')}, over std ${p.std.join(',')}, NCHW; patch tokens past ${f.prefixTokens} prefix token(s) as a [C, H/${f.stride}, W/${f.stride}] map`,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    source: `${path.resolve(file)} (sha256 ${crypto.createHash('sha256').update(source).digest('hex')})`,
  };
  fs.writeFileSync(out.replace(/\.onnx$/, '.json'), JSON.stringify({ ...info, path: path.basename(out) }, null, 2) + '\n');
  return info;
}
