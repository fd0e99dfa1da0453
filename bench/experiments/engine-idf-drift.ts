// How stale may an export's statistics get? rank_features documents bake idf and norms in at
// export time (src/core/opensearch/export.ts). Here the dev set is weighed with statistics from
// only part of it (as if the library had grown by 1/share - 1 since the export) and ranked by the
// exact cosine of those weights; compared with weights from the full statistics: top-10 overlap
// and mAP. `node --import tsx bench/experiments/engine-idf-drift.ts`
import { evaluateRanking } from '../../src/core/eval/map.js';
import { mulberry32 } from '../../src/core/common/random.js';
import { CorpusStats, documentWeights, queryWeights, type WeightedWords } from '../../src/core/opensearch/weights.js';
import { topK } from '../../src/core/search/scorers/scorer.js';
import { loadDevSet } from '../devset.js';

const dev = loadDevSet();
const bags = dev.docs.map((d) => d.bag);
const n = bags.length;

function rankAll(stats: CorpusStats) {
  const docs: WeightedWords[] = bags.map((b) => documentWeights(b, stats));
  const lists = new Map<number, { d: number[]; w: number[] }>();
  docs.forEach((x, d) =>
    x.terms.forEach((t, i) => {
      let l = lists.get(t);
      if (!l) lists.set(t, (l = { d: [], w: [] }));
      l.d.push(d);
      l.w.push(x.weights[i]);
    }),
  );
  const rows: Float32Array[] = [];
  for (let q = 0; q < n; q++) {
    const acc = new Float32Array(n);
    const qw = queryWeights(bags[q], stats);
    qw.terms.forEach((t, i) => {
      const l = lists.get(t);
      if (l) for (let j = 0; j < l.d.length; j++) acc[l.d[j]] += qw.weights[i] * l.w[j];
    });
    rows.push(acc);
  }
  return rows;
}

const fresh = rankAll(CorpusStats.fromBags(bags));
const freshTop = fresh.map((r) => new Set(topK(r, 10).map((x) => x.index)));
const freshMap = evaluateRanking(n, (q) => fresh[q], dev.labels, dev.domains).map;
console.log(`fresh statistics (N = ${n}): mAP ${freshMap.toFixed(4)}`);
for (const share of [0.9, 0.5, 0.25, 0.1]) {
  const r = mulberry32(3);
  const part = bags.filter(() => r() < share);
  const stale = rankAll(CorpusStats.fromBags(part));
  let overlap = 0;
  for (let q = 0; q < n; q++) overlap += topK(stale[q], 10).filter((x) => freshTop[q].has(x.index)).length / 10;
  const map = evaluateRanking(n, (q) => stale[q], dev.labels, dev.domains).map;
  console.log(
    `statistics from ${(share * 100).toFixed(0)}% (N = ${part.length}, library grew ${(n / part.length).toFixed(2)}x since): top-10 overlap with fresh ${(overlap / n).toFixed(4)}, mAP ${map.toFixed(4)} (${(map - freshMap >= 0 ? '+' : '') + (map - freshMap).toFixed(4)})`,
  );
}
