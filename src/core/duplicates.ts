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
import fs from 'node:fs';
import exifr from 'exifr';
import { decodeForModel, readImageFile } from './decode.js';
import { HashIndex } from './hashindex.js';
import { storedTf, type ImpactIndex } from './impactindex.js';
import { hamming, hashOf, lowFrequencyDct, type Hash64 } from './phash.js';
import { LiveIndex } from './liveindex.js';
import { IndexStore, type ImageRecord } from './store.js';
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
 * Perceptual-hash distances (bits of 64). Measured on the benchmark's 1,570 photos (1.2M pairs of
 * different photos): different photos lie 12 bits apart at the closest, 17 at the 1-in-10,000th;
 * JPEG quality 5, greyscale, blur, half size and brightness copies lie within 5 (text overlays 7,
 * at most 20; turns by 5 degrees 16, crops to 70% 19, at the median). So 10 bits alone decide, and
 * up to 16 bits decide with the words' agreement: every pair of different photos that the words
 * confirmed there was 18 bits apart (two dandelions, a daffodil and a buttercup at JPEG quality 5,
 * two headphones).
 */
export const PHASH_SAME = 10;
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
}

export interface DuplicateMember {
  id: number;
  path: string;
  width: number | null;
  height: number | null;
  /** File size in bytes as indexed. */
  size: number;
  hash: string | null;
  /** TF-IDF cosine to the group's keeper (1 for the keeper and its byte-for-byte copies). */
  score: number;
  /** Same bytes as the keeper. */
  identical: boolean;
  /** Bits (of 64) between its perceptual hash and the keeper's, when both have one. */
  phashDistance?: number;
  /** EXIF capture date (ISO) when it was read (only to break ties). */
  captureDate?: string | null;
}

export interface DuplicateGroup {
  /** 'exact': every member has the same bytes; 'near': at least one differs. */
  tier: 'exact' | 'near';
  /** Members, the keeper first, then by score to the keeper. */
  members: DuplicateMember[];
  keeper: number;
  reason: string;
}

