// Duplicates people can trust (issue 7) on real photos, a real model and a real SQLite index:
// mirrored and turned copies join their original; "not duplicates" survives a rename, a
// re-index, a restart and a rebuild with other settings, and stops applying to a photo whose
// content changed; "keep all" and a chosen keeper stick; look-alikes go to "similar shots"; a
// RAW and its JPEG are never offered for trashing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/core/library/engine.js';
import { findDuplicates, type DuplicateReport } from '../../src/core/duplicates/find.js';
import { reconcileFolders } from '../../src/core/index/sync.js';

const FLOWERS = path.resolve('../shared/datasets/flowers17');
const CALTECH = path.resolve('../shared/datasets/caltech101');
const first = (dir: string, n: number) =>
  fs
    .readdirSync(dir)
    .sort()
    .slice(0, n)
    .map((f) => path.join(dir, f));

/** What a restart and the watcher's catch-up do: reconcile the folder, index what is new or edited. */
async function sync(engine: Engine, dir: string) {
  const plan = await reconcileFolders(engine.store, [dir], { online: () => true });
  if (plan.toIndex.length) await engine.indexFiles(plan.toIndex);
  return plan;
}

const groupWith = (r: DuplicateReport, p: string) => r.groups.find((g) => g.members.some((m) => m.path === p));

test('decisions: turned copies join, dismissals stick across rename, restart and rebuild, edits are judged afresh', { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-decide-'));
  const lib = path.join(dir, 'photos');
  fs.mkdirSync(lib);
  const db = path.join(dir, 'index.db');
  try {
    const [src, other] = first(path.join(FLOWERS, 'c05'), 2);
    const orig = path.join(lib, 'tulip.jpg');
    fs.copyFileSync(src, orig);
    const small = path.join(lib, 'tulip-small.jpg');
    await sharp(src).resize(300).jpeg({ quality: 80 }).toFile(small);
    const mirror = path.join(lib, 'tulip-mirror.jpg');
    // A little smaller than the original, so the original is the suggested keeper and each copy's
    // turn is named relative to it.
    const { width: W = 0 } = await sharp(src).metadata();
    await sharp(src)
      .flop()
      .resize(Math.round(W * 0.95))
      .jpeg({ quality: 90 })
      .toFile(mirror);
    const rot90 = path.join(lib, 'tulip-rot90.jpg');
    await sharp(src)
      .rotate(90)
      .resize({ height: Math.round(W * 0.95) })
      .jpeg({ quality: 90 })
      .toFile(rot90);
    // Another photo of the same species, and some unrelated photos.
    fs.copyFileSync(other, path.join(lib, 'another-tulip.jpg'));
    for (const f of first(path.join(CALTECH, 'airplanes'), 3)) fs.copyFileSync(f, path.join(lib, `plane-${path.basename(f)}`));
    // A RAW file beside its JPEG: not a photo sharp can read here, so it is listed as failed with
    // its reason, and the JPEG is never called its duplicate.
    fs.writeFileSync(path.join(lib, 'tulip.CR2'), Buffer.from('II*\0not really a raw'));

    let engine = await Engine.open(db, { provider: 'cpu' });
    await engine.index([lib]);
    let r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
    let g = groupWith(r, orig);
    assert.ok(g, 'a group holds the original');
    const paths = g.members.map((m) => m.path).sort();
    assert.deepEqual(paths, [orig, mirror, rot90, small].sort(), 'resized, mirrored and turned copies join the original');
    const m = g.members.find((x) => x.path === mirror)!;
    const t = g.members.find((x) => x.path === rot90)!;
    assert.equal(m.transform, 'mirror');
    assert.equal(g.members[0].path, orig, 'the original is the keeper');
    assert.equal(t.transform, 'rot90');
    assert.ok(r.pairs.transformed >= 2);
    console.log(`turned copies: ${g.members.map((x) => `${path.basename(x.path)} ${x.link?.by ?? 'keeper'}${x.transform ? ` ${x.transform}` : ''}`).join(', ')}`);

    // Dismiss the whole group: "not duplicates".
    const hashes = g.members.map((x) => x.hash!);
    const decision = engine.store.addDecision('not-duplicates', hashes);
    r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
    assert.equal(groupWith(r, orig), undefined, 'dismissed group is gone');
    assert.ok(r.pairs.dismissed > 0);

    // Rename one of its photos, re-index, restart: still gone.
    const renamed = path.join(lib, 'renamed-tulip.jpg');
    fs.renameSync(small, renamed);
    const plan = await sync(engine, lib);
    assert.equal(plan.moved, 1, 'the rename is a move, not a new photo');
    await engine.close();
    engine = await Engine.open(db, { provider: 'cpu' });
    await sync(engine, lib);
    r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
    assert.equal(groupWith(r, orig) ?? groupWith(r, renamed), undefined, 'still dismissed after rename, re-index and restart');

    // A rebuild with other settings (another kernel: every bag made again) keeps decisions.
    await engine.close();
    engine = await Engine.open(db, { provider: 'cpu', rebuild: true, settings: { kernel: 2 } });
    await engine.index([lib]);
    assert.equal(engine.store.listDecisions().length, 1);
    r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
    assert.equal(groupWith(r, orig) ?? groupWith(r, renamed), undefined, 'still dismissed after a rebuild');

    // Edit the original (its bytes, so its content hash, change): the old decision no longer
    // covers it, and it is judged afresh against its copies.
    await sharp(src)
      .modulate({ brightness: 1.08 })
      .jpeg({ quality: 92 })
      .toFile(orig + '.tmp');
    fs.renameSync(orig + '.tmp', orig);
    await sync(engine, lib);
    r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
    g = groupWith(r, orig);
    assert.ok(g, 'the edited photo is judged again');
    assert.ok(g.members.some((x) => x.path === renamed || x.path === mirror || x.path === rot90));
    const listed = engine.store.listDecisions();
    assert.equal(listed[0].id, decision);
    assert.equal(listed[0].stale, true, 'the decision says a photo changed');

    // Keep all: the group is hidden while its contents stay the same, and listed under keptAll.
    const keepAll = engine.store.addDecision(
      'keep-all',
      g.members.map((x) => x.hash!),
    );
    r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
    assert.equal(groupWith(r, orig), undefined);
    assert.ok(r.keptAll.some((x) => x.members.some((y) => y.path === orig)));
    engine.store.deleteDecision(keepAll);

    // A chosen keeper wins over the suggestion.
    r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
    g = groupWith(r, orig)!;
    const notSuggested = g.members.find((x) => x.id !== g!.keeper)!;
    engine.store.addDecision(
      'keeper',
      g.members.map((x) => x.hash!),
      notSuggested.hash!,
    );
    r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
    g = groupWith(r, orig)!;
    assert.equal(g.keeper, notSuggested.id);
    assert.equal(g.reason, 'chosen by you');

    // The RAW is listed as failed with a reason, and is in no group.
    const raw = engine.store.getByPath(path.join(lib, 'tulip.CR2'));
    assert.equal(raw?.status, 'failed');
    assert.ok(raw?.error && raw.error.length > 0);
    assert.ok(!r.groups.some((x) => x.members.some((y) => y.path.endsWith('.CR2'))));
    // Different photos of one species are at most "similar shots", never one photo.
    assert.equal(groupWith(r, path.join(lib, 'another-tulip.jpg')), undefined);
    await engine.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
