/// <reference lib="dom" />
// The Duplicates view end to end in a real browser: `photowords serve` on a temp database over a
// temp folder of a few photos with known duplicates (a flowers17 photo and a resized,
// recompressed copy of it made with sharp; a caltech101 photo and a byte-for-byte copy; unrelated
// caltech101 photos), Debian's chromium driven by playwright-core. A person's path: open
// Duplicates from the sidebar, find the pair, compare it side by side, reveal the copy, move the
// copy to the trash (an XDG trash under a temp XDG_DATA_HOME) and see the library follow, export
// the HTML report as a download, and open that report. Screenshots go to test-results/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, imagesLoaded, INDEX_TIMEOUT_MS, launchPage, libraryIndexed, screenshot, SHOTS, spawnServe, stopServe } from './kit.js';

const DATA = path.resolve('../shared/datasets');
const UNRELATED = ['Leopards', 'Motorbikes', 'butterfly', 'watch', 'chair', 'sunflower', 'camera', 'lotus'];
/** The pair, the byte copies, the unrelated photos. */
const N = 2 + 2 + UNRELATED.length;

let tmp: string;
let photos: string;
let xdg: string;
let revealed: string;
let serve: ChildProcess;
let serveLog = '';
let url: string;
let browser: Browser;
let page: Page;
let original: string;
let copy: string;
let plane: string;
let planeCopy: string;

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function jpegs(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

async function startServe(db: string): Promise<string> {
  const s = spawnServe([photos, '--db', db], { env: { ...process.env, XDG_DATA_HOME: xdg, PHOTOWORDS_OPENER: path.join(tmp, 'opener.sh') }, onLog: (d) => (serveLog += d), log: () => serveLog });
  serve = s.child;
  return s.url;
}

const shot = (name: string) => screenshot(page, name);

const waitImages = (selector: string) => imagesLoaded(page, selector);

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:app)');
  assert.ok(fs.existsSync(CHROMIUM), `chromium at ${CHROMIUM} (scripts/test.sh installs Debian's)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-dups-'));
  photos = path.join(tmp, 'photos');
  xdg = path.join(tmp, 'xdg-data');
  revealed = path.join(tmp, 'revealed.txt');
  fs.writeFileSync(path.join(tmp, 'opener.sh'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${revealed}'\n`, { mode: 0o755 });
  for (const d of ['flowers', 'exports', 'travel']) fs.mkdirSync(path.join(photos, d), { recursive: true });
  const flower = jpegs(path.join(DATA, 'flowers17', 'c07'))[11];
  original = path.join(photos, 'flowers', 'lily.jpg');
  copy = path.join(photos, 'exports', 'lily-small.jpg');
  fs.copyFileSync(flower, original);
  const { width = 0 } = await sharp(flower).metadata();
  await sharp(flower)
    .resize(Math.round(width * 0.6))
    .jpeg({ quality: 72 })
    .toFile(copy);
  plane = path.join(photos, 'travel', 'airplane.jpg');
  planeCopy = path.join(photos, 'travel', 'airplane copy.jpg');
  fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', 'airplanes'))[5], plane);
  fs.copyFileSync(plane, planeCopy);
  for (const c of UNRELATED) fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', c))[2], path.join(photos, 'travel', `${c.toLowerCase()}.jpg`));

  url = await startServe(path.join(tmp, 'library.db'));
  ({ browser, page } = await launchPage((m) => (serveLog += `\n[page error] ${m}`), { acceptDownloads: true }));
  // tsx names the functions it compiles with a __name helper that only Node has.
  await page.addInitScript('window.__name = (f) => f');
});

