import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/library/engine.js';
import { discoverDataset } from '../../src/core/eval/suite.js';
const all = discoverDataset('/work/shared/datasets').map((x) => x.path);
const files = Array.from({ length: 200 }, (_, i) => all[Math.floor((i * all.length) / 200)]);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gap-'));
const lib = path.join(tmp, 'lib');
fs.mkdirSync(lib);
files.forEach((f, i) => fs.symlinkSync(f, path.join(lib, `${String(i).padStart(5, '0')}${path.extname(f)}`)));
const engine = await Engine.open(path.join(tmp, 'x.db'), { settings: { codes: 4096 } });
import('node:os');
if (process.env.NICE) (await import('node:os')).default.setPriority(0, Number(process.env.NICE));
const tok = engine.tokenizer as any;
const orig = tok.run.bind(tok);
const spans: [number, number][] = [];
tok.run = async (b: any) => {
  const t = performance.now();
  const r = await orig(b);
  spans.push([t, performance.now()]);
  return r;
};
const t0 = performance.now();
let first = 0;
const r = await engine.index([lib], {
  onProgress: () => {
    if (!first) first = performance.now();
  },
});
const wall = performance.now() - t0;
let busy = 0;
for (const [a, b] of spans) busy += b - a;
const gaps = spans.slice(1).map((s, i) => s[0] - spans[i][1]);
gaps.sort((a, b) => a - b);
console.log({
  wall: wall.toFixed(0),
  firstModelStart: (spans[0][0] - t0).toFixed(0),
  lastEnd: (wall - (spans[spans.length - 1][1] - t0)).toFixed(0),
  busy: busy.toFixed(0),
  gapSum: gaps.reduce((a, b) => a + b, 0).toFixed(0),
  gapMedian: gaps[100].toFixed(2),
  gapP90: gaps[180].toFixed(2),
  gapMax: gaps[gaps.length - 1].toFixed(1),
  timings: r.timings,
});
await engine.close();
