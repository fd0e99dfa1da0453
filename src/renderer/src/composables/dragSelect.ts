// Drag to select, for useSelection: a press on the grid that moves draws a rectangle, and every
// photo it covers joins the selection (added to it with Ctrl/Cmd/Shift held, replacing it
// otherwise); held near the scroller's top or bottom edge, the grid scrolls on.
import type { ShallowRef } from 'vue';
import type { GridItem } from '../components/PhotoGrid.vue';

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

export function dragSelect(map: ShallowRef<Map<number, GridItem>>, band: ShallowRef<Band | null>, replace: (next: Map<number, GridItem>) => void) {
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

  /** True once after a drag: the click that ends it is not a click on the photo under the pointer. */
  function takeClick(): boolean {
    if (!suppressClick) return false;
    suppressClick = false;
    return true;
  }

  return { pointerDown, pointerMove, pointerUp, takeClick };
}
