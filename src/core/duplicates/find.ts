// Finding duplicate photos in a library: exact copies by content hash, near copies (re-encodes,
// resizes, crops, turns, small edits) by perceptual hash and visual words, each link checked,
// grouped without chaining around a suggested keeper; and the look-alikes and bursts that are
// not the same photo, as "similar shots". How and why: docs/DUPLICATES.md#how.
//
// The stages, in the order they run (each in its own module):
//   candidates.ts   exact copies, hash pairs (hash-index.ts), word pairs (the query path)
//   verify.ts       the checks a link must still pass (shot-facts.ts, looks.ts, local.ts, placement.ts)
//   grouping.ts     sets of linked photos into groups around a keeper (keeper.ts), crops (crop-search.ts)
//   same-photo.ts   the groups as reported; links that made no group become look-alikes
//   similar-shots.ts  look-alikes and bursts grouped
// This module keeps the names callers import (the other modules' exports re-exported below).
import { LiveIndex } from '../search/live-index.js';
import type { ImageRecord, IndexStore } from '../index/store.js';
import { keyWords, linkExactCopies, linkWordPairs, startHashPairs } from './candidates.js';
import { settingsOf, type FindContext } from './context.js';
import { DecisionLookup } from './decisions.js';
import { groupLinkedSets, neighbourhood } from './grouping.js';
import { Links } from './links.js';
import { sameGroupOf, sameTier, unchainedToLookAlikes } from './same-photo.js';
import { similarTier } from './similar-shots.js';
import { emptyPairCounts, type DuplicateOptions, type DuplicateReport } from './types.js';
import { Checks } from './verify.js';
import { PairCosines } from './word-cosine.js';

export * from './thresholds.js';
export type { DuplicateGroup, DuplicateLink, DuplicateMember, DuplicateOptions, DuplicateReport, GroupPhoto, SimilarGroup, SimilarMember } from './types.js';
export { exactDuplicateGroups, fillMissingPhashes, openStoreForDuplicates } from './store-access.js';
export { exactCosine, weigh } from './word-cosine.js';
export { differentShots, type ShotFacts } from './shot-facts.js';
export { greyTable, nearestWindow, type GreyTable, type Window } from './crop-search.js';
export { chooseKeeper } from './keeper.js';
export { whyLinked } from './why-linked.js';

/**
 * Duplicate groups of the library in `store`, in two tiers: "same photo" (`groups`: exact and
 * near copies, with a suggested keeper) and "similar shots" (`similar`: look-alikes and bursts,
 * different photos of one scene, never to be trashed as duplicates). `live` is the query path to
 * use (the engine's liveIndex()); one over `store` is made (and closed) here when left out.
 */
export async function findDuplicates(store: IndexStore, opts: DuplicateOptions & { live?: LiveIndex } = {}): Promise<DuplicateReport> {
  const t0 = performance.now();
  const settings = settingsOf(store, opts);
  const live = opts.live ?? new LiveIndex(store, { background: false });
  try {
    const recs = new Map<number, ImageRecord>();
    for (const r of store.listImages()) if (r.status === 'indexed') recs.set(r.id, r);
    const decisions = new DecisionLookup(store, settings.decisions);
    const links = new Links();
    const exact = linkExactCopies(store, links);

    let t = performance.now();
    const timings = { snapshotMs: 0, phashMs: 0, wordsMs: 0, keysMs: 0, wordPairsMs: 0, groupsMs: 0, verifyMs: 0, keyBytes: 0, cpuMs: { snapshot: 0, phash: 0, words: 0, groups: 0 } };
    // CPU time by stage too: on a shared machine wall time says more about the others' load.
    let cpu = process.cpuUsage();
    const cpuSince = () => {
      const u = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const snap = live.snapshot();
    timings.snapshotMs = performance.now() - t;
    timings.cpuMs.snapshot = cpuSince();
    t = performance.now();
    const cosines = new PairCosines(store, live, snap);
    const ctx: FindContext = { store, settings, recs, decisions, links, pairs: emptyPairCounts(), cosines, phashes: new Map(), lookAlikes: [], burstCandidates: [] };
    // The hash lookups run on a worker thread while this one keys the photos by their words
    // (candidates.ts); the hash links are added first, then the word links, as one after the other.
    const hashJob = settings.phash ? await startHashPairs(ctx, opts.onProgress) : undefined;
    const keys = keyWords(ctx, snap);
    await hashJob?.link();
    timings.phashMs = performance.now() - t - keys.ms;
    timings.cpuMs.phash = cpuSince();
    t = performance.now();
    const w = linkWordPairs(ctx, snap, keys);
    timings.keysMs = w.keyMs;
    timings.wordPairsMs = w.pairMs;
    timings.keyBytes = w.keyBytes;
    cosines.clear();
    timings.wordsMs = performance.now() - t + keys.ms;
    timings.cpuMs.words = cpuSince();
    t = performance.now();

    const checks = new Checks(ctx);
    let groups: DuplicateReport['groups'];
    let keptAll: DuplicateReport['keptAll'];
    let similar: DuplicateReport['similar'];
    try {
      const hood = neighbourhood(ctx);
      const tv = performance.now();
      await checks.verifyLinks();
      timings.verifyMs = performance.now() - tv;
      const found = await groupLinkedSets(ctx, checks, exact, hood);
      ({ groups, keptAll } = sameTier(ctx, found));
      const sameGroup = sameGroupOf(groups, keptAll);
      unchainedToLookAlikes(ctx, checks, sameGroup);
      similar = await similarTier(ctx, groups, sameGroup);
    } finally {
      checks.close();
    }
    timings.groupsMs = performance.now() - t;
    timings.cpuMs.groups = cpuSince();
    return {
      groups,
      similar,
      keptAll,
      decisions: decisions.list.length,
      photos: recs.size,
      sensitivity: settings.sensitivity,
      similarShots: settings.similarShots,
      neighbours: settings.neighbours,
      pairs: ctx.pairs,
      ms: performance.now() - t0,
      timings,
    };
  } finally {
    if (!opts.live) live.close();
  }
}
