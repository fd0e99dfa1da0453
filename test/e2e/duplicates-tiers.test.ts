/// <reference lib="dom" />
// Duplicates people can trust (issue 7), end to end in a real browser: `photowords serve` on a
// temp database over a temp folder of real photos (a flowers17 photo, a resized copy and a
// mirrored copy made with sharp, another photo of the same flower class, a photo and its centre
// crop keeping 70% of each side, caltech101 photos), Debian's chromium driven by playwright-core.
// A person's path: the "Same photo" tab groups the original with its resized and mirrored copies
// (the mirrored one says so) and not the other lily; "Similar shots" renders; "Not duplicates"
// dismisses the group at once, Undo brings it back, and a dismissal survives a rename on disk
// picked up by the watcher and a new search; the "Why?" heat overlay on the crop and its original
// in "Find similar", and on a pair in the compare view. Screenshots go to test-results/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, imagesLoaded, launchPage, libraryIndexed, screenshot, spawnServe, stopServe } from './kit.js';

const DATA = path.resolve('../shared/datasets');
const UNRELATED = ['Leopards', 'Motorbikes', 'watch', 'chair'];
/** The lily, its two copies and the other lily; the rose and its crop; the unrelated photos. */
const N = 4 + 2 + 2 + UNRELATED.length;

let tmp: string;
let photos: string;
let serve: ChildProcess;
let serveLog = '';
let url: string;
let browser: Browser;
let page: Page;
let lily: string;
let burst1: string;
let burst2: string;
let lilySmall: string;
let lilyMirrored: string;
let otherLily: string;
let rose: string;
let roseCrop: string;

