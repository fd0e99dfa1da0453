// The multi-head vector-quantization layer as a small ONNX graph appended after any backbone:
// a feature map [N, C, H, W] becomes visual words [N, H*W, heads] (argmin over a codebook) plus a
// GeM-pooled dense vector [N, C], the "no quantization" baseline the evaluation compares against.
// Running it in onnxruntime keeps the 289 cells x 8 heads x 1,024 codes distance products off the
// JS thread and on the same execution provider as the backbone.
import { GraphBuilder } from './onnx-graph.js';

export interface Codebook {
  /** Channels of the backbone's feature map. */
  channels: number;
  heads: number;
  /** Dimension of one head vector (channels / heads, or projected dims / heads). */
  dim: number;
  codes: number;
  /** One codebook per head instead of one shared by all heads. */
  perHead?: boolean;
  /** codes x dim, row-major; heads x codes x dim when perHead. */
  centroids: Float32Array;
  /** Optional linear projection applied to each cell's channel vector before the split into heads. */
  projection?: { mean: Float32Array; matrix: Float32Array /* channels x (heads*dim) */ };
}

export const FEATURES_INPUT = 'features';
export const TOKENS_OUTPUT = 'tokens';
export const POOLED_OUTPUT = 'pooled';
/**
 * Only in a graph built with { top2: true } (soft assignment): each head vector's two nearest codes
 * [N, HW, heads, 2] (int64) and their squared distances [N, HW, heads, 2] (float32; the head
 * vector is unit length, so ||x - c||^2 = 1 + ||c||^2 - 2 x.c).
 */
export const TOP2_CODES_OUTPUT = 'codes_top2';
export const TOP2_DISTANCES_OUTPUT = 'distances_top2';
/** GeM exponent: measured better than average pooling for this backbone (docs/EVAL.md, "Choosing the block and the codebook"). */
export const GEM_P = 3;
const EPS = 1e-6;

export interface VqGraphOptions {
  /** Also output the two nearest codes and their distances (soft assignment). Off: the graph is unchanged. */
  top2?: boolean;
}

