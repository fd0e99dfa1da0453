// Experiment behind docs/EVAL.md "Beyond the bag": co-occurrence pairs (offsets, coarse sizes), two-block
// fusion weights and soft-bag rounding, at the bag level from the eval caches. WHAT=base,blocks,pairs,pairsfull,softround.
import path from 'node:path';
import { IndexStore } from '../../src/core/index/store.js';
import { discoverDataset, defaultEvalCache } from '../../src/core/eval/suite.js';
import { DEFAULT_SETTINGS } from '../../src/core/common/settings.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { buildInvertedIndex } from '../../src/core/search/inverted-index.js';
import { createBagScorer } from '../../src/core/search/scorers/by-name.js';
import { ImpactIndex } from '../../src/core/search/impact-index.js';
import { evaluateRanking } from '../../src/core/eval/map.js';
import { loadCodebook, codebookName } from '../../src/core/analysis/model/codebook.js';
import { coarseCodeMap } from '../../src/core/analysis/model/coarse.js';
import type { Bag, TokenGrid } from '../../src/core/common/types.js';

const DATASETS = path.resolve('/work/shared/datasets');
const items = discoverDataset(DATASETS);
const byPath = new Map(items.map((it, i) => [it.path, i]));

function loadGrids(s: Partial<typeof DEFAULT_SETTINGS>): Map<string, TokenGrid> {
  const db = defaultEvalCache(DATASETS, { ...DEFAULT_SETTINGS, ...s });
  const store = IndexStore.open(db, { fingerprint: IndexStore.readFingerprint(db)!, settings: IndexStore.readSettings(db) as object });
  const out = new Map<string, TokenGrid>();
  for (const g of store.iterGrids()) if (byPath.has(g.path)) out.set(g.path, g.grid);
  store.close();
  return out;
}

const g7 = loadGrids({});
const paths = [...g7.keys()];
const labels = paths.map((p) => items[byPath.get(p)!].label);
const domains = paths.map((p) => items[byPath.get(p)!].domain);
const n = paths.length;

function shift(b: Bag, off: number, scale = 1): Bag {
  return { terms: b.terms.map((t) => t + off), tfs: scale === 1 ? b.tfs : b.tfs.map((x) => x * scale) };
}
function concat(a: Bag, b: Bag): Bag {
  const terms = new Uint32Array(a.terms.length + b.terms.length);
  terms.set(a.terms);
  terms.set(b.terms, a.terms.length);
  const tfs = new Float32Array(terms.length);
  tfs.set(a.tfs);
  tfs.set(b.tfs, a.tfs.length);
  return { terms, tfs };
}

function pairBag(grid: TokenGrid, offsets: [number, number][], map: Uint16Array | null, m: number, hashBits = 0): Bag {
  const { heads, height: H, width: W, tokens } = grid;
  const ids: number[] = [];
  for (let c = 0; c < heads; c++)
    for (let o = 0; o < offsets.length; o++) {
      const [dy, dx] = offsets[o];
      for (let y = 0; y < H; y++) {
        const y2 = y + dy;
        if (y2 < 0 || y2 >= H) continue;
        for (let x = 0; x < W; x++) {
          const x2 = x + dx;
          if (x2 < 0 || x2 >= W) continue;
          let a = tokens[(c * H + y) * W + x];
          let b = tokens[(c * H + y2) * W + x2];
          if (map) {
            a = map[a];
            b = map[b];
          }
          let id = ((c * offsets.length + o) * m + a) * m + b;
          if (hashBits) id = Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> (32 - hashBits);
          ids.push(id);
        }
      }
    }
  const arr = Uint32Array.from(ids).sort();
  const terms: number[] = [];
  const tfs: number[] = [];
  for (let i = 0; i < arr.length; i++) {
    if (i > 0 && arr[i] === arr[i - 1]) tfs[tfs.length - 1]++;
    else {
      terms.push(arr[i]);
      tfs.push(1);
    }
  }
  return { terms: Uint32Array.from(terms), tfs: Float32Array.from(tfs) };
}

function evalBags(name: string, bags: Bag[], impact = false) {
  const t = performance.now();
  const buf = new Float32Array(n);
  let scoreRow: (q: number) => Float32Array;
  if (impact) {
    const ix = ImpactIndex.build(bags.map((bag, i) => ({ id: i, bag })));
    scoreRow = (q) => ix.scoreAll(bags[q], buf, {});
  } else {
    const index = buildInvertedIndex(bags.map((bag, i) => ({ id: i, bag })));
    const sc = createBagScorer('tfidf-exact', index);
    scoreRow = (q) => sc.scoreAll(bags[q], buf);
  }
  const r = evaluateRanking(n, scoreRow, labels, domains);
  const words = bags.reduce((s, b) => s + b.terms.length, 0) / n;
  console.log(
    `${name}\t${r.map.toFixed(4)}\tqr ${r.mapQueryRemoved.toFixed(4)}\tcal ${r.domains.caltech101.toFixed(4)}\tflo ${r.domains.flowers17.toFixed(4)}\twords ${words.toFixed(0)}\t${((performance.now() - t) / 1000).toFixed(1)}s`,
  );
  return r;
}

