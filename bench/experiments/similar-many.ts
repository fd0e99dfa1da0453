// Find similar from several photos (similarToMany, issue 19): does asking with k photos of one
// kind find more of that kind than asking with one? Each chosen photo's TF-IDF cosines to the
// library (the app's default scoring; exact here), fused as the library fuses them: the mean
// score, the chosen photos left out. Precision at 10 (share of the top 10 of the chosen kind),
// against the mean precision at 10 of the same photos asked one at a time (each leaving out all
// the chosen). Reads the eval cache's token grids (made by `photowords eval ../shared/datasets`):
//   cp ~/.cache/photowords/eval/datasets-inception_v3-mixed7-h8-n4096-r299.db /tmp/e-sm.db
//   npx tsx bench/experiments/similar-many.ts /tmp/e-sm.db
// The library keeps each photo's top 500 only (a photo outside one list counts 0 there); at these
// sizes the top 500 of a class-sized query covers everything the top 10 can hold, so the exact
// mean here is what the app ranks by (checked: "top-500 fusion" column).
import Database from 'better-sqlite3';
import { IndexStore } from '../../src/core/index/store.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { buildInvertedIndex } from '../../src/core/search/inverted-index.js';
import { createBagScorer } from '../../src/core/search/scorers/by-name.js';
import { DEFAULT_SETTINGS, kgramSettings } from '../../src/core/common/settings.js';
import { mulberry32 } from '../../src/core/common/random.js';
import type { Bag } from '../../src/core/common/types.js';

const file = process.argv[2] ?? '/tmp/e-sm.db';
const TRIALS = Number(process.argv[3] ?? 10);
const meta = new Database(file, { readonly: true });
const fp = (meta.prepare("SELECT value FROM meta WHERE key = 'fingerprint'").get() as { value: string }).value;
meta.close();
const store = IndexStore.open(file, { fingerprint: fp, settings: {}, log: () => undefined });
const ks = kgramSettings(DEFAULT_SETTINGS);
const all: { domain: string; label: string; bag: Bag }[] = [];
for (const g of store.iterGrids()) {
  const rel = g.path.split('/datasets/')[1];
  if (!rel) continue;
  const [domain, label] = rel.split('/');
  all.push({ domain, label, bag: bagFromGrid(g.grid, ks) });
}
store.close();

const CANDIDATES = 500;
for (const domain of ['flowers17', 'caltech101']) {
  const lib = all.filter((x) => x.domain === domain);
  const scorer = createBagScorer('tfidf-exact', buildInvertedIndex(lib.map((x, i) => ({ id: i, bag: x.bag }))));
  const byLabel = new Map<string, number[]>();
  lib.forEach((x, i) => byLabel.set(x.label, [...(byLabel.get(x.label) ?? []), i]));
  const scores = new Map<number, Float32Array>();
  const scoresOf = (i: number) => {
    let s = scores.get(i);
    if (!s) scores.set(i, (s = Float32Array.from(scorer.scoreAll(lib[i].bag))));
    return s;
  };
  const p10 = (score: (d: number) => number, skip: Set<number>, label: string) => {
    const top: number[] = [];
    for (let d = 0; d < lib.length; d++) if (!skip.has(d)) top.push(d);
    top.sort((a, b) => score(b) - score(a) || a - b);
    return top.slice(0, 10).filter((d) => lib[d].label === label).length / 10;
  };
  const rand = mulberry32(19);
  console.log(`${domain}: ${lib.length} photos, ${byLabel.size} kinds, ${TRIALS} random choices per kind`);
  for (const k of [1, 2, 3, 5]) {
    let fused = 0;
    let fusedTop = 0;
    let fusedFloor = 0;
    let single = 0;
    let n = 0;
    for (const [label, members] of byLabel) {
      if (members.length < k + 10) continue;
      for (let t = 0; t < TRIALS; t++) {
        const pool = [...members];
        const chosen: number[] = [];
        while (chosen.length < k) chosen.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]);
        const skip = new Set(chosen);
        const lists = chosen.map(scoresOf);
        fused += p10((d) => lists.reduce((s, l) => s + l[d], 0) / k, skip, label);
        // As the library does it: each list cut at its top 500, 0 outside.
        const cut = lists.map((l) => {
          const sorted = Array.from(l).sort((a, b) => b - a);
          const floor = sorted[Math.min(CANDIDATES, sorted.length) - 1];
          return (d: number) => (l[d] >= floor ? l[d] : 0);
        });
        fusedTop += p10((d) => cut.reduce((s, f) => s + f(d), 0) / k, skip, label);
        // The same lists, a photo outside one counting that list's last score (an upper bound) instead of 0.
        const floors = lists.map((l) => Array.from(l).sort((a, b) => b - a)[Math.min(CANDIDATES, l.length) - 1]);
        fusedFloor += p10((d) => lists.reduce((s, l, j) => s + Math.max(l[d] >= floors[j] ? l[d] : floors[j], 0), 0) / k, skip, label);
        single += chosen.reduce((s, c) => s + p10((d) => scoresOf(c)[d], skip, label), 0) / k;
        n++;
      }
    }
    console.log(
      `  k=${k}: P@10 one at a time ${(single / n).toFixed(3)}, together (mean score) ${(fused / n).toFixed(3)}, top-500 fusion ${(fusedTop / n).toFixed(3)}, with the floor ${(fusedFloor / n).toFixed(3)}  (${n} choices)`,
    );
  }
}
