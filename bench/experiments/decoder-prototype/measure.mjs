// Decode + resize CPU per photo for issue 9's decoder plan: libjpeg-turbo (synchronous, in this
// thread) then resample.c in WebAssembly, triangle and lanczos3, 200 photos per domain. Needs the
// wasm built as resample.c says and the binding, which the project does not depend on:
//   npm install --no-save @julusian/jpeg-turbo@2.3.0
//   WASM=/tmp/resample.wasm node bench/experiments/decoder-prototype/measure.mjs
// Compare with sharp's decode + resize: node --import tsx bench/experiments/decode-kernels.ts
import fs from 'node:fs';
import path from 'node:path';
import jt from '@julusian/jpeg-turbo';
const root = path.resolve('../shared/datasets');
const memory = new WebAssembly.Memory({ initial: 256, maximum: 4096 });
const { exports: W } = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(process.env.WASM ?? '/tmp/resample.wasm')), { env: { memory } });
const shape = (w, h) => { const s = Math.min(299, Math.max(75, Math.round((299 * Math.min(w, h)) / Math.max(w, h) / 16) * 16)); return w >= h ? [299, s] : [s, 299]; };
const KERNELS = { triangle: [1, (x) => (x < 1 ? 1 - x : 0)], lanczos3: [3, (x) => (x === 0 ? 1 : x < 3 ? (3 * Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / 3)) / (Math.PI * Math.PI * x * x) : 0)] };
const cache = new Map();
function weights(src, dst, kernel) {
  const key = `${src}:${dst}:${kernel}`; if (cache.has(key)) return cache.get(key);
  const [support, f] = KERNELS[kernel];
  const scale = src / dst, fs2 = Math.max(1, scale), rad = support * fs2;
  const maxTaps = Math.ceil(rad) * 2 + 2;
  const first = new Int32Array(dst), count = new Int32Array(dst), w = new Int16Array(dst * maxTaps);
  for (let i = 0; i < dst; i++) {
    const c = (i + 0.5) * scale - 0.5; const lo = Math.max(0, Math.ceil(c - rad)), hi = Math.min(src - 1, Math.floor(c + rad));
    const tmp = []; let sum = 0; for (let j = lo; j <= hi; j++) { const v = f(Math.abs(j - c) / fs2); tmp.push(v); sum += v; }
    first[i] = lo; count[i] = tmp.length; let acc = 0;
    for (let k = 0; k < tmp.length; k++) { const q = Math.round((tmp[k] / sum) * 16384); w[i * maxTaps + k] = q; acc += q; }
    w[i * maxTaps + (tmp.length >> 1)] += 16384 - acc;
  }
  const r = { first, count, w, maxTaps }; cache.set(key, r); return r;
}
// memory layout: [0..) src, then mid, out, tables
function resize(src, sw, sh, dw, dh, kernel) {
  const H = weights(sw, dw, kernel), V = weights(sh, dh, kernel);
  const need = src.length + dw * sh * 3 + dw * dh * 3 + (1 << 20);
  if (memory.buffer.byteLength < need + (1 << 20)) memory.grow(Math.ceil((need + (1 << 20) - memory.buffer.byteLength) / 65536));
  const m8 = new Uint8Array(memory.buffer);
  let off = 1024; const srcP = off; m8.set(src, off); off += src.length; off = (off + 15) & ~15;
  const midP = off; off += dw * sh * 3; off = (off + 15) & ~15;
  const outP = off; off += dw * dh * 3; off = (off + 15) & ~15;
  const put = (arr) => { const p = off; new Uint8Array(memory.buffer, p, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength)); off += arr.byteLength; off = (off + 15) & ~15; return p; };
  const hf = put(H.first), hc = put(H.count), hw = put(H.w), vf = put(V.first), vc = put(V.count), vw = put(V.w);
  W.hpass(srcP, sw, sh, midP, dw, hf, hc, hw, H.maxTaps);
  W.vpass(midP, dw * 3, outP, dh, vf, vc, vw, V.maxTaps);
  return new Uint8Array(memory.buffer, outP, dw * dh * 3).slice();
}
for (const dom of ['caltech101', 'flowers17']) {
  const files = [];
  for (const c of fs.readdirSync(path.join(root, dom)).sort()) for (const f of fs.readdirSync(path.join(root, dom, c)).sort()) files.push(path.join(root, dom, c, f));
  const bufs = Array.from({ length: 200 }, (_, i) => fs.readFileSync(files[Math.floor((i * files.length) / 200)]));
  for (const kernel of ['triangle', 'lanczos3']) {
    for (let r = 0; r < 4; r++) {
      const c0 = process.cpuUsage();
      for (const b of bufs) { const d = jt.decompressSync(b, { format: jt.FORMAT_RGB }); const [w, h] = shape(d.width, d.height); resize(d.data, d.width, d.height, w, h, kernel); }
      const c = process.cpuUsage(c0);
      if (r) console.log(dom, kernel, 'jpeg-turbo decode + wasm resize', ((c.user + c.system) / 1000 / bufs.length).toFixed(3), 'ms CPU');
    }
  }
}
