// The hard-negative benchmark's "same photo" groups, member by member: how each joined its keeper
// (link kind, bits, words), the two photos' pixel sizes, for looking at what the checks let through.
// Run npm run bench:hard-negatives first (it makes the set and the index).
//   node --import tsx bench/experiments/dup-hardneg-pairs.ts [--work DIR] [--all]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { findDuplicates } from '../../src/core/duplicates/find.js';

const args = process.argv.slice(2);
const wi = args.indexOf('--work');
const WORK = wi >= 0 ? args[wi + 1] : path.join(os.tmpdir(), 'photowords-bench-hard-negatives');
const { photos } = JSON.parse(fs.readFileSync(path.join(WORK, 'manifest.json'), 'utf8')) as { photos: { file: string; set: string; identity: string }[] };
const byFile = new Map(photos.map((p) => [p.file, p]));
const engine = await Engine.open(path.join(WORK, 'index.db'), { provider: 'cpu' });
try {
  const live = engine.liveIndex();
  live.snapshot();
  const r = await findDuplicates(engine.store, { live });
  console.log(`finder ${r.ms.toFixed(0)} ms`);
  for (const g of r.groups) {
    const ids = g.members.map((m) => byFile.get(path.basename(m.path))!);
    if (!args.includes('--all') && new Set(ids.map((p) => p.identity)).size === 1) continue;
    const k = g.members[0];
    console.log(`\ngroup keeper ${path.basename(k.path)} ${k.width}x${k.height} (${g.reason})`);
    for (const m of g.members.slice(1)) {
      const l = m.link;
      const same = byFile.get(path.basename(m.path))!.identity === byFile.get(path.basename(k.path))!.identity;
      console.log(
        `  ${same ? 'copy ' : 'FALSE'} ${path.basename(m.path)} ${m.width}x${m.height} by ${l?.by} to ${l?.to === k.id ? 'keeper' : l?.to} score ${l?.score.toFixed(3)} d ${l?.distance ?? '-'} cos ${m.score.toFixed(3)} phash ${m.phashDistance}`,
      );
    }
  }
} finally {
  await engine.close();
}
