// The model download path end to end against a real HTTP server on loopback serving generated
// stand-in graphs: progress, an interrupted transfer resumed with Range, a bad checksum, an
// unreachable host, a redirect, --file, list and remove (the CLI as a child process), and the
// downloaded graph run through onnxruntime to give the catalogue's grid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import ort from 'onnxruntime-node';
import { REPO_ROOT } from '../fixtures/bad-input.js';
import { standinBytes, writeStandinCatalog, vitGmacs, VIT_SHAPES } from '../fixtures/standin-models.js';
import { ChecksumError, InterruptedError, OfflineError, downloadFile, type DownloadProgress } from '../../src/core/analysis/model/download.js';
import { installModel } from '../../src/core/analysis/model/install.js';
import { findEntry, type CatalogEntry } from '../../src/core/analysis/model/catalog.js';
import { probeModel } from '../../src/core/analysis/model/probe.js';

const CLI = path.join(REPO_ROOT, 'bin/photowords.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-models-'));
const filesDir = path.join(root, 'served');
let server: http.Server;
let base = '';
let catalog: CatalogEntry[] = [];
const catalogFile = path.join(root, 'catalog.json');
/** Each request the server saw: path and the headers that matter for resuming. */
const seen: { path: string; range?: string; ifRange?: string }[] = [];
/** Bytes after which /cut/ paths drop the connection (on their first request only). */
const CUT_AT = 1_000_000;
const cutDone = new Set<string>();
/** ETag override per file, to play a file that changed upstream. */
const etagOverride = new Map<string, string>();

function etagOf(bytes: Buffer): string {
  return `"${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
}

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  seen.push({ path: url.pathname, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined });
  const [, mode, ...rest] = url.pathname.split('/');
  const rel = rest.join('/');
  if (mode === 'redirect') {
    res.writeHead(302, { location: `/files/${rel}` });
    return void res.end();
  }
  const file = path.join(filesDir, rel);
  if (!fs.existsSync(file)) {
    res.writeHead(404);
    return void res.end();
  }
  let bytes = fs.readFileSync(file);
  if (mode === 'corrupt') {
    bytes = Buffer.from(bytes);
    bytes[bytes.length >> 1] ^= 0xff;
  }
  const etag = etagOverride.get(rel) ?? etagOf(bytes);
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const ifRange = req.headers['if-range'];
  if (range && (!ifRange || ifRange === etag)) {
    const start = Number(range[1]);
    res.writeHead(206, { 'content-length': bytes.length - start, 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`, etag, 'accept-ranges': 'bytes' });
    return void res.end(bytes.subarray(start));
  }
  res.writeHead(200, { 'content-length': bytes.length, etag, 'accept-ranges': 'bytes' });
  if (mode === 'cut' && !cutDone.has(rel)) {
    cutDone.add(rel);
    res.write(bytes.subarray(0, CUT_AT), () => setTimeout(() => res.socket?.destroy(), 50));
    return;
  }
  res.end(bytes);
}

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, PHOTOWORDS_MODELS: path.join(root, 'cache'), PHOTOWORDS_MODEL_CATALOG: catalogFile, ...env }, maxBuffer: 16 << 20, timeout: 300_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

before(async () => {
  server = http.createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  catalog = writeStandinCatalog(filesDir, `${base}/files`, { small: true, ids: ['dinov2-small', 'resnet50'], unverified: ['dinov2-small:int8'] });
  fs.writeFileSync(catalogFile, JSON.stringify(catalog));
});

after(() => {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const standin = (id: string, variant: 'fp32' | 'int8') => path.join(filesDir, id, catalog.find((e) => e.id === id)!.files.find((f) => f.variant === variant)!.fileName);
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

test('a full download reports progress up to the whole size and lands verified under its name', async () => {
  const src = standin('dinov2-small', 'fp32');
  const dest = path.join(root, 'full.onnx');
  const progress: DownloadProgress[] = [];
  const r = await downloadFile({ url: `${base}/files/dinov2-small/model.onnx`, dest, sha256: sha(src), bytes: fs.statSync(src).size, onProgress: (p) => progress.push(p) });
  assert.equal(r.sha256, sha(src));
  assert.ok(fs.readFileSync(dest).equals(fs.readFileSync(src)));
  assert.ok(!fs.existsSync(`${dest}.part`) && !fs.existsSync(`${dest}.part.json`));
  assert.ok(progress.length >= 1);
  const last = progress[progress.length - 1];
  assert.equal(last.received, fs.statSync(src).size);
  assert.equal(last.total, fs.statSync(src).size);
  assert.ok(last.bytesPerSecond > 0);
  assert.equal(r.resumed, false);
});

test('an interrupted download keeps its part; the next run asks for bytes=N- with If-Range and ends whole', async () => {
  const src = standin('dinov2-small', 'fp32');
  const dest = path.join(root, 'resumed.onnx');
  const url = `${base}/cut/dinov2-small/model.onnx`;
  // retries 0: this call plays a process that was cut off; the next call is the user running it again.
  await assert.rejects(downloadFile({ url, dest, sha256: sha(src), retries: 0 }), (e: Error) => e instanceof InterruptedError && /run the same command again to resume/.test(e.message));
  // What arrived before the cut: at most what the server sent (bytes in flight die with the socket).
  const kept = fs.statSync(`${dest}.part`).size;
  assert.ok(kept > 0 && kept <= CUT_AT, `kept ${kept}`);
  seen.length = 0;
  const r = await downloadFile({ url, dest, sha256: sha(src), retries: 0 });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].range, `bytes=${kept}-`);
  assert.equal(seen[0].ifRange, etagOf(fs.readFileSync(src)));
  assert.equal(r.resumed, true);
  assert.ok(fs.readFileSync(dest).equals(fs.readFileSync(src)));
});

