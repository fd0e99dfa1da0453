// The crop search: the part of a keeper whose perceptual hash is nearest a photo's, found from the
// keeper's summed-area table (no resampling per window). A crop's own hash, of less of the scene,
// is far from the whole keeper's; the part of the keeper it shows has its hash
// (docs/DUPLICATES.md#how, "a crop of the keeper").
import { summed } from './local.js';

/** A grey image (ITU-R BT.601 luma) with its summed-area table, for box averages of any window. */
export interface GreyTable {
  width: number;
  height: number;
  /** (width + 1) x (height + 1): sum of the pixels above and left of each corner. */
  sat: Float64Array;
}

/** A window of a grey image (pixels), and how far its hash lies from the one searched for. */
export interface Window {
  bits: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The grey image's table (its values into `sat` when given: (width + 1) x (height + 1) of them). */
export function greyTable(grey: Float32Array, width: number, height: number, sat?: Float64Array): GreyTable {
  return { width, height, sat: summed(grey, width, height, sat) };
}

export { nearestWindow, windowHash } from './window-search.js';
