// How long the multi-index hash lookup takes at 100,000 hashes (uniform random: the probe cost,
// not the candidates, which depend on the real distribution).
import { HashIndex } from '../../src/core/duplicates/hash-index.js';
import { mulberry32 } from '../../src/core/common/random.js';
const rand = mulberry32(1);
const u32 = () => Math.floor(rand() * 2 ** 32) >>> 0;
for (const n of [10000, 100000]) {
  const hashes = Array.from({ length: n }, () => ({ hi: u32(), lo: u32() }));
  let t = performance.now();
  const index = new HashIndex(hashes);
  const build = performance.now() - t;
  for (const d of [11, 15, 16]) {
    t = performance.now();
    let found = 0;
    for (const h of hashes) index.near(h, d, () => found++);
    console.log(`${n} hashes: build ${build.toFixed(0)} ms; all within ${d} bits: ${(performance.now() - t).toFixed(0)} ms, ${found} found`);
  }
}
