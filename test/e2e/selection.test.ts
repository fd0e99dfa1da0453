/// <reference lib="dom" />
// Selection and bulk actions end to end in a real browser (issue 19): `photowords serve` on a
// temp database over a temp folder of real photos (flowers17 lilies, caltech101 objects), with
// an XDG trash under a temp XDG_DATA_HOME and a stub opener for "Show in folder", Debian's
// chromium driven by playwright-core. A person's path: Ctrl+A selects photos and not the page's
// text, Escape clears; a click opens the preview only while nothing is selected; Ctrl-click
// toggles, Shift-click adds a range and opens nothing; a drag draws a rectangle; the bar finds
// similar from several photos, shows them in their folder, exports one file and a zip; "Move to
// trash" asks once with the count and the bytes, and the files really go to the XDG trash; the
// Trash view lists them and Restore / Restore all put the same bytes back, which the library
// reads again. Screenshots: test-results/screenshots/ui19-C-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, imagesLoaded, INDEX_TIMEOUT_MS, launchPage, libraryIndexed, screenshot, spawnServe, stopServe } from './kit.js';

const DATA = path.resolve('../shared/datasets');
const OBJECTS = ['Leopards', 'Motorbikes', 'watch', 'chair', 'airplanes', 'butterfly', 'camera', 'sunflower'];

let tmp: string;
let photos: string;
let xdg: string;
let revealed: string;
let serve: ChildProcess;
let serveLog = '';
let url: string;
let browser: Browser;
let page: Page;
const lilies: string[] = [];
const all: string[] = [];
/** The library's photos in the grid's order (newest first by default), read from the page. */
let order: string[] = [];

const sha = (b: Buffer | string) =>
  crypto
    .createHash('sha256')
    .update(typeof b === 'string' ? fs.readFileSync(b) : b)
    .digest('hex');
const jpegs = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
const shot = (name: string) => screenshot(page, `ui19-C-${name}`);
const trashDir = () => path.join(xdg, 'Trash', 'files');
const inTrash = () =>
  fs.existsSync(trashDir())
    ? fs
        .readdirSync(trashDir())
        .map((f) => sha(path.join(trashDir(), f)))
        .sort()
    : [];

async function barCount(n: number): Promise<void> {
  try {
    await page.waitForFunction((want) => document.querySelector('[data-testid=selection-bar]')?.getAttribute('data-count') === String(want), n, { timeout: 15_000 });
  } catch {
    assert.fail(
      `the bar should say ${n} selected; it says ${await page
        .locator('[data-testid=selection-bar]')
        .getAttribute('data-count')
        .catch(() => 'nothing')}`,
    );
  }
}

/** The selection as the page shows it: the bar's count, the cells marked selected. */
async function selected(): Promise<{ count: number; paths: string[] }> {
  const count = Number(
    (await page
      .locator('[data-testid=selection-bar]')
      .getAttribute('data-count')
      .catch(() => null)) ?? 0,
  );
  const paths = await page.locator('[data-testid=photo][data-selected=true]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')!).sort());
  return { count, paths };
}

const cell = (p: string) => page.locator(`[data-testid=photo][data-path="${p}"]`);

