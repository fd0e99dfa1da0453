// "Why two photos match" (src/core/search/explain.ts) on real photos, a real SQLite index and the real
// model: a flowers17 photo and an off-centre crop of it keeping 65% of each side. The original's
// highlighted cells must lie in the crop window (what the copy shows is that part of the scene),
// the maps must add up to the index's exact cosine, and the same answer comes through the CLI
// (--json) and the HTTP API. Beside it, without the model: every k-gram setting the index may use
// (collapsed or per-offset, kernel, padding, 3D, soft assignment) gives maps that sum to the cosine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/core/library/engine.js';
import { exactCosine } from '../../src/core/duplicates/find.js';
import { explainPair, explainStored } from '../../src/core/search/explain.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
import { LiveIndex } from '../../src/core/search/live-index.js';
import { kgramSettings } from '../../src/core/common/settings.js';
import { IndexStore } from '../../src/core/index/store.js';
import { Library } from '../../src/core/library/library.js';
import { startServer } from '../../src/server/server.js';
import type { KgramSettings, TokenGrid } from '../../src/core/common/types.js';
import type { PairExplanation } from '../../src/shared/api.js';
import { listJpegs, spread } from '../fixtures/photos.js';

const DATA = path.resolve('../shared/datasets');
const CLI = path.resolve('bin/photowords.js');
/** The crop, as fractions of the original's width and height: 65% of each side, off centre. */
const CROP = { left: 0.3, top: 0.1, width: 0.65, height: 0.65 };

let dir: string;
let db: string;
const pairs: { original: string; crop: string; a: number; b: number }[] = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-explain-'));
  const photos = path.join(dir, 'photos');
  fs.mkdirSync(photos);
  const originals = spread(listJpegs(path.join(DATA, 'flowers17')), 6);
  for (const [i, src] of originals.entries()) {
    const o = path.join(photos, `f${i}.jpg`);
    fs.copyFileSync(src, o);
    const { width: W = 0, height: H = 0 } = await sharp(src).metadata();
    const c = path.join(photos, `f${i}_crop.jpg`);
    await sharp(src)
      .extract({ left: Math.round(W * CROP.left), top: Math.round(H * CROP.top), width: Math.round(W * CROP.width), height: Math.round(H * CROP.height) })
      .jpeg({ quality: 90 })
      .toFile(c);
    pairs.push({ original: o, crop: c, a: 0, b: 0 });
  }
  // Other photos, so that the idf is that of a library and not of six pairs.
  for (const [i, src] of spread(listJpegs(path.join(DATA, 'caltech101')), 24).entries()) fs.copyFileSync(src, path.join(photos, `u${i}.jpg`));
  db = path.join(dir, 'index.db');
  const engine = await Engine.open(db, { provider: 'cpu' });
  try {
    const r = await engine.index([photos]);
    assert.equal(r.failed, 0);
    for (const p of pairs) {
      p.a = engine.store.getByPath(p.original)!.id;
      p.b = engine.store.getByPath(p.crop)!.id;
    }
  } finally {
    await engine.close();
  }
});

after(() => (process.env.KEEP_EXPLAIN ? console.log('kept', dir) : fs.rmSync(dir, { recursive: true, force: true })));

/** Share of a map's weight in cells that meet the rectangle (fractions of the photo) grown by `margin` cells. */
function shareInside(p: PairExplanation['a'], rect: typeof CROP, margin: number): number {
  const { height: H, width: W } = p.grid;
  const x0 = rect.left * W - margin;
  const x1 = (rect.left + rect.width) * W + margin;
  const y0 = rect.top * H - margin;
  const y1 = (rect.top + rect.height) * H + margin;
  let inside = 0;
  let total = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const w = p.weights[y * W + x];
      total += w;
      if (x + 1 > x0 && x < x1 && y + 1 > y0 && y < y1) inside += w;
    }
  }
  return inside / total;
}

/** Weighted centre of a map, in fractions of the photo. */
function centre(p: PairExplanation['a']): { x: number; y: number } {
  const { height: H, width: W } = p.grid;
  let sx = 0;
  let sy = 0;
  let s = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const w = p.weights[y * W + x];
      sx += w * (x + 0.5);
      sy += w * (y + 0.5);
      s += w;
    }
  }
  return { x: sx / s / W, y: sy / s / H };
}

const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);

