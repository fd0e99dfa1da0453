// Cost of soft assignment (settings.softAssign): model-only speed of the VQ graph with and without
// its top-2 outputs, and words a photo / postings of soft bags, on a fixed sample of the dev set.
import path from 'node:path';
import { discoverDataset } from '../../src/core/eval/suite.js';
import { DEFAULT_SETTINGS } from '../../src/core/common/settings.js';
import { loadBackbone } from '../../src/core/library/engine.js';
import { codebookName, loadCodebook } from '../../src/core/analysis/model/codebook.js';
import { Tokenizer } from '../../src/core/analysis/model/tokenizer.js';
import { loadForModel } from '../../src/core/analysis/decode/decode.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';

const N = Number(process.env.N ?? 150);
const all = discoverDataset(path.resolve('/work/shared/datasets')).map((x) => x.path);
const files = Array.from({ length: N }, (_, i) => all[Math.floor((i * all.length) / N)]);
const backbone = await loadBackbone(DEFAULT_SETTINGS);
const { codebook } = loadCodebook(codebookName('inception_v3', 'mixed7', 8, 4096));
const imgs = [];
for (const f of files) imgs.push(await loadForModel(f, 299, { minSide: backbone.minSide }));
for (const top2 of [false, true, false, true]) {
  const tok = await Tokenizer.create(backbone, codebook, { provider: 'cpu', top2 });
  await tok.run([imgs[0]]);
  const t = performance.now();
  let words = 0;
  for (const img of imgs) {
    const [r] = await tok.run([img]);
    const ks = { kernel: 3, padding: 0, channel: false, collapse: true };
    words += bagFromGrid(r.grid, top2 ? { ...ks, soft: 0.25 } : ks).terms.length;
  }
  const s = (performance.now() - t) / 1000;
  console.log(`top2 ${top2}: model + bags ${(N / s).toFixed(1)} photos/s, ${(words / N).toFixed(0)} words a photo`);
  await tok.release();
}
