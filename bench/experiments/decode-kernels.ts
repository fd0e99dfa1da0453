// CPU cost of decoding a photo for the model, by resize kernel, measured one at a time (so wall
// time is CPU time): what the pipeline spends beside the model on each photo.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { discoverDataset } from '../../src/core/eval/suite.js';
import { targetShape } from '../../src/core/analysis/decode/decode.js';

sharp.concurrency(1);
const all = discoverDataset(path.resolve('../shared/datasets')).map((x) => x.path);
const files = Array.from({ length: 300 }, (_, i) => all[Math.floor((i * all.length) / 300)]);
const bufs = files.map((f) => fs.readFileSync(f));
for (const kernel of ['lanczos3', 'mitchell', 'cubic', 'linear', 'nearest'] as const) {
  for (const meta of [true, false]) {
    const t = performance.now();
    for (const b of bufs) {
      let w = 0,
        h = 0;
      if (meta) ({ width: w, height: h } = await sharp(b).metadata());
      else {
        w = 500;
        h = 375;
      }
      const s = targetShape(w, h, 299, { minSide: 75 });
      await sharp(b, { autoOrient: true }).flatten({ background: '#ffffff' }).toColourspace('srgb').resize(s.width, s.height, { fit: 'fill', kernel }).removeAlpha().raw().toBuffer();
    }
    console.log(kernel, meta ? 'with metadata' : 'no metadata', ((performance.now() - t) / bufs.length).toFixed(2), 'ms/photo');
  }
}
