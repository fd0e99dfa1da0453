// Where a query's time goes, stage by stage, over N synthetic photos made as bench.ts makes them
// (real dev-set bags mixed; the eval cache must exist: run `photowords eval ../shared/datasets`).
//   N=100000 BUDGETS=0.1,0.05 node --import tsx bench/experiments/query-stages.ts
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { defaultEvalCache } from '../../src/core/eval/suite.js';
import { DEFAULT_SETTINGS, kgramSettings, mergeSettings } from '../../src/core/common/settings.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { ImpactIndex } from '../../src/core/search/impact-index.js';
import { mulberry32 } from '../../src/core/common/random.js';
import { mix } from '../synthetic.js';

const N = Number(process.env.N ?? 100000);
const DATASETS = path.resolve('../shared/datasets');
const settings = mergeSettings(DEFAULT_SETTINGS, { collapseKgrams: false });
const engine = await Engine.open(defaultEvalCache(DATASETS, settings), { settings, log: () => {} });
const ks = kgramSettings(DEFAULT_SETTINGS);
const bags = [...engine.store.iterGrids()].map((g) => bagFromGrid(g.grid, ks));
await engine.close();
const synth = function* () {
  const r = mulberry32(7);
  for (let id = 0; id < N; id++) yield { id, bag: mix(bags[Math.floor(r() * bags.length)], bags[Math.floor(r() * bags.length)], r) };
};
const t0 = performance.now();
const index: any = ImpactIndex.build(() => synth());
console.log('build', ((performance.now() - t0) / 1000).toFixed(1), 's');
const rand = mulberry32(42);
const queries = Array.from({ length: 100 }, () => bags[Math.floor(rand() * bags.length)]);
const T: Record<string, number> = { firstStage: 0, rerank: 0, run: 0, weigh: 0 };
for (const name of Object.keys(T)) {
  const orig = index[name].bind(index);
  index[name] = (...a: any[]) => {
    const t = performance.now();
    const r = orig(...a);
    T[name] += performance.now() - t;
    return r;
  };
}
const budgets = (process.env.BUDGETS ?? '0.1').split(',').map(Number);
for (const budget of budgets) {
  for (const q of queries.slice(0, 5)) index.search(q, { k: 20, budget });
  for (const k of Object.keys(T)) T[k] = 0;
  const times: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    index.search(q, { k: 20, budget });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const per = (x: number) => (x / queries.length).toFixed(2);
  console.log(
    `budget ${budget}: median ${times[50].toFixed(2)} p95 ${times[95].toFixed(2)} | weigh ${per(T.weigh)} firstStage ${per(T.firstStage)} candidates ${per(T.run - T.firstStage - T.rerank)} rerank ${per(T.rerank)}`,
  );
}