test('explain: a cropped copy lights up the crop window of its original, and the maps add up to the exact cosine', { timeout: 300_000 }, async (t) => {
  const store = IndexStore.open(db, { fingerprint: IndexStore.readFingerprint(db)!, settings: IndexStore.readSettings(db) as object });
  const live = new LiveIndex(store, { background: false });
  try {
    const snap = live.snapshot();
    const s = kgramSettings({ ...(store.settings as Parameters<typeof kgramSettings>[0]) });
    assert.equal(s.collapse, true, 'the default index uses collapsed k-grams');
    const shares: number[] = [];
    const topShares: number[] = [];
    for (const p of pairs) {
      const r = explainStored(store, snap, s, p.a, p.b, { top: 10 });
      const exact = exactCosine(snap, store.getBag(p.a)!, store.getBag(p.b)!);
      assert.ok(Math.abs(r.cosine - exact) < 1e-4, `cosine ${r.cosine} against the exact ${exact}`);
      for (const side of [r.a, r.b]) {
        assert.equal(side.unplaced, 0);
        assert.equal(side.weights.length, side.grid.height * side.grid.width);
        assert.ok(Math.abs(sum(side.weights) - r.cosine) < 1e-4, `${side.name}: map sums to ${sum(side.weights)}, cosine ${r.cosine}`);
      }
      assert.ok(Math.abs(sum(r.words.map((w) => w.share)) - sum(r.words.map((w) => w.contribution)) / r.cosine) < 1e-9);
      assert.ok(r.words.length === 10 && r.words.every((w, i) => i === 0 || w.contribution <= r.words[i - 1].contribution));
      assert.ok(r.words.every((w) => w.head !== null && w.offset === null && w.cells.a.length > 0 && w.cells.b.length > 0));

      // The original's weight in the crop window (one cell of margin, for the 3x3 windows that
      // straddle its edge), against the window's share of the grid's cells.
      const inside = shareInside(r.a, CROP, 1);
      const area = shareInside({ ...r.a, weights: r.a.weights.map(() => 1) }, CROP, 1);
      // The copy's weighted centre, put into the original's frame, against the original's.
      const cb = centre(r.b);
      const ca = centre(r.a);
      const mapped = { x: CROP.left + cb.x * CROP.width, y: CROP.top + cb.y * CROP.height };
      const off = Math.hypot((mapped.x - ca.x) * r.a.grid.width, (mapped.y - ca.y) * r.a.grid.height);
      t.diagnostic(
        `${path.basename(p.original)} ${r.a.grid.width}x${r.a.grid.height}: cosine ${r.cosine.toFixed(3)}, ${r.sharedWords} shared words; ` +
          `weight in the crop window ${(inside * 100).toFixed(1)}% (window ${(area * 100).toFixed(1)}% of the cells); centres ${off.toFixed(2)} cells apart`,
      );
      // The ten heaviest words alone (split evenly over their cells here).
      let topIn = 0;
      let topAll = 0;
      for (const w of r.words) {
        const inCells = w.cells.a.filter(([y, x]) => shareInside({ ...r.a, weights: r.a.weights.map((_, i) => (i === y * r.a.grid.width + x ? 1 : 0)) }, CROP, 1) > 0).length;
        topIn += (w.contribution * inCells) / w.cells.a.length;
        topAll += w.contribution;
      }
      t.diagnostic(`  top ${r.words.length} words (${((topAll / r.cosine) * 100).toFixed(0)}% of the cosine): ${((topIn / topAll) * 100).toFixed(1)}% in the crop window`);
      shares.push(inside);
      topShares.push(topIn / topAll);
      // Collapsed words carry no position, so a word the crop shares with the original counts
      // wherever the original holds it; what must hold is that the crop window gets clearly more
      // than its share of the cells, and that the two maps agree on where the match is.
      assert.ok(inside > area, `${path.basename(p.original)}: ${(inside * 100).toFixed(1)}% of the weight in a window of ${(area * 100).toFixed(1)}% of the cells`);
      assert.ok(off < 4, `${path.basename(p.original)}: centres ${off.toFixed(2)} cells apart`);
    }
    const mean = (xs: number[]) => sum(xs) / xs.length;
    t.diagnostic(`top words in the crop window: mean ${(mean(topShares) * 100).toFixed(1)}%`);
    assert.ok(mean(shares) >= 0.72, `mean weight in the crop window ${mean(shares)}`);
    assert.ok(mean(topShares) >= 0.8, `mean weight of the top words in the crop window ${mean(topShares)}`);
    t.diagnostic(`weight in the crop window: mean ${((sum(shares) / shares.length) * 100).toFixed(1)}%, least ${(Math.min(...shares) * 100).toFixed(1)}%`);
  } finally {
    live.close();
    store.close();
  }
});

