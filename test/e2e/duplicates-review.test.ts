/// <reference lib="dom" />
// Reviewing duplicates as a person does with hundreds of them (issue 19), end to end in a real
// browser: `photowords serve` on a temp database over a temp folder of real photos (a flowers17
// lily, a byte-for-byte copy of it under a long camera-style name and a resized copy; a caltech101
// airplane and its byte copy; a flowers17 rose and a same-size JPEG re-save named like an edit of
// it; unrelated caltech101 photos), Debian's chromium driven by playwright-core, the trash an XDG
// trash under a temp XDG_DATA_HOME. The path: the header's buttons stay in place while a search runs; trashing the
// resized lily leaves a group of two same-byte copies titled so; the keyboard review (J/K, arrows,
// Enter keep this one, N not duplicates, visible hints); nothing cut off at 1024 x 700 (header
// well under 310 px), at 390 x 844, 360 x 740, 3840 x 2160 and in Compare; "Trash all but the keeper" for one group and the
// selected groups (cancelled), then for all groups with ONE confirmation stating the count and the
// bytes: the files are in the trash byte for byte, the keepers where they were; then Restore all
// from the Trash view puts them back. Screenshots: test-results/screenshots/ui19-D-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, imagesLoaded, INDEX_TIMEOUT_MS, launchPage, libraryIndexed, screenshot, spawnServe, stopServe } from './kit.js';

const DATA = path.resolve('../shared/datasets');
const UNRELATED = ['Leopards', 'Motorbikes', 'chair'];
/** The lily and its two copies, the airplane pair, the rose pair, the unrelated photos. */
const N = 3 + 2 + 2 + UNRELATED.length;

