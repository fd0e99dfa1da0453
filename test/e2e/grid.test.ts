/// <reference lib="dom" />
// The library grid in a real browser (issue 19, B): photos by date taken (newest first) under
// day and month headers, names written under the thumbnails, the sort menu (name, size, type, and
// reversed), the file-name search, the thumbnail-size control, the folder tree (natural,
// case-insensitive order; a subfolder lists only its photos), library folders in reading order,
// and on a long library (6,000 photos over six years) the date scrubber, still virtualized.
// Real photos (flowers17, re-encoded with EXIF dates by sharp) indexed by `photowords serve`;
// the long library is rows written straight into a real index (as bench/grid.ts does).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchPage, libraryIndexed, screenshot, spawnServe, stopServe } from './kit.js';
import { Library } from '../../src/core/library/library.js';

const FLOWERS = path.resolve('../shared/datasets/flowers17');

let tmp: string;
let serve: ChildProcess | undefined;
let serveLog = '';
let browser: Browser;
let page: Page;

const shot = (name: string) => screenshot(page, `ui19-B-${name}`);

interface Made {
  path: string;
  /** EXIF DateTimeOriginal ('YYYY:MM:DD HH:MM:SS'), or the file's mtime when none. */
  exif?: string;
  mtime?: Date;
}

const flowers = fs
  .readdirSync(FLOWERS)
  .sort()
  .flatMap((c) =>
    fs
      .readdirSync(path.join(FLOWERS, c))
      .sort()
      .slice(0, 3)
      .map((f) => path.join(FLOWERS, c, f)),
  );

// Holiday: three days in August 2023, one in July, one in 2021, two without EXIF. Subfolders
// named so that binary order ("Trip 10" < "Trip 9" < "archive") differs from a person's.
const HOLIDAY: { rel: string; exif?: string; mtime?: Date }[] = [
  { rel: 'Trip 10/IMG_0002.jpg', exif: '2023:08:02 09:00:00' },
  { rel: 'Trip 10/img_0010.jpg', exif: '2023:08:02 18:30:00' },
  { rel: 'Trip 10/IMG_0011.jpg', exif: '2023:08:03 07:15:00' },
  { rel: 'Trip 10/IMG_0012.jpg', exif: '2023:08:03 07:16:00' },
  { rel: 'Trip 10/IMG_0013.jpg', exif: '2023:08:03 07:17:00' },
  { rel: 'Trip 10/IMG_0014.jpg', exif: '2023:08:03 07:18:00' },
  { rel: 'Trip 10/IMG_0015.jpg', exif: '2023:08:03 07:19:00' },
  { rel: 'Trip 10/IMG_0016.jpg', exif: '2023:08:03 07:20:00' },
  { rel: 'Trip 10/IMG_0017.jpg', exif: '2023:08:03 07:21:00' },
  { rel: 'Trip 9/Beach.jpg', exif: '2023:07:30 12:00:00' },
  { rel: 'Trip 9/Dunes.jpg', exif: '2023:07:30 12:05:00' },
  { rel: 'Trip 9/sunset.jpg', exif: '2023:07:30 20:45:00' },
  { rel: 'archive/old/scan-1998.png', mtime: new Date(2019, 0, 2, 3, 4, 5) },
  { rel: 'archive/scan-2001.webp', mtime: new Date(2019, 0, 3, 3, 4, 5) },
  { rel: 'Zoo/lion.jpg', exif: '2021:01:15 08:00:00' },
  { rel: 'Zoo/Tiger.jpg', exif: '2021:01:15 08:10:00' },
];
const made: Made[] = [];
let holiday: string;
let aardvark: string;
let zebra: string;

async function makePhoto(file: string, src: string, exif?: string, mtime?: Date, side = 240): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let img = sharp(src).resize(side);
  if (file.endsWith('.png')) img = img.png();
  else if (file.endsWith('.webp')) img = img.webp({ quality: 80 });
  else img = img.jpeg({ quality: 82 });
  await (exif ? img.withExif({ IFD2: { DateTimeOriginal: exif } }) : img).toFile(file);
  if (mtime) fs.utimesSync(file, mtime, mtime);
}

