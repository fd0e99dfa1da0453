// Experiment: collapsed terms, df-pruned first stage, exact rerank, on the real dev set.
import path from 'node:path';
import { IndexStore } from '../../src/core/index/store.js';
import { discoverDataset, defaultEvalCache } from '../../src/core/eval/suite.js';
import { DEFAULT_SETTINGS } from '../../src/core/common/settings.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { buildInvertedIndex } from '../../src/core/search/inverted-index.js';
import { TfidfScorer } from '../../src/core/search/scorers/tfidf.js';
import { DenseIndex } from '../../src/core/search/scorers/dense.js';
import { evaluateRanking } from '../../src/core/eval/map.js';
import { topK } from '../../src/core/search/scorers/scorer.js';
import type { Bag, TokenGrid } from '../../src/core/common/types.js';

const DATASETS = path.resolve('../shared/datasets');
const s = { ...DEFAULT_SETTINGS, resolution: Number(process.env.RES ?? 299) };
const dbPath = defaultEvalCache(DATASETS, s);
const settings = IndexStore.readSettings(dbPath);
const store = IndexStore.open(dbPath, { fingerprint: IndexStore.readFingerprint(dbPath)!, settings: settings as object });
const items = discoverDataset(DATASETS);
const byPath = new Map(items.map((it, i) => [it.path, i]));
const grids: TokenGrid[] = [];
const order: number[] = [];
const idToPos = new Map<number, number>();
for (const g of store.iterGrids()) {
  const i = byPath.get(g.path);
  if (i === undefined) continue;
  idToPos.set(g.id, grids.length);
  grids.push(g.grid);
  order.push(i);
}
const dense: Float32Array[] = [];
for (const d of store.iterDense()) {
  const p = idToPos.get(d.id);
  if (p !== undefined) dense[p] = d.vector;
}
store.close();
const n = grids.length;
const labels = order.map((i) => items[i].label);
const domains = order.map((i) => items[i].domain);
const ks = { kernel: 3, padding: 0, channel: false };
const full = grids.map((g) => bagFromGrid(g, ks));
const codes = grids[0].codes;
function collapse(b: Bag): Bag {
  const k = ks.kernel;
  const m = new Map<number, number>();
  for (let i = 0; i < b.terms.length; i++) {
    const t = b.terms[i];
    const tok = t % codes;
    const head = Math.floor(t / codes / (k * k));
    const id = head * codes + tok;
    m.set(id, (m.get(id) ?? 0) + b.tfs[i]);
  }
  const ids = [...m.keys()].sort((a, b) => a - b);
  return { terms: Uint32Array.from(ids), tfs: Float32Array.from(ids.map((x) => m.get(x)!)) };
}
const coll = full.map(collapse);
const ev = (name: string, row: (q: number) => ArrayLike<number>) => {
  const t = performance.now();
  const r = evaluateRanking(n, row, labels, domains);
  console.log(
    `${name}: mAP ${r.map.toFixed(4)} qr ${r.mapQueryRemoved.toFixed(4)} ${JSON.stringify(Object.fromEntries(Object.entries(r.domains).map(([k, v]) => [k, +v.toFixed(4)])))} ${((performance.now() - t) / 1000).toFixed(1)}s`,
  );
  return r.map;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`n=${n} full terms/img ${mean(full.map((b) => b.terms.length)).toFixed(0)} collapsed ${mean(coll.map((b) => b.terms.length)).toFixed(0)}`);
