/// <reference lib="dom" />
// Selecting at scale (issue 19): Ctrl+A in a 50,000-photo library, then the one trash
// confirmation adding up their bytes, then frame times while scrolling with everything selected.
// Synthetic entries as bench/grid.ts makes them (symlinks to flowers17 photos, rows written
// straight into a real index; the UI, server and browser are the real ones). Nothing is trashed:
// the dialog is cancelled. With --trash they are all moved to an XDG trash under the temp folder
// (XDG_DATA_HOME), in the confirmation's calls of 1,000, and the time is taken.
//   npx tsx bench/experiments/select-all.ts [photos] [--trash]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { Library } from '../../src/core/library/library.js';

const PHOTOS = Number(process.argv[2] ?? 50_000);
const TRASH = process.argv.includes('--trash');
const FLOWERS = path.resolve('../shared/datasets/flowers17');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-select-'));
const tree = path.join(tmp, 'photos');
const db = path.join(tmp, 'library.db');
const sources = fs
  .readdirSync(FLOWERS)
  .flatMap((c) => fs.readdirSync(path.join(FLOWERS, c)).map((f) => path.join(FLOWERS, c, f)))
  .map((p) => ({ p, st: fs.statSync(p) }));
const lib = await Library.open(db, { provider: 'cpu', autoIndex: false });
const store = lib.engineForTools.store;
const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
const empty = { terms: new Uint32Array(0), tfs: new Float32Array(0) };
let bytes = 0;
store.transaction(() => {
  for (let i = 0; i < PHOTOS; i++) {
    const dir = path.join(tree, `roll-${String(Math.floor(i / 500)).padStart(3, '0')}`);
    if (i % 500 === 0) fs.mkdirSync(dir, { recursive: true });
    const src = sources[i % sources.length];
    const file = path.join(dir, `IMG_${String(i).padStart(6, '0')}.jpg`);
    fs.symlinkSync(src.p, file);
    bytes += src.st.size;
    store.putIndexed({ path: file, size: src.st.size, mtimeMs: src.st.mtimeMs, width: 512, height: 384, taken: Date.UTC(2014, 0, 1) + i * 7_570_000, takenFrom: 'exif' }, grid, empty);
  }
  store.addFolder(tree);
});
await lib.close();

const xdg = path.join(tmp, 'xdg-data');
const serve = spawn(process.execPath, ['bin/photowords.js', 'serve', '--db', db, '--port', '0', '--provider', 'cpu'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, XDG_DATA_HOME: xdg },
});
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  serve.stdout!.on('data', (d) => {
    out += d;
    const m = /at (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  serve.once('exit', (c) => reject(new Error(`serve exited ${c}`)));
});
/** Frame times over 4 s of scrolling 1,200 px a frame (a fling: a new screen every frame), from the top. */
async function fling(page: import('playwright-core').Page) {
  return page.evaluate(async () => {
    const el = document.querySelector('[role=grid]') as HTMLElement;
    el.scrollTop = 0;
    await new Promise((r) => setTimeout(r, 300));
    const out: number[] = [];
    await new Promise<void>((resolve) => {
      const start = performance.now();
      let last = start;
      const tick = (now: number) => {
        out.push(now - last);
        last = now;
        el.scrollTop += 1200;
        if (now - start < 4000) requestAnimationFrame(tick);
        else resolve();
      };
      requestAnimationFrame(tick);
    });
    out.shift();
    const s = [...out].sort((a, b) => a - b);
    const q = (p: number) => Number(s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1));
    return { frames: out.length, medianMs: q(0.5), p95Ms: q(0.95), maxMs: q(1) };
  });
}

const browser = await chromium.launch({ executablePath: process.env.PHOTOWORDS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript('window.__name = (f) => f');
  await page.goto(url);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=photo]').length > 20);
  await page.waitForTimeout(1500);
  // The same fling before anything is selected: once with thumbnails being made, once cached.
  const before1 = await fling(page);
  const before2 = await fling(page);
  await page.locator('h1').first().click();
  const t0 = Date.now();
  await page.keyboard.press('Control+a');
  await page.waitForFunction((n) => document.querySelector('[data-testid=selection-bar]')?.getAttribute('data-count') === String(n), PHOTOS, { timeout: 300_000 });
  const selectAllMs = Date.now() - t0;
  const textSelected = await page.evaluate(() => window.getSelection()?.toString().length ?? 0);
  const t1 = Date.now();
  await page.locator('[data-testid=selection-trash]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=bulk-trash-dialog]')?.hasAttribute('data-bytes'), undefined, { timeout: 300_000 });
  const confirmMs = Date.now() - t1;
  const shownBytes = Number(await page.locator('[data-testid=bulk-trash-dialog]').getAttribute('data-bytes'));
  if (TRASH) {
    const t3 = Date.now();
    await page.locator('[data-testid=bulk-trash-confirm]').click();
    await page.locator('[data-testid=bulk-trash-dialog]').waitFor({ state: 'detached', timeout: 1_800_000 });
    const ms = Date.now() - t3;
    const inTrash = fs.readdirSync(path.join(xdg, 'Trash', 'files')).length;
    const trash = { ms, perPhotoMs: Number((ms / PHOTOS).toFixed(2)), inTrash, note: await page.locator('[data-testid=selection-note] span').first().textContent() };
    console.log(JSON.stringify({ photos: PHOTOS, selectAllMs, confirmBytesMs: confirmMs, bytesRight: shownBytes === bytes, trash }, null, 1));
  } else {
    await page.locator('[data-testid=bulk-trash-cancel]').click();
    // Scrolling with all of them selected: every drawn cell asks whether it is selected.
    const frames = await fling(page);
    const t2 = Date.now();
    await page.keyboard.press('Escape');
    await page.waitForFunction((n) => document.querySelector('[data-testid=selection-bar]')?.getAttribute('data-count') !== String(n), PHOTOS);
    const clearMs = Date.now() - t2;
    console.log(
      JSON.stringify(
        { photos: PHOTOS, selectAllMs, textSelected, confirmBytesMs: confirmMs, bytesRight: shownBytes === bytes, flingNothingSelected: [before1, before2], flingWithAllSelected: frames, clearMs },
        null,
        1,
      ),
    );
  }
} finally {
  await browser.close();
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  fs.rmSync(tmp, { recursive: true, force: true });
}