let tmp: string;
let photos: string;
let xdg: string;
let serve: ChildProcess;
let serveLog = '';
let url: string;
let browser: Browser;
let page: Page;
let lily: string;
let lilyCopy: string;
let lilySmall: string;
let plane: string;
let planeCopy: string;
let rose: string;
let roseResaved: string;
const sums = new Map<string, string>();

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function jpegs(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

const shot = (name: string) => screenshot(page, `ui19-D-${name}`);

/** The search started after `since` (the view's data-started, ms) is done. */
async function searchDone(since = 0): Promise<void> {
  await page.waitForFunction(
    (t) => {
      const v = document.querySelector('[data-testid=duplicates-view]');
      return v?.getAttribute('data-state') === 'done' && Number(v.getAttribute('data-started')) > t;
    },
    since,
    { timeout: 180_000 },
  );
}

const groupOf = (p: string) => page.locator('[data-testid=duplicate-group]').filter({ has: page.locator(`[data-testid=duplicate-member][data-path="${p}"]`) });
const groupPaths = async () => page.locator('[data-testid=duplicate-group]').evaluateAll((els) => els.map((e) => (e.getAttribute('data-paths') ?? '').split('\n').sort()));
const libraryPhotos = async () => Number(await page.locator('[data-testid=index-status]').getAttribute('data-library-photos'));

/**
 * Everything shown under `root` that leaves the viewport sideways or whose content is wider than
 * its box (text cut off or spilling out), skipping what scrolls by design. Each entry says what.
 */
async function cutOff(root: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const bad: string[] = [];
    const vw = document.documentElement.clientWidth;
    const r0 = document.querySelector(sel);
    if (!r0) return [`${sel} not found`];
    for (const el of [r0, ...Array.from(r0.querySelectorAll('*'))] as HTMLElement[]) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || el.closest('.sr-only')) continue;
      const what = `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''}.${el.className} "${(el.textContent ?? '').trim().slice(0, 40)}"`;
      if (r.left < -1 || r.right > vw + 1) bad.push(`${what} leaves the viewport: ${Math.round(r.left)}..${Math.round(r.right)} of ${vw}`);
      const scrolls = cs.overflowX === 'auto' || cs.overflowX === 'scroll';
      if (!scrolls && el.tagName !== 'INPUT' && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) bad.push(`${what} overflows its box: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    return bad;
  }, root);
}

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:web)');
  assert.ok(fs.existsSync(CHROMIUM), `chromium at ${CHROMIUM} (scripts/test.sh installs Debian's)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-review-'));
  photos = path.join(tmp, 'photos');
  xdg = path.join(tmp, 'xdg-data');
  for (const d of ['flowers', 'phone backup', 'travel', 'garden']) fs.mkdirSync(path.join(photos, d), { recursive: true });
  lily = path.join(photos, 'flowers', 'lily.jpg');
  fs.copyFileSync(jpegs(path.join(DATA, 'flowers17', 'c07'))[11], lily);
  // A long name of the kind phones write, which Compare used to cut to "IMG_2024…".
  lilyCopy = path.join(photos, 'phone backup', 'IMG_20240512_183045_lily (copy from the old phone backup).jpg');
  fs.copyFileSync(lily, lilyCopy);
  lilySmall = path.join(photos, 'phone backup', 'lily-small.jpg');
  const { width = 0 } = await sharp(lily).metadata();
  await sharp(lily)
    .resize(Math.round(width * 0.6))
    .jpeg({ quality: 72 })
    .toFile(lilySmall);
  plane = path.join(photos, 'travel', 'airplane.jpg');
  planeCopy = path.join(photos, 'travel', 'airplane copy.jpg');
  fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', 'airplanes'))[5], plane);
  fs.copyFileSync(plane, planeCopy);
  rose = path.join(photos, 'garden', 'rose.jpg');
  // Named like an edit of the rose: "Trash all but the keeper" says so before it goes.
  roseResaved = path.join(photos, 'garden', 'rose-edited.jpg');
  fs.copyFileSync(jpegs(path.join(DATA, 'flowers17', 'c03'))[5], rose);
  await sharp(rose).jpeg({ quality: 60 }).toFile(roseResaved);
  for (const c of UNRELATED) fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', c))[2], path.join(photos, 'travel', `${c.toLowerCase()}.jpg`));
  for (const f of [lily, lilyCopy, lilySmall, plane, planeCopy, rose, roseResaved]) sums.set(f, sha(f));

  const s = spawnServe([photos, '--db', path.join(tmp, 'library.db')], {
    env: { ...process.env, XDG_DATA_HOME: xdg, PHOTOWORDS_OPENER: '/bin/true' },
    onLog: (d) => (serveLog += d),
    log: () => serveLog,
  });
  serve = s.child;
  url = await s.url;
  ({ browser, page } = await launchPage((m) => (serveLog += `\n[page error] ${m}`), { acceptDownloads: true }));
  // tsx names the functions it compiles with a __name helper that only Node has.
  await page.addInitScript('window.__name = (f) => f');
  // Counts every confirmation dialog that opens, to show "one confirmation" for hundreds of photos.
  await page.addInitScript(`
    window.__dialogs = [];
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        for (const d of [n, ...n.querySelectorAll('[role=alertdialog]')]) if (d.getAttribute && d.getAttribute('role') === 'alertdialog') window.__dialogs.push(d.getAttribute('data-testid'));
      }
    }).observe(document, { childList: true, subtree: true });
  `);
});