export function vqGraph(cb: Codebook, opts: VqGraphOptions = {}): Uint8Array {
  const g = new GraphBuilder(`vq_h${cb.heads}_n${cb.codes}`);
  g.input(FEATURES_INPUT, 'float32', ['batch', cb.channels, 'h', 'w']);

  // GeM pooling over the grid (features are post-ReLU, so the cube root is defined).
  const cubed = g.node('Pow', [FEATURES_INPUT, g.constFloat('gem_p', [], new Float32Array([GEM_P]))]);
  const mean = g.node('ReduceMean', [cubed], { axes: [2, 3], keepdims: 0 });
  g.node('Pow', [mean, g.constFloat('gem_inv_p', [], new Float32Array([1 / GEM_P]))], {}, POOLED_OUTPUT);
  g.output(POOLED_OUTPUT, 'float32', ['batch', cb.channels]);

  const flat = g.node('Reshape', [FEATURES_INPUT, g.constInt64('shape_nc_hw', [0, cb.channels, -1])]);
  let cells = g.node('Transpose', [flat], { perm: [0, 2, 1] }); // [N, HW, C]
  if (cb.projection) {
    const centred = g.node('Sub', [cells, g.constFloat('proj_mean', [cb.channels], cb.projection.mean)]);
    cells = g.node('MatMul', [centred, g.constFloat('proj', [cb.channels, cb.heads * cb.dim], cb.projection.matrix)]);
  }
  const heads = g.node('Reshape', [cells, g.constInt64('shape_heads', [0, -1, cb.heads, cb.dim])]); // [N, HW, heads, D]
  const sq = g.node('ReduceSumSquare', [heads], { axes: [3], keepdims: 1 });
  const norm = g.node('Sqrt', [g.node('Add', [sq, g.constFloat('eps', [], new Float32Array([EPS]))])]);
  const unit = g.node('Div', [heads, norm]);

  // argmin ||x - c||^2 = argmin (||c||^2 - 2 x.c); ||x||^2 is the same for every code.
  const books = cb.perHead ? cb.heads : 1;
  const ct = new Float32Array(books * cb.dim * cb.codes);
  const cnorm = new Float32Array(books * cb.codes);
  for (let b = 0; b < books; b++) {
    for (let k = 0; k < cb.codes; k++) {
      let s = 0;
      for (let d = 0; d < cb.dim; d++) {
        const v = cb.centroids[(b * cb.codes + k) * cb.dim + d];
        ct[(b * cb.dim + d) * cb.codes + k] = -2 * v;
        s += v * v;
      }
      cnorm[b * cb.codes + k] = s;
    }
  }
  if (!cb.perHead) {
    const dots = g.node('MatMul', [unit, g.constFloat('codebook_t', [cb.dim, cb.codes], ct)]);
    const dist = g.node('Add', [dots, g.constFloat('codebook_norm', [cb.codes], cnorm)]);
    g.node('ArgMin', [dist], { axis: 3, keepdims: 0 }, TOKENS_OUTPUT); // [N, HW, heads]
    if (opts.top2) top2(g, dist, 3, cb.heads);
  } else {
    // [N, HW, heads, 1, D] @ [heads, D, n] broadcasts each head against its own codebook.
    const rows = g.node('Reshape', [unit, g.constInt64('shape_rows', [0, -1, cb.heads, 1, cb.dim])]);
    const dots = g.node('MatMul', [rows, g.constFloat('codebook_t', [cb.heads, cb.dim, cb.codes], ct)]);
    const dist = g.node('Add', [dots, g.constFloat('codebook_norm', [cb.heads, 1, cb.codes], cnorm)]);
    const best = g.node('ArgMin', [dist], { axis: 4, keepdims: 0 }); // [N, HW, heads, 1]
    g.node('Reshape', [best, g.constInt64('shape_tokens', [0, -1, cb.heads])], {}, TOKENS_OUTPUT);
    if (opts.top2) top2(g, dist, 4, cb.heads);
  }
  g.output(TOKENS_OUTPUT, 'int64', ['batch', 'cells', cb.heads]);
  return g.encode(17);
}

/** TopK(2, smallest) over the code axis of `dist` (||c||^2 - 2 x.c), as [N, HW, heads, 2] outputs. */
function top2(g: GraphBuilder, dist: string, axis: number, heads: number): void {
  const [values, indices] = g.nodeOutputs('TopK', [dist, g.constInt64('top2_k', [2])], [g.fresh('top2_values'), g.fresh('top2_indices')], {
    axis,
    largest: 0,
    sorted: 1,
  });
  const shape = g.constInt64('shape_top2', [0, -1, heads, 2]);
  const one = g.constFloat('one', [], new Float32Array([1]));
  g.node('Reshape', [g.node('Add', [values, one]), shape], {}, TOP2_DISTANCES_OUTPUT);
  g.node('Reshape', [indices, shape], {}, TOP2_CODES_OUTPUT);
  g.output(TOP2_CODES_OUTPUT, 'int64', ['batch', 'cells', heads, 2]);
  g.output(TOP2_DISTANCES_OUTPUT, 'float32', ['batch', 'cells', heads, 2]);
}

/** The per-head L2 normalisation the VQ graph applies, for code that trains codebooks in JS. */
export function normaliseHeads(cell: Float32Array, heads: number, dim: number, out: Float32Array, outOffset: number): void {
  for (let h = 0; h < heads; h++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += cell[h * dim + d] * cell[h * dim + d];
    const inv = 1 / Math.sqrt(s + EPS);
    for (let d = 0; d < dim; d++) out[outOffset + h * dim + d] = cell[h * dim + d] * inv;
  }
}
