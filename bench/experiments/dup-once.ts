// One run of the duplicate finder at its defaults over the near-duplicate benchmark's index (run
// npm run bench:duplicates first), scored as that benchmark scores it (pairs implied by the
// groups; per kind, the share of (original, edit) pairs found), with its time and counters: for
// trying a change to the checks without the benchmark's sweep.
//   node --import tsx bench/experiments/dup-once.ts [--runs N]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { findDuplicates } from '../../src/core/duplicates/find.js';

const WORK = path.join(os.homedir(), '.cache', 'photowords', 'bench-duplicates');
const { photos } = JSON.parse(fs.readFileSync(path.join(WORK, 'manifest.json'), 'utf8')) as { photos: { file: string; family: number | null; kind: string; source: string }[] };
// flowers17 holds one photo twice (bench/duplicates.ts, DATASET_DUPLICATES): that negative is of the original's family.
const canon: Record<string, string> = { 'flowers17/c09/image_0700.jpg': 'flowers17/c09/image_0662.jpg' };
const famOf = new Map(photos.filter((p) => p.kind === 'original').map((p) => [canon[p.source] ?? p.source, p.family]));
for (const p of photos) if (p.family === null) p.family = famOf.get(canon[p.source] ?? p.source) ?? null;
const byFile = new Map(photos.map((p) => [p.file, p]));
const runs = process.argv.includes('--runs') ? Number(process.argv[process.argv.indexOf('--runs') + 1]) : 1;
const engine = await Engine.open(path.join(WORK, 'index.db'), { provider: 'cpu' });
try {
  const live = engine.liveIndex();
  live.snapshot();
  for (let run = 0; run < runs; run++) {
    const cpu = process.cpuUsage();
    const r = await findDuplicates(engine.store, { live, exif: false });
    const used = process.cpuUsage(cpu);
    let implied = 0;
    let correct = 0;
    const found: Record<string, number> = {};
    for (const g of r.groups) {
      const ms = g.members.map((m) => byFile.get(path.basename(m.path))!);
      for (let i = 0; i < ms.length; i++) {
        for (let j = i + 1; j < ms.length; j++) {
          implied++;
          if (ms[i].family !== null && ms[i].family === ms[j].family) correct++;
        }
      }
      for (const o of ms.filter((m) => m.kind === 'original')) for (const m of ms) if (m !== o && m.family === o.family) found[m.kind] = (found[m.kind] ?? 0) + 1;
    }
    const fam = new Map<number, number>();
    for (const p of photos) if (p.family !== null) fam.set(p.family, (fam.get(p.family) ?? 0) + 1);
    const all = [...fam.values()].reduce((s, n) => s + (n * (n - 1)) / 2, 0);
    const P = implied ? correct / implied : 1;
    const R = correct / all;
    console.log(
      `finder ${r.ms.toFixed(0)} ms, CPU ${((used.user + used.system) / 1000).toFixed(0)} ms (groups ${r.timings.groupsMs.toFixed(0)} ms): P ${P.toFixed(3)} R ${R.toFixed(3)} F1 ${((2 * P * R) / (P + R)).toFixed(3)}, false pairs ${implied - correct}`,
    );
    if (run === 0 && process.argv.includes('--missed')) {
      const groupOf = new Map<string, number>();
      r.groups.forEach((g, gi) => g.members.forEach((m) => groupOf.set(path.basename(m.path), gi)));
      for (const p of photos) {
        if (p.kind === 'original' || p.kind === 'negative' || p.kind === 'distractor' || p.family === null) continue;
        const o = photos.find((q) => q.kind === 'original' && q.family === p.family)!;
        const g = groupOf.get(o.file);
        if (g === undefined || groupOf.get(p.file) !== g) {
          const grp = g === undefined ? [] : r.groups[g].members;
          console.log(
            `missed ${p.file} (original in ${g === undefined ? 'no group' : `a group of ${grp.length} kept by ${path.basename(grp[0].path)}`}; edit in ${groupOf.has(p.file) ? `a group kept by ${path.basename(r.groups[groupOf.get(p.file)!].members[0].path)}` : 'no group'})`,
          );
        }
      }
    }
    if (run === 0) {
      console.log(
        Object.entries(found)
          .map(([k, n]) => `${k} ${n}`)
          .join(', '),
      );
      console.log(JSON.stringify(r.pairs));
    }
  }
} finally {
  await engine.close();
}
