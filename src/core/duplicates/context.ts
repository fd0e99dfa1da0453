// One duplicate search's settings (the options with their defaults) and the state its stages
// share: the photos, the links found so far, the counters the report gives.
import type { Hash64 } from '../analysis/phash.js';
import type { ImageRecord, IndexStore } from '../index/store.js';
import type { DecisionLookup } from './decisions.js';
import type { Links } from './links.js';
import { storeResolution } from './store-access.js';
import { ASPECT_TOLERANCE, DEFAULT_BURST_SECONDS, DEFAULT_NEIGHBOURS, DEFAULT_SENSITIVITY, DEFAULT_SIMILAR_SHOTS, PHASH_CONFIRM, PHASH_SAME } from './thresholds.js';
import type { DuplicateOptions, PairCounts } from './types.js';
import type { PairCosines } from './word-cosine.js';

/**
 * Largest set of linked photos grouped with every check: the keeper chosen again for what is left
 * after each group, the words' cosine computed for pairs the nearest-neighbour search did not
 * bring, crops searched for. Above it, keepers are taken in the keeper rule's order with the
 * links found only, so one huge look-alike cluster costs its links, not n^2.
 */
const DIRECT_CHECKS_UP_TO = 2000;

export interface Settings {
  sensitivity: number;
  similarShots: number;
  burstSeconds: number;
  phashSame: number;
  phashConfirm: number;
  neighbours: number;
  aspectTolerance: number;
  /** Read EXIF (capture dates, cameras, lenses). */
  exif: boolean;
  phash: boolean;
  transforms: boolean;
  decisions: boolean;
  /** Long side photos are decoded at: the index's. */
  resolution: number;
  directChecksUpTo: number;
}

/** The options with their defaults; a threshold out of range is an error. */
export function settingsOf(store: IndexStore, opts: DuplicateOptions): Settings {
  const s: Settings = {
    sensitivity: opts.sensitivity ?? DEFAULT_SENSITIVITY,
    similarShots: opts.similarShots ?? DEFAULT_SIMILAR_SHOTS,
    burstSeconds: opts.burstSeconds ?? DEFAULT_BURST_SECONDS,
    phashSame: opts.phashSame ?? PHASH_SAME,
    phashConfirm: opts.phashConfirm ?? PHASH_CONFIRM,
    neighbours: opts.neighbours ?? DEFAULT_NEIGHBOURS,
    aspectTolerance: opts.aspectTolerance ?? ASPECT_TOLERANCE,
    exif: opts.exif !== false,
    phash: opts.phash !== false,
    transforms: opts.transforms !== false,
    decisions: opts.decisions !== false,
    resolution: opts.resolution ?? storeResolution(store),
    directChecksUpTo: opts.directChecksUpTo ?? DIRECT_CHECKS_UP_TO,
  };
  if (!(s.sensitivity > 0 && s.sensitivity <= 1)) throw new Error(`sensitivity must be above 0 and at most 1, not ${s.sensitivity}`);
  if (!(s.similarShots > 0 && s.similarShots <= 1)) throw new Error(`similar-shots threshold must be above 0 and at most 1, not ${s.similarShots}`);
  return s;
}

/** A pair less alike than the same photo, kept for the similar-shots tier. */
export interface Pair {
  a: number;
  b: number;
  score: number;
}

export interface FindContext {
  store: IndexStore;
  settings: Settings;
  /** The indexed photos by id. */
  recs: Map<number, ImageRecord>;
  decisions: DecisionLookup;
  links: Links;
  pairs: PairCounts;
  cosines: PairCosines;
  /** Perceptual hashes of the indexed photos that have one (none with `phash: false`). */
  phashes: Map<number, Hash64>;
  /** Pairs above the similar-shots threshold that did not pass as the same photo. */
  lookAlikes: Pair[];
  /** Pairs less alike than that but alike enough to be one scene if taken seconds apart. */
  burstCandidates: Pair[];
}
