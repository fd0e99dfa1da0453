// What a 12 MP HEIC costs to decode, both ways (docs/EVAL.md, "HEIC"): the full picture and the
// thumbnail item, through libheif in WebAssembly (heic.ts, what Photowords uses) and, where
// Debian's libvips-tools is installed, through native libheif + libde265 (`vips copy`), which
// sharp could use only when built from source against the system's libvips.
// Run: node --import tsx bench/experiments/heic-decode.ts [file.heic]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeHeif } from '../../src/core/analysis/decode/heic.js';

const file = process.argv[2] ?? 'test/fixtures/camera-samples/apple-iphone-xr-orientation6-grid.heic';
const bytes = fs.readFileSync(file);
const RUNS = 5;

function cpuMs(fn: () => void): number {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

decodeHeif(bytes, 299); // loads and compiles the module
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
for (const [label, side] of [
  ['full picture', Infinity],
  ['thumbnail item', 299],
] as const) {
  let size = '';
  const ms = median(
    Array.from({ length: RUNS }, () =>
      cpuMs(() => {
        const img = decodeHeif(bytes, side);
        size = `${img.width} x ${img.height}`;
      }),
    ),
  );
  console.log(`wasm  ${label.padEnd(15)} ${size.padEnd(12)} ${ms.toFixed(0)} ms CPU (median of ${RUNS})`);
}

let vips = '';
try {
  vips = execFileSync('sh', ['-c', 'command -v vips'], { encoding: 'utf8' }).trim();
} catch {
  console.log('native: vips not installed (apt-get install libvips-tools), skipped');
}
if (vips) {
  const out = path.join(os.tmpdir(), `heic-${process.pid}.v`);
  for (const [label, suffix] of [
    ['full picture', ''],
    ['thumbnail item', '[thumbnail]'],
  ] as const) {
    const runs = Array.from({ length: RUNS }, () => {
      const r = execFileSync('sh', ['-c', `/usr/bin/time -f '%U %S' ${vips} copy '${file}${suffix}' '${out}' 2>&1 >/dev/null`], { encoding: 'utf8' });
      const [u, s] = r.trim().split('\n').pop()!.split(' ').map(Number);
      return (u + s) * 1000;
    });
    console.log(`native ${label.padEnd(14)} ${median(runs).toFixed(0)} ms CPU (median of ${RUNS}, a whole vips process: start-up and writing the pixels included)`);
  }
  fs.rmSync(out, { force: true });
}
