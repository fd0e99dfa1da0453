// Fingerprint sanity: distances of edits to their originals, and of the dihedral hashes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodeForModel } from '../../src/core/analysis/decode/decode.js';
import { lowFrequencyDct, hashOf, hamming, dihedralHashes, TRANSFORMS } from '../../src/core/analysis/phash.js';
const WORK = path.join(os.homedir(), '.cache', 'photowords', 'bench-duplicates');
const { photos } = JSON.parse(fs.readFileSync(path.join(WORK, 'manifest.json'), 'utf8')) as { photos: { file: string; family: number | null; kind: string; cls: string }[] };
const fp = async (buf: Buffer) => {
  const d = await decodeForModel(buf, 299);
  return lowFrequencyDct(d.pixels, d.width, d.height);
};
const t0 = performance.now();
const coeffs = [];
for (const p of photos) coeffs.push(await fp(fs.readFileSync(path.join(WORK, 'photos', p.file))));
console.log('decode+fp ms/photo', ((performance.now() - t0) / photos.length).toFixed(2));
const t1 = performance.now();
for (const _c of coeffs) lowFrequencyDct(new Uint8Array(299 * 224 * 3), 299, 224);
console.log('fp only ms/photo', ((performance.now() - t1) / photos.length).toFixed(3));
const hashes = coeffs.map(hashOf);
const byKind: Record<string, number[]> = {};
photos.forEach((p, i) => {
  if (p.family === null || p.kind === 'original') return;
  const o = photos.findIndex((q) => q.family === p.family && q.kind === 'original');
  (byKind[p.kind] ??= []).push(hamming(hashes[i], hashes[o]));
});
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
for (const [k, d] of Object.entries(byKind)) console.log(k, 'median', q(d, 0.5), 'p90', q(d, 0.9), 'max', q(d, 1));
// non-family distances
const nf: number[] = [];
for (let i = 0; i < photos.length; i++) for (let j = i + 1; j < photos.length; j++) if (photos[i].family === null || photos[i].family !== photos[j].family) nf.push(hamming(hashes[i], hashes[j]));
console.log('non-family: min', q(nf, 0), 'p0.0001', q(nf, 0.0001), 'p0.001', q(nf, 0.001), 'p0.01', q(nf, 0.01), 'median', q(nf, 0.5));
// dihedral: real transforms of 20 originals
const origs = photos.filter((p) => p.kind === 'original').slice(0, 20);
const ops: Record<string, (s: ReturnType<typeof sharp>) => ReturnType<typeof sharp>> = {
  mirror: (s) => s.flop(),
  flip: (s) => s.flip(),
  rot180: (s) => s.rotate(180),
  rot90: (s) => s.rotate(90),
  rot270: (s) => s.rotate(270),
  transpose: (s) => s.rotate(90).flop(),
  transverse: (s) => s.rotate(270).flop(),
};
for (const [name, op] of Object.entries(ops)) {
  const ds: number[] = [];
  const raw: number[] = [];
  for (const o of origs) {
    const src = path.join(WORK, 'photos', o.file);
    const c0 = await fp(fs.readFileSync(src));
    const c1 = await fp(await op(sharp(src)).jpeg({ quality: 90 }).toBuffer());
    const h = dihedralHashes(c0)[TRANSFORMS.indexOf(name as never)];
    ds.push(hamming(h, hashOf(c1)));
    raw.push(hamming(hashOf(c0), hashOf(c1)));
  }
  console.log(name, 'via transform: median', q(ds, 0.5), 'max', q(ds, 1), '| plain hash: median', q(raw, 0.5));
}
