// The local-difference check's arithmetic (local.ts, local-sample.ts, local-place.ts, looks.ts's
// fineDetail) against plain loops: the same numbers bit for bit, on real photos, for the windows,
// placements and cells a find works out. The plain loops below work out what the code did before
// it was written for speed (fa97221), step for step; the finder's answers rest on these numbers,
// so a faster version must give them all, not nearly all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeForModel } from '../../../src/core/analysis/decode/decode.js';
import {
  LOCAL,
  LOCAL_FINE,
  greyOfPixels,
  localChange,
  localLook,
  place,
  sampleWindow,
  summed,
  type LocalCells,
  type LocalLook,
  type LocalRule,
  type Placement,
} from '../../../src/core/duplicates/local.js';
import { fineDetail } from '../../../src/core/duplicates/looks.js';
import { mulberry32 } from '../../../src/core/common/random.js';

const DATASETS = path.resolve('../shared/datasets');

function plainSummed(grey: Float32Array, width: number, height: number): Float64Array {
  const W = width + 1;
  const sat = new Float64Array(W * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += grey[y * width + x];
      sat[(y + 1) * W + x + 1] = sat[y * W + x + 1] + row;
    }
  }
  return sat;
}

function plainSatAt(sat: Float64Array, width: number, x: number, y: number): number {
  const W = width + 1;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const i = y0 * W + x0;
  const r = fx > 0 ? sat[i + 1] : 0;
  const d = fy > 0 ? sat[i + W] : 0;
  const rd = fx > 0 && fy > 0 ? sat[i + W + 1] : 0;
  return (sat[i] * (1 - fx) + r * fx) * (1 - fy) + (d * (1 - fx) + rd * fx) * fy;
}

function plainSample(sat: Float64Array, width: number, height: number, p: Omit<Placement, 'corr'>, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  const pw = p.w / outW;
  const ph = p.h / outH;
  const bw = Math.max(1, pw) / 2;
  const bh = Math.max(1, ph) / 2;
  for (let j = 0; j < outH; j++) {
    const v = (j + 0.5) * ph - p.h / 2;
    for (let i = 0; i < outW; i++) {
      const u = (i + 0.5) * pw - p.w / 2;
      const x = Math.min(width - 0.5, Math.max(0.5, p.cx + u * c - v * s));
      const y = Math.min(height - 0.5, Math.max(0.5, p.cy + u * s + v * c));
      const x0 = Math.max(0, x - bw);
      const x1 = Math.min(width, x + bw);
      const y0 = Math.max(0, y - bh);
      const y1 = Math.min(height, y + bh);
      const area = (x1 - x0) * (y1 - y0);
      out[j * outW + i] = area > 0 ? (plainSatAt(sat, width, x1, y1) - plainSatAt(sat, width, x0, y1) - plainSatAt(sat, width, x1, y0) + plainSatAt(sat, width, x0, y0)) / area : 0;
    }
  }
  return out;
}

function plainCorrelation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

function plainPlace(sat: Float64Array, width: number, height: number, cells: Float32Array, start: { x: number; y: number; w: number; h: number }): Placement {
  const N = 32;
  const half = N / 2;
  const cells2 = new Float32Array(half * half);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) cells2[(y >> 1) * half + (x >> 1)] += cells[y * N + x] / 4;
  let fine = false;
  const score = (p: Omit<Placement, 'corr'>) => (fine ? plainCorrelation(plainSample(sat, width, height, p, N, N), cells) : plainCorrelation(plainSample(sat, width, height, p, half, half), cells2));
  let cur = { cx: start.x + start.w / 2, cy: start.y + start.h / 2, w: start.w, h: start.h, angle: 0 };
  let best = score(cur);
  const aspect = start.h / start.w;
  const maxAngle = (7 * Math.PI) / 180;
  for (let scale = 1; scale >= 0.124; scale /= 2) {
    if (scale < 0.5 && !fine) {
      fine = true;
      best = score(cur);
    }
    const dp = 2 * scale * Math.max(1, Math.max(width, height) / 150);
    const moves: ((p: typeof cur, d: number) => typeof cur)[] = [
      (p, d) => ({ ...p, cx: p.cx + d * dp }),
      (p, d) => ({ ...p, cy: p.cy + d * dp }),
      (p, d) => ({ ...p, w: p.w + 2 * d * dp, h: (p.w + 2 * d * dp) * aspect }),
      (p, d) => ({ ...p, angle: Math.max(-maxAngle, Math.min(maxAngle, p.angle + (d * scale * Math.PI) / 180)) }),
    ];
    for (let improved = true, rounds = 0; improved && rounds < 40; rounds++) {
      improved = false;
      for (const m of moves) {
        for (const d of [1, -1]) {
          const q = m(cur, d);
          if (q.w < 16 || q.w > width * 1.05 + 2 || q.h > height * 1.05 + 2) continue;
          const s = score(q);
          if (s > best + 1e-5) {
            best = s;
            cur = q;
            improved = true;
          }
        }
      }
    }
  }
  return { ...cur, corr: best };
}

