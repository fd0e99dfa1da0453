// int8 for a catalogue model whose published int8 file has no sha256 (the DINOv2 exports): made on
// this machine from the checked fp32 file (quantize-dynamic.ts), recorded as such, wrapped, probed
// and indexed with, through the real loopback install path and a real Library on a real SQLite
// file; and what Settings offers for a CPU with and without VNNI. The one-block ViT-S/14 stand-in
// has random weights: this proves the path, not int8's quality.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import onnxProto from 'onnx-proto';
import { Library } from '../../src/core/library/library.js';
import { int8Offer, int8Support } from '../../src/core/library/model-service.js';
import { installModel, installed } from '../../src/core/analysis/model/install.js';
import { installVariant } from '../../src/core/analysis/model/int8-here.js';
import { QUANTIZER_VERSION } from '../../src/core/analysis/model/quantize-dynamic.js';
import type { CatalogEntry } from '../../src/core/analysis/model/catalog.js';
import { serveFolder, writeStandinCatalog } from '../fixtures/standin-models.js';
import type { ModelChangeProgress } from '../../src/shared/api.js';

const CALTECH = path.resolve('../shared/datasets/caltech101');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-int8-here-'));
const photos = path.join(root, 'photos');
const cache = path.join(root, 'cache');
const saved: Record<string, string | undefined> = {};
let server: http.Server;
let catalog: CatalogEntry[] = [];
const VNNI = 'processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n';
const NO_VNNI = 'processor\t: 0\nflags\t\t: fpu sse2 avx2\n';

before(async () => {
  const served = path.join(root, 'served');
  let base: string;
  ({ server, base } = await serveFolder(served));
  // As the real catalogue has them: DINOv2's int8 file without a hash, ResNet-50's with one.
  catalog = writeStandinCatalog(served, base, { small: true, ids: ['dinov2-small', 'resnet50'], unverified: ['dinov2-small:int8'] });
  fs.writeFileSync(path.join(root, 'catalog.json'), JSON.stringify(catalog));
  for (const k of ['PHOTOWORDS_MODELS', 'PHOTOWORDS_MODEL_CATALOG']) saved[k] = process.env[k];
  process.env.PHOTOWORDS_MODELS = cache;
  process.env.PHOTOWORDS_MODEL_CATALOG = path.join(root, 'catalog.json');
  for (const c of ['Leopards', 'Motorbikes', 'airplanes', 'accordion']) {
    fs.mkdirSync(path.join(photos, c), { recursive: true });
    for (const f of fs.readdirSync(path.join(CALTECH, c)).sort().slice(0, 3)) fs.copyFileSync(path.join(CALTECH, c, f), path.join(photos, c, f));
  }
});

after(() => {
  server.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(root, { recursive: true, force: true });
});

const entry = (id: string) => catalog.find((e) => e.id === id)!;

test('the offer: int8 where the CPU has VNNI, saying whether it is downloaded and checked or made here', () => {
  const dino = entry('dinov2-small');
  const yes = int8Offer(dino, int8Support(VNNI));
  assert.equal(yes.offered, true);
  assert.equal(yes.why, 'this CPU has avx512_vnni; the int8 graph is made here from the checked fp32 file (its published int8 file has no sha256 to check)');
  const no = int8Offer(dino, int8Support(NO_VNNI));
  assert.equal(no.offered, false);
  assert.match(no.why, /^this CPU has no VNNI or AMX .*; the int8 graph is made here from the checked fp32 file/);
  // A checked int8 file (ResNet-50's stand-in has its hash) is downloaded as before.
  const resnet = int8Offer(entry('resnet50'), int8Support(VNNI));
  assert.deepEqual(resnet, { offered: true, why: 'this CPU has avx512_vnni; the int8 file is downloaded and checked against its published sha256' });
  // With no checked fp32 file either, nothing is offered on any CPU.
  const bare = { ...dino, files: dino.files.map((f) => ({ ...f, sha256: null })) };
  assert.equal(int8Offer(bare, int8Support(VNNI)).offered, false);
  assert.match(int8Offer(bare, int8Support(VNNI)).why, /cannot be made here from a checked fp32 file/);
});

function graphOps(file: string): { matMulInteger: number; floatMatMulWithConstWeight: number } {
  const g = onnxProto.onnx.ModelProto.decode(fs.readFileSync(file)).graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const nodes = g.node ?? [];
  return {
    matMulInteger: nodes.filter((n) => n.opType === 'MatMulInteger').length,
    floatMatMulWithConstWeight: nodes.filter((n) => n.opType === 'MatMul' && inits.has(n.input?.[1] ?? '')).length,
  };
}

