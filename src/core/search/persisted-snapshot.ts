// The live index's snapshot kept beside its SQLite file (`<db>.qidx`, persisted-index.ts), so that
// opening a library does not rebuild the query index from every stored bag (docs/EVAL.md#cold-start).
//
// When a file may stand in for a build: it was made with the store's fingerprint (same model,
// codebook and word settings), and every photo the store holds from before the file's `since` is
// one the file holds. Photos stored at or after `since` are the live index's delta and photos
// removed are left out by count, as for a snapshot built in this session (live-index.ts), so a
// file that passes these checks answers exactly like a rebuild. The check is one SQL aggregate
// (IndexStore.indexedDigest) when nothing older than the file changed, else a walk of the ids.
// A file that fails any check is left alone, logged, rebuilt and written again. Its largest arrays
// (the postings) may be checked after it answers (persisted-check.ts): the live index then drops
// it, before any later answer, if their checksum fails.
import fs from 'node:fs';
import path from 'node:path';
import { ImpactIndex } from './impact-index.js';
import { readQueryIndex, writeQueryIndex, type QueryIndexStamp } from './persisted-index.js';
import { checkLater, type LaterCheck } from './persisted-check.js';
import { PartialLoad, type QueryNeed } from './persisted-partial.js';
import type { ImpactSearchOptions } from './impact-index.js';
import type { IndexStore } from '../index/store.js';

export interface LoadedSnapshot {
  index: ImpactIndex;
  since: number;
  bytes: number;
  ms: number;
}

/** Arrays above this many bytes are checked after the first answer (the postings, at scale). */
export const CHECK_LATER_ABOVE = 32 * 2 ** 20;

export class PersistedSnapshot {
  private writing: Promise<void> = Promise.resolve();
  private lastLater?: Promise<{ state: string; ms: number }>;
  /**
   * The last loaded index while its file's check after use is under way or failed, and while its
   * postings and rows are still being read (`partial`: what a query needs is read first).
   */
  private check?: { index: ImpactIndex; later: LaterCheck; logged: boolean; partial?: PartialLoad };
  /** A loaded index given up before its file was all read: it must never answer. */
  private abandoned?: ImpactIndex;
  /** What happened so far (tests, benchmarks). */
  readonly stats = {
    loads: 0,
    rejected: 0,
    writes: 0,
    lastWriteMs: 0,
    lastWriteBytes: 0,
    lastLoadMs: 0,
    /** Of the last load: the file's read, the checksums before use, the store's checks (ms), the bytes left to check after. */
    lastReadMs: 0,
    lastCheckMs: 0,
    lastStoreCheckMs: 0,
    lastLaterBytes: 0,
    /** Of the last load: arrays read by position for the queries before the whole file was in (persisted-partial.ts). */
    lastByPosition: { queries: 0, reads: 0, bytes: 0, ms: 0 },
    /** Files found damaged by the check after use, and how long the last such check took (ms, from its start). */
    damagedLater: 0,
    lastLaterCheckMs: 0,
  };

  /** `checkLaterAbove`: arrays above this many bytes are checked after the first answer (Infinity: all before). */
  constructor(
    readonly file: string,
    private readonly store: IndexStore,
    private readonly log?: (msg: string) => void,
    private readonly checkLaterAbove = CHECK_LATER_ABOVE,
  ) {}

