// The "same photo" tier as reported: each group found, its members scored against the keeper
// and told how they joined, RAW + JPEG siblings and edited copies marked, groups the person kept
// whole set apart; and the links that did not make one group, handed on as look-alikes.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { TRANSFORMS, dihedralHashes, hamming } from '../analysis/phash.js';
import { isRaw } from '../analysis/formats.js';
import type { FindContext } from './context.js';
import type { Found } from './grouping.js';
import type { Checks } from './verify.js';
import type { DuplicateGroup, DuplicateMember } from './types.js';

/** A stable name for a set of photos (their content hashes, else ids), for decisions and the UI. */
export function groupKey(members: { id: number; hash: string | null }[]): string {
  return createHash('sha1')
    .update(
      members
        .map((m) => m.hash ?? `id:${m.id}`)
        .sort()
        .join(','),
    )
    .digest('hex')
    .slice(0, 16);
}

/** A RAW file's base name, or undefined for other files. */
function rawBase(p: string): string | undefined {
  return isRaw(p) ? p.slice(0, p.lastIndexOf('.')).toLowerCase() : undefined;
}

/** What makes `p` look like a derived copy of `other` by name: "IMG_1 (1).jpg", "IMG_1-edited.jpg", "IMG_1 copy.jpg". */
function derivedName(p: string, other: string): boolean {
  const stem = (x: string) =>
    path
      .basename(x)
      .replace(/\.[^.]+$/, '')
      .toLowerCase();
  const a = stem(p);
  const b = stem(other);
  if (a === b || !a.startsWith(b)) return false;
  return /^(\s*\(\d+\)|[-_ ](edited|edit|copy|bearbeitet|modifi[ée]|\d+)|\s+copy(\s+\d+)?)$/.test(a.slice(b.length));
}

/** A group's members as reported, the keeper first, then by score to the keeper. */
function membersOf(ctx: FindContext, { members, keeper, dates, via }: Found): DuplicateMember[] {
  const kh = ctx.phashes.get(keeper.id);
  const kt = kh && ctx.settings.transforms ? dihedralHashes(ctx.store.getPhash(keeper.id)!) : undefined;
  const out: DuplicateMember[] = members.map((r) => {
    const identical = r.id === keeper.id || (r.hash !== null && r.hash === keeper.hash);
    const score = identical ? 1 : Math.min(1, ctx.cosines.cosine(keeper.id, r.id));
    const m: DuplicateMember = { id: r.id, path: r.path, width: r.width, height: r.height, size: r.size, hash: r.hash, score, identical };
    const hr = ctx.phashes.get(r.id);
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
  return out;
}

/**
 * RAW + JPEG siblings and "(1)" / "-edited" copies are related, not clutter: say so, and never
 * suggest trashing a RAW for its own JPEG (or the other way round).
 */
function relatedOf(out: DuplicateMember[]): NonNullable<DuplicateGroup['related']> {
  const related: NonNullable<DuplicateGroup['related']> = [];
  for (const x of out) {
    for (const y of out) {
      if (x === y) continue;
      const rx = rawBase(x.path);
      if (rx && !rawBase(y.path) && y.path.toLowerCase().replace(/\.[^./\\]+$/, '') === rx) related.push({ a: x.id, b: y.id, kind: 'raw+jpeg' });
      else if (derivedName(x.path, y.path)) related.push({ a: x.id, b: y.id, kind: 'edited-copy' });
    }
  }
  for (const r of related) if (r.kind === 'raw+jpeg') for (const m of out) if (m.id === r.a || m.id === r.b) m.protect = 'raw+jpeg pair';
  return related;
}

/** The groups found as reported: `groups` (exact first, then the largest) and `keptAll` (hidden by "keep all"). */
export function sameTier(ctx: FindContext, found: Found[]): { groups: DuplicateGroup[]; keptAll: DuplicateGroup[] } {
  const groups: DuplicateGroup[] = [];
  const keptAll: DuplicateGroup[] = [];
  for (const f of found) {
    const { members, keeper, reason, chosen } = f;
    const hashesInGroup = new Set(members.map((m) => m.hash).filter((h): h is string => !!h));
    const out = membersOf(ctx, f);
    const related = relatedOf(out);
    const tier = members.every((r) => r.hash !== null && r.hash === keeper.hash) ? 'exact' : 'near';
    const group: DuplicateGroup = { tier, members: out, keeper: keeper.id, reason, key: groupKey(out) };
    if (related.length > 0) group.related = related;
    if (chosen) group.decision = { id: chosen.id, kind: 'keeper' };
    // "Keep all": hidden while the group holds only the contents the person saw; a new copy
    // joining it brings it back.
    const kept = ctx.decisions.list.find((d) => d.kind === 'keep-all' && [...hashesInGroup].every((h) => d.hashes.includes(h)));
    if (kept) {
      group.decision = { id: kept.id, kind: 'keep-all' };
      keptAll.push(group);
    } else {
      groups.push(group);
    }
  }
  groups.sort((a, b) => (a.tier === b.tier ? 0 : a.tier === 'exact' ? -1 : 1) || b.members.length - a.members.length || a.keeper - b.keeper);
  return { groups, keptAll };
}

/** Whether two photos are in one group of the same photo (shown or kept whole). */
export type SameGroup = (a: number, b: number) => boolean;

export function sameGroupOf(groups: DuplicateGroup[], keptAll: DuplicateGroup[]): SameGroup {
  const oneGroup = new Map<number, number>();
  [...groups, ...keptAll].forEach((g, i) => g.members.forEach((m) => oneGroup.set(m.id, i)));
  return (a, b) => oneGroup.has(a) && oneGroup.get(a) === oneGroup.get(b);
}

/**
 * Links that did not make one group (a photo linked to a member, not to its keeper) are
 * look-alikes: shown as similar shots, never offered for the trash.
 */
export function unchainedToLookAlikes(ctx: FindContext, checks: Checks, sameGroup: SameGroup): void {
  for (const [a, m] of ctx.links.edges) {
    for (const [b, l] of m) {
      if (b < a || l.by === 'bytes' || sameGroup(a, b)) continue;
      ctx.pairs.unchained++;
      ctx.lookAlikes.push({ a, b, score: checks.cosineOf(l, a, b) });
    }
  }
}
