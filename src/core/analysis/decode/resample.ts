// Resizes decoded RGB pixels to the model's shape with a triangle (linear) filter, widened by the
// scale when shrinking so every source pixel counts (as libvips' 'linear' reduce does). It runs in
// the calling thread, in WebAssembly (wasm/resample.c): libvips' resize of the same photos cost
// more than their decode, most of it hand-offs between its threads and, for photos a little smaller than
// the model's shape, an affine upscale (docs/EVAL.md, "Indexing beside the model").
import { RESAMPLE_WASM } from './wasm/resample-wasm.js';

interface Filter {
  first: Int32Array;
  count: Int32Array;
  weights: Int16Array;
  maxTaps: number;
}

interface ResampleModule {
  hpass(src: number, sw: number, sh: number, mid: number, dw: number, first: number, count: number, w: number, maxTaps: number): void;
  vpass(mid: number, stride: number, out: number, dh: number, first: number, count: number, w: number, maxTaps: number): void;
}

const ONE = 1 << 14;
const PAGE = 65536;
/** Photos of one library share a few dozen shapes: their filters are computed once. */
const filters = new Map<string, Filter>();
let wasm: { exports: ResampleModule; memory: WebAssembly.Memory } | undefined;

function module(): { exports: ResampleModule; memory: WebAssembly.Memory } {
  if (!wasm) {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(RESAMPLE_WASM, 'base64')), { env: { memory } });
    wasm = { exports: instance.exports as unknown as ResampleModule, memory };
  }
  return wasm;
}

/** Triangle weights from `src` samples to `dst`, centres aligned ((i + 0.5) * scale - 0.5). */
function filter(src: number, dst: number): Filter {
  const key = `${src}:${dst}`;
  const cached = filters.get(key);
  if (cached) return cached;
  const scale = src / dst;
  const widen = Math.max(1, scale);
  const radius = widen;
  const maxTaps = Math.ceil(radius) * 2 + 2;
  const first = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights = new Int16Array(dst * maxTaps);
  const taps: number[] = [];
  for (let i = 0; i < dst; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    const lo = Math.max(0, Math.ceil(centre - radius));
    const hi = Math.min(src - 1, Math.floor(centre + radius));
    taps.length = 0;
    let sum = 0;
    for (let j = lo; j <= hi; j++) {
      const x = Math.abs(j - centre) / widen;
      const v = x < 1 ? 1 - x : 0;
      taps.push(v);
      sum += v;
    }
    // The window is at least one source pixel wide on each side of the centre, so some tap is
    // always nearer than the radius, even at the edges where the window is cut.
    first[i] = lo;
    count[i] = taps.length;
    let given = 0;
    let biggest = 0;
    for (let k = 0; k < taps.length; k++) {
      const q = Math.round((taps[k] / sum) * ONE);
      weights[i * maxTaps + k] = q;
      given += q;
      if (taps[k] > taps[biggest]) biggest = k;
    }
    // Rounding leftovers go to the heaviest tap, so a flat area stays exactly flat.
    weights[i * maxTaps + biggest] += ONE - given;
  }
  const f = { first, count, weights, maxTaps };
  filters.set(key, f);
  return f;
}

/** `pixels` (RGB, width x height) resized to dw x dh. */
export function resizeRgb(pixels: Uint8Array, width: number, height: number, dw: number, dh: number): Uint8Array {
  const { exports, memory } = module();
  const h = filter(width, dw);
  const v = filter(height, dh);
  const align = (n: number) => (n + 15) & ~15;
  const tables = (f: Filter) => align(f.first.byteLength) + align(f.count.byteLength) + align(f.weights.byteLength);
  const need = align(pixels.length) + align(dw * height * 3) + align(dw * dh * 3) + tables(h) + tables(v) + 16;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
  let at = 16;
  const put = (data: ArrayBufferView) => {
    const p = at;
    new Uint8Array(memory.buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    at = align(at + data.byteLength);
    return p;
  };
  const reserve = (bytes: number) => {
    const p = at;
    at = align(at + bytes);
    return p;
  };
  const src = put(pixels);
  const mid = reserve(dw * height * 3);
  const out = reserve(dw * dh * 3);
  exports.hpass(src, width, height, mid, dw, put(h.first), put(h.count), put(h.weights), h.maxTaps);
  exports.vpass(mid, dw * 3, out, dh, put(v.first), put(v.count), put(v.weights), v.maxTaps);
  return new Uint8Array(memory.buffer, out, dw * dh * 3).slice();
}
