// The pairs that may be the same photo, found without comparing all pairs: exact copies by content
// hash, near copies by perceptual hash (a multi-index lookup, hash-index.ts) and by visual words
// (each photo's few nearest neighbours on the query path). Each accepted pair becomes a link; the
// pairs alike but not enough go to the similar-shots candidates. Why two signals, and the rules
// a pair must pass: docs/DUPLICATES.md#how.
import { TRANSFORMS, dihedralHashes, hamming, hashOf, type Hash64 } from '../analysis/phash.js';
import type { LiveIndex } from '../search/live-index.js';
import type { IndexStore } from '../index/store.js';
import type { FindContext } from './context.js';
import { HashIndex } from './hash-index.js';
import { pairKey, shapesAgree, type Links } from './links.js';
import { exactDuplicateGroups, fillMissingPhashes } from './store-access.js';
import { BURST_COSINE, PHASH_CONFIRM_COSINE, PHASH_TURNED } from './thresholds.js';
import type { DuplicateOptions } from './types.js';

/**
 * Candidates the query path re-scores exactly for each photo's neighbours (not 500 as "Find
 * similar" does): a copy at the sensitivity and up is among the first few of stage 1, so more
 * only costs time.
 */
const DUPLICATE_CANDIDATES = 100;
/**
 * Share of a query's postings stage 1 visits for the neighbours (not 0.1 as "Find similar"): the
 * few words a copy shares with its original that carry the most weight already put it on top
 * (the same groups at a twentieth of the budget, in a third of the time: docs/DUPLICATES.md#thresholds).
 */
const DUPLICATE_BUDGET = 0.005;

/** Exact copies: one SQL GROUP BY over the content-hash index, each group linked by its bytes. Returns the groups. */
export function linkExactCopies(store: IndexStore, links: Links): number[][] {
  const exact = exactDuplicateGroups(store);
  for (const g of exact) for (const id of g.slice(1)) links.add(g[0], id, { by: 'bytes', score: 1 });
  return exact;
}

/**
 * Near copies by perceptual hash: every pair within phashConfirm bits, by lookup; mirrored and
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
  hashes.forEach((h, i) => {
    index.near(h, settings.phashConfirm, (j, d) => {
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
    const turned = dihedralHashes(coeffs[i]);
    for (let ti = 1; ti < TRANSFORMS.length; ti++) {
      index.near(turned[ti], PHASH_TURNED, (j, d) => {
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
 * Near copies by visual words: each photo's few nearest neighbours, verified by the exact cosine
 * from both stored bags and by their shapes. Pairs less alike go to the look-alike and burst
 * candidates.
 */
export function linkWordPairs(ctx: FindContext, live: LiveIndex): void {
  const { store, recs, settings, pairs } = ctx;
  const { sensitivity, similarShots } = settings;
  const bursts = settings.burstSeconds > 0 && settings.exif;
  const seen = new Set<number>();
  const floor = Math.min(sensitivity, similarShots, bursts ? BURST_COSINE : 1);
  for (const id of recs.keys()) {
    for (const n of live.searchById(id, settings.neighbours + 1, () => store.getBag(id), { candidates: DUPLICATE_CANDIDATES, budget: DUPLICATE_BUDGET })) {
      if (n.id === id || n.score < floor) continue;
      const key = pairKey(id, n.id);
      if (seen.has(key)) continue;
      seen.add(key);
      const other = recs.get(n.id);
      if (!other) continue;
      // Verify: the exact cosine from both stored bags.
      const cos = ctx.cosines.cosine(id, n.id);
      if (cos < sensitivity - 1e-4) {
        if (cos >= similarShots - 1e-4) ctx.lookAlikes.push({ a: id, b: n.id, score: cos });
        else if (cos >= BURST_COSINE && bursts) ctx.burstCandidates.push({ a: id, b: n.id, score: cos });
        continue;
      }
      pairs.candidates++;
      if (!shapesAgree(recs.get(id)!, other, settings.aspectTolerance)) {
        pairs.rejectedAspect++;
        if (cos >= similarShots) ctx.lookAlikes.push({ a: id, b: n.id, score: cos });
        continue;
      }
      if (ctx.decisions.blocked(recs.get(id)!.hash, other.hash)) {
        pairs.dismissed++;
        ctx.lookAlikes.push({ a: id, b: n.id, score: cos });
        continue;
      }
      pairs.accepted++;
      ctx.links.add(id, n.id, { by: 'words', score: cos });
    }
  }
}
