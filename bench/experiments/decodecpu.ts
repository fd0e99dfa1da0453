// CPU cost of reading + decoding one photo for the model, per stage.
import sharp from 'sharp';
import { discoverDataset } from '../../src/core/eval/suite.js';
import { readImageFile, decodeForModel } from '../../src/core/analysis/decode/decode.js';
const all = discoverDataset('/work/shared/datasets').map((x) => x.path);
const files = Array.from({ length: 200 }, (_, i) => all[Math.floor((i * all.length) / 200)]);
if (process.env.THREADS) sharp.concurrency(Number(process.env.THREADS));
for (const f of files.slice(0, 10)) await decodeForModel((await readImageFile(f)).buffer, 299);
const bufs = [];
let c0 = process.cpuUsage();
let t0 = performance.now();
for (const f of files) bufs.push((await readImageFile(f)).buffer);
let c = process.cpuUsage(c0);
console.log(`read+hash: ${((c.user + c.system) / 1000 / files.length).toFixed(2)} ms CPU, ${((performance.now() - t0) / files.length).toFixed(2)} ms wall`);
c0 = process.cpuUsage();
t0 = performance.now();
for (const b of bufs) await decodeForModel(b, 299);
c = process.cpuUsage(c0);
console.log(`decode: ${((c.user + c.system) / 1000 / files.length).toFixed(2)} ms CPU, ${((performance.now() - t0) / files.length).toFixed(2)} ms wall`);
c0 = process.cpuUsage();
for (const b of bufs) await sharp(b).metadata();
c = process.cpuUsage(c0);
console.log(`metadata only: ${((c.user + c.system) / 1000 / files.length).toFixed(2)} ms CPU`);
for (const kernel of ['linear', 'cubic', 'lanczos3'] as const) {
  c0 = process.cpuUsage();
  for (const b of bufs) await sharp(b).resize(299, 299, { fit: 'inside', kernel }).removeAlpha().raw().toBuffer();
  c = process.cpuUsage(c0);
  console.log(`plain pipeline ${kernel}: ${((c.user + c.system) / 1000 / files.length).toFixed(2)} ms CPU`);
}
