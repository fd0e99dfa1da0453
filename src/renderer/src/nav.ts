// Back and forward between the library grid and searches. The app keeps its own stack (a search
// entry holds its results and, for a dropped file, the blob: URL of that file, which no URL could
// restore) and mirrors it into the browser's history so the browser's own Back works too.
import { computed, markRaw, shallowReactive, shallowRef } from 'vue';
import type { SimilarResult } from '../../shared/api';

export interface SearchQuery {
  id?: number;
  /** Find similar from several library photos at once (similarToMany). */
  ids?: number[];
  path?: string;
  name: string;
  /** Where the pinned query image comes from: a thumbnail URL or a blob: URL of a dropped file. */
  imageUrl: string;
  /** A blob: URL this entry owns and must revoke when it leaves the history. */
  ownsUrl?: boolean;
  /** The dropped or picked file of a search for a photo outside the library, kept for a retry. */
  file?: File;
}

export interface SearchState {
  /** Tells searches apart (the view's key), even two of the same photo. */
  readonly seq: number;
  loading: boolean;
  result: SimilarResult | null;
  error: string | null;
}

export type View =
  | { kind: 'library'; folderId: number | null }
  | { kind: 'similar'; query: SearchQuery; search: SearchState }
  /** Its groups live in duplicates.ts, so coming back shows the last search as it was left. */
  | { kind: 'duplicates' }
  /** What Photowords moved to the trash, with Restore. */
  | { kind: 'trash' };

const stack = shallowRef<View[]>([{ kind: 'library', folderId: null }]);
const index = shallowRef(0);

export const current = computed(() => stack.value[index.value]!);
export const canBack = computed(() => index.value > 0);
export const canForward = computed(() => index.value < stack.value.length - 1);

function release(views: View[]): void {
  for (const v of views) if (v.kind === 'similar' && v.query.ownsUrl) URL.revokeObjectURL(v.query.imageUrl);
}

export function navigate(view: View): void {
  const kept = stack.value.slice(0, index.value + 1);
  release(stack.value.slice(index.value + 1));
  stack.value = [...kept, view];
  index.value = kept.length;
  history.pushState({ pw: index.value }, '');
}

export function back(): void {
  if (canBack.value) history.back();
}

export function forward(): void {
  if (canForward.value) history.forward();
}

let searches = 0;
export function newSearch(): SearchState {
  return shallowReactive<SearchState>({ seq: ++searches, loading: true, result: null, error: null });
}

/** Results are read-only snapshots: no proxies over them. */
export function settle(search: SearchState, result: SimilarResult): void {
  search.result = markRaw(result);
  search.loading = false;
}

let navStarted = false;
/** Once per window: the library mounts again after signing in again, with the same history. */
export function startNav(): void {
  if (navStarted) return;
  navStarted = true;
  history.replaceState({ pw: 0 }, '');
  window.addEventListener('popstate', (e) => {
    const i = (e.state as { pw?: unknown } | null)?.pw;
    // An entry from before a reload has no app state behind it: show the library.
    if (typeof i === 'number' && i >= 0 && i < stack.value.length) index.value = i;
    else index.value = 0;
  });
}
