// Dates taken, the grid's orders, file-name search, subfolders and the folder tree (issue 19 B).
// Real photos (flowers17) given EXIF dates with sharp, a real index, the model on the CPU for the
// indexing test; an older index (photos stored without dates, as before schema 8) for the
// background fill.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Library } from '../../src/core/library/library.js';
import { exifTaken, localWallClock, parseExifDate, takenOf } from '../../src/core/analysis/taken.js';
import { naturalKey } from '../../src/core/browse/photolist.js';

const FLOWERS = path.resolve('../shared/datasets/flowers17');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-dates-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const flowers = fs
  .readdirSync(FLOWERS)
  .sort()
  .map((c) => path.join(FLOWERS, c, fs.readdirSync(path.join(FLOWERS, c)).sort()[0]));

/** A real photo re-encoded, with these EXIF tags in the Exif IFD (none: no EXIF at all). */
async function photo(file: string, src: string, exif?: Record<string, string>, mtime?: Date): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(src).resize(200).jpeg({ quality: 80 });
  await (exif ? img.withExif({ IFD2: exif }) : img).toFile(file);
  if (mtime) fs.utimesSync(file, mtime, mtime);
  return file;
}

test('EXIF dates are read as the camera wrote them (no time zone), else the file time marked as such', async () => {
  assert.equal(parseExifDate('2024:05:03 23:30:10'), Date.UTC(2024, 4, 3, 23, 30, 10));
  assert.equal(parseExifDate('2024-05-03T23:30:10+09:00'), Date.UTC(2024, 4, 3, 23, 30, 10), 'an offset is not applied: the wall clock is kept');
  for (const bad of ['0000:00:00 00:00:00', '    :  :     :  :  ', '2024:02:30 10:00:00', '2024:13:01 10:00:00', '', 'yesterday']) {
    assert.equal(parseExifDate(bad), undefined, JSON.stringify(bad));
  }
  const original = await photo(path.join(tmp, 'exif', 'original.jpg'), flowers[0], { DateTimeOriginal: '2019:07:14 06:05:04', DateTimeDigitized: '2020:01:01 00:00:00' });
  const created = await photo(path.join(tmp, 'exif', 'created.jpg'), flowers[1], { DateTimeDigitized: '2018:12:31 23:59:58' });
  const zeroed = await photo(path.join(tmp, 'exif', 'zeroed.jpg'), flowers[2], { DateTimeOriginal: '0000:00:00 00:00:00' }, new Date(2021, 2, 4, 5, 6, 7));
  const none = await photo(path.join(tmp, 'exif', 'none.jpg'), flowers[3], undefined, new Date(2022, 8, 9, 10, 11, 12));
  assert.deepEqual(await takenOf(original, 0), { taken: Date.UTC(2019, 6, 14, 6, 5, 4), from: 'exif' }, 'DateTimeOriginal first');
  assert.deepEqual(await takenOf(fs.readFileSync(created), 0), { taken: Date.UTC(2018, 11, 31, 23, 59, 58), from: 'exif' }, 'else CreateDate (DateTimeDigitized, tag 0x9004), from bytes too');
  const z = fs.statSync(zeroed);
  assert.deepEqual(await takenOf(zeroed, z.mtimeMs), { taken: Date.UTC(2021, 2, 4, 5, 6, 7), from: 'mtime' }, 'a zeroed EXIF date falls back to the file time, in local wall clock');
  const n = fs.statSync(none);
  assert.deepEqual(await takenOf(none, n.mtimeMs), { taken: localWallClock(n.mtimeMs), from: 'mtime' });
  assert.equal(await exifTaken(path.join(tmp, 'exif', 'missing.jpg')), undefined, 'a missing file is no EXIF date, not an error');
  assert.equal(await exifTaken(Buffer.from('not a photo at all')), undefined);
});