test('within one call a broken transfer is resumed by itself', async () => {
  const src = standin('dinov2-small', 'int8');
  const dest = path.join(root, 'retried.onnx');
  seen.length = 0;
  const r = await downloadFile({ url: `${base}/cut/dinov2-small/model_quantized.onnx`, dest, sha256: sha(src) });
  assert.equal(seen.length, 2);
  assert.equal(seen[0].range, undefined);
  const from = Number(/^bytes=(\d+)-$/.exec(seen[1].range ?? '')?.[1]);
  assert.ok(from > 0 && from <= CUT_AT, `resumed from ${seen[1].range}`);
  assert.ok(r.resumed);
  assert.equal(sha(dest), sha(src));
});

test('a part whose file changed upstream (If-Range no longer matches) is started over, not spliced', async () => {
  const src = standin('resnet50', 'int8');
  const rel = `resnet50/${path.basename(src)}`;
  const dest = path.join(root, 'changed.onnx');
  const url = `${base}/cut/${rel}`;
  await assert.rejects(downloadFile({ url, dest, sha256: sha(src), retries: 0 }), InterruptedError);
  const kept = fs.statSync(`${dest}.part`).size;
  etagOverride.set(rel, '"another-version"');
  try {
    seen.length = 0;
    await downloadFile({ url, dest, sha256: sha(src), retries: 0 });
    // Asked to resume, answered with the whole new file (200), which replaced the part.
    assert.equal(seen[0].range, `bytes=${kept}-`);
    assert.equal(sha(dest), sha(src));
  } finally {
    etagOverride.delete(rel);
  }
});

test('a bad checksum installs nothing, removes the part and says both hashes', async () => {
  const src = standin('dinov2-small', 'fp32');
  const dest = path.join(root, 'bad.onnx');
  await assert.rejects(downloadFile({ url: `${base}/corrupt/dinov2-small/model.onnx`, dest, sha256: sha(src) }), (e: Error) => {
    assert.ok(e instanceof ChecksumError);
    assert.match(e.message, new RegExp(`not the expected ${sha(src)}; it was deleted and nothing was installed`));
    return true;
  });
  assert.ok(!fs.existsSync(dest));
  assert.ok(!fs.existsSync(`${dest}.part`));
});

test('a redirect is followed (as Hugging Face answers 302 to its CDN)', async () => {
  const src = standin('dinov2-small', 'fp32');
  const dest = path.join(root, 'redirected.onnx');
  const r = await downloadFile({ url: `${base}/redirect/dinov2-small/model.onnx`, dest, sha256: sha(src) });
  assert.deepEqual(
    r.requests.map((q) => new URL(q.url).pathname),
    ['/redirect/dinov2-small/model.onnx', '/files/dinov2-small/model.onnx'],
  );
  assert.equal(sha(dest), sha(src));
});

