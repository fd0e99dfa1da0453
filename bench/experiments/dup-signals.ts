// Which signal tells "the same photo, edited" from "another photo of the same kind"? Over the
// near-duplicate benchmark's index (run npm run bench:duplicates first): for every (original,
// edit) pair and for each original's best non-family neighbours, the bag cosine and a grid
// similarity (the cells' code centroids compared cell by cell, best of a few centred scales).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { loadCodebook } from '../../src/core/analysis/model/codebook.js';
import type { TokenGrid } from '../../src/core/common/types.js';

const WORK = path.join(os.homedir(), '.cache', 'photowords', 'bench-duplicates');
const { photos } = JSON.parse(fs.readFileSync(path.join(WORK, 'manifest.json'), 'utf8')) as { photos: { file: string; family: number | null; kind: string; cls: string }[] };
const engine = await Engine.open(path.join(WORK, 'index.db'), { provider: 'cpu' });
const { codebook } = loadCodebook(engine.codebook.name);
const D = codebook.dim;
const C = new Float32Array(codebook.centroids);
for (let c = 0; c < codebook.codes; c++) {
  let n = 0;
  for (let d = 0; d < D; d++) n += C[c * D + d] ** 2;
  n = 1 / Math.sqrt(n);
  for (let d = 0; d < D; d++) C[c * D + d] *= n;
}
const cdot = (a: number, b: number) => {
  if (a === b) return 1;
  let s = 0;
  for (let d = 0; d < D; d++) s += C[a * D + d] * C[b * D + d];
  return s;
};
/** Mean over B's cells and heads of the centroid cosine with A's cell at the mapped place; B = A cropped by side s, centred. */
function gridSim(a: TokenGrid, b: TokenGrid, s: number): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < b.height; y++) {
    const ay = Math.round(((1 - s) / 2) * (a.height - 1) + (s * y * (a.height - 1)) / Math.max(1, b.height - 1));
    for (let x = 0; x < b.width; x++) {
      const ax = Math.round(((1 - s) / 2) * (a.width - 1) + (s * x * (a.width - 1)) / Math.max(1, b.width - 1));
      for (let h = 0; h < a.heads; h++) {
        sum += cdot(a.tokens[(h * a.height + ay) * a.width + ax], b.tokens[(h * b.height + y) * b.width + x]);
        n++;
      }
    }
  }
  return sum / n;
}
const SCALES = [1, 0.95, 0.84, 0.71, 0.55];
const bestSim = (a: TokenGrid, b: TokenGrid) => Math.max(...SCALES.map((s) => gridSim(a, b, s)), ...SCALES.map((s) => gridSim(b, a, s)));
const identSim = (a: TokenGrid, b: TokenGrid) => gridSim(a, b, 1);

const idOf = new Map(engine.store.listImages().map((r) => [path.basename(r.path), r.id]));
const live = engine.liveIndex();
const rows: Record<string, { cos: number[]; rank: number[]; ident: number[]; best: number[] }> = {};
const negs = { cos: [] as number[], ident: [] as number[], best: [] as number[] };
const t0 = performance.now();
let sims = 0;
for (const p of photos.filter((x) => x.kind === 'original')) {
  const oid = idOf.get(p.file)!;
  const og = engine.store.getGrid(oid)!;
  const res = live.search(engine.store.getBag(oid)!, 30);
  for (const e of photos.filter((x) => x.family === p.family && x.kind !== 'original')) {
    const eid = idOf.get(e.file)!;
    const r = res.findIndex((x) => x.id === eid);
    const eg = engine.store.getGrid(eid)!;
    const row = (rows[e.kind] ??= { cos: [], rank: [], ident: [], best: [] });
    row.rank.push(r < 0 ? 99 : r);
    row.cos.push(r < 0 ? 0 : res[r].score);
    row.ident.push(identSim(og, eg));
    row.best.push(bestSim(og, eg));
    sims += 1 + 2 * SCALES.length;
  }
  const famIds = new Set(photos.filter((x) => x.family === p.family).map((x) => idOf.get(x.file)));
  for (const n of res.filter((x) => !famIds.has(x.id)).slice(0, 5)) {
    const ng = engine.store.getGrid(n.id)!;
    negs.cos.push(n.score);
    negs.ident.push(identSim(og, ng));
    negs.best.push(bestSim(og, ng));
  }
}
const ms = performance.now() - t0;
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)].toFixed(3);
console.log('kind | cos p10 p50 | rank p50 p90 | ident p10 p50 | best p10 p50');
for (const [k, r] of Object.entries(rows))
  console.log(k, '|', q(r.cos, 0.1), q(r.cos, 0.5), '|', q(r.rank, 0.5), q(r.rank, 0.9), '|', q(r.ident, 0.1), q(r.ident, 0.5), '|', q(r.best, 0.1), q(r.best, 0.5));
console.log(
  'top-5 non-family neighbours | cos p50 p90 p99 max',
  q(negs.cos, 0.5),
  q(negs.cos, 0.9),
  q(negs.cos, 0.99),
  q(negs.cos, 1),
  '| ident p50 p90 p99 max',
  q(negs.ident, 0.5),
  q(negs.ident, 0.9),
  q(negs.ident, 0.99),
  q(negs.ident, 1),
  '| best p50 p90 p99 max',
  q(negs.best, 0.5),
  q(negs.best, 0.9),
  q(negs.best, 0.99),
  q(negs.best, 1),
);
console.log(`${sims} grid comparisons in ${ms.toFixed(0)} ms`);
await engine.close();