/** The entries of a zip (stored, as ours are), read from its central directory: name -> bytes, CRC checked. */
function readZip(buf: Buffer): Map<string, Buffer> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'an end of central directory record');
  const n = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < n; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    assert.equal(method, 0, 'stored');
    assert.equal(buf.readUInt32LE(local), 0x04034b50);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    assert.equal(zlib.crc32(data) >>> 0, crc, `${name}: CRC`);
    out.set(name, data);
    at += 46 + nameLen + extra + comment;
  }
  return out;
}

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:web)');
  assert.ok(fs.existsSync(CHROMIUM), `chromium at ${CHROMIUM}`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-selection-'));
  photos = path.join(tmp, 'photos');
  xdg = path.join(tmp, 'xdg-data');
  revealed = path.join(tmp, 'revealed.txt');
  fs.writeFileSync(path.join(tmp, 'opener.sh'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${revealed}'\n`, { mode: 0o755 });
  fs.mkdirSync(path.join(photos, 'lilies'), { recursive: true });
  for (const [i, src] of jpegs(path.join(DATA, 'flowers17', 'c07'))
    .slice(0, 3)
    .entries()) {
    const p = path.join(photos, 'lilies', `lily ${i + 1}.jpg`);
    fs.copyFileSync(src, p);
    lilies.push(p);
  }
  all.push(...lilies);
  for (const c of OBJECTS) {
    const p = path.join(photos, `${c.toLowerCase()}.jpg`);
    fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', c))[3], p);
    all.push(p);
  }
  all.sort();
  const s = spawnServe([photos, '--db', path.join(tmp, 'library.db')], {
    env: { ...process.env, XDG_DATA_HOME: xdg, PHOTOWORDS_OPENER: path.join(tmp, 'opener.sh') },
    onLog: (d) => (serveLog += d),
    log: () => serveLog,
  });
  serve = s.child;
  url = await s.url;
  ({ browser, page } = await launchPage((m) => (serveLog += `\n[page error] ${m}`), { acceptDownloads: true }));
  await page.addInitScript('window.__name = (f) => f');
});

after(async () => {
  await browser?.close();
  await stopServe(serve);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('selecting: Ctrl+A takes the photos (not the text), Escape clears, click opens only while nothing is selected, Ctrl/Shift-click, drag', { timeout: INDEX_TIMEOUT_MS + 120_000 }, async () => {
  await page.goto(url);
  await libraryIndexed(page, all.length);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=photo]').length === n, all.length);
  await imagesLoaded(page, '[data-testid=photo] img');
  order = await page
    .locator('[data-testid=photo]')
    .evaluateAll((els) => els.sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index'))).map((e) => e.getAttribute('data-path')!));
  assert.deepEqual([...order].sort(), all);

  // Ctrl+A with nothing focused: every photo, and no text of the page.
  await page.locator('h1').first().click();
  await page.keyboard.press('Control+a');
  await barCount(all.length);
  assert.equal(await page.evaluate(() => window.getSelection()?.toString() ?? ''), '', 'no page text selected');
  assert.deepEqual((await selected()).paths, all);
  assert.match((await page.locator('[data-testid=selection-count]').textContent()) ?? '', new RegExp(`${all.length} photos selected · [\\d.]+ (KB|MB)`));
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=selection-bar]').waitFor({ state: 'detached' });

  // Nothing selected: a click opens the preview, as before.
  await cell(order[0]).click();
  await page.locator('[data-testid=preview]').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });

  // Ctrl-click selects without opening; Shift-click adds the range from it and opens nothing.
  await cell(order[1]).click({ modifiers: ['Control'] });
  assert.deepEqual((await selected()).paths, [order[1]]);
  await cell(order[4]).click({ modifiers: ['Shift'] });
  await barCount(4);
  assert.deepEqual((await selected()).paths, order.slice(1, 5).sort());
  assert.equal(await page.locator('[data-testid=preview]').count(), 0, 'Shift-click opened no preview');
  assert.equal(await page.evaluate(() => window.getSelection()?.toString() ?? ''), '', 'Shift-click selected no text');
  // While something is selected a plain click toggles.
  await cell(order[2]).click();
  assert.deepEqual((await selected()).paths, [order[1], order[3], order[4]].sort());
  assert.equal(await page.locator('[data-testid=preview]').count(), 0);
  await shot('selection');
  // Escape from inside the grid clears too.
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=selection-bar]').waitFor({ state: 'detached' });

  // A drag from the gap above the first row across the first two rows' first cells.
  const boxes = await page.locator('[data-testid=photo]').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { path: e.getAttribute('data-path')!, x: r.left, y: r.top, w: r.width, h: r.height };
    }),
  );
  const first = boxes[0];
  const cols = boxes.filter((b) => Math.abs(b.y - first.y) < 1).length;
  assert.ok(cols >= 3 && boxes.length > cols, `${cols} columns`);
  const from = { x: first.x + 4, y: first.y - 6 };
  const to = { x: boxes[1].x + boxes[1].w / 2, y: boxes[cols].y + boxes[cols].h / 2 };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 6 });
  await page.locator('[data-testid=select-band]').waitFor();
  await shot('drag');
  await page.mouse.up();
  await page.locator('[data-testid=select-band]').waitFor({ state: 'detached' });
  const covered = boxes
    .filter((b) => b.x < to.x && b.x + b.w > from.x && b.y < to.y && b.y + b.h > from.y)
    .map((b) => b.path)
    .sort();
  assert.equal(covered.length, 4, 'two cells in each of two rows');
  assert.deepEqual((await selected()).paths, covered);
  assert.equal(await page.locator('[data-testid=preview]').count(), 0, 'the drag opened nothing');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=selection-bar]').waitFor({ state: 'detached' });

  // The keyboard alone: Space selects the focused photo, Shift+Space adds the range to it.
  await page.locator('[role=grid]').focus();
  await page.keyboard.press('Home'); // the first photo gets the focus
  await page.keyboard.press('Space');
  assert.deepEqual((await selected()).paths, [order[0]]);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+Space');
  await barCount(3);
  assert.deepEqual((await selected()).paths, order.slice(0, 3).sort());
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=selection-bar]').waitFor({ state: 'detached' });
});

