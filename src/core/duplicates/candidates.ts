// The pairs that may be the same photo, found without comparing all pairs: exact copies by content
// hash, near copies by perceptual hash (a multi-index lookup, hash-index.ts) and by visual words
// (each photo's few nearest neighbours on the query path). Each accepted pair becomes a link; the
// pairs alike but not enough go to the similar-shots candidates. Why two signals, and the rules
// a pair must pass: docs/DUPLICATES.md#how.
import { TRANSFORMS, dihedralHashesInto, hamming, hashOf, type Hash64 } from '../analysis/phash.js';
import type { ImpactIndex } from '../search/impact-index.js';
import type { IndexStore } from '../index/store.js';
import type { FindContext } from './context.js';
import { HashIndex } from './hash-index.js';
import { hashPairsOf, type HashHits } from './hash-pairs.js';
import { shapesAgree, type Links } from './links.js';
import { exactDuplicateGroups, fillMissingPhashes } from './store-access.js';
import { BURST_COSINE, PHASH_CONFIRM_COSINE, PHASH_TURNED } from './thresholds.js';
import type { DuplicateOptions } from './types.js';
import { KEY_CANDIDATES, KeyWordIndex } from './word-pairs.js';
import { WordPairs } from './word-pair-list.js';

/**
 * Bits of 64 within which the hash lookup itself finds every pair (one bit a 16-bit chunk). Pairs
 * further apart, up to phashConfirm, are links only when the words agree (PHASH_CONFIRM_COSINE),
 * so they are taken from the word candidates (linkWordPairs): an exact lookup at 16 bits probes
 * 2,517 values a chunk and its pairs grow with the square of the library (docs/DUPLICATES.md#scale).
 */
export const HASH_LOOKUP_BITS = 7;

/** Exact copies: one SQL GROUP BY over the content-hash index, each group linked by its bytes. Returns the groups. */
export function linkExactCopies(store: IndexStore, links: Links): number[][] {
  const exact = exactDuplicateGroups(store);
  for (const g of exact) for (const id of g.slice(1)) links.add(g[0], id, { by: 'bytes', score: 1 });
  return exact;
}

/**
 * Near copies by perceptual hash: every pair within HASH_LOOKUP_BITS bits, by lookup (those further
 * apart come with the word pairs); mirrored and turned copies by looking up the hashes of the
 * photo's flips and quarter turns, which come from its stored coefficients (no second look at the
 * photo, no model run). In two steps: the hashes read (`ctx.phashes` filled) and the lookups
 * started on a worker thread (hash-pairs.ts), so that the calling thread can key the words
 * meanwhile; then `link()` takes the pairs met and links them, in the order the lookups met them.
 */
export async function startHashPairs(ctx: FindContext, onProgress: DuplicateOptions['onProgress']): Promise<{ link: () => Promise<void> }> {
  const { store, recs, settings } = ctx;
  await fillMissingPhashes(store, settings.resolution, onProgress);
  const ids: number[] = [];
  const hashes: Hash64[] = [];
  const coeffs: Float32Array[] = [];
  for (const { id, dct } of store.iterPhash()) {
    if (!recs.has(id)) continue;
    const h = hashOf(dct);
    ctx.phashes.set(id, h);
    ids.push(id);
    hashes.push(h);
    coeffs.push(dct);
  }
  const index = new HashIndex(hashes);
  const bits = new Uint32Array(new SharedArrayBuffer(Math.max(8, 8 * hashes.length)));
  hashes.forEach((h, i) => {
    bits[2 * i] = h.hi;
    bits[2 * i + 1] = h.lo;
  });
  let turned: Uint32Array | null = null;
  if (settings.transforms) {
    const n = 2 * TRANSFORMS.length;
    turned = new Uint32Array(new SharedArrayBuffer(Math.max(4 * n, 4 * n * coeffs.length)));
    for (let i = 0; i < coeffs.length; i++) dihedralHashesInto(coeffs[i], turned.subarray(n * i, n * i + n));
  }
  const hits = hashPairsOf(index, bits, turned, Math.min(settings.phashConfirm, HASH_LOOKUP_BITS), PHASH_TURNED);
  return { link: async () => linkHits(ctx, ids, await hits) };
}

