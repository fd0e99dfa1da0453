// Window of a long grid that is actually in the DOM. Only the rows on screen plus a few either
// side exist as elements, whatever the total, so 50,000 photos cost what 50 do. Cells are
// fixed-size (a square thumbnail plus a caption line under it): the place of any index is
// arithmetic, no measuring of rendered content.
//
// Sections (a date header per month or day) keep that: each section is a header band and its
// own rows, laid out once per width, size or list change into arrays of section tops (a few
// thousand numbers for 50,000 photos in day sections). The index at a scroll position and the
// position of an index are then a binary search over sections plus division within one.
import { computed, nextTick, onActivated, onBeforeUnmount, onMounted, ref, unref, type Ref } from 'vue';

/** A run of consecutive items under one header. */
export interface GridSection {
  /** Index of its first item. */
  start: number;
  count: number;
  /** The header's words ("August 2023"). */
  label: string;
  /** Stable id, for keys and tests ("2023-08"). */
  key: string;
}

/** A header to draw: where (content y) and which. */
export interface PlacedHeader {
  key: string;
  label: string;
  y: number;
  /** Index of its section's first item. */
  start: number;
}

export interface VirtualGridOptions {
  /** Smallest cell side in px (a ref: the thumbnail-size control); columns are as many as fit, then cells stretch to fill the width. */
  minCell?: number | Ref<number>;
  gap?: number;
  /** Padding around the grid inside the scroller. */
  pad?: number;
  /** Rows rendered above and below the visible ones, so a fast flick does not show blanks. */
  overscanRows?: number;
  /** Height of the caption line under each thumbnail (0: none). */
  captionHeight?: number;
  /** Sections in index order; null or empty: one run without headers. */
  sections?: Ref<GridSection[] | null | undefined>;
  /** Height of a section's header band. */
  headerHeight?: number;
}

interface Layout {
  columns: number;
  cell: number;
  pitchX: number;
  pitchY: number;
  header: number;
  /** Per section: first index, count, y of its header's top. */
  starts: number[];
  counts: number[];
  tops: number[];
  labels: string[];
  keys: string[];
  contentHeight: number;
}

/** Where every section's header and rows go for n items in `cols` columns of `side` px cells. */
function layOut(n: number, cols: number, side: number, given: GridSection[] | null | undefined, o: { gap: number; pad: number; captionHeight: number; headerHeight: number }): Layout {
  const { gap, pad, captionHeight, headerHeight } = o;
  const pitchY = side + captionHeight + gap;
  const starts: number[] = [];
  const counts: number[] = [];
  const labels: string[] = [];
  const keys: string[] = [];
  const header = given && given.length > 0 ? headerHeight : 0;
  if (header > 0) {
    // The sections may describe a moment before or after the pages (indexing goes on): they are
    // cut to the total, and items past them form one more section without a label.
    let at = 0;
    for (const s of given!) {
      if (at >= n) break;
      const count = Math.min(s.count, n - at);
      if (count <= 0) continue;
      starts.push(at);
      counts.push(count);
      labels.push(s.label);
      keys.push(s.key);
      at += count;
    }
    if (at < n) {
      starts.push(at);
      counts.push(n - at);
      labels.push('');
      keys.push('rest');
    }
  } else if (n > 0) {
    starts.push(0);
    counts.push(n);
    labels.push('');
    keys.push('all');
  }
  const tops: number[] = new Array(starts.length);
  let y = pad;
  for (let s = 0; s < starts.length; s++) {
    tops[s] = y;
    y += header + Math.ceil(counts[s] / cols) * pitchY;
  }
  const contentHeight = starts.length === 0 ? 0 : y - gap + pad;
  return { columns: cols, cell: side, pitchX: side + gap, pitchY, header, starts, counts, tops, labels, keys, contentHeight };
}

/** Last section whose value in `arr` is <= v (0 when none). */
function lastAtOrBefore(arr: number[], v: number): number {
  let lo = 0;
  let hi = arr.length - 1;
  let best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] <= v) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** The first index whose row ends below content y (the first cell at or after y). */
function indexAtY(L: Layout, y: number, total: number): number {
  if (L.starts.length === 0) return 0;
  const s = lastAtOrBefore(L.tops, y);
  const inRows = y - (L.tops[s] + L.header);
  const row = Math.max(0, Math.floor(inRows / L.pitchY));
  const i = L.starts[s] + row * L.columns;
  return Math.min(i, L.starts[s] + L.counts[s], total);
}