test('an unreachable host: refused port and unresolvable name give OfflineError, and install says how to use --file', async () => {
  const port = await closedPort();
  await assert.rejects(downloadFile({ url: `http://127.0.0.1:${port}/x.onnx`, dest: path.join(root, 'off.onnx'), sha256: null }), (e: Error) => e instanceof OfflineError && e.code === 'ECONNREFUSED');
  await assert.rejects(
    downloadFile({ url: 'http://photowords-model-test.invalid/x.onnx', dest: path.join(root, 'off2.onnx'), sha256: null, timeoutMs: 10_000 }),
    (e: Error) => e instanceof OfflineError && ['ENOTFOUND', 'EAI_AGAIN'].includes(e.code),
  );
  const entry = { ...findEntry('dinov2-small', catalog) };
  entry.files = entry.files.map((f) => ({ ...f, urls: [`http://127.0.0.1:${port}/${f.fileName}`] }));
  await assert.rejects(installModel(entry, { variant: 'fp32', cache: path.join(root, 'offcache') }), (e: Error) => {
    assert.match(e.message, new RegExp(`^could not reach 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    assert.match(e.message, /photowords model add dinov2-small --file <path>/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
});

test('CLI: list, add with progress and the grid check, --file, int8 made here then the unverified file trusted, remove', async () => {
  const cache = path.join(root, 'cache');
  const listed = await cli(['model', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as { cache: string; models: { id: string; variant: string; installed: boolean; path: string }[] };
  assert.equal(rows.cache, cache);
  assert.deepEqual(
    rows.models.map((m) => `${m.id}:${m.variant}:${m.installed}`),
    [
      'inception_v3:fp32:' + rows.models[0].installed,
      'dinov2-small:fp32:false',
      'dinov2-small:int8:false',
      'dinov2-base:fp32:false',
      'dinov2-base:int8:false',
      'resnet50:fp32:false',
      'resnet50:int8:false',
    ],
  );

  const add = await cli(['model', 'add', 'dinov2-small']);
  assert.equal(add.code, 0, add.stderr);
  const installedPath = path.join(cache, 'dinov2-small', 'model.onnx');
  assert.match(add.stdout, new RegExp(`Installed dinov2-small fp32: ${installedPath} .*verified`));
  assert.match(add.stderr, /dinov2-small fp32: [\d.]+ MB\/[\d.]+ MB \|/); // the progress line (not a terminal here)
  assert.match(add.stderr, /Checked: 224x224 gives a 16x16x384 grid \(last_hidden_state\); 252x252 gives 18x18x384/);
  assert.equal(sha(installedPath), sha(standin('dinov2-small', 'fp32')));
  // The ViT wrapped as a backbone the engine reads: uint8 pixels of any size in, [N, 384, H/14, W/14] out.
  const vit = /Backbone: (.+\.onnx)/.exec(add.stdout)?.[1];
  assert.ok(vit && fs.existsSync(vit) && fs.existsSync(vit.replace(/\.onnx$/, '.json')), add.stdout);
  const vs = await ort.InferenceSession.create(vit);
  const grid = await vs.run({ pixels: new ort.Tensor('uint8', new Uint8Array(200 * 300 * 3).fill(100), [1, 200, 300, 3]) });
  assert.deepEqual([...grid['patch_grid'].dims], [1, 384, 14, 21]);
  await vs.release();
  const record = JSON.parse(fs.readFileSync(path.join(cache, 'dinov2-small', 'fp32.json'), 'utf8'));
  assert.equal(record.verified, true);
  assert.deepEqual(record.probe.grid, [16, 16, 384]);

  // No published int8 hash: the int8 graph is made here from the checked fp32 file (no byte of the
  // published int8 file moves), then the published file itself on the user's word, with the hash it had.
  const int8Asked = seen.length;
  const made = await cli(['model', 'add', 'dinov2-small', '--int8']);
  assert.equal(made.code, 0, made.stderr);
  const fp32Sha = sha(installedPath);
  assert.match(made.stdout, new RegExp(`Installed dinov2-small int8: .*model_quantized\\.onnx .*made here by quantize-dynamic 1 .* from the checked fp32 file ${fp32Sha}\\)`));
  assert.match(made.stderr, /Making DINOv2 ViT-S\/14 int8 here from the checked fp32 file/);
  assert.match(made.stderr, /Checked: 224x224 gives a 16x16x384 grid/);
  assert.match(made.stdout, /Backbone: .*dinov2-small-int8-patch_grid\.onnx/);
  assert.deepEqual(seen.slice(int8Asked), [], 'nothing was downloaded for it');
  const madeRec = JSON.parse(fs.readFileSync(path.join(cache, 'dinov2-small', 'int8.json'), 'utf8'));
  assert.match(madeRec.source, new RegExp(`^quantized here from ${fp32Sha} `));
  const trusted = await cli(['model', 'add', 'dinov2-small', '--int8', '--trust-unverified', '--no-probe']);
  assert.equal(trusted.code, 0, trusted.stderr);
  assert.match(trusted.stdout, new RegExp(`sha256 ${sha(standin('dinov2-small', 'int8'))}, NOT verified`));

  // --file: the user's own copy, checked against the catalogue, and a CNN wrapped as a backbone.
  const wrong = await cli(['model', 'add', 'resnet50', '--file', standin('dinov2-small', 'fp32')]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /has sha256 [0-9a-f]{64}; the catalogue's resnet50 is .*Nothing was installed/);
  const own = await cli(['model', 'add', 'resnet50', '--file', standin('resnet50', 'fp32'), '--no-probe']);
  assert.equal(own.code, 0, own.stderr);
  const backbone = /Backbone: (.+\.onnx)/.exec(own.stdout)?.[1];
  assert.ok(backbone && fs.existsSync(backbone), own.stdout);
  // The wrapped graph takes our uint8 pixels at any size and returns stage 4's map.
  const session = await ort.InferenceSession.create(backbone);
  const out = await session.run({ pixels: new ort.Tensor('uint8', new Uint8Array(320 * 256 * 3).fill(100), [1, 256, 320, 3]) });
  assert.deepEqual([...out['resnetv17_stage4_activation2'].dims], [1, 2048, 8, 10]);
  await session.release();

  const after = JSON.parse((await cli(['model', 'list', '--json'])).stdout) as typeof rows;
  const state = Object.fromEntries(after.models.map((m) => [`${m.id}:${m.variant}`, m.installed]));
  assert.deepEqual([state['dinov2-small:fp32'], state['dinov2-small:int8'], state['resnet50:fp32'], state['resnet50:int8']], [true, true, true, false]);
  const row = after.models.find((m) => m.id === 'dinov2-small' && m.variant === 'fp32') as unknown as { backbone: string; probe: { grid: number[] } };
  assert.equal(row.backbone, vit);
  assert.deepEqual(row.probe.grid, [16, 16, 384]);
  const table = await cli(['model', 'list']);
  assert.match(table.stdout, new RegExp(`dinov2-small\\s+fp32\\s+[\\d.]+ MB\\s+installed\\s+${installedPath}`));

  const removed = await cli(['model', 'remove', 'dinov2-small']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /Removed \d+ file\(s\) of dinov2-small/);
  assert.ok(!fs.existsSync(path.join(cache, 'dinov2-small')));
  const again = await cli(['model', 'remove', 'dinov2-small']);
  assert.match(again.stdout, /dinov2-small is not installed/);
});

test('CLI offline: one line saying the host could not be reached and how to use --file', async () => {
  const port = await closedPort();
  const offline = catalog.map((e) => ({ ...e, files: e.files.map((f) => ({ ...f, urls: [`http://127.0.0.1:${port}/${f.fileName}`] })) }));
  const file = path.join(root, 'offline-catalog.json');
  fs.writeFileSync(file, JSON.stringify(offline));
  const r = await cli(['model', 'add', 'resnet50'], { PHOTOWORDS_MODEL_CATALOG: file, PHOTOWORDS_MODELS: path.join(root, 'offline-cache') });
  assert.equal(r.code, 1);
  const last = r.stderr.trim().split('\n').pop()!;
  assert.match(
    last,
    new RegExp(`^photowords: could not reach 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): check the network, or download .* and install it with: photowords model add resnet50 --file <path>$`),
  );
});

test('the full-size ViT-S/14 stand-in (12 blocks, 384 dims, 6 heads) loads and gives the catalogue grid', async () => {
  const file = path.join(root, 'vits14-full.onnx');
  fs.writeFileSync(file, standinBytes('dinov2-small', 'fp32'));
  const entry = findEntry('dinov2-small');
  const p = await probeModel(entry, file);
  assert.deepEqual(p.outputDims, [1, 257, 384]);
  assert.deepEqual(p.grid, entry.grids[0].grid);
  assert.deepEqual(p.declaredInput, ['batch_size', 3, 'height', 'width']);
  assert.ok('grid' in p.largerInput && p.largerInput.grid.join('x') === '18x18x384');
  // The same multiply-accumulates as the catalogue states for the real model.
  assert.ok(Math.abs(vitGmacs(VIT_SHAPES['dinov2-small'], 224, 224) - entry.gmacs) < 0.1);
});

test('two installs of one file: a live lock holder is named, a dead one is taken over', async () => {
  const cache = path.join(root, 'lockcache');
  const entry = findEntry('dinov2-small', catalog);
  const dest = path.join(cache, 'dinov2-small', 'model.onnx');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(`${dest}.lock`, String(process.pid));
  await assert.rejects(installModel(entry, { variant: 'fp32', cache }), new RegExp(`another photowords \\(pid ${process.pid}\\) is installing dinov2-small fp32`));
  assert.ok(!fs.existsSync(dest));
  // A process that has exited: its lock is stale.
  const gone = await new Promise<number>((resolve) => {
    const child = execFile(process.execPath, ['-e', '0'], () => resolve(child.pid!));
  });
  fs.writeFileSync(`${dest}.lock`, String(gone));
  const rec = await installModel(entry, { variant: 'fp32', cache });
  assert.equal(rec.sha256, sha(standin('dinov2-small', 'fp32')));
  assert.ok(!fs.existsSync(`${dest}.lock`));
});
