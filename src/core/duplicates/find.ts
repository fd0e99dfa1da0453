// Finding duplicate photos in a library (issue 5, "Finding"): exact copies by content hash, near
// copies (re-encodes, resizes, crops, small edits) from the visual-word index, grouped, each group
// with a suggested copy to keep and why.
//
// Two signals, because each fails where the other holds (bench/duplicates.ts, per kind of edit):
// - visual words (the index): crops, small turns, text overlays; but a greyscale, blurred or
//   JPEG-quality-5 copy loses most of its words;
// - the perceptual hash (phash.ts, stored at indexing): exactly those photometric edits; but a
//   crop or a turn of a few degrees moves it as far as another photo.
//
// Perceptual-hash pairs come from a multi-index hash lookup (hashindex.ts: exact, no all-pairs
// comparison). A pair within PHASH_SAME bits is a duplicate; within PHASH_CONFIRM bits it needs
// its visual words to agree too (cosine at least PHASH_CONFIRM_COSINE).
//
// Visual-word pairs: every photo asks the 'tfidf' query path (LiveIndex: the impact-ordered
// snapshot plus its delta, what "Find similar" uses) for its few nearest neighbours, so the work
// is N queries of a few ms each, not N^2 / 2 comparisons. A neighbour becomes a pair when
//   1. its TF-IDF cosine is at least the sensitivity threshold (DEFAULT_SENSITIVITY, measured:
//      see the comment there),
//   2. the exact cosine recomputed from both stored bags (snapshot idf, the index's tf codes)
//      agrees, and
//   3. the two shapes are close: long side / short side of one within ASPECT_TOLERANCE of the
//      other's (a resize or re-encode keeps it, a centre crop nearly so; a different photo of the
//      same scene at another aspect does not pass).
// A link found so is turned down when the files say the two are different shots (EXIF camera,
// lens or capture time, both present and different; two lossless files of one size whose pixels
// differ), or when a hash link's photos differ in fine detail (DETAIL_SAME) and the words do not
// vouch for them alone; and a keeper and a photo joining it are two shots when they differ
// locally both ways (duplicates-local.ts: a car moved, a form filled in by someone else, another
// catalogue motorbike on white, where an edit would leave one of them the richer everywhere it
// differs), compared cell for cell at one size, or once the photo of another size (or turned) is
// placed where it lies in the keeper. Such pairs, like
// links that did not make a group, go to "similar shots".
//
// Groups never chain (issue 17: test-chart shots 2 bits apart one to the next made one group of
// 264 photos). In each set of linked photos the keeper is chosen first, then only photos with
// their own link to the keeper join it: a link found, words alike enough, a crop of the keeper
// (some part of it has the photo's hash, CROP_BITS), or links to every member. The rest are
// grouped again among themselves.
//
// The keeper: the most pixels, then the photo linked to the most others (of copies of one size,
// the one they were made from), then the largest file (least compressed), then the earliest
// capture date (EXIF DateTimeOriginal/CreateDate via exifr, read only for members still tied),
// then the shortest path.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import { decodeForModel, readImageFile } from '../analysis/decode/decode.js';
import { LOCAL_FINE_SIDE, greyOfPixels, localLook, place, sampleWindow, summed, turnGrey, turnLook, twoShots, type LocalLook } from './local.js';
import { isRaw } from '../analysis/formats.js';
import { photoSource } from '../analysis/decode/source.js';
import { HashIndex } from './hash-index.js';
import { storedTf, type ImpactIndex } from '../search/impact-index.js';
import { TRANSFORMS, dihedralHashes, hamming, hashOf, lowFrequencyDct, type Hash64, type Transform } from '../analysis/phash.js';
import { LiveIndex } from '../search/live-index.js';
import { IndexStore, type Decision, type ImageRecord } from '../index/store.js';
import type { Bag } from '../common/types.js';

/**
 * Default minimum TF-IDF cosine for a near duplicate by visual words. Measured with
 * bench/duplicates.ts (1,570 photos: 80 flowers17 photos with 13 Copydays-style edits each, 150
 * other flowers17 photos of the same classes, 300 caltech101 photos), with the perceptual hash on:
 *   threshold  precision  recall  F1     (pairs implied by the groups)
 *   0.40       0.590      0.872   0.704
 *   0.45       0.911      0.795   0.849  <- two false links (cosine 0.451 and 0.452, a blurred and
 *                                           a JPEG-5 copy) each merged two whole families
 *   0.48       1.000      0.757   0.861
 *   0.50       1.000      0.741   0.851  <- default: a margin above the last false link
 *   0.60       1.000      0.721   0.838
 * Alone (no perceptual hash), on an older 810-photo set, 0.45 gave precision 0.995 and recall
 * 0.940 for re-encodes, 70% resizes, 10% crops and brightness; re-encodes, resizes and brightness
 * changes score 0.6 and up, a 10% crop 0.4 to 0.55, a crop to 70% of the surface about 0.41.
 */
export const DEFAULT_SENSITIVITY = 0.5;
/**
 * Perceptual-hash distances (bits of 64). JPEG quality 5, greyscale, blur and half-size copies lie
 * within 5 bits of their original, brightness within 12, text overlays mostly within 7, turns by
 * 5 degrees 16 and crops to 70% 19 at the median (bench/duplicates.ts). Different photos: over the
 * dev set's 9.5M pairs (bench/experiments/phash-pairs.ts), 112 pairs lie within 4 bits and almost
 * all are the same photo twice (flowers17 holds many; one caltech101 sunflower is a flowers17
 * photo), but from 5 to 10 bits they are mostly different photos shot alike (catalogue
 * motorbikes on white), 1 in 100,000 pairs: at 100,000 photos, thousands of pairs. So 4 bits
 * alone decide, and up to 16 bits decide with the words' agreement. On the benchmark 4, 6 and 10
 * give the same groups (the words confirm every copy between).
 */
export const PHASH_SAME = 4;
export const PHASH_CONFIRM = 16;
/** Cosine the visual words must reach to confirm a perceptual-hash pair between PHASH_SAME and PHASH_CONFIRM. */
export const PHASH_CONFIRM_COSINE = 0.3;
/**
 * Candidates the query path re-scores exactly for each photo's neighbours (not 500 as "Find
 * similar" does): a copy at cosine 0.5 and up is among the first few of stage 1, so more only
 * costs time.
 */
const DUPLICATE_CANDIDATES = 100;
/**
 * Share of a query's postings stage 1 visits for the neighbours (not 0.1 as "Find similar"): the
 * few words a copy shares with its original that carry the most weight already put it on top
 * (bench/duplicates.ts: the same groups at 0.005 as at 0.02 and 0.1, in a third of the time).
 */
const DUPLICATE_BUDGET = 0.005;
/** Neighbours asked for per photo. */
export const DEFAULT_NEIGHBOURS = 10;
/** Largest allowed ratio between two photos' (long side / short side). */
export const ASPECT_TOLERANCE = 1.25;
/**
 * Bits within which a flipped or turned copy's hash must lie. Real flips and quarter turns of a
 * photo lie within 2 bits of the hash its coefficients predict (test/integration/phash.test.ts); over the dev
 * set's 9.5M pairs one pair lies within 7 bits after some flip or turn, and 11 within 10
 * (bench/experiments/phash-pairs.ts), so 6 leaves room for a re-save on top of the turn.
 */
export const PHASH_TURNED = 6;
/**
 * Default least cosine for "similar shots": photos this alike that did not pass as the same photo
 * (bench/duplicates.ts: at 0.4 most pairs above it are different photos of the same species).
 */
export const DEFAULT_SIMILAR_SHOTS = 0.4;
/**
 * Perceptual-hash bits within which a look-alike pair must lie to be "similar shots" (unless its
 * words reach the same-photo threshold). Different photos lie 32 bits apart at the median and
 * within 22 one pair in 100 (bench/experiments/phash-pairs.ts).
 */
export const SIMILAR_SHOTS_PHASH = 22;
/**
 * Least cosine for two photos taken within the burst window to be a burst: well below the
 * look-alike threshold (a burst pans and moves), well above two unrelated photos' typical 0.24
 * (bench/experiments/dup-signals.ts: median of each photo's 5 best non-copies).
 */
export const BURST_COSINE = 0.3;
/** Default window for bursts: taken within this many seconds of each other by EXIF. */
export const DEFAULT_BURST_SECONDS = 10;


export interface DuplicateOptions {
  /** Minimum cosine (0..1) for a near duplicate; higher finds fewer, closer copies. */
  sensitivity?: number;
  neighbours?: number;
  aspectTolerance?: number;
  /** Read EXIF capture dates to break ties (default true). */
  exif?: boolean;
  /** Use the perceptual hash too (default true; false: visual words alone, for comparison). */
  phash?: boolean;
  /** Long side photos are decoded at to fill in missing perceptual hashes (the index's resolution). */
  resolution?: number;
  /** Progress of filling in perceptual hashes that an older index lacks. */
  onProgress?: (p: { phase: 'phash'; done: number; total: number }) => void;
  /** Least cosine for the "similar shots" tier (look-alikes that are not the same photo). */
  similarShots?: number;
  /** Photos taken within this many seconds (EXIF) of each other, and alike, are a burst. */
  burstSeconds?: number;
  /** Perceptual-hash bits within which a pair is the same photo without the words' agreement (default PHASH_SAME). */
  phashSame?: number;
  /** Perceptual-hash bits within which a pair is the same photo when the words agree too (default PHASH_CONFIRM). */
  phashConfirm?: number;
  /** Look for mirrored and turned copies (default true). */
  transforms?: boolean;
  /** Apply the person's stored decisions (default true). */
  decisions?: boolean;
  /** Largest set of linked photos grouped with every check (DIRECT_CHECKS_UP_TO; lower only to test the path for larger ones). */
  directChecksUpTo?: number;
}

