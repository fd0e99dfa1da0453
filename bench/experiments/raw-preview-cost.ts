// CPU a file of finding a RAW's embedded preview, on the camera set's DNG-like files (17 MiB,
// full-size preview; bench/camera-files.ts): exifr on the bytes already read and hashed, against
// exiftool as src/core/analysis/decode/raw.ts calls it (the tags it uses, then the preview through a temporary
// file; before 2026-12-06 all tags, then the preview piped as base64), whose perl process and the
// Node side of its pipe both count. Run `npm run bench:camera -- --formats raw12` once first.
//   node --import tsx bench/experiments/raw-preview-cost.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import exifr from 'exifr';
import { readRawPreviews, closeRawReader } from '../../src/core/analysis/decode/raw.js';
import { CAMERA_SET_VERSION } from '../camera-files.js';

const dir = path.join(os.tmpdir(), `photowords-camera-set-${CAMERA_SET_VERSION}`, 'raw12');
const files = fs
  .readdirSync(dir)
  .sort()
  .slice(0, 12)
  .map((f) => path.join(dir, f));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** Live child processes' CPU (exiftool's perl stays open), from /proc. */
function childMs(): number {
  let t = 0;
  for (const tid of fs.readdirSync('/proc/self/task')) {
    for (const c of fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      const s = fs.readFileSync(`/proc/${c}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      t += (Number(f[11]) + Number(f[12])) * 10;
    }
  }
  return t;
}

const bufs = files.map((f) => fs.readFileSync(f));
let c = cpuMs();
let t = performance.now();
for (const b of bufs) {
  const p = await exifr.thumbnail(b);
  if (!p || p.length < 1e6) throw new Error('no full-size preview found');
}
console.log(`exifr.thumbnail on the buffer: ${((cpuMs() - c) / bufs.length).toFixed(1)} ms CPU, ${((performance.now() - t) / bufs.length).toFixed(1)} ms wall a file`);

const warm = fs.statSync(files[0]);
await readRawPreviews(files[0], { size: warm.size, mtimeMs: warm.mtimeMs }).then((r) => r.extract(r.candidates[0].tag));
c = cpuMs();
const cc = childMs();
t = performance.now();
for (const f of files) {
  const s = fs.statSync(f);
  const r = await readRawPreviews(f, { size: s.size, mtimeMs: s.mtimeMs });
  await r.extract(r.candidates[0].tag);
}
console.log(
  `exiftool (raw.ts: tags, then the preview): ${((cpuMs() - c) / files.length).toFixed(1)} ms CPU in Node + ${((childMs() - cc) / files.length).toFixed(1)} ms in perl, ${((performance.now() - t) / files.length).toFixed(1)} ms wall a file`,
);
await closeRawReader();