const cells = () =>
  page.locator('[data-testid=photo]').evaluateAll((els) =>
    els
      .map((e) => {
        const r = e.getBoundingClientRect();
        return { path: e.getAttribute('data-path')!, name: e.getAttribute('aria-label')!, top: Math.round(r.top), left: Math.round(r.left), width: r.width, height: r.height };
      })
      .sort((a, b) => a.top - b.top || a.left - b.left),
  );
const shownNames = async () => (await cells()).map((c) => c.name);
const headers = () =>
  page.locator('[data-testid=date-section]').evaluateAll((els) =>
    els
      .map((e) => {
        const r = e.getBoundingClientRect();
        return { key: e.getAttribute('data-key')!, text: (e.textContent ?? '').trim(), top: r.top, bottom: r.bottom };
      })
      .sort((a, b) => a.top - b.top),
  );

/** Waits until the grid shows exactly these names, in this order (rows top to bottom). */
async function gridShows(names: string[], what: string): Promise<void> {
  try {
    await page.waitForFunction(
      (want) => {
        const els = Array.from(document.querySelectorAll('[data-testid=photo]')) as HTMLElement[];
        const got = els
          .map((e) => ({ n: e.getAttribute('aria-label'), r: e.getBoundingClientRect() }))
          .sort((a, b) => a.r.top - b.r.top || a.r.left - b.r.left)
          .map((x) => x.n);
        return JSON.stringify(got) === JSON.stringify(want);
      },
      names,
      { timeout: 15_000 },
    );
  } catch {
    assert.deepEqual(await shownNames(), names, what);
  }
}

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:web)');
  assert.ok(fs.existsSync(CHROMIUM), `chromium at ${CHROMIUM}`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-grid-'));
  holiday = path.join(tmp, 'Holiday');
  aardvark = path.join(tmp, 'aardvark');
  zebra = path.join(tmp, 'Zebra');
  for (const [i, h] of HOLIDAY.entries()) {
    const file = path.join(holiday, h.rel);
    await makePhoto(file, flowers[i], h.exif, h.mtime, 200 + i * 8);
    made.push({ path: file, exif: h.exif, mtime: h.mtime });
  }
  await makePhoto(path.join(aardvark, 'a.jpg'), flowers[30], '2010:01:01 10:00:00');
  await makePhoto(path.join(zebra, 'z.jpg'), flowers[31], '2011:01:01 10:00:00');
  ({ browser, page } = await launchPage((m) => (serveLog += `\n[page error] ${m}`)));
});

