// Duplicates and the person's decisions about them, for every way in: the app's view and report
// export (through Library) and `photowords duplicates`, `decide` and `decisions` (over a store the
// CLI opened without the model). One service, so the two cannot drift: the same search, the same
// report files, the same decision records, and a decision always drops the search it changes.
import { DEFAULT_SETTINGS, kgramSettings, mergeSettings, storedSettings, type EngineSettings } from '../common/settings.js';
import { findDuplicates, type DuplicateOptions, type DuplicateReport } from '../duplicates/find.js';
import { reportCsv, reportHtml, reportJson } from '../duplicates/report.js';
import { explainStored } from '../search/explain.js';
import { LiveIndex } from '../search/live-index.js';
import type { IndexStore } from '../index/store.js';
import { DecisionService } from './decisions.js';
import type { PairExplanation, ReportFormat } from '../../shared/api.js';

/** One open index as the duplicates service reads it. */
export interface DuplicateSource {
  /** The index as it is now (the app's is replaced when a settings change reopens it). */
  store(): IndexStore;
  /** Waits for such a reopen in progress. */
  ready(): Promise<void>;
  /** The query path the search uses; without one the finder builds its own for the search. */
  live?(): LiveIndex;
  /** Brings the queries up to date with what a run indexed since (the app while indexing). */
  fresh?(): void;
  /** Explanations of a pair, for the HTML report's overlays (no word list). */
  explainer(): { explain: (a: number, b: number) => PairExplanation; close(): void };
}

/** What the report file is made of; `explain` overlays where near copies' shared words lie. */
export interface ReportFileOptions {
  title: string;
  onProgress?: (done: number, total: number) => void;
}

type Search = { store: IndexStore; changes: number; key: string };

/**
 * A store opened without the model (the CLI): explanations build the query snapshot on the first
 * pair asked, so a report without near copies never builds it.
 */
export function storeSource(store: IndexStore): DuplicateSource {
  return {
    store: () => store,
    ready: async () => undefined,
    explainer: () => {
      let live: LiveIndex | undefined;
      const settings = kgramSettings(mergeSettings(DEFAULT_SETTINGS, storedSettings(store.settings as Partial<EngineSettings> | undefined)));
      return {
        explain: (a, b) => {
          live ??= new LiveIndex(store, { background: false });
          return explainStored(store, live.snapshot(), settings, a, b, { top: 0 });
        },
        close: () => live?.close(),
      };
    },
  };
}

export class DuplicatesService {
  /** The last search, and the one running; `key` names its options and the decisions it saw. */
  private cache?: Search & { report: DuplicateReport };
  private running?: Search & { promise: Promise<DuplicateReport> };
  /** Bumped by every decision made or undone: the store's change count does not see them. */
  private decisionsVersion = 0;
  readonly decisions: DecisionService;

  constructor(private readonly src: DuplicateSource) {
    this.decisions = new DecisionService(
      () => src.store(),
      () => this.decisionsChanged(),
    );
  }

  /**
   * The groups at these settings. A search looks at every photo's neighbours (seconds for a few
   * thousand photos), so the view, a report export right after it and a second window share one
   * answer while neither the index nor the person's decisions have changed since.
   */
  async report(o: Omit<DuplicateOptions, 'onProgress'>, onProgress?: DuplicateOptions['onProgress']): Promise<DuplicateReport> {
    await this.src.ready();
    const store = this.src.store();
    const key = `${JSON.stringify(o)}|${this.decisionsVersion}`;
    const cached = this.cache;
    if (cached && cached.store === store && cached.changes === store.changeCount && cached.key === key) return cached.report;
    const running = this.running;
    if (running && running.store === store && running.changes === store.changeCount && running.key === key) return running.promise;
    this.src.fresh?.();
    // Counted before the search: a photo indexed while it runs makes the next ask search again.
    const changes = store.changeCount;
    const live = this.src.live?.();
    const promise = findDuplicates(store, { ...o, ...(live ? { live } : {}), onProgress })
      .then((report) => {
        this.cache = { store, changes, key, report };
        return report;
      })
      .finally(() => {
        if (this.running?.promise === promise) this.running = undefined;
      });
    this.running = { store, changes, key, promise };
    return promise;
  }

  /** A report as a file to save: self-contained HTML (thumbnails embedded), CSV or JSON. */
  async reportFile(format: ReportFormat, report: DuplicateReport, o: ReportFileOptions): Promise<string> {
    if (format === 'csv') return reportCsv(report);
    if (format === 'json') return reportJson(report);
    const overlays = this.src.explainer();
    try {
      return await reportHtml(report, { title: o.title, onProgress: o.onProgress, explain: overlays.explain });
    } finally {
      overlays.close();
    }
  }

  /**
   * A photo leaves the index (trashed): `remove` forgets it. The shown groups stay valid without
   * the photo, unless it was a group's suggested keeper, so the last search is kept, less it.
   */
  photoRemoved(id: number, remove: () => void): void {
    const store = this.src.store();
    const cached = this.cache;
    const current = cached !== undefined && cached.store === store && cached.changes === store.changeCount;
    remove();
    if (!current || !cached) return;
    const groups = cached.report.groups;
    const hit = groups.find((g) => g.members.some((m) => m.id === id));
    if (hit?.keeper === id) {
      this.cache = undefined;
      return;
    }
    if (hit) {
      hit.members = hit.members.filter((m) => m.id !== id);
      if (hit.members.length < 2) groups.splice(groups.indexOf(hit), 1);
    }
    cached.report.photos--;
    cached.changes = store.changeCount;
  }

  /** Decisions change what a search answers without changing the index: the cached search goes. */
  private decisionsChanged(): void {
    this.decisionsVersion++;
    this.cache = undefined;
  }
}