const buf = new Float32Array(n);
const fullIdx = buildInvertedIndex(full.map((bag, id) => ({ id, bag })));
const fullSc = new TfidfScorer(fullIdx);
const collIdx = buildInvertedIndex(coll.map((bag, id) => ({ id, bag })));
const collSc = new TfidfScorer(collIdx);
// df distribution
for (const [name, idx] of [
  ['full', fullIdx],
  ['coll', collIdx],
] as const) {
  const dfs = Array.from(idx.df).sort((a, b) => b - a);
  const total = idx.postings;
  const fr = [0.01, 0.02, 0.05, 0.1, 0.2].map((f) => {
    let p = 0;
    for (const d of dfs) if (d > f * n) p += d;
    return `df>${f}: ${((p / total) * 100).toFixed(0)}% of postings`;
  });
  // postings touched per query
  let touched = 0;
  for (let q = 0; q < 200; q++) {
    const b = (name === 'full' ? full : coll)[q * 20];
    for (const t of b.terms) touched += idx.df[idx.slotOf(t)];
  }
  console.log(name, 'terms', idx.terms.length, 'postings', total, fr.join(', '), 'touched/query frac', (touched / 200 / total).toFixed(3));
}
if (process.env.BASE) {
  ev('full tfidf', (q) => fullSc.scoreAll(full[q], buf));
  ev('collapsed tfidf', (q) => collSc.scoreAll(coll[q], buf));
  const di = new DenseIndex(dense);
  ev('dense', (q) => di.scoreAll(dense[q], buf));
}
// Two-stage: first stage = collapsed tf-idf over query terms with df <= maxDf*n, top m by query weight.
const exact = new Float32Array(n);
function twoStage(maxDf: number, m: number, R: number, rerank: 'coll' | 'full') {
  const { offsets, docs, df } = collIdx;
  const w = (collSc as any).weight as Float32Array;
  const acc = new Float32Array(n);
  let touched = 0;
  const row = (q: number) => {
    acc.fill(0);
    const b = coll[q];
    const cand: { s: number; qw: number }[] = [];
    for (let i = 0; i < b.terms.length; i++) {
      const s = collIdx.slotOf(b.terms[i]);
      if (df[s] > maxDf * n) continue;
      cand.push({ s, qw: (1 + Math.log(b.tfs[i])) * collSc.idf[s] });
    }
    cand.sort((a, c) => c.qw * collSc.idf[c.s] - a.qw * collSc.idf[a.s]);
    for (const { s, qw } of cand.slice(0, m))
      for (let p = offsets[s]; p < offsets[s + 1]; p++) {
        acc[docs[p]] += qw * w[p];
        touched++;
      }
    const top = topK(acc, R);
    if (rerank === 'coll') collSc.scoreAll(coll[q], exact);
    else fullSc.scoreAll(full[q], exact);
    for (let d = 0; d < n; d++) buf[d] = acc[d] * 1e-3;
    for (const t of top) buf[t.index] = 10 + exact[t.index];
    return buf;
  };
  const r = ev(`two-stage maxDf ${maxDf} m ${m} R ${R} rerank ${rerank}`, row);
  console.log(`   postings touched/query ${(touched / n).toFixed(0)} (${(touched / n / collIdx.postings).toFixed(4)} of all)`);
  return r;
}
const configs = (process.env.CONF ?? '0.05,64,300,coll;0.05,64,300,full;0.02,64,300,coll;0.1,128,300,coll;0.05,32,300,coll;0.05,64,100,coll;0.05,64,1000,coll').split(';');
for (const c of configs) {
  const [a, b, r, k] = c.split(',');
  twoStage(+a, +b, +r, k as 'coll' | 'full');
}
// Score-at-a-time with a postings budget: keep only the query's largest contributions q_t*w_dt.
function saat(frac: number, R: number) {
  const { offsets, docs } = collIdx;
  const w = (collSc as any).weight as Float32Array;
  const acc = new Float32Array(n);
  let kept = 0;
  const row = (q: number) => {
    acc.fill(0);
    const b = coll[q];
    const contrib: number[] = [];
    const slots: number[] = [],
      qws: number[] = [];
    for (let i = 0; i < b.terms.length; i++) {
      const s = collIdx.slotOf(b.terms[i]);
      const qw = (1 + Math.log(b.tfs[i])) * collSc.idf[s];
      slots.push(s);
      qws.push(qw);
      for (let p = offsets[s]; p < offsets[s + 1]; p++) contrib.push(qw * w[p]);
    }
    const sorted = Float32Array.from(contrib).sort();
    const budget = Math.max(1, Math.floor(frac * sorted.length));
    const theta = sorted[sorted.length - budget];
    for (let j = 0; j < slots.length; j++) {
      const s = slots[j],
        qw = qws[j];
      for (let p = offsets[s]; p < offsets[s + 1]; p++) {
        const c = qw * w[p];
        if (c >= theta) {
          acc[docs[p]] += c;
          kept++;
        }
      }
    }
    const top = topK(acc, R);
    collSc.scoreAll(coll[q], exact);
    for (let d = 0; d < n; d++) buf[d] = acc[d] * 1e-3;
    for (const t of top) buf[t.index] = 10 + exact[t.index];
    return buf;
  };
  ev(`saat frac ${frac} R ${R}`, row);
  console.log(`   postings kept/query ${(kept / n).toFixed(0)}`);
}
for (const c of (process.env.SAAT ?? '').split(';').filter(Boolean)) {
  const [f, r] = c.split(',');
  saat(+f, +r);
}
