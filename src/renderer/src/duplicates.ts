// The Duplicates view's state, kept outside the component so leaving the view (a search, a folder)
// and coming back shows the same groups. Groups are replaced whole when a photo goes to the trash
// (shallow state, no deep proxies over a few thousand members).
import { markRaw, shallowReactive } from 'vue';
import type { DuplicateGroupView, DuplicatePhoto, DuplicatesResult, ReportFormat } from '../../shared/api';
import { api, errorMessage } from './api';

/** A group as shown: its photos less those moved to the trash since the search. */
export interface ShownGroup extends DuplicateGroupView {
  /** Stable across trashing (the view's key). */
  key: number;
  /** The suggested keeper went to the trash: the suggestion needs a new search. */
  keeperGone: boolean;
}

export interface DuplicatesState {
  loading: boolean;
  /** When the running search started (for the elapsed time the view shows). */
  startedAt: number;
  error: string | null;
  result: DuplicatesResult | null;
  groups: ShownGroup[];
  /** The sensitivity the control shows; null until the engine said its default. */
  sensitivity: number | null;
  /** Photos moved to the trash from this view since the search, and their bytes. */
  trashed: number;
  trashedBytes: number;
  /** The last thing done, in words ("x.jpg is in the trash ..."). */
  notice: string | null;
  exporting: ReportFormat | null;
}

export const dup = shallowReactive<DuplicatesState>({
  loading: false,
  startedAt: 0,
  error: null,
  result: null,
  groups: [],
  sensitivity: null,
  trashed: 0,
  trashedBytes: 0,
  notice: null,
  exporting: null,
});

let searchSeq = 0;

/** Runs the search at the control's sensitivity (the engine's default the first time). */
export async function findDuplicates(): Promise<void> {
  const seq = ++searchSeq;
  dup.loading = true;
  dup.error = null;
  dup.notice = null;
  dup.startedAt = Date.now();
  try {
    const result = await api.duplicates(dup.sensitivity === null ? {} : { sensitivity: dup.sensitivity });
    if (seq !== searchSeq) return; // a newer search was started meanwhile
    dup.result = markRaw(result);
    dup.groups = result.groups.map((g, i) => markRaw({ ...g, key: i, keeperGone: false }));
    dup.sensitivity = result.sensitivity;
    dup.trashed = 0;
    dup.trashedBytes = 0;
  } catch (err) {
    if (seq === searchSeq) dup.error = errorMessage(err);
  } finally {
    if (seq === searchSeq) dup.loading = false;
  }
}

/** After a photo went to the trash: out of its group; a group of one is no longer a group. */
export function removeTrashed(photo: DuplicatePhoto): void {
  dup.groups = dup.groups.flatMap((g) => {
    if (!g.members.some((m) => m.id === photo.id)) return [g];
    const members = g.members.filter((m) => m.id !== photo.id);
    if (members.length < 2) return [];
    return [markRaw({ ...g, members, keeperGone: g.keeperGone || photo.id === g.keeper })];
  });
  dup.trashed++;
  dup.trashedBytes += photo.size;
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