after(async () => {
  await browser?.close();
  await stopServe(serve);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function startServe(db: string): Promise<string> {
  await stopServe(serve);
  const s = spawnServe(['--db', db, '--roots', tmp], { onLog: (d) => (serveLog += d), log: () => serveLog });
  serve = s.child;
  return s.url;
}

async function addFolder(p: string): Promise<void> {
  await page.locator('[data-testid=add-folder-input]').fill(p);
  await page.locator('[data-testid=add-folder-button]').click();
  await page.locator(`[data-testid=folder][data-path="${p}"]`).waitFor();
}

const NEWEST_FIRST = [
  'IMG_0017.jpg',
  'IMG_0016.jpg',
  'IMG_0015.jpg',
  'IMG_0014.jpg',
  'IMG_0013.jpg',
  'IMG_0012.jpg',
  'IMG_0011.jpg',
  'img_0010.jpg',
  'IMG_0002.jpg',
  'sunset.jpg',
  'Dunes.jpg',
  'Beach.jpg',
  'Tiger.jpg',
  'lion.jpg',
  'scan-2001.webp',
  'scan-1998.png',
];

test('a new library: newest first under day headers, names under the thumbnails, folders in reading order', async () => {
  const url = await startServe(path.join(tmp, 'library.db'));
  await page.goto(url);
  await page.evaluate(() => localStorage.removeItem('photowords.grid'));
  await page.reload();
  await page.locator('[data-testid=empty-state]').first().waitFor();
  for (const p of [zebra, holiday, aardvark]) await addFolder(p);
  await libraryIndexed(page, HOLIDAY.length + 2);
  assert.deepEqual(
    await page.locator('[data-testid=folder]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path'))),
    [aardvark, holiday, zebra],
    'library folders in reading order: aardvark, Holiday, Zebra (not "Holiday", "Zebra", "aardvark")',
  );
  await page.locator(`[data-testid=folder][data-path="${holiday}"] button.item`).click();
  // Small thumbnails, so every photo of the folder is on the 900-px screen (and in the DOM) at once.
  await page.locator('[data-testid=grid-size]').fill('120');
  await gridShows(NEWEST_FIRST, 'date taken, newest first');
  assert.equal(await page.locator('[data-testid=grid-sort]').inputValue(), 'taken', 'date taken is the default sort');
  assert.equal((await page.locator('[data-testid=grid-order]').textContent())?.trim(), 'Newest first');

  // One header per day, each above its own photos and none over a photo.
  const hs = await headers();
  assert.deepEqual(
    hs.map((h) => h.key),
    ['2023-08-03', '2023-08-02', '2023-07-30', '2021-01-15', '2019-01-03', '2019-01-02'],
  );
  assert.match(hs[0].text, /Aug(ust)? 3, 2023|3 Aug(ust)? 2023/);
  const cs = await cells();
  for (const [k, h] of hs.entries()) {
    const below = cs.filter((c) => c.top >= h.bottom - 1 && (k + 1 >= hs.length || c.top < hs[k + 1].top));
    assert.ok(below.length > 0, `photos under ${h.key}`);
    for (const c of cs) assert.ok(c.top + c.height <= h.top + 1 || c.top >= h.bottom - 1, `${c.name} does not overlap header ${h.key}`);
  }
  // 2023-08-03 has seven photos: with the columns at 1400 px they fill one row and start another,
  // and the next day starts a row of its own.
  const aug2 = cs.find((c) => c.name === 'img_0010.jpg')!;
  const aug3 = cs.filter((c) => NEWEST_FIRST.slice(0, 7).includes(c.name));
  assert.ok(aug2.top > Math.max(...aug3.map((c) => c.top)), 'a new day starts a new row');
  assert.equal(aug2.left, cs[0].left, 'at the left edge');

  // Names are written under each thumbnail, visible without hovering, and not over the picture.
  const caption = page.locator('[data-testid=photo]').first().locator('[data-testid=caption]');
  assert.equal(await caption.textContent(), 'IMG_0017.jpg');
  const cap = await caption.evaluate((el) => {
    const img = el.parentElement!.querySelector('img')!.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return { opacity: getComputedStyle(el).opacity, capTop: r.top, imgBottom: img.bottom, overflow: el.scrollWidth > el.clientWidth + 1 };
  });
  assert.equal(cap.opacity, '1');
  assert.ok(cap.capTop >= cap.imgBottom - 0.5, `caption under the picture (${cap.capTop} >= ${cap.imgBottom})`);
  assert.match((await caption.getAttribute('title')) ?? '', /2023/, 'the date taken in its tooltip');
  const fileDated = page.locator('[data-testid=photo][aria-label="scan-1998.png"] [data-testid=caption]');
  assert.match((await fileDated.getAttribute('title')) ?? '', /file date/, 'a photo without EXIF says its date is the file’s');
  await shot('01-date-sections');

  // Arrow keys cross the day headers: from the first photo of 2023-08-02, Up goes to the last row of 2023-08-03.
  await page.locator('[role=grid]').focus();
  await page.keyboard.press('Home');
  for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('.cell.focused').getAttribute('aria-label'), 'img_0010.jpg');
  await page.keyboard.press('ArrowUp');
  const up = await page.locator('.cell.focused').getAttribute('aria-label');
  assert.ok(NEWEST_FIRST.slice(0, 7).includes(up!), `Up from the next day lands on 2023-08-03 (${up})`);
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('.cell.focused').getAttribute('aria-label'), 'img_0010.jpg', 'and Down comes back');

  // Months instead of days.
  await page.locator('[data-testid=grid-group]').selectOption('month');
  await page.waitForFunction(() => document.querySelector('[data-testid=date-section]')?.getAttribute('data-key') === '2023-08');
  assert.deepEqual(
    (await headers()).map((h) => [h.key, h.text]),
    [
      ['2023-08', 'August 2023'],
      ['2023-07', 'July 2023'],
      ['2021-01', 'January 2021'],
      ['2019-01', 'January 2019'],
    ],
  );
  await shot('02-month-sections');
  // Oldest first: the order button reverses, the headers follow.
  await page.locator('[data-testid=grid-order]').click();
  await gridShows([...NEWEST_FIRST].reverse(), 'oldest first');
  assert.equal((await page.locator('[data-testid=grid-order]').textContent())?.trim(), 'Oldest first');
  assert.deepEqual(
    (await headers()).map((h) => h.key),
    ['2019-01', '2021-01', '2023-07', '2023-08'],
  );
  await page.locator('[data-testid=grid-order]').click();
  await page.locator('[data-testid=grid-group]').selectOption('day');
});