/** How a photo came into its group: its link to the keeper (or, linked to every member, its strongest). */
export interface DuplicateLink {
  to: number;
  /**
   * 'bytes': the same file content; 'phash': perceptual hashes within PHASH_SAME bits;
   * 'phash+words': within PHASH_CONFIRM bits and the words agree; 'words': visual-word cosine at
   * or above the sensitivity; 'turned': a flip or quarter turn of one has the other's hash;
   * 'crop': a part of the keeper has its hash (within CROP_BITS) and the words agree.
   */
  by: 'bytes' | 'phash' | 'phash+words' | 'words' | 'turned' | 'crop';
  /** Cosine for word links, 1 - bits/64 for hash links, 1 for bytes. */
  score: number;
  distance?: number;
  transform?: Transform;
}

/** A photo as both tiers list it. */
export interface GroupPhoto {
  id: number;
  path: string;
  width: number | null;
  height: number | null;
  /** File size in bytes as indexed. */
  size: number;
  hash: string | null;
}

export interface DuplicateMember extends GroupPhoto {
  /** TF-IDF cosine to the group's keeper (1 for the keeper and its byte-for-byte copies). */
  score: number;
  /** Same bytes as the keeper. */
  identical: boolean;
  /** Bits (of 64) between its perceptual hash and the keeper's, when both have one. */
  phashDistance?: number;
  /** EXIF capture date (ISO) when it was read (only to break ties). */
  captureDate?: string | null;
  /** A flip or quarter turn of the keeper, when this copy is one. */
  transform?: Transform;
  /** How it came into the group. */
  link?: DuplicateLink;
  /** Why it must not be offered for trashing though it is in the group. */
  protect?: string;
}

export interface DuplicateGroup {
  /** 'exact': every member has the same bytes; 'near': at least one differs. */
  tier: 'exact' | 'near';
  /** Members, the keeper first, then by score to the keeper. */
  members: DuplicateMember[];
  keeper: number;
  reason: string;
  /** Stable for the same contents (content hashes), to name the group in decisions. */
  key: string;
  /** RAW + JPEG siblings, and copies named like an edit of another ("(1)", "-edited"). */
  related?: { a: number; b: number; kind: 'raw+jpeg' | 'edited-copy' }[];
  /** The person's decision that shaped it: a chosen keeper, or "keep all" (then it is in keptAll). */
  decision?: { id: number; kind: 'keeper' | 'keep-all' };
}

export interface SimilarMember extends GroupPhoto {
  /** Cosine to the group's first photo. */
  score: number;
  captureDate?: string;
  /** Index in `groups` when the photo also has copies of itself. */
  duplicateGroup?: number;
}

/** "Similar shots": different photos of one scene. Shown apart, never offered for trashing as duplicates. */
export interface SimilarGroup {
  /** 'burst': every member was taken within burstSeconds by EXIF; else 'look-alike'. */
  kind: 'burst' | 'look-alike';
  key: string;
  members: SimilarMember[];
}

export interface DuplicateReport {
  /** "Same photo": exact and near copies, each with a suggested keeper. */
  groups: DuplicateGroup[];
  /** "Similar shots": look-alikes and bursts. */
  similar: SimilarGroup[];
  /** Groups the person chose to keep whole ("keep all"), hidden from `groups` while unchanged. */
  keptAll: DuplicateGroup[];
  /** Decisions stored in the index (photowords decisions lists them). */
  decisions: number;
  photos: number;
  sensitivity: number;
  similarShots: number;
  neighbours: number;
  /** Neighbour pairs at or above the threshold, and those the checks turned down. */
  pairs: {
    candidates: number;
    accepted: number;
    rejectedCosine: number;
    rejectedAspect: number;
    /** Perceptual-hash pairs within PHASH_CONFIRM bits, those accepted, and of them those the words confirmed. */
    phashCandidates: number;
    phashAccepted: number;
    phashConfirmed: number;
    /** Mirrored or turned copies found by the flipped and turned hashes. */
    transformed: number;
    /** Pairs left apart because the person said they are not duplicates. */
    dismissed: number;
    /** Pairs put in the similar-shots tier. */
    similarShots: number;
    /** Links turned down because the files say they are two shots (EXIF camera, lens or capture time; two lossless files whose pixels differ). */
    differentShots: number;
    /** Perceptual-hash links turned down because the photos' fine detail differs (DETAIL_SAME). */
    detailDiffers: number;
    /** Links between photos of one size turned down because they differ locally both ways (duplicates-local.ts): two shots, not an edit. */
    localDiffers: number;
    /** Keeper and photo pairs of other sizes or turned, placed one in the other for the local check. */
    placed: number;
    /** Photos checked as a crop of their group's keeper (its parts searched), and those found to be one. */
    cropChecks: number;
    crops: number;
    /** Links between photos that did not make one group (linked to a member, not to its keeper). */
    unchained: number;
  };
  ms: number;
  /** Where the time went: the query index, the perceptual-hash lookup, the visual-word queries, the groups. */
  timings: { snapshotMs: number; phashMs: number; wordsMs: number; groupsMs: number };
}

/** Groups of indexed photos with the same content hash (ids ascending in each). */
export function exactDuplicateGroups(store: IndexStore): number[][] {
  return store.hashGroups();
}

class UnionFind {
  private parent = new Map<number, number>();
  find(x: number): number {
    let p = this.parent.get(x) ?? x;
    if (p === x) return x;
    p = this.find(p);
    this.parent.set(x, p);
    return p;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
  members(): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const x of this.parent.keys()) {
      const r = this.find(x);
      out.set(r, [...(out.get(r) ?? []), x]);
    }
    for (const [r, m] of out) if (!m.includes(r)) m.push(r);
    return out;
  }
}

/** A bag weighed as the snapshot's exact stage weighs it, as a sorted sparse unit vector (explain.ts splits its products over cells). */
export function weigh(snap: ImpactIndex, bag: Bag): { terms: Uint32Array; w: Float32Array } {
  const order = Array.from({ length: bag.terms.length }, (_, i) => i).sort((a, b) => bag.terms[a] - bag.terms[b]);
  const terms: number[] = [];
  const w: number[] = [];
  let norm2 = 0;
  for (const i of order) {
    const tf = bag.tfs[i];
    if (!(tf > 0)) continue;
    const s = snap.slotOf(bag.terms[i]);
    const x = storedTf(tf) * (s >= 0 ? snap.idf[s] : snap.unseenIdf);
    terms.push(bag.terms[i]);
    w.push(x);
    norm2 += x * x;
  }
  const inv = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
  return { terms: Uint32Array.from(terms), w: Float32Array.from(w, (x) => x * inv) };
}

function dot(a: { terms: Uint32Array; w: Float32Array }, b: { terms: Uint32Array; w: Float32Array }): number {
  let s = 0;
  for (let i = 0, j = 0; i < a.terms.length && j < b.terms.length; ) {
    if (a.terms[i] === b.terms[j]) s += a.w[i++] * b.w[j++];
    else if (a.terms[i] < b.terms[j]) i++;
    else j++;
  }
  return s;
}

/** Exact TF-IDF cosine of two bags as the snapshot weighs them (idf from the snapshot, tf as the index codes it). */
export function exactCosine(snap: ImpactIndex, a: Bag, b: Bag): number {
  return dot(weigh(snap, a), weigh(snap, b));
}

function aspect(r: ImageRecord): number | undefined {
  if (!r.width || !r.height) return undefined;
  return Math.max(r.width, r.height) / Math.min(r.width, r.height);
}

async function captureDate(file: string): Promise<Date | null> {
  try {
    const t = (await exifr.parse(file, { pick: ['DateTimeOriginal', 'CreateDate'] })) as { DateTimeOriginal?: unknown; CreateDate?: unknown } | undefined;
    const d = t?.DateTimeOriginal ?? t?.CreateDate;
    return d instanceof Date && !Number.isNaN(d.getTime()) ? d : null;
  } catch {
    return null;
  }
}

/** What a photo's EXIF says about the shot itself (not about the file): what took it, and when. */
export interface ShotFacts {
  camera?: string;
  lens?: string;
  /** DateTimeOriginal in ms, and its sub-second part when the camera wrote one. */
  taken?: number;
  subsec?: number;
}

async function shotFacts(file: string): Promise<ShotFacts> {
  try {
    const t = (await exifr.parse(file, { pick: ['Make', 'Model', 'LensModel', 'DateTimeOriginal', 'SubSecTimeOriginal'] })) as
      | { Make?: unknown; Model?: unknown; LensModel?: unknown; DateTimeOriginal?: unknown; SubSecTimeOriginal?: unknown }
      | undefined;
    if (!t) return {};
    const f: ShotFacts = {};
    const str = (x: unknown) => (typeof x === 'string' || typeof x === 'number' ? String(x).trim() : '');
    const camera = [str(t.Make), str(t.Model)].filter(Boolean).join(' ');
    if (str(t.Model)) f.camera = camera.toLowerCase();
    if (str(t.LensModel)) f.lens = str(t.LensModel).toLowerCase();
    if (t.DateTimeOriginal instanceof Date && !Number.isNaN(t.DateTimeOriginal.getTime())) f.taken = t.DateTimeOriginal.getTime();
    const sub = str(t.SubSecTimeOriginal);
    if (/^\d+$/.test(sub)) f.subsec = Number(`0.${sub}`);
    return f;
  } catch {
    return {};
  }
}

/**
 * Why two photos are different shots by what their files say besides the pixels, or undefined.
 * A copy, re-save or edit keeps its original's camera, lens and capture time or drops them; it
 * never gets other ones. So only facts both files carry are compared: a missing one decides
 * nothing.
 */
