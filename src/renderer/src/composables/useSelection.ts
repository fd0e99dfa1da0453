// Which photos of a grid are selected, and the gestures that change it, as in Immich and Google
// Photos: with nothing selected a click opens the photo; Ctrl/Cmd-click (or the check mark) starts
// a selection; once something is selected a click toggles, Shift-click adds the range from the
// last photo clicked, a drag draws a rectangle, Ctrl/Cmd+A takes the whole list and Escape clears.
// Kept by photo id with the photo itself, so a selection survives scrolling its photos out of the
// grid's pages and bulk actions have the paths at hand.
import { computed, onActivated, onBeforeUnmount, onDeactivated, onMounted, ref, shallowRef } from 'vue';
import type { GridItem } from '../components/PhotoGrid.vue';

export interface SelectionSource {
  /** How many photos the list holds. */
  total(): number;
  /**
   * Photos [start, end) of the list, fetched where not loaded yet (the library's pages), for
   * Shift-click ranges and Select all.
   */
  items(start: number, end: number): Promise<GridItem[]>;
}

/** A drag's rectangle in the grid's content coordinates (px from its top left, scrolled content included). */
export interface Band {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Pointer travel before a press becomes a drag (a click wobbles a pixel or two). */
const DRAG_START_PX = 6;
/** Within this far of the scroller's top or bottom edge a drag scrolls it. */
const EDGE_PX = 48;

// eslint-disable-next-line max-lines-per-function -- one composable: clicks, the drag rectangle and the keys all change the one selection map and anchor, which the grid gets back as one object
export function useSelection(source: SelectionSource) {
  /** Replaced whole on every change (never mutated), so a shallowRef is enough for Vue. */
  const map = shallowRef(new Map<number, GridItem>());
  /** The index Shift-click ranges start from: the last photo clicked or toggled. */
  const anchor = ref<number | null>(null);
  const count = computed(() => map.value.size);
  const items = computed(() => [...map.value.values()]);
  const band = shallowRef<Band | null>(null);
  /** A range or Select all still fetching its photos. */
  const busy = ref(false);
  const error = ref<string | null>(null);

  const has = (id: number | undefined) => id !== undefined && map.value.has(id);

  function replace(next: Map<number, GridItem>): void {
    map.value = next;
  }

  function clear(): void {
    if (map.value.size > 0) replace(new Map());
    anchor.value = null;
  }

  function toggle(i: number, item: GridItem): void {
    const next = new Map(map.value);
    if (next.has(item.id)) next.delete(item.id);
    else next.set(item.id, item);
    anchor.value = i;
    replace(next);
  }

  /** Removes photos that are gone (moved to the trash) from the selection. */
  function forget(ids: Iterable<number>): void {
    const next = new Map(map.value);
    for (const id of ids) next.delete(id);
    replace(next);
  }

  async function addRange(a: number, b: number): Promise<void> {
    const [s, e] = a <= b ? [a, b] : [b, a];
    busy.value = true;
    error.value = null;
    try {
      const got = await source.items(s, e + 1);
      const next = new Map(map.value);
      for (const it of got) next.set(it.id, it);
      replace(next);
    } catch (err) {
      error.value = (err as Error)?.message ?? String(err);
    } finally {
      busy.value = false;
    }
  }

  async function selectAll(): Promise<void> {
    const n = source.total();
    if (n === 0) return;
    busy.value = true;
    error.value = null;
    try {
      const got = await source.items(0, n);
      replace(new Map(got.map((it) => [it.id, it])));
    } catch (err) {
      error.value = (err as Error)?.message ?? String(err);
    } finally {
      busy.value = false;
    }
  }

  /**
   * A click on photo i: true when the selection took it (a range, a toggle), false when the
   * caller should open the photo. Shift-click never opens it.
   */
  function click(i: number, item: GridItem, e: { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }): boolean {
    if (suppressClick) {
      suppressClick = false;
      return true;
    }
    if (e.shiftKey) {
      const from = anchor.value ?? i;
      anchor.value = i;
      void addRange(from, i);
      return true;
    }
    if (e.ctrlKey || e.metaKey || map.value.size > 0) {
      toggle(i, item);
      return true;
    }
    return false;
  }

  // ---- drag to select ---------------------------------------------------------------------------

  let drag: {
    pointer: number;
    scroller: HTMLElement;
    x0: number;
    y0: number;
    clientX: number;
    clientY: number;
    started: boolean;
    base: Map<number, GridItem>;
    /** Photos the rectangle covers: each cell's last verdict while it was drawn (a virtual grid draws only some). */
    hits: Map<number, GridItem>;
    raf: number;
  } | null = null;
  let suppressClick = false;

  const contentPoint = (scroller: HTMLElement, clientX: number, clientY: number) => {
    const r = scroller.getBoundingClientRect();
    return { x: clientX - r.left + scroller.scrollLeft, y: clientY - r.top + scroller.scrollTop };
  };

  function updateBand(): void {
    if (!drag) return;
    const { scroller } = drag;
    const p = contentPoint(scroller, drag.clientX, drag.clientY);
    const left = Math.min(drag.x0, p.x);
    const top = Math.min(drag.y0, p.y);
    const b = { left, top, width: Math.abs(p.x - drag.x0), height: Math.abs(p.y - drag.y0) };
    band.value = b;
    const sr = scroller.getBoundingClientRect();
    for (const el of scroller.querySelectorAll<HTMLElement>('[role=gridcell][data-index]')) {
      const i = Number(el.dataset.index);
      const r = el.getBoundingClientRect();
      const x = r.left - sr.left + scroller.scrollLeft;
      const y = r.top - sr.top + scroller.scrollTop;
      const inside = x < b.left + b.width && x + r.width > b.left && y < b.top + b.height && y + r.height > b.top;
      const id = Number(el.dataset.id);
      if (inside && Number.isInteger(id)) drag.hits.set(i, itemOf(el, id));
      else drag.hits.delete(i);
    }
    const next = new Map(drag.base);
    for (const it of drag.hits.values()) next.set(it.id, it);
    replace(next);
  }

  /** The photo a drawn cell shows, from the attributes PhotoGrid puts on it. */
  function itemOf(el: HTMLElement, id: number): GridItem {
    const known = map.value.get(id) ?? drag?.base.get(id);
    if (known) return known;
    const w = Number(el.dataset.width);
    const h = Number(el.dataset.height);
    const bytes = el.dataset.bytes === undefined ? undefined : Number(el.dataset.bytes);
    return {
      id,
      path: el.dataset.path ?? '',
      name: el.getAttribute('aria-label') ?? '',
      width: Number.isFinite(w) && w > 0 ? w : null,
      height: Number.isFinite(h) && h > 0 ? h : null,
      ...(bytes !== undefined && Number.isFinite(bytes) ? { bytes } : {}),
    } as GridItem;
  }

  /** Scrolls while the pointer is held near the scroller's top or bottom edge, and redraws the rectangle. */
  function autoScroll(): void {
    if (!drag?.started) return;
    const r = drag.scroller.getBoundingClientRect();
    const dy = drag.clientY < r.top + EDGE_PX ? -(r.top + EDGE_PX - drag.clientY) : drag.clientY > r.bottom - EDGE_PX ? drag.clientY - (r.bottom - EDGE_PX) : 0;
    if (dy !== 0) {
      drag.scroller.scrollTop += Math.sign(dy) * Math.min(40, Math.ceil(Math.abs(dy) / 2));
      updateBand();
    }
    drag.raf = requestAnimationFrame(autoScroll);
  }

  /** A press on the grid (PhotoGrid's pointerdown): becomes a rectangle once it moves. */
  function pointerDown(e: PointerEvent, scroller: HTMLElement): void {
    if (e.button !== 0 || e.pointerType === 'touch') return;
    const t = e.target as HTMLElement | null;
    if (t?.closest('button, a, input')) return;
    const p = contentPoint(scroller, e.clientX, e.clientY);
    // Ignore a press on the scroll bar (outside the content box).
    if (e.clientX - scroller.getBoundingClientRect().left > scroller.clientWidth) return;
    drag = {
      pointer: e.pointerId,
      scroller,
      x0: p.x,
      y0: p.y,
      clientX: e.clientX,
      clientY: e.clientY,
      started: false,
      base: e.ctrlKey || e.metaKey || e.shiftKey ? new Map(map.value) : new Map(),
      hits: new Map(),
      raf: 0,
    };
    suppressClick = false;
  }

  function pointerMove(e: PointerEvent): void {
    if (!drag || e.pointerId !== drag.pointer) return;
    drag.clientX = e.clientX;
    drag.clientY = e.clientY;
    if (!drag.started) {
      const p = contentPoint(drag.scroller, e.clientX, e.clientY);
      if (Math.hypot(p.x - drag.x0, p.y - drag.y0) < DRAG_START_PX) return;
      drag.started = true;
      try {
        drag.scroller.setPointerCapture(e.pointerId);
      } catch {
        // the pointer is gone already; the drag ends with it
      }
      // No text or image gets selected by the browser while the rectangle is drawn.
      window.getSelection()?.removeAllRanges();
      drag.raf = requestAnimationFrame(autoScroll);
    }
    e.preventDefault();
    updateBand();
  }

  function pointerUp(e: PointerEvent): void {
    if (!drag || e.pointerId !== drag.pointer) return;
    const started = drag.started;
    cancelAnimationFrame(drag.raf);
    drag = null;
    band.value = null;
    // The click that follows a drag is not a click on the photo under the pointer.
    if (started) {
      suppressClick = true;
      setTimeout(() => (suppressClick = false), 0);
    }
  }

  return { map, items, count, anchor, band, busy, error, has, clear, toggle, forget, click, selectAll, addRange, pointerDown, pointerMove, pointerUp };
}

export type Selection = ReturnType<typeof useSelection>;

/** Keys typed into a field are the field's. */
function editable(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return Boolean(el && (el.isContentEditable || el.closest('input, textarea, select, [contenteditable=""], [contenteditable=true]')));
}

/** A dialog, menu or overlay is open: Escape and Ctrl+A are theirs. */
function overlayOpen(): boolean {
  return document.querySelector('[aria-modal="true"], [role="menu"], [role="alertdialog"]') !== null;
}

/**
 * Ctrl/Cmd+A selects every photo of the view (not the page's text) and Escape clears the
 * selection, wherever the focus is in the window, while the view is the one shown (a view kept
 * alive behind another listens no more).
 */
export function useSelectionKeys(selection: Selection): void {
  function onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || editable(e.target) || overlayOpen()) return;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 'a' || e.key === 'A')) {
      e.preventDefault();
      void selection.selectAll();
    } else if (e.key === 'Escape' && selection.count.value > 0) {
      e.preventDefault();
      selection.clear();
    }
  }
  let on = false;
  const start = () => {
    if (!on) window.addEventListener('keydown', onKey);
    on = true;
  };
  const stop = () => {
    if (on) window.removeEventListener('keydown', onKey);
    on = false;
  };
  onMounted(start);
  onActivated(start);
  onDeactivated(stop);
  onBeforeUnmount(stop);
}
