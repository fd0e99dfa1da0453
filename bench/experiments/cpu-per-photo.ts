// CPU per photo of the whole indexing pipeline (all threads) against its wall time; run with
// --cpu-prof to see where the main thread spends its time beside the model:
//   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/experiments/cpu-per-photo.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { discoverDataset } from '../../src/core/eval/suite.js';
const all = discoverDataset(path.resolve('../shared/datasets')).map((x) => x.path);
const files = Array.from({ length: 600 }, (_, i) => all[Math.floor((i * all.length) / 600)]);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-prof-'));
const lib = path.join(tmp, 'lib');
fs.mkdirSync(lib);
files.forEach((f, i) => fs.symlinkSync(f, path.join(lib, `${String(i).padStart(5, '0')}${path.extname(f)}`)));
const e = await Engine.open(path.join(tmp, 'x.db'), { provider: 'cpu' });
const c0 = process.cpuUsage();
const t0 = performance.now();
const r = await e.index([lib]);
const wall = performance.now() - t0;
const c = process.cpuUsage(c0);
console.log('img/s', (r.indexed / (wall / 1000)).toFixed(2), 'cpu ms/photo (all threads)', ((c.user + c.system) / 1000 / r.indexed).toFixed(2), 'wall ms/photo', (wall / r.indexed).toFixed(2));
await e.close();
fs.rmSync(tmp, { recursive: true, force: true });
