// Placing a photo of another size (or a flip or quarter turn) where it lies in its keeper, so
// that the two can be compared cell for cell by the local-difference check (local.ts): a crop, a
// resize or a straightened copy then lines up with its keeper as an edit does; another catalogue
// motorbike on white, another drawing of a yin yang, differs both ways as another shot does.
// The steps: docs/DUPLICATES.md#how; what they gave: its section "Placing a photo in its keeper".
import { TRANSFORMS, dihedralHashes, hamming, type Hash64 } from '../analysis/phash.js';
import type { ImageRecord, IndexStore } from '../index/store.js';
import { nearestWindow, greyTable, type Window } from './crop-search.js';
import { pairKey, pixels } from './links.js';
import { localLook, place, sampleWindow, turnGrey, turnLook, twoShots } from './local.js';
import type { Looks } from './looks.js';
import { CROP_BITS, PHASH_TURNED } from './thresholds.js';
import type { PairCounts } from './types.js';

/**
 * Long side at which a placed photo and its window are compared, at most: the coarser of the two
 * resolutions, and no finer than this (finer gave the same verdicts at twice the cost:
 * docs/DUPLICATES.md#thresholds).
 */
const PLACED_SIDE = 160;

export interface PlacementInputs {
  store: IndexStore;
  phashes: Map<number, Hash64>;
  looks: Looks;
  /** The window of the keeper the crop search found for a photo (by pairKey), to start from. */
  cropWindows: Map<number, Window>;
  pairs: PairCounts;
}

/**
 * Whether two photos of other pixel sizes, or a flip or quarter turn of one another, differ
 * locally both ways once the smaller is placed where it lies in the larger: the turn undone
 * (a flip or turn of the larger within PHASH_TURNED bits of the smaller), then the window of
 * the larger with the smaller's hash (the whole of it, for a resize; else the crop search's),
 * then shifts, sizes and small turns around that window while the cells' correlation grows
 * (local.ts, place). The window and the smaller photo are compared cell for cell at the coarser
 * of their two resolutions.
 */
export async function placedTwoShots(io: PlacementInputs, a: ImageRecord, b: ImageRecord): Promise<boolean> {
  const { looks } = io;
  const [big, small] = pixels(a) >= pixels(b) ? [a, b] : [b, a];
  const cb = io.store.getPhash(big.id);
  const hs = io.phashes.get(small.id);
  if (!cb || !hs || !big.width || !big.height || !small.width || !small.height) return false;
  const turned = dihedralHashes(cb);
  // TRANSFORMS from 4 on swap the axes.
  const fits = (ti: number) => (ti >= 4 ? big.height === small.width && big.width === small.height : big.width === small.width && big.height === small.height);
  // The turn of the keeper nearest the photo, by a clear margin: within PHASH_TURNED bits
  // (a turned copy), or any for a photo of the turned keeper's size (a turned copy with
  // text on it lies further; a crop's hash, far from every turn, says nothing).
  let t = 0;
  for (let ti = 1; ti < turned.length; ti++) {
    const d = hamming(turned[ti], hs);
    if (d + 8 <= hamming(turned[t], hs) && (d <= PHASH_TURNED || fits(ti))) t = ti;
  }
  if (t !== 0 && fits(t)) {
    // A flip or quarter turn of one size: the keeper's cells turned, cell for cell.
    const lb = await looks.lookOf(big.id);
    const ls = lb && (await looks.lookOf(small.id));
    return !!lb && !!ls && twoShots(turnLook(lb.local, TRANSFORMS[t]), ls.local);
  }
  const gb = await looks.greyOf(big.id);
  const gs = gb && (await looks.greyOf(small.id));
  const ls = gs && (await looks.lookOf(small.id));
  if (!gb || !gs || !ls) return false;
  let { grey, width, height } = gb;
  let [W, H] = [big.width, big.height];
  if (t !== 0) {
    ({ grey, width, height } = turnGrey(gb.grey, gb.width, gb.height, TRANSFORMS[t]));
    if (width !== gb.width) [W, H] = [H, W];
  }
  if (W === small.width && H === small.height) return twoShots(localLook(grey, width, height), ls.local);
  // The smaller photo's size in the larger's decoded pixels (decode.ts stretches each photo to
  // its shape grid, so x and y apart); a photo larger than the keeper in one side by more
  // than a tenth is no part of it.
  let mw = (small.width * width) / W;
  let mh = (small.height * height) / H;
  const fit = Math.min(1, width / mw, height / mh);
  if (fit < 0.9) return false;
  mw *= fit;
  mh *= fit;
  // Where to start: the window the crop search found, or the whole of the keeper (a resize),
  // or the crop search's nearest window.
  let win = t === 0 ? io.cropWindows.get(pairKey(a.id, b.id)) : undefined;
  const table = t === 0 ? looks.tableOf(gb) : greyTable(grey, width, height);
  if (win) {
    // The crop search sized its windows by the long side only: the photo's own shape here.
    const h = (win.w * mh) / mw;
    win = { ...win, y: win.y + (win.h - h) / 2, h };
  } else {
    const up = Math.min(width / mw, height / mh);
    win = nearestWindow(table, hs, mw * up, mh * up, 64);
    if (win.bits > CROP_BITS / 2) {
      const crop = nearestWindow(table, hs, mw, mh, CROP_BITS);
      if (crop.bits < win.bits) win = crop;
    }
  }
  io.pairs.placed++;
  const p = place(table.sat, width, height, ls.local.coarse.mean, win);
  // At the coarser of the two resolutions: the window of a crop to 30% holds a third of the
  // pixels the crop was decoded at.
  const k = Math.min(p.w / gs.width, 1, PLACED_SIDE / Math.max(gs.width, gs.height));
  const ow = Math.max(8, Math.round(gs.width * k));
  const oh = Math.max(8, Math.round(gs.height * k));
  const lw = localLook(sampleWindow(table.sat, width, height, p, ow, oh), ow, oh);
  const lp = localLook(sampleWindow(looks.tableOf(gs).sat, gs.width, gs.height, { cx: gs.width / 2, cy: gs.height / 2, w: gs.width, h: gs.height, angle: 0 }, ow, oh), ow, oh);
  return twoShots(lw, lp);
}
