// The model catalogue's own rules, without a network or a model file: every downloadable file is
// pinned (a revision or an exact zoo path) and hashed or explicitly unhashed, grids follow the
// architecture, a catalogue override is checked, and probe's graph edits name what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CATALOG, expectedGrid, fileFor, findEntry, gridFromOutput, loadCatalog } from '../../../src/core/analysis/model/catalog.js';
import { declaredInput, withDynamicSpatial, withFeatureOutput } from '../../../src/core/analysis/model/probe.js';
import { removeModel, takeLock } from '../../../src/core/analysis/model/install.js';
import { GraphBuilder } from '../../../src/core/analysis/model/onnx-graph.js';

test('every downloadable file has https sources and a 64-hex sha256 or an explicit null; Hugging Face URLs are pinned to a revision', () => {
  for (const e of CATALOG.filter((x) => x.kind === 'download')) {
    assert.ok(
      e.files.some((f) => f.variant === 'fp32'),
      `${e.id} has an fp32 file`,
    );
    for (const f of e.files) {
      assert.ok(f.sha256 === null || /^[0-9a-f]{64}$/.test(f.sha256), `${e.id} ${f.variant}`);
      assert.ok(f.provenance.length > 10, `${e.id} ${f.variant} says where its hash came from`);
      for (const u of f.urls) {
        assert.match(u, /^https:\/\//);
        if (u.includes('huggingface.co/Xenova/')) assert.match(u, /\/resolve\/[0-9a-f]{40}\//, u);
      }
    }
    assert.deepEqual(expectedGrid(e, 224, 224), e.grids[0].grid);
  }
  // The fp32 files the issue names carry a real hash.
  for (const id of ['dinov2-small', 'dinov2-base', 'resnet50']) assert.ok(fileFor(findEntry(id), 'fp32').sha256);
});

test('grids: ViT patches drop the remainder, CNN strides round up, a stated claim wins', () => {
  const vit = findEntry('dinov2-small');
  assert.deepEqual(expectedGrid(vit, 300, 400), [21, 28, 384]);
  assert.deepEqual(gridFromOutput(vit, [1, 1 + 21 * 28, 384], 300, 400), [21, 28, 384]);
  assert.throws(() => gridFromOutput(vit, [1, 257, 384], 300, 400), /257 tokens for a 300x400 input; expected 1 \+ 21x28/);
  const cnn = findEntry('resnet50');
  assert.deepEqual(expectedGrid(cnn, 250, 250), [8, 8, 2048]);
  assert.deepEqual(gridFromOutput(cnn, [1, 2048, 8, 8], 250, 250), [8, 8, 2048]);
  assert.deepEqual(expectedGrid(findEntry('inception_v3'), 299, 299), [17, 17, 768]);
});

test('PHOTOWORDS_MODEL_CATALOG adds or replaces entries and refuses a malformed one', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-cat-'));
  const file = path.join(dir, 'c.json');
  const mirror = { ...findEntry('resnet50'), files: [{ ...fileFor(findEntry('resnet50'), 'fp32'), urls: ['https://mirror.example/r.onnx'] }] };
  fs.writeFileSync(file, JSON.stringify([mirror, { ...mirror, id: 'my-model' }]));
  const cat = loadCatalog(file);
  assert.deepEqual(findEntry('resnet50', cat).files[0].urls, ['https://mirror.example/r.onnx']);
  assert.ok(findEntry('my-model', cat));
  assert.equal(cat.length, CATALOG.length + 1);
  fs.writeFileSync(file, JSON.stringify([{ ...mirror, files: [{ ...mirror.files[0], sha256: 'abc' }] }]));
  assert.throws(() => loadCatalog(file), /sha256 that is not 64 hex digits/);
  fs.writeFileSync(file, JSON.stringify([{ ...mirror, files: [{ ...mirror.files[0], fileName: '../x.onnx' }] }]));
  assert.throws(() => loadCatalog(file), /file name with a path/);
  fs.writeFileSync(file, '{');
  assert.throws(() => loadCatalog(file), /could not be read/);
  assert.throws(() => findEntry('nope', cat), /no model "nope" in the catalogue; choose one of inception_v3, /);
  fs.rmSync(dir, { recursive: true });
});

test('probe edits: an inner tensor becomes an output, a declared size becomes dynamic, a missing name is said', () => {
  const g = new GraphBuilder('t');
  g.input('data', 'float32', ['N', 3, 224, 224]);
  const inner = g.node('Relu', ['data'], {}, 'stage4');
  g.node('Identity', [inner], {}, 'out');
  g.output('out', 'float32', ['N', 3, 224, 224]);
  const bytes = g.encode(13);
  assert.deepEqual(declaredInput(withDynamicSpatial(bytes, 'data'), 'data'), ['N', 3, 'height', 'width']);
  assert.ok(withFeatureOutput(bytes, 'stage4').length > bytes.length);
  assert.throws(() => withFeatureOutput(bytes, 'stage5'), /no tensor named "stage5"/);
  assert.throws(() => declaredInput(bytes, 'pixels'), /no input named "pixels"/);
});

test('remove refuses while an install holds the lock', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-rm-'));
  const entry = findEntry('dinov2-small');
  const dest = path.join(cache, 'dinov2-small', 'model.onnx');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(`${dest}.part`, 'x');
  const release = takeLock(dest, 'dinov2-small fp32');
  assert.throws(() => removeModel(entry, 'all', cache), /another photowords \(pid \d+\) is installing dinov2-small/);
  release();
  assert.ok(removeModel(entry, 'all', cache).some((p) => p.endsWith('model.onnx.part')));
  assert.ok(!fs.existsSync(path.dirname(dest)));
  fs.rmSync(cache, { recursive: true, force: true });
});
