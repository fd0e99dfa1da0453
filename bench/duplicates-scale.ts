// How duplicate finding grows with the library (issue 5): findDuplicates over real SQLite indexes
// of 10,000 and 100,000 synthetic photos, timed by stage. A benchmark, not a test (minutes).
//
//   npm run bench:duplicates-scale [-- --sizes 10000,100000 --json]
//
// Synthetic photos follow the real distributions, never uniform noise:
// - visual words: bench/synthetic.ts mix() of two real dev-set bags (its terms, counts and df);
// - perceptual hash: each 16-bit quarter taken from a different real dev-set photo's hash, so the
//   lookup tables (hashindex.ts) fill as a real library's would;
// - 1 photo in 100 is planted as a near copy of an earlier one (15% of its words dropped, 3 bits
//   of its hash flipped), so grouping has real work and the found share is a sanity check.
// Needs the dev set's eval cache (photowords eval ../shared/datasets, once).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDevSet } from './devset.js';
import { mix } from './synthetic.js';
import { decodeForModel, readImageFile } from '../src/core/analysis/decode/decode.js';
import { findDuplicates } from '../src/core/duplicates/find.js';
import { hashOf, lowFrequencyDct, type Hash64 } from '../src/core/analysis/phash.js';
import { mulberry32 } from '../src/core/common/random.js';
import { IndexStore } from '../src/core/index/store.js';
import type { Bag } from '../src/core/common/types.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SIZES = opt('sizes', '10000,100000').split(',').map(Number);
const log = (s: string) => process.stderr.write(s + '\n');

/** Coefficients whose hash (phash.ts hashOf) is `h`: +1 where a bit is set, -1 where not. */
function coeffsFor(h: Hash64): Float32Array {
  const c = new Float32Array(64);
  for (let i = 0; i < 32; i++) {
    c[i] = (h.lo >>> i) & 1 ? 1 : -1;
    c[i + 32] = (h.hi >>> i) & 1 ? 1 : -1;
  }
  return c;
}

function dropTerms(b: Bag, share: number, rand: () => number): Bag {
  const keep = Array.from(b.terms.keys()).filter(() => rand() >= share);
  return { terms: Uint32Array.from(keep, (i) => b.terms[i]), tfs: Float32Array.from(keep, (i) => b.tfs[i]) };
}

function flipBits(h: Hash64, bits: number, rand: () => number): Hash64 {
  let { hi, lo } = h;
  for (let b = 0; b < bits; b++) {
    const k = Math.floor(rand() * 64);
    if (k < 32) lo = (lo ^ (1 << k)) >>> 0;
    else hi = (hi ^ (1 << (k - 32))) >>> 0;
  }
  return { hi, lo };
}

async function main() {
  const dev = loadDevSet();
  const bags = dev.docs.map((d) => d.bag);
  log(`${bags.length} real bags; hashing the dev set's photos ...`);
  const hashes: Hash64[] = [];
  for (const d of dev.docs) {
    const img = await decodeForModel((await readImageFile(d.path)).buffer, 299);
    hashes.push(hashOf(lowFrequencyDct(img.pixels, img.width, img.height)));
  }
  const results: Record<string, unknown>[] = [];
  for (const size of SIZES) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-dupscale-'));
    try {
      const db = path.join(dir, 'index.db');
      const store = IndexStore.open(db, { fingerprint: 'bench-duplicates-scale', settings: { resolution: 299 } });
      const rand = mulberry32(11);
      const made: { bag: Bag; hash: Hash64 }[] = [];
      let planted = 0;
      const grid = { heads: 1, height: 1, width: 1, codes: 1, tokens: new Uint16Array(1) };
      let t = performance.now();
      for (let start = 0; start < size; start += 1000) {
        store.transaction(() => {
          for (let i = start; i < Math.min(size, start + 1000); i++) {
            let bag: Bag;
            let hash: Hash64;
            if (i % 100 === 99 && made.length > 0) {
              const src = made[Math.floor(rand() * made.length)];
              bag = dropTerms(src.bag, 0.15, rand);
              hash = flipBits(src.hash, 3, rand);
              planted++;
            } else {
              bag = mix(bags[Math.floor(rand() * bags.length)], bags[Math.floor(rand() * bags.length)], rand);
              const q = () => hashes[Math.floor(rand() * hashes.length)];
              const [a, b, c, d] = [q(), q(), q(), q()];
              hash = { lo: ((a.lo & 0xffff) | (b.lo & 0xffff0000)) >>> 0, hi: ((c.hi & 0xffff) | (d.hi & 0xffff0000)) >>> 0 };
            }
            if (made.length < 20000) made.push({ bag, hash });
            store.putIndexed({ path: `/synthetic/${i}.jpg`, size: 1_000_000 + i, mtimeMs: 0, hash: null, width: 640, height: 480 }, grid, bag, coeffsFor(hash));
          }
        });
      }
      const fillSeconds = (performance.now() - t) / 1000;
      log(`  ${size} photos stored in ${fillSeconds.toFixed(0)} s; finding duplicates ...`);
      const rss0 = process.memoryUsage().rss;
      t = performance.now();
      const r = await findDuplicates(store, { exif: false });
      const seconds = (performance.now() - t) / 1000;
      const inGroups = r.groups.reduce((n, g) => n + g.members.length, 0);
      const row = {
        photos: size,
        seconds: Number(seconds.toFixed(1)),
        msPerPhoto: Number(((seconds * 1000) / size).toFixed(2)),
        timingsSeconds: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k.replace(/Ms$/, ''), Number((v / 1000).toFixed(1))])),
        rssGrowthMB: Math.round((process.memoryUsage().rss - rss0) / 2 ** 20),
        planted,
        groups: r.groups.length,
        photosInGroups: inGroups,
        pairs: r.pairs,
      };
      results.push(row);
      log(`  ${JSON.stringify(row)}`);
      store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (args.includes('--json')) console.log(JSON.stringify(results, null, 1));
  else {
    console.log('| photos | total s | ms a photo | query index s | perceptual-hash lookup s | visual-word queries s | groups s | planted copies | groups found |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results as { photos: number; seconds: number; msPerPhoto: number; timingsSeconds: Record<string, number>; planted: number; groups: number }[]) {
      const t = r.timingsSeconds;
      console.log(`| ${r.photos.toLocaleString('en')} | ${r.seconds} | ${r.msPerPhoto} | ${t.snapshot} | ${t.phash} | ${t.words} | ${t.groups} | ${r.planted} | ${r.groups} |`);
    }
  }
}

await main();
