// Window of a long grid that is actually in the DOM. Only the rows on screen plus a few either
// side exist as elements, whatever the total, so 50,000 photos cost what 50 do. Cells are
// fixed-size squares: the row of any index is arithmetic, no measuring of rendered content.
import { computed, nextTick, onActivated, onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

export interface VirtualGridOptions {
  /** Smallest cell side in px; columns are as many as fit, then cells stretch to fill the width. */
  minCell?: number;
  gap?: number;
  /** Padding around the grid inside the scroller. */
  pad?: number;
  /** Rows rendered above and below the visible ones, so a fast flick does not show blanks. */
  overscanRows?: number;
}

export function useVirtualGrid(scroller: Ref<HTMLElement | null>, total: Ref<number>, options: VirtualGridOptions = {}) {
  const { minCell = 170, gap = 8, pad = 16, overscanRows = 3 } = options;
  const width = ref(0);
  const height = ref(0);
  const scrollTop = ref(0);

  const columns = computed(() => Math.max(1, Math.floor((width.value - 2 * pad + gap) / (minCell + gap))));
  const cell = computed(() => Math.max(60, Math.floor((width.value - 2 * pad - gap * (columns.value - 1)) / columns.value)));
  const pitch = computed(() => cell.value + gap);
  const rows = computed(() => Math.ceil(total.value / columns.value));
  const contentHeight = computed(() => (rows.value === 0 ? 0 : rows.value * pitch.value - gap + 2 * pad));

  // Separate number-valued computeds: scrolling within a row changes neither, so nothing re-renders.
  const firstRow = computed(() => Math.max(0, Math.floor((scrollTop.value - pad) / pitch.value) - overscanRows));
  const lastRow = computed(() =>
    Math.min(rows.value - 1, Math.floor((scrollTop.value + height.value - pad) / pitch.value) + overscanRows),
  );
  const start = computed(() => firstRow.value * columns.value);
  const end = computed(() => Math.min(total.value, (lastRow.value + 1) * columns.value));
  const indices = computed(() => {
    const out: number[] = [];
    for (let i = start.value; i < end.value; i++) out.push(i);
    return out;
  });

  function position(i: number): { x: number; y: number } {
    const c = i % columns.value;
    const r = Math.floor(i / columns.value);
    return { x: pad + c * pitch.value, y: pad + r * pitch.value };
  }

  function cellStyle(i: number): Record<string, string> {
    const { x, y } = position(i);
    return { transform: `translate(${x}px, ${y}px)`, width: `${cell.value}px`, height: `${cell.value}px` };
  }

  /** The first cell whose row is at least partly on screen, where keyboard focus starts. */
  function firstVisible(): number {
    const top = scroller.value?.scrollTop ?? 0;
    return Math.min(Math.max(0, total.value - 1), Math.max(0, Math.ceil((top - pad) / pitch.value)) * columns.value);
  }

  /** Scrolls the least needed to show cell i whole. */
  function scrollToIndex(i: number): void {
    const el = scroller.value;
    if (!el) return;
    const { y } = position(i);
    if (y - pad < el.scrollTop) el.scrollTop = Math.max(0, y - pad);
    else if (y + cell.value + pad > el.scrollTop + el.clientHeight) el.scrollTop = y + cell.value + pad - el.clientHeight;
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

  return { columns, cell, contentHeight, start, end, indices, cellStyle, scrollToIndex, firstVisible, fast };
}
