// Precision at 10 of "Find similar" on flowers17 alone (the e2e test's library), for one photo of
// every class at a few picks. Run after indexing flowers17 into /tmp/fl.db:
//   photowords index ../shared/datasets/flowers17 --db /tmp/fl.db && npx tsx bench/experiments/p-at-10.ts
import { Engine } from '../../src/core/library/engine.js';
import path from 'node:path';
const e = await Engine.open('/tmp/fl.db', { provider: 'cpu' });
const imgs = e.store
  .listImages()
  .filter((r) => r.status === 'indexed')
  .sort((a, b) => (a.path < b.path ? -1 : 1));
for (const pick of [0, 7, 20, 40]) {
  const byClass = new Map<string, typeof imgs>();
  for (const r of imgs) {
    const c = path.basename(path.dirname(r.path));
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(r);
  }
  const counts: number[] = [];
  for (const [, list] of byClass) {
    const r = list[pick];
    const res = await e.similar(r.path, { top: 11 });
    const others = res.results.filter((x) => x.id !== r.id).slice(0, 10);
    counts.push(others.filter((x) => path.dirname(x.path) === path.dirname(r.path)).length);
  }
  console.log(
    pick,
    counts.join(' '),
    'sum',
    counts.reduce((a, b) => a + b, 0),
    '/',
    counts.length * 10,
    'queries>=6',
    counts.filter((c) => c >= 6).length,
  );
}
await e.close();