test('choosing int8 in Settings: fp32 downloaded and checked, int8 made here from it, recorded, wrapped, probed, photos indexed with it', async () => {
  const dino = entry('dinov2-small');
  const fp32 = await installModel(dino, { variant: 'fp32', cache });
  assert.equal(fp32.verified, true);
  assert.equal(fp32.source.startsWith('http://127.0.0.1:'), true, fp32.source);

  const library = await Library.open(path.join(root, 'index.db'), {
    provider: 'cpu',
    watch: false,
    modelTuning: { samplePhotos: 12, minLibraryPhotos: 10, codes: 64, vectors: 4000, iterations: 4, dataset: CALTECH },
  });
  try {
    await library.addFolder(photos);
    await library.whenIdle();
    const t0 = performance.now();
    const done = new Promise<ModelChangeProgress>((resolve) => {
      const off = library.onEvent((e) => {
        if (e.type !== 'model-change' || !['ready', 'failed', 'cancelled'].includes(e.progress.phase)) return;
        off();
        resolve(e.progress);
      });
    });
    const first = await library.chooseModel('dinov2-small', { int8: true });
    assert.match(first.message, /Preparing/);
    const end = await done;
    assert.equal(end.phase, 'ready', end.message);
    const seconds = (performance.now() - t0) / 1000;

    const rec = installed(dino, 'int8', cache)!;
    assert.ok(rec, 'an int8 record');
    assert.equal(rec.path, path.join(cache, 'dinov2-small', 'model_quantized.onnx'));
    assert.equal(rec.source, `quantized here from ${fp32.sha256} (${graphOps(rec.path).matMulInteger} MatMuls; ${QUANTIZER_VERSION})`);
    assert.deepEqual(rec.quantizedFrom, { sha256: fp32.sha256, verified: true, quantizer: QUANTIZER_VERSION });
    assert.equal(rec.verified, false, 'not the catalogue file, so not verified against its (absent) hash');
    assert.equal(rec.sha256, crypto.createHash('sha256').update(fs.readFileSync(rec.path)).digest('hex'));
    // Not the published int8 file: nothing was downloaded for it.
    const published = fs.readFileSync(path.join(root, 'served', 'dinov2-small', 'model_quantized.onnx'));
    assert.notEqual(rec.sha256, crypto.createHash('sha256').update(published).digest('hex'));
    const ops = graphOps(rec.path);
    assert.ok(ops.matMulInteger >= 4, JSON.stringify(ops)); // one block: q, k, v, proj, 2 MLP
    assert.equal(ops.floatMatMulWithConstWeight, 0);
    assert.ok(fs.statSync(rec.path).size < fs.statSync(fp32.path).size);
    // Probed and wrapped as its own graph (the fp32 record's wrapped graph is not overwritten).
    assert.deepEqual(rec.probe?.grid, [16, 16, 384]);
    assert.ok(rec.backbone && fs.existsSync(rec.backbone), JSON.stringify(rec));
    assert.equal(path.basename(rec.backbone), 'dinov2-small-int8-patch_grid.onnx');
    assert.equal(graphOps(rec.backbone).floatMatMulWithConstWeight, 0);

    // The library indexes with it.
    assert.equal(library.engineForTools.settings.backbone, rec.backbone);
    // The graph is int8 itself; precision int8 is the built-in model's own quantization, not asked for here.
    assert.equal(library.engineForTools.settings.precision, 'fp32');
    const page = await library.listPhotos({ offset: 0, limit: 50 });
    assert.equal(page.total, 12);
    const similar = await library.similar(page.items[0].id, { top: 3 });
    assert.equal(similar.results.length, 3);
    assert.equal((await library.listModels()).find((m) => m.active)?.id, 'dinov2-small');
    // The int8 graph is the one in use: asking for it again is refused (fp32 would be a change).
    await assert.rejects(library.chooseModel('dinov2-small', { int8: true }), /already uses DINOv2 ViT-S\/14/);

    // Asked again, the made file is kept (same fp32 file, same quantizer), not made anew.
    const again = await installVariant(dino, { variant: 'int8', cache });
    assert.equal(again.installedAt, rec.installedAt);
    console.log(
      `int8 made here and indexed with: ${seconds.toFixed(1)} s for 12 photos (2 shared cores, load ${os.loadavg()[0].toFixed(1)}); ${ops.matMulInteger} MatMulInteger; ${fs.statSync(fp32.path).size} -> ${rec.bytes} B`,
    );
  } finally {
    await library.close();
  }
});