after(async () => {
  await browser?.close();
  await stopServe(serve);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('duplicates review: one confirmation for all groups, the keyboard flow, nothing cut off, then Restore all', { timeout: INDEX_TIMEOUT_MS + 600_000 }, async () => {
  await page.goto(url);
  await libraryIndexed(page, N);
  await page.locator('[data-testid=nav-duplicates]').click();
  await page.locator('[data-testid=duplicates-view]').waitFor();
  await searchDone();

  const found = await groupPaths();
  console.log(`e2e review: ${found.length} groups: ${found.map((g) => `[${g.map((p) => path.basename(p)).join(', ')}]`).join('; ')}`);
  assert.deepEqual(
    found.map((g) => g.join('|')).sort(),
    [
      [lily, lilyCopy, lilySmall],
      [plane, planeCopy],
      [rose, roseResaved],
    ]
      .map((g) => g.sort().join('|'))
      .sort(),
    'three groups: the lilies, the airplanes, the roses',
  );
  assert.equal(await groupOf(lily).getAttribute('data-tier'), 'near');
  assert.match((await groupOf(lily).locator('[data-testid=group-title]').textContent()) ?? '', /near copies · 3 photos/);
  await imagesLoaded(page, '[data-testid=duplicates-view] .groups img');
  await shot('01-groups-1400x900');

  // The rose's re-save is named like an edit of it: the group's one confirmation says it goes too.
  assert.equal(await groupOf(rose).locator('[data-testid=duplicate-member][data-keep=true]').getAttribute('data-path'), rose, 'the larger file is the suggested keeper');
  await groupOf(rose).locator('[data-testid=group-keeper-trash]').click();
  const roseDialog = page.locator('[data-testid=keeper-trash-dialog]');
  await roseDialog.waitFor();
  assert.equal(await roseDialog.getAttribute('data-count'), '1');
  assert.match((await roseDialog.locator('[data-testid=keeper-trash-edits]').textContent()) ?? '', /rose-edited\.jpg is named like an edited copy/);
  await roseDialog.locator('[data-testid=keeper-trash-cancel]').click();
  await roseDialog.waitFor({ state: 'detached' });

  // ---- the header's buttons keep their place while a search runs and after it ----------------
  const places = () =>
    page
      .locator('[data-testid=duplicates-head-actions] button')
      .evaluateAll((els) => els.map((e) => `${e.textContent?.trim()}@${Math.round(e.getBoundingClientRect().left)},${Math.round(e.getBoundingClientRect().top)}`));
  const done = await places();
  // A repeated search may answer within a frame, so the places are taken in the page at each change of state.
  await page.evaluate(() => {
    const w = window as unknown as { __places: string[][] };
    w.__places = [];
    const view = document.querySelector('[data-testid=duplicates-view]')!;
    new MutationObserver(() => {
      w.__places.push([
        view.getAttribute('data-state')!,
        ...Array.from(document.querySelectorAll('[data-testid=duplicates-head-actions] button')).map(
          (e) => `${e.textContent?.trim()}@${Math.round(e.getBoundingClientRect().left)},${Math.round(e.getBoundingClientRect().top)}`,
        ),
      ]);
    }).observe(view, { attributes: true, attributeFilter: ['data-state'] });
  });
  const t0 = Number(await page.locator('[data-testid=duplicates-view]').getAttribute('data-started'));
  await page.locator('[data-testid=duplicates-run]').click();
  await searchDone(t0);
  const seen = await page.evaluate(() => (window as unknown as { __places: string[][] }).__places);
  console.log(`e2e review: header buttons by state: ${JSON.stringify(seen)}`);
  assert.deepEqual(
    seen.map((s) => s[0]),
    ['loading', 'done'],
    'the search was seen running',
  );
  for (const [, ...at] of seen)
    assert.deepEqual(
      at.map((p) => p.replace(/ \(\d+\)/, '')),
      done.map((p) => p.replace(/ \(\d+\)/, '')),
      'the same buttons at the same places while searching and after',
    );
  assert.deepEqual(await places(), done, 'and after');

  // ---- a group left with two byte-identical copies says so ------------------------------------
  await groupOf(lily).locator(`[data-testid=duplicate-member][data-path="${lilySmall}"] [data-testid=member-trash]`).click();
  await page.locator('[data-testid=trash-dialog]').waitFor();
  await page.locator('[data-testid=trash-confirm]').click();
  await page.locator('[data-testid=trash-dialog]').waitFor({ state: 'detached' });
  await page.locator(`[data-testid=duplicate-member][data-path="${lilySmall}"]`).waitFor({ state: 'detached' });
  assert.ok(!fs.existsSync(lilySmall), 'the resized lily left its folder');
  assert.equal(await groupOf(lily).getAttribute('data-tier'), 'exact');
  assert.match((await groupOf(lily).locator('[data-testid=group-title]').textContent()) ?? '', /Same photo, same bytes · 2 photos/);
  assert.doesNotMatch((await groupOf(lily).locator('[data-testid=group-title]').textContent()) ?? '', /near copies/);

  // ---- the keyboard review ---------------------------------------------------------------------
  const keys = page.locator('[data-testid=duplicates-keys]');
  assert.ok(await keys.isVisible(), 'the keys are shown');
  assert.match((await keys.textContent()) ?? '', /J\/K group.*←\/→ photo.*Enter keep this one.*N not duplicates.*T trash all but the keeper/s);
  const groups = page.locator('[data-testid=duplicate-group]');
  const focusedKey = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.closest('[data-testid=duplicate-group]')?.getAttribute('data-key') ?? null);
  const keyAt = async (i: number) => groups.nth(i).getAttribute('data-key');
  // One tab stop: the group last worked in (the lily's, whose photo went to the trash).
  assert.deepEqual(await groups.evaluateAll((els) => els.map((e) => e.getAttribute('tabindex')).sort()), ['-1', '-1', '0'], 'the groups are one tab stop');
  assert.equal(await groupOf(lily).getAttribute('tabindex'), '0');
  await groups.first().focus();
  assert.equal(await focusedKey(), await keyAt(0));
  await page.keyboard.press('j');
  assert.equal(await focusedKey(), await keyAt(1), 'J: the next group has the focus');
  assert.equal(await groups.nth(1).getAttribute('data-cursor'), 'true');
  await page.keyboard.press('ArrowDown');
  assert.equal(await focusedKey(), await keyAt(2), 'Down: the one after');
  await page.keyboard.press('k');
  await page.keyboard.press('ArrowUp');
  assert.equal(await focusedKey(), await keyAt(0), 'K and Up: back to the first');
  // The rose group: the cursor starts on the photo that is not the keeper; Enter keeps it.
  const roseKey = await groupOf(rose).getAttribute('data-key');
  const roseIndex = (await groups.evaluateAll((els) => els.map((e) => e.getAttribute('data-key')))).indexOf(roseKey);
  for (let i = 0; i < roseIndex; i++) await page.keyboard.press('j');
  assert.equal(await focusedKey(), roseKey);
  const roseKeeper = await groupOf(rose).locator('[data-testid=duplicate-member][data-keep=true]').getAttribute('data-path');
  const roseOther = roseKeeper === rose ? roseResaved : rose;
  assert.equal(await groupOf(rose).locator('[data-testid=duplicate-member][data-current=true]').getAttribute('data-path'), roseOther);
  const hint = groupOf(rose).locator('[data-testid=member-cursor-hint]');
  assert.ok(await hint.isVisible(), 'the photo under the cursor says what Enter does');
  assert.match((await hint.textContent()) ?? '', /Enter keep this one/);
  await page.keyboard.press('ArrowRight');
  assert.equal(await groupOf(rose).locator('[data-testid=duplicate-member][data-current=true]').getAttribute('data-path'), roseKeeper, 'Right: the next photo');
  await page.keyboard.press('ArrowLeft');
  await shot('02-keyboard-cursor');
  await page.keyboard.press('Enter');
  await page.waitForFunction((p) => document.querySelector(`[data-testid=duplicate-member][data-path="${p}"]`)?.getAttribute('data-keep') === 'true', roseOther);
  assert.match((await page.locator('[data-testid=duplicates-notice]').textContent()) ?? '', /is the copy to keep/);
  assert.equal(await groupOf(rose).locator(`[data-testid=duplicate-member][data-path="${roseOther}"] [data-testid=keeper-badge]`).textContent(), 'Keeper, your choice');
  assert.doesNotMatch(
    (await groupOf(rose).locator(`[data-testid=duplicate-member][data-path="${roseKeeper}"]`).textContent()) ?? '',
    /Same bytes/,
    'the old keeper is not the same bytes as the new one',
  );
  // A review steps on after "keep this one".
  if (roseIndex + 1 < (await groups.count())) assert.equal(await focusedKey(), await keyAt(roseIndex + 1), 'Enter: on to the next group');
  // N on the rose group: not duplicates, the group leaves; Undo under Decisions brings it back.
  // (Keys wait while a decision is being stored, as the buttons do.)
  await page.waitForFunction((k) => !document.querySelector<HTMLButtonElement>(`[data-key="${k}"] [data-testid=group-not-duplicates]`)?.disabled, roseKey);
  await groupOf(rose).focus();
  await page.keyboard.press('n');
  await groupOf(rose).waitFor({ state: 'detached' });
  assert.match((await page.locator('[data-testid=duplicates-notice]').textContent()) ?? '', /marked as not duplicates/);
  // The view moves focus on the tick after the group leaves the list: wait for that tick, not longer.
  await page.waitForFunction(() => document.activeElement?.closest('[data-testid=duplicate-group]') != null, null, { timeout: 5000 }).catch(() => undefined);
  assert.ok((await focusedKey()) !== null, 'the keyboard stays on the groups');
  await page.locator('[data-testid=decisions-toggle]').click();
  const notDup = page.locator('[data-testid=decision][data-kind=not-duplicates]');
  await notDup.waitFor();
  await notDup.locator('[data-testid=decision-undo]').click();
  await groupOf(rose).waitFor();
  assert.equal(await groupOf(rose).locator('[data-testid=duplicate-member][data-keep=true]').getAttribute('data-path'), roseOther, 'back with the keeper chosen by Enter');
  await page.locator('[data-testid=decisions-toggle]').click();
  await page.locator('[data-testid=decisions-panel]').waitFor({ state: 'detached' });

  // ---- nothing cut off: 1024 x 700 (the header much shorter than 310 px), Compare, 390 x 844 ---
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.waitForTimeout(300);
  const header = await page.locator('[data-testid=duplicates-view] > header.head').evaluate((e) => Math.round(e.getBoundingClientRect().height));
  console.log(`e2e review: Duplicates header at 1024 x 700: ${header} px`);
  assert.ok(header <= 200, `the header takes ${header} px at 1024 x 700 (was 310)`);
  assert.deepEqual(await cutOff('[data-testid=duplicates-view]'), [], 'nothing cut off at 1024 x 700');
  await shot('03-1024x700');

  await groupOf(lily).locator('[data-testid=group-compare]').click();
  const overlay = page.locator('[data-testid=compare-overlay]');
  await overlay.waitFor();
  await imagesLoaded(page, '[data-testid=compare-overlay] img');
  const names = await overlay.locator('[data-testid=member-name]').evaluateAll((els) => els.map((e) => ({ text: e.textContent, cut: e.scrollWidth > e.clientWidth + 1 })));
  assert.deepEqual(names.map((n) => n.text).sort(), [path.basename(lily), path.basename(lilyCopy)].sort());
  assert.ok(
    names.every((n) => !n.cut),
    'both names whole in Compare',
  );
  const dates = await overlay.locator('[data-testid=member-date]').evaluateAll((els) => els.map((e) => ({ text: (e.textContent ?? '').trim(), cut: e.scrollWidth > e.clientWidth + 1 })));
  assert.ok(
    dates.every((d) => /^(taken|modified) \d{4}-\d\d-\d\d \d\d:\d\d$/.test(d.text) && !d.cut),
    `dates whole: ${JSON.stringify(dates)}`,
  );
  assert.deepEqual(await cutOff('[data-testid=compare-overlay] .pair-overlay-bar'), []);
  assert.deepEqual(await cutOff('[data-testid=compare-overlay] .below'), [], 'nothing cut off under the photos');
  await shot('04-compare-1024x700');
  await overlay.locator('[data-testid=compare-close]').click();
  await overlay.waitFor({ state: 'detached' });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  // A small screen may keep the sidebar as a drawer; the view itself must fit whatever width it has.
  const phone = await cutOff('[data-testid=duplicates-view]');
  await shot('05-390x844');
  assert.deepEqual(phone, [], 'nothing cut off at 390 x 844');
  for (const id of ['keeper-trash-all', 'duplicates-run', 'export-html', 'decisions-toggle']) {
    const box = await page.locator(`[data-testid=${id}]`).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${id} is on screen at 390 px: ${JSON.stringify(box)}`);
  }
  await groupOf(plane).locator('[data-testid=group-keeper-trash]').click();
  await page.locator('[data-testid=keeper-trash-dialog] details.files summary').click();
  assert.deepEqual(await cutOff('[data-testid=keeper-trash-dialog]'), [], 'the confirmation at 390 x 844: nothing cut off');
  await shot('05b-confirm-390x844');
  await page.locator('[data-testid=keeper-trash-cancel]').click();
  await page.locator('[data-testid=keeper-trash-dialog]').waitFor({ state: 'detached' });
  await groupOf(lily).locator('[data-testid=group-compare]').click();
  await overlay.waitFor();
  await imagesLoaded(page, '[data-testid=compare-overlay] img');
  assert.deepEqual(await cutOff('[data-testid=compare-overlay]'), [], 'Compare at 390 x 844: nothing cut off');
  await shot('06-compare-390x844');
  await overlay.locator('[data-testid=compare-close]').click();
  // The narrowest phone the app supports, and a 4K screen.
  for (const [width, height] of [
    [360, 740],
    [3840, 2160],
  ]) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(300);
    assert.deepEqual(await cutOff('[data-testid=duplicates-view]'), [], `nothing cut off at ${width} x ${height}`);
  }
  await shot('06b-3840x2160');
  await page.setViewportSize({ width: 1400, height: 900 });

  // ---- one group, the selected groups: one confirmation each, cancelled ------------------------
  await page.evaluate(() => ((window as unknown as { __dialogs: string[] }).__dialogs.length = 0));
  const sizeOf = (p: string) => fs.statSync(p).size;
  const keeperOf = async (p: string) => (await groupOf(p).locator('[data-testid=duplicate-member][data-keep=true]').getAttribute('data-path'))!;
  const planeKeeper = await keeperOf(plane);
  const planeOther = planeKeeper === plane ? planeCopy : plane;
  await groupOf(plane).locator('[data-testid=group-keeper-trash]').click();
  const bulk = page.locator('[data-testid=keeper-trash-dialog]');
  await bulk.waitFor();
  assert.equal(await bulk.getAttribute('data-count'), '1');
  assert.equal(Number(await bulk.getAttribute('data-bytes')), sizeOf(planeOther));
  assert.match((await bulk.locator('h2').textContent()) ?? '', /Move 1 photo to the trash\?/);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'keeper-trash-cancel', 'Cancel has the focus');
  await page.keyboard.press('Escape');
  await bulk.waitFor({ state: 'detached' });
  assert.ok(fs.existsSync(planeOther), 'cancelled: nothing moved');

  await groupOf(plane).locator('[data-testid=group-select]').check();
  await groupOf(rose).focus();
  await page.keyboard.press('x');
  assert.equal(await groupOf(rose).getAttribute('data-selected'), 'true', 'X selects the group');
  assert.match((await page.locator('[data-testid=keeper-trash-selected]').textContent()) ?? '', /Selected \(2\)/);
  await page.locator('[data-testid=keeper-trash-selected]').click();
  await bulk.waitFor();
  assert.equal(await bulk.getAttribute('data-count'), '2');
  assert.equal(await bulk.getAttribute('data-scope'), 'selected');
  await bulk.locator('[data-testid=keeper-trash-cancel]').click();
  await bulk.waitFor({ state: 'detached' });
  // Escape clears the selection; Ctrl+A on the groups selects them all, not the page's text.
  await groupOf(rose).focus();
  await page.keyboard.press('Escape');
  assert.deepEqual(await groups.evaluateAll((els) => els.map((e) => e.getAttribute('data-selected'))), ['false', 'false', 'false'], 'Escape: none selected');
  await page.keyboard.press('Control+a');
  assert.deepEqual(await groups.evaluateAll((els) => els.map((e) => e.getAttribute('data-selected'))), ['true', 'true', 'true'], 'Ctrl+A: every group');
  assert.equal(await page.evaluate(() => String(window.getSelection())), '', 'and no text selected');
  assert.match((await page.locator('[data-testid=keeper-trash-selected]').textContent()) ?? '', /Selected \(3\)/);
  await page.keyboard.press('Escape');

  // ---- all groups: ONE confirmation with the count and the bytes -------------------------------
  const plan = await page.locator('[data-testid=duplicate-member][data-keep=false]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')!));
  const keepers = await page.locator('[data-testid=duplicate-member][data-keep=true]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')!));
  assert.deepEqual(plan.slice().sort(), [lily === (await keeperOf(lily)) ? lilyCopy : lily, planeOther, roseOther === rose ? roseResaved : rose].sort());
  const planBytes = plan.reduce((s, p) => s + sizeOf(p), 0);
  await page.evaluate(() => ((window as unknown as { __dialogs: string[] }).__dialogs.length = 0));
  await page.locator('[data-testid=keeper-trash-all]').click();
  await bulk.waitFor();
  assert.equal(await bulk.getAttribute('data-count'), String(plan.length));
  assert.equal(Number(await bulk.getAttribute('data-bytes')), planBytes);
  const sum = (await bulk.locator('[data-testid=keeper-trash-sum]').textContent()) ?? '';
  assert.match(sum, new RegExp(`${plan.length} photos from all 3 groups, \\d+ KB freed once the trash is emptied`));
  console.log(`e2e review: the one confirmation says: ${sum.trim()}`);
  await bulk.locator('details.files summary').click();
  await shot('07-trash-all-but-keepers-confirm');
  assert.ok(
    plan.every((p) => fs.existsSync(p)),
    'asking moves nothing',
  );
  await bulk.locator('[data-testid=keeper-trash-confirm]').click();
  await bulk.waitFor({ state: 'detached' });
  await page.locator('[data-testid=duplicates-empty]').waitFor();
  assert.match((await page.locator('[data-testid=duplicates-empty]').textContent()) ?? '', /No duplicates left/);
  assert.match((await page.locator('[data-testid=duplicates-notice]').textContent()) ?? '', new RegExp(`${plan.length} photos \\(\\d+ KB\\) moved to the trash`));
  assert.deepEqual(await page.evaluate(() => (window as unknown as { __dialogs: string[] }).__dialogs), ['keeper-trash-dialog'], 'one confirmation for every group');
  for (const p of plan) assert.ok(!fs.existsSync(p), `${path.basename(p)} left its folder`);
  for (const p of keepers) assert.ok(fs.existsSync(p), `the keeper ${path.basename(p)} stays`);
  const trashDir = path.join(xdg, 'Trash', 'files');
  const inTrash = fs
    .readdirSync(trashDir)
    .map((f) => sha(path.join(trashDir, f)))
    .sort();
  assert.deepEqual(inTrash, [lilySmall, ...plan].map((p) => sums.get(p)!).sort(), 'the four photos are in the XDG trash, byte for byte');
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=index-status]')?.getAttribute('data-library-photos')) === n, N - 1 - plan.length);
  await shot('08-after-trash-all');

  // ---- Restore all from the Trash view ---------------------------------------------------------
  await page.locator('[data-testid=nav-trash]').click();
  const trashView = page.locator('[data-testid=trash-view]');
  await trashView.waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=trash-view] [data-testid=trashed]').length === n, plan.length + 1, { timeout: 30_000 });
  assert.deepEqual(
    (await trashView.locator('[data-testid=trashed]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))).sort(),
    [lilySmall, ...plan].sort(),
    'the Trash view lists the four photos where they were',
  );
  await shot('09-trash-view');
  await trashView.locator('[data-testid=trash-restore-all]').click();
  await trashView.locator('[data-testid=trash-empty]').waitFor({ timeout: 60_000 });
  console.log(`e2e review: Restore all said: ${(await trashView.locator('[data-testid=trash-outcome]').textContent())?.trim()}`);
  for (const p of [lilySmall, ...plan]) {
    assert.ok(fs.existsSync(p), `${path.basename(p)} is back where it was`);
    assert.equal(sha(p), sums.get(p), `${path.basename(p)} byte for byte`);
  }
  assert.deepEqual(fs.readdirSync(trashDir), [], 'the trash is empty again');
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=index-status]')?.getAttribute('data-library-photos')) === n, N, { timeout: INDEX_TIMEOUT_MS, polling: 500 });
  assert.equal(await libraryPhotos(), N);
  await shot('10-restored');

  // Duplicates says its groups are out of date, and finds them again.
  await page.locator('[data-testid=nav-duplicates]').click();
  assert.match((await page.locator('[data-testid=duplicates-stale]').textContent()) ?? '', new RegExp(`${plan.length + 1} photos have come into the library since these groups were found`));
  const t1 = Number(await page.locator('[data-testid=duplicates-view]').getAttribute('data-started'));
  await page.locator('[data-testid=duplicates-run]').click();
  await searchDone(t1);
  assert.equal((await groupPaths()).length, 3, 'the three groups are back');

  // 1920 x 1080 in the dark palette: nothing cut off, the cursor and a selected group still told apart.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 1920, height: 1080 });
  await groups.first().focus();
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  await imagesLoaded(page, '[data-testid=duplicates-view] .groups img');
  assert.deepEqual(await cutOff('[data-testid=duplicates-view]'), [], 'nothing cut off at 1920 x 1080');
  const [bg, text] = await page.evaluate(() => {
    const cs = getComputedStyle(document.querySelector('[data-testid=duplicates-view] .group')!);
    return [cs.backgroundColor, cs.color];
  });
  console.log(`e2e review: a group in the dark palette: background ${bg}, text ${text}`);
  await shot('11-dark-1920x1080');
});

test('the review reports no page errors', () => {
  assert.doesNotMatch(serveLog, /\[page error\]/, serveLog);
});
