// The codebook step of a model change at the app's default tuning (docs/MODELS.md, "Switching
// models"): a real Library of N caltech101 photos (linked in place), the full-size stand-in of a
// catalogue model served on loopback, chooseModel as Settings calls it. Prints every distinct
// progress message with its time left, the phases' wall times, this process's CPU time and the load,
// then cancels at 'index' (the index step is timed in bench/models-e2e.ts).
//   nice -n 10 node --import tsx bench/models-tuning.ts [--photos 300] [--id dinov2-small] [--json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Library } from '../src/core/library/library.js';
import { serveFolder, writeStandinCatalog } from '../test/fixtures/standin-models.js';
import type { ModelChangeProgress } from '../src/shared/api.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const PHOTOS = Number(arg('photos', '300'));
const ID = arg('id', 'dinov2-small');
const CALTECH = path.resolve('../shared/datasets/caltech101');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-tuning-'));
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

// N photos, one from each class in turn (so the sample covers many kinds of scene), linked in place.
const classes = fs.readdirSync(CALTECH).sort();
const lists = classes.map((c) => fs.readdirSync(path.join(CALTECH, c)).sort());
const photos = path.join(root, 'photos');
let n = 0;
for (let round = 0; n < PHOTOS; round++) {
  for (const [i, c] of classes.entries()) {
    if (n >= PHOTOS || !lists[i][round]) continue;
    fs.mkdirSync(path.join(photos, c), { recursive: true });
    fs.symlinkSync(path.join(CALTECH, c, lists[i][round]), path.join(photos, c, lists[i][round]));
    n++;
  }
}
const served = path.join(root, 'served');
const { server, base } = await serveFolder(served);
fs.writeFileSync(path.join(root, 'catalog.json'), JSON.stringify(writeStandinCatalog(served, base, { ids: [ID] })));
process.env.PHOTOWORDS_MODELS = path.join(root, 'cache');
process.env.PHOTOWORDS_MODEL_CATALOG = path.join(root, 'catalog.json');
delete process.env.PHOTOWORDS_MODEL_TUNING;

const library = await Library.open(path.join(root, 'index.db'), { provider: 'cpu', watch: false });
await library.addFolder(photos);
await library.whenIdle();
console.log(`library: ${n} caltech101 photos indexed; load ${load()}`);

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const lines: { s: number; phase: string; done: number; total: number; eta: number | null; message: string; load: string }[] = [];
const phaseStart: Record<string, number> = {};
let lastMessage = '';
const done = new Promise<ModelChangeProgress>((resolve) => {
  library.onEvent((e) => {
    if (e.type !== 'model-change') return;
    const p = e.progress;
    const s = (performance.now() - t0) / 1000;
    phaseStart[p.phase] ??= s;
    // The message without its counter: one line per kind of message, plus every 10th photo.
    const kind = p.message.replace(/: \d+ read$/, '');
    if (kind !== lastMessage || p.done % 10 === 0 || p.phase !== 'codebook') {
      lines.push({ s: Number(s.toFixed(1)), phase: p.phase, done: p.done, total: p.total, eta: p.etaSeconds, message: p.message, load: load() });
      console.log(`${s.toFixed(1).padStart(7)} s  ${p.phase.padEnd(8)} ${p.done}/${p.total}  time left ${p.etaSeconds ?? '-'} s  ${p.message}  (load ${load()})`);
    }
    lastMessage = kind;
    if (p.phase === 'index') void library.cancelModelChange();
    if (['ready', 'failed', 'cancelled'].includes(p.phase)) resolve(p);
  });
});
await library.chooseModel(ID, {});
const end = await done;
const cpu = process.cpuUsage(cpu0);
const wall = (performance.now() - t0) / 1000;
const codebookS = (phaseStart.index ?? wall) - (phaseStart.codebook ?? 0);
const kmeansAt = lines.find((l) => l.message.startsWith('Grouping'))?.s;
const summary = {
  model: `${ID} stand-in (full size)`,
  photos: n,
  end: end.phase,
  downloadS: Number(((phaseStart.codebook ?? 0) - (phaseStart.download ?? 0)).toFixed(1)),
  codebookS: Number(codebookS.toFixed(1)),
  readingS: kmeansAt !== undefined ? Number((kmeansAt - (phaseStart.codebook ?? 0)).toFixed(1)) : null,
  kmeansS: kmeansAt !== undefined ? Number(((phaseStart.index ?? wall) - kmeansAt).toFixed(1)) : null,
  wallS: Number(wall.toFixed(1)),
  cpuUserS: Number((cpu.user / 1e6).toFixed(1)),
  cpuSystemS: Number((cpu.system / 1e6).toFixed(1)),
  loadEnd: load(),
  cpus: `${os.cpus()[0]?.model} x ${os.cpus().length}`,
};
console.log(JSON.stringify(summary));
if (process.argv.includes('--json')) console.log(JSON.stringify({ summary, lines }));
await library.close();
server.close();
fs.rmSync(root, { recursive: true, force: true });
