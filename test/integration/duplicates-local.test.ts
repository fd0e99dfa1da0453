// Issue 17, local differences (src/core/duplicates/local.ts), on real pixels and a real SQLite
// index: renders of one scene with a car that moved and the sun a little higher are different
// photos, shown as similar shots, while a text overlay, a brighter and a JPEG-40 copy of one of
// them are still the same photo as it; and catalogue motorbikes on white of other pixel sizes,
// linked by their hashes and words, are different photos, while a crop, a half-size copy and a
// straightened (turned 4 degrees, cropped) copy of one of them still join it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/core/library/engine.js';
import { findDuplicates } from '../../src/core/duplicates/find.js';
import { decodeForModel } from '../../src/core/analysis/decode/decode.js';
import { greyOfPixels, localChange, localLook, place, sampleWindow, summed, twoShots } from '../../src/core/duplicates/local.js';

function sceneSvg(k: number): string {
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="700"><rect width="100%" height="100%" fill="#6f9fd0"/>`;
  s += `<circle cx="${120 + k * 12}" cy="${140 - k * 2}" r="55" fill="#ffd84a"/>`;
  for (let c = 0; c < 3; c++) s += `<ellipse cx="${200 + c * 300 + k * 9}" cy="${110 + c * 40}" rx="90" ry="30" fill="#fff"/>`;
  s += `<path d="M0,470 Q250,380 500,460 T1000,430 L1000,700 L0,700 Z" fill="#4f8a3a"/>`;
  s += `<rect x="560" y="330" width="260" height="190" fill="#c9a27a" stroke="#5a3b22" stroke-width="4"/><path d="M540,335 L690,230 L840,335 Z" fill="#8b2f2f"/>`;
  for (let i = 0; i < 4; i++) s += `<rect x="${585 + i * 58}" y="370" width="40" height="40" fill="${(k >> i) & 1 ? '#ffe79a' : '#39465a'}" stroke="#fff" stroke-width="3"/>`;
  s += `<rect x="150" y="380" width="26" height="120" fill="#6b4423"/><circle cx="163" cy="350" r="70" fill="#2f6b2a"/>`;
  s += `<rect x="0" y="560" width="1000" height="60" fill="#555"/>`;
  const carX = 100 + k * 45;
  s += `<rect x="${carX}" y="520" width="140" height="45" rx="10" fill="#c0392b"/><circle cx="${carX + 30}" cy="568" r="16" fill="#111"/><circle cx="${carX + 110}" cy="568" r="16" fill="#111"/>`;
  return s + '</svg>';
}

const overlay = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="700"><text x="50%" y="630" font-family="sans-serif" font-size="78" font-weight="bold" fill="white" stroke="black" stroke-width="4" text-anchor="middle">© Photowords 2026</text></svg>`,
);