test('the bar: find similar from several photos, show in folder, export one photo and a zip', { timeout: 120_000 }, async () => {
  // Two lilies: the third comes first among photos like both.
  await cell(lilies[0]).click({ modifiers: ['Control'] });
  await cell(lilies[1]).click({ modifiers: ['Control'] });
  await page.locator('[data-testid=selection-similar]').click();
  const view = page.locator('[data-testid=similar-view]');
  await view.waitFor();
  await page.locator('[data-testid=similar-result]').first().waitFor();
  assert.equal(await page.locator('[data-testid=similar-query]').getAttribute('data-name'), '2 photos');
  const results = await page.locator('[data-testid=similar-result]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
  assert.equal(results[0], lilies[2], `the other lily first: ${results.map((p) => path.basename(p!)).join(', ')}`);
  assert.ok(!results.includes(lilies[0]) && !results.includes(lilies[1]), 'the chosen photos are not among the results');
  await imagesLoaded(page, '[data-testid=similar-view] img');
  await shot('similar-many');
  await page.locator('[data-testid=back]').click();
  await page.locator('[data-testid=photo]').first().waitFor();

  // Show in folder: the desktop's opener (a script here) gets the photo's folder.
  await page.keyboard.press('Escape');
  await cell(lilies[0]).locator('[data-testid=select-check]').click();
  await page.locator('[data-testid=selection-reveal]').click();
  for (let i = 0; i < 50 && !fs.existsSync(revealed); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(fs.readFileSync(revealed, 'utf8').trim(), path.dirname(lilies[0]));

  // Export one photo: the file itself, under its own name.
  const [one] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=selection-export]').click()]);
  assert.equal(one.suggestedFilename(), 'lily 1.jpg');
  const onePath = path.join(tmp, 'one.jpg');
  await one.saveAs(onePath);
  assert.equal(sha(onePath), sha(lilies[0]), 'the photo as it is');

  // Export three: one zip, streamed, each photo byte for byte.
  await cell(all[0]).click({ modifiers: ['Control'] });
  await cell(all[1]).click({ modifiers: ['Control'] });
  const chosen = [lilies[0], all[0], all[1]];
  const [zip] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=selection-export]').click()]);
  assert.match(zip.suggestedFilename(), /^photowords-export-\d{4}-\d\d-\d\d\.zip$/);
  const zipPath = path.join(tmp, 'export.zip');
  await zip.saveAs(zipPath);
  const entries = readZip(fs.readFileSync(zipPath));
  assert.deepEqual([...entries.keys()].sort(), chosen.map((p) => path.basename(p)).sort());
  for (const p of chosen) assert.equal(sha(entries.get(path.basename(p))!), sha(p), `${path.basename(p)} byte for byte`);
  console.log(`e2e selection: export zip of ${entries.size} photos, ${fs.statSync(zipPath).size} bytes`);
  assert.match((await page.locator('[data-testid=selection-note]').textContent()) ?? '', /Downloading photowords-export-.*\.zip/);
  await page.keyboard.press('Escape');
  await barCount(0);
  // What went well makes room after a while.
  await page.locator('[data-testid=selection-bar]').waitFor({ state: 'detached', timeout: 15_000 });
});

