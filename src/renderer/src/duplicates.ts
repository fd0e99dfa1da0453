// The Duplicates view's state, kept outside the component so leaving the view (a search, a folder)
// and coming back shows the same groups. Groups are replaced whole when a photo goes to the trash
// or a decision changes them (shallow state, no deep proxies over a few thousand members).
import { markRaw, shallowReactive } from 'vue';
import type {
  DecisionKind,
  DecisionView,
  DuplicateGroupView,
  DuplicatePhoto,
  DuplicatesResult,
  PhotoTransform,
  ReportFormat,
  SimilarShotGroup,
  SimilarShotPhoto,
  TrashManyResult,
} from '../../shared/api';
import { api, errorMessage } from './api';
import { bytes as formatBytes } from './format';
import { tierOf, type KeeperTrashPlan } from '../../shared/keeperplan';

export { keeperTrashPlan, tierOf, type KeeperTrashPlan } from '../../shared/keeperplan';

/** A group as shown: its photos less those moved to the trash since the search. */
export interface ShownGroup extends DuplicateGroupView {
  /** The suggested keeper went to the trash: the suggestion needs a new search. */
  keeperGone: boolean;
}

export type DuplicatesTab = 'same' | 'similar';

export interface DuplicatesState {
  loading: boolean;
  /** When the running search started (for the elapsed time the view shows). */
  startedAt: number;
  /** Perceptual hashes being filled in for an older index (the one slow part with a count). */
  progress: { done: number; total: number } | null;
  error: string | null;
  result: DuplicatesResult | null;
  groups: ShownGroup[];
  similar: SimilarShotGroup[];
  tab: DuplicatesTab;
  /** The thresholds the controls show; null until the engine said its defaults. */
  sensitivity: number | null;
  similarShots: number | null;
  /** Photos moved to the trash from this view since the search, and their bytes. */
  trashed: number;
  trashedBytes: number;
  /** The last thing done, in words ("x.jpg is in the trash ..."). */
  notice: string | null;
  exporting: ReportFormat | null;
  /** The stored decisions (null until first loaded), and whether their panel is open. */
  decisions: DecisionView[] | null;
  decisionsOpen: boolean;
  decisionsError: string | null;
  /** A decision being stored or undone (its group's key, or the decision's id). */
  deciding: string | number | null;
}

export const dup = shallowReactive<DuplicatesState>({
  loading: false,
  startedAt: 0,
  progress: null,
  error: null,
  result: null,
  groups: [],
  similar: [],
  tab: 'same',
  sensitivity: null,
  similarShots: null,
  trashed: 0,
  trashedBytes: 0,
  notice: null,
  exporting: null,
  decisions: null,
  decisionsOpen: false,
  decisionsError: null,
  deciding: null,
});

let searchSeq = 0;
let listening = false;
/** Groups as they were before a decision taken here, so Undo brings them back without a new search. */
const before = new Map<number, { group: ShownGroup; index: number }>();

function listenForProgress(): void {
  if (listening) return;
  listening = true;
  api.onEvent((e) => {
    if (e.type === 'duplicates-progress' && dup.loading) dup.progress = e.done < e.total ? { done: e.done, total: e.total } : null;
  });
}

/** Runs the search at the controls' thresholds (the engine's defaults the first time). */
export async function findDuplicates(): Promise<void> {
  listenForProgress();
  const seq = ++searchSeq;
  dup.loading = true;
  dup.progress = null;
  dup.error = null;
  dup.notice = null;
  dup.startedAt = Date.now();
  try {
    const result = await api.duplicates({
      ...(dup.sensitivity === null ? {} : { sensitivity: dup.sensitivity }),
      ...(dup.similarShots === null ? {} : { similarShots: dup.similarShots }),
    });
    if (seq !== searchSeq) return; // a newer search was started meanwhile
    // Groups from an older search may name paths that changed since: Undo looks again instead.
    before.clear();
    dup.result = markRaw(result);
    dup.groups = result.groups.map((g) => markRaw({ ...g, keeperGone: false }));
    dup.similar = result.similar.map((g) => markRaw(g));
    dup.sensitivity = result.sensitivity;
    dup.similarShots = result.similarShots;
    dup.trashed = 0;
    dup.trashedBytes = 0;
  } catch (err) {
    if (seq === searchSeq) dup.error = errorMessage(err);
  } finally {
    if (seq === searchSeq) {
      dup.loading = false;
      dup.progress = null;
    }
  }
  if (dup.decisionsOpen) void loadDecisions();
}

