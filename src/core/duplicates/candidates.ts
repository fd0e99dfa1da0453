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
 * apart come with the word pairs); mirrored and
 * turned copies by looking up the hashes of the photo's flips and quarter turns, which come from
 * its stored coefficients (no second look at the photo, no model run). Fills `ctx.phashes`.
 */
export async function linkHashPairs(ctx: FindContext, onProgress: DuplicateOptions['onProgress']): Promise<void> {
  const { store, recs, settings, pairs, links, decisions } = ctx;
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
  const turnedBits = new Uint32Array(2 * TRANSFORMS.length);
  const turned: Hash64 = { hi: 0, lo: 0 };
  hashes.forEach((h, i) => {
    index.near(h, Math.min(settings.phashConfirm, HASH_LOOKUP_BITS), (j, d) => {
      if (j <= i) return;
      const a = recs.get(ids[i])!;
      const b = recs.get(ids[j])!;
      pairs.phashCandidates++;
      if (!shapesAgree(a, b, settings.aspectTolerance)) return;
      let cos: number | undefined;
      if (d > settings.phashSame) {
        cos = ctx.cosines.cosine(a.id, b.id);
        if (cos < PHASH_CONFIRM_COSINE) return;
        pairs.phashConfirmed++;
      }
      if (decisions.blocked(a.hash, b.hash)) {
        pairs.dismissed++;
        return;
      }
      pairs.phashAccepted++;
      links.add(a.id, b.id, cos === undefined ? { by: 'phash', score: d <= 0 ? 1 : 1 - d / 64, distance: d } : { by: 'phash+words', score: cos, distance: d });
    });
    if (!settings.transforms) return;
    dihedralHashesInto(coeffs[i], turnedBits);
    for (let ti = 1; ti < TRANSFORMS.length; ti++) {
      turned.hi = turnedBits[2 * ti];
      turned.lo = turnedBits[2 * ti + 1];
      index.near(turned, PHASH_TURNED, (j, d) => {
        if (j === i) return;
        // The plain lookup already took this pair if it is as close without the turn.
        if (hamming(h, hashes[j]) <= d) return;
        const a = recs.get(ids[i])!;
        const b = recs.get(ids[j])!;
        if (!shapesAgree(a, b, settings.aspectTolerance)) return;
        if (decisions.blocked(a.hash, b.hash)) {
          pairs.dismissed++;
          return;
        }
        pairs.transformed++;
        // TRANSFORMS[ti] turns a into (nearly) b.
        links.add(a.id, b.id, { by: 'turned', score: 1 - d / 64, distance: d, transform: TRANSFORMS[ti] });
      });
    }
  });
}

/**
 * Near copies by visual words: candidate pairs by shared key words (word-pairs.ts), verified by the
 * exact cosine and by their shapes; of those, each photo's `neighbours` most alike. Hash pairs
 * beyond the lookup's bits whose words agree are linked here too. Pairs less alike go to the
 * look-alike and burst candidates.
 */
export function linkWordPairs(ctx: FindContext, snap: ImpactIndex): { keyMs: number; pairMs: number; keyBytes: number } {
  const { store, recs, settings, pairs } = ctx;
  const { sensitivity, similarShots } = settings;
  const bursts = settings.burstSeconds > 0 && settings.exif;
  const floor = Math.min(sensitivity, similarShots, bursts ? BURST_COSINE : 1, settings.phash ? PHASH_CONFIRM_COSINE : 1);
  let t = performance.now();
  const keyed = KeyWordIndex.fromStore(store, snap, (id) => recs.has(id));
  const keyMs = performance.now() - t;
  t = performance.now();
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