function jpegs(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

async function startServe(db: string): Promise<string> {
  const s = spawnServe([photos, '--db', db], { env: { ...process.env, XDG_DATA_HOME: path.join(tmp, 'xdg-data') }, onLog: (d) => (serveLog += d), log: () => serveLog });
  serve = s.child;
  return s.url;
}

/** A call to serve's API from the test itself (no Origin: what a local script may do). */
async function call<T>(method: string, ...args: unknown[]): Promise<T> {
  // A loopback server without sign-in still wants its per-run CSRF token, which a script reads first.
  const { csrf } = (await (await fetch(`${url}api/auth/state`)).json()) as { csrf: string };
  const res = await fetch(`${url}api/call/${method}`, { method: 'POST', body: JSON.stringify(args), headers: { 'Content-Type': 'application/json', 'X-Photowords-CSRF': csrf } });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result as T;
}

const shot = (name: string) => screenshot(page, name);

const waitImages = (selector: string) => imagesLoaded(page, selector);

/** The search started after `since` (the view's data-started, ms) is done. */
async function searchDone(since = 0): Promise<void> {
  await page.waitForFunction(
    (t) => {
      const v = document.querySelector('[data-testid=duplicates-view]');
      return v?.getAttribute('data-state') === 'done' && Number(v.getAttribute('data-started')) > t;
    },
    since,
    { timeout: 120_000 },
  );
}

const started = async () => Number(await page.locator('[data-testid=duplicates-view]').getAttribute('data-started'));

type Shown = { tier: string | null; paths: string[] };
async function shownGroups(): Promise<Shown[]> {
  return page.locator('[data-testid=duplicate-group]').evaluateAll((els) => els.map((e) => ({ tier: e.getAttribute('data-tier'), paths: (e.getAttribute('data-paths') ?? '').split('\n').sort() })));
}

const lilyGroup = () => page.locator('[data-testid=duplicate-group]').filter({ has: page.locator(`[data-testid=duplicate-member][data-path="${lily}"]`) });

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:app)');
  assert.ok(fs.existsSync(CHROMIUM), `chromium at ${CHROMIUM} (scripts/test.sh installs Debian's)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-tiers-'));
  photos = path.join(tmp, 'photos');
  for (const d of ['flowers', 'copies', 'garden', 'misc', 'burst']) fs.mkdirSync(path.join(photos, d), { recursive: true });
  const lilies = jpegs(path.join(DATA, 'flowers17', 'c07'));
  lily = path.join(photos, 'flowers', 'lily.jpg');
  fs.copyFileSync(lilies[11], lily);
  const { width = 0 } = await sharp(lily).metadata();
  lilySmall = path.join(photos, 'copies', 'lily-small.jpg');
  await sharp(lily)
    .resize(Math.round(width * 0.6))
    .jpeg({ quality: 72 })
    .toFile(lilySmall);
  // The mirrored copy a smaller file than the original, so the original is the suggested keeper
  // and the copy is the one labelled "mirrored".
  lilyMirrored = path.join(photos, 'copies', 'lily-mirrored.jpg');
  for (const q of [70, 55, 40, 25]) {
    await sharp(lily).flop().jpeg({ quality: q }).toFile(lilyMirrored);
    if (fs.statSync(lilyMirrored).size < fs.statSync(lily).size) break;
  }
  otherLily = path.join(photos, 'flowers', 'another-lily.jpg');
  fs.copyFileSync(lilies[12], otherLily);
  // A photo and its centre crop keeping 70% of each side (49% of the surface).
  rose = path.join(photos, 'garden', 'rose.jpg');
  fs.copyFileSync(jpegs(path.join(DATA, 'flowers17', 'c03'))[5], rose);
  const m = await sharp(rose).metadata();
  const cw = Math.round(m.width! * 0.7);
  const ch = Math.round(m.height! * 0.7);
  roseCrop = path.join(photos, 'garden', 'rose-crop.jpg');
  await sharp(rose)
    .extract({ left: Math.round((m.width! - cw) / 2), top: Math.round((m.height! - ch) / 2), width: cw, height: ch })
    .jpeg({ quality: 90 })
    .toFile(roseCrop);
  // A burst: two frames of one scene two seconds apart (the camera panned: each keeps 80% x 90%
  // of the scene, from opposite corners), with their capture times in EXIF.
  const scene = jpegs(path.join(DATA, 'flowers17', 'c12'))[0];
  const sm = await sharp(scene).metadata();
  const bw = Math.round(sm.width! * 0.8);
  const bh = Math.round(sm.height! * 0.9);
  burst1 = path.join(photos, 'burst', 'IMG_2001.jpg');
  burst2 = path.join(photos, 'burst', 'IMG_2002.jpg');
  await sharp(scene)
    .extract({ left: 0, top: 0, width: bw, height: bh })
    .jpeg({ quality: 90 })
    .withExif({ IFD2: { DateTimeOriginal: '2024:06:01 10:00:01' } })
    .toFile(burst1);
  await sharp(scene)
    .extract({ left: sm.width! - bw, top: sm.height! - bh, width: bw, height: bh })
    .modulate({ brightness: 1.05 })
    .jpeg({ quality: 90 })
    .withExif({ IFD2: { DateTimeOriginal: '2024:06:01 10:00:03' } })
    .toFile(burst2);
  for (const c of UNRELATED) fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', c))[4], path.join(photos, 'misc', `${c.toLowerCase()}.jpg`));

  url = await startServe(path.join(tmp, 'library.db'));
  ({ browser, page } = await launchPage((m) => (serveLog += `\n[page error] ${m}`)));
  // tsx names the functions it compiles with a __name helper that only Node has.
  await page.addInitScript('window.__name = (f) => f');
  await page.goto(url);
  await libraryIndexed(page, N);
});

after(async () => {
  await browser?.close();
  await stopServe(serve);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('two tiers: "Same photo" holds the original with its resized and mirrored copies (labelled), not the other lily; "Similar shots" renders', { timeout: 300_000 }, async () => {
  await page.locator('[data-testid=nav-duplicates]').click();
  await page.locator('[data-testid=duplicates-view]').waitFor();
  await searchDone();
  const groups = await shownGroups();
  console.log(`e2e tiers: same photo: ${groups.map((g) => `${g.tier} [${g.paths.map((p) => path.basename(p)).join(', ')}]`).join('; ')}`);
  const g = groups.find((x) => x.paths.includes(lily));
  assert.ok(g, 'the original is in a "same photo" group');
  assert.deepEqual(g.paths, [lily, lilySmall, lilyMirrored].sort(), 'with its resized and mirrored copies, and nothing else');
  assert.ok(!groups.some((x) => x.paths.includes(otherLily)), 'another photo of the same flowers is not "the same photo"');
  const group = lilyGroup();
  assert.equal(await group.locator('[data-testid=duplicate-member][data-keep=true]').getAttribute('data-path'), lily, 'the original is the suggested keeper');
  const mirrored = group.locator(`[data-testid=duplicate-member][data-path="${lilyMirrored}"]`);
  assert.equal(await mirrored.getAttribute('data-transform'), 'mirror');
  const mirroredWhy = (await mirrored.locator('[data-testid=member-why]').textContent()) ?? '';
  assert.match(mirroredWhy, /mirrored/, `the mirrored copy is labelled as such: ${mirroredWhy}`);
  const smallWhy = (await group.locator(`[data-testid=duplicate-member][data-path="${lilySmall}"] [data-testid=member-why]`).textContent()) ?? '';
  assert.match(smallWhy, /perceptual hash \d+ (of 64 )?bits|visual words 0\.\d\d/, `the resized copy says which link put it there: ${smallWhy}`);
  assert.match((await page.locator('#dup-sensitivity-help').textContent()) ?? '', /mirrored or turned copies/);
  // Decisions are offered on the group and on the copies that are not the keeper.
  assert.equal(await group.locator('[data-testid=group-not-duplicates]').count(), 1);
  assert.equal(await group.locator('[data-testid=group-keep-all]').count(), 1);
  assert.equal(await group.locator('[data-testid=member-keep]').count(), 2);
  await waitImages('[data-testid=duplicates-view] .groups img');
  await shot('tiers-01-same-photo');

  await page.locator('[data-testid=tab-similar]').click();
  assert.equal(await page.locator('[data-testid=duplicates-view]').getAttribute('data-tab'), 'similar');
  assert.match((await page.locator('#dup-similar-help').textContent()) ?? '', /burst/);
  const similar = await page
    .locator('[data-testid=similar-group]')
    .evaluateAll((els) => els.map((e) => ({ kind: e.getAttribute('data-kind'), paths: (e.getAttribute('data-paths') ?? '').split('\n').sort() })));
  console.log(`e2e tiers: similar shots: ${similar.map((s) => `${s.kind} [${s.paths.map((p) => path.basename(p)).join(', ')}]`).join('; ') || 'none'}`);
  // The burst is there at the default threshold, as a burst, with no trash button.
  assert.ok(
    similar.some((x) => x.kind === 'burst' && x.paths.includes(burst1) && x.paths.includes(burst2)),
    `the burst is a similar-shots group: ${JSON.stringify(similar)}`,
  );
  assert.equal(await page.locator('[data-testid=similar-group] [data-testid=member-trash]').count(), 0, 'similar shots are never offered for the trash');
  await waitImages('[data-testid=duplicates-view] .groups img');
  await shot('tiers-02-similar-shots-burst');
  // Looser: look-alikes (here the rose and its crop) come in as similar shots, never as the same
  // photo, and never with a trash button.
  await page.locator('[data-testid=similar-shots-threshold]').evaluate((el) => {
    const input = el as HTMLInputElement;
    input.value = '0.25';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const t0 = await started();
  await page.locator('[data-testid=duplicates-run]').click();
  await searchDone(t0);
  const loose = await page
    .locator('[data-testid=similar-group]')
    .evaluateAll((els) => els.map((e) => ({ kind: e.getAttribute('data-kind'), paths: (e.getAttribute('data-paths') ?? '').split('\n').sort() })));
  console.log(`e2e tiers: similar shots at 0.25: ${loose.map((s) => `${s.kind} [${s.paths.map((p) => path.basename(p)).join(', ')}]`).join('; ') || 'none'}`);
  // What the engine lists as look-alikes is its own business (src/core/duplicates/find.ts); the view's
  // part is to show them without any trash action, or to say there are none.
  if (loose.length > 0) {
    assert.equal(await page.locator('[data-testid=similar-group] [data-testid=member-trash]').count(), 0, 'similar shots are never offered for the trash');
    assert.match((await page.locator('[data-testid=similar-member] [data-testid=member-why]').first().textContent()) ?? '', /Similar shot/);
    assert.ok(!loose.some((x) => x.paths.includes(lilySmall) && x.paths.includes(lily)), 'copies of one photo are not "similar shots" of it');
    await waitImages('[data-testid=duplicates-view] .groups img');
  } else {
    assert.match((await page.locator('[data-testid=similar-empty]').textContent()) ?? '', /No similar shots found/);
  }
  await shot('tiers-02-similar-shots');
  await page.locator('[data-testid=tab-same]').click();
  assert.deepEqual((await shownGroups()).find((x) => x.paths.includes(lily))?.paths, [lily, lilySmall, lilyMirrored].sort(), 'the same-photo tier is unchanged');
  await page.locator('[data-testid=tab-similar]').click();
  await page.locator('[data-testid=duplicates-view] button.link', { hasText: 'Default' }).click();
  const t1 = await started();
  await page.locator('[data-testid=duplicates-run]').click();
  await searchDone(t1);
  await page.locator('[data-testid=tab-same]').click();
});

test('the compare view shows why two copies match: heat cells on both photos and the top words', { timeout: 120_000 }, async () => {
  await lilyGroup().locator('[data-testid=group-compare]').click();
  const overlay = page.locator('[data-testid=compare-overlay]');
  await overlay.waitFor();
  await overlay.locator('[data-testid=compare-why]').click();
  await page.waitForFunction(
    () => {
      const layers = Array.from(document.querySelectorAll('[data-testid=compare-overlay] [data-testid=why-layer]'));
      return layers.length === 2 && layers.every((l) => Number(l.getAttribute('data-cells')) > 0);
    },
    undefined,
    { timeout: 60_000 },
  );
  assert.ok((await overlay.locator('[data-testid=why-word]').count()) > 0);
  await waitImages('[data-testid=compare-overlay] img');
  await shot('tiers-03-compare-why');
  await overlay.locator('[data-testid=compare-close]').click();
  await overlay.waitFor({ state: 'detached' });
});

test('"Not duplicates": the group goes at once and is listed; Undo brings it back; after a rename on disk and a new search it stays dismissed until undone', { timeout: 300_000 }, async () => {
  const before = await shownGroups();
  await lilyGroup().locator('[data-testid=group-not-duplicates]').click();
  await lilyGroup().waitFor({ state: 'detached' });
  assert.match((await page.locator('[data-testid=duplicates-notice]').textContent()) ?? '', /marked as not duplicates/);
  await page.locator('[data-testid=decisions-toggle]').click();
  const decision = page.locator('[data-testid=decision]');
  await decision.waitFor();
  assert.equal(await decision.count(), 1);
  assert.equal(await decision.getAttribute('data-kind'), 'not-duplicates');
  assert.deepEqual(((await decision.getAttribute('data-paths')) ?? '').split('\n').sort(), [lily, lilySmall, lilyMirrored].sort());

  // Undo at once: the group is back as it was, without a new search.
  await decision.locator('[data-testid=decision-undo]').click();
  await lilyGroup().waitFor();
  assert.deepEqual(await shownGroups(), before);
  await page.locator('[data-testid=decisions-empty]').waitFor();

  // Dismiss again, then rename a member on disk: the watcher keeps its content hash, so the
  // decision still covers it after a new search.
  await lilyGroup().locator('[data-testid=group-not-duplicates]').click();
  await lilyGroup().waitFor({ state: 'detached' });
  const renamed = path.join(photos, 'copies', 'lily-resized.jpg');
  fs.renameSync(lilySmall, renamed);
  for (let i = 0; ; i++) {
    const page1 = await call<{ items: { path: string }[] }>('listPhotos', { offset: 0, limit: 100 });
    if (page1.items.some((p) => p.path === renamed) && !page1.items.some((p) => p.path === lilySmall)) break;
    if (i > 300) throw new Error(`the watcher did not pick up the rename: ${serveLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const t0 = await started();
  await page.locator('[data-testid=duplicates-run]').click();
  await searchDone(t0);
  const after = await shownGroups();
  assert.ok(!after.some((g) => g.paths.includes(lily) || g.paths.includes(renamed)), `still dismissed after the rename: ${JSON.stringify(after)}`);
  await decision.waitFor();
  assert.equal(await decision.getAttribute('data-stale'), 'false', 'a rename keeps the content: the decision still applies');
  assert.deepEqual(((await decision.getAttribute('data-paths')) ?? '').split('\n').sort(), [lily, lilyMirrored, renamed].sort(), 'listed under the new name');
  await waitImages('[data-testid=decisions-panel] img');
  await shot('tiers-04-decisions');

  const t1 = await started();
  await decision.locator('[data-testid=decision-undo]').click();
  await searchDone(t1);
  const back = (await shownGroups()).find((g) => g.paths.includes(lily));
  assert.deepEqual(back?.paths, [lily, lilyMirrored, renamed].sort(), 'undone: the group is back, with the renamed copy');
  await page.locator('[data-testid=decisions-empty]').waitFor();
});