test('duplicates: renders of one scene with things moved are two photos; edits of one render are one', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-duplocal-'));
  try {
    const photos = path.join(dir, 'photos');
    fs.mkdirSync(photos);
    const renders: string[] = [];
    for (const k of [0, 3, 6]) {
      const f = path.join(photos, `scene_${k}.jpg`);
      await sharp(Buffer.from(sceneSvg(k)))
        .jpeg({ quality: 90 })
        .toFile(f);
      renders.push(f);
    }
    const [a] = renders;
    const text = path.join(photos, 'scene_0_text.jpg');
    await sharp(a)
      .composite([{ input: overlay }])
      .jpeg({ quality: 90 })
      .toFile(text);
    const brighter = path.join(photos, 'scene_0_brighter.jpg');
    await sharp(a).modulate({ brightness: 1.2 }).jpeg({ quality: 90 }).toFile(brighter);
    const jpeg40 = path.join(photos, 'scene_0_q40.jpg');
    await sharp(a).jpeg({ quality: 40 }).toFile(jpeg40);

    // The rule itself, on the pixels the model reads: an overlay adds detail in one photo only;
    // a moved car leaves each render with things the other lacks.
    const look = async (f: string) => {
      const img = await decodeForModel(fs.readFileSync(f), 299);
      return localLook(greyOfPixels(img.pixels), img.width, img.height);
    };
    const la = await look(a);
    const moved = localChange(la.coarse, (await look(renders[1])).coarse);
    const edited = localChange(la.coarse, (await look(text)).coarse);
    assert.ok(moved.balance >= 0.3 && moved.cells >= 8, `moved car: ${JSON.stringify(moved)}`);
    assert.ok(edited.balance < 0.05 && edited.cells >= 8, `text overlay: ${JSON.stringify(edited)}`);
    assert.ok(twoShots(la, await look(renders[1])) && !twoShots(la, await look(text)) && !twoShots(la, await look(brighter)) && !twoShots(la, await look(jpeg40)));

    const engine = await Engine.open(path.join(dir, 'index.db'), { provider: 'cpu' });
    try {
      assert.equal((await engine.index([photos])).failed, 0);
      const r = await findDuplicates(engine.store, { live: engine.liveIndex() });
      const groupOf = new Map<string, number>();
      r.groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m.path, i)));
      const together = (x: string, y: string) => groupOf.has(x) && groupOf.get(x) === groupOf.get(y);
      const names = r.groups.map((g) => g.members.map((m) => path.basename(m.path)).join('+')).join(' | ');
      for (const x of renders) for (const y of renders) if (x < y) assert.ok(!together(x, y), `${path.basename(x)} and ${path.basename(y)} are two photos (groups: ${names})`);
      for (const copy of [text, brighter, jpeg40]) assert.ok(together(a, copy), `${path.basename(copy)} is the same photo as its render (groups: ${names})`);
      assert.ok(
        r.similar.some((s) => s.members.filter((m) => renders.includes(m.path)).length >= 2),
        'the renders are listed as similar shots',
      );
      assert.ok(r.pairs.localDiffers >= 1, JSON.stringify(r.pairs));
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const DATASETS = path.resolve('../shared/datasets');
const MOTORBIKES = path.join(DATASETS, 'caltech101', 'Motorbikes');

