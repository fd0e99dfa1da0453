// CPU per photo of the ways to turn a camera-size JPEG into the model's 299 px pixels, one photo
// at a time with the process's CPU time (all threads, libvips' included), on the bench's camera
// set (bench/camera-files.ts). Issue 17's levers: libjpeg's DCT scaling through sharp's
// shrink-on-load (1/4 by default, 1/8 with fastShrinkOnLoad), against a full-size decode.
//   N=12 FORMATS=jpeg12,jpeg24,jpeg48 node --import tsx bench/experiments/jpeg-scale.ts
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import jpegTurbo from '@julusian/jpeg-turbo';
import { discoverDataset } from '../../src/core/eval/suite.js';
import { decodeForModel, targetShape } from '../../src/core/analysis/decode/decode.js';
import { jpegHeaderSize } from '../../src/core/analysis/decode/jpeg-header.js';
import { resizeRgb } from '../../src/core/analysis/decode/resample.js';
import { cameraSet, type CameraFormat } from '../camera-files.js';

const N = Number(process.env.N ?? 12);
const FORMATS = (process.env.FORMATS ?? 'jpeg12,jpeg24,jpeg48').split(',') as CameraFormat[];
const all = discoverDataset(path.resolve('../shared/datasets')).map((x) => x.path);
// The bench's sample (bench/camera.ts takes 48 the same way), so its cached files serve here.
const SAMPLE = Number(process.env.SAMPLE ?? 48);
const sources = Array.from({ length: SAMPLE }, (_, i) => all[Math.floor((i * all.length) / SAMPLE)]).slice(0, N);
const set = await cameraSet(sources, FORMATS, { log: (m) => console.error(m) });

// This process's CPU and that of its waited-for children (djpeg below), from /proc.
const cpuMs = () => {
  const u = process.cpuUsage();
  const f = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (u.user + u.system) / 1000 + (Number(fields[13]) + Number(fields[14])) * 10;
};
const djpeg = spawnSync('djpeg', ['-version']).error ? undefined : 'djpeg';

type Way = (b: Buffer) => Promise<unknown> | unknown;
const sharpWay =
  (fastShrinkOnLoad: boolean): Way =>
  async (b) => {
    const h = jpegHeaderSize(b)!;
    const s = targetShape(h.displayWidth, h.displayHeight, 299, { minSide: 75 });
    return sharp(b, { failOn: 'truncated', autoOrient: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(s.width, s.height, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer();
  };
const ways: [string, Way][] = [
  ['sha256 of the file (the read stage hashes it)', (b) => createHash('sha256').update(b).digest()],
  ['decodeForModel (sharp shrink-on-load: 1/4 at 12 MP, 1/8 at 24 and 48 MP; + linear)', (b) => decodeForModel(b, 299)],
  ['sharp, fastShrinkOnLoad (1/8) + linear', sharpWay(true)],
  [
    'sharp, 1/8 + a short reduce (to 1/9.5 of the size)',
    async (b) => {
      const h = jpegHeaderSize(b)!;
      // sharp halves its shrink-on-load where the shrink's integer part equals it (libjpeg
      // rounding), so 1/8 needs a shrink of 9 or more.
      return sharp(b, { autoOrient: true })
        .resize(Math.floor(h.displayWidth / 9.5), Math.floor(h.displayHeight / 9.5), { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: true })
        .raw()
        .toBuffer();
    },
  ],
  [
    'sharp, no shrink-on-load (full-size decode + linear)',
    async (b) => {
      const h = jpegHeaderSize(b)!;
      const s = targetShape(h.displayWidth, h.displayHeight, 299, { minSide: 75 });
      // An extract before the resize turns shrink-on-load off.
      return sharp(b, { autoOrient: true }).extract({ left: 0, top: 0, width: h.displayWidth, height: h.displayHeight }).resize(s.width, s.height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    },
  ],
  [
    'sharp, turned before the resize (rotate(90) then resize: orientation 6 as read before jpegscale.ts)',
    async (b) => {
      const h = jpegHeaderSize(b)!;
      const s = targetShape(h.height, h.width, 299, { minSide: 75 });
      return sharp(b, { autoOrient: false }).rotate(90).resize(s.width, s.height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    },
  ],
  [
    'libjpeg-turbo full size + WebAssembly triangle (the in-thread path, no scaling)',
    (b) => {
      const d = jpegTurbo.decompressSync(b, { format: jpegTurbo.FORMAT_RGB });
      const s = targetShape(d.width, d.height, 299, { minSide: 75 });
      return resizeRgb(d.data, d.width, d.height, s.width, s.height);
    },
  ],
];
if (djpeg) {
  // libjpeg-turbo's own tool (Debian's libjpeg-turbo-progs) at 1/8, raw output thrown away: the
  // floor of any libjpeg path, almost all of it entropy decoding (plus ~1 ms to start a process).
  ways.push(['djpeg -scale 1/8 (libjpeg-turbo alone, a process a photo)', (b) => spawnSync('djpeg', ['-scale', '1/8', '-outfile', '/dev/null'], { input: b })]);
  ways.push(['djpeg full size', (b) => spawnSync('djpeg', ['-outfile', '/dev/null'], { input: b })]);
}

// Each way over every file, ROUNDS times in turn, medians reported: the VM's speed drifts.
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const format of FORMATS) {
  const files = set.formats[format]?.files ?? [];
  const bufs = files.map((f) => fs.readFileSync(f));
  const mib = bufs.reduce((a, b) => a + b.length, 0) / bufs.length / 2 ** 20;
  console.log(`\n${format}: ${bufs.length} files, ${mib.toFixed(2)} MiB each; CPU ms a photo, median of ${ROUNDS} rounds (rounds)`);
  const cpu = ways.map(() => [] as number[]);
  for (const [, way] of ways) await way(bufs[0]); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, [, way]] of ways.entries()) {
      const c0 = cpuMs();
      for (const b of bufs) await way(b);
      cpu[i].push((cpuMs() - c0) / bufs.length);
    }
  }
  for (const [i, [name]] of ways.entries()) console.log(`  ${median(cpu[i]).toFixed(1)}  ${name} (${cpu[i].map((x) => x.toFixed(1)).join(' / ')})`);
}
