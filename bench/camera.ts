// `npm run bench:camera`: indexing speed on camera-size files (issue 17) against the model alone,
// per format: JPEG at 12, 24 and 48 MP, HEIC at 12 MP (with and without a thumbnail item), RAW (a
// DNG-like TIFF around a full-size JPEG preview). The files are made from dev-set photos on the
// first run and cached in os.tmpdir() (bench/camera-files.ts). Prints photos/s, time per photo by
// stage, CPU per photo, the ratio to the model alone and the engine's failures, per format.
// Options: --images N (photos per format, 48), --rounds N (3), --formats jpeg12,jpeg24,...,
// --json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverDataset } from '../src/core/eval/suite.js';
import { DEFAULT_SETTINGS } from '../src/core/common/settings.js';
import { indexSpeed, type IndexSpeed } from './indexspeed.js';
import { cameraSet, CAMERA_FORMATS, type CameraFormat } from './camera-files.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
// 48 photos a format (16 HEICs without a thumbnail, a second each): about 5 minutes on 2 cores
// once the set is made (about 20 the first time).
const IMAGES = Number(option('images') ?? 48);
const ROUNDS = Number(option('rounds') ?? 3);
const FORMATS = (option('formats') ?? Object.keys(CAMERA_FORMATS).join(',')).split(',') as CameraFormat[];
for (const f of FORMATS) if (!(f in CAMERA_FORMATS)) throw new Error(`unknown format ${f}; known: ${Object.keys(CAMERA_FORMATS).join(', ')}`);
const log = (m: string) => process.stderr.write(`${m}\n`);

// The same spread-out sample of the dev set as bench.ts, every k-th photo by path.
const all = discoverDataset(path.resolve('../shared/datasets')).map((x) => x.path);
const sources = Array.from({ length: IMAGES }, (_, i) => all[Math.floor((i * all.length) / IMAGES)]);
log(`Camera set: ${IMAGES} photos each of ${FORMATS.join(', ')} (made once, then cached) ...`);
const set = await cameraSet(sources, FORMATS, { log });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-camera-'));
const rows: Partial<Record<CameraFormat, (IndexSpeed & { mibPerFile: number }) | { skipped: string }>> = {};
try {
  for (const format of FORMATS) {
    const made = set.formats[format]!;
    if (made.skipped) {
      rows[format] = { skipped: made.skipped };
      log(`${CAMERA_FORMATS[format].label}: skipped, ${made.skipped}`);
      continue;
    }
    log(`${CAMERA_FORMATS[format].label}: ${ROUNDS} rounds of end to end and model alone ...`);
    const files = made.files.slice(0, CAMERA_FORMATS[format].images ?? made.files.length);
    const r = await indexSpeed({ tmp, name: format, settings: DEFAULT_SETTINGS, files, rounds: ROUNDS, log });
    rows[format] = { ...r, mibPerFile: Number((made.bytes / made.files.length / 2 ** 20).toFixed(2)) };
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

const cpu = os.cpus()[0]?.model ?? 'unknown';
if (json) {
  console.log(JSON.stringify({ machine: { cpu, cores: os.availableParallelism(), node: process.version }, imagesPerFormat: IMAGES, rounds: ROUNDS, cameraSet: set.dir, formats: rows }, null, 2));
} else {
  const f1 = (x: number | null | undefined) => (x == null ? '-' : x.toFixed(1));
  const lines = [
    `${cpu}, ${os.availableParallelism()} cores; ${IMAGES} photos a format (fewer where the format says), medians of ${ROUNDS} alternating rounds`,
    '| format | MiB a file | indexed | photos/s | model alone | ratio | CPU ratio | read | decode | model | k-grams | SQLite | CPU ms a photo: end to end / model alone |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const format of FORMATS) {
    const r = rows[format]!;
    const label = CAMERA_FORMATS[format].label;
    if ('skipped' in r) {
      lines.push(`| ${label} | | skipped: ${r.skipped} | | | | | | | | | | |`);
      continue;
    }
    const m = r.msPerImage;
    lines.push(
      `| ${label} | ${r.mibPerFile} | ${r.images} of ${r.images + r.failed} | ${r.imagesPerSecond} | ${r.modelOnlyImagesPerSecond} | ${r.endToEndOverModelOnly ?? '-'} | ${r.cpuRatio ?? '-'} | ` +
        `${f1(m.read)} | ${f1(m.decode)} | ${f1(m.model)} | ${f1(m.kgrams)} | ${f1(m.sqlite)} | ${f1(r.cpuMsPerImage.endToEnd)} / ${f1(r.cpuMsPerImage.modelOnly)} |`,
    );
  }
  lines.push(
    'ratio: photos/s over the model alone (medians of the rounds). Stage columns: busy ms a photo as the indexer times them (decode overlaps the model). ' +
      'CPU: the process (all threads) and its child processes; CPU ratio: model alone over end to end, the ratio on cores that do nothing else.',
  );
  for (const format of FORMATS) {
    const r = rows[format]!;
    if ('skipped' in r) continue;
    lines.push(`${format}: rounds (end to end / model alone / ratio) ${r.rounds.map((x) => `${x.endToEnd}/${x.modelOnly}/${x.ratio ?? '-'}`).join(', ')}`);
    if (r.failed > 0) lines.push(`${format}: ${r.failed} of ${r.images + r.failed} not indexed; first: ${r.firstFailure}`);
  }
  console.log(lines.join('\n'));
}