test('sort by name, size and type; no date headers in those orders', async () => {
  const byName = [...NEWEST_FIRST].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  await page.locator('[data-testid=grid-sort]').selectOption('name');
  await gridShows(byName, 'names A to Z, case ignored');
  assert.equal(await page.locator('[data-testid=date-section]').count(), 0, 'no date headers in name order');
  assert.equal((await page.locator('[data-testid=grid-order]').textContent())?.trim(), 'A to Z');
  await shot('03-sorted-by-name');
  await page.locator('[data-testid=grid-order]').click();
  await gridShows([...byName].reverse(), 'names Z to A');

  await page.locator('[data-testid=grid-sort]').selectOption('size');
  const sizes = made.map((m) => ({ name: path.basename(m.path), bytes: fs.statSync(m.path).size })).sort((a, b) => b.bytes - a.bytes);
  await page.waitForFunction(() => document.querySelector('[data-testid=grid-order]')?.textContent?.trim() === 'Largest first');
  await gridShows(
    sizes.map((s) => s.name),
    'largest first (by bytes on disk)',
  );

  await page.locator('[data-testid=grid-sort]').selectOption('type');
  const ext = (n: string) => n.slice(n.lastIndexOf('.') + 1).toLowerCase();
  await page.waitForFunction(() => document.querySelector('[data-testid=grid-order]')?.textContent?.trim() === 'A to Z');
  await gridShows(
    [...NEWEST_FIRST].sort((a, b) => ext(a).localeCompare(ext(b)) || a.toLowerCase().localeCompare(b.toLowerCase())),
    'by type: jpg, png, webp, each by name',
  );
  // The choice is kept for the next visit.
  await page.reload();
  await page.locator(`[data-testid=folder][data-path="${holiday}"] button.item`).click();
  assert.equal(await page.locator('[data-testid=grid-sort]').inputValue(), 'type');
  await page.locator('[data-testid=grid-sort]').selectOption('taken');
  await gridShows(NEWEST_FIRST, 'back to date taken, newest first');
});

