/// <reference lib="dom" />
// "Trash all but the keepers" at scale (issue 19: "279 copies mean 279 dialogs"): COPIES byte
// copies of each of two flowers17 photos (so two groups of COPIES + 1), indexed by `photowords
// serve` (copies of indexed bytes reuse their words), the Duplicates view in Chromium, All groups,
// the one confirmation, and the time until the groups are gone, with the trashPhotos calls it made
// (1,000 paths a call) and the files really in an XDG trash under the temp folder.
//   npx tsx bench/experiments/trash-keepers.ts [copies per photo, default 1100]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, spawnServe, stopServe } from '../../test/e2e/kit.js';

const COPIES = Number(process.argv[2] ?? 1100);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-trash-keepers-'));
const photos = path.join(tmp, 'photos');
const xdg = path.join(tmp, 'xdg-data');
const FLOWERS = path.resolve('../shared/datasets/flowers17');
const sources = ['c02', 'c09'].map((c) => path.join(FLOWERS, c, fs.readdirSync(path.join(FLOWERS, c)).sort()[3]));
for (const [i, src] of sources.entries()) {
  const dir = path.join(photos, `set${i + 1}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(src, path.join(dir, 'original.jpg'));
  for (let k = 0; k < COPIES; k++) fs.copyFileSync(src, path.join(dir, `copy-${String(k).padStart(5, '0')}.jpg`));
}
const N = sources.length * (COPIES + 1);
let log = '';
const s = spawnServe([photos, '--db', path.join(tmp, 'library.db')], { env: { ...process.env, XDG_DATA_HOME: xdg }, onLog: (d) => (log += d), log: () => log });
try {
  const url = await s.url;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript('window.__name = (f) => f');
  const calls: number[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/call/trashPhotos')) calls.push((JSON.parse(r.postData() ?? '[[]]') as string[][])[0].length);
  });
  await page.goto(url);
  let t = Date.now();
  await page.waitForFunction(
    (n) => {
      const el = document.querySelector('[data-testid=index-status]');
      return el?.getAttribute('data-state') === 'idle' && Number(el?.getAttribute('data-library-photos')) === n;
    },
    N,
    { timeout: 30 * 60_000, polling: 1000 },
  );
  console.log(`${N} photos indexed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  await page.locator('[data-testid=nav-duplicates]').click();
  t = Date.now();
  await page.waitForFunction(() => document.querySelector('[data-testid=duplicates-view]')?.getAttribute('data-state') === 'done', undefined, { timeout: 10 * 60_000 });
  await page.locator('[data-testid=duplicate-group]').first().waitFor();
  console.log(
    `search and ${await page.locator('[data-testid=duplicate-group]').count()} groups of ${await page.locator('[data-testid=duplicate-member]').count()} photos shown in ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
  await page.locator('[data-testid=keeper-trash-all]').click();
  const dialog = page.locator('[data-testid=keeper-trash-dialog]');
  await dialog.waitFor();
  console.log(`the one confirmation: ${(await dialog.locator('[data-testid=keeper-trash-sum]').textContent())?.trim()}`);
  t = Date.now();
  await dialog.locator('[data-testid=keeper-trash-confirm]').click();
  await page.locator('[data-testid=duplicates-empty]').waitFor({ timeout: 10 * 60_000 });
  const ms = Date.now() - t;
  const inTrash = fs.readdirSync(path.join(xdg, 'Trash', 'files')).length;
  console.log(
    `moved in ${(ms / 1000).toFixed(1)} s (${(ms / (N - sources.length)).toFixed(1)} ms a photo), trashPhotos calls of ${calls.join(', ')} paths; ${inTrash} files in the XDG trash; notice: ${await page.locator('[data-testid=duplicates-notice]').textContent()}`,
  );
  await browser.close();
} finally {
  await stopServe(s.child);
  fs.rmSync(tmp, { recursive: true, force: true });
}