test('names sort as in a file manager: case ignored, numbers by value', () => {
  const names = ['IMG_10.jpg', 'img_2.jpg', 'IMG_1.jpg', 'Beach.JPG', 'beach.jpg', 'scan 100.png', 'scan 20.png', 'DSC007.jpg', 'DSC7b.jpg', 'DSC06.jpg'];
  const sorted = [...names].sort((a, b) => (naturalKey(a) < naturalKey(b) ? -1 : naturalKey(a) > naturalKey(b) ? 1 : 0));
  assert.deepEqual(sorted, ['Beach.JPG', 'beach.jpg', 'DSC06.jpg', 'DSC007.jpg', 'DSC7b.jpg', 'IMG_1.jpg', 'img_2.jpg', 'IMG_10.jpg', 'scan 20.png', 'scan 100.png']);
});

test('indexing stores the date taken; listPhotos sorts by it (newest first), by name, size and type, searches names, lists a subfolder; photoDates and listSubfolders', async () => {
  const root = path.join(tmp, 'Library');
  // Folder names chosen to catch binary and non-natural orders: "b" after "Z", "10" before "9".
  const made = [
    await photo(path.join(root, 'Trip 10', 'IMG_0002.jpg'), flowers[4], { DateTimeOriginal: '2023:08:02 09:00:00' }),
    await photo(path.join(root, 'Trip 10', 'img_0010.jpg'), flowers[5], { DateTimeOriginal: '2023:08:02 18:30:00' }),
    await photo(path.join(root, 'Trip 9', 'Beach.JPG'), flowers[6], { DateTimeOriginal: '2023:07:30 12:00:00' }),
    await photo(path.join(root, 'archive', 'old', 'scan.png'), flowers[7]),
    await photo(path.join(root, 'Zoo', 'lion.jpg'), flowers[8], { DateTimeOriginal: '2021:01:15 08:00:00' }),
    await photo(path.join(root, 'top.webp'), flowers[9], undefined, new Date(2020, 5, 1, 12, 0, 0)),
  ];
  // Re-encode two as other types (the type sort reads the extension).
  await sharp(flowers[7]).resize(200).png().toFile(made[3]);
  fs.utimesSync(made[3], new Date(2019, 0, 2, 3, 4, 5), new Date(2019, 0, 2, 3, 4, 5));
  await sharp(flowers[9]).resize(200).webp().toFile(made[5]);
  fs.utimesSync(made[5], new Date(2020, 5, 1, 12, 0, 0), new Date(2020, 5, 1, 12, 0, 0));
  // An uppercase and a lowercase library folder beside it: listed in reading order, not "Z" before "a".
  const lower = path.join(tmp, 'aardvark');
  await photo(path.join(lower, 'a.jpg'), flowers[10], { DateTimeOriginal: '2010:01:01 00:00:00' });

  const library = await Library.open(path.join(tmp, 'index.db'), { provider: 'cpu', watch: false });
  try {
    const top = await library.addFolder(root);
    const other = await library.addFolder(lower);
    await library.whenIdle();
    assert.deepEqual(
      (await library.listFolders()).map((f) => f.path),
      [lower, root],
      'library folders in case-insensitive order',
    );

    const names = async (q: object) => (await library.listPhotos({ offset: 0, limit: 100, folderId: top.id, ...q })).items.map((p) => p.name);
    const page = await library.listPhotos({ offset: 0, limit: 100, folderId: top.id });
    assert.equal(page.total, 6);
    assert.deepEqual(
      page.items.map((p) => [p.name, p.taken, p.takenFrom]),
      [
        ['img_0010.jpg', '2023-08-02T18:30:00', 'exif'],
        ['IMG_0002.jpg', '2023-08-02T09:00:00', 'exif'],
        ['Beach.JPG', '2023-07-30T12:00:00', 'exif'],
        ['lion.jpg', '2021-01-15T08:00:00', 'exif'],
        ['top.webp', '2020-06-01T12:00:00', 'mtime'],
        ['scan.png', '2019-01-02T03:04:05', 'mtime'],
      ],
      'newest first by date taken; file times in local wall clock',
    );
    for (const p of page.items) assert.equal(p.bytes, fs.statSync(p.path).size, `${p.name}: bytes as on disk`);
    assert.deepEqual(await names({ order: 'asc' }), ['scan.png', 'top.webp', 'lion.jpg', 'Beach.JPG', 'IMG_0002.jpg', 'img_0010.jpg']);
    assert.deepEqual(await names({ sort: 'name' }), ['Beach.JPG', 'IMG_0002.jpg', 'img_0010.jpg', 'lion.jpg', 'scan.png', 'top.webp'], 'names ignoring case');
    assert.deepEqual((await names({ sort: 'name', order: 'desc' })).at(0), 'top.webp');
    const bySize = (await library.listPhotos({ offset: 0, limit: 100, folderId: top.id, sort: 'size' })).items.map((p) => p.bytes!);
    assert.deepEqual(
      bySize,
      [...bySize].sort((a, b) => b - a),
      'largest first',
    );
    assert.deepEqual(await names({ sort: 'type' }), ['Beach.JPG', 'IMG_0002.jpg', 'img_0010.jpg', 'lion.jpg', 'scan.png', 'top.webp'], 'jpg (any case), png, webp');
    assert.deepEqual(await names({ search: 'img_' }), ['img_0010.jpg', 'IMG_0002.jpg'], 'name search ignores case');
    assert.deepEqual(await names({ search: 'trip' }), [], 'the search is on file names, not folders');
    assert.deepEqual(await names({ under: path.join(root, 'Trip 10') }), ['img_0010.jpg', 'IMG_0002.jpg']);
    assert.deepEqual(await names({ under: path.join(root, 'archive') }), ['scan.png'], 'a subfolder includes its own subfolders');
    assert.equal((await library.listPhotos({ offset: 0, limit: 100 })).total, 7, 'all folders');
    assert.deepEqual(
      (await library.listPhotos({ offset: 0, limit: 100, under: path.join(root, 'Zoo') })).items.map((p) => p.name),
      ['lion.jpg'],
      'under without a folder id: any library folder',
    );
    // Pages tile the listing with no photo twice or missing, whatever the order.
    for (const sort of ['taken', 'name', 'size', 'type'] as const) {
      const whole = (await library.listPhotos({ offset: 0, limit: 100, sort })).items.map((p) => p.id);
      const paged = [];
      for (let o = 0; o < 7; o += 2) paged.push(...(await library.listPhotos({ offset: o, limit: 2, sort })).items.map((p) => p.id));
      assert.deepEqual(paged, whole, `${sort}: pages of 2 make the whole list`);
    }

    // A name-ordered listing is kept between pages; a photo forgotten since is gone from the next one.
    const before = (await library.listPhotos({ offset: 0, limit: 100, folderId: top.id, sort: 'name' })).items.map((p) => p.name);
    library.engineForTools.store.remove(made[2]);
    const after = await library.listPhotos({ offset: 0, limit: 100, folderId: top.id, sort: 'name' });
    assert.deepEqual(
      after.items.map((p) => p.name),
      before.filter((n) => n !== 'Beach.JPG'),
    );
    assert.equal(after.total, 5);
    await library.resume(); // (not paused: a full reconcile) reads Beach.JPG back
    await library.whenIdle();
    assert.equal((await library.listPhotos({ offset: 0, limit: 100, folderId: top.id, sort: 'name' })).total, 6, 'and lists it again once it is back');

    const dates = await library.photoDates({ folderId: top.id });
    assert.deepEqual(dates, {
      total: 6,
      order: 'desc',
      days: [
        { day: '2023-08-02', count: 2 },
        { day: '2023-07-30', count: 1 },
        { day: '2021-01-15', count: 1 },
        { day: '2020-06-01', count: 1 },
        { day: '2019-01-02', count: 1 },
      ],
      months: [
        { month: '2023-08', count: 2 },
        { month: '2023-07', count: 1 },
        { month: '2021-01', count: 1 },
        { month: '2020-06', count: 1 },
        { month: '2019-01', count: 1 },
      ],
      undated: 0,
    });
    assert.deepEqual((await library.photoDates({ folderId: top.id, search: 'img', order: 'asc' })).days, [{ day: '2023-08-02', count: 2 }]);

    const tree = await library.listSubfolders(top.id);
    const shape = (n: { name: string; photos: number; children: unknown[] }): unknown => [n.name, n.photos, ...(n.children as (typeof n)[]).map(shape)];
    assert.deepEqual(shape(tree), ['Library', 6, ['archive', 1, ['old', 1]], ['Trip 9', 1], ['Trip 10', 2], ['Zoo', 1]], 'natural, case-insensitive order');
    assert.equal(tree.children[1].path, path.join(root, 'Trip 9'));
    assert.equal((await library.listSubfolders(other.id)).children.length, 0);

    // Bad queries are refused with a reason, never answered with something else.
    await assert.rejects(
      library.listPhotos({ offset: 0, limit: 10, sort: 'colour' as never }),
      (e: Error & { code?: string }) => e.code === 'bad-request' && /Unknown sort "colour"; choose one of taken, name, size, type/.test(e.message),
    );
    await assert.rejects(library.listPhotos({ offset: 0, limit: 10, order: 'up' as never }), /Unknown order "up"/);
    await assert.rejects(library.listPhotos({ offset: 0, limit: 10, search: 5 as never }), /as text/);
    await assert.rejects(library.listPhotos({ offset: 0, limit: 10, folderId: top.id, under: lower }), /is not a folder of/);
    await assert.rejects(library.listPhotos({ offset: 0, limit: 10, under: '/etc' }), /is not a folder of the library/);
    await assert.rejects(library.listPhotos({ offset: 0, limit: 10, under: 'Trip 9' }), /full path/);
    await assert.rejects(library.listSubfolders(9999), (e: Error & { code?: string }) => e.code === 'not-found');
  } finally {
    await library.close();
  }
});

