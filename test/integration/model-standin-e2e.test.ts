// A downloaded model used end to end, through the CLI only: the DINOv2 ViT-S/14 stand-in (one block,
// the real names, shapes and channels) served on loopback, installed and wrapped by `model add`, a
// codebook trained on it, real photos indexed with it, then `similar` and `duplicates`. Random
// weights: this proves the path, not the quality (docs/MODELS.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { REPO_ROOT } from '../fixtures/bad-input.js';
import { runCli } from '../fixtures/cli.js';
import { linkDatasetClasses, serveStandinCatalog } from '../fixtures/standin-models.js';

const CALTECH = path.join(REPO_ROOT, '../shared/datasets/caltech101');
const CLASSES = ['Leopards', 'Motorbikes', 'airplanes', 'accordion'];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-standin-e2e-'));
const photos = path.join(root, 'photos');
let server: http.Server;
let env: Record<string, string>;

const cli = (args: string[]) => runCli(args, { env, timeoutMs: 600_000 });

before(async () => {
  ({ server, env } = await serveStandinCatalog(root, { small: true, ids: ['dinov2-small'] }));
  // Five real photos a class, and one re-encoded copy.
  linkDatasetClasses(CALTECH, CLASSES, 5, photos);
  const original = path.join(CALTECH, 'Motorbikes', fs.readdirSync(path.join(CALTECH, 'Motorbikes')).sort()[0]);
  // Same size: a random-weight model's words are not scale-robust, so a resized copy is a test of weights, not of the path.
  await sharp(original)
    .jpeg({ quality: 85 })
    .toFile(path.join(photos, 'Motorbikes', 'copy-of-first.jpg'));
});

after(() => {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('download from loopback, codebook, index, similar and duplicates with the DINOv2 stand-in', async (t) => {
  const add = await cli(['model', 'add', 'dinov2-small']);
  assert.equal(add.code, 0, add.stderr);
  const backbone = /Backbone: (.+\.onnx)/.exec(add.stdout)?.[1];
  assert.ok(backbone, add.stdout);

  const train = await cli(['codebook', 'train', '--backbone', backbone, '--block', 'patch_grid', '--images', photos, '--per-class', '5', '--codes', '64', '--vectors', '5000', '--iterations', '5']);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /Wrote codebook dinov2-small-patch_grid-h8-n64 \(64 codes x 48 dims, 5000 vectors from 20 photos/);
  assert.ok(fs.existsSync(path.join(root, 'models', 'codebooks', 'dinov2-small-patch_grid-h8-n64.json')));

  const db = path.join(root, 'index.db');
  const t0 = performance.now();
  const index = await cli(['index', photos, '--db', db, '--backbone', backbone, '--block', 'patch_grid', '--codes', '64', '--json']);
  const indexSeconds = (performance.now() - t0) / 1000;
  assert.equal(index.code, 0, index.stderr);
  const summary = JSON.parse(index.stdout);
  assert.equal(summary.indexed, 21);
  assert.equal(summary.failed, 0);

  const query = path.join(
    photos,
    'Motorbikes',
    fs
      .readdirSync(path.join(photos, 'Motorbikes'))
      .filter((f) => f.startsWith('image_'))
      .sort()[0],
  );
  const similar = await cli(['similar', query, '--db', db, '--top', '5', '--json']);
  assert.equal(similar.code, 0, similar.stderr);
  const results = JSON.parse(similar.stdout).results as { path: string; score: number }[];
  assert.equal(results.length, 5);
  assert.equal(results[0].path, query);
  // Its re-encoded copy is among the nearest, even with random weights (the same pixels give the same words).
  assert.ok(
    results.slice(0, 3).some((r) => r.path.endsWith('copy-of-first.jpg')),
    JSON.stringify(results),
  );

  const dups = await cli(['duplicates', '--db', db, '--json']);
  assert.equal(dups.code, 0, dups.stderr);
  // The copy and its original in one group. (Random words also join unrelated photos into groups;
  // that is the stand-in's weights, not the path under test.)
  const groups = JSON.parse(dups.stdout).groups as { members: { path: string }[] }[];
  const copy = path.join(photos, 'Motorbikes', 'copy-of-first.jpg');
  assert.ok(
    groups.some((g) => g.members.some((m) => m.path === copy) && g.members.some((m) => m.path === query)),
    JSON.stringify(groups.map((g) => g.members.map((m) => m.path))),
  );
  t.diagnostic(`indexed 21 photos in ${indexSeconds.toFixed(1)} s (CLI start included), ${summary.imagesPerSecond.toFixed(2)} photos/s by the indexer's count`);
});