export function differentShots(a: ShotFacts, b: ShotFacts): string | undefined {
  if (a.camera && b.camera && a.camera !== b.camera) return 'different cameras';
  if (a.lens && b.lens && a.lens !== b.lens) return 'different lenses';
  if (a.taken !== undefined && b.taken !== undefined) {
    // DateTimeOriginal has whole seconds; a burst's frames share one, and only the sub-second
    // field (when both have it) tells them apart.
    if (Math.abs(a.taken - b.taken) >= 1000) return 'taken at different times';
    if (a.subsec !== undefined && b.subsec !== undefined && a.subsec !== b.subsec) return 'taken at different times';
  }
  return undefined;
}

/** Side of the grey image whose fine detail two hash-linked photos must share. */
const DETAIL_SIDE = LOCAL_FINE_SIDE;
/**
 * Least correlation of two photos' fine detail (DETAIL_SIDE x DETAIL_SIDE grey, less each
 * pixel's 3 x 3 mean) for a perceptual-hash link whose words do not reach the sensitivity: the
 * hash sees 32 x 32 and nothing finer, so different photos shot alike (catalogue motorbikes on
 * white) pass it. Measured (docs/DUPLICATES.md): re-encodes, greyscale, blurred and brightened
 * copies 0.86 and up, text overlays 0.48 and up; 9 in 10 hash-linked caltech101 look-alikes
 * below 0.44. A crop or turn fails it too, and comes back through the crop test.
 */
export const DETAIL_SAME = 0.45;

/**
 * A photo's fine detail as a unit vector: the pixels the model reads (decode.ts, EXIF-oriented),
 * box-averaged to DETAIL_SIDE squared grey cells whatever the aspect (as the hash squeezes them:
 * the local-difference check's finer cells, duplicates-local.ts), less each cell's 3 x 3 mean. The dot product of two is their detail's correlation.
 */
function fineDetail(cells: Float32Array): Float32Array {
  const N = DETAIL_SIDE;
  const out = new Float32Array(N * N);
  let mean = 0;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      let s = 0;
      let n = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(N - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(N - 1, x + 1); xx++) {
          s += cells[yy * N + xx];
          n++;
        }
      }
      out[y * N + x] = cells[y * N + x] - s / n;
      mean += out[y * N + x];
    }
  }
  mean /= N * N;
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += (out[i] -= mean) ** 2;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < out.length; i++) out[i] *= inv;
  return out;
}

/**
 * Bits within which a photo's hash must lie of the hash of some part of the keeper (a window of
 * the member's shape, at least its size) for the photo to be a crop of the keeper. Measured
 * (docs/DUPLICATES.md): crops to 70% and 50% of the surface lie within 11 bits of their window,
 * turns by 5 degrees within 15 (12 for 4 in 5); for other photos, flowers17's nearest
 * neighbours, the nearest window is 13 bits away or more.
 */
export const CROP_BITS = 12;
/** Most photos near a group checked as crops of its keeper (each check searches the keeper's parts). */
const CROP_CANDIDATES = 200;
/**
 * Least cosine of a crop's words to its keeper's: a crop to half the surface shares few words
 * with the whole (0.18 to 0.45), so the window's hash decides and the words only rule out photos
 * with nothing in common.
 */
export const CROP_COSINE = 0.2;

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

export function greyTable(grey: Float32Array, width: number, height: number): GreyTable {
  return { width, height, sat: summed(grey, width, height) };
}

// DCT basis for the hash of a window: WCOS[u][x] = cos((2x + 1) u pi / 64), u = 1..8 (phash.ts's).
const WCOS = Float64Array.from({ length: 8 * 32 }, (_, i) => Math.cos(((2 * (i % 32) + 1) * (Math.floor(i / 32) + 1) * Math.PI) / 64));

/** The perceptual hash (phash.ts's construction) of the window [x0, x0 + w) x [y0, y0 + h) of a grey image. */
// Scratch for windowHash, which runs hundreds of times a search and never awaits in between.
const CELL = new Float64Array(32 * 32);
const ROWS = new Float64Array(32 * 8);
const XS = new Int32Array(33);
const YS = new Int32Array(33);

function windowHash(g: GreyTable, x0: number, y0: number, w: number, h: number): Hash64 {
  const W = g.width + 1;
  const cell = CELL;
  const xs = XS;
  const ys = YS;
  for (let i = 0; i <= 32; i++) {
    xs[i] = Math.round(x0 + (i * w) / 32);
    ys[i] = Math.round(y0 + (i * h) / 32);
  }
  for (let cy = 0; cy < 32; cy++) {
    for (let cx = 0; cx < 32; cx++) {
      const a = ys[cy] * W + xs[cx];
      const b = ys[cy] * W + xs[cx + 1];
      const c = ys[cy + 1] * W + xs[cx];
      const d = ys[cy + 1] * W + xs[cx + 1];
      const n = (xs[cx + 1] - xs[cx]) * (ys[cy + 1] - ys[cy]);
      cell[cy * 32 + cx] = n > 0 ? (g.sat[d] - g.sat[b] - g.sat[c] + g.sat[a]) / n : 0;
    }
  }
  const rows = ROWS;
  for (let y = 0; y < 32; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 32; x++) s += WCOS[u * 32 + x] * cell[y * 32 + x];
      rows[y * 8 + u] = s;
    }
  }
  const out = new Float32Array(64);
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < 32; y++) s += WCOS[v * 32 + y] * rows[y * 8 + u];
      out[v * 8 + u] = s;
    }
  }
  return hashOf(out);
}

/**
 * The window of `g` whose hash is nearest (bits) the member's, of its shape (`mw` x `mh` in g's pixels,
 * or larger, as a crop made smaller again), every 2.5% of the keeper's side and 6% of size.
 * Windows are tried from the member's own size up and, at each size, from the centre out; the
 * first within `enough` bits ends the search after a look at its neighbours (a crop is most
 * often of the photo's own pixels and near its middle, so most searches end within a few
 * windows of the hundreds there are; only photos that are no crop try them all).
 */
export function nearestWindow(g: GreyTable, target: Hash64, mw: number, mh: number, enough = -1): Window {
  let best: Window = { bits: 64, x: 0, y: 0, w: g.width, h: g.height };
  const step = Math.max(1, Math.round(0.025 * Math.max(g.width, g.height)));
  const offsets = (span: number) => {
    const out: number[] = [];
    for (let o = 0; ; o = Math.min(o + step, span)) {
      out.push(o);
      if (o >= span) break;
    }
    const mid = span / 2;
    return out.sort((a, b) => Math.abs(a - mid) - Math.abs(b - mid) || a - b);
  };
  const at = (x: number, y: number, w: number, h: number) => {
    const d = hamming(windowHash(g, x, y, w, h), target);
    if (d < best.bits) best = { bits: d, x, y, w, h };
  };
  for (let f = 1; mw * f <= g.width + 0.5 && mh * f <= g.height + 0.5; f *= 1.06) {
    const w = Math.min(g.width, Math.round(mw * f));
    const h = Math.min(g.height, Math.round(mh * f));
    if (w < 32 || h < 32) continue;
    const xs = offsets(g.width - w);
    const ys = offsets(g.height - h);
    // Centre out in rings (the larger of the two offsets' ranks), not row by row.
    const order: [number, number][] = [];
    for (let j = 0; j < ys.length; j++) for (let i = 0; i < xs.length; i++) order.push([i, j]);
    order.sort((a, b) => Math.max(a[0], a[1]) - Math.max(b[0], b[1]) || a[1] - b[1] || a[0] - b[0]);
    for (const [i, j] of order) {
      at(xs[i], ys[j], w, h);
      if (best.bits <= enough) {
        // Its neighbours, for the distance to report (the search's own answer within a step).
        for (let dy = -step; dy <= step; dy += step) {
          for (let dx = -step; dx <= step; dx += step) {
            at(Math.max(0, Math.min(g.width - w, xs[i] + dx)), Math.max(0, Math.min(g.height - h, ys[j] + dy)), w, h);
          }
        }
        return best;
      }
    }
  }
  return best;
}

/**
 * Long side at which a placed photo and its window are compared, at most: the coarser of the two
 * resolutions, and no finer than this (at 299 px the same verdicts on both benchmarks, at twice
 * the cost).
 */
const PLACED_SIDE = 160;
/** Photos whose decoded grey images are kept (0.35 MB each at 299 px; a keeper's summed-area table doubles that). */
const GREYS_KEPT = 48;
/** Links checked together (their files read while others' pixels are gone over); each may hold two decoded photos. */
const CHECKS_AT_ONCE = 8;
/** Lossless formats: a re-save keeps every pixel. */
const LOSSLESS = /\.(png|gif|bmp|tiff?)$/i;

type Link = Omit<DuplicateLink, 'to'>;
/** Which of two links between one pair to keep (and show): bytes, then hash alone, then turned, then words. */
const strength = (l: Link) =>
  l.by === 'bytes' ? 3 : l.by === 'words' || l.by === 'phash+words' ? 1 + l.score : l.by === 'phash' ? 2 - (l.distance ?? 0) / 64 : l.by === 'turned' ? 1.5 - (l.distance ?? 0) / 64 : 0.5 + l.score;

/**
 * Largest set of linked photos grouped with every check: the keeper chosen again for what is left
 * after each group, the words' cosine computed for pairs the nearest-neighbour search did not
 * bring, crops searched for. Above it, keepers are taken in the keeper rule's order with the
 * links found only, so one huge look-alike cluster costs its links, not n^2.
 */
