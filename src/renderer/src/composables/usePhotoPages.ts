// The library's photos as a lazily filled array: pages are fetched when the grid shows them and
// kept outside Vue's reactivity (a plain Map), with one counter that tells the grid to redraw.
// Deep proxies over tens of thousands of objects would cost more than the grid itself.
// With the query's order being date taken, the photos' counts per day come along (photoDates),
// so the grid can place every date header before it has the pages under it.
import { ref, shallowRef, watch, type Ref } from 'vue';
import type { PhotoDates, PhotoSortName, PhotoSummary, SortOrderName } from '../../../shared/api';
import { api, errorMessage } from '../api';

const PAGE = 240;
/** Pages one load() call asks for at once (Select all, a long Shift-click range). */
const LOAD_PAGES = 20;

/** What the grid lists: a folder (null: all), a subfolder of it, a file-name search, an order. */
export interface PhotoQuery {
  folderId: number | null;
  under: string | null;
  search: string;
  sort: PhotoSortName;
  order: SortOrderName;
  /** Fetch the counts per day too (date sections are shown). */
  withDates: boolean;
}

export function usePhotoPages(query: Ref<PhotoQuery>) {
  const total = ref(0);
  /** False until the first page answers, so the view can tell "loading" from "empty". */
  const loaded = ref(false);
  const error = shallowRef<string | null>(null);
  const version = ref(0);
  /** Photos per day of this query (date order with sections only); null until they answer. */
  const dates = shallowRef<PhotoDates | null>(null);

  let pages = new Map<number, PhotoSummary[]>();
  // Pages from before the last refresh: still drawn (no flash of skeletons) until their fresh copy arrives.
  let stale = new Set<number>();
  let inflight = new Set<number>();
  let generation = 0;
  let want: [number, number] = [0, 0];

  function listQuery() {
    const q = query.value;
    return {
      ...(q.folderId === null ? {} : { folderId: q.folderId }),
      ...(q.under ? { under: q.under } : {}),
      ...(q.search.trim() ? { search: q.search.trim() } : {}),
      sort: q.sort,
      order: q.order,
    };
  }

  async function fetchDates(): Promise<void> {
    const gen = generation;
    if (!query.value.withDates || query.value.sort !== 'taken') {
      dates.value = null;
      return;
    }
    try {
      const q = listQuery();
      const d = await api.photoDates({ folderId: q.folderId, under: q.under, search: q.search, order: q.order });
      if (gen === generation) dates.value = d;
    } catch (err) {
      if (gen === generation) error.value = errorMessage(err);
    }
  }

  function get(i: number): PhotoSummary | undefined {
    return pages.get(Math.floor(i / PAGE))?.[i % PAGE];
  }

  /**
   * Photos [start, end) of this query, fetching the pages not loaded yet, a few at a time (a
   * Shift-click range over pages scrolled past by the scroll bar, Select all).
   */
  async function load(start: number, end: number): Promise<PhotoSummary[]> {
    const gen = generation;
    const missing: number[] = [];
    for (let p = Math.floor(start / PAGE); p <= Math.floor(Math.max(start, end - 1) / PAGE); p++) if (!pages.has(p)) missing.push(p);
    // Runs of missing pages asked for in one call each (up to 20 pages, 4,800 photos: the engine
    // answers up to 5,000), four calls at a time: Select all of 50,000 is 11 calls, not 209.
    const runs: { first: number; count: number }[] = [];
    for (const p of missing) {
      const last = runs[runs.length - 1];
      if (last && last.first + last.count === p && last.count < LOAD_PAGES) last.count++;
      else runs.push({ first: p, count: 1 });
    }
    for (let i = 0; i < runs.length; i += 4) {
      const batch = runs.slice(i, i + 4);
      const got = await Promise.all(batch.map((r) => api.listPhotos({ offset: r.first * PAGE, limit: r.count * PAGE, ...listQuery() })));
      if (gen !== generation) throw new Error('The photos changed while they were being selected; select them again.');
      got.forEach((page, j) => {
        for (let k = 0; k < batch[j].count; k++) pages.set(batch[j].first + k, page.items.slice(k * PAGE, (k + 1) * PAGE));
      });
      version.value++;
    }
    const out: PhotoSummary[] = [];
    for (let i = start; i < end; i++) {
      const it = get(i);
      if (it) out.push(it);
    }
    return out;
  }

  async function fetchPage(p: number): Promise<void> {
    if (inflight.has(p)) return;
    inflight.add(p);
    const gen = generation;
    try {
      const page = await api.listPhotos({ offset: p * PAGE, limit: PAGE, ...listQuery() });
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
    dates.value = null;
    version.value++;
    ensure(0, 1);
    void fetchDates();
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
      void fetchDates();
    }, wait);
  }

  // A new query starts over; the same query asked again (a new object, same values) does not.
  watch(() => JSON.stringify(query.value), reset, { immediate: true });

  return { total, loaded, error, version, dates, get, load, ensure, refresh, reset };
}