test('bulk trash with one confirmation (count and bytes), the XDG trash, the Trash view, Restore and Restore all', { timeout: INDEX_TIMEOUT_MS + 120_000 }, async () => {
  const chosen = [all[2], all[5], all[7]];
  const before = new Map(chosen.map((p) => [p, sha(p)]));
  const bytes = chosen.reduce((n, p) => n + fs.statSync(p).size, 0);
  for (const p of chosen) await cell(p).click({ modifiers: ['Control'] });
  assert.deepEqual((await selected()).paths, [...chosen].sort());

  // One confirmation: the count and the bytes; Cancel moves nothing.
  await page.locator('[data-testid=selection-trash]').click();
  const dialog = page.locator('[data-testid=bulk-trash-dialog]');
  await dialog.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=bulk-trash-dialog]')?.hasAttribute('data-bytes'));
  assert.equal(await dialog.getAttribute('data-count'), '3');
  assert.equal(Number(await dialog.getAttribute('data-bytes')), bytes, 'the bytes of the three files');
  assert.match((await dialog.textContent()) ?? '', /Move 3 photos to the trash\?/);
  assert.match((await page.locator('[data-testid=bulk-trash-size]').textContent()) ?? '', /KB in all|MB in all/);
  await shot('trash-confirm');
  await dialog.locator('[data-testid=bulk-trash-cancel]').click();
  await dialog.waitFor({ state: 'detached' });
  for (const p of chosen) assert.ok(fs.existsSync(p), 'cancelled: still there');

  await page.locator('[data-testid=selection-trash]').click();
  await dialog.locator('[data-testid=bulk-trash-confirm]').click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator('[data-testid=selection-note]').waitFor();
  assert.match((await page.locator('[data-testid=selection-note]').textContent()) ?? '', /3 photos \([\d.]+ (KB|MB)\) moved to the trash/);
  for (const p of chosen) assert.ok(!fs.existsSync(p), `${path.basename(p)} left its folder`);
  assert.deepEqual(inTrash(), [...before.values()].sort(), 'in the XDG trash, byte for byte');
  await libraryIndexed(page, all.length - 3);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=photo]').length === n, all.length - 3);
  assert.equal((await selected()).count, 0, 'the trashed photos left the selection');

  // The Trash view lists them, newest first.
  await page.locator('[data-testid=nav-trash]').click();
  const view = page.locator('[data-testid=trash-view]');
  await view.waitFor();
  await page.locator('[data-testid=trashed]').first().waitFor();
  const rows = await page.locator('[data-testid=trashed]').evaluateAll((els) => els.map((e) => ({ path: e.getAttribute('data-path')!, restorable: e.getAttribute('data-restorable') })));
  assert.deepEqual(rows.map((r) => r.path).sort(), [...chosen].sort());
  assert.ok(rows.every((r) => r.restorable === 'true'));
  assert.equal(await page.locator('[data-testid=trash-count]').getAttribute('data-count'), '3');
  await shot('trash-view');

  // Restore one: it is back with its bytes, and leaves the list.
  await page.locator(`[data-testid=trashed][data-path="${chosen[0]}"] [data-testid=trashed-restore]`).click();
  await page.locator(`[data-testid=trashed][data-path="${chosen[0]}"]`).waitFor({ state: 'detached' });
  assert.equal(sha(chosen[0]), before.get(chosen[0]));
  assert.match((await page.locator('[data-testid=trash-outcome]').textContent()) ?? '', /1 file put back where it was/);

  // Restore all: the rest.
  await page.locator('[data-testid=trash-restore-all]').click();
  await page.locator('[data-testid=trash-empty]').waitFor();
  for (const p of chosen) assert.equal(sha(p), before.get(p), `${path.basename(p)} is back, byte for byte`);
  assert.deepEqual(inTrash(), [], 'the trash holds none of them any more');
  assert.ok(!fs.readdirSync(path.join(xdg, 'Trash', 'info')).length, 'and no .trashinfo is left behind');
  await shot('trash-restored');

  // The library reads them again.
  await libraryIndexed(page, all.length);
  await page.locator('[data-testid=nav-all]').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=photo]').length === n, all.length);
  for (const p of chosen) assert.equal(await cell(p).count(), 1);
});

