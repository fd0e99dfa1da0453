// Issue 17, "duplicates that never chain", on real pixels and a real SQLite index: a chain of
// look-alikes (each frame a small step from the last, the ends far apart) never becomes one "same
// photo" group, and one test chart shot by two cameras (EXIF Make/Model) is two photos, while
// a re-save of one shot (EXIF kept) and a copy with its EXIF stripped still join it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/core/library/engine.js';
import { differentShots, findDuplicates, type DuplicateReport } from '../../src/core/duplicates/find.js';
import { hamming, hashOf } from '../../src/core/analysis/phash.js';
import { mulberry32 } from '../../src/core/common/random.js';

function chartSvg(w: number, h: number): string {
  const colours = ['#735244', '#c29682', '#627a9d', '#576c43', '#8580b1', '#67bdaa', '#d67e2c', '#505ba6', '#c15a63', '#5e3c6c', '#9dbc40', '#e0a32e'];
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#9a9a9a"/>`;
  colours.forEach((c, i) => (s += `<rect x="${40 + (i % 6) * 120}" y="${60 + Math.floor(i / 6) * 120}" width="100" height="100" fill="${c}" stroke="#111" stroke-width="3"/>`));
  for (let i = 0; i < 30; i++) s += `<line x1="${40 + i * 12}" y1="340" x2="${40 + i * 12}" y2="560" stroke="#000" stroke-width="${1 + (i % 3)}"/>`;
  for (let i = 0; i < 3; i++) s += `<circle cx="${560 + i * 100}" cy="450" r="${45 - i * 10}" fill="none" stroke="#000" stroke-width="6"/>`;
  return s + `<text x="40" y="40" font-family="sans-serif" font-size="28" font-weight="bold">Photowords test target</text></svg>`;
}

/** One exposure of the chart: the same chart, its own sensor noise, the camera's EXIF. */
async function shoot(chart: Buffer, seed: number, exif: Record<string, Record<string, string>>, file: string) {
  const { data, info } = await sharp(chart).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rand = mulberry32(seed);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, data[i] + (rand() + rand() - 1) * 12));
  const img = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).jpeg({ quality: 90 });
  await (Object.keys(exif).length > 0 ? img.withExif(exif) : img).toFile(file);
}

const linkedToKeeperOrAll = (r: DuplicateReport) => {
  for (const g of r.groups) {
    const ids = new Set(g.members.map((m) => m.id));
    for (const m of g.members) {
      if (m.id === g.keeper) continue;
      assert.ok(m.link, `${path.basename(m.path)} says how it joined`);
      assert.ok(ids.has(m.link.to), 'its link is to a member of its own group');
      if (m.link.to !== g.keeper) assert.ok(g.members.length >= 3, `${path.basename(m.path)} joined through a member, so it links to every member`);
    }
  }
};

