// What "Trash all but the keepers" moves, decided before anyone confirms, and a group's tier as
// its members stand: plain functions over the groups the Duplicates view shows (no API, no Vue),
// so test/integration/keeperplan.test.ts runs them on a real library's groups in Node (shared, as the
// renderer's pure rules are: explainwords.ts).
import type { DuplicateGroupView, DuplicatePhoto } from './api.js';

/** A group as the plan reads it: the engine's, plus whether its keeper already went to the trash. */
export type PlannedGroup = DuplicateGroupView & { keeperGone: boolean };

/** 'exact' when every member has one and the same content hash, else 'near'. */
export function tierOf(members: DuplicatePhoto[]): 'exact' | 'near' {
  const h = members[0]?.hash;
  return h && members.every((m) => m.hash === h) ? 'exact' : 'near';
}

/** What "Trash all but the keepers" would move for some groups, before anyone confirms. */
export interface KeeperTrashPlan {
  /** The photos to move: every member but the keeper, never a protected one (a RAW and its JPEG). */
  photos: DuplicatePhoto[];
  bytes: number;
  /** Groups that lose photos (each keeps its keeper). */
  groups: number;
  /** Groups left alone because their suggested keeper is already in the trash (a new search suggests another). */
  keeperGone: number;
  /** Photos kept because they are protected. */
  protected: number;
  /** Photos to move that are named like an edit of another ("-edited", "(1)") and differ from the keeper: maybe an edit on purpose. */
  edits: DuplicatePhoto[];
}

export function keeperTrashPlan(groups: PlannedGroup[]): KeeperTrashPlan {
  const plan: KeeperTrashPlan = { photos: [], bytes: 0, groups: 0, keeperGone: 0, protected: 0, edits: [] };
  for (const g of groups) {
    // Without its keeper a group has nothing to keep: "all but the keeper" would empty it.
    if (g.keeperGone || !g.members.some((m) => m.id === g.keeper)) {
      plan.keeperGone++;
      continue;
    }
    let any = false;
    for (const m of g.members) {
      if (m.id === g.keeper) continue;
      if (m.protect) {
        plan.protected++;
        continue;
      }
      plan.photos.push(m);
      plan.bytes += m.size;
      if (!m.identical && g.related?.some((r) => r.kind === 'edited-copy' && r.a === m.id)) plan.edits.push(m);
      any = true;
    }
    if (any) plan.groups++;
  }
  return plan;
}
