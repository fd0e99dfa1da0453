// The hard-negative benchmark's forms (20 scans of one form filled in differently, one re-save):
// every pair's local differences at both scales, to see which pairs the check leaves together
// and which third form lets a pair through as "two edits of one photo". Run
// npm run bench:hard-negatives first.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeForModel } from '../../src/core/analysis/decode/decode.js';
import { greyOfPixels, localChange, localLook, LOCAL, LOCAL_FINE, twoShots, type LocalLook } from '../../src/core/duplicates/local.js';

const dir = path.join(os.tmpdir(), 'photowords-bench-hard-negatives', 'photos');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.startsWith('form_'))
  .sort();
const looks: LocalLook[] = [];
for (const f of files) {
  const img = await decodeForModel(fs.readFileSync(path.join(dir, f)), 299);
  looks.push(localLook(greyOfPixels(img.pixels), img.width, img.height));
}
const two = files.map(() => files.map(() => false));
for (let i = 0; i < files.length; i++) {
  for (let j = i + 1; j < files.length; j++) {
    const c = localChange(looks[i].coarse, looks[j].coarse, LOCAL);
    const f = localChange(looks[i].fine, looks[j].fine, LOCAL_FINE);
    two[i][j] = two[j][i] = twoShots(looks[i], looks[j]);
    if (!two[i][j]) console.log(`together ${files[i]} ${files[j]} coarse ${c.cells}/${c.balance.toFixed(2)} fine ${f.cells}/${f.balance.toFixed(2)}`);
  }
}
console.log(`pairs left together: ${two.flat().filter((x) => !x).length / 2 - files.length / 2}`);
// Order matters a little (tones are matched onto the first photo's ranks): both orders of each pair.
let asym = 0;
for (let i = 0; i < files.length; i++) {
  for (let j = 0; j < files.length; j++) {
    if (i === j || twoShots(looks[i], looks[j]) === twoShots(looks[j], looks[i])) continue;
    asym++;
    if (i < j) console.log(`order decides ${files[i]} ${files[j]}: ${twoShots(looks[i], looks[j])} one way, ${twoShots(looks[j], looks[i])} the other`);
  }
}
console.log(`pairs whose verdict depends on the order: ${asym / 2}`);
