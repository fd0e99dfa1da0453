// What the browser tests share (not a test itself: the e2e glob runs *.test.ts only): `photowords
// serve` started on a temp database with its URL read from its first line, and page helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

/** Where screenshots go (looked at by people, so kept between runs). */
export const SHOTS = path.resolve(process.env.PHOTOWORDS_SCREENSHOTS ?? 'test-results/screenshots');

/**
 * Starts `photowords serve ARGS --port 0` (a free port) with the CPU provider; `onLog` gets its
 * stderr as it comes. `url` resolves once it says where it serves, and rejects with what it
 * logged if it exits first; `stdout()` is all it printed so far (e.g. a first-run setup link).
 */
export function spawnServe(args: string[], opts: { env?: NodeJS.ProcessEnv; onLog: (text: string) => void; log: () => string }): { child: ChildProcess; url: Promise<string>; stdout: () => string } {
  const child = spawn(process.execPath, ['bin/photowords.js', 'serve', ...args, '--port', '0', '--provider', 'cpu'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
  child.stderr!.on('data', (d) => opts.onLog(String(d)));
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /serving .* at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${opts.log()}`)));
  });
  return { child, url, stdout: () => out };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Every image matching `selector` has loaded (thumbnails come from the server's cache as they are made). */
export async function imagesLoaded(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((sel) => Array.from(document.querySelectorAll(sel)).every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0), selector, {
    timeout: 60_000,
  });
}

/** How long a browser test waits for its library to be indexed (the model on 2 CPU cores). */
export const INDEX_TIMEOUT_MS = 10 * 60_000;

/** The status bar says indexing is idle with `n` photos in the library. */
export async function libraryIndexed(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (want) => {
      const el = document.querySelector('[data-testid=index-status]');
      return el?.getAttribute('data-state') === 'idle' && Number(el?.getAttribute('data-library-photos')) === want;
    },
    n,
    { timeout: INDEX_TIMEOUT_MS, polling: 500 },
  );
}

/** Stops a `photowords serve` started by spawnServe, if it still runs, and waits for it to exit. */
export async function stopServe(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** Debian's chromium, which scripts/install-browser.sh installs (never a Playwright download). */
export const CHROMIUM = process.env.PHOTOWORDS_CHROMIUM ?? '/usr/bin/chromium';

/** Chromium with one 1400 x 900 page; the page's errors go to `onPageError` (the tests' log). */
export async function launchPage(onPageError: (message: string) => void, opts: BrowserContextOptions = {}): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, ...opts });
  page.on('pageerror', (e) => onPageError(e.message));
  return { browser, page };
}
