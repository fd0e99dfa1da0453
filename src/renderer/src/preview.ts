// The large preview's state, outside any one view: the library grid, a search's results and the
// duplicates groups each open it with their own list, and next / previous walk that list. The
// list may be an array (results, a group's members) or the library's pages, fetched as the
// preview reaches them; App draws the one PreviewOverlay.
import { shallowRef } from 'vue';
import { api } from './api';

/** A photo the preview can show: a library photo, or a file from outside it (the query of a search by file). */
export interface PreviewPhoto {
  id?: number;
  path?: string;
  name: string;
  /** Pixels as displayed, when known: the thumbnail stands in at the photo's shape while the photo loads. */
  width?: number | null;
  height?: number | null;
}

/**
 * What next / previous walk. An array of photos is one (length and at()); the library's grid
 * passes its pages, whose photos arrive as `load` asks for them.
 */
export interface PreviewList<T extends PreviewPhoto = PreviewPhoto> {
  readonly length: number;
  at(i: number): T | undefined;
  /** The photo at i when it is not at hand yet (a library page not fetched); undefined if it cannot be had. */
  load?(i: number): Promise<T | undefined>;
  /** Brings photo i into view behind the preview, so closing it leaves the person where they got to. */
  follow?(i: number): void;
}

export interface PreviewState {
  photo: PreviewPhoto;
  /** What the preview shows: the photo's URL, or an object URL for a file from outside the library. */
  src: string;
  list: PreviewList | null;
  index: number;
}

export const preview = shallowRef<PreviewState | null>(null);

/** What had the focus when the preview opened (a grid, a Compare), to give it back on close. */
let opener: HTMLElement | null = null;

/** Counts open/step calls, so a slow page fetch for an old step cannot overwrite a newer one. */
let seq = 0;

/** Opens the preview at `photo`, which is `list`'s photo at `index` (looked up by id when not given). */
export function openPreview(photo: PreviewPhoto, list: PreviewList | null = null, index?: number, src?: string): void {
  seq++;
  let i = index ?? -1;
  if (list && i < 0 && photo.id !== undefined) {
    for (let k = 0; k < list.length; k++) {
      if (list.at(k)?.id === photo.id) {
        i = k;
        break;
      }
    }
  }
  if (!preview.value) opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const url = src ?? (photo.path !== undefined ? api.fileUrl(photo.path) : '');
  preview.value = { photo, src: url, list: i >= 0 ? list : null, index: i };
  if (list && i >= 0) preload(list, i);
}

/** Closes the preview; answers the element that had the focus before it opened, if it is still there. */
export function closePreview(): HTMLElement | null {
  seq++;
  preview.value = null;
  const back = opener?.isConnected ? opener : null;
  opener = null;
  return back;
}

export function canStep(p: PreviewState | null, delta: number): boolean {
  if (!p?.list || p.index < 0) return false;
  const j = p.index + delta;
  return j >= 0 && j < p.list.length;
}

/** Moves to the next (+1) or previous (-1) photo of the list; a photo not fetched yet is fetched first. */
export async function stepPreview(delta: number): Promise<void> {
  const p = preview.value;
  if (!p?.list || !canStep(p, delta)) return;
  const j = p.index + delta;
  const mine = ++seq;
  p.list.follow?.(j);
  const next = p.list.at(j) ?? (await p.list.load?.(j));
  if (mine !== seq || preview.value?.list !== p.list || !next?.path) return;
  preview.value = { photo: next, src: api.fileUrl(next.path), list: p.list, index: j };
  preload(p.list, j);
}

// The photos either side start loading while this one is looked at, so a step shows at once.
const warm: HTMLImageElement[] = [];
function preload(list: PreviewList, i: number): void {
  warm.length = 0;
  for (const j of [i + 1, i - 1]) {
    const it = j >= 0 && j < list.length ? list.at(j) : undefined;
    if (!it?.path) continue;
    const img = new Image();
    img.decoding = 'async';
    img.src = api.fileUrl(it.path);
    warm.push(img);
  }
}

/**
 * A list read page by page (the library): `at` answers what is loaded; for a photo not loaded yet
 * `reveal(i)` makes the grid draw, and so fetch, it, and the page is waited for.
 */
export function pagedList<T extends PreviewPhoto>(opts: { length: () => number; at: (i: number) => T | undefined; reveal: (i: number) => void }): PreviewList<T> {
  return {
    get length() {
      return opts.length();
    },
    at: opts.at,
    follow: opts.reveal,
    async load(i) {
      opts.reveal(i);
      // A page answers well within a second; polled, so the list needs no event of its own.
      const until = Date.now() + 15_000;
      while (Date.now() < until) {
        const it = opts.at(i);
        if (it) return it;
        await new Promise((r) => setTimeout(r, 50));
      }
      return opts.at(i);
    },
  };
}