// Late fusion of two exact tf-idf scorers.
function evalFusion(name: string, a: Bag[], b: Bag[], w: number) {
  const ia = createBagScorer('tfidf-exact', buildInvertedIndex(a.map((bag, i) => ({ id: i, bag }))));
  const ib = createBagScorer('tfidf-exact', buildInvertedIndex(b.map((bag, i) => ({ id: i, bag }))));
  const ba = new Float32Array(n);
  const bb = new Float32Array(n);
  const r = evaluateRanking(
    n,
    (q) => {
      ia.scoreAll(a[q], ba);
      ib.scoreAll(b[q], bb);
      for (let i = 0; i < n; i++) ba[i] += w * bb[i];
      return ba;
    },
    labels,
    domains,
  );
  console.log(`${name}\t${r.map.toFixed(4)}\tqr ${r.mapQueryRemoved.toFixed(4)}\tcal ${r.domains.caltech101.toFixed(4)}\tflo ${r.domains.flowers17.toFixed(4)}`);
}

const ks = { kernel: 3, padding: 0, channel: false, collapse: true };
const base = paths.map((p) => bagFromGrid(g7.get(p)!, ks));
const what = (process.env.WHAT ?? 'base').split(',');
if (what.includes('base')) evalBags('base', base);

if (what.includes('blocks')) {
  const g5 = loadGrids({ block: 'mixed5', codes: 1024 });
  const b5 = paths.map((p) => bagFromGrid(g5.get(p)!, ks));
  evalBags('mixed5 alone', b5);
  const off = 8 * 4096;
  for (const sc of [1])
    evalBags(
      `m7+m5 one bag`,
      base.map((b, i) => concat(b, shift(b5[i], off, sc))),
    );
  for (const w of [0.25, 0.5, 1]) evalFusion(`m7 + ${w} m5 fusion`, base, b5, w);
}

async function coarseMap(m: number): Promise<Uint16Array> {
  const { codebook } = loadCodebook(codebookName('inception_v3', 'mixed7', 8, 4096));
  return coarseCodeMap(codebook, m);
}

const HV: [number, number][] = [
  [0, 1],
  [1, 0],
];
const ALL4: [number, number][] = [
  [0, 1],
  [1, 0],
  [1, 1],
  [1, -1],
];
const R2: [number, number][] = [
  [0, 2],
  [2, 0],
];
if (what.includes('pairs')) {
  for (const m of (process.env.COARSE ?? '64,256').split(',').map(Number)) {
    const map = await coarseMap(m);
    for (const [oname, offs] of [
      ['hv', HV],
      ['hv+diag', ALL4],
      ['d2', R2],
    ] as const) {
      const pb = paths.map((p) => pairBag(g7.get(p)!, offs as [number, number][], map, m));
      evalBags(`pairs coarse ${m} ${oname} alone`, pb);
      const off = 8 * 4096;
      evalBags(
        `base + pairs coarse ${m} ${oname}`,
        base.map((b, i) => concat(b, shift(pb[i], off))),
      );
      if (process.env.FUSION) for (const w of [0.5, 1]) evalFusion(`base + ${w} pairs ${m} ${oname} fusion`, base, pb, w);
    }
  }
}
if (what.includes('pairsfull')) {
  const pb = paths.map((p) => pairBag(g7.get(p)!, HV, null, 4096, 24));
  evalBags(`pairs 4096 hashed 2^24 hv alone`, pb);
  evalBags(
    `base + pairs 4096 hashed hv`,
    base.map((b, i) => concat(b, shift(pb[i], 8 * 4096))),
  );
}

if (what.includes('softround')) {
  const gs = loadGrids({ softAssign: 1 });
  const w = Number(process.env.W ?? 0.5);
  const soft = paths.map((p) => bagFromGrid(gs.get(p)!, { ...ks, soft: w }));
  evalBags(`soft ${w} float`, soft);
  evalBags(
    `soft ${w} rounded (as stored)`,
    soft.map((b) => ({ terms: b.terms, tfs: b.tfs.map((x) => Math.round(x)) })),
  );
  evalBags(
    `soft ${w} x4 rounded`,
    soft.map((b) => ({ terms: b.terms, tfs: b.tfs.map((x) => Math.round(4 * x)) })),
  );
  evalBags(`soft ${w} two-stage`, soft, true);
}