after(async () => {
  await browser?.close();
  await stopServe(serve);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('Duplicates view: finds the resized copy, compares it side by side, moves it to the trash, the library follows, the report downloads', { timeout: INDEX_TIMEOUT_MS + 180_000 }, async () => {
  await page.goto(url);
  await libraryIndexed(page, N);

  // From the sidebar; the search starts by itself and shows its progress.
  await page.locator('[data-testid=nav-duplicates]').click();
  const view = page.locator('[data-testid=duplicates-view]');
  await view.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=duplicates-view]')?.getAttribute('data-state') === 'done', undefined, { timeout: 120_000 });
  const groups = await page
    .locator('[data-testid=duplicate-group]')
    .evaluateAll((els) => els.map((e) => ({ tier: e.getAttribute('data-tier'), paths: (e.getAttribute('data-paths') ?? '').split('\n').sort() })));
  console.log(`e2e duplicates: ${groups.length} groups: ${groups.map((g) => `${g.tier} [${g.paths.map((p) => path.basename(p)).join(', ')}]`).join('; ')}`);
  const pair = groups.find((g) => g.paths.includes(original));
  assert.ok(pair, 'the original is in a group');
  assert.ok(pair.paths.includes(copy), `the resized copy is in the original's group: ${pair.paths.join(', ')}`);
  assert.ok(
    groups.some((g) => g.tier === 'exact' && g.paths.join() === [plane, planeCopy].sort().join()),
    'the byte-for-byte copies are an exact group',
  );
  const pairGroup = page.locator('[data-testid=duplicate-group]').filter({ has: page.locator(`[data-testid=duplicate-member][data-path="${copy}"]`) });
  assert.equal(await pairGroup.locator('[data-testid=duplicate-member][data-keep=true]').getAttribute('data-path'), original, 'the larger original is the suggested keeper');
  assert.match((await pairGroup.textContent()) ?? '', /Suggested keeper: lily\.jpg, largest pixel count/);
  assert.match((await view.locator('#dup-sensitivity-help').textContent()) ?? '', /Copies with the very same bytes are always found/);
  await waitImages('[data-testid=duplicates-view] img');
  await shot('dup-01-duplicates-view');

  // Side by side: the keeper on the left, the copy on the right, large.
  await pairGroup.locator('[data-testid=group-compare]').click();
  const overlay = page.locator('[data-testid=compare-overlay]');
  await overlay.waitFor();
  assert.deepEqual(await overlay.locator('[data-testid=compare-pane]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path'))), [original, copy]);
  assert.match((await overlay.locator('[data-testid=compare-difference]').textContent()) ?? '', /Right against left: 36% of the pixels/);
  await waitImages('[data-testid=compare-overlay] img');
  const sizes = await overlay.locator('img').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().width)));
  assert.ok(
    sizes.every((w) => w > 300),
    `large images side by side: ${sizes.join(', ')} px wide`,
  );
  await shot('dup-02-compare-side-by-side');

  // Reveal in folder: the desktop's opener (here a script) is handed the copy's folder.
  const copyPane = overlay.locator(`[data-testid=compare-pane][data-path="${copy}"]`);
  await copyPane.locator('[data-testid=compare-reveal]').click();
  for (let i = 0; i < 50 && !fs.existsSync(revealed); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(fs.readFileSync(revealed, 'utf8').trim(), path.dirname(copy));

  // Move to trash: nothing happens before the confirm, which names the file; Cancel keeps it.
  await copyPane.locator('[data-testid=compare-trash]').click();
  const dialog = page.locator('[data-testid=trash-dialog]');
  await dialog.waitFor();
  assert.equal(await dialog.getAttribute('data-path'), copy);
  assert.match((await dialog.textContent()) ?? '', /Move “lily-small\.jpg” to the trash\?/);
  assert.ok(fs.existsSync(copy), 'asking moves nothing');
  await shot('dup-03-trash-confirm');
  await dialog.locator('[data-testid=trash-cancel]').click();
  await dialog.waitFor({ state: 'detached' });
  assert.ok(fs.existsSync(copy), 'cancelled: still there');
  const bytes = sha(copy);
  await copyPane.locator('[data-testid=compare-trash]').click();
  await dialog.locator('[data-testid=trash-confirm]').click();
  await dialog.waitFor({ state: 'detached' });
  // The pair is resolved: its group, and so the compare, are gone; the view says what happened.
  await overlay.waitFor({ state: 'detached' });
  await page.locator(`[data-testid=duplicate-member][data-path="${copy}"]`).waitFor({ state: 'detached' });
  assert.match((await page.locator('[data-testid=duplicates-notice]').textContent()) ?? '', /lily-small\.jpg is in the trash/);
  assert.ok(!fs.existsSync(copy), 'the copy left its folder');
  assert.ok(fs.existsSync(original), 'the original stays');
  const trashed = fs.readdirSync(path.join(xdg, 'Trash', 'files'));
  assert.deepEqual(
    trashed.map((f) => sha(path.join(xdg, 'Trash', 'files', f))),
    [bytes],
    'the copy is in the XDG trash, byte for byte',
  );
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=index-status]')?.getAttribute('data-library-photos')) === n, N - 1);
  await shot('dup-04-after-trash');

  // The library follows: the copy is no longer among All photos.
  await page.locator('button.item', { hasText: 'All photos' }).click();
  await page.locator('[data-testid=photo]').first().waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=photo]').length === n, N - 1);
  assert.equal(await page.locator(`[data-testid=photo][data-path="${copy}"]`).count(), 0);
  assert.equal(await page.locator(`[data-testid=photo][data-path="${original}"]`).count(), 1);

  // Back to Duplicates (as it was left) and export the HTML report: a download.
  await page.locator('[data-testid=nav-duplicates]').click();
  await page.locator('[data-testid=duplicate-group]').first().waitFor();
  assert.equal(await page.locator('[data-testid=duplicate-group]').count(), groups.length - 1);
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-html]').click()]);
  assert.match(download.suggestedFilename(), /^photowords-duplicates-\d{4}-\d\d-\d\d\.html$/);
  const report = path.join(tmp, download.suggestedFilename());
  await download.saveAs(report);
  const html = fs.readFileSync(report, 'utf8');
  assert.ok(html.includes(plane) && html.includes(planeCopy), 'the report lists the remaining group');
  assert.ok(!html.includes(copy), 'and not the photo in the trash');
  assert.match((await page.locator('[data-testid=duplicates-notice]').textContent()) ?? '', /downloaded as photowords-duplicates-/);

  // The report on its own, as a person would open the file.
  const reader = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await reader.goto(pathToFileURL(report).href);
  await reader.locator('section').first().waitFor();
  assert.equal(await reader.locator('figure').count(), 2);
  await reader.waitForFunction(() => Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0));
  fs.mkdirSync(SHOTS, { recursive: true });
  await reader.screenshot({ path: path.join(SHOTS, 'dup-05-exported-report.png'), fullPage: true });
  await reader.close();
});

test('the Duplicates view reports no page errors and loads nothing from outside', async () => {
  assert.doesNotMatch(serveLog, /\[page error\]/, serveLog);
  const foreign = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .filter((n) => !n.startsWith(location.origin) && !n.startsWith('blob:') && !n.startsWith('data:')),
  );
  assert.deepEqual(foreign, []);
});