test('duplicates: a chain of look-alikes never forms one group; a chart shot by two cameras is two photos', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-dupchain-'));
  try {
    const photos = path.join(dir, 'photos');
    fs.mkdirSync(photos);
    // The chain: 24 shots of one chart, no EXIF, the tripod creeping and the light changing a
    // little between shots (each its own exposure, with its own noise).
    const wide = await sharp(Buffer.from(chartSvg(1100, 760)))
      .png()
      .toBuffer();
    const frames: string[] = [];
    for (let k = 0; k < 24; k++) {
      const f = path.join(photos, `shot_${String(k).padStart(2, '0')}.jpg`);
      const step = await sharp(wide)
        .extract({ left: 10 + k * 8, top: 5 + k * 4, width: 800, height: 600 })
        .modulate({ brightness: 0.85 + k * 0.01 })
        .png()
        .toBuffer();
      await shoot(step, 100 + k, {}, f);
      frames.push(f);
    }
    // One chart, two cameras (other Make and Model, taken on other days); a re-save of the
    // first keeping its EXIF, and a half-size copy of it with the EXIF stripped.
    const chart = await sharp(Buffer.from(chartSvg(800, 600)))
      .png()
      .toBuffer();
    const canon = path.join(photos, 'chart_canon.jpg');
    const nikon = path.join(photos, 'chart_nikon.jpg');
    await shoot(chart, 1, { IFD0: { Make: 'Canon', Model: 'Canon EOS 6D' }, IFD2: { DateTimeOriginal: '2021:03:04 10:11:12' } }, canon);
    await shoot(chart, 2, { IFD0: { Make: 'NIKON CORPORATION', Model: 'NIKON D750' }, IFD2: { DateTimeOriginal: '2022:07:01 16:02:40' } }, nikon);
    const resaved = path.join(photos, 'chart_canon_resaved.jpg');
    await sharp(canon).keepExif().jpeg({ quality: 70 }).toFile(resaved);
    const stripped = path.join(photos, 'chart_canon_small.jpg');
    await sharp(canon).resize(400).jpeg({ quality: 85 }).toFile(stripped);

    const engine = await Engine.open(path.join(dir, 'index.db'), { provider: 'cpu' });
    try {
      assert.equal((await engine.index([photos])).failed, 0);
      const store = engine.store;
      const idOf = new Map(store.listImages().map((r) => [r.path, r.id]));
      const hash = new Map<number, ReturnType<typeof hashOf>>();
      for (const { id, dct } of store.iterPhash()) hash.set(id, hashOf(dct));
      const bits = (a: string, b: string) => hamming(hash.get(idOf.get(a)!)!, hash.get(idOf.get(b)!)!);
      // The set is what it claims: neighbours within a few bits, the ends far apart; the two
      // cameras' shots as close as a re-save.
      const steps = frames.slice(1).map((f, k) => bits(frames[k], f));
      const median = [...steps].sort((a, b) => a - b)[steps.length >> 1];
      assert.ok(median <= 5 && Math.max(...steps) <= 10, `consecutive frames ${steps.join(' ')} bits apart`);
      assert.ok(bits(frames[0], frames.at(-1)!) > 16, `first to last ${bits(frames[0], frames.at(-1)!)} bits`);
      assert.ok(bits(canon, nikon) <= 4, `the two cameras' shots are ${bits(canon, nikon)} bits apart`);

      const r = await findDuplicates(store, { live: engine.liveIndex() });
      const groupOf = new Map<string, number>();
      r.groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m.path, i)));
      const together = (a: string, b: string) => groupOf.has(a) && groupOf.get(a) === groupOf.get(b);

      // The chain links, but never end to end: each member is as near the keeper itself as the
      // rules ask of a pair. (Since the local-difference check, duplicates-local.ts, no two frames
      // are one photo at all: each is its own exposure, shifted, so they differ both ways. They
      // are listed together as similar shots.)
      assert.ok(
        r.similar.some((s) => s.members.filter((m) => frames.includes(m.path)).length >= 4),
        "the chain's frames are listed as similar shots",
      );
      assert.ok(!together(frames[0], frames.at(-1)!), 'the ends of the chain are not one photo');
      linkedToKeeperOrAll(r);
      for (const g of r.groups) {
        for (const m of g.members) {
          if (m.id === g.keeper || m.link?.to !== g.keeper) continue;
          if (m.link.by === 'phash' || m.link.by === 'phash+words') assert.ok(m.phashDistance! <= 16, `${path.basename(m.path)} ${m.phashDistance} bits from its keeper`);
          if (m.link.by === 'words') assert.ok(m.score >= r.sensitivity - 1e-4, `${path.basename(m.path)} words ${m.score} to its keeper`);
        }
      }
      // Links that did not make a group are shown as similar shots, not lost.
      assert.ok(r.pairs.unchained > 0, `unchained links: ${r.pairs.unchained}`);

      // Two cameras: two photos, put side by side as similar shots; the copies of one shot
      // (EXIF kept, or stripped) still join it.
      assert.ok(!together(canon, nikon), 'one chart shot by two cameras is not one photo');
      assert.ok(together(canon, resaved), 'a re-save keeping its EXIF joins its original');
      assert.ok(together(canon, stripped), 'a resized copy without EXIF joins its original');
      assert.ok(r.pairs.differentShots >= 1);
      assert.ok(
        r.similar.some((s) => s.members.some((m) => m.path === nikon) && s.members.some((m) => [canon, resaved, stripped].includes(m.path))),
        "the two cameras' shots are listed as similar shots",
      );
      // A set of links too large for every check (thousands of look-alikes) is grouped by the
      // links alone, and still never chains.
      const big = await findDuplicates(store, { live: engine.liveIndex(), directChecksUpTo: 3 });
      const bigOf = new Map<string, number>();
      big.groups.forEach((g, i) => g.members.forEach((m) => bigOf.set(m.path, i)));
      assert.ok(
        big.similar.some((s) => s.members.filter((m) => frames.includes(m.path)).length >= 4),
        'the chain still links, as similar shots',
      );
      assert.ok(!(bigOf.has(frames[0]) && bigOf.get(frames[0]) === bigOf.get(frames.at(-1)!)), 'the ends of the chain are not one photo');
      assert.ok(!(bigOf.has(canon) && bigOf.get(canon) === bigOf.get(nikon)), "nor are the two cameras' shots");
      linkedToKeeperOrAll(big);
      console.log(
        `chain: steps ${steps.join(' ')} bits, ends ${bits(frames[0], frames.at(-1)!)}; groups ${r.groups.map((g) => g.members.map((m) => path.basename(m.path, '.jpg')).join('+')).join(' | ')}; pairs ${JSON.stringify(r.pairs)}`,
      );
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('duplicates: what the files say about the shot decides only when both say it', () => {
  assert.equal(differentShots({ camera: 'canon canon eos 6d' }, { camera: 'nikon corporation nikon d750' }), 'different cameras');
  assert.equal(differentShots({ camera: 'canon canon eos 6d', lens: 'ef 50mm' }, { camera: 'canon canon eos 6d', lens: 'ef 85mm' }), 'different lenses');
  assert.equal(differentShots({ taken: 0 }, { taken: 5000 }), 'taken at different times');
  // Burst frames within one second: only the sub-second field tells them apart.
  assert.equal(differentShots({ taken: 0, subsec: 0.2 }, { taken: 0, subsec: 0.6 }), 'taken at different times');
  assert.equal(differentShots({ taken: 0, subsec: 0.2 }, { taken: 0 }), undefined);
  // A copy stripped of its EXIF, or one keeping it: nothing against it.
  assert.equal(differentShots({ camera: 'canon canon eos 6d', taken: 0 }, {}), undefined);
  assert.equal(differentShots({ camera: 'canon canon eos 6d', taken: 0, subsec: 0.2 }, { camera: 'canon canon eos 6d', taken: 0, subsec: 0.2 }), undefined);
});
