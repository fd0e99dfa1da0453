// A phone's and a camera's files in the browser UI (issue 17): an iPhone HEIC (a grid image with
// a rotation) and camera RAW files (CR3, NEF) are indexed, shown in the grid and in the large
// preview as JPEG renderings (browsers show neither format), and "find similar to a file" takes a
// HEIC. Real files from test/fixtures/camera-samples; screenshots for people to look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { imagesLoaded, launchPage, libraryIndexed, screenshot, spawnServe, stopServe } from './kit.js';
const SAMPLES = path.resolve('test/fixtures/camera-samples');
const FLOWERS = path.resolve('../shared/datasets/flowers17');
const CAMERA = ['apple-iphone-xr-orientation6-grid.heic', 'canon-eos-r6-pruned.cr3', 'nikon-d70s-stripped.nef', 'sony-zv-e10-truncated-100k.arw'];

let tmp: string;
let photos: string;
let serve: ChildProcess;
let serveLog = '';
let browser: Browser;
let page: Page;
let url: string;

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:app)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-camera-'));
  photos = path.join(tmp, 'Pictures');
  fs.mkdirSync(photos);
  for (const f of CAMERA) fs.copyFileSync(path.join(SAMPLES, f), path.join(photos, f));
  for (const cls of ['c01', 'c02']) {
    const f = fs.readdirSync(path.join(FLOWERS, cls)).sort()[0];
    fs.copyFileSync(path.join(FLOWERS, cls, f), path.join(photos, `${cls}-${f}`));
  }
  // The library folder is under the temp folder, outside serve's default roots (Pictures, home).
  const s = spawnServe(['--db', path.join(tmp, 'library.db'), '--roots', tmp], { onLog: (d) => (serveLog += d), log: () => serveLog });
  serve = s.child;
  url = await s.url;
  ({ browser, page } = await launchPage((m) => (serveLog += `\n[page error] ${m}`)));
});

after(async () => {
  await browser?.close();
  await stopServe(serve);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('HEIC and RAW files: indexed, their thumbnails in the grid and their large previews are JPEG renderings turned as displayed', { timeout: 600_000 }, async () => {
  await page.goto(url);
  await page.locator('[data-testid=add-folder-input]').fill(photos);
  await page.locator('[data-testid=add-folder-button]').click();
  await libraryIndexed(page, CAMERA.length + 2);
  await imagesLoaded(page, '[data-testid=photo] img');
  await screenshot(page, 'camera-01-grid');

  for (const [name, shot, want] of [
    ['apple-iphone-xr-orientation6-grid.heic', 'camera-02-heic-preview', 'portrait'],
    ['canon-eos-r6-pruned.cr3', 'camera-03-cr3-preview', 'landscape'],
    ['nikon-d70s-stripped.nef', 'camera-04-nef-preview', 'portrait'],
  ] as const) {
    const cell = page.locator(`[data-testid=photo][data-path="${path.join(photos, name)}"]`);
    // The grid's thumbnail is a JPEG of the picture, turned as displayed. In date order the cell
    // may lie below the fold, where its image waits to be scrolled to, and the grid may draw it
    // again after a library event: it is brought into view and asked until its image has loaded.
    await cell.scrollIntoViewIfNeeded();
    let thumb = { w: 0, h: 0 };
    for (const t0 = Date.now(); Date.now() - t0 < 30_000; await page.waitForTimeout(100)) {
      thumb = await cell.locator('img').evaluate((i) => ({ w: (i as HTMLImageElement).naturalWidth, h: (i as HTMLImageElement).naturalHeight }));
      if (thumb.w > 0) break;
    }
    assert.ok(thumb.w > 0 && (want === 'portrait' ? thumb.h > thumb.w : thumb.w > thumb.h), `${name} thumbnail ${thumb.w} x ${thumb.h} is ${want}`);
    await cell.click();
    await page.locator('[data-testid=preview]').waitFor();
    const img = page.locator('[data-testid=preview] img');
    await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle());
    const big = await img.evaluate((i) => ({ w: (i as HTMLImageElement).naturalWidth, h: (i as HTMLImageElement).naturalHeight, src: (i as HTMLImageElement).currentSrc }));
    assert.ok(want === 'portrait' ? big.h > big.w : big.w > big.h, `${name} preview ${big.w} x ${big.h} is ${want}`);
    // What the browser was sent is a JPEG, whatever the file is.
    const sent = await page.evaluate(async (src) => (await fetch(src)).headers.get('content-type'), big.src);
    assert.equal(sent, 'image/jpeg', `${name} preview is served as a JPEG`);
    await screenshot(page, shot);
    console.log(`${name}: thumbnail ${thumb.w} x ${thumb.h}, preview ${big.w} x ${big.h} (${sent})`);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });
  }
});

test('"Find similar to a file" with a HEIC from outside the library: its own copy in the library comes first', { timeout: 120_000 }, async () => {
  const heic = fs.readFileSync(path.join(SAMPLES, 'apple-iphone-xr-orientation6-grid.heic'));
  const res = await page.evaluate(
    async ({ bytes, name }) => {
      // The page's own CSRF token, as the app's client sends it (issue 18).
      const { csrf } = (await (await fetch('/api/auth/state')).json()) as { csrf: string };
      const r = await fetch(`/api/similar-file?name=${encodeURIComponent(name)}&top=3`, {
        method: 'POST',
        body: new Uint8Array(bytes),
        headers: { 'content-type': 'application/octet-stream', 'x-photowords-csrf': csrf },
      });
      return { status: r.status, body: await r.json() };
    },
    { bytes: [...heic], name: 'IMG_0001.HEIC' },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const first = res.body.result.results[0];
  assert.equal(path.basename(first.path), 'apple-iphone-xr-orientation6-grid.heic');
  assert.ok(first.score > 0.99, `score ${first.score}`);
  console.log(`similar to IMG_0001.HEIC: ${res.body.result.results.map((r: { path: string; score: number }) => `${path.basename(r.path)} ${r.score.toFixed(3)}`).join(', ')}`);
});
