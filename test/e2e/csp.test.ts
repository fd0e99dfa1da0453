/// <reference lib="dom" />
// The UI under the Electron window's Content-Security-Policy, in Chromium (issue 18: no
// 'unsafe-inline'). The Electron binary cannot run here, so the same build (out/renderer) is
// served by `photowords serve` on a temp library and every page gets, in place of serve's own
// policy, the exact header main sends (contentSecurityPolicy() from src/main/policy.ts, the
// function main calls); the page's meta policy applies as well, as in Electron. A person's path
// through every view (the library grid while indexing and after, the context menu, Find similar,
// the preview, "Why?" with its heat cells, Duplicates with compare and its heat, the settings
// dialog, a folder's "not read" list) must report no `securitypolicyviolation` and no console
// error. Then a control: markup with a style attribute and a <style> element are reported, so
// the listener would have seen one; a style set through the CSSOM, as Vue's :style does, is not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { contentSecurityPolicy } from '../../src/main/policy.js';
import { CHROMIUM, imagesLoaded, launchPage, libraryIndexed, screenshot, spawnServe, stopServe } from './kit.js';

const DATA = path.resolve('../shared/datasets');
const CSP = contentSecurityPolicy();

let tmp: string;
let photos: string;
let serve: ChildProcess;
let serveLog = '';
let url: string;
let browser: Browser;
let page: Page;
let lily: string;
let rose: string;
let roseCrop: string;
let n = 0;
/** Console errors and page errors, in order. */
const errors: string[] = [];
/** Every document response's CSP header as the page got it. */
const served: string[] = [];

type Violation = { directive: string; blocked: string; sample: string; source: string };

const jpegs = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));

async function violations(): Promise<Violation[]> {
  return page.evaluate(() => (window as unknown as { __csp: Violation[] }).__csp);
}