test('"Why?" on a Find similar result: the crop and its original side by side with heat cells on both and the top words', { timeout: 180_000 }, async () => {
  await page.locator('button.item', { hasText: 'All photos' }).click();
  const cell = page.locator(`[data-testid=photo][data-path="${rose}"]`);
  await cell.waitFor();
  await cell.click({ button: 'right' });
  await page.locator('[data-testid=menu-find-similar]').click();
  const result = page.locator(`[data-testid=similar-result][data-path="${roseCrop}"]`);
  await result.waitFor({ timeout: 60_000 });
  assert.equal(await page.locator(`[data-testid=similar-result][data-path="${rose}"] [data-testid=why-button]`).count(), 0, 'no "Why?" on the query itself');
  await result.hover();
  await result.locator('[data-testid=why-button]').click();
  const overlay = page.locator('[data-testid=why-overlay]');
  await overlay.waitFor();
  assert.deepEqual(await overlay.locator('[data-testid=why-pane]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path'))), [rose, roseCrop]);
  await page.waitForFunction(
    () => {
      const layers = Array.from(document.querySelectorAll('[data-testid=why-overlay] [data-testid=why-layer]'));
      return layers.length === 2 && layers.every((l) => Number(l.getAttribute('data-cells')) > 0);
    },
    undefined,
    { timeout: 60_000 },
  );
  await waitImages('[data-testid=why-overlay] img');
  // The heat lies on the part both photos show: on the original, the centre holds more of the
  // weight than the border that the crop cut away.
  const cells = await overlay
    .locator('[data-testid=why-pane]')
    .first()
    .locator('[data-testid=why-cell]')
    .evaluateAll((els) => els.map((e) => ({ left: parseFloat((e as HTMLElement).style.left), top: parseFloat((e as HTMLElement).style.top), w: Number(e.getAttribute('data-weight')) })));
  const inner = cells.filter((c) => c.left >= 14 && c.left < 85 && c.top >= 14 && c.top < 85).reduce((s, c) => s + c.w, 0);
  const total = cells.reduce((s, c) => s + c.w, 0);
  console.log(`e2e why: ${cells.length} cells on the original, ${((100 * inner) / total).toFixed(0)}% of the weight in the crop's window (about 49% of the surface)`);
  assert.ok(inner / total > 0.6, `the crop's window holds most of the weight: ${(inner / total).toFixed(2)}`);
  const words = await overlay.locator('[data-testid=why-word]').allTextContents();
  assert.ok(words.length > 0 && words.every((w) => /\d+\.\d%/.test(w)), `top words with their share: ${words.slice(0, 3).join(' | ')}`);
  assert.match((await overlay.locator('[data-testid=why-words]').textContent()) ?? '', /Score 0\.\d\d/);
  await overlay.locator('[data-testid=why-word]').first().click();
  await page.locator('[data-testid=why-overlay] .outline').first().waitFor();
  await shot('why-overlay');
  await page.keyboard.press('Escape');
  await overlay.waitFor({ state: 'detached' });
});

test('no page errors', async () => {
  assert.doesNotMatch(serveLog, /\[page error\]/, serveLog);
});
