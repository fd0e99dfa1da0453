// The 'tfidf' query path of a library that keeps changing: a built ImpactIndex (the snapshot) plus
// a delta scored exactly, so that no query waits for a full rebuild.
//
// Building an ImpactIndex takes seconds at tens of thousands of photos (docs/EVAL.md, "A library
// that changes"), and any change to the library (one photo from the watcher) used to throw it away,
// so the next "Find similar" rebuilt it on the main thread. Here:
// - The delta is every photo stored (images.indexed_at) since the snapshot's build started, read
//   with one query when the store changed (IndexStore.changeCount, or changed() for changes made
//   elsewhere). Each delta photo is scored exactly against the query with the snapshot's idf and
//   the same tf codes and cosine as the snapshot's exact stage, then merged with the snapshot's
//   top k. A word the snapshot never saw gets idf(df = 0, N), the weight ImpactIndex already gives
//   unseen query words, on both sides: a new photo is then exactly similar (1) to itself.
// - Photos removed, failed or re-indexed since the snapshot are left out of its results (search's
//   `skip`): re-indexed ones are in the delta by their indexed_at; removed ones are found by count
//   (snapshot N + new photos - indexed now) and, only when that says some are gone, by comparing
//   the snapshot's ids with the indexed ids.
// - When the delta (plus removals) passes max(2,000, 5% of N), a worker thread (impact-worker.ts)
//   builds a new snapshot from its own read-only connection and posts the typed arrays back; it is
//   swapped in when it arrives and the delta shrinks to what changed after that build started.
//   Queries meanwhile answer from the old snapshot plus the (larger) delta.
// - The very first snapshot of a session is read from the file beside the store when that file is
//   in step with it (persisted-snapshot.ts; until all of it is read, a query first reads its own
//   part of it, persisted-partial.ts), else built on the calling thread, once; if a worker
//   fails, the rebuild happens there too, with a log line. Every snapshot built is written to that
//   file in the background, so the next session starts from it.
import { ImpactIndex, storedTf, type ImpactSearchOptions } from './impact-index.js';
import { buildInWorker } from './impact-worker.js';
import { PersistedSnapshot } from './persisted-snapshot.js';
import type { IndexStore } from '../index/store.js';
import type { Bag, ScoredImage } from '../common/types.js';

export { setImpactThread } from './impact-worker.js';

export interface LiveIndexOptions {
  /** Rebuild in a worker thread (default: when the store is a file; ':memory:' cannot be shared). */
  background?: boolean;
  /** Rebuild once the delta passes max(rebuildMin, rebuildShare * N) photos (defaults 2,000 and 0.05). */
  rebuildMin?: number;
  rebuildShare?: number;
  /**
   * Where the snapshot is kept between sessions: a path, or false for nowhere. Default: the store's
   * path + '.qidx' when the store is a file.
   */
  persist?: string | false;
  /** Arrays of that file above this many bytes are checked after its first answer (persisted-snapshot.ts). */
  checkLaterAbove?: number;
  log?: (msg: string) => void;
}

/** A photo stored since the snapshot, weighed with the snapshot's idf. */
interface DeltaDoc {
  id: number;
  indexedAt: number;
  /** Snapshot slots of its words the snapshot knows, and their weights. */
  slots: Int32Array;
  sw: Float32Array;
  /** Words the snapshot never saw (ascending), and their weights. */
  unseen: Uint32Array;
  uw: Float32Array;
  invNorm: number;
}

export class LiveIndex {
  private snap?: ImpactIndex;
  /** Photos stored at or after this (ms) are the delta. */
  private since = 0;
  /** store.changeCount the delta was computed at, and whether changed() was called since. */
  private seen = -1;
  private stale = true;
  private delta: DeltaDoc[] = [];
  private skip: Int32Array = new Int32Array(0);
  private removed = 0;
  private building?: { done: Promise<void>; stop: () => void };
  private workerFailed = false;
  private force = false;
  private qdense = new Float32Array(0);
  private closed = false;
  private readonly background: boolean;
  /** The snapshot's file between sessions, if any (its own stats say what was read and written). */
  readonly persisted?: PersistedSnapshot;
  private loadTried = false;
  /** What happened so far (tests, benchmarks, logs). */
  readonly stats = { foregroundBuilds: 0, backgroundBuilds: 0, lastBuildMs: 0, deltaRefreshes: 0 };

