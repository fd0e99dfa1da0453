// Turned camera JPEGs keep libjpeg's DCT scaling (src/core/analysis/decode/jpeg-scale.ts) and give exactly the
// pixels of sharp's own autoOrient, which resizes before it turns, for all eight orientations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeForModel, targetShape } from '../../src/core/analysis/decode/decode.js';
import { turnedForShrinkOnLoad } from '../../src/core/analysis/decode/jpeg-scale.js';

const flowers = path.resolve('../shared/datasets/flowers17/c05');
const src = path.join(flowers, fs.readdirSync(flowers).sort()[0]);

test('turnedForShrinkOnLoad: turned or mirrored, and at least 4x the model shape on both axes', () => {
  const shape = targetShape(3000, 4000, 299);
  assert.equal(turnedForShrinkOnLoad(4000, 3000, 6, shape), true);
  assert.equal(turnedForShrinkOnLoad(4000, 3000, 1, shape), false, 'orientation 1 keeps decode.ts path');
  assert.equal(turnedForShrinkOnLoad(4000, 3000, 2, targetShape(4000, 3000, 299)), true);
  const small = targetShape(750, 1000, 299);
  assert.equal(turnedForShrinkOnLoad(1000, 750, 6, small), false, 'under 4x: no shrink-on-load to keep');
});

test('camera-size JPEG, orientations 1-8: the pixels of sharp autoOrient (resize, then turn)', { timeout: 60_000 }, async () => {
  // Stored landscape 2400 x 1800: 8x the model side, where sharp decodes at 1/4.
  const stored = await sharp(src).resize(2400, 1800, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  for (let orientation = 1; orientation <= 8; orientation++) {
    const jpeg = await sharp(stored).withMetadata({ orientation }).jpeg({ quality: 90 }).toBuffer();
    const turned = orientation >= 5;
    const shape = targetShape(turned ? 1800 : 2400, turned ? 2400 : 1800, 299);
    const want = await sharp(jpeg, { autoOrient: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(shape.width, shape.height, { fit: 'fill', kernel: 'linear' })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer();
    const got = await decodeForModel(jpeg, 299);
    assert.deepEqual([got.width, got.height], [shape.width, shape.height], `orientation ${orientation}: shape`);
    assert.equal(Buffer.compare(Buffer.from(got.pixels), want), 0, `orientation ${orientation}: pixels`);
  }
});