/** One past the last index whose row starts above content y. */
function endAtY(L: Layout, y: number): number {
  if (L.starts.length === 0) return 0;
  const s = lastAtOrBefore(L.tops, y);
  const inRows = y - (L.tops[s] + L.header);
  if (inRows < 0) return L.starts[s];
  const row = Math.floor(inRows / L.pitchY);
  return Math.min(L.starts[s] + L.counts[s], L.starts[s] + (row + 1) * L.columns);
}

/** The item one row down (dir 1) or up (-1) from i, in the same column where that row has one, across section headers. */
function verticalNeighbour(L: Layout, i: number, dir: 1 | -1): number {
  if (L.starts.length === 0) return i;
  const s = lastAtOrBefore(L.starts, i);
  const k = i - L.starts[s];
  const col = k % L.columns;
  const row = Math.floor(k / L.columns);
  const rowsIn = (t: number) => Math.ceil(L.counts[t] / L.columns);
  if (dir === 1) {
    if (row + 1 < rowsIn(s)) return Math.min(L.starts[s] + L.counts[s] - 1, i + L.columns);
    if (s + 1 >= L.starts.length) return i;
    return L.starts[s + 1] + Math.min(col, L.counts[s + 1] - 1);
  }
  if (row > 0) return i - L.columns;
  if (s === 0) return i;
  const prevLastRow = rowsIn(s - 1) - 1;
  return L.starts[s - 1] + Math.min(prevLastRow * L.columns + col, L.counts[s - 1] - 1);
}