function plainLook(grey: Float32Array, width: number, height: number): LocalLook {
  const N = 64;
  const col = Int32Array.from({ length: width }, (_, x) => Math.min(N - 1, Math.floor(((x + 0.5) * N) / width)));
  const sum = new Float64Array(N * N);
  const grad = new Float64Array(N * N);
  const count = new Float64Array(N * N);
  const gcount = new Float64Array(N * N);
  const colN = new Float64Array(N);
  const rowN = new Float64Array(N);
  for (let x = 0; x < width; x++) colN[col[x]]++;
  for (let y = 0; y < height; y++) {
    const row = Math.min(N - 1, Math.floor(((y + 0.5) * N) / height));
    rowN[row]++;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const c = row * N + col[x];
      sum[c] += grey[i];
      if (x + 1 < width && y + 1 < height) grad[c] += Math.abs(grey[i + 1] - grey[i]) + Math.abs(grey[i + width] - grey[i]);
    }
  }
  const lastRow = Math.min(N - 1, Math.floor(((height - 1 + 0.5) * N) / height));
  const lastCol = col[width - 1];
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      count[y * N + x] = rowN[y] * colN[x];
      gcount[y * N + x] = (rowN[y] - (y === lastRow ? 1 : 0)) * (colN[x] - (x === lastCol ? 1 : 0));
    }
  }
  const cells = (M: number): LocalCells => {
    const k = N / M;
    const s = new Float64Array(M * M);
    const g = new Float64Array(M * M);
    const n = new Float64Array(M * M);
    const gn = new Float64Array(M * M);
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        const c = Math.floor(y / k) * M + Math.floor(x / k);
        s[c] += sum[y * N + x];
        n[c] += count[y * N + x];
        g[c] += grad[y * N + x];
        gn[c] += gcount[y * N + x];
      }
    }
    const mean = new Float32Array(M * M);
    const detail = new Float32Array(M * M);
    for (let i = 0; i < M * M; i++) {
      mean[i] = n[i] > 0 ? s[i] / n[i] : 0;
      detail[i] = gn[i] > 0 ? g[i] / gn[i] : 0;
    }
    const order = Uint16Array.from(Array.from({ length: M * M }, (_, i) => i).sort((a, b) => Math.round(mean[a] * 256) - Math.round(mean[b] * 256) || a - b));
    return { mean, detail, order, sorted: Float32Array.from(order, (i) => mean[i]) };
  };
  return { coarse: cells(32), fine: cells(N) };
}

function plainFineDetail(cells: Float32Array): Float32Array {
  const N = 64;
  const out = new Float32Array(N * N);
  let mean = 0;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      let s = 0;
      let n = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(N - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(N - 1, x + 1); xx++) {
          s += cells[yy * N + xx];
          n++;
        }
      }
      out[y * N + x] = cells[y * N + x] - s / n;
      mean += out[y * N + x];
    }
  }
  mean /= N * N;
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += (out[i] -= mean) ** 2;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < out.length; i++) out[i] *= inv;
  return out;
}

function plainChange(a: LocalCells, b: LocalCells, rule: LocalRule) {
  const n = a.mean.length;
  const matched = new Float32Array(n);
  for (let rank = 0; rank < n; rank++) matched[a.order[rank]] = b.sorted[rank];
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) if (a.detail[i] > 1 && b.detail[i] > 1) ratios.push(Math.fround(b.detail[i] / a.detail[i]));
  const ratio = ratios.length > 0 ? ratios.sort((x, y) => x - y)[ratios.length >> 1] : 1;
  let more = 0;
  let less = 0;
  let cells = 0;
  for (let i = 0; i < n; i++) {
    const da = a.detail[i] * ratio;
    const d = da - b.detail[i];
    const detailChanged = Math.abs(d) > rule.step && Math.abs(d) > rule.share * (da + b.detail[i]);
    if (!detailChanged && Math.abs(matched[i] - b.mean[i]) <= rule.levels) continue;
    cells++;
    if (d > 0) more += d;
    else less -= d;
  }
  return { changed: cells / n, cells, balance: more + less > 0 ? Math.min(more, less) / (more + less) : 0 };
}

interface Grey {
  grey: Float32Array;
  width: number;
  height: number;
}
const greyOf = async (input: Buffer): Promise<Grey> => {
  const img = await decodeForModel(input, 299);
  return { grey: greyOfPixels(img.pixels), width: img.width, height: img.height };
};