  constructor(
    private readonly store: IndexStore,
    private readonly opts: LiveIndexOptions = {},
  ) {
    const onDisk = store.path !== ':memory:' && store.path !== '';
    this.background = opts.background ?? onDisk;
    const file = opts.persist ?? (onDisk ? `${store.path}.qidx` : false);
    if (file) this.persisted = new PersistedSnapshot(file, store, opts.log, opts.checkLaterAbove);
  }

  /** The store may have changed (also from another process): look again before the next query. */
  changed(): void {
    this.stale = true;
  }

  /** The current snapshot (built on first use), its file's check finished: callers may hold it long. */
  snapshot(): ImpactIndex {
    this.ensure();
    if (this.persisted?.checkNow(this.snap)) this.ensure();
    return this.snap!;
  }

  /** Photos the snapshot does not cover yet, and snapshot photos left out; after the last query. */
  get deltaSize(): { added: number; removed: number } {
    return { added: this.delta.length, removed: this.removed };
  }

  /** Whether a background rebuild is under way. */
  get rebuilding(): boolean {
    return this.building !== undefined;
  }

  /** Resolves when no background rebuild nor write of the snapshot's file is under way. */
  async settled(): Promise<void> {
    while (this.building) await this.building.done;
    await this.persisted?.flushed();
  }

  /** The k photos most similar to `query`, best first, with exact TF-IDF cosines. */
  search(query: Bag, k: number, opts: Pick<ImpactSearchOptions, 'budget' | 'candidates'> = {}): ScoredImage[] {
    this.ensure();
    const snap = this.snap!;
    // A snapshot still being read from its file reads this query's part first (false: it cannot answer).
    if (this.persisted && !this.persisted.readyFor(snap, { bag: query }, { ...opts, k, skip: this.skip })) return this.search(query, k, opts);
    const out: ScoredImage[] = snap.search(query, { ...opts, k, skip: this.skip }).map((r) => ({ id: snap.ids[r.index], score: r.score }));
    if (this.delta.length > 0) {
      const delta = this.scoreDelta(query);
      if (delta.length > 0) {
        out.push(...delta);
        out.sort((a, b) => b.score - a.score || a.id - b.id);
      }
    }
    // The file's check failed while this query ran: answer again, from a good index.
    if (this.persisted?.failedAfterLoad(snap)) return this.search(query, k, opts);
    this.maybeRebuild();
    return out.slice(0, k);
  }

  /**
   * The k photos most similar to indexed photo `id`: from the snapshot's forward index when the
   * photo is in it unchanged and nothing was added since, else through search() with its bag.
   */
  searchById(id: number, k: number, bag: () => Bag | undefined, opts: Pick<ImpactSearchOptions, 'budget' | 'candidates'> = {}): ScoredImage[] {
    this.ensure();
    const snap = this.snap!;
    const i = this.snapIndex(id);
    // A file that cannot be read (readyFor false) is found by search(), which builds again.
    if (i >= 0 && this.delta.length === 0 && !this.skip.includes(i) && this.persisted?.readyFor(snap, { doc: i }, { ...opts, k, skip: this.skip }) !== false) {
      const out = snap.searchDoc(i, { ...opts, k, skip: this.skip }).map((r) => ({ id: snap.ids[r.index], score: r.score }));
      if (this.persisted?.failedAfterLoad(snap)) return this.searchById(id, k, bag, opts);
      this.maybeRebuild();
      return out;
    }
    const b = bag();
    return b ? this.search(b, k, opts) : [];
  }

  /**
   * Stops a background rebuild; later queries build on the calling thread. The promise resolves
   * when the snapshot's file, if one is being written, is complete.
   */
  close(): Promise<void> {
    this.closed = true;
    this.persisted?.stopCheck();
    this.building?.stop();
    this.building = undefined;
    return this.persisted?.flushed() ?? Promise.resolve();
  }

  private ensure(): void {
    // A loaded file whose check after use failed answers nothing more: built again (and written) here.
    if (this.persisted?.failedAfterLoad(this.snap)) this.snap = undefined;
    if (!this.snap) this.buildHere();
    if (Date.now() < this.since) this.force = true; // the clock went back: rebuild (maybeRebuild)
    if (this.stale || this.seen !== this.store.changeCount) this.refreshDelta();
  }

