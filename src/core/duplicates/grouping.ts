// "Same photo" groups, dupeGuru's way: in each set of linked photos the keeper is chosen first,
// and only photos with their own link to it (or to every member) join it. Linking members to
// members would chain (docs/DUPLICATES.md#how, "Groups never chain"). Photos linked to a member
// but not to the keeper are grouped again among themselves, and their links to this group go to
// "Similar shots".
import type { Decision, ImageRecord } from '../index/store.js';
import type { FindContext } from './context.js';
import { chooseKeeper, mp } from './keeper.js';
import { pixels, sameBytes, strength, type Link } from './links.js';
import type { DuplicateLink } from './types.js';
import { UnionFind } from './union-find.js';
import type { Checks } from './verify.js';

/** Most photos near a group checked as crops of its keeper (each check searches the keeper's parts). */
const CROP_CANDIDATES = 200;

/** A group as found, before it is written out. */
export interface Found {
  members: ImageRecord[];
  keeper: ImageRecord;
  reason: string;
  dates: Map<number, Date | null>;
  via: Map<number, DuplicateLink>;
  chosen?: Decision;
}

/** Where to look for crops of a group's keeper, and how central each photo is among its look-alikes. */
export interface Neighbourhood {
  degree: Map<number, number>;
  nearby: Map<number, Set<number>>;
}

/**
 * Every link found, before the checks turn some down (a crop whose only links were to other
 * crops is still checked against the keeper), and the look-alikes too: a crop to half the surface
 * is alike in words only to the wider crops.
 */
export function neighbourhood(ctx: FindContext): Neighbourhood {
  const degree = new Map<number, number>();
  const nearby = new Map<number, Set<number>>();
  const near = (a: number, b: number) => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      let n = nearby.get(x);
      if (!n) nearby.set(x, (n = new Set()));
      n.add(y);
    }
  };
  for (const [a, m] of ctx.links.edges) {
    degree.set(a, m.size);
    for (const b of m.keys()) near(a, b);
  }
  for (const p of ctx.lookAlikes) near(p.a, p.b);
  return { degree, nearby };
}

/** What one grouping of sets shares: the photos already in a group. */
interface Grouping {
  ctx: FindContext;
  checks: Checks;
  hood: Neighbourhood;
  assigned: Set<number>;
  found: Found[];
}

/** Groups the sets of linked photos (exact copies and links that passed the checks). */
export async function groupLinkedSets(ctx: FindContext, checks: Checks, exact: number[][], hood: Neighbourhood): Promise<Found[]> {
  const g: Grouping = { ctx, checks, hood, assigned: new Set(), found: [] };
  // Sets of photos linked after the checks, those holding the largest photos first: a crop
  // linked only to other crops, in a set of its own, waits for its original's set to be
  // checked against.
  const linkedSets = new UnionFind();
  for (const e of exact) for (const id of e.slice(1)) linkedSets.union(e[0], id);
  for (const [a, m] of ctx.links.edges) for (const b of m.keys()) linkedSets.union(a, b);
  const sets = [...linkedSets.members().values()].map((ids) => ({ ids, top: Math.max(...ids.map((id) => pixels(ctx.recs.get(id) ?? ({} as ImageRecord)) || 0)) }));
  sets.sort((a, b) => b.top - a.top || Math.min(...a.ids) - Math.min(...b.ids));
  // Their photos decoded ahead, in this order, the largest of a set (its keeper, most often) first.
  const byPixels = sets.map(({ ids }) => [...ids].sort((x, y) => pixels(ctx.recs.get(y) ?? ({} as ImageRecord)) - pixels(ctx.recs.get(x) ?? ({} as ImageRecord))));
  checks.planLooks(byPixels.flat());
  for (let i = 0; i < sets.length; i++) {
    const { ids } = sets[i];
    checks.lookingAt(byPixels[i][0]);
    // The next set's crop searches start on their threads while this one is checked here.
    if (i + 1 < sets.length) searchAhead(g, sets[i + 1].ids).catch(() => undefined);
    const remaining = ids
      .filter((id) => !g.assigned.has(id))
      .map((id) => ctx.recs.get(id)!)
      .filter(Boolean);
    if (remaining.length <= ctx.settings.directChecksUpTo) await groupSet(g, remaining);
    else await groupLargeSet(g, remaining);
  }
  return g.found;
}

/**
 * The crop searches the set `ids` will most likely ask for, started ahead (Checks.searchAhead):
 * its keeper as the keeper rule would choose it without the files' dates, and the photos near
 * it and its linked photos, as joinCrops lists them. A guess: what is not asked for is let go.
 */
async function searchAhead(g: Grouping, ids: number[]): Promise<void> {
  const { ctx, hood } = g;
  const remaining = ids
    .filter((id) => !g.assigned.has(id))
    .map((id) => ctx.recs.get(id)!)
    .filter(Boolean);
  if (remaining.length < 2) return;
  const { keeper } = await chooseKeeper(remaining, { exif: false, links: (r) => hood.degree.get(r.id) ?? 0 });
  const inSet = new Set(ids);
  const members = [keeper.id, ...[...(ctx.links.of(keeper.id)?.keys() ?? [])].filter((id) => inSet.has(id))];
  await g.checks.searchAhead(keeper, cropCandidates(g, members));
}