/**
 * After photos went to the trash: out of their groups; a group of one is no longer a group, and a
 * group left with copies of one content only is "same bytes" now, whatever it was found as.
 */
export function removeTrashed(...photos: DuplicatePhoto[]): void {
  const gone = new Set(photos.map((p) => p.id));
  dup.groups = dup.groups.flatMap((g) => {
    if (!g.members.some((m) => gone.has(m.id))) return [g];
    const members = g.members.filter((m) => !gone.has(m.id));
    if (members.length < 2) return [];
    return [markRaw({ ...g, members, tier: tierOf(members), keeperGone: g.keeperGone || gone.has(g.keeper) })];
  });
  dup.trashed += photos.length;
  for (const p of photos) dup.trashedBytes += p.size;
}

/** Paths per trashPhotos call: 1,000 paths stay well under serve's JSON body limit (src/server/limits.ts JSON_LIMIT), and the dialog can count. */
export const TRASH_CHUNK = 1000;

/** What a bulk move did, photo by photo; `stopped` when a call failed after others had moved photos. */
export interface KeeperTrashOutcome {
  trashed: { path: string; bytes: number }[];
  failed: { path: string; reason: string }[];
  stopped: string | null;
}

/**
 * Moves the plan's photos to the trash (one trashPhotos call per TRASH_CHUNK paths; one call for
 * up to 1,000) and takes those that went out of their groups as each call answers; the ones that
 * could not go stay where they are, with their reasons. A call that fails outright before anything
 * moved throws (nothing happened); after some moved, the rest stay and `stopped` says why.
 */
export async function trashAllButKeepers(plan: KeeperTrashPlan, onProgress?: (done: number, total: number) => void): Promise<KeeperTrashOutcome> {
  const out: KeeperTrashOutcome = { trashed: [], failed: [], stopped: null };
  const photos = plan.photos;
  for (let i = 0; i < photos.length; i += TRASH_CHUNK) {
    onProgress?.(i, photos.length);
    const part = photos.slice(i, i + TRASH_CHUNK);
    let r: TrashManyResult;
    try {
      r = await api.trashPhotos(part.map((p) => p.path));
    } catch (err) {
      if (out.trashed.length === 0) throw err;
      out.stopped = errorMessage(err);
      break;
    }
    const moved = new Set(r.trashed.map((t) => t.path));
    removeTrashed(...part.filter((p) => moved.has(p.path)));
    out.trashed.push(...r.trashed);
    out.failed.push(...r.failed);
  }
  const freed = out.trashed.reduce((s, t) => s + t.bytes, 0);
  const parts = [`${out.trashed.length === 1 ? '1 photo' : `${out.trashed.length.toLocaleString('en')} photos`} (${formatBytes(freed)}) moved to the trash`];
  if (out.failed.length > 0) parts.push(`${out.failed.length.toLocaleString('en')} could not be moved and stay in their groups`);
  if (out.stopped) parts.push(`stopped before the rest: ${out.stopped}`);
  dup.notice = `${parts.join('; ')}.`;
  return out;
}

/** Bytes the photos beyond each group's suggested keeper take. */
export function extraBytes(groups: ShownGroup[]): { photos: number; bytes: number } {
  let photos = 0;
  let bytes = 0;
  for (const g of groups) {
    for (const m of g.members) {
      if (m.id === g.keeper) continue;
      photos++;
      bytes += m.size;
    }
  }
  return { photos, bytes };
}

/** Decisions are kept by content: a group whose photos all have the same bytes cannot carry one. */
export function canDecide(g: ShownGroup): boolean {
  return new Set(g.members.map((m) => m.hash)).size > 1;
}

/** "Keep this one" means something only for a photo whose content differs from another member's. */
export function canChoose(g: ShownGroup, m: DuplicatePhoto): boolean {
  return g.members.some((x) => x.hash !== m.hash);
}

