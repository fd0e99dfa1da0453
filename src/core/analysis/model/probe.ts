// The first run of an installed model: load it in onnxruntime, feed one input at the training size
// and one larger, and read the feature tensor's shape. The catalogue's grid claims come from the
// architecture; this is where they meet the real file (a ViT export may be fixed at 224).
import fs from 'node:fs';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { expectedGrid, gridFromOutput, type CatalogEntry } from './catalog.js';
import { DType } from './onnx-graph.js';

const onnx = onnxProto.onnx;

/** The model with `tensor` made a graph output, where it is an inner tensor (ResNet's stage 4). */
export function withFeatureOutput(bytes: Uint8Array, tensor: string): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  if (!g) throw new Error('the file holds no graph');
  if ((g.output ?? []).some((o) => o.name === tensor)) return bytes;
  const produced = (g.node ?? []).some((n) => (n.output ?? []).includes(tensor));
  if (!produced) throw new Error(`the graph has no tensor named "${tensor}"`);
  g.output = [...(g.output ?? []), { name: tensor, type: { tensorType: { elemType: DType.FLOAT } } }];
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The model with the image input's height and width made dynamic, for an all-convolution graph
 * whose file declares one size (the zoo's ResNet says 224); backbone.ts importOnnxBackbone does the same.
 */
export function withDynamicSpatial(bytes: Uint8Array, inputName: string): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const input = (model.graph?.input ?? []).find((i) => i.name === inputName);
  const dims = input?.type?.tensorType?.shape?.dim;
  if (!dims || dims.length !== 4) return bytes;
  dims[2] = { dimParam: 'height' };
  dims[3] = { dimParam: 'width' };
  // Shapes recorded for the declared size would contradict other sizes.
  model.graph!.valueInfo = [];
  return onnx.ModelProto.encode(model).finish();
}

export function declaredInput(bytes: Uint8Array, name: string): (number | string)[] {
  const g = onnx.ModelProto.decode(bytes).graph;
  const input = (g?.input ?? []).find((i) => i.name === name);
  if (!input) throw new Error(`the graph has no input named "${name}"`);
  return (input.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
}

export interface Probe {
  input: [number, number];
  outputDims: number[];
  grid: [number, number, number];
  declaredInput: (number | string)[];
  seconds: number;
  /** Whether a second, larger input also ran (false: the file takes only its training size). */
  largerInput: { input: [number, number]; grid: [number, number, number] } | { input: [number, number]; error: string };
}

/** Runs the model once at its training size and once larger; throws if the grid is not the catalogue's. */
export async function probeModel(entry: CatalogEntry, file: string): Promise<Probe> {
  const p = entry.preprocessing;
  let bytes: Uint8Array = fs.readFileSync(file);
  const declared = declaredInput(bytes, p.inputName);
  if (entry.feature.addOutput) bytes = withFeatureOutput(bytes, entry.feature.tensor);
  if (entry.feature.layout === 'nchw' && entry.fixedInput === false) bytes = withDynamicSpatial(bytes, p.inputName);
  const session = await ort.InferenceSession.create(Buffer.from(bytes), { executionProviders: ['cpu'] });
  const run = async (h: number, w: number) => {
    const dims = p.layout === 'NCHW' ? [1, 3, h, w] : [1, h, w, 3];
    const data = p.dtype === 'uint8' ? new Uint8Array(h * w * 3).fill(128) : new Float32Array(h * w * 3);
    const out = await session.run({ [p.inputName]: new ort.Tensor(p.dtype, data, dims) }, [entry.feature.tensor]);
    const t = out[entry.feature.tensor];
    return { dims: [...t.dims], grid: gridFromOutput(entry, t.dims, h, w) };
  };
  try {
    const t0 = performance.now();
    const first = await run(p.size, p.size);
    const seconds = (performance.now() - t0) / 1000;
    const want = expectedGrid(entry, p.size, p.size);
    if (first.grid.join('x') !== want.join('x')) {
      throw new Error(`${entry.id}: ${entry.feature.tensor} gives a ${first.grid.join('x')} grid at ${p.size}, the catalogue says ${want.join('x')}`);
    }
    const big = p.size + 2 * entry.feature.stride;
    let largerInput: Probe['largerInput'];
    try {
      largerInput = { input: [big, big], grid: (await run(big, big)).grid };
    } catch (e) {
      largerInput = { input: [big, big], error: (e as Error).message.split('\n')[0] };
    }
    return { input: [p.size, p.size], outputDims: first.dims, grid: first.grid, declaredInput: declared, seconds, largerInput };
  } finally {
    await session.release();
  }
}