/** The hash lookups' pairs, in the order met: what each needs beyond the hashes, and its link. */
function linkHits(ctx: FindContext, ids: number[], hits: HashHits): void {
  const { recs, settings, pairs, links, decisions } = ctx;
  for (let h = 0; h < hits.count; h++) {
    const d = hits.d[h];
    const ti = hits.t[h];
    const a = recs.get(ids[hits.i[h]])!;
    const b = recs.get(ids[hits.j[h]])!;
    if (ti === 0) {
      pairs.phashCandidates++;
      if (!shapesAgree(a, b, settings.aspectTolerance)) continue;
      let cos: number | undefined;
      if (d > settings.phashSame) {
        cos = ctx.cosines.cosine(a.id, b.id);
        if (cos < PHASH_CONFIRM_COSINE) continue;
        pairs.phashConfirmed++;
      }
      if (decisions.blocked(a.hash, b.hash)) {
        pairs.dismissed++;
        continue;
      }
      pairs.phashAccepted++;
      links.add(a.id, b.id, cos === undefined ? { by: 'phash', score: d <= 0 ? 1 : 1 - d / 64, distance: d } : { by: 'phash+words', score: cos, distance: d });
      continue;
    }
    if (!shapesAgree(a, b, settings.aspectTolerance)) continue;
    if (decisions.blocked(a.hash, b.hash)) {
      pairs.dismissed++;
      continue;
    }
    pairs.transformed++;
    // TRANSFORMS[ti] turns a into (nearly) b.
    links.add(a.id, b.id, { by: 'turned', score: 1 - d / 64, distance: d, transform: TRANSFORMS[ti] });
  }
}

/**
 * Near copies by visual words: candidate pairs by shared key words (word-pairs.ts), verified by the
 * exact cosine and by their shapes; of those, each photo's `neighbours` most alike. Hash pairs
 * beyond the lookup's bits whose words agree are linked here too. Pairs less alike go to the
 * look-alike and burst candidates.
 */
export function linkWordPairs(ctx: FindContext, snap: ImpactIndex, keys = keyWords(ctx, snap)): { keyMs: number; pairMs: number; keyBytes: number } {
  const { recs, settings, pairs } = ctx;
  const { sensitivity, similarShots } = settings;
  const bursts = settings.burstSeconds > 0 && settings.exif;
  const floor = Math.min(sensitivity, similarShots, bursts ? BURST_COSINE : 1, settings.phash ? PHASH_CONFIRM_COSINE : 1);
  const { index: keyed, ms: keyMs } = keys;
  const t = performance.now();
  const found = new WordPairs();
  const cos = new Float32Array(KEY_CANDIDATES);
  keyed.candidatesOf(KEY_CANDIDATES, (a, bs, _shared, count) => {
    ctx.cosines.cosinesFrom(a, bs, count, cos);
    for (let k = 0; k < count; k++) if (cos[k] >= floor - 1e-4) found.push(a, bs[k], cos[k]);
  });
  const pairMs = performance.now() - t;
  if (settings.phash) linkFarHashPairs(ctx, found);
  const wordFloor = Math.min(sensitivity, similarShots, bursts ? BURST_COSINE : 1);
  found.nearest(settings.neighbours, (a, b, cos) => {
    if (cos < wordFloor - 1e-4) return;
    const rec = recs.get(a)!;
    const other = recs.get(b)!;
    if (cos < sensitivity - 1e-4) {
      if (cos >= similarShots - 1e-4) ctx.lookAlikes.push({ a, b, score: cos });
      else if (cos >= BURST_COSINE && bursts) ctx.burstCandidates.push({ a, b, score: cos });
      return;
    }
    pairs.candidates++;
    if (!shapesAgree(rec, other, settings.aspectTolerance)) {
      pairs.rejectedAspect++;
      if (cos >= similarShots) ctx.lookAlikes.push({ a, b, score: cos });
      return;
    }
    if (ctx.decisions.blocked(rec.hash, other.hash)) {
      pairs.dismissed++;
      ctx.lookAlikes.push({ a, b, score: cos });
      return;
    }
    pairs.accepted++;
    ctx.links.add(a, b, { by: 'words', score: cos });
  });
  return { keyMs, pairMs, keyBytes: keyed.memoryBytes };
}

/** The key word index of the photos (word-pairs.ts), and the milliseconds it took: linkWordPairs' first step, which may run while startHashPairs' lookups do. */
export function keyWords(ctx: FindContext, snap: ImpactIndex): { index: KeyWordIndex; ms: number } {
  const t = performance.now();
  const index = KeyWordIndex.fromStore(ctx.store, snap, (id) => ctx.recs.has(id));
  return { index, ms: performance.now() - t };
}

/** Hash pairs beyond the lookup's bits, up to phashConfirm, among the word pairs whose words agree. */
function linkFarHashPairs(ctx: FindContext, found: WordPairs): void {
  const { recs, settings, pairs, links, decisions, phashes } = ctx;
  const lookup = Math.min(settings.phashConfirm, HASH_LOOKUP_BITS);
  found.each((a, b, cos) => {
    if (cos < PHASH_CONFIRM_COSINE) return;
    const ha = phashes.get(a);
    const hb = phashes.get(b);
    if (!ha || !hb) return;
    const d = hamming(ha, hb);
    if (d <= lookup || d > settings.phashConfirm) return;
    pairs.phashCandidates++;
    const ra = recs.get(a)!;
    const rb = recs.get(b)!;
    if (!shapesAgree(ra, rb, settings.aspectTolerance)) return;
    pairs.phashConfirmed++;
    if (decisions.blocked(ra.hash, rb.hash)) {
      pairs.dismissed++;
      return;
    }
    pairs.phashAccepted++;
    links.add(a, b, { by: 'phash+words', score: cos, distance: d });
  });
}
