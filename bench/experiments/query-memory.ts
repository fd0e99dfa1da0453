// What the query index's postings look like, to choose their coding (docs/EVAL.md, "Queries at a
// million photos"): the vocabulary, the forward index's slot gaps and count codes, and how deep a
// capped stage 1 reads each word's list.
//   N=100000 HOME=<copy of the eval cache> node --import tsx bench/experiments/query-memory.ts
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { defaultEvalCache } from '../../src/core/eval/suite.js';
import { DEFAULT_SETTINGS, kgramSettings, mergeSettings } from '../../src/core/common/settings.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { buildImpactParts, LEVELS } from '../../src/core/search/impact-build.js';
import { decodeDoc } from '../../src/core/search/impact-forward.js';
import { mulberry32 } from '../../src/core/common/random.js';
import { mix } from '../synthetic.js';
import type { Bag } from '../../src/core/common/types.js';

const N = Number(process.env.N ?? 100000);
const CAP = Number(process.env.CAP ?? 2e6);
const datasets = path.resolve('../shared/datasets');
const settings = mergeSettings(DEFAULT_SETTINGS, { collapseKgrams: false });
const engine = await Engine.open(defaultEvalCache(datasets, settings), { settings, log: () => undefined });
const ks = kgramSettings(DEFAULT_SETTINGS);
const bags: Bag[] = [...engine.store.iterGrids()].map((g) => bagFromGrid(g.grid, ks));
await engine.close();
const synth = function* () {
  const r = mulberry32(7);
  for (let id = 0; id < N; id++) yield { id, bag: mix(bags[Math.floor(r() * bags.length)], bags[Math.floor(r() * bags.length)], r) };
};
const p = buildImpactParts(() => synth(), { maxKept: Number(process.env.MAX_KEPT ?? Infinity) });
const T = p.terms.length;
const total = p.df.reduce((a, x) => a + x, 0);
const slotsBuf = new Int32Array(T);
const codesBuf = new Uint8Array(T);
/** Document d's slots and count codes. */
const doc = (d: number) => {
  const m = decodeDoc(p.fwd, p.fwdOffsets[d], p.fwdOffsets[d + 1], slotsBuf, codesBuf);
  return { slots: slotsBuf.subarray(0, m), codes: codesBuf.subarray(0, m) };
};
console.log(JSON.stringify({ kept: p.docs.length, fwdBytesPerPosting: p.fwd.length / total }));
console.log(JSON.stringify({ N, T, total, perDoc: total / N, maxTerm: p.terms[T - 1] }));
const dfs = Array.from(p.df).sort((a, b) => a - b);
console.log(
  'df quantiles',
  [0.1, 0.5, 0.9, 0.99, 1].map((q) => dfs[Math.min(T - 1, Math.floor(q * T))]),
);

// Forward index: slot gaps (first slot of a document counts from 0) and count codes.
const gapHist = new Float64Array(9);
const tfHist = new Map<number, number>();
for (let d = 0; d < N; d++) {
  let prev = -1;
  const { slots, codes } = doc(d);
  for (let i = 0; i < slots.length; i++) {
    const g = slots[i] - prev;
    prev = slots[i];
    gapHist[Math.min(8, Math.ceil(Math.log2(g + 1)))]++;
    tfHist.set(codes[i], (tfHist.get(codes[i]) ?? 0) + 1);
  }
}
console.log(
  'slot gap <= 2^k-1 share by k',
  Array.from(gapHist, (x) => (x / total).toFixed(4)),
);
let h = 0;
const tfs = [...tfHist].sort((a, b) => b[1] - a[1]);
for (const [, c] of tfs) h -= (c / total) * Math.log2(c / total);
console.log(
  'tf codes',
  tfs.length,
  'entropy bits',
  h.toFixed(2),
  tfs.slice(0, 8).map(([c, k]) => `${c}:${(k / total).toFixed(3)}`),
);

// How deep a capped stage 1 reads each word: firstStage's cut, replayed (impact-stage1.ts).
const rand = mulberry32(42);
const depthFrac: number[] = [];
const depthAbs: number[] = [];
for (let qi = 0; qi < 100; qi++) {
  const d = Math.floor(rand() * N);
  const one = doc(d);
  const slots = Array.from(one.slots);
  const qw = Array.from(one.codes, (c, i) => (c / 28) * p.idf[slots[i]]);
  const step = Math.log(p.levelWeight[1] / p.levelWeight[0]);
  const shift = qw.map((w) => Math.round(Math.log(w) / step));
  const minShift = Math.min(...shift);
  const keys = LEVELS + 1 + Math.max(...shift) - minShift;
  const bucket = new Float64Array(keys);
  let qp = 0;
  slots.forEach((s, i) => {
    qp += p.df[s];
    for (let g = p.segOffsets[s]; g < p.segOffsets[s + 1]; g++) bucket[keys - 1 - (p.segLevel[g] + shift[i] - minShift)] += p.segStart[g + 1] - p.segStart[g];
  });
  const limit = Math.max(1, Math.min(CAP, Math.ceil(0.1 * qp)));
  let cut = 0;
  let before = 0;
  while (cut < keys && before + bucket[cut] < limit) before += bucket[cut++];
  let remaining = limit - before;
  slots.forEach((s, i) => {
    let depth = 0;
    for (let g = p.segOffsets[s]; g < p.segOffsets[s + 1]; g++) {
      const key = keys - 1 - (p.segLevel[g] + shift[i] - minShift);
      if (key > cut) break;
      const len = p.segStart[g + 1] - p.segStart[g];
      if (key === cut) {
        if (remaining <= 0) break;
        remaining -= len;
      }
      depth += len;
    }
    depthFrac.push(depth / p.df[s]);
    depthAbs.push(depth);
  });
}
const q = (a: number[], x: number) => [...a].sort((u, v) => u - v)[Math.floor(x * (a.length - 1))];
console.log(
  'depth share of a list',
  [0.5, 0.9, 0.99, 0.999, 1].map((x) => q(depthFrac, x).toFixed(4)),
);
console.log(
  'depth postings',
  [0.5, 0.9, 0.99, 0.999, 1].map((x) => q(depthAbs, x)),
);