test(
  "the local check's windows, placements and cells are the plain loops' numbers bit for bit, on real photos",
  { skip: !fs.existsSync(DATASETS) && 'no dev set under ../shared/datasets', timeout: 120_000 },
  async () => {
    const flowers = path.join(DATASETS, 'flowers17', 'c01');
    const files = [
      path.join(DATASETS, 'caltech101', 'Motorbikes', 'image_0001.jpg'),
      path.join(DATASETS, 'caltech101', 'Faces', 'image_0002.jpg'),
      path.join(flowers, fs.readdirSync(flowers).sort()[0]),
    ];
    const rand = mulberry32(6);
    let turned = 0;
    for (const file of files) {
      const big = await greyOf(fs.readFileSync(file));
      const sat = summed(big.grey, big.width, big.height);
      assert.deepEqual(sat, plainSummed(big.grey, big.width, big.height));
      // Into a used buffer (looks.ts hands one on): only the values, not what was there.
      assert.deepEqual(summed(big.grey, big.width, big.height, new Float64Array(sat.length).fill(9)), sat);
      const look = localLook(big.grey, big.width, big.height);
      assert.deepEqual(look, plainLook(big.grey, big.width, big.height));
      assert.deepEqual(fineDetail(look.fine.mean), plainFineDetail(look.fine.mean));
      // Windows of every kind: upright and turned, inside and past the edges, larger and smaller than the output.
      for (let k = 0; k < 150; k++) {
        const p = {
          cx: big.width * (1.2 * rand() - 0.1),
          cy: big.height * (1.2 * rand() - 0.1),
          w: big.width * (0.05 + 1.1 * rand()),
          h: big.height * (0.05 + 1.1 * rand()),
          angle: k % 2 === 0 ? 0 : 0.25 * (rand() - 0.5),
        };
        const [ow, oh] = [
          [16, 16],
          [32, 32],
          [160, 117],
          [9, 40],
        ][k % 4];
        const got = sampleWindow(sat, big.width, big.height, p, ow, oh);
        assert.deepEqual(got, plainSample(sat, big.width, big.height, p, ow, oh), `${path.basename(file)} ${JSON.stringify(p)} ${ow}x${oh}`);
        if (k % 8 === 2) assert.deepEqual(localLook(got, ow, oh), plainLook(got, ow, oh));
      }
      // Placed as the finder places them: a crop, a turned crop and another photo, each at its own size.
      const { width = 0, height = 0 } = await sharp(file).metadata();
      for (let v = 0; v < 3; v++) {
        const w = Math.round(width * (0.5 + 0.4 * rand()));
        const h = Math.round(height * (0.5 + 0.4 * rand()));
        const left = Math.floor((width - w) * rand());
        const top = Math.floor((height - h) * rand());
        let img = sharp(file).extract({ left, top, width: w, height: h });
        if (v === 1) img = sharp(await img.toBuffer()).rotate(3, { background: '#808080' });
        const small = v === 2 ? await greyOf(fs.readFileSync(files[(files.indexOf(file) + 1) % files.length])) : await greyOf(await img.resize({ width: Math.round(w * 0.7) }).toBuffer());
        const smallLook = localLook(small.grey, small.width, small.height);
        assert.deepEqual(smallLook, plainLook(small.grey, small.width, small.height));
        const sx = big.width / width;
        const start = { x: left * sx + 5 * (rand() - 0.5), y: top * sx + 5 * (rand() - 0.5), w: w * sx, h: (w * sx * small.height) / small.width };
        const p = place(sat, big.width, big.height, smallLook.coarse.mean, start);
        assert.deepEqual(p, plainPlace(sat, big.width, big.height, smallLook.coarse.mean, start), `${path.basename(file)} placement ${v}`);
        if (p.angle !== 0) turned++;
        // As placement.ts compares them: the window and the photo on one grid, then their cells.
        const f = Math.min(p.w / small.width, 1, 160 / Math.max(small.width, small.height));
        const ow = Math.max(8, Math.round(small.width * f));
        const oh = Math.max(8, Math.round(small.height * f));
        const win = sampleWindow(sat, big.width, big.height, p, ow, oh);
        assert.deepEqual(win, plainSample(sat, big.width, big.height, p, ow, oh));
        const whole = { cx: small.width / 2, cy: small.height / 2, w: small.width, h: small.height, angle: 0 };
        const smallSat = summed(small.grey, small.width, small.height);
        const own = sampleWindow(smallSat, small.width, small.height, whole, ow, oh);
        assert.deepEqual(own, plainSample(smallSat, small.width, small.height, whole, ow, oh));
        const [lw, lo] = [localLook(win, ow, oh), localLook(own, ow, oh)];
        assert.deepEqual([lw, lo], [plainLook(win, ow, oh), plainLook(own, ow, oh)]);
        assert.deepEqual(localChange(lw.coarse, lo.coarse, LOCAL), plainChange(lw.coarse, lo.coarse, LOCAL));
        assert.deepEqual(localChange(lw.fine, lo.fine, LOCAL_FINE), plainChange(lw.fine, lo.fine, LOCAL_FINE));
        assert.deepEqual(localChange(look.fine, smallLook.fine, LOCAL_FINE), plainChange(look.fine, smallLook.fine, LOCAL_FINE));
      }
    }
    // The turned climb's windows were compared too, not only upright ones.
    assert.ok(turned >= 2, `${turned} placements turned`);
  },
);