export interface DuplicateReport {
  groups: DuplicateGroup[];
  photos: number;
  sensitivity: number;
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

/**
 * Duplicate groups of the library in `store`. `live` is the query path to use (the engine's
 * liveIndex()); one over `store` is made (and closed) here when left out.
 */
export async function findDuplicates(store: IndexStore, opts: DuplicateOptions & { live?: LiveIndex } = {}): Promise<DuplicateReport> {
  const t0 = performance.now();
  const sensitivity = opts.sensitivity ?? DEFAULT_SENSITIVITY;
  const neighbours = opts.neighbours ?? DEFAULT_NEIGHBOURS;
  const tolerance = opts.aspectTolerance ?? ASPECT_TOLERANCE;
  if (!(sensitivity > 0 && sensitivity <= 1)) throw new Error(`sensitivity must be above 0 and at most 1, not ${sensitivity}`);
  const live = opts.live ?? new LiveIndex(store, { background: false });
  try {
    const uf = new UnionFind();
    const recs = new Map<number, ImageRecord>();
    for (const r of store.listImages()) if (r.status === 'indexed') recs.set(r.id, r);

    // Exact copies: one SQL GROUP BY over the hash index.
    const exact = exactDuplicateGroups(store);
    for (const g of exact) for (const id of g) uf.union(g[0], id);

    let t = performance.now();
    const timings = { snapshotMs: 0, phashMs: 0, wordsMs: 0, groupsMs: 0 };
    const snap = live.snapshot();
    timings.snapshotMs = performance.now() - t;
    t = performance.now();
    const pairs = { candidates: 0, accepted: 0, rejectedCosine: 0, rejectedAspect: 0, phashCandidates: 0, phashAccepted: 0, phashConfirmed: 0 };
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
    const shapesAgree = (x: ImageRecord, y: ImageRecord) => {
      const a = aspect(x);
      const b = aspect(y);
      return a === undefined || b === undefined || Math.max(a, b) / Math.min(a, b) <= tolerance;
    };

    // Near copies by perceptual hash: every pair within PHASH_CONFIRM bits, by lookup.
    const phashes = new Map<number, Hash64>();
    if (opts.phash !== false) {
      await fillMissingPhashes(store, opts.resolution ?? storeResolution(store), opts.onProgress);
      const ids: number[] = [];
      const hashes: Hash64[] = [];
      for (const { id, dct } of store.iterPhash()) {
        if (!recs.has(id)) continue;
        const h = hashOf(dct);
        phashes.set(id, h);
        ids.push(id);
        hashes.push(h);
      }
      const index = new HashIndex(hashes);
      hashes.forEach((h, i) => {
        index.near(h, PHASH_CONFIRM, (j, d) => {
          if (j <= i) return;
          const a = recs.get(ids[i])!;
          const b = recs.get(ids[j])!;
          pairs.phashCandidates++;
          if (!shapesAgree(a, b)) return;
          if (d > PHASH_SAME) {
            if (dot(vec(a.id), vec(b.id)) < PHASH_CONFIRM_COSINE) return;
            pairs.phashConfirmed++;
          }
          pairs.phashAccepted++;
          uf.union(a.id, b.id);
        });
      });
    }

    timings.phashMs = performance.now() - t;
    t = performance.now();

    // Near copies by visual words: each photo's few nearest neighbours, checked.
    const seen = new Set<number>();
    for (const id of recs.keys()) {
      const bag = store.getBag(id);
      if (!bag) continue;
      for (const n of live.search(bag, neighbours + 1, { candidates: DUPLICATE_CANDIDATES, budget: DUPLICATE_BUDGET })) {
        if (n.id === id || n.score < sensitivity) continue;
        const key = Math.min(id, n.id) * 2 ** 26 + Math.max(id, n.id);
        if (seen.has(key)) continue;
        seen.add(key);
        pairs.candidates++;
        const other = recs.get(n.id);
        if (!other) continue;
        // Verify: the exact cosine from both stored bags.
        if (dot(vec(id), vec(n.id)) < sensitivity - 1e-4) {
          pairs.rejectedCosine++;
          continue;
        }
        if (!shapesAgree(recs.get(id)!, other)) {
          pairs.rejectedAspect++;
          continue;
        }
        pairs.accepted++;
        uf.union(id, n.id);
      }
    }
    weighed.clear();
    timings.wordsMs = performance.now() - t;
    t = performance.now();

    const groups: DuplicateGroup[] = [];
    for (const memberIds of uf.members().values()) {
      const members = memberIds.map((id) => recs.get(id)!).filter(Boolean);
      if (members.length < 2) continue;
      const { keeper, reason, dates } = await chooseKeeper(members, { exif: opts.exif });
      const kv = weigh(snap, store.getBag(keeper.id) ?? { terms: new Uint32Array(0), tfs: new Float32Array(0) });
      const out: DuplicateMember[] = members.map((r) => {
        const identical = r.id === keeper.id || (r.hash !== null && r.hash === keeper.hash);
        const bag = identical ? undefined : store.getBag(r.id);
        const score = identical ? 1 : bag ? Math.min(1, dot(kv, weigh(snap, bag))) : 0;
        const m: DuplicateMember = { id: r.id, path: r.path, width: r.width, height: r.height, size: r.size, hash: r.hash, score, identical };
        const hk = phashes.get(keeper.id);
        const hr = phashes.get(r.id);
        if (hk && hr) m.phashDistance = hamming(hk, hr);
        if (dates.has(r.id)) m.captureDate = dates.get(r.id)?.toISOString() ?? null;
        return m;
      });
      out.sort((a, b) => (a.id === keeper.id ? -1 : b.id === keeper.id ? 1 : b.score - a.score || a.id - b.id));
      const tier = members.every((r) => r.hash !== null && r.hash === keeper.hash) ? 'exact' : 'near';
      groups.push({ tier, members: out, keeper: keeper.id, reason });
    }
    groups.sort((a, b) => (a.tier === b.tier ? 0 : a.tier === 'exact' ? -1 : 1) || b.members.length - a.members.length || a.keeper - b.keeper);
    timings.groupsMs = performance.now() - t;
    return { groups, photos: recs.size, sensitivity, neighbours, pairs, ms: performance.now() - t0, timings };
  } finally {
    if (!opts.live) live.close();
  }
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
      const img = await decodeForModel(f.buffer, resolution);
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
