// A small ONNX graph builder over the generated protobuf classes of `onnx-proto`.
// We emit graphs ourselves (the backbone converted from Keras, the VQ head, the k-means
// assignment step) instead of shipping .onnx files: the 90 MB backbone may not be committed,
// and the small heads are derived from a codebook at run time.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

export const DType = onnx.TensorProto.DataType;
export type ElemType = 'float32' | 'uint8' | 'int8' | 'int64' | 'int32';
const ELEM: Record<ElemType, number> = { float32: DType.FLOAT, uint8: DType.UINT8, int8: DType.INT8, int64: DType.INT64, int32: DType.INT32 };

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };
/** A dimension: a fixed size, or a name for a dynamic one. */
export type Dim = number | string;

export class GraphBuilder {
  private nodes: NodeProto[] = [];
  private initializers: TensorProto[] = [];
  private inputs: ValueInfoProto[] = [];
  private outputs: ValueInfoProto[] = [];
  private counter = 0;
  /** Number of weights held in initializers, for the manifest. */
  parameterCount = 0;

  constructor(readonly name: string) {}

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  constFloat(name: string, dims: number[], data: Float32Array): string {
    this.parameterCount += data.length;
    this.initializers.push({
      name,
      dims,
      dataType: DType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  constInt64(name: string, values: number[]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: DType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /** An initializer of any element type (e.g. int8 weights, int32 biases, uint8 zero points of a quantized graph). */
  constTensor(name: string, dims: number[], type: ElemType, data: Int8Array | Uint8Array | Int32Array | Float32Array): string {
    this.parameterCount += data.length;
    this.initializers.push({
      name,
      dims,
      dataType: ELEM[type],
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** Adds a node and returns the name of its (first) output. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    const out = output ?? this.fresh(op.toLowerCase());
    this.nodes.push({ opType: op, name: this.fresh(`n_${op}`), input: inputs, output: [out], attribute: toAttributes(attrs) });
    return out;
  }

  /** Adds a node with several named outputs (e.g. TopK's values and indices). */
  nodeOutputs(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): string[] {
    this.nodes.push({ opType: op, name: this.fresh(`n_${op}`), input: inputs, output: outputs, attribute: toAttributes(attrs) });
    return outputs;
  }

  encode(opset = 17, docString = ''): Uint8Array {
    const model: onnxProto.onnx.IModelProto = {
      irVersion: 8,
      producerName: 'photowords',
      producerVersion: '0.1',
      docString,
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElemType, dims: Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const A = onnx.AttributeProto.AttributeType;

function toAttributes(attrs: Record<string, AttrValue>): AttributeProto[] {
  return Object.entries(attrs).map(([name, v]) => {
    if (typeof v === 'number') return { name, type: A.INT, i: v };
    if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
    if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
    if ('float' in v) return { name, type: A.FLOAT, f: v.float };
    return { name, type: A.FLOATS, floats: v.floats };
  });
}
