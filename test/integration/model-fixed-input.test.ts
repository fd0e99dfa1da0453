// A DINOv2 export fixed at 224 (some are: their position embeddings are not resized in the graph),
// through the CLI: the stand-in is declared [N, 3, 224, 224] and fails at any other size, as such a
// file does. `model add` downloads it from loopback, the probe finds the larger input failing, and
// the wrapped backbone then resizes each photo's shortest side to 256 and centre-crops 224 inside
// the graph (the catalogue's preprocessing), so photos of every shape index and search.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { REPO_ROOT } from '../fixtures/bad-input.js';
import { runCli } from '../fixtures/cli.js';
import { linkDatasetClasses, serveStandinCatalog } from '../fixtures/standin-models.js';

const CALTECH = path.join(REPO_ROOT, '../shared/datasets/caltech101');
const CLASSES = ['Leopards', 'Motorbikes', 'airplanes'];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-fixed-input-'));
const photos = path.join(root, 'photos');
let server: http.Server;
let env: Record<string, string>;

const cli = (args: string[]) => runCli(args, { env, timeoutMs: 600_000 });

before(async () => {
  ({ server, env } = await serveStandinCatalog(root, { small: true, fixed: true, ids: ['dinov2-small'] }));
  linkDatasetClasses(CALTECH, CLASSES, 4, photos);
  // Shapes the engine would otherwise feed as they are: a tall one, a wide one, one under 224 a side.
  const first = path.join(CALTECH, 'Leopards', fs.readdirSync(path.join(CALTECH, 'Leopards')).sort()[0]);
  await sharp(first)
    .resize(150, 400, { fit: 'fill' })
    .jpeg()
    .toFile(path.join(photos, 'Leopards', 'tall.jpg'));
  await sharp(first)
    .resize(500, 120, { fit: 'fill' })
    .jpeg()
    .toFile(path.join(photos, 'Leopards', 'wide.jpg'));
  await sharp(first)
    .resize(100, 90, { fit: 'fill' })
    .jpeg()
    .toFile(path.join(photos, 'Leopards', 'small.jpg'));
  await sharp(first)
    .jpeg({ quality: 85 })
    .toFile(path.join(photos, 'Leopards', 'copy-of-first.jpg'));
});

after(() => {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('a DINOv2 export fixed at 224: the probe finds it, the engine feeds it 224x224 crops, photos of every shape index and find similar', async () => {
  const add = await cli(['model', 'add', 'dinov2-small']);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stderr, /252x252 fails \(fixed input\): photos are resized and centre-cropped to 224x224/);
  const backbone = /Backbone: (.+\.onnx)/.exec(add.stdout)?.[1];
  assert.ok(backbone, add.stdout);
  const record = JSON.parse(fs.readFileSync(path.join(root, 'cache', 'dinov2-small', 'fp32.json'), 'utf8'));
  assert.deepEqual(record.probe.grid, [16, 16, 384]);
  assert.ok('error' in record.probe.largerInput, JSON.stringify(record.probe));
  assert.match(JSON.parse(fs.readFileSync(backbone.replace(/\.onnx$/, '.json'), 'utf8')).preprocessing, /centre crop of 224x224/);

  // The wrapped graph alone: any photo size in, the 16x16 grid of the crop out.
  const session = await ort.InferenceSession.create(backbone);
  for (const [h, w] of [
    [299, 199],
    [120, 500],
    [224, 224],
  ]) {
    const out = await session.run({ pixels: new ort.Tensor('uint8', new Uint8Array(h * w * 3).fill(90), [1, h, w, 3]) });
    assert.deepEqual([...out.patch_grid.dims], [1, 384, 16, 16], `${h}x${w}`);
  }
  await session.release();

  const train = await cli(['codebook', 'train', '--backbone', backbone, '--block', 'patch_grid', '--images', photos, '--per-class', '8', '--codes', '32', '--vectors', '3000', '--iterations', '4']);
  assert.equal(train.code, 0, train.stderr);
  const db = path.join(root, 'index.db');
  const index = await cli(['index', photos, '--db', db, '--backbone', backbone, '--block', 'patch_grid', '--codes', '32', '--json']);
  assert.equal(index.code, 0, index.stderr);
  const summary = JSON.parse(index.stdout);
  assert.equal(summary.failed, 0, index.stdout);
  assert.equal(summary.indexed, 16);

  const query = path.join(photos, 'Leopards', fs.readdirSync(path.join(CALTECH, 'Leopards')).sort()[0]);
  const similar = await cli(['similar', query, '--db', db, '--top', '4', '--json']);
  assert.equal(similar.code, 0, similar.stderr);
  const results = JSON.parse(similar.stdout).results as { path: string }[];
  assert.equal(results[0].path, query);
  assert.ok(
    results.slice(0, 3).some((r) => r.path.endsWith('copy-of-first.jpg')),
    JSON.stringify(results),
  );
});
