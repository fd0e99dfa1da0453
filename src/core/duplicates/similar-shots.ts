// "Similar shots": look-alike pairs (similar, but not verified as one photo) and bursts (taken
// within burstSeconds of each other by EXIF, and at least BURST_COSINE alike), between photos
// that are not already one group of the same photo; joined into groups. Shown apart, never
// offered for trashing as duplicates (docs/DUPLICATES.md#how).
import { hamming } from '../analysis/phash.js';
import type { FindContext } from './context.js';
import { groupKey, type SameGroup } from './same-photo.js';
import { captureDate } from './shot-facts.js';
import { SIMILAR_SHOTS_PHASH } from './thresholds.js';
import type { DuplicateGroup, SimilarGroup, SimilarMember } from './types.js';
import { UnionFind } from './union-find.js';

/** The similar-shots groups, the largest first; members say which "same photo" group (index in `groups`) holds them too. */
export async function similarTier(ctx: FindContext, groups: DuplicateGroup[], sameGroup: SameGroup): Promise<SimilarGroup[]> {
  const { settings, phashes, pairs, recs } = ctx;
  const { burstSeconds } = settings;
  const bursts = burstSeconds > 0 && settings.exif;
  const suf = new UnionFind();
  for (const p of ctx.lookAlikes) {
    if (sameGroup(p.a, p.b)) continue;
    // One scene keeps its composition, so its photos' perceptual hashes stay nearer than
    // chance; without this, photos that lost their texture (blurred, heavily compressed) look
    // alike in words whatever they show. Pairs as alike as the same-photo threshold (turned
    // down by shape or by a decision) need no such check.
    const ha = phashes.get(p.a);
    const hb = phashes.get(p.b);
    if (p.score < settings.sensitivity && ha && hb && hamming(ha, hb) > SIMILAR_SHOTS_PHASH) {
      // Still a burst if taken seconds apart.
      if (bursts) ctx.burstCandidates.push(p);
      continue;
    }
    pairs.similarShots++;
    suf.union(p.a, p.b);
  }
  // Bursts: capture dates (EXIF, read once a photo and only for photos in a candidate pair)
  // within burstSeconds. The time says "one scene", so no hash check.
  const dateOf = new Map<number, Date | null>();
  const dated = async (id: number) => {
    if (!dateOf.has(id)) dateOf.set(id, await captureDate(recs.get(id)!.path));
    return dateOf.get(id)!;
  };
  for (const p of ctx.burstCandidates) {
    if (sameGroup(p.a, p.b)) continue;
    const da = await dated(p.a);
    const db = da && (await dated(p.b));
    if (!da || !db || Math.abs(da.getTime() - db.getTime()) > burstSeconds * 1000) continue;
    pairs.similarShots++;
    suf.union(p.a, p.b);
  }
  const groupOf = new Map<number, number>();
  groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m.id, i)));
  const similar: SimilarGroup[] = [];
  for (const ids of suf.members().values()) {
    if (ids.length < 2) continue;
    const members = ids.map((id) => recs.get(id)!).filter(Boolean);
    const dates = settings.exif ? new Map(await Promise.all(members.map(async (m) => [m.id, await dated(m.id)] as const))) : new Map<number, Date | null>();
    const times = [...dates.values()].filter((d): d is Date => !!d).map((d) => d.getTime());
    const burst = times.length === members.length && times.length > 1 && Math.max(...times) - Math.min(...times) <= burstSeconds * 1000;
    const first = members.reduce((a, b) => (b.id < a.id ? b : a));
    similar.push({
      kind: burst ? 'burst' : 'look-alike',
      key: groupKey(members),
      members: members
        .map((r) => {
          const m: SimilarMember = {
            id: r.id,
            path: r.path,
            width: r.width,
            height: r.height,
            size: r.size,
            hash: r.hash,
            score: r.id === first.id ? 1 : Math.min(1, ctx.cosines.cosine(first.id, r.id)),
          };
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
  return similar;
}
