// Experiment: ImpactIndex mAP and latency on the real dev set, collapsed k-grams.
import path from 'node:path';
import { IndexStore } from '../../src/core/index/store.js';
import { discoverDataset, defaultEvalCache } from '../../src/core/eval/suite.js';
import { DEFAULT_SETTINGS } from '../../src/core/common/settings.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { ImpactIndex } from '../../src/core/search/impact-index.js';
import { evaluateRanking } from '../../src/core/eval/map.js';
import type { TokenGrid } from '../../src/core/common/types.js';

const DATASETS = path.resolve('../shared/datasets');
const s = { ...DEFAULT_SETTINGS, resolution: Number(process.env.RES ?? 299), codes: Number(process.env.CODES ?? 1024) };
const dbPath = defaultEvalCache(DATASETS, s);
const store = IndexStore.open(dbPath, { fingerprint: IndexStore.readFingerprint(dbPath)!, settings: IndexStore.readSettings(dbPath) as object });
const items = discoverDataset(DATASETS);
const byPath = new Map(items.map((it, i) => [it.path, i]));
const grids: TokenGrid[] = [];
const order: number[] = [];
for (const g of store.iterGrids()) {
  const i = byPath.get(g.path);
  if (i === undefined) continue;
  grids.push(g.grid);
  order.push(i);
}
store.close();
const n = grids.length;
const labels = order.map((i) => items[i].label);
const domains = order.map((i) => items[i].domain);
const ks = { kernel: Number(process.env.K ?? 3), padding: 0, channel: false, collapse: process.env.FULL ? false : true };
const bags = grids.map((g) => bagFromGrid(g, ks));
let t = performance.now();
const idx = ImpactIndex.build(bags.map((bag, id) => ({ id, bag })));
console.log(`built ${idx.postings} postings in ${(performance.now() - t).toFixed(0)} ms, ${(idx.memoryBytes / 2 ** 20).toFixed(1)} MB`);
const buf = new Float32Array(n);
for (const c of (process.env.CONF ?? '1,500;0.25,500;0.1,500;0.05,500').split(';')) {
  const [budget, candidates] = c.split(',').map(Number);
  t = performance.now();
  const r = evaluateRanking(n, (q) => idx.scoreAll(bags[q], buf, { budget, candidates }), labels, domains);
  console.log(`budget ${budget} R ${candidates}: mAP ${r.map.toFixed(4)} qr ${r.mapQueryRemoved.toFixed(4)} ${JSON.stringify(r.domains)} ${((performance.now() - t) / n).toFixed(2)} ms/q`);
}
for (const c of (process.env.AQE ?? '').split(';').filter(Boolean)) {
  const [m, a] = c.split(',').map(Number);
  t = performance.now();
  const r = evaluateRanking(n, (q) => idx.scoreAll(bags[q], buf, { expand: { m, a } }), labels, domains);
  console.log(`aqe m ${m} a ${a}: mAP ${r.map.toFixed(4)} qr ${r.mapQueryRemoved.toFixed(4)} ${JSON.stringify(r.domains)} ${((performance.now() - t) / n).toFixed(2)} ms/q`);
}
