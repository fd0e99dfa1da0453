// State every part of the window shares: the library folders and the indexing status. Both are
// replaced whole on each update (shallowRef), never mutated in place, so no deep proxies.
import { shallowRef, ref } from 'vue';
import type { BackendEvent, FolderInfo, IndexStatus } from '../../shared/api';
import { api, ApiError, errorMessage } from './api';

export const folders = shallowRef<FolderInfo[]>([]);
export const foldersLoaded = ref(false);
export const status = shallowRef<IndexStatus | null>(null);
/** Photos per second of the last run that measured one: an idle status reports 0, estimates need a real rate. */
export const knownRate = ref(0);
/** Problems that are not tied to one control: shown in the error banner until dismissed. */
export const banner = shallowRef<string | null>(null);

const libraryListeners = new Set<() => void>();
/** Runs after each change to the library (photos added or removed), for views that list photos. */
export function onLibraryChange(fn: () => void): () => void {
  libraryListeners.add(fn);
  return () => libraryListeners.delete(fn);
}

// The engine announces folder changes when a run starts and ends; while it runs, the status's
// photo count is what tells that the grid and the folder counts have more to show.
let growTimer: ReturnType<typeof setTimeout> | null = null;
function libraryGrew(): void {
  if (growTimer) return;
  growTimer = setTimeout(() => {
    growTimer = null;
    void refreshFolders();
  }, 1000);
}

function setStatus(s: IndexStatus): void {
  const before = status.value?.libraryPhotos;
  status.value = s;
  if (before !== undefined && before !== s.libraryPhotos) libraryGrew();
  if (s.imagesPerSecond > 0) knownRate.value = s.imagesPerSecond;
}

function setFolders(list: FolderInfo[]): void {
  folders.value = list;
  foldersLoaded.value = true;
  for (const fn of libraryListeners) fn();
}

export function showError(err: unknown): void {
  // A refusal for want of a session is answered by the sign-in page, not a banner.
  if (err instanceof ApiError && err.code === 'unauthorized') return;
  banner.value = errorMessage(err);
}

export async function refreshFolders(): Promise<void> {
  try {
    setFolders(await api.listFolders());
  } catch (err) {
    showError(err);
  }
}

export async function refreshStatus(): Promise<void> {
  try {
    setStatus(await api.status());
  } catch (err) {
    showError(err);
  }
}

let started = false;
/**
 * Subscribes to the engine's pushes (once per window) and loads the state; called again when
 * the library shows again after signing in, it loads what changed meanwhile.
 */
export function startStore(): void {
  if (started) {
    void refreshFolders();
    void refreshStatus();
    return;
  }
  started = true;
  api.onEvent((e: BackendEvent) => {
    if (e.type === 'status') setStatus(e.status);
    else if (e.type === 'library') setFolders(e.folders);
  });
  void refreshFolders();
  void refreshStatus();
}
