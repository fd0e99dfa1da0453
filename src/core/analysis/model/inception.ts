// Rebuilds the nsfwjs Keras InceptionV3 as an ONNX graph that ends at a chosen block.
// Batch norm (center, no scale) is folded into the preceding bias-free convolution, and the
// graph takes uint8 RGB pixels NHWC, so the decoder's raw output goes straight in and the
// float conversion (RGB/255 in [0, 1], as nsfwjs feeds it) runs inside onnxruntime.
import { GraphBuilder } from './onnx-graph.js';
import type { KerasLayer, KerasModel } from './keras.js';

export const INCEPTION_BLOCKS = ['mixed0', 'mixed1', 'mixed2', 'mixed3', 'mixed4', 'mixed5', 'mixed6', 'mixed7', 'mixed8', 'mixed9', 'mixed10'] as const;

/** Channels and stride of each block's feature map. */
export const INCEPTION_BLOCK_SHAPES: Record<string, { channels: number; stride: number }> = {
  mixed0: { channels: 256, stride: 8 },
  mixed1: { channels: 288, stride: 8 },
  mixed2: { channels: 288, stride: 8 },
  mixed3: { channels: 768, stride: 16 },
  mixed4: { channels: 768, stride: 16 },
  mixed5: { channels: 768, stride: 16 },
  mixed6: { channels: 768, stride: 16 },
  mixed7: { channels: 768, stride: 16 },
  mixed8: { channels: 1280, stride: 32 },
  mixed9: { channels: 2048, stride: 32 },
  mixed10: { channels: 2048, stride: 32 },
};

export const PIXELS_INPUT = 'pixels';

export interface ConvertOptions {
  /** Block names whose outputs the graph returns (NCHW float32), in this order. */
  outputs: string[];
  /**
   * Emit an int8 QDQ graph (model/quantize.ts) that onnxruntime fuses into QLinearConv and friends:
   * conv weights int8 per output channel (symmetric) with int32 biases, every activation
   * QuantizeLinear -> DequantizeLinear as uint8 with zero point 0 (all are ReLU outputs, pools or
   * concatenations of them, so >= 0), the pixels dequantized straight from uint8 with scale 1/255.
   */
  quantize?: QuantizeSpec;
  /**
   * Calibration: also return, as float32 outputs named `act:<layer>`, every activation a
   * quantized graph quantizes with its own scale (see quantizedActivations).
   */
  exposeActivations?: boolean;
}

export interface QuantizeSpec {
  /** uint8 scale (zero point 0) of each activation of quantizedActivations(), by Keras layer name. */
  scales: Record<string, number>;
}

export const ACTIVATION_OUTPUT_PREFIX = 'act:';

/**
 * Keras layers whose outputs a quantized graph requantizes with a calibrated scale: ReLUs, average
 * pools and concatenations (block outputs) up to the requested blocks, the returned blocks
 * excluded (they stay float). Max pools keep their input's scale, which lets onnxruntime run them on uint8.
 */
export function quantizedActivations(model: KerasModel, outputs: string[]): string[] {
  const needed = ancestors(outputs, new Map(model.layers.map((l) => [l.name, l])));
  return model.layers.filter((l) => needed.has(l.name) && !outputs.includes(l.name) && QUANTIZED_CLASSES.has(l.className)).map((l) => l.name);
}

const QUANTIZED_CLASSES = new Set(['Activation', 'AveragePooling2D', 'Concatenate']);

