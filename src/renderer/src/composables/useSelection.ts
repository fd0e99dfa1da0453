// Which photos of a grid are selected, and the gestures that change it, as in Immich and Google
// Photos: with nothing selected a click opens the photo; Ctrl/Cmd-click (or the check mark) starts
// a selection; once something is selected a click toggles, Shift-click adds the range from the
// last photo clicked, a drag draws a rectangle, Ctrl/Cmd+A takes the whole list and Escape clears.
// Kept by photo id with the photo itself, so a selection survives scrolling its photos out of the
// grid's pages and bulk actions have the paths at hand.
import { computed, onActivated, onBeforeUnmount, onDeactivated, onMounted, ref, shallowRef } from 'vue';
import type { GridItem } from '../components/PhotoGrid.vue';
import { dragSelect, type Band } from './dragSelect';

export type { Band };

export interface SelectionSource {
  /** How many photos the list holds. */
  total(): number;
  /**
   * Photos [start, end) of the list, fetched where not loaded yet (the library's pages), for
   * Shift-click ranges and Select all.
   */
  items(start: number, end: number): Promise<GridItem[]>;
}

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

  const drag = dragSelect(map, band, replace);

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
    if (drag.takeClick()) return true;
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

  return {
    map,
    items,
    count,
    anchor,
    band,
    busy,
    error,
    has,
    clear,
    toggle,
    forget,
    click,
    selectAll,
    addRange,
    pointerDown: drag.pointerDown,
    pointerMove: drag.pointerMove,
    pointerUp: drag.pointerUp,
  };
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