const DIRECT_CHECKS_UP_TO = 2000;
/**
 * Largest difference (grey levels) between two lossless files' low DCT coefficients for them to
 * hold the same pixels: a lossless re-save or format change gives equal ones, rounding aside.
 */
const LOSSLESS_SLACK = 0.5;

const mp = (r: ImageRecord) => `${r.width}×${r.height}`;
const kb = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`);
const pixels = (r: ImageRecord) => (r.width ?? 0) * (r.height ?? 0);

/**
 * The copy to keep and why: most pixels, then (given `links`, each photo's copies among them) the
 * one linked to the most copies, then largest file, then earliest capture date, then shortest path.
 */
export async function chooseKeeper(
  recs: ImageRecord[],
  opts: { exif?: boolean; links?: (r: ImageRecord) => number } = {},
): Promise<{ keeper: ImageRecord; reason: string; dates: Map<number, Date | null> }> {
  const dates = new Map<number, Date | null>();
  let pool = recs;
  const best = Math.max(...pool.map(pixels));
  const byPixels = pool.filter((r) => pixels(r) === best);
  if (byPixels.length === 1) {
    const k = byPixels[0];
    return { keeper: k, reason: `largest pixel count (${mp(k)})`, dates };
  }
  pool = byPixels;
  if (opts.links) {
    // Copies of one size are edits or re-saves of one of them, the one each links to; an edit
    // re-saved at a higher quality is a larger file than its original.
    const count = new Map(pool.map((r) => [r.id, opts.links!(r)]));
    const most = Math.max(...count.values());
    const byLinks = pool.filter((r) => count.get(r.id) === most);
    if (byLinks.length === 1) {
      const k = byLinks[0];
      return { keeper: k, reason: `same pixel count; linked to the most copies (${most})`, dates };
    }
    pool = byLinks;
  }
  const big = Math.max(...pool.map((r) => r.size));
  const bySize = pool.filter((r) => r.size === big);
  if (bySize.length === 1) {
    const k = bySize[0];
    return { keeper: k, reason: `same pixel count; largest file, least compressed (${kb(k.size)})`, dates };
  }
  pool = bySize;
  if (opts.exif !== false) {
    for (const r of pool) dates.set(r.id, await captureDate(r.path));
    const known = pool.filter((r) => dates.get(r.id));
    if (known.length > 0) {
      const first = Math.min(...known.map((r) => dates.get(r.id)!.getTime()));
      const byDate = known.filter((r) => dates.get(r.id)!.getTime() === first);
      if (byDate.length === 1) {
        const k = byDate[0];
        return { keeper: k, reason: `same pixels and file size; earliest capture date (${dates.get(k.id)!.toISOString()})`, dates };
      }
      pool = byDate;
    }
  }
  const k = [...pool].sort((a, b) => a.path.length - b.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))[0];
  return {
    keeper: k,
    reason: opts.exif === false ? 'same pixels and file size; shortest path' : 'same pixels, file size and capture date (or none); shortest path',
    dates,
  };
}

/** Accepts a pair into the "same photo" tier unless a person said they are not duplicates. */
class Decisions {
  /** hash -> ids of 'not-duplicates' decisions naming it. */
  private readonly notDup = new Map<string, Set<number>>();
  readonly list: Decision[];

  constructor(store: IndexStore, use: boolean) {
    this.list = use ? store.listDecisions() : [];
    for (const d of this.list) {
      if (d.kind !== 'not-duplicates') continue;
      for (const h of d.hashes) {
        const set = this.notDup.get(h) ?? new Set<number>();
        set.add(d.id);
        this.notDup.set(h, set);
      }
    }
  }

  /** Whether some decision says these two contents are not duplicates. */
  blocked(a: string | null, b: string | null): boolean {
    if (!a || !b || a === b) return false;
    const da = this.notDup.get(a);
    const db = this.notDup.get(b);
    if (!da || !db) return false;
    for (const id of da) if (db.has(id)) return true;
    return false;
  }
}

/** A RAW file's base name, or undefined for other files. */
function rawBase(p: string): string | undefined {
  return isRaw(p) ? p.slice(0, p.lastIndexOf('.')).toLowerCase() : undefined;
}

/** What makes `p` look like a derived copy of `other` by name: "IMG_1 (1).jpg", "IMG_1-edited.jpg", "IMG_1 copy.jpg". */
function derivedName(p: string, other: string): boolean {
  const stem = (x: string) => path.basename(x).replace(/\.[^.]+$/, '').toLowerCase();
  const a = stem(p);
  const b = stem(other);
  if (a === b || !a.startsWith(b)) return false;
  return /^(\s*\(\d+\)|[-_ ](edited|edit|copy|bearbeitet|modifi[ée]|\d+)|\s+copy(\s+\d+)?)$/.test(a.slice(b.length));
}

/**
 * Duplicate groups of the library in `store`, in two tiers: "same photo" (`groups`: exact and
 * near copies, with a suggested keeper) and "similar shots" (`similar`: look-alikes and bursts,
 * different photos of one scene, never to be trashed as duplicates). `live` is the query path to
 * use (the engine's liveIndex()); one over `store` is made (and closed) here when left out.
 */
export async function findDuplicates(store: IndexStore, opts: DuplicateOptions & { live?: LiveIndex } = {}): Promise<DuplicateReport> {
  const t0 = performance.now();
  const sensitivity = opts.sensitivity ?? DEFAULT_SENSITIVITY;
  const similarShots = opts.similarShots ?? DEFAULT_SIMILAR_SHOTS;
  const burstSeconds = opts.burstSeconds ?? DEFAULT_BURST_SECONDS;
  const phashSame = opts.phashSame ?? PHASH_SAME;
  const phashConfirm = opts.phashConfirm ?? PHASH_CONFIRM;
  const neighbours = opts.neighbours ?? DEFAULT_NEIGHBOURS;
  const tolerance = opts.aspectTolerance ?? ASPECT_TOLERANCE;
  if (!(sensitivity > 0 && sensitivity <= 1)) throw new Error(`sensitivity must be above 0 and at most 1, not ${sensitivity}`);
  if (!(similarShots > 0 && similarShots <= 1)) throw new Error(`similar-shots threshold must be above 0 and at most 1, not ${similarShots}`);
  const live = opts.live ?? new LiveIndex(store, { background: false });
  try {
    const recs = new Map<number, ImageRecord>();
    for (const r of store.listImages()) if (r.status === 'indexed') recs.set(r.id, r);
    const decisions = new Decisions(store, opts.decisions !== false);
    // Accepted links, the strongest for each pair, both ways. Groups are not their connected
    // parts: a photo joins a group only by its own link to the group's keeper (below).
    const edges = new Map<number, Map<number, Link>>();
    const edgeOf = (a: number, b: number) => edges.get(a)?.get(b);
    const link = (a: number, b: number, l: Link) => {
      const cur = edgeOf(a, b);
      if (cur && strength(cur) >= strength(l)) return;
      for (const [x, y] of [[a, b], [b, a]]) {
        let m = edges.get(x);
        if (!m) edges.set(x, (m = new Map()));
        m.set(y, l);
      }
    };
    const unlink = (a: number, b: number) => {
      edges.get(a)?.delete(b);
      edges.get(b)?.delete(a);
    };

    // Exact copies: one SQL GROUP BY over the hash index.
    const exact = exactDuplicateGroups(store);
    for (const g of exact) for (const id of g.slice(1)) link(g[0], id, { by: 'bytes', score: 1 });

    let t = performance.now();
    const timings = { snapshotMs: 0, phashMs: 0, wordsMs: 0, groupsMs: 0 };
    const snap = live.snapshot();
    timings.snapshotMs = performance.now() - t;
    t = performance.now();
    const pairs = {
      candidates: 0,
      accepted: 0,
      rejectedCosine: 0,
      rejectedAspect: 0,
      phashCandidates: 0,
      phashAccepted: 0,
      phashConfirmed: 0,
      transformed: 0,
      dismissed: 0,
      similarShots: 0,
      differentShots: 0,
      detailDiffers: 0,
      localDiffers: 0,
      placed: 0,
      cropChecks: 0,
      crops: 0,
      unchained: 0,
    };
    // Weighed bags, kept for the photos of the last few thousand checks only: all of them would
    // be 6 KB a photo.
    let weighed = new Map<number, { terms: Uint32Array; w: Float32Array }>();
    const vec = (id: number) => {
      let v = weighed.get(id);
      if (!v) {
        const bag = store.getBag(id);
        v = bag ? weigh(snap, bag) : { terms: new Uint32Array(0), w: new Float32Array(0) };
        if (weighed.size >= 4096) weighed = new Map();
        weighed.set(id, v);
      }
      return v;
    };
    // A pair's exact cosine: from the query index's forward lists when both photos are in it
    // (no bags read), else from the stored bags.
    const pairCosine = (a: number, b: number) => live.cosine(a, b) ?? dot(vec(a), vec(b));
    const shapesAgree = (x: ImageRecord, y: ImageRecord) => {
      const a = aspect(x);
      const b = aspect(y);
      return a === undefined || b === undefined || Math.max(a, b) / Math.min(a, b) <= tolerance;
    };
    // Pairs above the similar-shots threshold that did not pass as the same photo.
    const lookAlikes: { a: number; b: number; score: number }[] = [];
    // Pairs less alike than that but alike enough to be one scene if taken seconds apart.
    const burstCandidates: { a: number; b: number; score: number }[] = [];

    // Near copies by perceptual hash: every pair within PHASH_CONFIRM bits, by lookup; mirrored
    // and turned copies by looking up the hashes of the photo's flips and quarter turns, which
    // come from its stored coefficients (no second look at the photo, no model run).
    const phashes = new Map<number, Hash64>();
    if (opts.phash !== false) {
      await fillMissingPhashes(store, opts.resolution ?? storeResolution(store), opts.onProgress);
      const ids: number[] = [];
      const hashes: Hash64[] = [];
      const coeffs: Float32Array[] = [];
      for (const { id, dct } of store.iterPhash()) {
        if (!recs.has(id)) continue;
        const h = hashOf(dct);
        phashes.set(id, h);
        ids.push(id);
        hashes.push(h);
        coeffs.push(dct);
      }
      const index = new HashIndex(hashes);
      hashes.forEach((h, i) => {
        index.near(h, phashConfirm, (j, d) => {
          if (j <= i) return;
          const a = recs.get(ids[i])!;
          const b = recs.get(ids[j])!;
          pairs.phashCandidates++;
          if (!shapesAgree(a, b)) return;
          let cos: number | undefined;
          if (d > phashSame) {
            cos = pairCosine(a.id, b.id);
            if (cos < PHASH_CONFIRM_COSINE) return;
            pairs.phashConfirmed++;
          }
          if (decisions.blocked(a.hash, b.hash)) {
            pairs.dismissed++;
            return;
          }
          pairs.phashAccepted++;
          link(a.id, b.id, cos === undefined ? { by: 'phash', score: d <= 0 ? 1 : 1 - d / 64, distance: d } : { by: 'phash+words', score: cos, distance: d });
        });
        if (opts.transforms === false) return;
        const turned = dihedralHashes(coeffs[i]);
        for (let ti = 1; ti < TRANSFORMS.length; ti++) {
          index.near(turned[ti], PHASH_TURNED, (j, d) => {
            if (j === i) return;
            // The plain lookup already took this pair if it is as close without the turn.
            if (hamming(h, hashes[j]) <= d) return;
            const a = recs.get(ids[i])!;
            const b = recs.get(ids[j])!;
            if (!shapesAgree(a, b)) return;
            if (decisions.blocked(a.hash, b.hash)) {
              pairs.dismissed++;
              return;
            }
            pairs.transformed++;
            // TRANSFORMS[ti] turns a into (nearly) b.
            link(a.id, b.id, { by: 'turned', score: 1 - d / 64, distance: d, transform: TRANSFORMS[ti] });
          });
        }
      });
    }
    timings.phashMs = performance.now() - t;
    t = performance.now();

    // Near copies by visual words: each photo's few nearest neighbours, checked.
    const seen = new Set<number>();
    const floor = Math.min(sensitivity, similarShots, burstSeconds > 0 && opts.exif !== false ? BURST_COSINE : 1);
    for (const id of recs.keys()) {
      for (const n of live.searchById(id, neighbours + 1, () => store.getBag(id), { candidates: DUPLICATE_CANDIDATES, budget: DUPLICATE_BUDGET })) {
        if (n.id === id || n.score < floor) continue;
        const key = Math.min(id, n.id) * 2 ** 26 + Math.max(id, n.id);
        if (seen.has(key)) continue;
        seen.add(key);
        const other = recs.get(n.id);
        if (!other) continue;
        // Verify: the exact cosine from both stored bags.
        const cos = pairCosine(id, n.id);
        if (cos < sensitivity - 1e-4) {
          if (cos >= similarShots - 1e-4) lookAlikes.push({ a: id, b: n.id, score: cos });
          else if (cos >= BURST_COSINE && burstSeconds > 0 && opts.exif !== false) burstCandidates.push({ a: id, b: n.id, score: cos });
          continue;
        }
        pairs.candidates++;
        if (!shapesAgree(recs.get(id)!, other)) {
          pairs.rejectedAspect++;
          if (cos >= similarShots) lookAlikes.push({ a: id, b: n.id, score: cos });
          continue;
        }
        if (decisions.blocked(recs.get(id)!.hash, other.hash)) {
          pairs.dismissed++;
          lookAlikes.push({ a: id, b: n.id, score: cos });
          continue;
        }
        pairs.accepted++;
        link(id, n.id, { by: 'words', score: cos });
      }
    }
    weighed.clear();
    timings.wordsMs = performance.now() - t;
    t = performance.now();

    // What the files say about the shots (EXIF camera, lens, capture time), read once a photo
    // and only for photos in a link: two different cameras' shots of one test chart, or two
    // frames of a burst, look alike at 32 x 32 but are not one photo.
    const facts = new Map<number, Promise<ShotFacts>>();
    const factsOf = (id: number) => {
      let f = facts.get(id);
      if (!f) facts.set(id, (f = opts.exif === false ? Promise.resolve({}) : shotFacts(recs.get(id)!.path)));
      return f;
    };
    const sameBytes = (a: ImageRecord, b: ImageRecord) => a.hash !== null && a.hash === b.hash;
    /** Why a pair that passed the pixels' and words' checks is still two photos, or undefined. */
    const apart = async (a: ImageRecord, b: ImageRecord): Promise<string | undefined> => {
      if (sameBytes(a, b)) return undefined;
      // A lossless file re-saved losslessly keeps every pixel, so two lossless files of one size
      // whose pixels differ (screenshots of one program in two states) are not copies.
      if (LOSSLESS.test(a.path) && LOSSLESS.test(b.path) && a.width === b.width && a.height === b.height && a.width) {
        const ca = store.getPhash(a.id);
        const cb = store.getPhash(b.id);
        if (ca && cb && ca.some((x, i) => Math.abs(x - cb[i]) > LOSSLESS_SLACK)) return 'different pixels in two lossless files';
      }
      return differentShots(await factsOf(a.id), await factsOf(b.id));
    };
    // Fine detail, decoded only for photos in a perceptual-hash link, kept for the last few
    // thousand (16 KB each).
    const resolution = opts.resolution ?? storeResolution(store);
    const pixelsOf = async (id: number) => {
      const file = recs.get(id)!.path;
      try {
        return await decodeForModel(await photoSource(file, await readImageFile(file), resolution), resolution);
      } catch {
        return null; // unreadable now: the other signals decide alone, as before
      }
    };
    // Grey images of the last few photos decoded for a check (0.5 MB each at 299 px, with the
    // summed-area table: only a few kept), for the crop test and for placing a photo in its keeper.
    interface Grey {
      grey: Float32Array;
      width: number;
      height: number;
      /** Its summed-area table, made when the photo is searched as a keeper. */
      table?: GreyTable;
    }
    const greys = new Map<number, Promise<Grey | null>>();
    const greyOf = (id: number) => {
      let g = greys.get(id);
      if (!g) {
        g = pixelsOf(id).then((img) => img && { grey: greyOfPixels(img.pixels), width: img.width, height: img.height });
        // The least recently asked for goes (a group's keeper is asked for again and again).
        if (greys.size >= GREYS_KEPT) greys.delete(greys.keys().next().value!);
      } else {
        greys.delete(id);
      }
      greys.set(id, g);
      return g;
    };
    const tableOf = (g: Grey) => (g.table ??= greyTable(g.grey, g.width, g.height));
    // The window of the keeper the crop search found for a photo, for placing it there.
    const cropWindows = new Map<number, Window>();
    // One decode gives both looks a photo is checked by (20 KB together), kept for the last few thousand.
    let looks = new Map<number, Promise<{ fine: Float32Array; local: LocalLook } | null>>();
    const lookOf = (id: number) => {
      let d = looks.get(id);
      if (!d) {
        d = greyOf(id).then((g) => {
          if (!g) return null;
          const local = localLook(g.grey, g.width, g.height);
          return { fine: fineDetail(local.fine.mean), local };
        });
        if (looks.size >= 4096) looks = new Map();
        looks.set(id, d);
      }
      return d;
    };
    const detailOf = async (id: number) => (await lookOf(id))?.fine ?? null;
    /**
     * Whether `r` is a crop (or a crop of a small turn) of `keeper`, linked to it on its own: some
     * part of the keeper of r's shape, at least r's size, has r's hash within CROP_BITS, and their
     * words agree. A crop's own hash, of less of the scene, is far from the whole keeper's.
     */
    const cropOf = async (keeper: ImageRecord, r: ImageRecord): Promise<Link | undefined> => {
      const hr = phashes.get(r.id);
      if (!hr || !keeper.width || !keeper.height || !r.width || !r.height || pixels(r) >= pixels(keeper)) return undefined;
      const cos = pairCosine(keeper.id, r.id);
      if (cos < CROP_COSINE || decisions.blocked(keeper.hash, r.hash) || (await apart(keeper, r))) return undefined;
      const gk = await greyOf(keeper.id);
      if (!gk) return undefined;
      const g = tableOf(gk);
      const k = Math.max(g.width, g.height) / Math.max(keeper.width, keeper.height);
      const mw = r.width * k;
      const mh = r.height * k;
      if (mw > g.width + 0.5 || mh > g.height + 0.5) return undefined;
      const win = nearestWindow(g, hr, mw, mh, CROP_BITS);
      const d = win.bits;
      pairs.cropChecks++;
      if (d <= CROP_BITS) cropWindows.set(Math.min(keeper.id, r.id) * 2 ** 26 + Math.max(keeper.id, r.id), win);
      return d <= CROP_BITS ? { by: 'crop', score: cos, distance: d } : undefined;
    };
    /**
     * Whether two photos of one pixel size differ locally both ways (duplicates-local.ts): two
     * shots of one scene or template, not a photo and its edit. A flip or turn of one (its hash
     * nearer the other's turned than as it is) is not compared cell by cell.
     */
    const sameFraming = (a: ImageRecord, b: ImageRecord, l?: Link) => {
      if (!a.width || a.width !== b.width || a.height !== b.height || l?.by === 'turned') return false;
      // Without both hashes a turn cannot be ruled out (the words-alone comparison, a photo whose
      // hash could not be filled in): no verdict, as with a fact only one file carries.
      const ca = store.getPhash(a.id);
      const hb = phashes.get(b.id);
      if (!ca || !hb) return false;
      const turned = dihedralHashes(ca);
      const plain = hamming(turned[0], hb);
      for (let ti = 1; ti < turned.length; ti++) if (hamming(turned[ti], hb) + 8 <= plain) return false;
      return true;
    };
    // Asked only of a group's keeper and a photo joining it, not of every link: two edits of one
    // photo (a JPEG-5 and a brighter copy) can differ both ways, each against the other, while
    // each differs one way from the photo they were made from.
    const localChecked = new Map<number, boolean>();
    const localDiffers = async (a: ImageRecord, b: ImageRecord, l?: Link) => {
      // A flip or quarter turn found by its hash (within PHASH_TURNED bits after the turn) is a
      // turned copy: different photos lie so near after a turn about once in ten million pairs
      // (bench/experiments/phash-pairs.ts), against hundreds within 4 bits as they are, so these
      // are not decoded to be compared (320 photos on the near-duplicate set).
      if (l?.by === 'turned') return false;
      const key = Math.min(a.id, b.id) * 2 ** 26 + Math.max(a.id, b.id);
      let r = localChecked.get(key);
      if (r === undefined) {
        if (sameFraming(a, b, l)) {
          const la = await lookOf(a.id);
          const lb = la && (await lookOf(b.id));
          r = !!la && !!lb && twoShots(la.local, lb.local);
        } else {
          r = await placedTwoShots(a, b);
        }
        localChecked.set(key, r);
        if (r) pairs.localDiffers++;
      }
      return r;
    };
    /**
     * Whether two photos of other pixel sizes, or a flip or quarter turn of one another, differ
     * locally both ways once the smaller is placed where it lies in the larger: the turn undone
     * (a flip or turn of the larger within PHASH_TURNED bits of the smaller), then the window of
     * the larger with the smaller's hash (the whole of it, for a resize; else the crop search's),
     * then shifts, sizes and small turns around that window while the cells' correlation grows
     * (duplicates-local.ts, place). The window and the smaller photo are compared cell for cell at
     * the coarser of their two resolutions. A crop, a resize or a straightened copy then lines up
     * with its keeper as an edit does; another catalogue motorbike on white, another drawing of a
     * yin yang, differs both ways as another shot does.
     */
    const placedTwoShots = async (a: ImageRecord, b: ImageRecord): Promise<boolean> => {
      const [big, small] = pixels(a) >= pixels(b) ? [a, b] : [b, a];
      const cb = store.getPhash(big.id);
      const hs = phashes.get(small.id);
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
        const lb = await lookOf(big.id);
        const ls = lb && (await lookOf(small.id));
        return !!lb && !!ls && twoShots(turnLook(lb.local, TRANSFORMS[t]), ls.local);
      }
      const gb = await greyOf(big.id);
      const gs = gb && (await greyOf(small.id));
      const ls = gs && (await lookOf(small.id));
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
      let win = t === 0 ? cropWindows.get(Math.min(a.id, b.id) * 2 ** 26 + Math.max(a.id, b.id)) : undefined;
      const table = t === 0 ? tableOf(gb) : greyTable(grey, width, height);
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
      pairs.placed++;
      const p = place(table.sat, width, height, ls.local.coarse.mean, win);
      // At the coarser of the two resolutions: the window of a crop to 30% holds a third of the
      // pixels the crop was decoded at.
      const k = Math.min(p.w / gs.width, 1, PLACED_SIDE / Math.max(gs.width, gs.height));
      const ow = Math.max(8, Math.round(gs.width * k));
      const oh = Math.max(8, Math.round(gs.height * k));
      const lw = localLook(sampleWindow(table.sat, width, height, p, ow, oh), ow, oh);
      const lp = localLook(sampleWindow(tableOf(gs).sat, gs.width, gs.height, { cx: gs.width / 2, cy: gs.height / 2, w: gs.width, h: gs.height, angle: 0 }, ow, oh), ow, oh);
      return twoShots(lw, lp);
    };
    const sameShape = (a: ImageRecord, b: ImageRecord) => !!a.width && ((a.width === b.width && a.height === b.height) || (a.width === b.height && a.height === b.width));
    /**
     * Two photos that differ both ways but are each one edit away from a third of one size (or
     * a quarter turn of it),
     * linked to both (a brighter and a JPEG-5 copy of one original): two edits of one photo.
     */
    const editsOfOne = async (a: ImageRecord, b: ImageRecord) => {
      const nb = edges.get(b.id);
      for (const o of edges.get(a.id)?.keys() ?? []) {
        const ro = recs.get(o);
        if (!ro || !nb?.has(o)) continue;
        if (sameShape(a, ro) && sameShape(b, ro) && !(await localDiffers(a, ro)) && !(await localDiffers(b, ro))) return true;
      }
      return false;
    };
    /** Whether the link between a keeper and a photo joining it is two shots by their local differences. */
    const twoShotsApart = async (a: ImageRecord, b: ImageRecord, l?: Link) => (await localDiffers(a, b, l)) && !(await editsOfOne(a, b));
    /** Whether two hash-linked photos' fine detail disagrees: alike at 32 x 32, different below. */
    const detailDiffers = async (a: number, b: number) => {
      const da = await detailOf(a);
      const db = da && (await detailOf(b));
      if (!da || !db) return false;
      let s = 0;
      for (let i = 0; i < da.length; i++) s += da[i] * db[i];
      return s < DETAIL_SAME;
    };
    // Where to look for crops of a group's keeper, and how central each photo is among its
    // look-alikes: every link found, before the checks below turn some down (a crop whose only
    // links were to other crops is still checked against the keeper).
    const degree = new Map<number, number>();
    const nearby = new Map<number, Set<number>>();
    const near = (a: number, b: number) => {
      for (const [x, y] of [[a, b], [b, a]]) {
        let n = nearby.get(x);
        if (!n) nearby.set(x, (n = new Set()));
        n.add(y);
      }
    };
    for (const [a, m] of edges) {
      degree.set(a, m.size);
      for (const b of m.keys()) near(a, b);
    }
    // Look-alikes too, as places to look for crops: a crop to half the surface is alike in
    // words only to the wider crops.
    for (const p of lookAlikes) near(p.a, p.b);
    const cosineOf = (l: Link, a: number, b: number) => (l.by === 'words' || l.by === 'phash+words' ? l.score : pairCosine(a, b));
    // The checks of a few links at a time run together, so that one photo's file is read while
    // another's pixels are gone over; each check is on its own, so the verdicts are the same.
    const checks: [number, number, Link][] = [];
    for (const [a, m] of edges) for (const [b, l] of m) if (b > a && l.by !== 'bytes') checks.push([a, b, l]);
    for (let i = 0; i < checks.length; i += CHECKS_AT_ONCE) {
      const batch = checks.slice(i, i + CHECKS_AT_ONCE);
      const verdicts = await Promise.all(
        batch.map(async ([a, b, l]) => {
          const why = await apart(recs.get(a)!, recs.get(b)!);
          if (why) return 'different shots';
          if (l.by !== 'phash' && l.by !== 'phash+words') return undefined;
          // Words alike enough pass on their own, whatever the detail (a crop): no need to look.
          if (cosineOf(l, a, b) >= sensitivity - 1e-4) return undefined;
          return (await detailDiffers(a, b)) ? 'detail differs' : undefined;
        }),
      );
      batch.forEach(([a, b, l], k) => {
        if (!verdicts[k]) return;
        if (verdicts[k] === 'detail differs') pairs.detailDiffers++;
        else pairs.differentShots++;
        unlink(a, b);
        lookAlikes.push({ a, b, score: cosineOf(l, a, b) });
      });
    }

    /**
     * The link between a group's keeper and another photo of its linked set, checked on its own:
     * same bytes, a link the searches found, or (for sets small enough) words alike enough though
     * neither photo had the other among its nearest neighbours.
     */
    const direct = async (a: ImageRecord, b: ImageRecord, checkWords: boolean): Promise<Link | undefined> => {
      if (sameBytes(a, b)) return { by: 'bytes', score: 1 };
      const l = edgeOf(a.id, b.id);
      if (l) return (await twoShotsApart(a, b, l)) ? undefined : l;
      if (!checkWords) return undefined;
      const cos = pairCosine(a.id, b.id);
      if (cos < sensitivity - 1e-4 || !shapesAgree(a, b) || decisions.blocked(a.hash, b.hash) || (await apart(a, b)) || (await twoShotsApart(a, b))) return undefined;
      return { by: 'words', score: cos };
    };

    // "Same photo" groups, dupeGuru's way: in each set of linked photos the keeper is chosen
    // first, and only photos with their own link to it (or to every member) join it. Linking
    // members to members would chain: test-chart shots each 2 bits from the next made one group
    // of 264 different photos. Photos linked to a member but not to the keeper are grouped again
    // among themselves, and their links to this group go to "Similar shots".
    const found: { members: ImageRecord[]; keeper: ImageRecord; reason: string; dates: Map<number, Date | null>; via: Map<number, DuplicateLink>; chosen?: Decision }[] = [];
    const assigned = new Set<number>();
    // Sets of photos linked after the checks, those holding the largest photos first: a crop
    // linked only to other crops, in a set of its own, waits for its original's set to be
    // checked against.
    const linkedSets = new UnionFind();
    for (const g of exact) for (const id of g.slice(1)) linkedSets.union(g[0], id);
    for (const [a, m] of edges) for (const b of m.keys()) linkedSets.union(a, b);
    const sets = [...linkedSets.members().values()].map((ids) => ({ ids, top: Math.max(...ids.map((id) => pixels(recs.get(id) ?? ({} as ImageRecord)) || 0)) }));
    sets.sort((a, b) => b.top - a.top || Math.min(...a.ids) - Math.min(...b.ids));
    for (const { ids } of sets) {
      let remaining = ids.filter((id) => !assigned.has(id)).map((id) => recs.get(id)!).filter(Boolean);
      const checkWords = remaining.length <= (opts.directChecksUpTo ?? DIRECT_CHECKS_UP_TO);
      if (!checkWords) {
        // One huge set of links (thousands of look-alikes): keepers in the keeper rule's order,
        // each taking the photos its own links reach, so the work is the links', not n^2.
        const byHash = new Map<string, ImageRecord[]>();
        for (const r of remaining) if (r.hash) byHash.set(r.hash, [...(byHash.get(r.hash) ?? []), r]);
        remaining.sort((a, b) => pixels(b) - pixels(a) || (degree.get(b.id) ?? 0) - (degree.get(a.id) ?? 0) || b.size - a.size || a.path.length - b.path.length || (a.path < b.path ? -1 : 1));
        for (const keeper of remaining) {
          if (assigned.has(keeper.id)) continue;
          const members = [keeper];
          const via = new Map<number, DuplicateLink>();
          const reached = [...(byHash.get(keeper.hash ?? '') ?? []).filter((r) => r !== keeper).map((r) => [r, { by: 'bytes', score: 1 } as Link] as const)];
          for (const [o, l] of edges.get(keeper.id) ?? []) reached.push([recs.get(o)!, l]);
          for (const [r, l] of reached) {
            if (!r || assigned.has(r.id) || members.includes(r)) continue;
            if (l.by !== 'bytes' && (await twoShotsApart(keeper, r, l))) continue;
            let fits = true;
            for (const m of members) if (m !== keeper && (await apart(m, r))) fits = false;
            if (!fits) continue;
            members.push(r);
            via.set(r.id, { ...l, to: keeper.id });
          }
          if (members.length < 2) continue;
          for (const m of members) assigned.add(m.id);
          found.push({ members, keeper, reason: `largest pixel count among ${remaining.length} linked look-alikes (${mp(keeper)}); the rest by links`, dates: new Map(), via });
        }
        continue;
      }
      while (remaining.length >= 2) {
        const left = new Set(remaining.map((r) => r.id));
        const hashesLeft = new Map<string, number>();
        for (const r of remaining) if (r.hash) hashesLeft.set(r.hash, (hashesLeft.get(r.hash) ?? 0) + 1);
        // Only photos still linked to another one can keep anything.
        const linked = remaining.filter((r) => (r.hash !== null && hashesLeft.get(r.hash)! > 1) || [...(edges.get(r.id)?.keys() ?? [])].some((o) => left.has(o)));
        if (linked.length < 2) break;
        const hashesIn = new Set(linked.map((m) => m.hash).filter((h): h is string => !!h));
        // A keeper the person chose wins over the suggestion while that content is linked here.
        const chosen = decisions.list.find((d) => d.kind === 'keeper' && d.keeper && hashesIn.has(d.keeper) && d.hashes.some((h) => h !== d.keeper && hashesIn.has(h)));
        const chosenRec = chosen && linked.find((m) => m.hash === chosen.keeper);
        let keeper: ImageRecord;
        let reason: string;
        let dates = new Map<number, Date | null>();
        if (chosenRec) {
          keeper = chosenRec;
          reason = 'chosen by you';
        } else {
          ({ keeper, reason, dates } = await chooseKeeper(linked, { exif: opts.exif, links: (r) => degree.get(r.id) ?? 0 }));
        }
        const members = [keeper];
        const via = new Map<number, DuplicateLink>();
        // Nearer to a photo it could have been made from (at least its size) that is no copy of
        // this keeper's (a copy without EXIF links to two cameras' shots of one chart): a copy of
        // that one, if of either, so it waits for it.
        // A photo linked to the keeper that the keeper turns down as another shot (local
        // differences both ways) will not join it either, so a copy nearer to that one waits.
        const refused = new Set<number>();
        for (const r of remaining) {
          const l = r !== keeper && !sameBytes(keeper, r) ? edgeOf(keeper.id, r.id) : undefined;
          if (l && (await twoShotsApart(keeper, r, l))) refused.add(r.id);
        }
        const nearerElsewhere = (r: ImageRecord, l: Link) =>
          [...(edges.get(r.id) ?? [])].some(
            ([o, lo]) =>
              o !== keeper.id && left.has(o) && strength(lo) > strength(l) && pixels(recs.get(o)!) >= pixels(r) && !sameBytes(keeper, recs.get(o)!) && (!edgeOf(keeper.id, o) || refused.has(o)),
          );
        // Two photos the files say are two shots never share a group, even when a keeper without
        // EXIF links to both.
        const fits = async (r: ImageRecord) => {
          for (const m of members) if (m !== keeper && (await apart(m, r))) return false;
          return true;
        };
        for (const r of remaining) {
          if (r === keeper) continue;
          const l = await direct(keeper, r, checkWords);
          if (l && !nearerElsewhere(r, l) && (await fits(r))) {
            members.push(r);
            via.set(r.id, { ...l, to: keeper.id });
          }
        }
        // Crops of the keeper: linked to one of its copies (a wider crop) but too little of the
        // scene for their words or whole hash to match the keeper's, checked against the part of
        // the keeper they show.
        if (checkWords) {
          const tried = new Set(members.map((m) => m.id));
          // Candidates: photos near a member, and photos near those (a crop of a crop), at most
          // CROP_CANDIDATES; each is checked against the keeper itself.
          const queue = members.map((m) => m.id);
          for (let i = 0, hops = new Map<number, number>(); i < queue.length && tried.size < CROP_CANDIDATES; i++) {
            const from = queue[i];
            const hop = hops.get(from) ?? 0;
            for (const id of nearby.get(from) ?? []) {
              if (tried.has(id) || assigned.has(id) || tried.size >= CROP_CANDIDATES) continue;
              tried.add(id);
              const r = recs.get(id);
              if (!r) continue;
              if (hop < 1) {
                queue.push(id);
                hops.set(id, hop + 1);
              }
              const l = await cropOf(keeper, r);
              if (l && !nearerElsewhere(r, l) && (await fits(r)) && !(await twoShotsApart(keeper, r, l))) {
                members.push(r);
                via.set(r.id, { ...l, to: keeper.id });
                pairs.crops++;
              }
            }
          }
        }
        // A photo linked to every member is no chain either (the keeper's link to it may have
        // been turned down by shape, say, while each copy's own passed).
        for (let grew = members.length >= 2; grew; ) {
          grew = false;
          for (const r of remaining) {
            if (members.includes(r)) continue;
            const ls = members.map((m) => (sameBytes(m, r) ? ({ by: 'bytes', score: 1 } as Link) : edgeOf(m.id, r.id)));
            if (ls.some((l) => !l)) continue;
            let best = 0;
            for (let i = 1; i < ls.length; i++) if (strength(ls[i]!) > strength(ls[best]!)) best = i;
            if (nearerElsewhere(r, ls[best]!) || !(await fits(r)) || (await twoShotsApart(keeper, r))) continue;
            members.push(r);
            via.set(r.id, { ...ls[best]!, to: members[best].id });
            grew = true;
          }
        }
        if (members.length < 2) {
          remaining = remaining.filter((r) => r !== keeper);
          continue;
        }
        // The keeper's own line: its strongest link into the group.
        let top: DuplicateLink | undefined;
        for (const l of via.values()) if (l.to === keeper.id && (!top || strength(l) > strength(top))) top = l;
        if (top) {
          const back = [...via.entries()].find(([, l]) => l === top)![0];
          via.set(keeper.id, { ...top, to: back });
        }
        found.push({ members, keeper, reason, dates, via, chosen: chosenRec ? chosen : undefined });
        for (const m of members) assigned.add(m.id);
        remaining = remaining.filter((r) => !assigned.has(r.id));
      }
    }

    const groups: DuplicateGroup[] = [];
    const keptAll: DuplicateGroup[] = [];
    for (const { members, keeper, reason, dates, via, chosen } of found) {
      const hashesInGroup = new Set(members.map((m) => m.hash).filter((h): h is string => !!h));
      const kh = phashes.get(keeper.id);
      const kt = kh && opts.transforms !== false ? dihedralHashes(store.getPhash(keeper.id)!) : undefined;
      const out: DuplicateMember[] = members.map((r) => {
        const identical = r.id === keeper.id || (r.hash !== null && r.hash === keeper.hash);
        const score = identical ? 1 : Math.min(1, pairCosine(keeper.id, r.id));
        const m: DuplicateMember = { id: r.id, path: r.path, width: r.width, height: r.height, size: r.size, hash: r.hash, score, identical };
        const hr = phashes.get(r.id);
        if (kh && hr) {
          m.phashDistance = hamming(kh, hr);
          // Mirrored or turned relative to the keeper: a flip or turn of the keeper is closer
          // than the keeper itself, by a clear margin.
          if (kt && !identical) {
            let best = 0;
            for (let ti = 1; ti < kt.length; ti++) if (hamming(kt[ti], hr) < hamming(kt[best], hr)) best = ti;
            if (best !== 0 && hamming(kt[best], hr) + 8 <= m.phashDistance) m.transform = TRANSFORMS[best];
          }
        }
        const l = via.get(r.id);
        if (l) m.link = l;
        if (dates.has(r.id)) m.captureDate = dates.get(r.id)?.toISOString() ?? null;
        return m;
      });
      out.sort((a, b) => (a.id === keeper.id ? -1 : b.id === keeper.id ? 1 : b.score - a.score || a.id - b.id));
      // RAW + JPEG siblings and "(1)" / "-edited" copies are related, not clutter: say so, and
      // never suggest trashing a RAW for its own JPEG (or the other way round).
      const related: DuplicateGroup['related'] = [];
      for (const x of out) {
        for (const y of out) {
          if (x === y) continue;
          const rx = rawBase(x.path);
          if (rx && !rawBase(y.path) && y.path.toLowerCase().replace(/\.[^./\\]+$/, '') === rx) related.push({ a: x.id, b: y.id, kind: 'raw+jpeg' });
          else if (derivedName(x.path, y.path)) related.push({ a: x.id, b: y.id, kind: 'edited-copy' });
        }
      }
      for (const r of related) if (r.kind === 'raw+jpeg') for (const m of out) if (m.id === r.a || m.id === r.b) m.protect = 'raw+jpeg pair';
      const tier = members.every((r) => r.hash !== null && r.hash === keeper.hash) ? 'exact' : 'near';
      const group: DuplicateGroup = { tier, members: out, keeper: keeper.id, reason, key: groupKey(out) };
      if (related.length > 0) group.related = related;
      if (chosen) group.decision = { id: chosen.id, kind: 'keeper' };
      // "Keep all": hidden while the group holds only the contents the person saw; a new copy
      // joining it brings it back.
      const kept = decisions.list.find((d) => d.kind === 'keep-all' && [...hashesInGroup].every((h) => d.hashes.includes(h)));
      if (kept) {
        group.decision = { id: kept.id, kind: 'keep-all' };
        keptAll.push(group);
      } else {
        groups.push(group);
      }
    }
    groups.sort((a, b) => (a.tier === b.tier ? 0 : a.tier === 'exact' ? -1 : 1) || b.members.length - a.members.length || a.keeper - b.keeper);
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m.id, i)));
    const oneGroup = new Map<number, number>();
    [...groups, ...keptAll].forEach((g, i) => g.members.forEach((m) => oneGroup.set(m.id, i)));
    const sameGroup = (a: number, b: number) => oneGroup.has(a) && oneGroup.get(a) === oneGroup.get(b);
    // Links that did not make one group (a photo linked to a member, not to its keeper) are
    // look-alikes: shown as similar shots, never offered for the trash.
    for (const [a, m] of edges) {
      for (const [b, l] of m) {
        if (b < a || l.by === 'bytes' || sameGroup(a, b)) continue;
        pairs.unchained++;
        lookAlikes.push({ a, b, score: cosineOf(l, a, b) });
      }
    }

    // Similar shots: look-alike pairs (similar, but not verified as one photo) and bursts (taken
    // within burstSeconds of each other by EXIF, and at least BURST_COSINE alike), between photos
    // that are not already one group of the same photo; joined into groups.
    const suf = new UnionFind();
    const similarScore = new Map<number, number>();
    for (const p of lookAlikes) {
      if (sameGroup(p.a, p.b)) continue;
      // One scene keeps its composition, so its photos' perceptual hashes stay nearer than
      // chance; without this, photos that lost their texture (blurred, heavily compressed) look
      // alike in words whatever they show. Pairs as alike as the same-photo threshold (turned
      // down by shape or by a decision) need no such check.
      const ha = phashes.get(p.a);
      const hb = phashes.get(p.b);
      if (p.score < sensitivity && ha && hb && hamming(ha, hb) > SIMILAR_SHOTS_PHASH) {
        // Still a burst if taken seconds apart.
        if (burstSeconds > 0 && opts.exif !== false) burstCandidates.push(p);
        continue;
      }
      pairs.similarShots++;
      suf.union(p.a, p.b);
      for (const x of [p.a, p.b]) similarScore.set(x, Math.max(similarScore.get(x) ?? 0, p.score));
    }
    // Bursts: capture dates (EXIF, read once a photo and only for photos in a candidate pair)
    // within burstSeconds. The time says "one scene", so no hash check.
    const dateOf = new Map<number, Date | null>();
    const dated = async (id: number) => {
      if (!dateOf.has(id)) dateOf.set(id, await captureDate(recs.get(id)!.path));
      return dateOf.get(id)!;
    };
    for (const p of burstCandidates) {
      if (sameGroup(p.a, p.b)) continue;
      const da = await dated(p.a);
      const db = da && (await dated(p.b));
      if (!da || !db || Math.abs(da.getTime() - db.getTime()) > burstSeconds * 1000) continue;
      pairs.similarShots++;
      suf.union(p.a, p.b);
    }
    const similar: SimilarGroup[] = [];
    for (const ids of suf.members().values()) {
      if (ids.length < 2) continue;
      const members = ids.map((id) => recs.get(id)!).filter(Boolean);
      const dates = opts.exif === false ? new Map<number, Date | null>() : new Map(await Promise.all(members.map(async (m) => [m.id, await dated(m.id)] as const)));
      const times = [...dates.values()].filter((d): d is Date => !!d).map((d) => d.getTime());
      const burst = times.length === members.length && times.length > 1 && Math.max(...times) - Math.min(...times) <= burstSeconds * 1000;
      const first = members.reduce((a, b) => (b.id < a.id ? b : a));
      similar.push({
        kind: burst ? 'burst' : 'look-alike',
        key: groupKey(members),
        members: members
          .map((r) => {
            const m: SimilarMember = { id: r.id, path: r.path, width: r.width, height: r.height, size: r.size, hash: r.hash, score: r.id === first.id ? 1 : Math.min(1, pairCosine(first.id, r.id)) };
            const d = dates.get(r.id);
            if (d) m.captureDate = d.toISOString();
            const g = groupOf.get(r.id);
            if (g !== undefined) m.duplicateGroup = g;
            return m;
          })
          .sort((a, b) => b.score - a.score || a.id - b.id),
      });
    }
    similar.sort((a, b) => b.members.length - a.members.length || a.members[0].id - b.members[0].id);
    timings.groupsMs = performance.now() - t;
    return {
      groups,
      similar,
      keptAll,
      decisions: decisions.list.length,
      photos: recs.size,
      sensitivity,
      similarShots,
      neighbours,
      pairs,
      ms: performance.now() - t0,
      timings,
    };
  } finally {
    if (!opts.live) live.close();
  }
}

/** A stable name for a set of photos (their content hashes, else ids), for decisions and the UI. */
function groupKey(members: { id: number; hash: string | null }[]): string {
  return createHash('sha1')
    .update(members.map((m) => m.hash ?? `id:${m.id}`).sort().join(','))
    .digest('hex')
    .slice(0, 16);
}

/** The long side the index decodes photos at (its settings), 299 when it does not say. */
function storeResolution(store: IndexStore): number {
  const r = (store.settings as { resolution?: unknown } | null)?.resolution;
  return typeof r === 'number' && r > 0 ? r : 299;
}

/**
 * Perceptual hashes for indexed photos that lack one (indexed before schema 3), computed from the
 * same pixels indexing would decode. A file that cannot be read now is left without one (its
 * visual words still take part) and tried again next time.
 */
export async function fillMissingPhashes(
  store: IndexStore,
  resolution: number,
  onProgress?: (p: { phase: 'phash'; done: number; total: number }) => void,
): Promise<number> {
  const missing = store.missingPhash();
  let done = 0;
  let filled = 0;
  for (const { id, path: file } of missing) {
    try {
      const f = await readImageFile(file);
      const img = await decodeForModel(await photoSource(file, f, resolution), resolution);
      store.putPhash(id, lowFrequencyDct(img.pixels, img.width, img.height));
      filled++;
    } catch {
      // unreadable now: see above
    }
    done++;
    if (onProgress && (done % 50 === 0 || done === missing.length)) onProgress({ phase: 'phash', done, total: missing.length });
  }
  return filled;
}

/** Opens an existing index for reading duplicates without loading the model. */
export function openStoreForDuplicates(dbPath: string): IndexStore {
  if (!fs.existsSync(dbPath)) throw new Error(`no index at ${dbPath}; create one with: photowords index DIR --db ${dbPath}`);
  const fingerprint = IndexStore.readFingerprint(dbPath);
  if (!fingerprint) throw new Error(`${dbPath} is not a photowords index (no fingerprint)`);
  return IndexStore.open(dbPath, { fingerprint, settings: (IndexStore.readSettings(dbPath) as object) ?? {} });
}

/**
 * A member's link in words: how it came into its group, and with `nameOf`, to which member (the
 * keeper, or for a photo linked to every member, the member it is nearest).
 */
export function whyLinked(m: DuplicateMember, nameOf?: (id: number) => string | undefined): string {
  const l = m.link;
  if (!l) return '';
  const to = nameOf?.(l.to);
  const suffix = to ? ` to ${to}` : '';
  switch (l.by) {
    case 'bytes':
      return `same bytes as ${to ?? 'another copy'}`;
    case 'phash':
      return `perceptual hash ${l.distance} of 64 bits${suffix}`;
    case 'phash+words':
      return `perceptual hash ${l.distance} bits and visual words ${l.score.toFixed(2)}${suffix}`;
    case 'words':
      return `visual words ${l.score.toFixed(2)}${suffix}`;
    case 'crop':
      return `a crop of ${to ?? 'the keeper'} (hash ${l.distance} bits from the part it shows, visual words ${l.score.toFixed(2)})`;
    case 'turned': {
      const t = l.transform === 'mirror' ? 'mirrored' : l.transform === 'flip' ? 'upside-down' : l.transform === 'rot90' ? 'turned 90°' : l.transform === 'rot180' ? 'turned 180°' : l.transform === 'rot270' ? 'turned 270°' : l.transform;
      return `${t} copy (hash ${l.distance} bits after the turn)${suffix}`;
    }
  }
}