/** Elements under `root` that leave the viewport sideways, or whose text overflows their box. */
async function offenders(root: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll(`${sel}, ${sel} *`)) as HTMLElement[]) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const name = `${el.tagName.toLowerCase()}.${el.className}`.slice(0, 60) + ` "${(el.textContent ?? '').trim().slice(0, 30)}"`;
      if (r.left < -1 || r.right > window.innerWidth + 1) out.push(`${name} leaves the viewport (${Math.round(r.left)}..${Math.round(r.right)})`);
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'auto' && el.clientWidth > 0) out.push(`${name} overflows its box (${el.scrollWidth} > ${el.clientWidth})`);
    }
    return out;
  }, root);
}

test('on a phone (390 x 844) and in dark mode: the bar, the confirmation and the Trash view fit', { timeout: INDEX_TIMEOUT_MS + 60_000 }, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('[data-testid=photo]').first().waitFor();
  await page
    .locator('[data-testid=photo]')
    .first()
    .click({ modifiers: ['Control'] });
  await page
    .locator('[data-testid=photo]')
    .nth(1)
    .click({ modifiers: ['Control'] });
  await page.locator('[data-testid=selection-bar]').waitFor();
  assert.deepEqual(await offenders('[data-testid=selection-bar]'), []);
  await imagesLoaded(page, '[data-testid=photo] img');
  await shot('phone-selection');
  await page.locator('[data-testid=selection-trash]').click();
  await page.locator('[data-testid=bulk-trash-dialog]').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=bulk-trash-dialog]')?.hasAttribute('data-bytes'));
  assert.deepEqual(await offenders('[data-testid=bulk-trash-dialog]'), []);
  await shot('phone-trash-confirm');
  const gone = await page.locator('[data-testid=photo][data-selected=true]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')!));
  await page.locator('[data-testid=bulk-trash-confirm]').click();
  await page.locator('[data-testid=bulk-trash-dialog]').waitFor({ state: 'detached' });
  await libraryIndexed(page, all.length - 2);
  // The folders are a drawer here: its Trash entry.
  await page.locator('[data-testid=sidebar-toggle]').click();
  await page.locator('[data-testid=nav-trash]').click();
  await page.locator('[data-testid=trashed]').nth(1).waitFor();
  assert.deepEqual(await offenders('[data-testid=trash-view]'), []);
  await shot('phone-trash-view');

  // Dark mode, wide again: the Trash view and a selection.
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot('dark-trash-view');
  await page.locator('[data-testid=trash-restore-all]').click();
  await page.locator('[data-testid=trash-empty]').waitFor();
  for (const p of gone) assert.ok(fs.existsSync(p), `${path.basename(p)} is back`);
  await libraryIndexed(page, all.length);
  await page.locator('[data-testid=nav-all]').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=photo]').length === n, all.length);
  await cell(order[0]).click({ modifiers: ['Control'] });
  await cell(order[3]).click({ modifiers: ['Control'] });
  await imagesLoaded(page, '[data-testid=photo] img');
  await shot('dark-selection');
  await page.keyboard.press('Escape');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('no page errors', () => {
  assert.doesNotMatch(serveLog, /\[page error\]/, serveLog);
});
