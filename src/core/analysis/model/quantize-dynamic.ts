// Dynamic int8 quantization of an ONNX graph's MatMuls with constant weights, as onnxruntime's
// quantize_dynamic makes them (and so the Xenova int8 exports): each MatMul(x, W) becomes
// DynamicQuantizeLinear(x) -> MatMulInteger(x_u8, W_s8) -> Cast -> x scale * W scale. Weights are
// int8, symmetric, one scale per output column. Convolutions are left as they are. Used to make
// int8 stand-ins whose speed is int8 speed (docs/MODELS.md, "int8"); the quality of real weights
// quantized this way is not measured here.
import onnxProto from 'onnx-proto';
import { DType } from './onnx-graph.js';

const onnx = onnxProto.onnx;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;

function floats(t: Tensor): Float32Array {
  if (t.rawData && t.rawData.length) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Recorded with every int8 file made here; a change to the arithmetic above must change it. */
export const QUANTIZER_VERSION = 'quantize-dynamic 1 (MatMul only; int8 weights symmetric per column, uint8 activations)';

/** The graph with every MatMul whose second input is a 2-D float initializer quantized; returns the count too. */
export function quantizeDynamic(bytes: Uint8Array): { bytes: Uint8Array; quantized: number } {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  if (!g) throw new Error('the file holds no graph');
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const nodes: Node[] = [];
  const added: Tensor[] = [];
  const dropped = new Set<string>();
  let quantized = 0;
  for (const n of g.node ?? []) {
    const w = n.opType === 'MatMul' ? inits.get(n.input?.[1] ?? '') : undefined;
    if (!w || w.dataType !== DType.FLOAT || (w.dims ?? []).length !== 2) {
      nodes.push(n);
      continue;
    }
    const [rows, cols] = (w.dims ?? []).map(Number);
    const data = floats(w);
    const scales = new Float32Array(cols);
    for (let c = 0; c < cols; c++) {
      let max = 0;
      for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(data[r * cols + c]));
      scales[c] = max > 0 ? max / 127 : 1;
    }
    const q = new Int8Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) q[r * cols + c] = Math.round(data[r * cols + c] / scales[c]);
    const base = `${w.name}_q${quantized++}`;
    added.push(
      { name: `${base}_w`, dims: [rows, cols], dataType: DType.INT8, rawData: new Uint8Array(q.buffer) },
      { name: `${base}_wzp`, dims: [], dataType: DType.INT8, rawData: new Uint8Array(1) },
      { name: `${base}_ws`, dims: [cols], dataType: DType.FLOAT, rawData: new Uint8Array(scales.buffer) },
    );
    dropped.add(w.name ?? '');
    const x = n.input?.[0] ?? '';
    const out = n.output?.[0] ?? '';
    const mk = (opType: string, input: string[], output: string[], attribute: onnxProto.onnx.IAttributeProto[] = []): Node => ({ opType, input, output, attribute, name: `${base}_${output[0]}` });
    nodes.push(
      mk('DynamicQuantizeLinear', [x], [`${base}_x`, `${base}_xs`, `${base}_xzp`]),
      mk('MatMulInteger', [`${base}_x`, `${base}_w`, `${base}_xzp`, `${base}_wzp`], [`${base}_acc`]),
      mk('Cast', [`${base}_acc`], [`${base}_accf`], [{ name: 'to', type: 2, i: DType.FLOAT }]),
      mk('Mul', [`${base}_xs`, `${base}_ws`], [`${base}_s`]),
      mk('Mul', [`${base}_accf`, `${base}_s`], [out]),
    );
  }
  // A weight another node still reads as float stays.
  const stillRead = new Set(nodes.flatMap((n) => n.input ?? []));
  g.initializer = [...(g.initializer ?? []).filter((t) => !dropped.has(t.name ?? '') || stillRead.has(t.name ?? '')), ...added];
  g.node = nodes;
  return { bytes: onnx.ModelProto.encode(model).finish(), quantized };
}
