// CPU per photo of each thread (/proc/self/task) while indexing N dev-set photos, then while the
// model alone runs on the same photos decoded beforehand: where the pipeline's CPU beside the
// model goes (main thread, libuv's pool, libvips' workers, V8's helpers). Linux only.
//   N=600 node --import tsx bench/experiments/cpu-per-thread.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { discoverDataset } from '../../src/core/eval/suite.js';
import { loadForModel, type DecodedImage } from '../../src/core/analysis/decode/decode.js';
const N = Number(process.env.N ?? 600);
const all = discoverDataset(path.resolve('../shared/datasets')).map((x) => x.path);
const files = Array.from({ length: N }, (_, i) => all[Math.floor((i * all.length) / N)]);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-prof-'));
const lib = path.join(tmp, 'lib');
fs.mkdirSync(lib);
files.forEach((f, i) => fs.symlinkSync(f, path.join(lib, `${String(i).padStart(5, '0')}${path.extname(f)}`)));
const e = await Engine.open(path.join(tmp, 'x.db'), { provider: 'cpu' });
const warm = await loadForModel(files[0], 299, { minSide: e.backbone.minSide });
await Promise.all([0, 1].map(() => e.tokenizer.run([warm])));
function threads() {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const st = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(`${tid}:${comm}`, (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // The thread ended between listing the tasks and reading its stat.
    }
  }
  return out;
}
// Threads are named by tid; the model's two worker threads are the two near 23 ms a photo.
const before = threads();
const t0 = performance.now();
const r = await e.index([lib]);
const wall = performance.now() - t0;
const after = threads();
const byComm = new Map<string, number>();
for (const [k, v] of after) {
  const d = v - (before.get(k) ?? 0);
  if (d > 0) console.log(k, (d / r.indexed).toFixed(2));
  const c = k.split(':')[1];
  byComm.set(c, (byComm.get(c) ?? 0) + d);
}
console.log('by name', [...byComm].map(([k, v]) => `${k} ${(v / r.indexed).toFixed(2)}`).join(', '));
console.log('img/s', (r.indexed / (wall / 1000)).toFixed(2), 'total ms/photo', ([...byComm.values()].reduce((a, b) => a + b, 0) / r.indexed).toFixed(2), 'wall', (wall / r.indexed).toFixed(2));
const decoded: DecodedImage[] = [];
for (const f of files) decoded.push(await loadForModel(f, 299, { minSide: e.backbone.minSide }));
const b2 = threads();
const t1 = performance.now();
let next = 0;
await Promise.all(
  [0, 1].map(async () => {
    while (next < decoded.length) await e.tokenizer.run([decoded[next++]]);
  }),
);
const wall2 = performance.now() - t1;
const a2 = threads();
for (const [k, v] of a2) {
  const d = v - (b2.get(k) ?? 0);
  if (d > 0) console.log('M', k, (d / N).toFixed(2));
}
console.log('model-only img/s', (N / (wall2 / 1000)).toFixed(2));
await e.close();
fs.rmSync(tmp, { recursive: true, force: true });
