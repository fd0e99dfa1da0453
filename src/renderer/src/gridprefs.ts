// How the library grid is shown: order, date sections, thumbnail size, kept in this browser's
// storage so the grid opens the way it was left. And the subfolder chosen in the folder tree,
// which the library view lists (not kept: a new session starts at the folder).
import { reactive, ref, watch } from 'vue';
import type { PhotoSortName, SortOrderName } from '../../shared/api';
import type { GroupBy } from './dates';

export const SORTS: { value: PhotoSortName; label: string }[] = [
  { value: 'taken', label: 'Date taken' },
  { value: 'name', label: 'Name' },
  { value: 'size', label: 'Size' },
  { value: 'type', label: 'Type' },
];

/** The order each sort starts in, as the engine defaults it: newest, A to Z, largest, A to Z. */
export const DEFAULT_ORDER: Record<PhotoSortName, SortOrderName> = { taken: 'desc', name: 'asc', size: 'desc', type: 'asc' };

/** Words for the order button, per sort and order. */
export const ORDER_WORDS: Record<PhotoSortName, Record<SortOrderName, string>> = {
  taken: { desc: 'Newest first', asc: 'Oldest first' },
  name: { asc: 'A to Z', desc: 'Z to A' },
  size: { desc: 'Largest first', asc: 'Smallest first' },
  type: { asc: 'A to Z', desc: 'Z to A' },
};

export const SIZE_MIN = 96;
export const SIZE_MAX = 320;
export const SIZE_DEFAULT = 170;

interface GridPrefs {
  sort: PhotoSortName;
  order: SortOrderName;
  group: GroupBy;
  size: number;
}

const KEY = 'photowords.grid';

function load(): GridPrefs {
  const d: GridPrefs = { sort: 'taken', order: 'desc', group: 'day', size: SIZE_DEFAULT };
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<GridPrefs>;
    if (SORTS.some((s) => s.value === v.sort)) d.sort = v.sort!;
    d.order = v.order === 'asc' || v.order === 'desc' ? v.order : DEFAULT_ORDER[d.sort];
    if (v.group === 'day' || v.group === 'month' || v.group === 'none') d.group = v.group;
    if (typeof v.size === 'number' && v.size >= SIZE_MIN && v.size <= SIZE_MAX) d.size = v.size;
  } catch {
    // Storage unavailable or garbled: the defaults.
  }
  return d;
}

export const gridPrefs = reactive<GridPrefs>(load());

watch(gridPrefs, (p) => {
  try {
    localStorage.setItem(KEY, JSON.stringify(p));
  } catch {
    // Private mode or full storage: the choice lasts this session.
  }
});

export function setSort(sort: PhotoSortName): void {
  if (gridPrefs.sort === sort) return;
  gridPrefs.sort = sort;
  gridPrefs.order = DEFAULT_ORDER[sort];
}

/** The subfolder of a library folder that the grid lists (chosen in the folder tree); null: the whole folder. */
export const subfolder = ref<{ folderId: number; path: string } | null>(null);