/**
 * One huge set of links (thousands of look-alikes): keepers in the keeper rule's order, each
 * taking the photos its own links reach, so the work is the links', not n^2.
 */
async function groupLargeSet({ ctx, checks, hood, assigned, found }: Grouping, remaining: ImageRecord[]): Promise<void> {
  const byHash = new Map<string, ImageRecord[]>();
  for (const r of remaining) if (r.hash) byHash.set(r.hash, [...(byHash.get(r.hash) ?? []), r]);
  const { degree } = hood;
  remaining.sort((a, b) => pixels(b) - pixels(a) || (degree.get(b.id) ?? 0) - (degree.get(a.id) ?? 0) || b.size - a.size || a.path.length - b.path.length || (a.path < b.path ? -1 : 1));
  for (const keeper of remaining) {
    if (assigned.has(keeper.id)) continue;
    const members = [keeper];
    const via = new Map<number, DuplicateLink>();
    const reached = [...(byHash.get(keeper.hash ?? '') ?? []).filter((r) => r !== keeper).map((r) => [r, { by: 'bytes', score: 1 } as Link] as const)];
    for (const [o, l] of ctx.links.of(keeper.id) ?? []) reached.push([ctx.recs.get(o)!, l]);
    for (const [r, l] of reached) {
      if (!r || assigned.has(r.id) || members.includes(r)) continue;
      if (l.by !== 'bytes' && (await checks.twoShotsApart(keeper, r, l))) continue;
      let fits = true;
      for (const m of members) if (m !== keeper && (await checks.apart(m, r))) fits = false;
      if (!fits) continue;
      members.push(r);
      via.set(r.id, { ...l, to: keeper.id });
    }
    if (members.length < 2) continue;
    for (const m of members) assigned.add(m.id);
    found.push({ members, keeper, reason: `largest pixel count among ${remaining.length} linked look-alikes (${mp(keeper)}); the rest by links`, dates: new Map(), via });
  }
}

/** A group being made around its keeper, from the photos of its set not yet in a group. */
interface Draft {
  keeper: ImageRecord;
  members: ImageRecord[];
  via: Map<number, DuplicateLink>;
  remaining: ImageRecord[];
  /** Ids of `remaining`. */
  left: Set<number>;
  /** Photos linked to the keeper that the keeper turns down as another shot. */
  refused: Set<number>;
}

/** Groups a set of linked photos with every check: the keeper chosen again for what is left after each group. */
async function groupSet(g: Grouping, remaining: ImageRecord[]): Promise<void> {
  const { ctx, assigned, found } = g;
  while (remaining.length >= 2) {
    const left = new Set(remaining.map((r) => r.id));
    const hashesLeft = new Map<string, number>();
    for (const r of remaining) if (r.hash) hashesLeft.set(r.hash, (hashesLeft.get(r.hash) ?? 0) + 1);
    // Only photos still linked to another one can keep anything.
    const linked = remaining.filter((r) => (r.hash !== null && hashesLeft.get(r.hash)! > 1) || [...(ctx.links.of(r.id)?.keys() ?? [])].some((o) => left.has(o)));
    if (linked.length < 2) break;
    const { keeper, reason, dates, chosen } = await keeperOf(g, linked);
    const d: Draft = { keeper, members: [keeper], via: new Map(), remaining, left, refused: new Set() };
    await joinKeeper(g, d);
    await joinCrops(g, d);
    await joinLinkedToEvery(g, d);
    if (d.members.length < 2) {
      remaining = remaining.filter((r) => r !== keeper);
      continue;
    }
    // The keeper's own line: its strongest link into the group.
    let top: DuplicateLink | undefined;
    for (const l of d.via.values()) if (l.to === keeper.id && (!top || strength(l) > strength(top))) top = l;
    if (top) {
      const back = [...d.via.entries()].find(([, l]) => l === top)![0];
      d.via.set(keeper.id, { ...top, to: back });
    }
    found.push({ members: d.members, keeper, reason, dates, via: d.via, chosen });
    for (const m of d.members) assigned.add(m.id);
    remaining = remaining.filter((r) => !assigned.has(r.id));
  }
}

/** The keeper of the linked photos: the one the person chose while that content is linked here, else the keeper rule's. */
async function keeperOf({ ctx, hood }: Grouping, linked: ImageRecord[]) {
  const hashesIn = new Set(linked.map((m) => m.hash).filter((h): h is string => !!h));
  const chosen = ctx.decisions.list.find((d) => d.kind === 'keeper' && d.keeper && hashesIn.has(d.keeper) && d.hashes.some((h) => h !== d.keeper && hashesIn.has(h)));
  const chosenRec = chosen && linked.find((m) => m.hash === chosen.keeper);
  if (chosenRec) return { keeper: chosenRec, reason: 'chosen by you', dates: new Map<number, Date | null>(), chosen };
  const { keeper, reason, dates } = await chooseKeeper(linked, { exif: ctx.settings.exif, links: (r) => hood.degree.get(r.id) ?? 0 });
  return { keeper, reason, dates, chosen: undefined };
}

