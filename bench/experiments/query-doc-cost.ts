// What duplicate finding's calls into the query index cost (searchDoc, cosineBetween) at a
// synthetic library size, to compare layouts of the index (docs/EVAL.md, "Queries at a million photos").
//   N=100000 HOME=<copy of the eval cache> node --import tsx bench/experiments/query-doc-cost.ts
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { defaultEvalCache } from '../../src/core/eval/suite.js';
import { DEFAULT_SETTINGS, kgramSettings, mergeSettings } from '../../src/core/common/settings.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { ImpactIndex } from '../../src/core/search/impact-index.js';
import { mulberry32 } from '../../src/core/common/random.js';
import { mix } from '../synthetic.js';
import type { Bag } from '../../src/core/common/types.js';

const N = Number(process.env.N ?? 100000);
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
const index = ImpactIndex.build(() => synth());
const rand = mulberry32(3);
const cpu = () => process.cpuUsage().user / 1000;
const time = (n: number, f: () => void) => {
  for (let i = 0; i < Math.min(50, n); i++) f();
  const t = performance.now();
  const c = cpu();
  for (let i = 0; i < n; i++) f();
  return { wallUs: Number((((performance.now() - t) / n) * 1000).toFixed(2)), cpuUs: Number((((cpu() - c) / n) * 1000).toFixed(2)) };
};
let sink = 0;
const searchDoc = time(300, () => (sink += index.searchDoc(Math.floor(rand() * N), { k: 20 }).length));
const cosine = time(200_000, () => (sink += index.cosineBetween(Math.floor(rand() * N), Math.floor(rand() * N))));
console.log(JSON.stringify({ N, searchDoc, cosineBetween: cosine, indexMemoryMB: Math.round(index.memoryBytes / 2 ** 20), loadAvg: (await import('node:os')).loadavg(), sink }));
