// The library's photos as a lazily filled array: pages are fetched when the grid shows them and
// kept outside Vue's reactivity (a plain Map), with one counter that tells the grid to redraw.
// Deep proxies over tens of thousands of objects would cost more than the grid itself.
import { ref, shallowRef, watch, type Ref } from 'vue';
import type { PhotoSummary } from '../../../shared/api';
import { api, errorMessage } from '../api';

const PAGE = 240;

export function usePhotoPages(folderId: Ref<number | null>) {
  const total = ref(0);
  /** False until the first page answers, so the view can tell "loading" from "empty". */
  const loaded = ref(false);
  const error = shallowRef<string | null>(null);
  const version = ref(0);

  let pages = new Map<number, PhotoSummary[]>();
  // Pages from before the last refresh: still drawn (no flash of skeletons) until their fresh copy arrives.
  let stale = new Set<number>();
  let inflight = new Set<number>();
  let generation = 0;
  let want: [number, number] = [0, 0];

  function get(i: number): PhotoSummary | undefined {
    return pages.get(Math.floor(i / PAGE))?.[i % PAGE];
  }

  async function fetchPage(p: number): Promise<void> {
    if (inflight.has(p)) return;
    inflight.add(p);
    const gen = generation;
    const id = folderId.value;
    try {
      const page = await api.listPhotos({ offset: p * PAGE, limit: PAGE, ...(id === null ? {} : { folderId: id }) });
      if (gen !== generation) return;
      pages.set(p, page.items);
      stale.delete(p);
      total.value = page.total;
      loaded.value = true;
      error.value = null;
      version.value++;
    } catch (err) {
      if (gen === generation) error.value = errorMessage(err);
    } finally {
      if (gen === generation) inflight.delete(p);
    }
  }

  /** Called by the grid with the index range it draws. */
  function ensure(start: number, end: number): void {
    want = [start, end];
    const last = Math.max(start, end - 1);
    for (let p = Math.floor(start / PAGE); p <= Math.floor(last / PAGE); p++) {
      if (!pages.has(p) || stale.has(p)) void fetchPage(p);
    }
  }

  function reset(): void {
    generation++;
    pages = new Map();
    stale = new Set();
    inflight = new Set();
    total.value = 0;
    loaded.value = false;
    error.value = null;
    version.value++;
    ensure(0, 1);
  }

  let lastRefresh = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** The library changed (indexing adds photos every moment): re-read what is on screen, at most about once a second. */
  function refresh(): void {
    if (timer) return;
    const wait = Math.max(0, lastRefresh + 1000 - Date.now());
    timer = setTimeout(() => {
      timer = null;
      lastRefresh = Date.now();
      generation++;
      inflight = new Set();
      stale = new Set(pages.keys());
      ensure(want[0], Math.max(want[1], 1));
    }, wait);
  }

  watch(folderId, reset, { immediate: true });

  return { total, loaded, error, version, get, ensure, refresh, reset };
}