export function useVirtualGrid(scroller: Ref<HTMLElement | null>, total: Ref<number>, options: VirtualGridOptions = {}) {
  const { gap = 8, pad = 16, overscanRows = 3, captionHeight = 0, headerHeight = 40 } = options;
  const width = ref(0);
  const height = ref(0);
  const scrollTop = ref(0);

  const minCell = computed(() => Math.max(60, unref(options.minCell ?? 170)));
  const columns = computed(() => Math.max(1, Math.floor((width.value - 2 * pad + gap) / (minCell.value + gap))));
  const cell = computed(() => Math.max(60, Math.floor((width.value - 2 * pad - gap * (columns.value - 1)) / columns.value)));

  const layout = computed<Layout>(() => layOut(total.value, columns.value, cell.value, options.sections?.value, { gap, pad, captionHeight, headerHeight }));

  const contentHeight = computed(() => layout.value.contentHeight);

  // Number-valued computeds: scrolling within a row changes neither, so nothing re-renders.
  const start = computed(() => indexAtY(layout.value, scrollTop.value - overscanRows * layout.value.pitchY, total.value));
  const end = computed(() => Math.max(start.value, endAtY(layout.value, scrollTop.value + height.value + overscanRows * layout.value.pitchY)));
  const indices = computed(() => {
    const out: number[] = [];
    for (let i = start.value; i < end.value; i++) out.push(i);
    return out;
  });

  /** Headers of the sections the rendered window touches, and the next one (its header may show before its first row). */
  const headers = computed<PlacedHeader[]>(() => {
    const L = layout.value;
    if (L.header === 0 || L.starts.length === 0) return [];
    const first = lastAtOrBefore(L.starts, start.value);
    const last = Math.min(L.starts.length - 1, lastAtOrBefore(L.starts, Math.max(start.value, end.value - 1)) + 1);
    const out: PlacedHeader[] = [];
    for (let s = first; s <= last; s++) if (L.labels[s]) out.push({ key: L.keys[s], label: L.labels[s], y: L.tops[s], start: L.starts[s] });
    return out;
  });

  function sectionOf(i: number): number {
    return lastAtOrBefore(layout.value.starts, i);
  }

  function position(i: number): { x: number; y: number } {
    const L = layout.value;
    if (L.starts.length === 0) return { x: pad, y: pad };
    const s = sectionOf(i);
    const k = i - L.starts[s];
    const c = k % L.columns;
    const r = Math.floor(k / L.columns);
    return { x: pad + c * L.pitchX, y: L.tops[s] + L.header + r * L.pitchY };
  }

  function cellStyle(i: number): Record<string, string> {
    const { x, y } = position(i);
    const side = layout.value.cell;
    return { transform: `translate(${x}px, ${y}px)`, width: `${side}px`, height: `${side + captionHeight}px` };
  }

  /** The first cell whose row is at least partly on screen, where keyboard focus starts. */
  function firstVisible(): number {
    const top = scroller.value?.scrollTop ?? 0;
    return Math.min(Math.max(0, total.value - 1), indexAtY(layout.value, top, total.value));
  }

  /** The cell about a screen below (dir 1) or above (-1) cell i, in its column. */
  function pageFrom(i: number, dir: 1 | -1): number {
    const L = layout.value;
    const { x, y } = position(i);
    const target = y + dir * Math.max(L.pitchY, height.value - L.pitchY);
    const rowStart = indexAtY(L, Math.max(0, target), total.value);
    const col = Math.round((x - pad) / L.pitchX);
    const s = sectionOf(rowStart);
    const k = rowStart - L.starts[s];
    const rowFirst = L.starts[s] + k - (k % L.columns);
    return Math.min(total.value - 1, Math.min(L.starts[s] + L.counts[s] - 1, rowFirst + col));
  }

  /** Scrolls the least needed to show cell i whole (and its section's header, when it is in the first row). */
  function scrollToIndex(i: number): void {
    const el = scroller.value;
    if (!el) return;
    const L = layout.value;
    const { y } = position(i);
    const s = sectionOf(i);
    const firstRow = i - L.starts[s] < L.columns;
    const top = firstRow ? L.tops[s] : y;
    const bottom = y + L.cell + captionHeight;
    if (top - pad < el.scrollTop) el.scrollTop = Math.max(0, top - pad);
    else if (bottom + pad > el.scrollTop + el.clientHeight) el.scrollTop = bottom + pad - el.clientHeight;
  }

  /** Scrolls so that section s's header is at the top. */
  function scrollToSection(s: number): void {
    const el = scroller.value;
    const L = layout.value;
    if (!el || s < 0 || s >= L.tops.length) return;
    el.scrollTop = Math.max(0, L.tops[s] - pad);
  }

  // A fling moves more than a screen a frame: every cell on screen is new each frame, and decoding
  // their thumbnails is what would drop frames. While it lasts, cells draw without thumbnails
  // (`fast`); they come in once the scroll slows.
  const fast = ref(false);
  let calm: ReturnType<typeof setTimeout> | undefined;
  let frame = 0;
  function onScroll(): void {
    if (frame) return;
    // One update per frame however many scroll events the browser fires.
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (!scroller.value) return;
      const top = scroller.value.scrollTop;
      if (Math.abs(top - scrollTop.value) > height.value) fast.value = true;
      scrollTop.value = top;
      clearTimeout(calm);
      calm = setTimeout(() => (fast.value = false), 120);
    });
  }

  let observer: ResizeObserver | null = null;
  onMounted(() => {
    const el = scroller.value;
    if (!el) return;
    width.value = el.clientWidth;
    height.value = el.clientHeight;
    scrollTop.value = el.scrollTop;
    el.addEventListener('scroll', onScroll, { passive: true });
    observer = new ResizeObserver(() => {
      // 0 x 0 means detached (kept alive, off screen), not a real size to lay out for.
      if (el.clientWidth === 0 && el.clientHeight === 0) return;
      width.value = el.clientWidth;
      height.value = el.clientHeight;
    });
    observer.observe(el);
  });
  // Inside <KeepAlive> (back to a grid seen before) the element leaves the document, which
  // forgets its scroll position (before any deactivated hook runs) and measures it as 0 x 0.
  // scrollTop still holds the last position seen on screen: put it back.
  onActivated(async () => {
    const el = scroller.value;
    if (!el) return;
    const top = scrollTop.value;
    width.value = el.clientWidth;
    height.value = el.clientHeight;
    await nextTick();
    el.scrollTop = top;
    scrollTop.value = el.scrollTop;
  });
  onBeforeUnmount(() => {
    scroller.value?.removeEventListener('scroll', onScroll);
    observer?.disconnect();
    if (frame) cancelAnimationFrame(frame);
    clearTimeout(calm);
  });

  return {
    columns,
    cell,
    layout,
    contentHeight,
    start,
    end,
    indices,
    headers,
    scrollTop,
    height,
    cellStyle,
    position,
    scrollToIndex,
    scrollToSection,
    verticalNeighbour: (i: number, dir: 1 | -1) => verticalNeighbour(layout.value, i, dir),
    pageFrom,
    firstVisible,
    fast,
  };
}
