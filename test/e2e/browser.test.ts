/// <reference lib="dom" />
// The app end to end in a real browser: `photowords serve` on a temp database, Debian's chromium
// driven by playwright-core. A person's path: add flowers17 as a library folder, watch indexing
// finish in the UI's own status, right-click a photo, "Find similar", and get flowers of its kind;
// then drop a photo from outside the library onto the window. Screenshots of each step go to
// test-results/screenshots (not committed) for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';

const FLOWERS = path.resolve('../shared/datasets/flowers17');
const CHROMIUM = process.env.PHOTOWORDS_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.resolve(process.env.PHOTOWORDS_SCREENSHOTS ?? 'test-results/screenshots');
const INDEX_TIMEOUT_MS = 10 * 60_000;

let tmp: string;
let serve: ChildProcess;
let serveLog = '';
let url: string;
let browser: Browser;
let page: Page;

const classOf = (p: string) => path.basename(path.dirname(p));

async function startServe(db: string): Promise<string> {
  serve = spawn(process.execPath, ['bin/photowords.js', 'serve', '--db', db, '--port', '0', '--provider', 'cpu'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serve.stderr!.on('data', (d) => (serveLog += d));
  return new Promise((resolve, reject) => {
    let out = '';
    serve.stdout!.on('data', (d) => {
      out += d;
      const m = /serving .* at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    serve.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${serveLog}`)));
  });
}

async function shot(name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Ranked result paths of the similar view, the query itself left out. */
async function similarPaths(queryPath?: string): Promise<string[]> {
  await page.locator('[data-testid=similar-view]').waitFor();
  await page.locator('[data-testid=similar-result]').first().waitFor();
  const paths = await page.locator('[data-testid=similar-result]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path') ?? ''));
  return paths.filter((p) => p !== queryPath);
}

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:web)');
  assert.ok(fs.existsSync(CHROMIUM), `chromium at ${CHROMIUM} (scripts/test.sh installs Debian's)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-'));
  url = await startServe(path.join(tmp, 'library.db'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => (serveLog += `\n[page error] ${e.message}`));
});

after(async () => {
  await browser?.close();
  if (serve && serve.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('add flowers17, index it through the UI, right-click "Find similar": most of the top 10 share the class', async () => {
  await page.goto(url);
  await page.locator('[data-testid=empty-state]').first().waitFor();
  await shot('01-empty-library');

  await page.locator('[data-testid=add-folder-input]').fill(FLOWERS);
  await page.locator('[data-testid=add-folder-button]').click();
  await page.locator(`[data-testid=folder][data-path="${FLOWERS}"]`).waitFor();

  const status = page.locator('[data-testid=index-status]');
  // The progress the person sees: wait until it shows a run under way, then until it is done.
  await page.waitForFunction(
    () => {
      const el = document.querySelector('[data-testid=index-status]');
      return el?.getAttribute('data-state') === 'indexing' && Number(el.getAttribute('data-done')) > 20;
    },
    undefined,
    { timeout: INDEX_TIMEOUT_MS, polling: 200 },
  );
  await shot('02-indexing-progress');
  await page.waitForFunction(
    () => {
      const el = document.querySelector('[data-testid=index-status]');
      const total = Number(el?.getAttribute('data-total'));
      return el?.getAttribute('data-state') === 'idle' && total > 0 && Number(el?.getAttribute('data-done')) === total;
    },
    undefined,
    { timeout: INDEX_TIMEOUT_MS, polling: 500 },
  );
  assert.equal(Number(await status.getAttribute('data-indexed')), 17 * 80, 'every flowers17 photo indexed');
  await page.locator(`[data-testid=folder][data-path="${FLOWERS}"][data-photos="${17 * 80}"]`).waitFor();
  await page.locator('[data-testid=photo]').nth(20).waitFor();
  await shot('03-library-grid');

  let good = 0;
  let asked = 0;
  // Three photos from different parts of the grid, so one lucky class cannot carry the test.
  for (const n of [3, 250, 700]) {
    const cell = page.locator('[data-testid=photo]').nth(n % 40);
    if (n !== 3) {
      // Scroll the virtual grid so the n-th photo is rendered, then pick it.
      await page.evaluate((i) => {
        const cells = document.querySelectorAll('[data-testid=photo]');
        (cells[cells.length - 1] as HTMLElement)?.scrollIntoView();
        return i;
      }, n);
    }
    const queryPath = (await cell.getAttribute('data-path'))!;
    await cell.click({ button: 'right' });
    await page.locator('[data-testid=context-menu]').waitFor();
    if (n === 3) await shot('04-context-menu');
    await page.locator('[data-testid=menu-find-similar]').click();
    const results = (await similarPaths(queryPath)).slice(0, 10);
    assert.equal(results.length, 10);
    const same = results.filter((p) => classOf(p) === classOf(queryPath)).length;
    if (n === 3) {
      assert.equal(await page.locator('[data-testid=similar-query]').getAttribute('data-path'), queryPath, 'the query photo is pinned');
      await shot('05-similar-photos');
    }
    good += same;
    asked++;
    assert.ok(same >= 5, `most of the top 10 for ${queryPath} are ${classOf(queryPath)} (${same}/10): ${results.join(', ')}`);
    await page.locator('[data-testid=back]').click();
    await page.locator('[data-testid=photo]').first().waitFor();
  }
  console.log(`e2e: ${good}/${asked * 10} of the top-10 results share the query's class`);
});

test('a result opens a large preview; "Find similar" again from a result; back and forward', async () => {
  const first = page.locator('[data-testid=photo]').first();
  await first.click({ button: 'right' });
  await page.locator('[data-testid=menu-find-similar]').click();
  await page.locator('[data-testid=similar-result]').nth(3).waitFor();
  const firstQuery = await page.locator('[data-testid=similar-query]').getAttribute('data-path');
  const second = page.locator('[data-testid=similar-result]').nth(3);
  const secondPath = await second.getAttribute('data-path');
  await second.click();
  await page.locator('[data-testid=preview]').waitFor();
  const img = page.locator('[data-testid=preview] img');
  await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle());
  await shot('06-preview');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });

  await second.click({ button: 'right' });
  await page.locator('[data-testid=menu-find-similar]').click();
  await page.waitForFunction((p) => document.querySelector('[data-testid=similar-query]')?.getAttribute('data-path') === p, secondPath);
  await page.locator('[data-testid=back]').click();
  await page.waitForFunction((p) => document.querySelector('[data-testid=similar-query]')?.getAttribute('data-path') === p, firstQuery);
  await page.locator('[data-testid=forward]').click();
  await page.waitForFunction((p) => document.querySelector('[data-testid=similar-query]')?.getAttribute('data-path') === p, secondPath);
});

test('"Find similar to a file": a dropped photo from outside the library, and one from the file picker', async () => {
  // Photos the library does not hold: mirrored, shrunk copies of two flowers17 photos.
  const picks = [path.join(FLOWERS, 'c05'), path.join(FLOWERS, 'c12')].map((d) => path.join(d, fs.readdirSync(d).sort()[7]));
  const edits = await Promise.all(
    picks.map(async (p, i) => {
      const out = path.join(tmp, `outside-${i}.jpg`);
      await sharp(p).flop().resize(300).jpeg({ quality: 70 }).toFile(out);
      return out;
    }),
  );

  // Drag and drop: a real DataTransfer with the file's bytes, dropped on the window.
  const bytes = [...fs.readFileSync(edits[0])];
  const dataTransfer = await page.evaluateHandle(
    ({ bytes, name }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' }));
      return dt;
    },
    { bytes, name: path.basename(edits[0]) },
  );
  await page.dispatchEvent('body', 'dragenter', { dataTransfer });
  await page.dispatchEvent('body', 'dragover', { dataTransfer });
  await page.locator('[data-testid=drop-overlay]').waitFor();
  await shot('07-drop-overlay');
  await page.dispatchEvent('body', 'drop', { dataTransfer });
  let results = (await similarPaths()).slice(0, 10);
  const dropSame = results.filter((p) => classOf(p) === classOf(picks[0])).length;
  await shot('08-similar-to-dropped-file');
  assert.ok(dropSame >= 5, `dropped ${classOf(picks[0])} photo: ${dropSame}/10 of its class: ${results.join(', ')}`);

  await page.locator('[data-testid=file-input]').setInputFiles(edits[1]);
  await page.waitForFunction(
    (name) => document.querySelector('[data-testid=similar-query]')?.textContent?.includes(name) ?? false,
    path.basename(edits[1]),
  );
  results = (await similarPaths()).slice(0, 10);
  const pickSame = results.filter((p) => classOf(p) === classOf(picks[1])).length;
  assert.ok(pickSame >= 5, `picked ${classOf(picks[1])} photo: ${pickSame}/10 of its class: ${results.join(', ')}`);
  console.log(`e2e: dropped file ${dropSame}/10, picked file ${pickSame}/10 of their class`);
});

test('the page loads nothing from outside and reports no errors', async () => {
  assert.doesNotMatch(serveLog, /\[page error\]/, serveLog);
  const foreign = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .filter((n) => !n.startsWith(location.origin) && !n.startsWith('blob:') && !n.startsWith('data:')),
  );
  assert.deepEqual(foreign, []);
});