  private threshold(): number {
    return Math.max(this.opts.rebuildMin ?? 2000, (this.opts.rebuildShare ?? 0.05) * (this.snap?.n ?? 0));
  }

  private maybeRebuild(): void {
    if (this.building || (!this.force && this.delta.length + this.removed <= this.threshold())) return;
    this.force = false;
    if (!this.background || this.workerFailed || this.closed) {
      this.buildHere();
      this.refreshDelta();
      return;
    }
    const start = Date.now();
    const job = buildInWorker(this.store.path);
    const building: { done: Promise<void>; stop: () => void } = { done: Promise.resolve(), stop: job.stop };
    building.done = job.done
      .then(
        ({ index, ms }) => {
          if (this.building !== building) return; // closed meanwhile
          this.stats.backgroundBuilds++;
          this.stats.lastBuildMs = ms;
          this.swap(index, start);
          this.persisted?.save(index, start);
        },
        (e: Error) => {
          if (this.building !== building) return;
          this.workerFailed = true;
          this.opts.log?.(`Building the query index in a worker thread failed (${e.message}); building it on the main thread from now on.`);
        },
      )
      .finally(() => {
        if (this.building === building) this.building = undefined;
      });
    this.building = building;
  }

  private buildHere(): void {
    if (!this.snap && !this.loadTried && this.loadSaved()) return;
    const start = Date.now();
    const t = performance.now();
    const index = ImpactIndex.build(() => this.store.iterBags());
    this.stats.foregroundBuilds++;
    this.stats.lastBuildMs = performance.now() - t;
    this.swap(index, start);
    this.persisted?.save(index, start);
  }

  /**
   * The session's first snapshot from its file; false when there is none in step with the store,
   * or when so much changed since that a rebuild is due anyway (the build then writes a new file).
   */
  private loadSaved(): boolean {
    this.loadTried = true;
    const got = this.persisted?.load();
    if (!got) return false;
    this.swap(got.index, got.since);
    this.refreshDelta();
    if (this.delta.length + this.removed <= this.threshold()) return true;
    this.snap = undefined; // its file's read and check are stopped at the next failedAfterLoad()
    this.opts.log?.(`The saved query index ${this.persisted!.file} is ${this.delta.length} photos added and ${this.removed} removed behind the index; building it again.`);
    return false;
  }

  private swap(index: ImpactIndex, start: number): void {
    this.snap = index;
    // Writes happen on this thread, so everything stored before `start` was committed when the
    // build began reading. A wall clock stepping back could hide a photo stored meanwhile until
    // the next rebuild (a margin here would cost every photo of the last moments a place in the
    // delta); a clock found behind `since` therefore asks for a rebuild (ensure, maybeRebuild).
    this.since = start;
    this.delta = []; // weighed with the old idf
    this.stale = true;
  }

  /**
   * Exact cosine of two photos from the snapshot's forward index when both are in it unchanged;
   * undefined when either was added, re-indexed or removed since (the caller reads the bags).
   */
  cosine(a: number, b: number): number | undefined {
    this.ensure();
    const i = this.snapIndex(a);
    const j = this.snapIndex(b);
    // A file that cannot be read (readyRows false): the caller reads the bags, the next query builds again.
    if (i < 0 || j < 0 || this.skip.includes(i) || this.skip.includes(j) || this.persisted?.readyRows(this.snap!, [i, j]) === false) return undefined;
    const c = this.snap!.cosineBetween(i, j);
    return this.persisted?.failedAfterLoad(this.snap) ? this.cosine(a, b) : c;
  }

  /** Index of a photo id in the snapshot (ids ascending), or -1. */
  private snapIndex(id: number): number {
    return this.snap!.indexOf(id);
  }

  private refreshDelta(): void {
    const snap = this.snap!;
    const store = this.store;
    this.seen = store.changeCount;
    this.stale = false;
    this.stats.deltaRefreshes++;
    const known = new Map(this.delta.map((d) => [d.id, d]));
    const delta: DeltaDoc[] = [];
    const skip: number[] = [];
    let fresh = 0;
    for (const r of store.indexedSince(this.since)) {
      let d = known.get(r.id);
      if (!d || d.indexedAt !== r.indexedAt) {
        const bag = store.getBag(r.id);
        if (!bag) continue;
        d = this.weighDoc(r.id, r.indexedAt, bag);
      }
      delta.push(d);
      const i = this.snapIndex(r.id);
      if (i >= 0) skip.push(i);
      else fresh++;
    }
    // Indexed now = snapshot photos still indexed + new ones; any shortfall was removed.
    let removed = snap.n - (store.countIndexed() - fresh);
    if (removed > 0) {
      const now = store.indexedIds();
      const ids = snap.ids;
      removed = 0;
      let j = 0;
      for (let i = 0; i < ids.length; i++) {
        while (j < now.length && now[j] < ids[i]) j++;
        if (j >= now.length || now[j] !== ids[i]) {
          skip.push(i);
          removed++;
        }
      }
    } else removed = 0;
    this.delta = delta;
    this.skip = Int32Array.from(skip);
    this.removed = removed;
  }