export function inceptionToOnnx(model: KerasModel, opts: ConvertOptions): Uint8Array {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  for (const o of opts.outputs) {
    if (!byName.has(o)) throw new Error(`unknown InceptionV3 block "${o}"; choose one of ${INCEPTION_BLOCKS.join(', ')}`);
  }
  const needed = ancestors(opts.outputs, byName);
  const consumers = new Map<string, KerasLayer[]>();
  for (const l of model.layers) for (const i of l.inputs) consumers.set(i, [...(consumers.get(i) ?? []), l]);

  const g = new GraphBuilder(`inception_v3_${opts.outputs.join('_')}`);
  const tensorOf = new Map<string, string>();
  const folded = new Set<string>();
  const q = opts.quantize;
  /** Scale of each dequantized (uint8-backed) tensor of a quantized graph. */
  const scaleOf = new Map<string, number>();
  const zeroU8 = q ? g.constTensor('zp_u8', [], 'uint8', new Uint8Array(1)) : '';
  const qdq = (t: string, scale: number, what: string): string => {
    if (!(scale > 0 && Number.isFinite(scale))) throw new Error(`no usable activation scale for ${what} (${scale})`);
    const s = g.constFloat(`${what}_scale`, [], new Float32Array([scale]));
    const dq = g.node('DequantizeLinear', [g.node('QuantizeLinear', [t, s, zeroU8]), s, zeroU8]);
    scaleOf.set(dq, scale);
    return dq;
  };
  const inputScale = (layer: KerasLayer, t: string): number => {
    const s = scaleOf.get(t);
    if (s === undefined) throw new Error(`layer ${layer.name}: input is not quantized`);
    return s;
  };

  for (const layer of model.layers) {
    if (!needed.has(layer.name) || folded.has(layer.name)) continue;
    const c = layer.config;
    const ins = layer.inputs.map((n) => {
      const t = tensorOf.get(n);
      if (!t) throw new Error(`layer ${layer.name}: input ${n} not converted`);
      return t;
    });
    let out: string;
    switch (layer.className) {
      case 'InputLayer': {
        g.input(PIXELS_INPUT, 'uint8', ['batch', 'height', 'width', 3]);
        if (q) {
          // RGB/255 is exactly uint8 pixels with scale 1/255: no calibration, no rounding.
          const nchw = g.node('Transpose', [PIXELS_INPUT], { perm: [0, 3, 1, 2] });
          const s = g.constFloat('pixels_scale', [], new Float32Array([1 / 255]));
          out = g.node('DequantizeLinear', [nchw, s, zeroU8]);
          scaleOf.set(out, 1 / 255);
          break;
        }
        const f = g.node('Cast', [PIXELS_INPUT], { to: 1 });
        const scaled = g.node('Mul', [f, g.constFloat('inv255', [], new Float32Array([1 / 255]))]);
        out = g.node('Transpose', [scaled], { perm: [0, 3, 1, 2] });
        break;
      }
      case 'Conv2D': {
        const next = consumers.get(layer.name) ?? [];
        const bn = next.length === 1 && next[0].className === 'BatchNormalization' ? next[0] : undefined;
        out = convWithFoldedBn(g, model, layer, ins[0], bn, q ? inputScale(layer, ins[0]) : undefined);
        if (bn) {
          folded.add(bn.name);
          tensorOf.set(bn.name, out);
        }
        break;
      }
      case 'Activation': {
        if (c.activation !== 'relu') throw new Error(`layer ${layer.name}: activation ${String(c.activation)} not supported`);
        out = g.node('Relu', ins);
        // Conv -> Relu -> QuantizeLinear: onnxruntime drops the ReLU (uint8 with zero point 0 clips
        // at 0 anyway) and fuses the rest into one QLinearConv.
        if (q) out = qdq(out, q.scales[layer.name], layer.name);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [kh, kw] = c.pool_size as number[];
        const strides = c.strides as number[];
        const pads = samePads(layer, [kh, kw], strides);
        if (layer.className === 'MaxPooling2D') {
          out = g.node('MaxPool', ins, { kernel_shape: [kh, kw], strides, pads });
          if (q) out = qdq(out, inputScale(layer, ins[0]), layer.name);
        } else {
          // TF leaves padded cells out of a 'same' average, hence count_include_pad = 0.
          out = g.node('AveragePool', ins, { kernel_shape: [kh, kw], strides, pads, count_include_pad: 0 });
          if (q) out = qdq(out, q.scales[layer.name], layer.name);
        }
        break;
      }
      case 'Concatenate': {
        const axis = c.axis as number;
        if (axis !== 3 && axis !== -1) throw new Error(`layer ${layer.name}: concat axis ${axis} not supported`);
        out = g.node('Concat', ins, { axis: 1 });
        if (q && !opts.outputs.includes(layer.name)) out = qdq(out, q.scales[layer.name], layer.name);
        break;
      }
      case 'BatchNormalization':
        throw new Error(`layer ${layer.name}: batch norm not directly after a convolution`);
      default:
        throw new Error(`layer ${layer.name}: ${layer.className} is not part of the convolutional trunk`);
    }
    tensorOf.set(layer.name, out);
    if (opts.exposeActivations && QUANTIZED_CLASSES.has(layer.className) && !opts.outputs.includes(layer.name)) {
      const name = `${ACTIVATION_OUTPUT_PREFIX}${layer.name}`;
      g.node('Identity', [out], {}, name);
      g.output(name, 'float32', ['batch', `${name}_c`, `${name}_h`, `${name}_w`]);
    }
  }

  for (const o of opts.outputs) {
    const t = tensorOf.get(o)!;
    const shape = INCEPTION_BLOCK_SHAPES[o];
    g.node('Identity', [t], {}, o);
    g.output(o, 'float32', ['batch', shape.channels, `${o}_h`, `${o}_w`]);
  }
  return g.encode(17, JSON.stringify({ source: `${model.source.package}@${model.source.version} InceptionV3`, outputs: opts.outputs }));
}