export async function loadDecisions(): Promise<void> {
  try {
    dup.decisions = markRaw(await api.listDecisions());
    dup.decisionsError = null;
  } catch (err) {
    dup.decisionsError = errorMessage(err);
  }
}

const KIND_WORDS: Record<DecisionKind, string> = {
  'not-duplicates': 'marked as not duplicates',
  'keep-all': 'kept whole',
  keeper: 'given a keeper of your choice',
};

/**
 * Stores the person's decision and shows its effect at once, as the next search would: a dismissed
 * or kept-whole group leaves the list, a chosen keeper becomes the group's keeper.
 */
export async function decide(g: ShownGroup, kind: DecisionKind, keeper?: DuplicatePhoto): Promise<void> {
  dup.deciding = g.key;
  dup.notice = null;
  try {
    const d = await api.decideDuplicates({ kind, ids: g.members.map((m) => m.id), ...(keeper ? { keeper: keeper.id } : {}) });
    const index = dup.groups.findIndex((x) => x.key === g.key);
    if (index >= 0) before.set(d.id, { group: dup.groups[index], index });
    if (kind === 'keeper' && keeper) {
      dup.groups = dup.groups.map((x) =>
        x.key !== g.key
          ? x
          : markRaw({
              ...x,
              keeper: keeper.id,
              reason: 'chosen by you',
              keeperGone: false,
              decision: { id: d.id, kind: 'keeper' as const },
              // "Same bytes" is said against the keeper: the old keeper is not the new one's twin.
              members: [...x.members]
                .sort((a, b) => Number(b.id === keeper.id) - Number(a.id === keeper.id))
                .map((m) => ({ ...m, keep: m.id === keeper.id, identical: m.id !== keeper.id && m.hash !== null && m.hash === keeper.hash })),
            }),
      );
      dup.notice = `${keeper.name} is the copy to keep in its group. Undo it under Decisions.`;
    } else {
      dup.groups = dup.groups.filter((x) => x.key !== g.key);
      dup.notice = `The group of ${g.members.map((m) => m.name).join(', ')} is ${KIND_WORDS[kind]}. Undo it under Decisions.`;
    }
    await loadDecisions();
  } finally {
    dup.deciding = null;
  }
}

/** Removes a decision; its group comes back (at once when it was taken here, else by a new search). */
export async function undo(d: DecisionView): Promise<void> {
  dup.deciding = d.id;
  try {
    await api.undoDecision(d.id);
    const was = before.get(d.id);
    before.delete(d.id);
    if (was && dup.result) {
      const rest = dup.groups.filter((x) => x.key !== was.group.key);
      rest.splice(Math.min(was.index, rest.length), 0, was.group);
      dup.groups = rest;
      dup.notice = 'Undone: the group is back as it was.';
      await loadDecisions();
    } else {
      dup.notice = 'Undone: looking again.';
      await findDuplicates();
      await loadDecisions();
    }
  } catch (err) {
    dup.decisionsError = errorMessage(err);
  } finally {
    dup.deciding = null;
  }
}

/** "mirrored copy", "turned 90°": a flip or turn in words. */
export function transformWords(t: PhotoTransform): string {
  const words: Record<PhotoTransform, string> = {
    identity: 'same orientation',
    mirror: 'mirrored',
    flip: 'flipped upside down',
    rot90: 'turned 90°',
    rot180: 'turned 180°',
    rot270: 'turned 270°',
    transpose: 'mirrored and turned',
    transverse: 'mirrored and turned',
  };
  return words[t];
}

/** Why a member is never offered for the trash, in words. */
export function protectWords(reason: string): string {
  return reason === 'raw+jpeg pair' ? 'a RAW file and its JPEG are two files of one shot' : reason;
}

/** A similar shot as the compare view and the facts show photos (no keeper, never the same bytes). */
export function asComparePhoto(m: SimilarShotPhoto, first: boolean): DuplicatePhoto {
  return { ...m, mtimeMs: 0, identical: false, keep: false, why: first ? 'first of the group' : `visual words ${m.score.toFixed(2)}` };
}
