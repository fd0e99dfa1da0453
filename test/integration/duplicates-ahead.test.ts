// Crop searches started ahead (Checks.searchAhead, while the set before is checked) give cropsOf
// the answers it finds when it searches itself: on real photos, their crops and resizes, indexed
// in a real SQLite file, for the keeper guessed right and for a wrong guess.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { hashOf } from '../../src/core/analysis/phash.js';
import { settingsOf, type FindContext } from '../../src/core/duplicates/context.js';
import { DecisionLookup } from '../../src/core/duplicates/decisions.js';
import { Links } from '../../src/core/duplicates/links.js';
import { emptyPairCounts } from '../../src/core/duplicates/types.js';
import { Checks } from '../../src/core/duplicates/verify.js';
import { PairCosines } from '../../src/core/duplicates/word-cosine.js';
import type { ImageRecord } from '../../src/core/index/store.js';
import { Engine } from '../../src/core/library/engine.js';
import { listJpegs, spread } from '../fixtures/photos.js';

const DATA = path.resolve('../shared/datasets');

test('crop searches started ahead answer as the searches cropsOf runs itself', { timeout: 180_000, skip: !fs.existsSync(DATA) && 'no dev set under ../shared/datasets' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-ahead-'));
  try {
    const photos = path.join(dir, 'photos');
    fs.mkdirSync(photos);
    const originals = spread(listJpegs(path.join(DATA, 'flowers17')), 4);
    for (const [i, src] of originals.entries()) {
      fs.copyFileSync(src, path.join(photos, `f${i}.jpg`));
      const { width: W = 0, height: H = 0 } = await sharp(src).metadata();
      for (const share of [0.8, 0.5]) {
        const w = Math.round(W * share);
        const h = Math.round(H * share);
        await sharp(src)
          .extract({ left: Math.round((W - w) / 3), top: Math.round((H - h) / 2), width: w, height: h })
          .jpeg({ quality: 90 })
          .toFile(path.join(photos, `f${i}_crop${share * 100}.jpg`));
      }
      await sharp(src)
        .resize(Math.round(W / 2))
        .jpeg({ quality: 85 })
        .toFile(path.join(photos, `f${i}_half.jpg`));
    }
    for (const [i, src] of spread(listJpegs(path.join(DATA, 'caltech101')), 4).entries()) fs.copyFileSync(src, path.join(photos, `u${i}.jpg`));

    const engine = await Engine.open(path.join(dir, 'index.db'), { provider: 'cpu' });
    try {
      assert.equal((await engine.index([photos])).failed, 0);
      const store = engine.store;
      const live = engine.liveIndex();
      const snap = live.snapshot();
      const recs = new Map<number, ImageRecord>(store.listImages().map((r) => [r.id, r]));
      const byName = new Map([...recs.values()].map((r) => [path.basename(r.path), r]));
      const context = (): FindContext => {
        const settings = settingsOf(store, { exif: false });
        const ctx: FindContext = {
          store,
          settings,
          recs,
          decisions: new DecisionLookup(store, settings.decisions),
          links: new Links(),
          pairs: emptyPairCounts(),
          cosines: new PairCosines(store, live, snap),
          phashes: new Map(),
          lookAlikes: [],
          burstCandidates: [],
        };
        for (const { id, dct } of store.iterPhash()) ctx.phashes.set(id, hashOf(dct));
        return ctx;
      };
      const all = [...recs.values()];
      const ahead = new Checks(context());
      const here = new Checks(context());
      try {
        let crops = 0;
        for (let i = 0; i < originals.length; i++) {
          const keeper = byName.get(`f${i}.jpg`)!;
          const rs = all.filter((r) => r !== keeper);
          // A right guess for this keeper, and a wrong one (the next original) that must not answer for it.
          await ahead.searchAhead(keeper, rs);
          await ahead.searchAhead(byName.get(`f${(i + 1) % originals.length}.jpg`)!, rs);
          const got = await ahead.cropsOf(keeper, rs);
          const want = await here.cropsOf(keeper, rs);
          assert.deepEqual(got, want, `f${i}'s crops`);
          crops += want.filter((l) => l?.by === 'crop').length;
        }
        assert.ok(crops >= originals.length, `crops found: ${crops}`);
      } finally {
        ahead.close();
        here.close();
      }
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