test('search file names; the thumbnail size control', async () => {
  const search = page.locator('[data-testid=grid-search]');
  await search.fill('img_00');
  await gridShows(
    NEWEST_FIRST.filter((n) => n.toLowerCase().includes('img_00')),
    'names containing img_00, any case',
  );
  assert.match((await page.locator('[data-testid=grid-count]').textContent()) ?? '', /9 photos named “img_00”/);
  await shot('04-search');
  await search.fill('SCAN');
  await gridShows(['scan-2001.webp', 'scan-1998.png'], 'case ignored');
  await search.fill('trip');
  await page.locator('[data-testid=search-empty]').waitFor();
  assert.match((await page.locator('[data-testid=search-empty]').textContent()) ?? '', /No file names contain “trip”/, 'folders are not searched');
  await page.locator('[data-testid=search-empty] button').click();
  await gridShows(NEWEST_FIRST, 'cleared');

  const row = async () => {
    const cs = await cells();
    return { columns: cs.filter((c) => c.top === cs[0].top).length, width: cs[0].width };
  };
  await page.locator('[data-testid=grid-size]').fill('170');
  await page.waitForFunction(() => (document.querySelector('[data-testid=photo]')?.getBoundingClientRect().width ?? 0) >= 170);
  const before = await row();
  await page.locator('[data-testid=grid-size]').fill('96');
  await page.waitForFunction((n) => {
    const els = Array.from(document.querySelectorAll('[data-testid=photo]'));
    const top = els[0]?.getBoundingClientRect().top;
    return els.filter((e) => e.getBoundingClientRect().top === top).length > n;
  }, before.columns);
  const small = await row();
  await shot('05-small-thumbnails');
  await page.locator('[data-testid=grid-size]').fill('320');
  await page.waitForFunction((w) => (document.querySelector('[data-testid=photo]')?.getBoundingClientRect().width ?? 0) > w, before.width);
  const large = await row();
  await shot('06-large-thumbnails');
  assert.ok(small.columns > before.columns && before.columns > large.columns, `columns ${small.columns} > ${before.columns} > ${large.columns}`);
  assert.ok(small.width < before.width && before.width < large.width, `cell ${small.width} < ${before.width} < ${large.width} px`);
  await page.locator('[data-testid=grid-size]').fill('120');
});

test('at 390 x 844 the grid tools wrap onto lines of their own, nothing leaves the screen or overflows', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=photo]').length > 0);
    const problems = await page.evaluate(() => {
      const out: string[] = [];
      const tools = document.querySelector('.grid-tools')!;
      for (const el of [tools, ...Array.from(tools.querySelectorAll('*')), ...Array.from(document.querySelectorAll('[data-testid=photo], [data-testid=date-section], [data-testid=caption]'))]) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        if (r.left < -0.5 || r.right > innerWidth + 0.5) out.push(`${el.tagName}.${el.className} leaves the screen: ${r.left}..${r.right}`);
        const h = el as HTMLElement;
        const ellipsis = getComputedStyle(h).textOverflow === 'ellipsis';
        if (!ellipsis && h.scrollWidth > h.clientWidth + 1 && getComputedStyle(h).overflowX !== 'visible') out.push(`${el.tagName}.${el.className} overflows its box`);
      }
      return out;
    });
    assert.deepEqual(problems, []);
    const tools = await page.locator('.grid-tools').boundingBox();
    assert.ok(tools && tools.height < 140, `the tools take ${tools?.height} px, not the screen`);
    await shot('09-phone-390');
  } finally {
    await page.setViewportSize({ width: 1400, height: 900 });
  }
});

