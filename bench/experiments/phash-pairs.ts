// Perceptual-hash distances between the dev set's photos (9.5M pairs): how often different photos
// lie within d bits, plain and after a flip or quarter turn, and the closest pairs to look at.
//   npx tsx bench/experiments/phash-pairs.ts
import { loadDevSet } from '../devset.js';
import { decodeForModel, readImageFile } from '../../src/core/analysis/decode/decode.js';
import { hashOf, hamming, lowFrequencyDct, dihedralHashes } from '../../src/core/analysis/phash.js';
const dev = loadDevSet();
const hs = [];
const ts = [];
for (const d of dev.docs) {
  const img = await decodeForModel((await readImageFile(d.path)).buffer, 299);
  const c = lowFrequencyDct(img.pixels, img.width, img.height);
  hs.push(hashOf(c));
  ts.push(dihedralHashes(c));
}
const hist = new Array(65).fill(0);
const histT = new Array(65).fill(0);
const low: string[] = [];
for (let i = 0; i < hs.length; i++)
  for (let j = i + 1; j < hs.length; j++) {
    const d = hamming(hs[i], hs[j]);
    hist[d]++;
    if (d <= 3) low.push(`${d} ${dev.docs[i].path} ${dev.docs[j].path}`);
    let m = 64;
    for (let t = 1; t < 8; t++) m = Math.min(m, hamming(ts[i][t], hs[j]));
    histT[m]++;
  }
let cum = 0,
  cumT = 0;
const pairs = (hs.length * (hs.length - 1)) / 2;
for (let d = 0; d <= 20; d++) {
  cum += hist[d];
  cumT += histT[d];
  console.log(d, hist[d], 'cum', cum, 'rate', (cum / pairs).toExponential(2), '| turned cum', cumT);
}
console.log(low.slice(0, 200).join('\n'));