/** Nothing refused and nothing logged as an error since the page loaded (or since `from`). */
async function clean(where: string): Promise<void> {
  // A violation event is queued as a task: let any pending one arrive first.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
  assert.deepEqual(await violations(), [], `${where}: CSP violations`);
  assert.deepEqual(errors, [], `${where}: console errors`);
}

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:web or build:app)');
  assert.ok(fs.existsSync(CHROMIUM), `chromium at ${CHROMIUM} (scripts/test.sh installs Debian's)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-csp-'));
  photos = path.join(tmp, 'photos');
  for (const d of ['flowers', 'copies', 'misc']) fs.mkdirSync(path.join(photos, d), { recursive: true });
  // A photo and a resized copy (a duplicate group), a photo and its centre crop (heat in "Why?"),
  // two unrelated photos, and a sidecar and a video for the "not read" list.
  lily = path.join(photos, 'flowers', 'lily.jpg');
  fs.copyFileSync(jpegs(path.join(DATA, 'flowers17', 'c07'))[11], lily);
  const { width = 0 } = await sharp(lily).metadata();
  await sharp(lily)
    .resize(Math.round(width * 0.6))
    .jpeg({ quality: 72 })
    .toFile(path.join(photos, 'copies', 'lily-small.jpg'));
  rose = path.join(photos, 'flowers', 'rose.jpg');
  fs.copyFileSync(jpegs(path.join(DATA, 'flowers17', 'c03'))[5], rose);
  const m = await sharp(rose).metadata();
  const cw = Math.round(m.width! * 0.7);
  const ch = Math.round(m.height! * 0.7);
  roseCrop = path.join(photos, 'flowers', 'rose-crop.jpg');
  await sharp(rose)
    .extract({ left: Math.round((m.width! - cw) / 2), top: Math.round((m.height! - ch) / 2), width: cw, height: ch })
    .jpeg({ quality: 90 })
    .toFile(roseCrop);
  for (const c of ['Leopards', 'watch']) fs.copyFileSync(jpegs(path.join(DATA, 'caltech101', c))[4], path.join(photos, 'misc', `${c.toLowerCase()}.jpg`));
  fs.writeFileSync(path.join(photos, 'misc', 'clip.mp4'), 'not a photo');
  fs.writeFileSync(path.join(photos, 'flowers', 'lily.xmp'), '<x:xmpmeta/>');
  n = 6;

  const s = spawnServe([photos, '--db', path.join(tmp, 'library.db')], {
    env: { ...process.env, XDG_DATA_HOME: path.join(tmp, 'xdg-data') },
    onLog: (d) => (serveLog += d),
    log: () => serveLog,
  });
  serve = s.child;
  url = await s.url;
  ({ browser, page } = await launchPage((m) => errors.push(`[page error] ${m}`)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`[console] ${msg.text()}`);
  });
  // Every document gets the Electron window's policy instead of serve's (the meta one stays).
  await page.route('**/*', async (route) => {
    if (route.request().resourceType() !== 'document') return route.continue();
    const response = await route.fetch();
    const headers = Object.fromEntries(Object.entries(response.headers()).filter(([k]) => k.toLowerCase() !== 'content-security-policy'));
    headers['content-security-policy'] = CSP;
    served.push(CSP);
    await route.fulfill({ response, headers });
  });
  // Registered before any of the page's own scripts run; init scripts are not subject to the CSP.
  await page.addInitScript(() => {
    const list: Violation[] = [];
    (window as unknown as { __csp: Violation[] }).__csp = list;
    document.addEventListener('securitypolicyviolation', (e) => list.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, source: `${e.sourceFile}:${e.lineNumber}` }));
  });
  // tsx names the functions it compiles with a __name helper that only Node has.
  await page.addInitScript('window.__name = (f) => f');
});

after(async () => {
  await browser?.close();
  await stopServe(serve);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("every view under the Electron window's CSP (no 'unsafe-inline'): no violation, no console error", { timeout: 15 * 60_000 }, async () => {
  assert.doesNotMatch(CSP, /unsafe-inline/);
  const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(fs.readFileSync('out/renderer/index.html', 'utf8'))?.[1];
  assert.ok(meta && !/unsafe-/.test(meta), `the built page's meta policy has no unsafe- source: ${meta}`);

  await page.goto(url);
  assert.equal(served.length, 1, 'the page was served with the Electron policy');
  // While indexing: the status bar's progress fill (a :style width).
  await page.locator('[data-testid=index-status]').waitFor();
  await clean('first load, indexing');
  await libraryIndexed(page, n);
  await page
    .locator('[data-testid=photo]')
    .nth(n - 1)
    .waitFor();
  await imagesLoaded(page, '[data-testid=photo] img');
  await screenshot(page, 'csp-01-library');
  await clean('the library grid');

  // A folder's "not read" list.
  const notRead = page.locator('[data-testid=folder-not-read]').first();
  if (await notRead.count()) {
    await notRead.locator('summary').click();
    await clean('the not-read list');
  }

  // The context menu (placed with :style), Find similar, the preview.
  const roseCell = page.locator(`[data-testid=photo][data-path="${rose}"]`);
  await roseCell.click({ button: 'right' });
  await page.locator('[data-testid=context-menu]').waitFor();
  await clean('the context menu');
  await page.locator('[data-testid=menu-find-similar]').click();
  const cropResult = page.locator(`[data-testid=similar-result][data-path="${roseCrop}"]`);
  await cropResult.waitFor({ timeout: 60_000 });
  await imagesLoaded(page, '[data-testid=similar-result] img');
  await clean('Find similar');

  // "Why?": heat cells placed and shaded through :style.
  await cropResult.hover();
  await cropResult.locator('[data-testid=why-button]').click();
  const why = page.locator('[data-testid=why-overlay]');
  await why.waitFor();
  await page.waitForFunction(
    () => {
      const layers = Array.from(document.querySelectorAll('[data-testid=why-overlay] [data-testid=why-layer]'));
      return layers.length === 2 && layers.every((l) => Number(l.getAttribute('data-cells')) > 0);
    },
    undefined,
    { timeout: 60_000 },
  );
  await why.locator('[data-testid=why-word]').first().click();
  await page.locator('[data-testid=why-overlay] .outline').first().waitFor();
  const styled = await page
    .locator('[data-testid=why-cell]')
    .first()
    .evaluate((e) => (e as HTMLElement).style.cssText);
  assert.match(styled, /left: .*%/, `the cells are placed by their style (${styled})`);
  await screenshot(page, 'csp-02-why');
  await clean('the "Why?" overlay');
  await page.keyboard.press('Escape');
  await why.waitFor({ state: 'detached' });

  await cropResult.click();
  await page.locator('[data-testid=preview]').waitFor();
  await imagesLoaded(page, '[data-testid=preview] img');
  await clean('the preview');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });

  // Duplicates, compare and its heat.
  await page.locator('[data-testid=nav-duplicates]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=duplicates-view]')?.getAttribute('data-state') === 'done', undefined, { timeout: 120_000 });
  const group = page.locator('[data-testid=duplicate-group]').filter({ has: page.locator(`[data-testid=duplicate-member][data-path="${lily}"]`) });
  await group.waitFor();
  await imagesLoaded(page, '[data-testid=duplicates-view] .groups img');
  await clean('Duplicates');
  await group.locator('[data-testid=group-compare]').click();
  const compare = page.locator('[data-testid=compare-overlay]');
  await compare.waitFor();
  await compare.locator('[data-testid=compare-why]').click();
  await page.waitForFunction(
    () => {
      const layers = Array.from(document.querySelectorAll('[data-testid=compare-overlay] [data-testid=why-layer]'));
      return layers.length === 2 && layers.every((l) => Number(l.getAttribute('data-cells')) > 0);
    },
    undefined,
    { timeout: 60_000 },
  );
  await screenshot(page, 'csp-03-compare');
  await clean('the compare view');
  await compare.locator('[data-testid=compare-close]').click();
  await compare.waitFor({ state: 'detached' });
  await page.locator('[data-testid=tab-similar]').click();
  await clean('Similar shots');

  // The settings dialog.
  await page.locator('[data-testid=settings-button]').click();
  const dialog = page.locator('[data-testid=settings-dialog]');
  await dialog.waitFor();
  // Resolution is an engine internal: under Advanced.
  await dialog.locator('[data-testid=settings-advanced] summary').click();
  await dialog.locator('select[data-setting=resolution]').selectOption('512');
  await page.locator('[data-testid=reindex-warning]').waitFor();
  await clean('the settings dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).last().click();
  await dialog.waitFor({ state: 'detached' });
  await clean('the end of the walk');
  console.log(`e2e csp: ${served.length} page load(s) under "${CSP}"; no violation, no console error`);
});