  /** The snapshot in the file when it is in step with the store, else undefined (and why, logged). */
  load(): LoadedSnapshot | undefined {
    const t = performance.now();
    // The store's checks need only the file's stamp: they run while a worker reads the arrays.
    let inStep: string | undefined | 'walk' = 'not yet';
    const meanwhile = (stamp: QueryIndexStamp) => {
      const s = performance.now();
      inStep = this.beforeRead(stamp);
      this.stats.lastStoreCheckMs = performance.now() - s;
      return inStep === 'walk' ? undefined : inStep;
    };
    const r = readQueryIndex(this.file, { checkLaterAbove: this.checkLaterAbove, meanwhile, byPosition: true });
    if (!r.ok) {
      if (r.reason !== 'missing') this.reject(r.reason);
      return undefined;
    }
    if (inStep === 'not yet') meanwhile(r.stamp);
    const s = performance.now();
    const why = inStep === 'walk' ? this.walk(r.stamp, r.parts.ids, r.parts.indexedAt) : inStep;
    this.stats.lastStoreCheckMs += performance.now() - s;
    if (why) {
      r.later?.stop();
      this.reject(why);
      return undefined;
    }
    const index = ImpactIndex.fromParts(r.parts);
    this.stopCheck();
    if (r.unchecked) {
      const later = r.later ?? checkLater(r.unchecked);
      const partial = r.byPosition ? new PartialLoad(r.byPosition, r.parts) : undefined;
      this.stats.lastByPosition = partial ? partial.stats : { queries: 0, reads: 0, bytes: 0, ms: 0 };
      this.check = { index, later, logged: false, partial };
      this.lastLater = later.done.then((v) => {
        this.stats.lastLaterCheckMs = v.ms;
        return v;
      });
    } else this.lastLater = undefined;
    const ms = performance.now() - t;
    Object.assign(this.stats, { loads: this.stats.loads + 1, lastLoadMs: ms, lastReadMs: r.readMs, lastCheckMs: r.checkMs });
    this.stats.lastLaterBytes = r.unchecked ? r.unchecked.arrays.reduce((n, a) => n + a.bytes, 0) : 0;
    return { index, since: r.stamp.since, bytes: r.bytes, ms };
  }

  /**
   * Whether `index` is the last index loaded and the check of its file after use failed (logged
   * once): the caller must not answer from it. Cheap (a read of shared memory): call it around
   * every answer. A check that passed, or of an index no longer used, is let go.
   */
  failedAfterLoad(index: ImpactIndex | undefined): boolean {
    if (index !== undefined && index === this.abandoned) return true;
    const c = this.check;
    if (!c) return false;
    const state = c.later.state;
    if (index !== c.index || state === 'ok') this.stopCheck();
    if (index !== c.index || state === 'checking' || state === 'ok') return false;
    if (!c.logged) {
      c.logged = true;
      this.stats.damagedLater++;
      this.reject(`${state}, found after it was loaded`);
    }
    return true;
  }

  /**
   * Finishes the read and the check after use on this thread, if under way for `index` (the
   * snapshot in use; another's is stopped); true if `index` had one (then ask failedAfterLoad for
   * the verdict: it may have come just before).
   */
  checkNow(index: ImpactIndex | undefined): boolean {
    if (this.check && this.check.index !== index) this.stopCheck(); // given up: not worth reading to the end
    if (!this.check) return false;
    if (this.check.later.state === 'checking') this.check.later.now();
    return true;
  }

  /**
   * Makes sure what `index.search` (need.bag) or `index.searchDoc` (need.doc) with `opts` reads is
   * in memory, when `index` is the last loaded one and its file is still being read. False: it
   * cannot answer (the file could not be read, or was given up): failedAfterLoad(index) is true.
   */
  readyFor(index: ImpactIndex, need: QueryNeed, opts: ImpactSearchOptions): boolean {
    const c = this.check;
    if (index === this.abandoned) return false;
    if (!c?.partial || c.index !== index) return true;
    if (c.partial.complete) c.partial = undefined;
    const ok = c.partial?.readyFor(need, opts) ?? true;
    c.partial?.begin();
    return ok;
  }

  /** readyFor for the rows of documents `docs` (cosines between indexed photos). */
  readyRows(index: ImpactIndex, docs: number[]): boolean {
    const c = this.check;
    if (index === this.abandoned) return false;
    if (!c?.partial || c.index !== index) return true;
    const ok = c.partial.readyRows(docs);
    c.partial.begin();
    return ok;
  }

