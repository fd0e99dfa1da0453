// Every photo a phone or camera writes (issue 17): HEIC/HIF through libheif, RAW through the
// largest preview exiftool finds, BMP, cut-off JPEGs, each read right or failed with a reason,
// and never with another file's pixels. Real camera files from test/fixtures/camera-samples
// (README there: sources and licences), dataset photos, real SQLite files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/core/library/engine.js';
import { decodeForModel, loadForModel, readImageFile } from '../../src/core/analysis/decode/decode.js';
import { decodeHeif } from '../../src/core/analysis/decode/heic.js';
import { photoSource } from '../../src/core/analysis/decode/source.js';
import { ThumbnailCache } from '../../src/core/browse/thumbnails.js';
import { closeRawReader } from '../../src/core/analysis/decode/raw.js';
import { closeHeicThread } from '../../src/core/analysis/decode/heic-worker.js';
import { tiffWithPreview } from '../fixtures/rawfile.js';

const SAMPLES = path.resolve('test/fixtures/camera-samples');
const FLOWERS = path.resolve('../shared/datasets/flowers17');
const sample = (name: string) => path.join(SAMPLES, name);
const flower = (cls: string, i: number) => path.join(FLOWERS, cls, fs.readdirSync(path.join(FLOWERS, cls)).sort()[i]);

