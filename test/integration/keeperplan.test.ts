// "Trash all but the keepers" (issue 19) on a real library's groups: the plan the Duplicates view
// shows before its one confirmation (src/shared/keeperplan.ts) over the groups Library's
// duplicates() finds in real photos (a flowers17 lily, a byte copy and a resized copy; a camera's
// RAW with its preview and the JPEG beside it, protected; caltech101 photos), then carried out with
// one trashPhotos call into a real XDG trash under a temp XDG_DATA_HOME: every member but the
// keeper goes, the RAW pair stays, the bytes add up, and the next search finds no lily group.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Library } from '../../src/core/library/library.js';
import { nodeDesktop } from '../../src/server/desktop.js';
import type { DuplicatesResult } from '../../src/shared/api.js';
import { keeperTrashPlan, tierOf, type PlannedGroup } from '../../src/shared/keeperplan.js';
import { tiffWithPreview } from '../fixtures/rawfile.js';

const DATA = path.resolve('../shared/datasets');
const jpegs = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let tmp: string;
let xdg: string;
let lib: string;
let library: Library;
let lily: string;
let lilyCopy: string;
let lilySmall: string;
let raw: string;
let rawJpeg: string;
let N = 0;

async function indexed(n: number): Promise<void> {
  for (let i = 0; ; i++) {
    const s = await library.status();
    if (s.state === 'idle' && s.libraryPhotos === n) return;
    if (s.state === 'error') throw new Error(s.message);
    if (i > 3000) throw new Error(`indexing did not finish: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const shown = (r: DuplicatesResult): PlannedGroup[] => r.groups.map((g) => ({ ...g, keeperGone: false }));
const groupWith = (gs: PlannedGroup[], p: string) => gs.find((g) => g.members.some((m) => m.path === p));

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-keeperplan-'));
  xdg = path.join(tmp, 'xdg-data');
  // The `trash` package reads XDG_DATA_HOME when it is first loaded (the library's first trash).
  process.env.XDG_DATA_HOME = xdg;
  lib = path.join(tmp, 'photos');
  fs.mkdirSync(path.join(lib, 'copies'), { recursive: true });
  lily = path.join(lib, 'lily.jpg');
  fs.copyFileSync(jpegs(path.join(DATA, 'flowers17', 'c07'))[11], lily);
  lilyCopy = path.join(lib, 'copies', 'IMG_0001.jpg');
  fs.copyFileSync(lily, lilyCopy);
  lilySmall = path.join(lib, 'copies', 'lily-small.jpg');
  const { width = 0 } = await sharp(lily).metadata();
  await sharp(lily)
    .resize(Math.round(width * 0.6))
    .jpeg({ quality: 72 })
    .toFile(lilySmall);
  // The camera's pair: the RAW (its preview inside) and the JPEG it wrote beside it.
  const flower = jpegs(path.join(DATA, 'flowers17', 'c05'))[0];
  raw = path.join(lib, 'IMG_0042.DNG');
  rawJpeg = path.join(lib, 'IMG_0042.JPG');
  fs.writeFileSync(raw, tiffWithPreview(await sharp(flower).resize(400).jpeg({ quality: 85 }).toBuffer()));
  fs.copyFileSync(flower, rawJpeg);
  for (const c of ['Leopards', 'watch']) fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', c))[1], path.join(lib, `${c.toLowerCase()}.jpg`));
  N = 3 + 2 + 2;
  library = await Library.open(path.join(tmp, 'index.db'), { provider: 'cpu', watch: false, desktop: nodeDesktop });
  await library.addFolder(lib);
  await indexed(N);
});

after(async () => {
  await library?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the plan: every member but the keeper, never a protected one, nothing of a group whose keeper is gone; tiers as members stand', async () => {
  const groups = shown(await library.duplicates());
  const lilies = groupWith(groups, lily);
  const pair = groupWith(groups, raw);
  assert.ok(lilies && pair, `a lily group and the RAW pair: ${groups.map((g) => g.members.map((m) => path.basename(m.path)).join('+')).join('; ')}`);
  assert.deepEqual(lilies.members.map((m) => m.path).sort(), [lily, lilyCopy, lilySmall].sort());
  assert.ok(
    pair.members.every((m) => m.protect),
    'the RAW and its JPEG are protected',
  );

  const plan = keeperTrashPlan(groups);
  const keeper = lilies.members.find((m) => m.id === lilies.keeper)!;
  assert.deepEqual(
    plan.photos.map((p) => p.path).sort(),
    lilies.members
      .filter((m) => m.id !== keeper.id)
      .map((m) => m.path)
      .sort(),
    'the lilies but their keeper, nothing of the RAW pair',
  );
  assert.equal(plan.groups, 1, 'one group loses photos');
  assert.equal(plan.protected, 1, 'the protected member that is not its group keeper is counted, not moved');
  assert.equal(plan.keeperGone, 0);
  assert.equal(
    plan.bytes,
    plan.photos.reduce((s, p) => s + fs.statSync(p.path).size, 0),
    'the bytes are the files as they are',
  );
  assert.deepEqual(plan.edits, []);
  console.log(`keeper plan: keep ${path.basename(keeper.path)}, move ${plan.photos.map((p) => path.basename(p.path)).join(', ')} (${plan.bytes} bytes); ${plan.protected} protected`);

  // A group whose keeper went to the trash is left alone: "all but the keeper" would empty it.
  const gone = keeperTrashPlan(groups.map((g) => (g === lilies ? { ...g, keeperGone: true } : g)));
  assert.deepEqual(gone.photos, []);
  assert.equal(gone.keeperGone, 1);
  // The keeper the person chose is the one kept.
  const chosen = lilies.members.find((m) => m.path === lilySmall)!;
  const mine = keeperTrashPlan([{ ...lilies, keeper: chosen.id }]);
  assert.deepEqual(mine.photos.map((p) => p.path).sort(), [lily, lilyCopy].sort());

  // Tiers: the lilies are near copies; without the resized one, two byte copies are "same bytes".
  assert.equal(lilies.tier, 'near');
  assert.equal(tierOf(lilies.members), 'near');
  assert.equal(tierOf(lilies.members.filter((m) => m.path !== lilySmall)), 'exact');
});

test('carried out with one trashPhotos call: the planned files are in the XDG trash byte for byte, the keeper and the RAW pair stay', async () => {
  const plan = keeperTrashPlan(shown(await library.duplicates()));
  const sums = new Map(plan.photos.map((p) => [p.path, sha(p.path)]));
  const r = await library.trashPhotos(plan.photos.map((p) => p.path));
  assert.deepEqual(r.failed, []);
  assert.deepEqual(r.trashed.map((t) => t.path).sort(), plan.photos.map((p) => p.path).sort());
  assert.equal(
    r.trashed.reduce((s, t) => s + t.bytes, 0),
    plan.bytes,
    'the bytes the confirmation stated are the bytes that went',
  );
  for (const p of plan.photos) assert.ok(!fs.existsSync(p.path), `${path.basename(p.path)} left its folder`);
  const trashDir = path.join(xdg, 'Trash', 'files');
  assert.deepEqual(
    fs
      .readdirSync(trashDir)
      .map((f) => sha(path.join(trashDir, f)))
      .sort(),
    [...sums.values()].sort(),
  );
  for (const p of [raw, rawJpeg]) assert.ok(fs.existsSync(p), `${path.basename(p)} stays`);
  assert.equal(r.libraryPhotos, N - plan.photos.length);

  const after = shown(await library.duplicates());
  assert.equal(groupWith(after, plan.photos[0].path), undefined);
  assert.equal(
    after.some((g) => g.members.some((m) => m.path === lily || m.path === lilyCopy || m.path === lilySmall) && g.members.length > 1),
    false,
    'no lily group left',
  );
  assert.ok(groupWith(after, raw), 'the RAW pair is still listed');
  assert.deepEqual(keeperTrashPlan(after).photos, [], 'nothing left to move');
});