test(
  'duplicates: look-alikes of other pixel sizes are two photos; a crop, a half-size and a straightened copy join their photo',
  { skip: !fs.existsSync(MOTORBIKES) && 'no caltech101 under ../shared/datasets', timeout: 300_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-duplocal-sizes-'));
    try {
      const photos = path.join(dir, 'photos');
      fs.mkdirSync(photos);
      // caltech101's catalogue motorbikes on white, as they are: 24 different photos of 262 to 263 x
      // 138 to 166 pixels, which the finder grouped by 10 before (links by hash and words, and
      // "crops" whose window lay within 12 bits).
      const bikes = fs
        .readdirSync(MOTORBIKES)
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .slice(0, 24);
      for (const f of bikes) fs.copyFileSync(path.join(MOTORBIKES, f), path.join(photos, f));
      const keeper = path.join(photos, 'image_0005.jpg');
      const { width = 0, height = 0 } = await sharp(keeper).metadata();
      const crop = path.join(photos, 'image_0005_crop.jpg');
      const cw = Math.round(width * 0.85);
      const ch = Math.round(height * 0.85);
      await sharp(keeper)
        .extract({ left: Math.floor((width - cw) / 2), top: Math.floor((height - ch) / 2), width: cw, height: ch })
        .jpeg({ quality: 90 })
        .toFile(crop);
      const half = path.join(photos, 'image_0005_half.jpg');
      await sharp(keeper)
        .resize(Math.round(width / 2))
        .jpeg({ quality: 85 })
        .toFile(half);
      // Straightened: turned 4 degrees, then cut to the upright middle (no corners filled).
      const straight = path.join(photos, 'image_0005_turned.jpg');
      const turned = await sharp(keeper).rotate(4, { background: '#ffffff' }).toBuffer({ resolveWithObject: true });
      await sharp(turned.data)
        .extract({
          left: Math.floor((turned.info.width - Math.round(width * 0.85)) / 2),
          top: Math.floor((turned.info.height - Math.round(height * 0.8)) / 2),
          width: Math.round(width * 0.85),
          height: Math.round(height * 0.8),
        })
        .jpeg({ quality: 90 })
        .toFile(straight);

      // The placement itself: the crop lands where it was cut from, and its cells then differ from
      // the keeper's window one way at most; another motorbike placed where it fits best differs both ways.
      const grey = async (f: string) => {
        const img = await decodeForModel(fs.readFileSync(f), 299);
        return { grey: greyOfPixels(img.pixels), width: img.width, height: img.height };
      };
      const k = await grey(keeper);
      const sat = summed(k.grey, k.width, k.height);
      const placed = async (f: string, start: { x: number; y: number; w: number; h: number }) => {
        const g = await grey(f);
        const p = place(sat, k.width, k.height, localLook(g.grey, g.width, g.height).coarse.mean, start);
        const ow = Math.round(Math.min(p.w, g.width));
        const oh = Math.round((ow * g.height) / g.width);
        const win = localLook(sampleWindow(sat, k.width, k.height, p, ow, oh), ow, oh);
        const own = localLook(sampleWindow(summed(g.grey, g.width, g.height), g.width, g.height, { cx: g.width / 2, cy: g.height / 2, w: g.width, h: g.height, angle: 0 }, ow, oh), ow, oh);
        return { p, two: twoShots(win, own) };
      };
      // Started a few pixels off, as the crop search's grid leaves it.
      const c = await placed(crop, { x: k.width * 0.075 + 4, y: k.height * 0.075 - 3, w: k.width * 0.85 * 1.04, h: k.height * 0.85 * 1.04 });
      assert.ok(Math.abs(c.p.cx - k.width / 2) < 2 && Math.abs(c.p.cy - k.height / 2) < 2 && Math.abs(c.p.w - k.width * 0.85) < 3 && c.p.corr > 0.99, `crop placed at ${JSON.stringify(c.p)}`);
      assert.ok(!c.two, 'the crop, placed, is an edit of its window');
      const other = await placed(path.join(photos, 'image_0002.jpg'), { x: 0, y: 0, w: k.width, h: k.height * 0.97 });
      assert.ok(other.two, `another motorbike, placed at ${JSON.stringify(other.p)}, differs both ways`);

      const engine = await Engine.open(path.join(dir, 'index.db'), { provider: 'cpu' });
      try {
        assert.equal((await engine.index([photos])).failed, 0);
        const r = await findDuplicates(engine.store, { live: engine.liveIndex() });
        const groupOf = new Map<string, number>();
        r.groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m.path, i)));
        const names = r.groups.map((g) => g.members.map((m) => path.basename(m.path)).join('+')).join(' | ');
        const copies = new Set([keeper, crop, half, straight]);
        for (const copy of [crop, half, straight])
          assert.ok(groupOf.has(keeper) && groupOf.get(copy) === groupOf.get(keeper), `${path.basename(copy)} is the same photo as image_0005 (groups: ${names})`);
        for (const g of r.groups) {
          const different = new Set(g.members.map((m) => (copies.has(m.path) ? keeper : m.path)));
          assert.equal(different.size, 1, `one photo per group (groups: ${names})`);
        }
        // The look-alikes were linked (and placed in their keepers), not merely unlinked.
        assert.ok(r.pairs.placed >= 5 && r.pairs.localDiffers >= 5, JSON.stringify(r.pairs));
        assert.ok(
          r.similar.some((s) => s.members.filter((m) => !copies.has(m.path)).length >= 2),
          'the motorbikes are listed as similar shots',
        );
      } finally {
        await engine.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