  private idfOf(term: number): number {
    const snap = this.snap!;
    const s = snap.slotOf(term);
    return s >= 0 ? snap.idf[s] : snap.unseenIdf;
  }

  /** The document side as the snapshot's exact stage has it: tf' (8-bit code) * idf, and 1/|d|. */
  private weighDoc(id: number, indexedAt: number, bag: Bag): DeltaDoc {
    const { terms, w } = this.weighBag(bag);
    const snap = this.snap!;
    let norm2 = 0;
    let seen = 0;
    for (let i = 0; i < w.length; i++) {
      norm2 += w[i] * w[i];
      if (snap.slotOf(terms[i]) >= 0) seen++;
    }
    const slots = new Int32Array(seen);
    const sw = new Float32Array(seen);
    const unseen = new Uint32Array(w.length - seen);
    const uw = new Float32Array(w.length - seen);
    for (let i = 0, a = 0, b = 0; i < w.length; i++) {
      const s = snap.slotOf(terms[i]);
      if (s >= 0) {
        slots[a] = s;
        sw[a++] = w[i];
      } else {
        unseen[b] = terms[i];
        uw[b++] = w[i];
      }
    }
    return { id, indexedAt, slots, sw, unseen, uw, invNorm: norm2 > 0 ? 1 / Math.sqrt(norm2) : 0 };
  }

  /** Terms with a count, ascending, and their weights. */
  private weighBag(bag: Bag): { terms: Uint32Array; w: Float32Array } {
    const n = bag.terms.length;
    let order: number[] | undefined;
    for (let i = 1; i < n; i++) {
      if (bag.terms[i] <= bag.terms[i - 1]) {
        order = Array.from({ length: n }, (_, j) => j).sort((a, b) => bag.terms[a] - bag.terms[b]);
        break;
      }
    }
    const terms = new Uint32Array(n);
    const w = new Float32Array(n);
    let m = 0;
    for (let j = 0; j < n; j++) {
      const i = order ? order[j] : j;
      const tf = bag.tfs[i];
      if (!(tf > 0)) continue;
      terms[m] = bag.terms[i];
      w[m++] = storedTf(tf) * this.idfOf(bag.terms[i]);
    }
    return { terms: terms.subarray(0, m), w: w.subarray(0, m) };
  }

  /** Exact cosines of the query with every delta photo (those above 0). */
  private scoreDelta(query: Bag): ScoredImage[] {
    const q = this.weighDoc(0, 0, query);
    if (!(q.invNorm > 0)) return [];
    // The query's weights by snapshot slot, so a delta photo's words are one lookup each.
    const T = this.snap!.terms.length;
    if (this.qdense.length !== T) this.qdense = new Float32Array(T);
    const qdense = this.qdense;
    for (let i = 0; i < q.slots.length; i++) qdense[q.slots[i]] = q.sw[i];
    const out: ScoredImage[] = [];
    try {
      for (const d of this.delta) {
        const { slots, sw } = d;
        let dot = 0;
        for (let i = 0; i < slots.length; i++) dot += qdense[slots[i]] * sw[i];
        // Words the snapshot never saw: a merge of two (short) sorted lists.
        const qt = q.unseen;
        const dt = d.unseen;
        for (let i = 0, j = 0; i < qt.length && j < dt.length;) {
          if (qt[i] === dt[j]) dot += q.uw[i++] * d.uw[j++];
          else if (qt[i] < dt[j]) i++;
          else j++;
        }
        if (dot > 0) out.push({ id: d.id, score: dot * q.invNorm * d.invNorm });
      }
    } finally {
      for (let i = 0; i < q.slots.length; i++) qdense[q.slots[i]] = 0;
    }
    return out;
  }
}