test('explain: every k-gram setting (collapsed or per-offset, kernel, padding, 3D, soft) gives maps that sum to the exact cosine', () => {
  // Random grids stand in for photos: the bookkeeping, not the model, is under test here.
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const grid = (H: number, W: number, C = 3, n = 40): TokenGrid => {
    const cells = C * H * W;
    const tokens = Uint16Array.from({ length: cells }, () => Math.floor(rnd() * n));
    const second = Uint16Array.from({ length: cells }, () => Math.floor(rnd() * n));
    return { heads: C, height: H, width: W, codes: n, tokens, soft: { second, dist1: new Float32Array(cells), dist2: new Float32Array(cells) } };
  };
  const settings: KgramSettings[] = [
    { kernel: 3, padding: 0, channel: false, collapse: true },
    { kernel: 3, padding: 0, channel: false, collapse: false },
    { kernel: 2, padding: 1, channel: false, collapse: true },
    { kernel: 4, padding: 2, channel: false, collapse: false },
    { kernel: 3, padding: 1, channel: true, collapse: true },
    { kernel: 2, padding: 0, channel: true, collapse: false },
    { kernel: 3, padding: 0, channel: false, collapse: true, soft: 0.5 },
    { kernel: 3, padding: 1, channel: false, collapse: false, soft: 0.5 },
  ];
  for (const s of settings) {
    const store = IndexStore.open(':memory:', { fingerprint: 'test', settings: {} });
    try {
      // A base grid and two edited copies (some cells changed), plus unrelated ones, for the idf.
      const base = grid(9, 7);
      const edit = (g: TokenGrid, share: number): TokenGrid => ({ ...g, tokens: g.tokens.map((t) => (rnd() < share ? Math.floor(rnd() * g.codes) : t)) });
      const grids = [base, edit(base, 0.3), grid(2, 5), ...Array.from({ length: 5 }, () => grid(8, 8))];
      const ids = grids.map((g, i) => store.putIndexed({ path: `/p/${i}.jpg`, size: 1, mtimeMs: 1, hash: null, width: g.width * 10, height: g.height * 10 }, g, bagFromGrid(g, s)));
      const live = new LiveIndex(store, { background: false });
      const snap = live.snapshot();
      for (const [i, j] of [
        [0, 1],
        [0, 2],
        [1, 3],
      ]) {
        const r = explainStored(store, snap, s, ids[i], ids[j], { top: 5 });
        const exact = exactCosine(snap, store.getBag(ids[i])!, store.getBag(ids[j])!);
        const label = JSON.stringify(s);
        assert.ok(Math.abs(r.cosine - exact) < 1e-4, `${label}: ${r.cosine} against ${exact}`);
        for (const side of [r.a, r.b]) {
          assert.equal(side.unplaced, 0, label);
          assert.ok(Math.abs(sum(side.weights) - r.cosine) < 1e-4, `${label}: ${sum(side.weights)} against ${r.cosine}`);
        }
        for (const w of r.words) {
          assert.equal(w.offset === null, !!s.collapse, label);
          assert.equal(w.head === null, s.channel, label);
        }
      }
      live.close();
    } finally {
      store.close();
    }
  }
  // A per-offset word is placed at its own offset's cell: a 1-head 3x3 grid with k=3 has one
  // window, so the word at offset (dy, dx) is the token of cell (dy, dx) and nowhere else.
  const one: TokenGrid = { heads: 1, height: 3, width: 3, codes: 9, tokens: Uint16Array.from({ length: 9 }, (_, i) => i) };
  const s: KgramSettings = { kernel: 3, padding: 0, channel: false, collapse: false };
  const store = IndexStore.open(':memory:', { fingerprint: 'test', settings: {} });
  try {
    const id = store.putIndexed({ path: '/one.jpg', size: 1, mtimeMs: 1, hash: null, width: 3, height: 3 }, one, bagFromGrid(one, s));
    const live = new LiveIndex(store, { background: false });
    const r = explainPair(live.snapshot(), s, { photo: store.getById(id)!, grid: one, bag: store.getBag(id)! }, { photo: store.getById(id)!, grid: one, bag: store.getBag(id)! }, { top: 9 });
    assert.ok(Math.abs(r.cosine - 1) < 1e-4);
    for (const w of r.words) assert.deepEqual(w.cells.a, [w.offset]);
    live.close();
  } finally {
    store.close();
  }
});

