// Stage 1's accumulation loop alone, float32 against 32- and 16-bit whole numbers, over the
// postings that real queries visit in N synthetic photos (as bench.ts makes them; the eval cache
// must exist), then the index's own stage 1 for comparison.
//   N=1000000 node --max-old-space-size=16000 --import tsx bench/experiments/query-accumulators.ts
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { defaultEvalCache } from '../../src/core/eval/suite.js';
import { DEFAULT_SETTINGS, kgramSettings, mergeSettings } from '../../src/core/common/settings.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { ImpactIndex } from '../../src/core/search/impact-index.js';
import { mulberry32 } from '../../src/core/common/random.js';
import { mix } from '../synthetic.js';

const N = Number(process.env.N ?? 100000);
const settings = mergeSettings(DEFAULT_SETTINGS, { collapseKgrams: false });
const engine = await Engine.open(defaultEvalCache(path.resolve('../shared/datasets'), settings), { settings, log: () => {} });
const ks = kgramSettings(DEFAULT_SETTINGS);
const bags = [...engine.store.iterGrids()].map((g) => bagFromGrid(g.grid, ks));
await engine.close();
const synth = function* () {
  const r = mulberry32(7);
  for (let id = 0; id < N; id++) yield { id, bag: mix(bags[Math.floor(r() * bags.length)], bags[Math.floor(r() * bags.length)], r) };
};
const index: any = ImpactIndex.build(() => synth());
const rand = mulberry32(42);
const queries = Array.from({ length: 100 }, () => bags[Math.floor(rand() * bags.length)]);
// Each query's segments by contribution, largest first, up to the 10% budget: what stage 1 visits.
const { segStart, docs, levelWeight, segLevel } = index;
type Plan = { segs: Uint32Array; cs: Float64Array; qnorm: number };
const plans: Plan[] = [];
for (const q of queries) {
  const { slots, qw, invQ } = index.weigh(q);
  // replicate ordering
  const order: number[] = [];
  const cs: number[] = [];
  const segOffsets = index.segOffsets;
  const all: { g: number; c: number }[] = [];
  let qp = 0;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    qp += segStart[segOffsets[s + 1]] - segStart[segOffsets[s]];
    for (let g = segOffsets[s]; g < segOffsets[s + 1]; g++) all.push({ g, c: qw[i] * levelWeight[segLevel[g]] });
  }
  all.sort((a, b) => b.c - a.c);
  const limit = Math.ceil(0.1 * qp);
  let v = 0;
  for (const { g, c } of all) {
    if (v >= limit) break;
    order.push(g);
    cs.push(c);
    v += segStart[g + 1] - segStart[g];
  }
  plans.push({ segs: Uint32Array.from(order), cs: Float64Array.from(cs), qnorm: 1 / invQ });
}
const accF = new Float32Array(N);
const accU32 = new Uint32Array(N);
const accU16 = new Uint16Array(N);
function v0(p: Plan) {
  const acc = accF;
  acc.fill(0);
  const { segs, cs } = p;
  for (let j = 0; j < segs.length; j++) {
    const g = segs[j];
    const c = cs[j];
    const end = segStart[g + 1];
    for (let x = segStart[g]; x < end; x++) acc[docs[x]] += c;
  }
}
function v1(p: Plan) {
  const acc = accU32;
  acc.fill(0);
  const { segs, cs } = p;
  const scale = 2 ** 24 / p.qnorm;
  for (let j = 0; j < segs.length; j++) {
    const g = segs[j];
    const c = (cs[j] * scale) | 0;
    const end = segStart[g + 1];
    for (let x = segStart[g]; x < end; x++) acc[docs[x]] += c;
  }
}
function v2(p: Plan) {
  const acc = accU16;
  acc.fill(0);
  const { segs, cs } = p;
  const scale = 60000 / p.qnorm;
  for (let j = 0; j < segs.length; j++) {
    const g = segs[j];
    const c = (cs[j] * scale) | 0;
    const end = segStart[g + 1];
    for (let x = segStart[g]; x < end; x++) acc[docs[x]] += c;
  }
}
function time(name: string, f: (p: Plan) => void) {
  for (const p of plans.slice(0, 5)) f(p);
  const t = performance.now();
  for (const p of plans) f(p);
  console.log(name, ((performance.now() - t) / plans.length).toFixed(2), 'ms/query');
}
const posts =
  plans.reduce((a, p) => {
    let v = 0;
    for (const g of p.segs) v += segStart[g + 1] - segStart[g];
    return a + v;
  }, 0) / plans.length;
console.log('N', N, 'postings visited/query', Math.round(posts), 'segments/query', Math.round(plans.reduce((a, p) => a + p.segs.length, 0) / plans.length));
for (let r = 0; r < 2; r++) {
  time('float32', v0);
  time('uint32', v1);
  time('uint16', v2);
}
const weighed = queries.map((q) => index.weigh(q));
function real(i: number) {
  const w = weighed[i];
  index.firstStage(w.slots, w.qw, w.invQ, 0.1);
}
for (let r = 0; r < 2; r++) {
  for (let i = 0; i < 5; i++) real(i);
  let t = performance.now();
  for (let i = 0; i < weighed.length; i++) real(i);
  console.log('firstStage', ((performance.now() - t) / weighed.length).toFixed(2));
  t = performance.now();
  for (let i = 0; i < weighed.length; i++) index.firstStage(weighed[i].slots, weighed[i].qw, weighed[i].invQ, 1e-7);
  console.log('firstStage ordering only', ((performance.now() - t) / weighed.length).toFixed(2));
}
