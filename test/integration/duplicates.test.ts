// Duplicate finding (src/core/duplicates/find.ts) on real photos and a real SQLite index: 20 flowers17
// photos with six edits each (JPEG quality 30, 70% size, 10% centre crop, +10% brightness,
// greyscale, blur), one
// caltech101 photo copied byte for byte twice, and 40 unrelated caltech101 photos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/core/library/engine.js';
import { DEFAULT_SENSITIVITY, chooseKeeper, exactDuplicateGroups, findDuplicates } from '../../src/core/duplicates/find.js';
import type { ImageRecord } from '../../src/core/index/store.js';
import { listJpegs, spread } from '../fixtures/photos.js';

const DATA = path.resolve('../shared/datasets');

test('duplicates: exact copies group, edits join their original, unrelated photos stay out, keeper is the largest', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-dups-'));
  try {
    const photos = path.join(dir, 'photos');
    fs.mkdirSync(photos);
    const originals = spread(listJpegs(path.join(DATA, 'flowers17')), 20);
    const caltech = spread(listJpegs(path.join(DATA, 'caltech101')), 41);
    const families: string[][] = [];
    for (const [i, src] of originals.entries()) {
      const o = path.join(photos, `f${i}.jpg`);
      fs.copyFileSync(src, o);
      const { width: W = 0, height: H = 0 } = await sharp(src).metadata();
      const fam = [o];
      const edits: [string, ReturnType<typeof sharp>][] = [
        ['q30', sharp(src).jpeg({ quality: 30 })],
        [
          'r70',
          sharp(src)
            .resize(Math.round(W * 0.7))
            .jpeg({ quality: 85 }),
        ],
        [
          'crop10',
          sharp(src)
            .extract({ left: Math.round(W * 0.05), top: Math.round(H * 0.05), width: Math.round(W * 0.9), height: Math.round(H * 0.9) })
            .jpeg({ quality: 90 }),
        ],
        ['bright', sharp(src).modulate({ brightness: 1.1 }).jpeg({ quality: 90 })],
        // Visual words alone miss most of these two; the perceptual hash finds them.
        ['grey', sharp(src).greyscale().jpeg({ quality: 90 })],
        ['blur', sharp(src).blur(2.5).jpeg({ quality: 90 })],
      ];
      for (const [k, s] of edits) {
        const p = path.join(photos, `f${i}_${k}.jpg`);
        await s.toFile(p);
        fam.push(p);
      }
      families.push(fam);
    }
    const copySrc = caltech[40];
    const copies = ['copy_a.jpg', 'copy_b.jpg', 'copy_c.jpg'].map((f) => path.join(photos, f));
    for (const c of copies) fs.copyFileSync(copySrc, c);
    const unrelated = caltech.slice(0, 40).map((src, i) => {
      const p = path.join(photos, `u${i}_${path.basename(src)}`);
      fs.copyFileSync(src, p);
      return p;
    });

    const db = path.join(dir, 'index.db');
    const engine = await Engine.open(db, { provider: 'cpu' });
    try {
      const report = await engine.index([photos]);
      assert.equal(report.failed, 0);
      const store = engine.store;
      const idOf = new Map(store.listImages().map((r) => [r.path, r.id]));

      // Exact: one SQL group holding the three copies.
      const exact = exactDuplicateGroups(store);
      assert.deepEqual(exact, [copies.map((c) => idOf.get(c)!).sort((a, b) => a - b)]);

      const r = await findDuplicates(store, { live: engine.liveIndex() });
      assert.equal(r.sensitivity, DEFAULT_SENSITIVITY);
      const groupOf = new Map<string, number>();
      r.groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m.path, i)));

      const exactGroup = r.groups.find((g) => g.tier === 'exact');
      assert.ok(exactGroup, 'an exact group');
      assert.deepEqual(exactGroup.members.map((m) => m.path).sort(), [...copies].sort());
      assert.ok(exactGroup.members.every((m) => m.identical && m.score === 1));
      // All the same size and pixels, no EXIF date: the shortest path, then the first by name.
      assert.equal(exactGroup.members[0].path, copies[0]);

      // Near: most edits share their original's group; no group mixes two families.
      let joined = 0;
      for (const fam of families) {
        const g = groupOf.get(fam[0]);
        for (const e of fam.slice(1)) if (g !== undefined && groupOf.get(e) === g) joined++;
      }
      const total = families.length * 6;
      assert.ok(joined >= 0.85 * total, `${joined} of ${total} edits grouped with their original`);
      for (const g of r.groups) {
        const fams = new Set(g.members.map((m) => path.basename(m.path).replace(/(_\w+)?\.jpg$/, '')));
        assert.equal(fams.size, 1, `one family per group: ${[...fams].join(', ')}`);
      }
      // Unrelated photos join nothing (copies of copySrc aside, which is not among them).
      const strays = unrelated.filter((u) => groupOf.has(u));
      assert.ok(strays.length <= 1, `unrelated photos in groups: ${strays.join(', ')}`);

      // The keeper has the most pixels of its group, and the reason says why.
      for (const g of r.groups) {
        const px = (m: { width: number | null; height: number | null }) => (m.width ?? 0) * (m.height ?? 0);
        const k = g.members[0];
        assert.equal(k.id, g.keeper);
        assert.ok(g.members.every((m) => px(m) <= px(k)));
        assert.ok(g.reason.length > 0);
        for (const m of g.members.slice(1)) assert.ok(m.score <= 1 && m.score > 0);
      }
      // Greyscale and blurred copies came in through the perceptual hash.
      const grey = families.filter((f) => groupOf.get(f[5]) !== undefined && groupOf.get(f[5]) === groupOf.get(f[0])).length;
      const blur = families.filter((f) => groupOf.get(f[6]) !== undefined && groupOf.get(f[6]) === groupOf.get(f[0])).length;
      assert.ok(grey >= 18 && blur >= 18, `greyscale ${grey}/20, blurred ${blur}/20 joined their original`);
      assert.ok(r.pairs.phashAccepted > 0);
      console.log(`duplicates: ${r.groups.length} groups, ${joined}/${total} edits joined, ${strays.length} strays, pairs ${JSON.stringify(r.pairs)}, ${r.ms.toFixed(0)} ms`);
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('duplicates: keeper order is pixels, then file size, then path', async () => {
  const rec = (id: number, p: string, w: number, h: number, size: number): ImageRecord => ({
    id,
    path: p,
    size,
    mtimeMs: 0,
    hash: null,
    width: w,
    height: h,
    status: 'indexed',
    error: null,
    indexedAt: 0,
  });
  let k = await chooseKeeper([rec(1, '/a/x.jpg', 100, 100, 900), rec(2, '/a/y.jpg', 200, 100, 100)], { exif: false });
  assert.equal(k.keeper.id, 2);
  assert.match(k.reason, /largest pixel count/);
  k = await chooseKeeper([rec(1, '/a/x.jpg', 100, 100, 900), rec(2, '/a/y.jpg', 100, 100, 1000)], { exif: false });
  assert.equal(k.keeper.id, 2);
  assert.match(k.reason, /largest file/);
  k = await chooseKeeper([rec(1, '/a/long/x.jpg', 100, 100, 1000), rec(2, '/a/y.jpg', 100, 100, 1000)], { exif: false });
  assert.equal(k.keeper.id, 2);
  assert.match(k.reason, /shortest path/);
});