test('the folder tree: subfolders in natural, case-insensitive order; one lists only its photos', async () => {
  const folder = page.locator(`[data-testid=folder][data-path="${holiday}"]`);
  await folder.locator('[data-testid=folder-tree-toggle]').click();
  const subs = () => folder.locator('[data-testid=folder-tree] > li[data-testid=subfolder]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-path'), Number(e.getAttribute('data-photos'))]));
  assert.deepEqual(await subs(), [
    [path.join(holiday, 'archive'), 2],
    [path.join(holiday, 'Trip 9'), 3],
    [path.join(holiday, 'Trip 10'), 9],
    [path.join(holiday, 'Zoo'), 2],
  ]);
  // archive has a subfolder of its own, closed until opened.
  const archive = folder.locator(`[data-testid=subfolder][data-path="${path.join(holiday, 'archive')}"]`);
  await archive.getByRole('button', { name: 'Open archive' }).click();
  await archive.locator(`[data-testid=subfolder][data-path="${path.join(holiday, 'archive', 'old')}"]`).waitFor();

  await folder.locator(`[data-testid=subfolder][data-path="${path.join(holiday, 'Trip 9')}"] button.sub`).click();
  await gridShows(['sunset.jpg', 'Dunes.jpg', 'Beach.jpg'], 'only Trip 9, newest first');
  assert.match((await page.locator('[data-testid=grid-under]').textContent()) ?? '', /In Trip 9/);
  assert.equal(await page.locator('.view-header h1').textContent(), path.join(holiday, 'Trip 9'));
  await shot('07-folder-tree');
  await archive.locator('button.sub').first().click();
  await gridShows(['scan-2001.webp', 'scan-1998.png'], 'a subfolder includes its own subfolders');
  // The chip's × (or the folder itself) goes back to the whole folder.
  await page.locator('[data-testid=grid-under] button').click();
  await gridShows(NEWEST_FIRST, 'the whole folder again');
  await folder.locator(`[data-testid=subfolder][data-path="${path.join(holiday, 'Zoo')}"] button.sub`).click();
  await gridShows(['Tiger.jpg', 'lion.jpg'], 'Zoo');
  await folder.locator('button.item').first().click();
  await gridShows(NEWEST_FIRST, 'the folder row lists the whole folder');
});

