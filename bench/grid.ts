/// <reference lib="dom" />
// Grid performance in a real browser with a big library: frame times while the thumbnail grid
// scrolls through 50,000 photos. The entries are synthetic (symlinks to real flowers17 photos,
// rows written straight into a real index, without visual words: the grid never reads them), the
// UI, server and browser are the real ones. Each photo has a date taken (about 11 a day over
// twelve years, ~4,400 days), so the grid shows it as it opens: newest first under day headers,
// with the date scrubber; --no-dates leaves the dates out (one run without headers, as before
// issue 19; the server then reads them from the files in the background).
//   npm run bench:grid [-- --photos 50000 --seconds 6 --json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { Library } from '../src/core/library/library.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const PHOTOS = opt('photos', 50_000);
const SECONDS = opt('seconds', 4);
const JSON_OUT = args.includes('--json');
const DATES = !args.includes('--no-dates');
const FLOWERS = path.resolve('../shared/datasets/flowers17');
const log = (m: string) => process.stderr.write(`${m}\n`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-grid-'));
const tree = path.join(tmp, 'photos');
const db = path.join(tmp, 'library.db');

// Real photos to point at, and their stats (the scanner skips a file whose size and mtime match).
const sources = fs
  .readdirSync(FLOWERS)
  .flatMap((c) => fs.readdirSync(path.join(FLOWERS, c)).map((f) => path.join(FLOWERS, c, f)))
  .map((p) => ({ p, st: fs.statSync(p) }));

log(`Making ${PHOTOS} entries in ${tmp} ...`);
const t0 = performance.now();
const lib = await Library.open(db, { provider: 'cpu', autoIndex: false });
const store = lib.engineForTools.store;
const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
const empty = { terms: new Uint32Array(0), tfs: new Float32Array(0) };
store.transaction(() => {
  for (let i = 0; i < PHOTOS; i++) {
    const dir = path.join(tree, `roll-${String(Math.floor(i / 500)).padStart(3, '0')}`);
    if (i % 500 === 0) fs.mkdirSync(dir, { recursive: true });
    const src = sources[i % sources.length];
    const file = path.join(dir, `IMG_${String(i).padStart(6, '0')}.jpg`);
    fs.symlinkSync(src.p, file);
    // Newest last in id order, a photo every ~2.1 hours of wall clock from 2014 on.
    const taken = DATES ? Date.UTC(2014, 0, 1, 8) + Math.floor(i * 7_570_000 + (i % 7) * 60_000) : null;
    store.putIndexed({ path: file, size: src.st.size, mtimeMs: src.st.mtimeMs, width: 512, height: 384, taken, takenFrom: DATES ? 'exif' : null }, grid, empty);
  }
  store.addFolder(tree);
});
await lib.close();
log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const serve = spawn(process.execPath, ['bin/photowords.js', 'serve', '--db', db, '--port', '0', '--provider', 'cpu'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  serve.stdout!.on('data', (d) => {
    out += d;
    const m = /at (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  serve.once('exit', (c) => reject(new Error(`serve exited ${c}`)));
});

const browser = await chromium.launch({ executablePath: process.env.PHOTOWORDS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // tsx (esbuild, keepNames) wraps named functions in __name(), which the page does not have.
  await page.addInitScript('window.__name = (f) => f');
  await page.goto(url);
  await page.waitForFunction((_n) => document.querySelectorAll('[data-testid=photo]').length > 20 && document.body.innerText.length > 0, PHOTOS);
  // Let the first screen of thumbnails settle, as a person would see it.
  await page.waitForTimeout(1500);
  const scroll = (stepPx: number) =>
    page.evaluate(
      async ({ seconds, stepPx }) => {
        // Any cell, loaded or not: after the previous run's jump to the end, the pages there may
        // still be on their way (a loading cell has no data-testid yet).
        const cell = document.querySelector('[role=gridcell]') as HTMLElement;
        const el = document.querySelector('[role=grid]') as HTMLElement;
        const cellPx = cell.getBoundingClientRect().height;
        el.scrollTop = 0;
        await new Promise((r) => setTimeout(r, 300));
        const frames: number[] = [];
        const rendered: number[] = [];
        await new Promise<void>((resolve) => {
          const start = performance.now();
          let last = start;
          const tick = (now: number) => {
            frames.push(now - last);
            last = now;
            rendered.push(document.querySelectorAll('[data-testid=photo]').length);
            el.scrollTop = el.scrollTop + stepPx;
            if (now - start < seconds * 1000) requestAnimationFrame(tick);
            else resolve();
          };
          requestAnimationFrame(tick);
        });
        frames.shift();
        const sorted = [...frames].sort((a, b) => a - b);
        const q = (p: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1));
        // Jump to the end, as dragging the scrollbar thumb does.
        const j0 = performance.now();
        el.scrollTop = el.scrollHeight;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return {
          pxPerFrame: stepPx,
          frames: frames.length,
          medianMs: q(0.5),
          p95Ms: q(0.95),
          p99Ms: q(0.99),
          maxMs: q(1),
          over33ms: frames.filter((f) => f > 33.4).length,
          maxCellsInDom: Math.max(...rendered),
          rowsScrolled: Math.round((stepPx * frames.length) / (cellPx + 8)),
          jumpToEndMs: Number((performance.now() - j0).toFixed(1)),
        };
      },
      { seconds: SECONDS, stepPx },
    );
  // A wheel scroll (~7,000 px/s) and a fling (~70,000 px/s: a new screen every frame), first with
  // thumbnails being made as they come into view (a new library), then with them cached.
  const runs: Record<string, unknown>[] = [];
  for (const pass of ['thumbnails made while scrolling', 'thumbnails cached']) {
    for (const step of [120, 1200]) runs.push({ pass, ...(await scroll(step)) });
  }
  const result = {
    scrollHeightPx: await page.evaluate(() => (document.querySelector('[role=grid]') as HTMLElement).scrollHeight),
    dateHeadersInDom: await page.evaluate(() => document.querySelectorAll('[data-testid=date-section]').length),
    scrubber: await page.evaluate(() => document.querySelector('[data-testid=date-scrubber]') !== null),
    runs,
  };
  const lastCell = await page.locator('[data-testid=photo]').last().getAttribute('data-path');
  const out = { photos: PHOTOS, chromium: browser.version(), ...result, lastCellAfterJump: lastCell && path.basename(lastCell) };
  if (JSON_OUT) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(`${PHOTOS} photos, chromium ${out.chromium}, grid height ${out.scrollHeightPx} px, date headers in the DOM ${result.dateHeadersInDom}, scrubber ${result.scrubber}`);
    console.table(result.runs);
  }
} finally {
  await browser.close();
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  fs.rmSync(tmp, { recursive: true, force: true });
}