test('an index from before dates were kept gets them in the background, and the grid is told', async () => {
  const dir = path.join(tmp, 'older');
  const files = [
    await photo(path.join(dir, 'a.jpg'), flowers[11], { DateTimeOriginal: '2015:03:03 03:03:03' }),
    await photo(path.join(dir, 'b.jpg'), flowers[12], undefined, new Date(2016, 3, 4, 5, 6, 7)),
  ];
  // Stored as an older build stored them: no date (taken NULL), as after the schema-8 migration.
  const db = path.join(tmp, 'older.db');
  const first = await Library.open(db, { provider: 'cpu', autoIndex: false, watch: false });
  const store = first.engineForTools.store;
  const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
  const empty = { terms: new Uint32Array(0), tfs: new Float32Array(0) };
  store.transaction(() => {
    for (const f of files) {
      const st = fs.statSync(f);
      store.putIndexed({ path: f, size: st.size, mtimeMs: st.mtimeMs, width: 200, height: 150 }, grid, empty);
    }
    store.addFolder(dir);
  });
  // The fill of this first open found nothing to do (it ran before the rows were written); close it.
  await first.close();

  const library = await Library.open(db, { provider: 'cpu', autoIndex: false, watch: false });
  try {
    let told = 0;
    library.onEvent((e) => {
      if (e.type === 'library') told++;
    });
    const deadline = Date.now() + 30_000;
    let items;
    do {
      items = (await library.listPhotos({ offset: 0, limit: 10 })).items;
      if (items.every((p) => p.taken)) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    assert.deepEqual(
      items.map((p) => [p.name, p.taken, p.takenFrom]),
      [
        ['b.jpg', '2016-04-04T05:06:07', 'mtime'],
        ['a.jpg', '2015-03-03T03:03:03', 'exif'],
      ],
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(told >= 1, 'the library event tells open windows to redraw');
    assert.equal((await library.photoDates({})).undated, 0);
  } finally {
    await library.close();
  }
});
