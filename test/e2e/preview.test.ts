/// <reference lib="dom" />
// The large preview in a real browser (issue 19, A): a 3024 x 4032 phone photo fitted to a
// 1400 x 900 window and to a 390 x 844 phone, zoom (keys, wheel around the pointer, double-click,
// the buttons) and pan by dragging; next / previous by keys and buttons through the library grid
// (across the library's page boundary at 240 photos) and through a search's results; the info
// panel on a photo with EXIF written by sharp (date, camera, lens, exposure, pixels, bytes, type,
// path, place); a PNG with transparency on the checkerboard, with nothing of the app showing
// through. The library: one flowers17 class read in place and 172 photos made here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchPage, libraryIndexed, screenshot, spawnServe, stopServe } from './kit.js';

const FLOWERS = path.resolve('../shared/datasets/flowers17/c01');
const MADE = 170;

let tmp: string;
let photos: string;
let serve: ChildProcess;
let serveLog = '';
let url: string;
let browser: Browser;
let page: Page;
let iphone: string;
let transparent: string;
let total = 0;
let dupOriginal: string;
let dupCopies: string[];

const shot = (name: string) => screenshot(page, `ui19-A-${name}`);

type Box = { x: number; y: number; width: number; height: number };
const box = async (selector: string): Promise<Box> => {
  const b = await page.locator(selector).boundingBox();
  assert.ok(b, `${selector} is on screen`);
  return b;
};

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:web)');
  assert.ok(fs.existsSync(CHROMIUM), `chromium at ${CHROMIUM}`);
  assert.ok(fs.existsSync(FLOWERS), `${FLOWERS} (the shared datasets)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-preview-'));
  photos = path.join(tmp, 'photos');
  fs.mkdirSync(photos);

  // An iPhone-size photo with the EXIF a phone writes, and enough texture to be indexed as a photo.
  iphone = path.join(photos, 'IMG_4032.jpg');
  await sharp({ create: { width: 3024, height: 4032, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 50 } } })
    .blur(3)
    .tint({ r: 90, g: 140, b: 200 })
    .jpeg({ quality: 85 })
    .withExif({
      IFD0: { Make: 'Apple', Model: 'iPhone 12 Pro' },
      IFD2: {
        DateTimeOriginal: '2023:05:01 14:32:10',
        OffsetTimeOriginal: '+02:00',
        ExposureTime: '1/120',
        FNumber: '8/5',
        ISOSpeedRatings: '32',
        FocalLength: '21/5',
        LensModel: 'iPhone 12 Pro back triple camera 4.2mm f/1.6',
      },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2988/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4020/100', GPSAltitude: '35/1' },
    })
    .toFile(iphone);

  // A logo-like PNG: transparent except a red square and a blue bar.
  transparent = path.join(photos, 'logo-transparent.png');
  await sharp({ create: { width: 1200, height: 800, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([
      { input: { create: { width: 400, height: 400, channels: 4, background: { r: 220, g: 40, b: 30, alpha: 1 } } }, left: 400, top: 200 },
      { input: { create: { width: 1000, height: 60, channels: 4, background: { r: 30, g: 60, b: 200, alpha: 1 } } }, left: 100, top: 700 },
    ])
    .png()
    .toFile(transparent);

  // Enough photos that the library is more than one page (240) of the grid's fetches.
  for (let i = 0; i < MADE; i++) {
    await sharp({ create: { width: 480, height: 360, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 120, sigma: 40 + (i % 5) * 8 } } })
      .tint({ r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 })
      .jpeg({ quality: 80 })
      .toFile(path.join(photos, `made-${String(i).padStart(3, '0')}.jpg`));
  }
  // A duplicate group for the Duplicates view: a flower, a byte-for-byte copy and a smaller copy.
  dupOriginal = path.join(FLOWERS, fs.readdirSync(FLOWERS).sort()[4]);
  dupCopies = [path.join(photos, 'flower-copy.jpg'), path.join(photos, 'flower-smaller.jpg')];
  fs.copyFileSync(dupOriginal, dupCopies[0]);
  const meta = await sharp(dupOriginal).metadata();
  await sharp(dupOriginal)
    .resize(Math.round(meta.width * 0.6))
    .jpeg({ quality: 90 })
    .toFile(dupCopies[1]);
  total = MADE + 2 + dupCopies.length + fs.readdirSync(FLOWERS).length;

  const s = spawnServe(['--db', path.join(tmp, 'library.db'), '--roots', FLOWERS, '--roots', tmp], { onLog: (d) => (serveLog += d), log: () => serveLog });
  serve = s.child;
  url = await s.url;
  ({ browser, page } = await launchPage((m) => (serveLog += `\n[page error] ${m}`)));
  await page.goto(url);
  for (const folder of [photos, FLOWERS]) {
    await page.locator('[data-testid=add-folder-input]').fill(folder);
    await page.locator('[data-testid=add-folder-button]').click();
    await page.locator(`[data-testid=folder][data-path="${folder}"]`).waitFor();
  }
  await libraryIndexed(page, total);
});

after(async () => {
  await browser?.close();
  await stopServe(serve);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The library's order as the grid shows it: listPhotos page by page, over the page's own HTTP API. */
async function libraryOrder(): Promise<string[]> {
  return page.evaluate(async () => {
    const st = (await (await fetch('/api/auth/state')).json()) as { csrf: string };
    const out: string[] = [];
    for (let offset = 0; ; offset += 200) {
      const r = await fetch('/api/call/listPhotos', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-photowords-csrf': st.csrf },
        body: JSON.stringify([{ offset, limit: 200 }]),
      });
      const page = ((await r.json()) as { result: { total: number; items: { path: string }[] } }).result;
      out.push(...page.items.map((i) => i.path));
      if (out.length >= page.total || page.items.length === 0) return out;
    }
  });
}

/** Scrolls the library grid until the photo at `file` is drawn, and returns its cell. */
async function cellOf(file: string) {
  const cell = page.locator(`[data-testid=photo][data-path="${file}"]`);
  await page.waitForTimeout(100);
  if ((await cell.count()) === 0) await page.evaluate(() => ((document.querySelector('[role=grid]') as HTMLElement).scrollTop = 0));
  await page.waitForTimeout(100);
  for (let i = 0; i < 200 && (await cell.count()) === 0; i++) {
    await page.evaluate(() => {
      const grid = document.querySelector('[role=grid]') as HTMLElement;
      grid.scrollTop += grid.clientHeight * 0.8;
    });
    await page.waitForTimeout(60);
  }
  await cell.waitFor();
  return cell;
}

/** A test that failed part way may leave the preview open: each starts from the grid. */
async function closePreview(): Promise<void> {
  if ((await page.locator('[data-testid=preview]').count()) === 0) return;
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });
}

async function openFromLibrary(file: string): Promise<void> {
  await closePreview();
  await page.evaluate(() => {
    const grid = document.querySelector('[role=grid]') as HTMLElement;
    grid.scrollTop = 0;
  });
  await (await cellOf(file)).click();
  await previewShows(file);
}

/** The preview shows `file`, loaded and drawn. */
async function previewShows(file: string): Promise<void> {
  await page.locator('[data-testid=preview]').waitFor();
  await page.waitForFunction(
    (name) => {
      const img = document.querySelector('[data-testid=preview] img.photo') as HTMLImageElement | null;
      return !!img && img.alt === name && img.complete && img.naturalWidth > 0 && getComputedStyle(img).visibility === 'visible';
    },
    path.basename(file),
    { timeout: 30_000 },
  );
}

async function zoomOf(): Promise<{ zoom: number; fit: number }> {
  const el = page.locator('[data-testid=preview]');
  return { zoom: Number(await el.getAttribute('data-zoom')), fit: Number(await el.getAttribute('data-fit')) };
}

/** The photo lies inside the stage, keeps its 3:4 shape, and fills it in one direction. */
async function assertFits(label: string): Promise<{ img: Box; stage: Box }> {
  const stage = await box('[data-testid=preview-stage]');
  const img = await box('[data-testid=preview] img.photo');
  const vp = page.viewportSize()!;
  assert.ok(img.x >= stage.x - 0.5 && img.y >= stage.y - 0.5, `${label}: the photo starts inside the stage (${JSON.stringify(img)} in ${JSON.stringify(stage)})`);
  assert.ok(
    img.x + img.width <= stage.x + stage.width + 0.5 && img.y + img.height <= stage.y + stage.height + 0.5,
    `${label}: the photo ends inside the stage (${JSON.stringify(img)} in ${JSON.stringify(stage)})`,
  );
  assert.ok(img.x + img.width <= vp.width && img.y + img.height <= vp.height, `${label}: inside the window`);
  assert.ok(Math.abs(img.width / img.height - 3024 / 4032) < 0.01, `${label}: the 3:4 shape kept (${img.width} x ${img.height})`);
  const fills = Math.max(img.width / stage.width, img.height / stage.height);
  assert.ok(fills > 0.9, `${label}: fills the stage in one direction (${(fills * 100).toFixed(1)}%)`);
  const { zoom, fit } = await zoomOf();
  assert.ok(Math.abs(zoom - fit) < 1e-3 && Math.abs(img.width - 3024 * fit) < 1, `${label}: drawn at the fit scale ${fit}`);
  // Centred.
  assert.ok(Math.abs(img.x + img.width / 2 - (stage.x + stage.width / 2)) < 1 && Math.abs(img.y + img.height / 2 - (stage.y + stage.height / 2)) < 1, `${label}: centred`);
  return { img, stage };
}

/** Every element of the preview lies inside the window, and no button's text wraps. */
async function assertNothingCutOff(label: string): Promise<void> {
  const bad = await page.evaluate(() => {
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('[data-testid=preview] *')) as HTMLElement[]) {
      if (el.closest('.stage')) continue; // the photo itself may be zoomed past the window
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // nothing drawn (a <wbr>, an empty span)
      // The details panel scrolls: what is below its fold is reached by scrolling, not cut off;
      // the panel itself must lie in the window.
      const scroller = el.parentElement?.closest('.info') as HTMLElement | null;
      if (scroller) {
        const p = scroller.getBoundingClientRect();
        if (r.left < p.left - 0.5 || r.right > p.right + 0.5) out.push(`${el.tagName}.${el.className} ${JSON.stringify(r)} leaves the details panel sideways`);
        if (el.children.length === 0 && el.scrollWidth > el.clientWidth + 1) out.push(`${el.tagName}.${el.className} "${el.textContent}" overflows its box`);
        continue;
      }
      if (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5) out.push(`${el.tagName}.${el.className} ${JSON.stringify(r)} leaves the window`);
      if (el.tagName === 'BUTTON' && r.height > 40) out.push(`button "${el.textContent?.trim()}" wraps (${r.height}px tall)`);
      const s = getComputedStyle(el);
      const clipsByDesign = s.textOverflow === 'ellipsis';
      if (!clipsByDesign && el.children.length === 0 && el.scrollWidth > el.clientWidth + 1 && s.overflowX !== 'visible')
        out.push(`${el.tagName}.${el.className} "${el.textContent}" overflows its box`);
      if (!clipsByDesign && el.children.length === 0 && el.textContent && r.right > (el.parentElement?.getBoundingClientRect().right ?? vw) + 1)
        out.push(`${el.tagName}.${el.className} "${el.textContent}" runs out of its parent`);
    }
    return out;
  });
  assert.deepEqual(bad, [], `${label}: ${bad.join('; ')}`);
}

test('a 3024 x 4032 photo fits a 1400 x 900 window and a 390 x 844 phone; the backdrop hides the toolbar', async () => {
  await page.setViewportSize({ width: 1400, height: 900 });
  await openFromLibrary(iphone);
  const { img, stage } = await assertFits('1400 x 900');
  console.log(`1400 x 900: stage ${stage.width} x ${stage.height}, photo drawn ${img.width.toFixed(1)} x ${img.height.toFixed(1)}`);
  await assertNothingCutOff('1400 x 900');

  // Opaque: the toolbar's place is covered by the preview, and its colour has no transparency.
  const covered = await page.evaluate(() => {
    const pv = document.querySelector('[data-testid=preview]') as HTMLElement;
    const bg = getComputedStyle(pv).backgroundColor;
    const hit = document.elementFromPoint(window.innerWidth - 40, 18);
    return { bg, inPreview: !!hit && pv.contains(hit) };
  });
  assert.ok(covered.inPreview, 'the toolbar is under the preview');
  assert.match(covered.bg, /^rgb\(\d+, \d+, \d+\)$/, `an opaque backdrop (${covered.bg})`);
  await shot('fit-1400x900');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => (document.querySelector('[data-testid=preview-stage]') as HTMLElement).clientWidth <= 390);
  await page.waitForTimeout(100);
  const phone = await assertFits('390 x 844');
  console.log(`390 x 844: stage ${phone.stage.width} x ${phone.stage.height}, photo drawn ${phone.img.width.toFixed(1)} x ${phone.img.height.toFixed(1)}`);
  await assertNothingCutOff('390 x 844');
  await shot('fit-390x844');
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.waitForTimeout(100);
  await assertFits('back at 1400 x 900');
});

test('zoom: +, the wheel around the pointer, drag to pan, 1 for actual pixels, 0 to fit, double-click', async () => {
  const { fit } = await zoomOf();
  assert.ok(fit < 0.25, `a 12 MP photo is shown reduced (fit ${fit})`);
  await page.keyboard.press('+');
  assert.ok(Math.abs((await zoomOf()).zoom - fit * 1.5) < 1e-3, '+ zooms by 1.5');
  await page.locator('[data-testid=zoom-level]').waitFor();
  assert.equal(await page.locator('[data-testid=zoom-level]').innerText(), `${Math.round(fit * 150)}%`);

  // The wheel zooms around the pointer: the photo's point under it stays under it (once the photo
  // is larger than the stage both ways; a narrower photo stays centred across).
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  const stage = await box('[data-testid=preview-stage]');
  const mx = stage.x + stage.width * 0.35;
  const my = stage.y + stage.height * 0.4;
  const before = await box('[data-testid=preview] img.photo');
  const u0 = (mx - before.x) / before.width;
  const v0 = (my - before.y) / before.height;
  await page.mouse.move(mx, my);
  const z0 = (await zoomOf()).zoom;
  await page.mouse.wheel(0, -200);
  await page.waitForFunction((z) => Number(document.querySelector('[data-testid=preview]')!.getAttribute('data-zoom')) > z + 1e-3, z0);
  const after = await box('[data-testid=preview] img.photo');
  const u1 = (mx - after.x) / after.width;
  const v1 = (my - after.y) / after.height;
  assert.ok(after.width > before.width * 1.2, `the wheel zoomed in (${before.width.toFixed(0)} -> ${after.width.toFixed(0)} px)`);
  assert.ok(Math.abs(u1 - u0) < 0.003 && Math.abs(v1 - v0) < 0.003, `the point under the pointer stays (${u0.toFixed(4)},${v0.toFixed(4)} -> ${u1.toFixed(4)},${v1.toFixed(4)})`);

  // Drag pans by as much as the pointer moved (well inside the limits here), and closes nothing.
  await page.mouse.down();
  await page.mouse.move(mx - 60, my - 50, { steps: 5 });
  await page.mouse.up();
  const dragged = await box('[data-testid=preview] img.photo');
  assert.ok(
    Math.abs(dragged.x - (after.x - 60)) < 1.5 && Math.abs(dragged.y - (after.y - 50)) < 1.5,
    `dragged by (-60, -50): ${after.x.toFixed(1)},${after.y.toFixed(1)} -> ${dragged.x.toFixed(1)},${dragged.y.toFixed(1)}`,
  );
  assert.equal(await page.locator('[data-testid=preview]').count(), 1, 'a drag does not close the preview');
  await shot('zoomed-1400x900');

  await page.keyboard.press('1');
  const actual = await box('[data-testid=preview] img.photo');
  assert.ok(Math.abs(actual.width - 3024) < 1 && Math.abs(actual.height - 4032) < 1, `1: one photo pixel per CSS pixel (${actual.width} x ${actual.height})`);
  assert.equal(await page.locator('[data-testid=zoom-level]').innerText(), '100%');

  await page.keyboard.press('0');
  await assertFits('0 fits again');

  // Double-click: to 100% at that point, and back.
  await page.mouse.dblclick(stage.x + stage.width / 2, stage.y + stage.height / 2);
  assert.ok(Math.abs((await zoomOf()).zoom - 1) < 1e-3, 'double-click: 100%');
  await page.mouse.dblclick(stage.x + stage.width / 2, stage.y + stage.height / 2);
  await assertFits('double-click again fits');

  await page.locator('[data-testid=zoom-in]').click();
  await page.locator('[data-testid=zoom-in]').click();
  assert.ok(Math.abs((await zoomOf()).zoom - fit * 2.25) < 1e-3, 'the + button twice');
  await page.locator('[data-testid=zoom-out]').click();
  await page.locator('[data-testid=zoom-out]').click();
  await assertFits('the - button back to fit');
  assert.ok(await page.locator('[data-testid=zoom-out]').isDisabled(), 'nothing to zoom out of at fit');
});

test('the info panel: date taken, camera, lens, exposure, pixels, bytes, type, path, place', async () => {
  if ((await page.locator('[data-testid=preview] img.photo[alt="IMG_4032.jpg"]').count()) === 0) await openFromLibrary(iphone);
  await page.keyboard.press('i');
  const panel = page.locator('[data-testid=preview-info]');
  await panel.locator('[data-testid=info-camera]').waitFor();
  const value = async (key: string) => (await panel.locator(`[data-testid=info-${key}] .value`).innerText()).trim();
  const detail = async (key: string) => (await panel.locator(`[data-testid=info-${key}] .detail`).innerText()).trim();
  const size = fs.statSync(iphone).size;
  const seen = {
    taken: await value('taken'),
    takenDetail: await detail('taken'),
    camera: await value('camera'),
    lens: await value('lens'),
    exposure: await value('exposure'),
    pixels: await value('pixels'),
    megapixels: await detail('pixels'),
    bytes: await detail('bytes'),
    type: await value('type'),
    path: await value('path'),
    place: await value('place'),
    altitude: await detail('place'),
  };
  console.log('info panel:', JSON.stringify(seen));
  assert.deepEqual(seen, {
    taken: 'Mon, 1 May 2023, 14:32:10',
    takenDetail: 'camera clock at UTC+02:00',
    camera: 'Apple iPhone 12 Pro',
    lens: 'iPhone 12 Pro back triple camera 4.2mm f/1.6',
    exposure: '1/120\u00a0s · ƒ/1.6 · ISO\u00a032 · 4.2\u00a0mm',
    pixels: '3,024 × 4,032 pixels',
    megapixels: '12.2 MP',
    bytes: `${size.toLocaleString('en')} bytes`,
    type: 'JPEG',
    path: iphone,
    place: '48.858300° N, 2.294500° E',
    altitude: '35 m above sea level',
  });
  assert.match(await value('bytes'), /^\d+(\.\d)? (KB|MB)$/);
  // The photo still fits beside the panel.
  await page.waitForTimeout(100);
  const { stage } = await assertFits('beside the info panel');
  const info = await box('[data-testid=preview-info]');
  assert.ok(stage.x + stage.width <= info.x + 0.5, 'the stage ends where the panel starts');
  await assertNothingCutOff('info at 1400 x 900');
  await shot('info-1400x900');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(150);
  await assertFits('info at 390 x 844');
  const below = await box('[data-testid=preview-info]');
  const st = await box('[data-testid=preview-stage]');
  assert.ok(below.y >= st.y + st.height - 0.5, 'on a phone the details go under the photo');
  await assertNothingCutOff('info at 390 x 844');
  await shot('info-390x844');
  await page.setViewportSize({ width: 1400, height: 900 });

  // The panel stays open for the next photo and the next preview (remembered in this browser).
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });
  await openFromLibrary(transparent);
  await panel.locator('[data-testid=info-type]').waitFor();
  assert.equal(await value('type'), 'PNG with transparency');
  assert.equal(await value('pixels'), '1,200 × 800 pixels');
  assert.equal(await panel.locator('[data-testid=info-taken]').count(), 0, 'no date row for a file that has none');
  assert.match(await panel.locator('[data-testid=info-note]').innerText(), /says nothing about when/);
  await page.locator('[data-testid=preview-info-toggle]').click();
  await panel.waitFor({ state: 'detached' });
});

test('transparency lies on a neutral checkerboard; nothing of the grid shows through', async () => {
  await page.setViewportSize({ width: 1400, height: 900 });
  if ((await page.locator('[data-testid=preview] img.photo[alt="logo-transparent.png"]').count()) === 0) await openFromLibrary(transparent);
  if ((await page.locator('[data-testid=preview-info]').count()) > 0) await page.keyboard.press('i');
  await page.locator('[data-testid=preview-info]').waitFor({ state: 'detached' });
  await page.waitForTimeout(150);
  console.log(`PNG: stage ${JSON.stringify(await box('[data-testid=preview-stage]'))}, zoom ${JSON.stringify(await zoomOf())}`);
  const img = await box('[data-testid=preview] img.photo');
  const png = await page.screenshot({ clip: img });
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(Math.round(img.width), 1200, 'a 1200 x 800 PNG is drawn at 100% in 1400 x 900');
  // In the PNG's own pixels (drawn 1:1 here).
  const at = (x: number, y: number) => {
    const o = (Math.min(info.height - 1, y) * info.width + Math.min(info.width - 1, x)) * info.channels;
    return [data[o], data[o + 1], data[o + 2]];
  };
  // Transparent places, each in the middle of a checker square (8 px squares from the photo's
  // corner): only the checkerboard's two greys. The red square: red.
  const greys = new Set<number>();
  for (const [x, y] of [
    [20, 20],
    [1180, 36],
    [116, 500],
    [1140, 644],
    [604, 52],
    [356, 564],
    [44, 780],
  ]) {
    const [r, g, b] = at(x, y);
    assert.ok(Math.abs(r - g) <= 2 && Math.abs(g - b) <= 2, `(${x}, ${y}) is grey: ${r},${g},${b}`);
    assert.ok(Math.abs(r - 0xd9) <= 3 || Math.abs(r - 0xb3) <= 3, `(${x}, ${y}) is a checkerboard grey: ${r}`);
    greys.add(Math.abs(r - 0xd9) <= 3 ? 0xd9 : 0xb3);
  }
  assert.equal(greys.size, 2, 'both greys of the checkerboard show');
  const [r, g, b] = at(600, 400);
  assert.ok(r > 180 && g < 80 && b < 80, `the opaque square is red: ${r},${g},${b}`);
  await shot('transparent-png');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });
});

test('next / previous through the library by keys and buttons, across the page boundary at 240', async () => {
  await page.setViewportSize({ width: 1400, height: 900 });
  const order = await libraryOrder();
  assert.equal(order.length, total);
  const k = order.indexOf(iphone);
  assert.ok(k >= 0);
  await openFromLibrary(iphone);
  const position = page.locator('[data-testid=preview-position]');
  assert.equal(await position.innerText(), `${k + 1} of ${total}`);
  const name = () => page.locator('[data-testid=preview] img.photo').getAttribute('alt');

  const expectAt = async (i: number, how: string) => {
    await previewShows(order[i]);
    assert.equal(await name(), path.basename(order[i]), how);
    assert.equal(await position.innerText(), `${i + 1} of ${total}`, how);
  };
  let i = k;
  if (i + 1 < total) {
    await page.keyboard.press('ArrowRight');
    await expectAt(++i, '→');
  }
  if (i + 1 < total) {
    await page.locator('[data-testid=preview-next]').click();
    await expectAt(++i, 'the next button');
  }
  await page.locator('[data-testid=preview-prev]').click();
  await expectAt(--i, 'the previous button');
  await page.keyboard.press('ArrowLeft');
  await expectAt(--i, '←');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });

  // From the first photo: no previous; then step over the boundary between the grid's first and
  // second pages (photos 240 and 241) with the grid scrolled to the top.
  await page.evaluate(() => ((document.querySelector('[role=grid]') as HTMLElement).scrollTop = 0));
  await page.locator(`[data-testid=photo][data-path="${order[0]}"]`).click();
  await expectAt(0, 'the first photo');
  assert.equal(await page.locator('[data-testid=preview-prev]').count(), 0, 'no previous before the first photo');
  await page.keyboard.press('ArrowLeft');
  await expectAt(0, '← at the first photo stays');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });

  const from = 236;
  await (await cellOf(order[from])).click();
  await expectAt(from, 'opened near the end of the first page');
  for (let j = from + 1; j <= 243; j++) {
    await page.keyboard.press('ArrowRight');
    await expectAt(j, `→ to photo ${j + 1}`);
  }
  await shot('library-step-244');
  // The grid behind followed: closing leaves the last photo shown on screen.
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });
  const cell = page.locator(`[data-testid=photo][data-path="${order[243]}"]`);
  await cell.waitFor();
  const r = await cell.boundingBox();
  const g = await box('[role=grid]');
  assert.ok(r && r.y >= g.y - 1 && r.y + r.height <= g.y + g.height + 1, 'the grid shows the photo the preview ended on');
  assert.equal(await page.locator('[data-testid=photo].focused').getAttribute('data-path'), order[243], "and the keyboard's place is on it");

  // End and Home: the last and the first photo of the library (the last page fetched on the way).
  await (await cellOf(order[3])).click();
  await expectAt(3, 'opened at the fourth photo');
  await page.keyboard.press('End');
  await expectAt(total - 1, 'End: the last photo');
  await page.keyboard.press('Home');
  await expectAt(0, 'Home: the first photo');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });

  // At the last photo there is no next.
  await (await cellOf(order[total - 1])).click();
  await expectAt(total - 1, 'the last photo');
  assert.equal(await page.locator('[data-testid=preview-next]').count(), 0, 'no next after the last photo');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });
});

test("next / previous through a search's results", async () => {
  const flower = path.join(FLOWERS, fs.readdirSync(FLOWERS).sort()[0]);
  await closePreview();
  await (await cellOf(flower)).click({ button: 'right' });
  await page.locator('[data-testid=menu-find-similar]').click();
  await page.waitForFunction((p) => document.querySelector('[data-testid=similar-query]')?.getAttribute('data-path') === p, flower);
  await page.locator('[data-testid=similar-result]').nth(5).waitFor();
  const results = await page.locator('[data-testid=similar-result]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path') ?? ''));
  await page.locator('[data-testid=similar-result]').nth(2).click();
  await previewShows(results[2]);
  const position = page.locator('[data-testid=preview-position]');
  const n = await page.evaluate(() => document.querySelectorAll('[data-testid=similar-result]').length);
  assert.match(await position.innerText(), new RegExp(`^3 of \\d+$`));
  await page.keyboard.press('ArrowRight');
  await previewShows(results[3]);
  assert.match(await position.innerText(), /^4 of /);
  await page.locator('[data-testid=preview-next]').click();
  await previewShows(results[4]);
  await page.locator('[data-testid=preview-prev]').click();
  await previewShows(results[3]);
  await page.keyboard.press('ArrowLeft');
  await previewShows(results[2]);
  await shot('similar-step');
  // A finger's swipe: right to left is next, left to right is previous.
  const swipe = (from: number, to: number) =>
    page.evaluate(
      ([a, b]) => {
        const st = document.querySelector('[data-testid=preview-stage]') as HTMLElement;
        const r = st.getBoundingClientRect();
        // No named functions in here: tsx would wrap them in a helper the page does not have.
        for (const [type, f] of [
          ['pointerdown', a],
          ['pointermove', (a + b) / 2],
          ['pointerup', b],
        ] as const) {
          st.dispatchEvent(new PointerEvent(type, { pointerId: 41, pointerType: 'touch', isPrimary: true, bubbles: true, clientX: r.left + r.width * f, clientY: r.top + r.height / 2 }));
        }
      },
      [from, to],
    );
  await swipe(0.8, 0.3);
  await previewShows(results[3]);
  await swipe(0.3, 0.8);
  await previewShows(results[2]);
  console.log(`search results: ${n} drawn, stepped 3 -> 4 -> 5 -> 4 -> 3, swiped 3 -> 4 -> 3`);
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });
  assert.equal(await page.locator('[data-testid=similar-result].focused').getAttribute('data-path'), results[2], 'the focus is on the result last shown');
});

test('from a duplicates group: Compare opens the preview, which steps through the group; Escape goes back to Compare', async () => {
  await closePreview();
  await page.locator('[data-testid=nav-duplicates]').click();
  await page.locator('[data-testid=duplicates-view]').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=duplicates-view]')?.getAttribute('data-state') === 'done', undefined, { timeout: 180_000 });
  const group = page.locator('[data-testid=duplicate-group]').filter({ has: page.locator(`[data-testid=duplicate-member][data-path="${dupCopies[1]}"]`) });
  const members = ((await group.getAttribute('data-paths')) ?? '').split('\n').sort();
  assert.deepEqual(members, [dupOriginal, ...dupCopies].sort(), 'the flower and its two copies are one group');
  await group.locator('[data-testid=group-compare]').click();
  const overlay = page.locator('[data-testid=compare-overlay]');
  await overlay.waitFor();
  const right = overlay.locator('[data-testid=compare-pane]').nth(1);
  const rightPath = (await right.getAttribute('data-path'))!;
  await right.locator('[data-testid=compare-view]').click();
  await previewShows(rightPath);
  const position = page.locator('[data-testid=preview-position]');
  assert.match(await position.innerText(), /^[123] of 3$/);
  await shot('duplicates-preview');
  // To the group's first photo, then through all three.
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => document.querySelector('[data-testid=preview-position]')?.textContent === '1 of 3');
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await page.locator('[data-testid=preview-next]').click();
    await page.waitForFunction((want) => document.querySelector('[data-testid=preview-position]')?.textContent === want, `${i + 1} of 3`);
    const alt = (await page.locator('[data-testid=preview] img.photo').getAttribute('alt'))!;
    seen.push(alt);
    await previewShows(members.find((m) => path.basename(m) === alt)!);
  }
  assert.deepEqual(seen.sort(), members.map((m) => path.basename(m)).sort(), 'next walks the whole group');
  assert.equal(await page.locator('[data-testid=preview-next]').count(), 0, 'and stops at its end');
  // Escape closes the preview only: Compare is still there, with the focus, and its own Escape closes it.
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=preview]').waitFor({ state: 'detached' });
  assert.equal(await overlay.count(), 1, 'Compare is still open');
  await page.keyboard.press('Escape');
  await overlay.waitFor({ state: 'detached' });
});

test('photoInfo over HTTP: an unknown photo is 404 with a sentence, extra arguments 400', async () => {
  const call = (args: unknown[]) =>
    page.evaluate(async (a) => {
      const st = (await (await fetch('/api/auth/state')).json()) as { csrf: string };
      const r = await fetch('/api/call/photoInfo', { method: 'POST', headers: { 'content-type': 'application/json', 'x-photowords-csrf': st.csrf }, body: JSON.stringify(a) });
      return { status: r.status, body: (await r.json()) as { error?: { message: string; code: string } } };
    }, args);
  const unknown = await call([987654]);
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.body.error, { code: 'not-found', message: 'That photo is not in the library (any more).' });
  const extra = await call([1, 2]);
  assert.equal(extra.status, 400);
  assert.match(extra.body.error?.message ?? '', /photoInfo takes at most 1 argument/);
});
