// Where "nothing close" begins: the best score a query gets from a library it has no relative in,
// against the best a query gets from one holding others of its kind. Reads the eval cache's token
// grids (flowers17 + caltech101, made by `photowords eval ../shared/datasets`), copied first:
//   cp ~/.cache/photowords/eval/datasets-inception_v3-mixed7-h8-n4096-r299.db /tmp/e-nc.db
//   npx tsx bench/experiments/nothing-close.ts /tmp/e-nc.db
// Two libraries: flowers17 (queries: its own photos, one at a time left out with their
// byte-different re-encodes, and every caltech101 photo) and caltech101 (queries: its own, and
// every flowers17 photo). Scores are the app's default (TF-IDF cosine, default k-grams).
import Database from 'better-sqlite3';
import path from 'node:path';
import { IndexStore } from '../../src/core/index/store.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { buildInvertedIndex } from '../../src/core/search/inverted-index.js';
import { createBagScorer } from '../../src/core/search/scorers/by-name.js';
import { DEFAULT_SETTINGS, kgramSettings } from '../../src/core/common/settings.js';
import type { Bag } from '../../src/core/common/types.js';

const file = process.argv[2] ?? '/tmp/e-nc.db';
const meta = new Database(file, { readonly: true });
const fp = (meta.prepare("SELECT value FROM meta WHERE key = 'fingerprint'").get() as { value: string }).value;
meta.close();
const store = IndexStore.open(file, { fingerprint: fp, settings: {}, log: () => undefined });
const ks = kgramSettings(DEFAULT_SETTINGS);
const all: { path: string; domain: string; label: string; bag: Bag }[] = [];
for (const g of store.iterGrids()) {
  const rel = g.path.split('/datasets/')[1];
  if (!rel) continue;
  const [domain, label] = rel.split('/');
  all.push({ path: g.path, domain, label, bag: bagFromGrid(g.grid, ks) });
}
store.close();

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const fmt = (xs: number[]) =>
  `n ${xs.length}  p5 ${q(xs, 0.05).toFixed(3)}  p25 ${q(xs, 0.25).toFixed(3)}  median ${q(xs, 0.5).toFixed(3)}  p75 ${q(xs, 0.75).toFixed(3)}  p95 ${q(xs, 0.95).toFixed(3)}  max ${q(xs, 1).toFixed(3)}`;

for (const [libName, outName] of [
  ['flowers17', 'caltech101'],
  ['caltech101', 'flowers17'],
]) {
  const lib = all.filter((x) => x.domain === libName);
  const out = all.filter((x) => x.domain === outName);
  const scorer = createBagScorer('tfidf-exact', buildInvertedIndex(lib.map((x, i) => ({ id: i, bag: x.bag }))));
  const buf = new Float32Array(lib.length);
  // Best and 10th best, leaving out the query itself and anything scoring as a copy of it (>= 0.9).
  const best = (bag: Bag, self = -1) => {
    scorer.scoreAll(bag, buf);
    const s = Array.from(buf)
      .filter((v, i) => i !== self && v < 0.9)
      .sort((a, b) => b - a);
    return { top1: s[0], top10: s[9], gap: s[0] - s[9] };
  };
  const inside = lib.map((x, i) => best(x.bag, i));
  const outside = out.map((x) => best(x.bag));
  const sameClassTop1 = lib.map((x, i) => {
    scorer.scoreAll(x.bag, buf);
    let bi = -1;
    for (let d = 0; d < lib.length; d++) if (d !== i && buf[d] < 0.9 && (bi < 0 || buf[d] > buf[bi])) bi = d;
    return lib[bi].label === x.label;
  });
  console.log(`library ${libName} (${lib.length})`);
  console.log(`  its own photos, best other:     ${fmt(inside.map((r) => r.top1))}`);
  console.log(`  ${outName} photos, best:     ${fmt(outside.map((r) => r.top1))}`);
  console.log(`  own, 10th best:                 ${fmt(inside.map((r) => r.top10))}`);
  console.log(`  outside, 10th best:             ${fmt(outside.map((r) => r.top10))}`);
  for (const t of [0.12, 0.14, 0.15, 0.16, 0.18, 0.2, 0.22, 0.25]) {
    const outBelow = outside.filter((r) => r.top1 < t).length / outside.length;
    const inBelow = inside.filter((r) => r.top1 < t).length / inside.length;
    const inBelowRight = inside.filter((r, i) => r.top1 < t && sameClassTop1[i]).length / inside.length;
    console.log(
      `  threshold ${t.toFixed(2)}: outside queries called "nothing close" ${(100 * outBelow).toFixed(1)}%, own queries ${(100 * inBelow).toFixed(1)}% (with a right-class best ${(100 * inBelowRight).toFixed(1)}%)`,
    );
  }
  // Measures relative to the ranking itself, against the plain best score: ROC AUC of telling
  // own queries (positives) from foreign ones.
  const auc = (pos: number[], neg: number[]) => {
    let s = 0;
    for (const p of pos) for (const n of neg) s += p > n ? 1 : p === n ? 0.5 : 0;
    return s / pos.length / neg.length;
  };
  const measures = (bag: Bag, self = -1) => {
    scorer.scoreAll(bag, buf);
    const s = Array.from(buf)
      .filter((v, i) => i !== self && v < 0.9)
      .sort((a, b) => b - a);
    const head = s.slice(0, 100);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
    return { best: s[0], 'best/10th': s[0] / s[9], 'best/100th': s[0] / s[99], 'z over top 100': (s[0] - mean(head)) / sd(head), 'z over all': (s[0] - mean(s)) / sd(s) };
  };
  const mi = lib.map((x, i) => measures(x.bag, i));
  const mo = out.map((x) => measures(x.bag));
  console.log(
    `  AUC own vs ${outName}: ${Object.keys(mi[0])
      .map(
        (k) =>
          `${k} ${auc(
            mi.map((r) => r[k as keyof typeof r]),
            mo.map((r) => r[k as keyof typeof r]),
          ).toFixed(3)}`,
      )
      .join(', ')}`,
  );
  const beer = out.filter((x) => /beer/i.test(x.label));
  if (beer.length) console.log(`  beer_mug queries: best ${beer.map((x) => best(x.bag).top1.toFixed(3)).join(' ')}`);
}
void path;
