// Camera RAW files (issue 7): indexed through the JPEG preview they embed, or listed as
// unsupported with that reason; a RAW and its JPEG sibling are related, never duplicates to trash.
// No camera RAW file ships with the datasets, so the test writes the structure RAW formats share
// (DNG, CR2, NEF, ARW are TIFF files; the preview sits in IFD1 behind JPEGInterchangeFormat)
// around a real photo's JPEG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/core/library/engine.js';
import { findDuplicates } from '../../src/core/duplicates/find.js';
import { tiffWithPreview } from '../fixtures/rawfile.js';

test('RAW: indexed through its embedded preview, grouped with its JPEG as related and protected; no preview: unsupported with a reason', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-raw-'));
  const lib = path.join(dir, 'photos');
  fs.mkdirSync(lib);
  try {
    const flowers = path.resolve('../shared/datasets/flowers17/c05');
    const src = path.join(flowers, fs.readdirSync(flowers).sort()[0]);
    // The camera's pair: the RAW (preview inside) and the JPEG it wrote beside it.
    fs.writeFileSync(path.join(lib, 'IMG_0042.DNG'), tiffWithPreview(await sharp(src).resize(400).jpeg({ quality: 85 }).toBuffer()));
    fs.copyFileSync(src, path.join(lib, 'IMG_0042.JPG'));
    // A RAW without a readable preview.
    fs.writeFileSync(path.join(lib, 'IMG_0043.NEF'), Buffer.from('MM\0*\0\0\0\x08 not a real raw file'));
    const caltech = path.resolve('../shared/datasets/caltech101/airplanes');
    for (const f of fs.readdirSync(caltech).sort().slice(0, 3)) fs.copyFileSync(path.join(caltech, f), path.join(lib, f));

    const engine = await Engine.open(path.join(dir, 'index.db'), { provider: 'cpu' });
    try {
      const report = await engine.index([lib]);
      const raw = engine.store.getByPath(path.join(lib, 'IMG_0042.DNG'))!;
      assert.equal(raw.status, 'indexed', `the DNG is indexed through its preview: ${raw.error}`);
      assert.equal(raw.width, 400, "the preview's size");
      const bad = engine.store.getByPath(path.join(lib, 'IMG_0043.NEF'))!;
      assert.equal(bad.status, 'failed');
      assert.match(bad.error ?? '', /camera RAW \(NEF\) with no embedded preview/);
      assert.ok(report.failures.some((f) => f.path.endsWith('IMG_0043.NEF')));

      const r = await findDuplicates(engine.store, { live: engine.liveIndex(), exif: false });
      const g = r.groups.find((x) => x.members.some((m) => m.path.endsWith('IMG_0042.DNG')));
      assert.ok(g, 'the RAW and its JPEG are one photo');
      assert.deepEqual(g.members.map((m) => path.basename(m.path)).sort(), ['IMG_0042.DNG', 'IMG_0042.JPG']);
      assert.deepEqual(
        g.related?.map((x) => x.kind),
        ['raw+jpeg'],
      );
      assert.ok(
        g.members.every((m) => m.protect === 'raw+jpeg pair'),
        'neither is offered for the trash',
      );
      console.log(
        `RAW: ${path.basename(raw.path)} indexed at ${raw.width}x${raw.height} from its preview; ${bad.error}; group: ${g.members.map((m) => `${path.basename(m.path)} (${m.protect})`).join(', ')}`,
      );
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
