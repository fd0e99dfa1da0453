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
// Pairs and same-hash copies are joined with union-find into groups.
//
// The keeper: the most pixels, then the largest file (least compressed), then the earliest capture
// date (EXIF DateTimeOriginal/CreateDate via exifr, read only for members still tied), then the
// shortest path.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import { decodeForModel, readImageFile } from './decode.js';
import { isRaw } from './formats.js';
import { photoSource } from './source.js';
import { HashIndex } from './hashindex.js';
import { storedTf, type ImpactIndex } from './impactindex.js';
import { TRANSFORMS, dihedralHashes, hamming, hashOf, lowFrequencyDct, type Hash64, type Transform } from './phash.js';
import { LiveIndex } from './liveindex.js';
import { IndexStore, type Decision, type ImageRecord } from './store.js';
import type { Bag } from './types.js';

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
 * photo lie within 2 bits of the hash its coefficients predict (test/phash.test.ts); over the dev
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
}

/** How a photo came into its group: its strongest accepted link, to another member. */
export interface DuplicateLink {
  to: number;
  /**
   * 'bytes': the same file content; 'phash': perceptual hashes within PHASH_SAME bits;
   * 'phash+words': within PHASH_CONFIRM bits and the words agree; 'words': visual-word cosine at
   * or above the sensitivity; 'turned': a flip or quarter turn of one has the other's hash.
   */
  by: 'bytes' | 'phash' | 'phash+words' | 'words' | 'turned';
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

const mp = (r: ImageRecord) => `${r.width}×${r.height}`;
const kb = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`);
const pixels = (r: ImageRecord) => (r.width ?? 0) * (r.height ?? 0);

/** The copy to keep and why: most pixels, then largest file, then earliest capture date, then shortest path. */
export async function chooseKeeper(
  recs: ImageRecord[],
  opts: { exif?: boolean } = {},
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
    const uf = new UnionFind();
    const recs = new Map<number, ImageRecord>();
    for (const r of store.listImages()) if (r.status === 'indexed') recs.set(r.id, r);
    const decisions = new Decisions(store, opts.decisions !== false);
    // How each photo came into its group: the strongest accepted link it has.
    const links = new Map<number, DuplicateLink>();
    const strength = (l: DuplicateLink) => (l.by === 'bytes' ? 3 : l.by === 'words' || l.by === 'phash+words' ? 1 + l.score : l.by === 'phash' ? 2 - (l.distance ?? 0) / 64 : 1.5 - (l.distance ?? 0) / 64);
    const link = (a: number, b: number, l: Omit<DuplicateLink, 'to'>) => {
      for (const [x, y] of [[a, b], [b, a]]) {
        const cur = links.get(x);
        const next = { ...l, to: y };
        if (!cur || strength(next) > strength(cur)) links.set(x, next);
      }
      uf.union(a, b);
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

    const groups: DuplicateGroup[] = [];
    const keptAll: DuplicateGroup[] = [];
    const groupOf = new Map<number, number>();
    for (const memberIds of uf.members().values()) {
      const members = memberIds.map((id) => recs.get(id)!).filter(Boolean);
      if (members.length < 2) continue;
      const hashesInGroup = new Set(members.map((m) => m.hash).filter((h): h is string => !!h));
      // A keeper the person chose wins over the suggestion while that content is in the group.
      const chosen = decisions.list.find((d) => d.kind === 'keeper' && d.keeper && hashesInGroup.has(d.keeper) && d.hashes.some((h) => h !== d.keeper && hashesInGroup.has(h)));
      let keeper: ImageRecord;
      let reason: string;
      let dates = new Map<number, Date | null>();
      const chosenRec = chosen && members.find((m) => m.hash === chosen.keeper);
      if (chosenRec) {
        keeper = chosenRec;
        reason = 'chosen by you';
      } else {
        ({ keeper, reason, dates } = await chooseKeeper(members, { exif: opts.exif }));
      }
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
        const l = links.get(r.id);
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
      if (chosen && chosenRec) group.decision = { id: chosen.id, kind: 'keeper' };
      // "Keep all": hidden while the group holds only the contents the person saw; a new copy
      // joining it brings it back.
      const kept = decisions.list.find((d) => d.kind === 'keep-all' && [...hashesInGroup].every((h) => d.hashes.includes(h)));
      if (kept) {
        group.decision = { id: kept.id, kind: 'keep-all' };
        keptAll.push(group);
      } else {
        for (const m of out) groupOf.set(m.id, groups.length);
        groups.push(group);
      }
    }
    groups.sort((a, b) => (a.tier === b.tier ? 0 : a.tier === 'exact' ? -1 : 1) || b.members.length - a.members.length || a.keeper - b.keeper);

    // Similar shots: look-alike pairs (similar, but not verified as one photo) and bursts (taken
    // within burstSeconds of each other by EXIF, and at least BURST_COSINE alike), between photos
    // that are not already one group of the same photo; joined into groups.
    const suf = new UnionFind();
    const similarScore = new Map<number, number>();
    const sameGroup = (a: number, b: number) => uf.find(a) === uf.find(b);
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
 * A member's link in words: how it came into its group, and with `nameOf`, to which member
 * (links join any two members, not always a member and the keeper).
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
    case 'turned': {
      const t = l.transform === 'mirror' ? 'mirrored' : l.transform === 'flip' ? 'upside-down' : l.transform === 'rot90' ? 'turned 90°' : l.transform === 'rot180' ? 'turned 180°' : l.transform === 'rot270' ? 'turned 270°' : l.transform;
      return `${t} copy (hash ${l.distance} bits after the turn)${suffix}`;
    }
  }
}
