// Rules that join the fingerprint (fingerprint.ts) and the bag cosine, scored on the
// near-duplicate benchmark's pairs (run npm run bench:duplicates first).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeForModel } from '../../src/core/analysis/decode/decode.js';
import { Engine } from '../../src/core/library/engine.js';
import { lowFrequencyDct, hashOf, hamming } from '../../src/core/analysis/phash.js';
import { exactCosine } from '../../src/core/duplicates/find.js';
const WORK = path.join(os.homedir(), '.cache', 'photowords', 'bench-duplicates');
const { photos } = JSON.parse(fs.readFileSync(path.join(WORK, 'manifest.json'), 'utf8')) as { photos: { file: string; family: number | null; kind: string; cls: string }[] };
const engine = await Engine.open(path.join(WORK, 'index.db'), { provider: 'cpu' });
const idOf = new Map(engine.store.listImages().map((r) => [path.basename(r.path), r.id]));
const ids = photos.map((p) => idOf.get(p.file)!);
const hashes: ReturnType<typeof hashOf>[] = [];
for (const p of photos) {
  const d = await decodeForModel(fs.readFileSync(path.join(WORK, 'photos', p.file)), 299);
  hashes.push(hashOf(lowFrequencyDct(d.pixels, d.width, d.height)));
}
const live = engine.liveIndex();
const snap = live.snapshot();
const pairs = new Map<string, { i: number; j: number; d: number; cos: number; ok: boolean; kind: string }>();
const cos = (i: number, j: number) => exactCosine(snap, engine.store.getBag(ids[i])!, engine.store.getBag(ids[j])!);
const add = (i: number, j: number) => {
  if (i > j) [i, j] = [j, i];
  const key = `${i},${j}`;
  if (pairs.has(key)) return;
  const ok = photos[i].family !== null && photos[i].family === photos[j].family;
  pairs.set(key, { i, j, d: hamming(hashes[i], hashes[j]), cos: cos(i, j), ok, kind: photos[i].kind === 'original' ? photos[j].kind : photos[j].kind === 'original' ? photos[i].kind : 'edit-edit' });
};
for (let i = 0; i < photos.length; i++) for (let j = i + 1; j < photos.length; j++) if (hamming(hashes[i], hashes[j]) <= 22) add(i, j);
const index = new Map(ids.map((id, i) => [id, i]));
for (let i = 0; i < photos.length; i++) for (const n of live.search(engine.store.getBag(ids[i])!, 11)) if (n.id !== ids[i] && n.score >= 0.3) add(i, index.get(n.id)!);
const all = [...pairs.values()];
const truePairs = all.filter((p) => p.ok).length;
console.log('candidate pairs', all.length, 'true among them', truePairs);
const famPairs = (80 * 14 * 13) / 2;
for (const [a, b, c] of [
  [0, 99, 0.45],
  [8, 99, 0.45],
  [10, 99, 0.45],
  [12, 99, 0.45],
  [8, 14, 0.3],
  [8, 16, 0.3],
  [8, 18, 0.3],
  [10, 16, 0.3],
  [10, 18, 0.3],
  [10, 18, 0.25],
  [10, 20, 0.3],
  [10, 16, 0.2],
  [10, 18, 0.35],
  [12, 18, 0.3],
] as [number, number, number][]) {
  const rule = (p: { d: number; cos: number }) => p.d <= a || p.cos >= 0.45 || (p.d <= b && p.cos >= c);
  const sel = all.filter(rule);
  const tp = sel.filter((p) => p.ok).length;
  const kinds: Record<string, number> = {};
  for (const p of sel.filter((p) => p.ok && p.kind !== 'edit-edit')) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
  console.log(
    `d<=${a} | cos>=0.45 | (d<=${b} & cos>=${c}): P ${(tp / sel.length).toFixed(3)} R(pairs direct) ${(tp / famPairs).toFixed(3)} false ${sel.length - tp} sameClassFalse ${sel.filter((p) => !p.ok && photos[p.i].cls === photos[p.j].cls).length}`,
    JSON.stringify(kinds),
  );
}
await engine.close();
// The false pairs of the chosen rule, to look at.
for (const p of all.filter((p) => !p.ok && (p.d <= 10 || p.cos >= 0.45 || (p.d <= 18 && p.cos >= 0.3)))) console.log('false', photos[p.i].file, photos[p.j].file, 'd', p.d, 'cos', p.cos.toFixed(3));