/** Mean absolute difference of two RGB images of one size, 0-255. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

test.after(async () => {
  await closeRawReader();
  await closeHeicThread();
});

test('HEIC/HIF: the iPhone grid image is turned by its irot, its 320 x 240 thumbnail item stands for it at the model side, and 10-bit Canon HIF decodes', { timeout: 120_000 }, async () => {
  const iphone = fs.readFileSync(sample('apple-iphone-xr-orientation6-grid.heic'));
  const t0 = performance.now();
  const full = decodeHeif(iphone, Infinity);
  const fullMs = performance.now() - t0;
  const t1 = performance.now();
  const thumb = decodeHeif(iphone, 299);
  const thumbMs = performance.now() - t1;
  // A 4032 x 3024 sensor picture held upright: portrait once irot is applied, on both paths.
  assert.deepEqual([full.width, full.height, full.fromThumbnail], [3024, 4032, false]);
  assert.deepEqual([thumb.width, thumb.height, thumb.fromThumbnail], [240, 320, true]);
  assert.deepEqual([thumb.fullWidth, thumb.fullHeight], [3024, 4032]);
  // Both show the same picture: at 240 x 320 they agree to a few levels.
  const small = async (img: { pixels: Uint8Array; width: number; height: number }) =>
    new Uint8Array(
      await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
        .resize(60, 80, { fit: 'fill' })
        .raw()
        .toBuffer(),
    );
  const d = meanDiff(await small(full), await small(thumb));
  assert.ok(d < 10, `thumbnail and full picture agree (mean difference ${d.toFixed(1)})`);
  console.log(`iPhone HEIC 12 MP: full decode ${fullMs.toFixed(0)} ms, thumbnail item ${thumbMs.toFixed(0)} ms; mean difference ${d.toFixed(1)}`);

  const canon = await loadForModel(sample('canon-eos-r5-10bit-grid.hif'), 299);
  assert.deepEqual([canon.srcWidth, canon.srcHeight, canon.width], [2400, 1600, 299]);
  // This sample is a nearly black frame (Debian's native heif-convert shows the same): its 10-bit
  // tiles come out dark, with some texture, not as an error or one flat value.
  const mean = canon.pixels.reduce((a, b) => a + b, 0) / canon.pixels.length;
  assert.ok(mean < 30 && new Set(canon.pixels).size > 4, `a dark frame (mean ${mean.toFixed(1)}, ${new Set(canon.pixels).size} values)`);
});

test("HEIC decoding leaves the engine's thread free: the event loop answers while a 50 MP HIF is decoded", { timeout: 120_000 }, async () => {
  const file = sample('sony-ilce-1-grid-stub.hif');
  const f = await readImageFile(file);
  await photoSource(sample('nikon-d5300-converted-single.heic'), await readImageFile(sample('nikon-d5300-converted-single.heic')), 299); // starts the thread
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const t = performance.now();
  const src = await photoSource(file, f, Infinity);
  const ms = performance.now() - t;
  lag.disable();
  assert.ok(!Buffer.isBuffer(src.input) && src.fullWidth === 8640, 'the full 8640 x 5760 picture was decoded');
  const maxLag = lag.max / 1e6;
  assert.ok(maxLag < ms / 4, `the event loop waited at most ${maxLag.toFixed(0)} ms during a ${ms.toFixed(0)} ms decode`);
  console.log(`8640 x 5760 HIF decoded in ${ms.toFixed(0)} ms off the thread; event loop delay at most ${maxLag.toFixed(0)} ms`);
});

test('RAW: previews by exiftool, the RAW orientation applied, the largest preview chosen, and the reasons when there is none', { timeout: 120_000 }, async () => {
  const cr3 = await loadForModel(sample('canon-eos-r6-pruned.cr3'), 299);
  assert.deepEqual([cr3.srcWidth, cr3.srcHeight, cr3.note], [1620, 1080, undefined], 'the 1620 x 1080 PRVW preview, not the 160 x 120 thumbnail');
  const nef = await loadForModel(sample('nikon-d70s-stripped.nef'), 299);
  assert.deepEqual([nef.srcWidth, nef.srcHeight], [425, 640]);
  // A cut-off ARW: its preview lies past the end; the thumbnail is read, turned by Orientation 6.
  const arw = await loadForModel(sample('sony-zv-e10-truncated-100k.arw'), 299);
  assert.deepEqual([arw.srcWidth, arw.srcHeight], [120, 160]);
  assert.match(arw.note ?? '', /read from its embedded 120 x 160 thumbnail/);

  const reasons: Record<string, RegExp> = {
    'gopro-fusion-back.gpr': /camera RAW \(GPR\) with no embedded preview/,
    'sigma-sd10-stub.x3f': /camera RAW \(X3F\) with no embedded preview/,
    'leaf-credo-40-stub.iiq': /only embedded preview is 1 x 1 pixels/,
    'panasonic-dmc-lx3-stub.rw2': /only embedded preview is 8 x 8 pixels/,
    'minolta-dimage-a2-stub.mrw': /camera RAW \(MRW\) whose embedded previews cannot be decoded/,
    // Its IFD0 declares a 4032 x 3024 preview at the file's very end: the stub kept none of it.
    'apple-iphone-12-pro-proraw-stub.dng': /camera RAW \(DNG\) with no embedded preview/,
    'olympus-header-only-128b.orf': /camera RAW \(ORF\) with no embedded preview/,
  };
  for (const [name, reason] of Object.entries(reasons)) {
    await assert.rejects(loadForModel(sample(name), 299), (e: { reason?: string }) => {
      assert.match(e.reason ?? '', reason, name);
      return true;
    });
  }

  // Orientation from the RAW, applied to a preview stored as the sensor saw it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-rawo-'));
  try {
    const jpeg = await sharp(flower('c02', 0)).resize(400, 300, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    for (const orientation of [1, 3, 6, 8]) {
      const file = path.join(dir, `turned-${orientation}.dng`);
      fs.writeFileSync(file, tiffWithPreview(jpeg, { orientation }));
      const got = await loadForModel(file, 299);
      // What sharp shows for the same JPEG carrying that orientation itself.
      const want = await decodeForModel(await sharp(jpeg).withMetadata({ orientation }).jpeg({ quality: 100 }).toBuffer(), 299);
      assert.deepEqual([got.srcWidth, got.srcHeight], [want.srcWidth, want.srcHeight], `orientation ${orientation}`);
      assert.ok(meanDiff(got.pixels, want.pixels) < 4, `orientation ${orientation}: same picture (${meanDiff(got.pixels, want.pixels).toFixed(2)})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('BMP and cut-off JPEGs: a BMP reads as its PNG twin; a JPEG with 80% of its bytes is indexed from the part read with a note, one with 30% fails with the share', { timeout: 60_000 }, async () => {
  const src = flower('c03', 1);
  const { data, info } = await sharp(src).resize(300, 220, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const bmp = createRequire(import.meta.url)('bmp-js') as { encode(img: { data: Buffer; width: number; height: number }): { data: Buffer } };
  const abgr = Buffer.alloc(info.width * info.height * 4);
  for (let i = 0; i < info.width * info.height; i++) {
    abgr[i * 4] = 255;
    abgr[i * 4 + 1] = data[i * 3 + 2];
    abgr[i * 4 + 2] = data[i * 3 + 1];
    abgr[i * 4 + 3] = data[i * 3];
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-fmt-'));
  try {
    const bmpFile = path.join(dir, 'scan.bmp');
    fs.writeFileSync(bmpFile, bmp.encode({ data: abgr, width: info.width, height: info.height }).data);
    const png = await decodeForModel(await sharp(data, { raw: info }).png().toBuffer(), 299);
    const fromBmp = await loadForModel(bmpFile, 299);
    assert.deepEqual([fromBmp.srcWidth, fromBmp.srcHeight], [300, 220]);
    // Within the two resamplers' difference (resample.ts for decoded pixels, libvips for the PNG).
    assert.ok(meanDiff(fromBmp.pixels, png.pixels) < 3, `BMP = PNG (${meanDiff(fromBmp.pixels, png.pixels).toFixed(2)})`);

    const jpeg = await sharp(src).resize(1600, 1200, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    const whole = await decodeForModel(jpeg, 299);
    const cut80 = await decodeForModel(jpeg.subarray(0, Math.floor(jpeg.length * 0.8)), 299);
    assert.match(cut80.note ?? '', /^cut-off file: the bottom \d+% of the picture is missing/);
    assert.deepEqual([cut80.srcWidth, cut80.srcHeight], [1600, 1200], "the file's own size");
    assert.ok(cut80.height < whole.height, 'only the rows read are used');
    // The rows that were read are the picture's top rows.
    const top = (img: { pixels: Uint8Array; width: number }, rows: number) => img.pixels.subarray(0, rows * img.width * 3);
    const rows = Math.floor(cut80.height * 0.8);
    assert.ok(meanDiff(top(cut80, rows).subarray(0, 299 * 3 * 10), top(whole, rows).subarray(0, 299 * 3 * 10)) < 12, 'the first rows match the whole photo');
    await assert.rejects(decodeForModel(jpeg.subarray(0, Math.floor(jpeg.length * 0.3)), 299), (e: { reason?: string; code?: string }) => {
      assert.equal(e.code, 'corrupt');
      assert.match(e.reason ?? '', /^truncated JPEG: only \d+% of the picture is in the file \(photos are indexed from 70%\)/);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "Stubs never take another photo's words or thumbnail: a 368-byte RW2, the 3.4 KB IIQ, a cut-off RAW and a RAW without a preview, indexed twice beside real photos",
  { timeout: 300_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-stub-'));
    const lib = path.join(dir, 'photos');
    fs.mkdirSync(lib);
    try {
      const preview = await sharp(flower('c07', 0)).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 88 }).toBuffer();
      const raw = tiffWithPreview(preview);
      fs.writeFileSync(path.join(lib, 'DSC_0001.NEF'), raw);
      await sharp(flower('c09', 0)).gif().toFile(path.join(lib, 'other.gif'));
      fs.copyFileSync(flower('c11', 0), path.join(lib, 'plain.jpg'));
      // A 368-byte RW2: a TIFF header whose IFD offsets point past the end of the file.
      const stub = Buffer.alloc(368, 0x41);
      stub.write('IIU\0', 0, 'latin1');
      stub.writeUInt32LE(0x10000, 4);
      fs.writeFileSync(path.join(lib, 'P1000001.RW2'), stub);
      fs.copyFileSync(sample('leaf-credo-40-stub.iiq'), path.join(lib, 'CF000001.IIQ'));
      // The same NEF cut in the middle of its preview.
      fs.writeFileSync(path.join(lib, 'DSC_0002.NEF'), raw.subarray(0, Math.floor(raw.length * 0.5)));
      fs.writeFileSync(path.join(lib, 'DSC_0003.NEF'), tiffWithPreview(Buffer.alloc(0)));

      const stubs = ['P1000001.RW2', 'CF000001.IIQ', 'DSC_0002.NEF', 'DSC_0003.NEF'];
      const real = ['DSC_0001.NEF', 'other.gif', 'plain.jpg'];
      const results: string[] = [];
      for (const round of [1, 2]) {
        const engine = await Engine.open(path.join(dir, 'index.db'), { provider: 'cpu', rebuild: round === 2 });
        try {
          await engine.index([lib]);
          const bags = new Map<string, string>();
          for (const name of real) {
            const rec = engine.store.getByPath(path.join(lib, name))!;
            assert.equal(rec.status, 'indexed', `${name}: ${rec.error}`);
            const bag = engine.store.getBag(rec.id)!;
            bags.set(Buffer.from(bag.terms.buffer, bag.terms.byteOffset, bag.terms.byteLength).toString('hex'), name);
          }
          for (const name of stubs) {
            const rec = engine.store.getByPath(path.join(lib, name))!;
            if (rec.status === 'failed') {
              assert.match(rec.error ?? '', /camera RAW|truncated|corrupt/, `${name} fails with a reason`);
              results.push(`round ${round} ${name}: failed: ${rec.error}`);
              continue;
            }
            // Indexed from what it holds: never the words of another file.
            const bag = engine.store.getBag(rec.id)!;
            const key = Buffer.from(bag.terms.buffer, bag.terms.byteOffset, bag.terms.byteLength).toString('hex');
            assert.equal(bags.get(key), undefined, `${name} has the words of ${bags.get(key)}`);
            results.push(`round ${round} ${name}: indexed ${rec.width}x${rec.height} ${rec.note ?? ''}`);
          }
        } finally {
          await engine.close();
        }
      }
      // The same outcome on both runs: nothing depends on leftover memory.
      assert.deepEqual(
        results.filter((r) => r.startsWith('round 1')).map((r) => r.slice(8)),
        results.filter((r) => r.startsWith('round 2')).map((r) => r.slice(8)),
      );
      console.log(results.join('\n'));

      // Thumbnails: a stub has none (an error), never another photo's picture.
      const thumbs = new ThumbnailCache(path.join(dir, 'thumbs'));
      for (const name of ['P1000001.RW2', 'CF000001.IIQ', 'DSC_0003.NEF']) {
        await assert.rejects(thumbs.get(path.join(lib, name), 160), `${name} has no thumbnail`);
      }
      const good = await sharp(await thumbs.get(path.join(lib, 'DSC_0001.NEF'), 160)).metadata();
      assert.deepEqual([good.width, good.height], [160, 120], "the NEF's thumbnail is its preview's");
      const f = await readImageFile(path.join(lib, 'DSC_0001.NEF'));
      const viaSource = await decodeForModel(await photoSource(path.join(lib, 'DSC_0001.NEF'), f, 299), 299);
      const direct = await decodeForModel(preview, 299);
      assert.ok(meanDiff(viaSource.pixels, direct.pixels) < 1, 'the NEF reads as its own preview');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
