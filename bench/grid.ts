/// <reference lib="dom" />
// Grid performance in a real browser with a big library: frame times while the thumbnail grid
// scrolls through 50,000 photos. The entries are synthetic (symlinks to real flowers17 photos,
// rows written straight into a real index, without visual words: the grid never reads them), the
// UI, server and browser are the real ones.
//   npm run bench:grid [-- --photos 50000 --seconds 6 --json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { Library } from '../src/core/library.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const PHOTOS = opt('photos', 50_000);
const SECONDS = opt('seconds', 6);
const JSON_OUT = args.includes('--json');
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
    store.putIndexed({ path: file, size: src.st.size, mtimeMs: src.st.mtimeMs, width: 512, height: 384 }, grid, empty);
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
  await page.goto(url);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=photo]').length > 20 && document.body.innerText.length > 0, PHOTOS);
  // Let the first screen of thumbnails settle, as a person would see it.
  await page.waitForTimeout(1500);
  const result = await page.evaluate(async (seconds) => {
    const cell = document.querySelector('[data-testid=photo]') as HTMLElement;
    let scroller: HTMLElement | null = cell.parentElement;
    while (scroller && !(scroller.scrollHeight > scroller.clientHeight + 10 && /(auto|scroll)/.test(getComputedStyle(scroller).overflowY))) {
      scroller = scroller.parentElement;
    }
    const el = scroller ?? (document.scrollingElement as HTMLElement);
    const frames: number[] = [];
    const rendered: number[] = [];
    const stepPx = 1200; // a brisk fling: ~72,000 px/s at 60 frames/s
    await new Promise<void>((resolve) => {
      const start = performance.now();
      let last = start;
      const tick = (now: number) => {
        frames.push(now - last);
        last = now;
        rendered.push(document.querySelectorAll('[data-testid=photo]').length);
        el.scrollTop = (el.scrollTop + stepPx) % Math.max(1, el.scrollHeight - el.clientHeight);
        if (now - start < seconds * 1000) requestAnimationFrame(tick);
        else resolve();
      };
      requestAnimationFrame(tick);
    });
    // Jump to the end and back, as the scrollbar thumb does.
    const j0 = performance.now();
    el.scrollTop = el.scrollHeight;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const jumpMs = performance.now() - j0;
    frames.shift();
    const sorted = [...frames].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    return {
      frames: frames.length,
      frameMsMedian: q(0.5),
      frameMsP95: q(0.95),
      frameMsP99: q(0.99),
      frameMsMax: sorted[sorted.length - 1],
      framesOver33ms: frames.filter((f) => f > 33.4).length,
      maxCellsInDom: Math.max(...rendered),
      scrollHeightPx: el.scrollHeight,
      jumpToEndMs: jumpMs,
    };
  }, SECONDS);
  const lastCell = await page.locator('[data-testid=photo]').last().getAttribute('data-path');
  const out = { photos: PHOTOS, chromium: browser.version(), ...result, lastCellAfterJump: lastCell && path.basename(lastCell) };
  if (JSON_OUT) console.log(JSON.stringify(out, null, 2));
  else console.table(out);
} finally {
  await browser.close();
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  fs.rmSync(tmp, { recursive: true, force: true });
}
