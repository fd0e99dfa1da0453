// Each downloadable catalogue model end to end, on its FULL-SIZE stand-in (the real architecture's
// layers and widths, random weights: the real model's multiply-accumulates, meaningless words),
// beside the built-in InceptionV3 on the same photos in the same run. Every stage goes through the
// CLI as a child process, as a person runs it: `model add` from a loopback server (sha256 of the
// generated file, via PHOTOWORDS_MODEL_CATALOG), `codebook train`, `index`, `similar`, `duplicates`.
// Then the wrapped backbone alone on the photos' median size, so end to end / model alone shows
// what the rest of the pipeline costs. Speed only; quality needs the real weights (docs/MODELS.md).
//   node --import tsx bench/models-e2e.ts [--photos 30] [--codebook-photos 12] [--ids resnet50,dinov2-small,dinov2-base] [--json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { ensureInceptionBackbone } from '../src/core/analysis/model/backbone.js';
import { findEntry } from '../src/core/analysis/model/catalog.js';
import { serveFolder, writeStandinCatalog, vitGmacs, VIT_SHAPES } from '../test/fixtures/standin-models.js';

const REPO = path.resolve(import.meta.dirname, '..');
const CLI = path.join(REPO, 'bin/photowords.js');
const CALTECH = path.join(REPO, '../shared/datasets/caltech101');
const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const M = Number(opt('--photos', '30'));
const N = Number(opt('--codebook-photos', '12'));
const ids = opt('--ids', 'resnet50,dinov2-small,dinov2-base').split(',');
const asJson = argv.includes('--json');
const CLASSES = ['Leopards', 'Motorbikes', 'airplanes', 'accordion', 'butterfly', 'ketch'];
// Small codebook so k-means (JavaScript, one thread) does not dominate: the point is the model's cost.
const CODES = 256;
const VECTORS = 20000;
const ITERATIONS = 5;
const log = (s: string) => process.stderr.write(`${s}\n`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-models-e2e-'));
const photos = path.join(root, 'photos');
const perClass = Math.ceil(M / CLASSES.length);
const picked: string[] = [];
for (const c of CLASSES) {
  fs.mkdirSync(path.join(photos, c), { recursive: true });
  for (const f of fs.readdirSync(path.join(CALTECH, c)).sort().slice(0, perClass)) {
    if (picked.length >= M) break;
    // Read in place through links, never copied.
    fs.symlinkSync(path.join(CALTECH, c, f), path.join(photos, c, f));
    picked.push(path.join(photos, c, f));
  }
}
const queries = CLASSES.slice(0, 3).map((c) => picked.find((p) => p.includes(`/${c}/`))!);

// The stand-ins, served on loopback.
const served = path.join(root, 'served');
const { server, base } = await serveFolder(served);
log(`generating the full-size stand-ins (${ids.join(', ')}) ...`);
// fp32 only: the int8 stand-in is the float graph from another seed, so it would time the same graph (see docs/MODELS.md).
const catalog = writeStandinCatalog(served, base, { ids }).map((e) => ({ ...e, files: e.files.filter((f) => f.variant === 'fp32') }));
fs.writeFileSync(path.join(root, 'catalog.json'), JSON.stringify(catalog));
const env = {
  ...process.env,
  PHOTOWORDS_MODELS: path.join(root, 'cache'),
  PHOTOWORDS_MODEL_CATALOG: path.join(root, 'catalog.json'),
  PHOTOWORDS_MODELS_DIR: path.join(root, 'models'),
};

async function cli(args: string[], useEnv: NodeJS.ProcessEnv = env): Promise<{ s: number; stdout: string; stderr: string }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO, env: useEnv, maxBuffer: 64 << 20, timeout: 1_800_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`photowords ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve({ s: (performance.now() - t) / 1000, stdout, stderr });
    });
  });
}

// The photos' median shape at the index's resolution (longest side 299), for the model-alone time and the FLOPs.
const shapes = await Promise.all(
  picked.map(async (p) => {
    const m = await sharp(p).metadata();
    const k = 299 / Math.max(m.width!, m.height!);
    return [Math.round(m.height! * k), Math.round(m.width! * k)] as const;
  }),
);
const byArea = shapes.slice().sort((a, b) => a[0] * a[1] - b[0] * b[1]);
const [H, W] = byArea[byArea.length >> 1];

/**
 * The wrapped backbone alone on a HxW input. `one`: bench/models.ts's measure (one session with every
 * core's threads, one call at a time, median). `engine`: the indexer's layout (engine.ts: min(cores, 4)
 * single-session workers with cores/workers threads each, calls overlapping), as photos per second
 * turned into ms a photo; this is the one the index stage is compared with.
 */
async function alone(file: string, output: string): Promise<{ one: number; engine: number; dims: readonly number[] }> {
  const cores = os.availableParallelism();
  const input = new ort.Tensor(
    'uint8',
    new Uint8Array(H * W * 3).map((_, i) => (i * 37) & 255),
    [1, H, W, 3],
  );
  const open = (threads: number) => ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const session = await open(cores);
  const ms: number[] = [];
  let dims: readonly number[] = [];
  for (let r = 0; r <= 5; r++) {
    const t = performance.now();
    const out = await session.run({ pixels: input });
    if (r > 0) ms.push(performance.now() - t); // the first run pays for allocation
    dims = out[output].dims;
  }
  await session.release();
  const workers = Math.min(cores, 4);
  const sessions = await Promise.all(Array.from({ length: workers }, () => open(Math.max(1, Math.floor(cores / workers)))));
  await Promise.all(sessions.map((s) => s.run({ pixels: input })));
  const rounds = 4;
  const t = performance.now();
  for (let r = 0; r < rounds; r++) await Promise.all(sessions.map((s) => s.run({ pixels: input })));
  const engine = (performance.now() - t) / (rounds * workers);
  await Promise.all(sessions.map((s) => s.release()));
  return { one: ms.sort((a, b) => a - b)[ms.length >> 1], engine, dims };
}

/** GFLOPs (2 x MACs) of one photo at H x W: exact for the ViTs, the catalogue's figure scaled by area otherwise. */
function gflops(id: string): number {
  const vit = VIT_SHAPES[id];
  if (vit) return 2 * vitGmacs(vit, H, W);
  const e = findEntry(id);
  const side = id === 'inception_v3' ? 299 : e.preprocessing.size;
  return (2 * e.gmacs * H * W) / (side * side);
}

interface Row {
  id: string;
  gflops: number;
  grid: string;
  bytes: number | null;
  add: number | null;
  codebook: number | null;
  index: number;
  similar: number;
  duplicates: number;
  aloneMs: number;
  aloneEngineMs: number;
}
const rows: Row[] = [];

async function run(id: string): Promise<Row> {
  const db = path.join(root, `${id}.db`);
  let backbone: string;
  let block: string;
  let add: number | null = null;
  let codebook: number | null = null;
  let bytes: number | null = null;
  if (id === 'inception_v3') {
    const info = ensureInceptionBackbone('mixed7');
    backbone = info.path;
    block = info.output;
  } else {
    const a = await cli(['model', 'add', id]);
    add = a.s;
    backbone = /Backbone: (.+\.onnx)/.exec(a.stdout)![1];
    block = /--block (\S+)/.exec(a.stdout + a.stderr)![1];
    bytes = catalog.find((e) => e.id === id)!.files[0].bytes;
    log(`${id}: model add ${a.s.toFixed(1)} s`);
    // --per-class over the class folders: N photos in all.
    const c = await cli([
      'codebook',
      'train',
      '--backbone',
      backbone,
      '--block',
      block,
      '--images',
      photos,
      '--per-class',
      String(Math.ceil(N / CLASSES.length)),
      '--codes',
      String(CODES),
      '--vectors',
      String(VECTORS),
      '--iterations',
      String(ITERATIONS),
    ]);
    codebook = c.s;
    log(`${id}: codebook ${c.s.toFixed(1)} s`);
  }
  // The built-in model runs with the shipped codebook and default settings, as a person's first index.
  const modelArgs = id === 'inception_v3' ? [] : ['--backbone', backbone, '--block', block, '--codes', String(CODES)];
  const ix = await cli(['index', photos, '--db', db, '--json', '--quiet', ...modelArgs], id === 'inception_v3' ? process.env : env);
  const summary = JSON.parse(ix.stdout) as { indexed: number; failed: number };
  if (summary.indexed !== picked.length || summary.failed) throw new Error(`${id}: indexed ${summary.indexed} of ${picked.length}, ${summary.failed} failed`);
  log(`${id}: index ${ix.s.toFixed(1)} s`);
  let similar = 0;
  for (const q of queries) {
    const s = await cli(['similar', q, '--db', db, '--top', '5', '--json'], id === 'inception_v3' ? process.env : env);
    if (!(JSON.parse(s.stdout) as { results: unknown[] }).results.length) throw new Error(`${id}: similar found nothing for ${q}`);
    similar += s.s;
  }
  const d = await cli(['duplicates', '--db', db, '--json'], id === 'inception_v3' ? process.env : env);
  JSON.parse(d.stdout);
  log(`${id}: similar x${queries.length} ${similar.toFixed(1)} s, duplicates ${d.s.toFixed(1)} s`);
  const a = await alone(backbone, block);
  return {
    id,
    gflops: gflops(id),
    grid: `${a.dims[2]}x${a.dims[3]}x${a.dims[1]}`,
    bytes,
    add,
    codebook,
    index: ix.s,
    similar: similar / queries.length,
    duplicates: d.s,
    aloneMs: a.one,
    aloneEngineMs: a.engine,
  };
}

try {
  for (const id of [...ids, 'inception_v3']) rows.push(await run(id));
} finally {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
}

const head = `${os.cpus()[0]?.model} x ${os.availableParallelism()}, load ${os.loadavg()[0].toFixed(1)}; ${M} caltech101 photos (${CLASSES.join(', ')}), median ${H}x${W} at longest side 299; codebook ${N} photos, ${CODES} codes, ${VECTORS} vectors, ${ITERATIONS} iterations; similar: mean of ${queries.length} queries; each CLI call includes its start and model load`;
if (asJson) console.log(JSON.stringify({ machine: head, photos: M, codebookPhotos: N, input: [H, W], rows }, null, 2));
else {
  const f = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));
  console.log(head);
  console.log(
    `| model | GFLOPs/photo | grid | download | model add s | codebook s (ms/photo) | index s (ms/photo) | similar s/query | duplicates s | model alone ms/photo: one call, ${os.availableParallelism()} threads | model alone ms/photo: as the indexer runs it | index / alone (indexer's way) |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const cb = r.codebook === null ? 'shipped' : `${f(r.codebook)} (${f((r.codebook * 1000) / N, 0)})`;
    const dl = r.bytes === null ? 'built in' : `${(r.bytes / 1e6).toFixed(1)} MB`;
    console.log(
      `| ${r.id === 'inception_v3' ? 'inception_v3 (built in, baseline)' : `${r.id} stand-in`} | ${f(r.gflops)} | ${r.grid} | ${dl} | ${f(r.add)} | ${cb} | ${f(r.index)} (${f((r.index * 1000) / M, 0)}) | ${f(r.similar)} | ${f(r.duplicates)} | ${f(r.aloneMs, 0)} | ${f(r.aloneEngineMs, 0)} | ${f((r.index * 1000) / M / r.aloneEngineMs, 2)} |`,
    );
  }
}
