// What the parts of the library share: the engine (a settings change reopens it, so parts never
// keep their own reference), the wait for such a reopen, the events to the windows, and each
// other. Library (library.ts) makes one and wires the parts to it; a part reaches another through
// it because the app's jobs call each other both ways (the run loop reads the folders, removing a
// folder stops the run).
import path from 'node:path';
import type { Engine } from './engine.js';
import type { WatcherOptions } from './watcher.js';
import type { FolderService } from './folders.js';
import type { Watching } from './watching.js';
import type { RunLoop } from './run-loop.js';
import type { Photos } from './photos.js';
import type { SearchService } from './search-service.js';
import type { DuplicatesApi } from './duplicates-api.js';
import type { Desktop } from './trash-service.js';
import type { ModelChangeTuning } from './model-change.js';
import type { BackendEvent, PhotoSummary, ProviderName } from '../../shared/api.js';

export interface LibraryOptions {
  provider?: ProviderName;
  log?: (m: string) => void;
  /** Where thumbnails are cached; default: a 'thumbnails' folder beside the database. */
  thumbsDir?: string;
  /** Start indexing the folders at once (default true). */
  autoIndex?: boolean;
  /**
   * Watch the library folders and index what changes in them (default: as autoIndex, so true for
   * serve, daemon and the app); off, the folders are reconciled only at open, on folder changes,
   * when a folder comes back online and on resume.
   */
  watch?: boolean;
  /** The watcher's batching (tests shorten it). */
  watcher?: Pick<WatcherOptions, 'debounceMs' | 'maxWaitMs' | 'stableMs'>;
  /** How often an offline folder's root is looked at (default 3,000 ms). */
  pollMs?: number;
  /** What holds the database lock, for the message a second process gets ('daemon', 'serve', 'app'). */
  lockKind?: string;
  /** Answer "find similar" from an OpenSearch/Elasticsearch export of this library (serve --engine URL). */
  remoteIndex?: { url: string; index?: string; statsFile?: string };
  /**
   * The system's trash and file manager, which belong to the shell: `photowords serve` passes
   * src/server/desktop.ts; Electron's main process trashes and reveals by itself and passes none.
   */
  desktop?: Desktop;
  /** How a change of model learns its codebook (model-change.ts; tests make it small). */
  modelTuning?: Partial<ModelChangeTuning>;
}

export class LibraryContext {
  /** Settings changes reopen the engine; every call waits for a reopen in progress. */
  swapping: Promise<void> = Promise.resolve();
  closing = false;
  private readonly listeners = new Set<(e: BackendEvent) => void>();
  // The parts, set by Library's constructor before any is used.
  folders!: FolderService;
  watching!: Watching;
  run!: RunLoop;
  photos!: Photos;
  search!: SearchService;
  duplicates!: DuplicatesApi;

  constructor(
    public engine: Engine,
    readonly dbPath: string,
    readonly opts: LibraryOptions,
  ) {}

  onEvent(listener: (e: BackendEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: BackendEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A broken window must not stop indexing or the other windows.
      }
    }
  }

  /** The folders and their counts, to every window. */
  emitFolders(): void {
    this.emit({ type: 'library', folders: this.folders.infos() });
  }

  clearListeners(): void {
    this.listeners.clear();
  }
}

export function summary(r: { id: number; path: string; width?: number | null; height?: number | null }): PhotoSummary {
  return { id: r.id, path: r.path, name: path.basename(r.path), width: r.width ?? null, height: r.height ?? null };
}