test('control: the listener sees what the policy refuses (a style attribute in markup, a <style> element), and a CSSOM style is allowed', async () => {
  await page.evaluate(() => {
    const probe = document.createElement('div');
    probe.id = 'csp-probe';
    probe.style.color = 'rgb(1, 2, 3)'; // the CSSOM, as Vue's :style bindings: allowed
    document.body.append(probe);
  });
  await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
  assert.deepEqual(await violations(), [], 'a style set through element.style is not an inline style in CSP terms');
  assert.equal(await page.locator('#csp-probe').evaluate((e) => getComputedStyle(e).color), 'rgb(1, 2, 3)');

  await page.evaluate(() => {
    const probe = document.getElementById('csp-probe')!;
    probe.innerHTML = '<span id="csp-attr" style="color: rgb(4, 5, 6)">x</span>'; // parsed markup
    const style = document.createElement('style');
    style.textContent = '#csp-probe { color: rgb(7, 8, 9) }';
    document.head.append(style);
  });
  await page.waitForFunction(() => (window as unknown as { __csp: unknown[] }).__csp.length >= 2);
  const seen = await violations();
  assert.deepEqual([...new Set(seen.map((v) => v.directive))].sort(), ['style-src-attr', 'style-src-elem'], JSON.stringify(seen));
  assert.notEqual(await page.locator('#csp-attr').evaluate((e) => getComputedStyle(e).color), 'rgb(4, 5, 6)', 'the attribute was not applied');
  assert.equal(await page.locator('#csp-probe').evaluate((e) => getComputedStyle(e).color), 'rgb(1, 2, 3)', 'nor the <style> element');
  console.log(`e2e csp control: refused ${seen.map((v) => `${v.directive} (${v.blocked})`).join(', ')}`);
  errors.length = 0; // the control's own refusals are logged as console errors
});