/**
 * Whether `r` is nearer (a stronger link) to a photo it could have been made from (at least its
 * size) that is no copy of this keeper's (a copy without EXIF links to two cameras' shots of one
 * chart): a copy of that one, if of either, so it waits for it. A photo linked to the keeper that
 * the keeper turns down as another shot will not join it either, so a copy nearer to that one
 * waits too.
 */
function nearerElsewhere({ ctx }: Grouping, d: Draft, r: ImageRecord, l: Link): boolean {
  const { keeper } = d;
  return [...(ctx.links.of(r.id) ?? [])].some(
    ([o, lo]) =>
      o !== keeper.id &&
      d.left.has(o) &&
      strength(lo) > strength(l) &&
      pixels(ctx.recs.get(o)!) >= pixels(r) &&
      !sameBytes(keeper, ctx.recs.get(o)!) &&
      (!ctx.links.get(keeper.id, o) || d.refused.has(o)),
  );
}

/** Two photos the files say are two shots never share a group, even when a keeper without EXIF links to both. */
async function fits({ checks }: Grouping, d: Draft, r: ImageRecord): Promise<boolean> {
  for (const m of d.members) if (m !== d.keeper && (await checks.apart(m, r))) return false;
  return true;
}

function join(d: Draft, r: ImageRecord, l: Link, to: number): void {
  d.members.push(r);
  d.via.set(r.id, { ...l, to });
}

/** The photos with their own link to the keeper. */
async function joinKeeper(g: Grouping, d: Draft): Promise<void> {
  const { keeper } = d;
  for (const r of d.remaining) {
    const l = r !== keeper && !sameBytes(keeper, r) ? g.ctx.links.get(keeper.id, r.id) : undefined;
    if (l && (await g.checks.twoShotsApart(keeper, r, l))) d.refused.add(r.id);
  }
  for (const r of d.remaining) {
    if (r === keeper) continue;
    const l = await g.checks.direct(keeper, r, true);
    if (l && !nearerElsewhere(g, d, r, l) && (await fits(g, d, r))) join(d, r, l, keeper.id);
  }
}

/**
 * Crops of the keeper: linked to one of its copies (a wider crop) but too little of the scene for
 * their words or whole hash to match the keeper's, checked against the part of the keeper they
 * show. Candidates: photos near a member, and photos near those (a crop of a crop), at most
 * CROP_CANDIDATES; each is checked against the keeper itself.
 */
async function joinCrops(g: Grouping, d: Draft): Promise<void> {
  const { keeper } = d;
  // The candidates first (which they are does not hang on the answers), then their searches at once.
  const candidates = cropCandidates(
    g,
    d.members.map((m) => m.id),
  );
  const links = await g.checks.cropsOf(keeper, candidates);
  for (let k = 0; k < candidates.length; k++) {
    const r = candidates[k];
    const l = links[k];
    if (l && !nearerElsewhere(g, d, r, l) && (await fits(g, d, r)) && !(await g.checks.twoShotsApart(keeper, r, l))) {
      join(d, r, l, keeper.id);
      g.ctx.pairs.crops++;
    }
  }
}

/** Photos near the members (`ids`) and near those, not in a group yet: at most CROP_CANDIDATES with the members. */
function cropCandidates(g: Grouping, ids: number[]): ImageRecord[] {
  const tried = new Set(ids);
  const queue = [...ids];
  const candidates: ImageRecord[] = [];
  for (let i = 0, hops = new Map<number, number>(); i < queue.length && tried.size < CROP_CANDIDATES; i++) {
    const from = queue[i];
    const hop = hops.get(from) ?? 0;
    for (const id of g.hood.nearby.get(from) ?? []) {
      if (tried.has(id) || g.assigned.has(id) || tried.size >= CROP_CANDIDATES) continue;
      tried.add(id);
      const r = g.ctx.recs.get(id);
      if (!r) continue;
      if (hop < 1) {
        queue.push(id);
        hops.set(id, hop + 1);
      }
      candidates.push(r);
    }
  }
  return candidates;
}

/**
 * A photo linked to every member is no chain either (the keeper's link to it may have been
 * turned down by shape, say, while each copy's own passed).
 */
async function joinLinkedToEvery(g: Grouping, d: Draft): Promise<void> {
  const { members } = d;
  for (let grew = members.length >= 2; grew;) {
    grew = false;
    for (const r of d.remaining) {
      if (members.includes(r)) continue;
      const ls = members.map((m) => (sameBytes(m, r) ? ({ by: 'bytes', score: 1 } as Link) : g.ctx.links.get(m.id, r.id)));
      if (ls.some((l) => !l)) continue;
      let best = 0;
      for (let i = 1; i < ls.length; i++) if (strength(ls[i]!) > strength(ls[best]!)) best = i;
      if (nearerElsewhere(g, d, r, ls[best]!) || !(await fits(g, d, r)) || (await g.checks.twoShotsApart(d.keeper, r))) continue;
      join(d, r, ls[best]!, members[best].id);
      grew = true;
    }
  }
}
