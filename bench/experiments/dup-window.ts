// The local-difference check between a keeper and a photo of another pixel size or turn (issue
// 17): the photo found in the keeper (its flip or quarter turn undone, then the window of the
// keeper whose hash is nearest the photo's), and the window's cells compared with the photo's.
// Scored on the near-duplicate benchmark's (original, edit) pairs and on the hard-negative
// benchmark's look-alikes (run both benchmarks first).
//   node --import tsx bench/experiments/dup-window.ts [pairs: hard-negatives' false keeper links]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeForModel } from '../../src/core/analysis/decode/decode.js';
import { greyTable, nearestWindow } from '../../src/core/duplicates/find.js';
import { place, sampleWindow, greyOfPixels, greyWindow, localChange, localLook, LOCAL, LOCAL_FINE, turnGrey, twoShots } from '../../src/core/duplicates/local.js';
import { dihedralHashes, hamming, hashOf, lowFrequencyDct, TRANSFORMS } from '../../src/core/analysis/phash.js';
import sharp from 'sharp';

interface Look {
  grey: Float32Array;
  w: number;
  h: number;
  W: number;
  H: number;
  coeffs: Float32Array;
}
const cache = new Map<string, Look>();
async function look(file: string): Promise<Look> {
  let l = cache.get(file);
  if (!l) {
    const img = await decodeForModel(fs.readFileSync(file), 299);
    const m = await sharp(file).metadata();
    l = { grey: greyOfPixels(img.pixels), w: img.width, h: img.height, W: m.width!, H: m.height!, coeffs: lowFrequencyDct(img.pixels, img.width, img.height) };
    cache.set(file, l);
  }
  return l;
}

export async function verdict(fa: string, fb: string) {
  const a = await look(fa);
  const b = await look(fb);
  const hb = hashOf(b.coeffs);
  const turned = dihedralHashes(a.coeffs);
  let t = 0;
  for (let ti = 1; ti < 8; ti++) if (hamming(turned[ti], hb) <= 6 && hamming(turned[ti], hb) + 8 <= hamming(turned[t], hb)) t = ti;
  let g = a.grey,
    w = a.w,
    h = a.h,
    W = a.W,
    H = a.H;
  if (t !== 0) {
    const r = turnGrey(a.grey, a.w, a.h, TRANSFORMS[t]);
    g = r.grey;
    w = r.width;
    h = r.height;
    if (r.width !== a.w) [W, H] = [H, W];
  }
  let win = { bits: hamming(turned[t], hb), x: 0, y: 0, w, h };
  if (!(W === b.W && H === b.H)) {
    // The decoded pixels are the whole picture on the model's shape grid (decode.ts): x and y
    // scaled apart.
    let mw = (b.W * w) / W;
    let mh = (b.H * h) / H;
    const s = Math.min(1, w / mw, h / mh);
    if (s < 0.9) return { t: TRANSFORMS[t], bits: -1, two: false, c: null, f: null };
    mw *= s;
    mh *= s;
    const table = greyTable(g, w, h);
    // A resize first: the keeper's largest centred window of the photo's shape.
    const fit = Math.min(w / mw, h / mh);
    const fw = Math.round(mw * fit);
    const fh = Math.round(mh * fit);
    const whole = nearestWindow(table, hb, fw, fh, 64);
    win = whole.bits <= RESIZE_BITS ? whole : nearestWindow(table, hb, mw, mh, 12);
  }
  const lb0 = localLook(b.grey, b.w, b.h);
  let la, lb;
  let placed = '';
  if (process.env.PLACE === '0') {
    la = localLook(greyWindow(g, w, win.x, win.y, win.w, win.h), win.w, win.h);
    lb = lb0;
  } else {
    const t0 = performance.now();
    const sat = greyTable(g, w, h).sat;
    const p = place(sat, w, h, lb0.coarse.mean, win);
    placeMs += performance.now() - t0;
    const ow = Math.round(Math.min(p.w, b.w));
    const oh = Math.round(Math.min(p.h, b.h));
    la = localLook(sampleWindow(sat, w, h, p, ow, oh), ow, oh);
    lb = ow === b.w && oh === b.h ? lb0 : localLook(sampleWindow(greyTable(b.grey, b.w, b.h).sat, b.w, b.h, { cx: b.w / 2, cy: b.h / 2, w: b.w, h: b.h, angle: 0 }, ow, oh), ow, oh);
    placed = `placed ${p.cx.toFixed(1)},${p.cy.toFixed(1)} ${p.w.toFixed(1)}x${p.h.toFixed(1)} ${((p.angle * 180) / Math.PI).toFixed(2)}deg corr ${p.corr.toFixed(3)}`;
  }
  const c = localChange(la.coarse, lb.coarse, LOCAL);
  const f = localChange(la.fine, lb.fine, LOCAL_FINE);
  return { t: TRANSFORMS[t], bits: win.bits, win: `${win.x},${win.y} ${win.w}x${win.h} of ${w}x${h} ${placed}`, two: twoShots(la, lb), c, f };
}

let placeMs = 0;
const RESIZE_BITS = Number(process.env.RESIZE_BITS ?? 6);
const fmtC = (c: { cells: number; balance: number } | null) => (c ? `${c.cells}/${c.balance.toFixed(2)}` : '-');

const mode = process.argv[2] ?? 'both';
if (mode === 'both' || mode === 'hn') {
  const dir = path.join(os.tmpdir(), 'photowords-bench-hard-negatives', 'photos');
  const pairs = fs
    .readFileSync(process.argv[3] ?? '/tmp/hn-pairs.txt', 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  for (const [a, b] of pairs) {
    const v = await verdict(path.join(dir, a), path.join(dir, b));
    console.log(`hn ${a} ${b} t ${v.t} bits ${v.bits} ${v.win ?? ''} coarse ${fmtC(v.c)} fine ${fmtC(v.f)} TWO ${v.two}`);
  }
}
if (mode === 'both' || mode === 'nd') {
  const WORK = path.join(os.homedir(), '.cache', 'photowords', 'bench-duplicates');
  const { photos } = JSON.parse(fs.readFileSync(path.join(WORK, 'manifest.json'), 'utf8')) as { photos: { file: string; family: number | null; kind: string }[] };
  const orig = new Map(photos.filter((p) => p.kind === 'original').map((p) => [p.family, p.file]));
  const per: Record<string, { n: number; two: number; bits: number[] }> = {};
  for (const p of photos) {
    if (p.family === null || p.kind === 'original') continue;
    const v = await verdict(path.join(WORK, 'photos', orig.get(p.family)!), path.join(WORK, 'photos', p.file));
    const s = (per[p.kind] ??= { n: 0, two: 0, bits: [] });
    s.n++;
    if (v.two) s.two++;
    s.bits.push(v.bits);
    if (v.two || process.argv.includes('-v')) console.log(`nd ${p.file} t ${v.t} bits ${v.bits} ${v.win ?? ''} coarse ${fmtC(v.c)} fine ${fmtC(v.f)} TWO ${v.two}`);
  }
  for (const [k, s] of Object.entries(per)) console.log(`nd ${k}: two shots ${s.two} of ${s.n}; window bits median ${s.bits.sort((x, y) => x - y)[s.bits.length >> 1]} max ${s.bits.at(-1)}`);
}
console.log(`place ${placeMs.toFixed(0)} ms`);