test('explain: the CLI (--json and text) and the HTTP API give the same explanation', { timeout: 300_000 }, async () => {
  const p = pairs[0];
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [CLI, ...args], { maxBuffer: 16 << 20, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const j = await run(['explain', p.original, p.crop, '--db', db, '--json', '--top', '5']);
  assert.equal(j.code, 0, j.stderr);
  const cli = JSON.parse(j.stdout) as PairExplanation;
  assert.equal(cli.a.path, p.original);
  assert.equal(cli.b.path, p.crop);
  assert.equal(cli.words.length, 5);
  assert.ok(Math.abs(sum(cli.a.weights) - cli.cosine) < 1e-4);

  const txt = await run(['explain', String(p.a), p.crop, '--db', db, '--top', '3']);
  assert.equal(txt.code, 0, txt.stderr);
  assert.match(txt.stdout, new RegExp(`TF-IDF cosine ${cli.cosine.toFixed(4)}`));
  assert.match(txt.stdout, /Top 3 words:/);
  assert.equal((txt.stdout.match(/^\|.*\|$/gm) ?? []).length, cli.a.grid.height + cli.b.grid.height, 'one heat-map line per grid row');
  const missing = await run(['explain', p.original, path.join(dir, 'nowhere.jpg'), '--db', db]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /not in the index/);

  // The duplicates report draws the match over each near copy and its keeper, as inline SVG
  // under the report's own CSP (no script, images only as data: URLs). At 0.2 the crops join.
  const out = path.join(dir, 'report.html');
  const rep = await run(['duplicates', '--db', db, '--sensitivity', '0.2', '--no-exif', '--out', out, '--json']);
  assert.equal(rep.code, 0, rep.stderr);
  const html = fs.readFileSync(out, 'utf8');
  // Its one style block is allowed by its hash, not by 'unsafe-inline'.
  const policy = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
  assert.doesNotMatch(policy, /unsafe-/);
  const styleBlock = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
  assert.equal(policy, `default-src 'none'; img-src data:; style-src 'sha256-${createHash('sha256').update(styleBlock).digest('base64')}'`);
  assert.equal(html.match(/<style/g)?.length, 1);
  assert.doesNotMatch(html, /<script/i);
  const section = html.split('<section>').find((x) => x.includes(`>${path.basename(p.crop)}<`));
  assert.ok(section, 'the crop is in a group of the report');
  assert.ok(section.includes(`>${path.basename(p.original)}<`), 'with its original');
  const svgs = section.match(/<svg class="match" viewBox="0 0 (\d+) (\d+)"[^>]*>(.*?)<\/svg>/g) ?? [];
  assert.ok(svgs.length >= 2, `${svgs.length} overlays in the group`);
  assert.ok(section.includes(`viewBox="0 0 ${cli.a.grid.width} ${cli.a.grid.height}"`), 'the original has an overlay of its grid');
  assert.ok(svgs.every((x) => /<rect x="\d+" y="\d+" width="1" height="1" fill-opacity="0\.\d+"\/>/.test(x)));

  const library = await Library.open(db, { provider: 'cpu', autoIndex: false });
  const staticDir = path.join(dir, 'ui');
  fs.mkdirSync(staticDir, { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html>');
  const server = await startServer({ library, staticDir, port: 0 });
  try {
    // A loopback server without sign-in still wants its per-run CSRF token on every call.
    const csrf = ((await (await fetch(`${server.url}api/auth/state`)).json()) as { csrf: string }).csrf;
    const call = async (args: unknown[]) => {
      const res = await fetch(`${server.url}api/call/explain`, { method: 'POST', body: JSON.stringify(args), headers: { 'Content-Type': 'application/json', 'X-Photowords-CSRF': csrf } });
      return { status: res.status, body: (await res.json()) as { result?: PairExplanation; error?: { code: string; message: string } } };
    };
    const ok = await call([p.a, p.b, { top: 5 }]);
    assert.equal(ok.status, 200, JSON.stringify(ok.body.error));
    const api = ok.body.result!;
    assert.ok(Math.abs(api.cosine - cli.cosine) < 1e-6, `API ${api.cosine}, CLI ${cli.cosine}`);
    assert.deepEqual(
      api.words.map((w) => w.term),
      cli.words.map((w) => w.term),
    );
    assert.equal(api.a.id, p.a);
    const gone = await call([p.a, 999_999]);
    assert.equal(gone.status, 404);
    assert.match(gone.body.error!.message, /not an indexed photo/);
    const bad = await call([p.a, 'x']);
    assert.equal(bad.status, 400);
  } finally {
    await server.close();
    await library.close();
  }
});