/** A convolution with its batch norm folded in; given `inputScale`, as int8 QDQ (see ConvertOptions.quantize). */
function convWithFoldedBn(g: GraphBuilder, model: KerasModel, conv: KerasLayer, input: string, bn?: KerasLayer, inputScale?: number): string {
  const c = conv.config;
  const kernel = model.weights.get(`${conv.name}/kernel`);
  if (!kernel) throw new Error(`missing weights for ${conv.name}`);
  const [kh, kw, cin, cout] = kernel.shape;
  const w = new Float32Array(cout * cin * kh * kw);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) w[((o * cin + i) * kh + y) * kw + x] = kernel.data[((y * kw + x) * cin + i) * cout + o];
  const bias = new Float32Array(cout);
  if (c.use_bias) bias.set(model.weights.get(`${conv.name}/bias`)!.data);
  if (bn) {
    const bc = bn.config;
    const eps = bc.epsilon as number;
    const mean = model.weights.get(`${bn.name}/moving_mean`)!.data;
    const variance = model.weights.get(`${bn.name}/moving_variance`)!.data;
    const gamma = bc.scale ? model.weights.get(`${bn.name}/gamma`)!.data : undefined;
    const beta = bc.center ? model.weights.get(`${bn.name}/beta`)!.data : undefined;
    const per = cin * kh * kw;
    for (let o = 0; o < cout; o++) {
      const s = (gamma ? gamma[o] : 1) / Math.sqrt(variance[o] + eps);
      for (let j = 0; j < per; j++) w[o * per + j] *= s;
      bias[o] = (bias[o] - mean[o]) * s + (beta ? beta[o] : 0);
    }
  }
  const strides = c.strides as number[];
  const pads = samePads(conv, [kh, kw], strides);
  if (inputScale !== undefined) {
    const dims = [cout, cin, kh, kw];
    const { weights, biases } = quantizeConv(w, bias, cout, inputScale);
    const wq = g.node(
      'DequantizeLinear',
      [
        g.constTensor(`${conv.name}_Wq`, dims, 'int8', weights.data),
        g.constFloat(`${conv.name}_Wscale`, [cout], weights.scale),
        g.constTensor(`${conv.name}_Wzp`, [cout], 'int8', new Int8Array(cout)),
      ],
      { axis: 0 },
    );
    const bq = g.node(
      'DequantizeLinear',
      [
        g.constTensor(`${conv.name}_Bq`, [cout], 'int32', biases.data),
        g.constFloat(`${conv.name}_Bscale`, [cout], biases.scale),
        g.constTensor(`${conv.name}_Bzp`, [cout], 'int32', new Int32Array(cout)),
      ],
      { axis: 0 },
    );
    return g.node('Conv', [input, wq, bq], { kernel_shape: [kh, kw], strides, pads });
  }
  return g.node('Conv', [input, g.constFloat(`${conv.name}_W`, [cout, cin, kh, kw], w), g.constFloat(`${conv.name}_B`, [cout], bias)], { kernel_shape: [kh, kw], strides, pads });
}

/**
 * Symmetric int8 weights per output channel (scale = max |w| / 127) and int32 biases at the scale
 * the integer accumulator has (input scale x weight scale), as onnxruntime's QLinearConv wants them.
 */
export function quantizeConv(w: Float32Array, bias: Float32Array, cout: number, inputScale: number) {
  const per = w.length / cout;
  const weights = { data: new Int8Array(w.length), scale: new Float32Array(cout) };
  const biases = { data: new Int32Array(cout), scale: new Float32Array(cout) };
  for (let o = 0; o < cout; o++) {
    let max = 0;
    for (let j = 0; j < per; j++) max = Math.max(max, Math.abs(w[o * per + j]));
    const s = max > 0 ? max / 127 : 1;
    weights.scale[o] = s;
    for (let j = 0; j < per; j++) weights.data[o * per + j] = Math.max(-127, Math.min(127, Math.round(w[o * per + j] / s)));
    // The scale is stored as float32; the bias must be quantized with exactly that value.
    const bs = Math.fround(inputScale * weights.scale[o]);
    biases.scale[o] = bs;
    biases.data[o] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(bias[o] / bs)));
  }
  return { weights, biases };
}

function samePads(layer: KerasLayer, kernel: number[], strides: number[]): number[] {
  if (layer.config.padding === 'valid') return [0, 0, 0, 0];
  // 'same' with stride 1 and odd kernels pads symmetrically; this model has no other case.
  if (strides.some((s) => s !== 1) || kernel.some((k) => k % 2 === 0)) {
    throw new Error(`layer ${layer.name}: 'same' padding with stride ${strides} / kernel ${kernel} not supported`);
  }
  const [ph, pw] = kernel.map((k) => (k - 1) / 2);
  return [ph, pw, ph, pw];
}

function ancestors(outputs: string[], byName: Map<string, KerasLayer>): Set<string> {
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...byName.get(n)!.inputs);
  }
  return seen;
}