test('a long library (6,000 photos over six years): the date scrubber, still virtualized', async () => {
  // Rows written into a real index, pointing at the photos made above (the grid never reads
  // their words), each with a date taken: 3 to 4 photos a day over six years.
  const db = path.join(tmp, 'long.db');
  const dir = path.join(tmp, 'long');
  fs.mkdirSync(dir);
  const lib = await Library.open(db, { provider: 'cpu', autoIndex: false, watch: false });
  const store = lib.engineForTools.store;
  const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
  const empty = { terms: new Uint32Array(0), tfs: new Float32Array(0) };
  const N = 6000;
  const first = Date.UTC(2018, 0, 1, 9);
  const span = Date.UTC(2023, 11, 31, 18) - first;
  store.transaction(() => {
    for (let i = 0; i < N; i++) {
      const src = made[i % made.length].path;
      const file = path.join(dir, `P${String(i).padStart(5, '0')}${path.extname(src)}`);
      fs.symlinkSync(src, file);
      const st = fs.statSync(file);
      store.putIndexed({ path: file, size: st.size, mtimeMs: st.mtimeMs, width: 240, height: 180, taken: first + Math.floor((span * i) / N), takenFrom: 'exif' }, grid, empty);
    }
    store.addFolder(dir);
  });
  await lib.close();
  const url = await startServe(db);
  await page.goto(url);
  await page.locator('[data-testid=photo]').nth(10).waitFor();
  const scrubber = page.locator('[data-testid=date-scrubber]');
  await scrubber.waitFor();
  assert.deepEqual(await page.locator('[data-testid=scrubber-year]').allTextContents(), ['2023', '2022', '2021', '2020', '2019', '2018'], 'years down the track, newest at the top');
  const inDom = () => page.evaluate(() => ({ cells: document.querySelectorAll('[data-testid=photo], .cell').length, headers: document.querySelectorAll('[data-testid=date-section]').length }));
  const firstHeader = async () => (await headers()).find((h) => h.bottom > 0)?.key ?? '';
  assert.match(await firstHeader(), /^2023-12/);

  // Press half way down the track: the grid goes to the middle of the list (early 2021).
  const t = (await scrubber.boundingBox())!;
  await page.mouse.move(t.x + t.width / 2, t.y + t.height / 2);
  await page.mouse.down();
  await page.locator('[data-testid=scrubber-bubble]').waitFor();
  const bubble = (await page.locator('[data-testid=scrubber-bubble]').textContent())!.trim();
  await page.mouse.up();
  await page.waitForFunction(() => {
    const g = document.querySelector('[role=grid]') as HTMLElement;
    return g.scrollTop > g.scrollHeight / 3;
  });
  await page.waitForTimeout(300);
  const mid = await page.evaluate(() => {
    const g = document.querySelector('[role=grid]') as HTMLElement;
    return g.scrollTop / (g.scrollHeight - g.clientHeight);
  });
  assert.ok(Math.abs(mid - 0.5) < 0.02, `scrolled to the middle (${mid.toFixed(3)})`);
  const at = await firstHeader();
  assert.match(at, /^202[01]-/, `the middle of 2018-2023 (${at})`);
  assert.match(bubble, /20(20|21)/, `the bubble names the month under the pointer (${bubble})`);
  await page.mouse.move(t.x + t.width / 2, t.y + t.height * 0.75);
  await page.locator('[data-testid=scrubber-bubble]').waitFor();
  await shot('08-date-scrubber');
  // The same in the dark palette (the system's preference): headers, names and scrubber in its colours.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(200);
  // (No named functions inside evaluate: tsx would wrap them in a __name() the page lacks.)
  const dark = await page.evaluate(() => ({
    header: getComputedStyle(document.querySelector('[data-testid=date-section]')!).color,
    caption: getComputedStyle(document.querySelector('[data-testid=caption]')!).color,
    bg: getComputedStyle(document.body).backgroundColor,
  }));
  const luminance = (c: string) => {
    const [r, g, b] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  assert.ok(luminance(dark.bg) < 80 && luminance(dark.header) > 150 && luminance(dark.caption) > 120, `light text on a dark page (${JSON.stringify(dark)})`);
  await shot('10-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  const dom = await inDom();
  assert.ok(dom.cells < 200 && dom.headers < 40, `only what is on screen is in the DOM (${dom.cells} cells, ${dom.headers} headers)`);

  // Keys: Page Down goes a year further back.
  await scrubber.focus();
  const year = Number(at.slice(0, 4));
  await page.keyboard.press('PageDown');
  await page.waitForTimeout(300);
  assert.equal(Number((await firstHeader()).slice(0, 4)), year - 1, 'Page Down: the year before');
  // A new thumbnail size keeps the photo at the top of the screen there.
  const topIndex = () =>
    page.evaluate(() => {
      const g = (document.querySelector('[role=grid]') as HTMLElement).getBoundingClientRect();
      const els = (Array.from(document.querySelectorAll('[data-testid=photo]')) as HTMLElement[]).filter((e) => e.getBoundingClientRect().top >= g.top - 1);
      els.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top || a.getBoundingClientRect().left - b.getBoundingClientRect().left);
      return Number(els[0].id.split('-').pop());
    });
  const beforeSize = await topIndex();
  await page.locator('[data-testid=grid-size]').fill('300');
  await page.waitForTimeout(500);
  const afterSize = await topIndex();
  assert.ok(Math.abs(afterSize - beforeSize) <= 12, `the photo at the top stays there (#${beforeSize} -> #${afterSize})`);
  await scrubber.focus();
  await page.keyboard.press('End');
  await page.waitForFunction(() => {
    const g = document.querySelector('[role=grid]') as HTMLElement;
    return g.scrollTop + g.clientHeight >= g.scrollHeight - 2;
  });
  // The last page comes from the server once the scroll lands there.
  await page.locator('[data-testid=photo][aria-label="P00000.jpg"]').waitFor({ timeout: 15_000 });
  const lastBox = (await page.locator('[data-testid=photo][aria-label="P00000.jpg"]').boundingBox())!;
  assert.ok(lastBox.y + lastBox.height <= 900, 'the oldest photo is at the end, on screen');
  assert.equal(serveLog.includes('[page error]'), false, serveLog);
});