  /** Stops the check after use, if any (the index is closed or replaced). */
  stopCheck(): void {
    const c = this.check;
    if (c?.partial && !c.partial.complete) this.abandoned = c.index;
    c?.later.stop();
    this.check = undefined;
  }

  private reject(why: string): void {
    this.stats.rejected++;
    this.log?.(`The saved query index ${this.file} was not used (${why}); building it again from the index.`);
  }

  /** Why the file is out of step with the store, from its stamp alone; 'walk' when only its ids can tell. */
  private beforeRead(stamp: QueryIndexStamp): string | undefined | 'walk' {
    if (stamp.fingerprint !== this.store.fingerprint) return 'it was built with other settings';
    // A clock behind the file's build could stamp new photos before `since`, out of the delta.
    if (Date.now() < stamp.since) return 'the clock is behind the time it was built';
    const now = this.store.indexedDigest(stamp.since);
    const was = stamp.digest;
    return now.count === was.count && now.idSum === was.idSum && now.atSum === was.atSum ? undefined : 'walk';
  }

  private walk(stamp: QueryIndexStamp, ids: Float64Array, indexedAt: Float64Array): string | undefined {
    // Photos older than the file were re-indexed, failed or removed since (the delta and the
    // removal count cover those), or the store holds photos the file does not have as stored
    // (another library's file, a clock that went back): only the latter rules the file out.
    if (this.store.indexedDigest(stamp.since).count > ids.length) return 'the index holds more photos from before it than it does';
    let j = 0;
    for (const r of this.store.indexedSince(0)) {
      if (r.indexedAt >= stamp.since) continue;
      while (j < ids.length && ids[j] < r.id) j++;
      if (j >= ids.length || ids[j] !== r.id || indexedAt[j] !== r.indexedAt) return `photo ${r.id} of the index is not in it as stored`;
    }
    return undefined;
  }

  /**
   * Writes `index` (built from what the store held at `since`) in the background, after any
   * write still under way; the digest is taken now, while the store is as the build saw it.
   */
  save(index: ImpactIndex, since: number): void {
    const stamp: QueryIndexStamp = { fingerprint: this.store.fingerprint, since, digest: this.store.indexedDigest(since) };
    // Each photo's indexed_at as stored now: a photo older than `since` keeps it until it is
    // re-indexed (then it is newer than `since`) or removed.
    const ids = index.ids;
    const indexedAt = new Float64Array(ids.length).fill(-1);
    let j = 0;
    for (const r of this.store.indexedSince(0)) {
      while (j < ids.length && ids[j] < r.id) j++;
      if (j < ids.length && ids[j] === r.id) indexedAt[j] = r.indexedAt;
    }
    const parts = { ...index.toParts(), indexedAt };
    this.writing = this.writing.then(async () => {
      const t = performance.now();
      try {
        removeOrphans(this.file);
        const bytes = await writeQueryIndex(this.file, parts, stamp);
        this.stats.writes++;
        this.stats.lastWriteMs = performance.now() - t;
        this.stats.lastWriteBytes = bytes;
      } catch (e) {
        this.log?.(`Could not save the query index to ${this.file} (${(e as Error).message}); the next start builds it again.`);
      }
    });
  }

  /** The verdict of the last load's check after use (undefined: everything was checked before use). */
  laterChecked(): Promise<{ state: string; ms: number } | undefined> {
    return this.lastLater ?? Promise.resolve(undefined);
  }

  /** Resolves when no write is under way. */
  flushed(): Promise<void> {
    return this.writing;
  }
}

/** Temporary files of writes whose process ended before the rename (a crash, a kill). */
function removeOrphans(file: string): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(`${base}.`) ? /^\.(\d+)\.[a-z0-9]+\.tmp$/.exec(name.slice(base.length)) : null;
    if (!m || alive(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
