// A query index loaded from its file (persisted-index.ts) before its two largest arrays are read:
// the postings (`docs`, each word's list) and the forward index (`fwd`, each photo's row), 1.8 GB
// of the 1.9 GB at 1,000,000 photos. Read whole, they held the first "find similar" after opening
// for the time the disk takes to deliver them (2 s with the file out of the page cache). A query
// reads only its own words' lists and its candidates' rows (about 15 MB and 500 rows), so, as a
// search engine opening a segment reads what a query touches by position, this reads those first
// and answers; a worker thread then reads the whole file into the same buffer and checks its
// checksums (persisted-check.ts), and from then on nothing is read on demand.
//
// Which rows a query needs is known only after stage 1 (impact-index.ts) has picked its candidates.
// The index's public search tells that without reading any row: a probe index over the same arrays
// whose rows are empty runs the same stage 1 (same lists, skip and options, so the same candidates)
// and returns all of them, unscored, when asked for as many results as it has candidates. Their
// rows are then read and the real index answers, stage 1 again and stage 2 from real rows.
// What this relies on, as impact-index.ts documents it: stage 1 reads only the query's words'
// lists, stage 2 only the candidates' rows; the unit test compares every answer with the whole
// file's (test/unit/search/persisted-index.test.ts).
//
// Bytes read here and by the worker are the same bytes of an unchanging file (a new index is a new
// file, persisted-index.ts), so both writing the same place of the buffer changes nothing a reader
// sees. Until the worker's check has passed, answers come from bytes not checked yet, as with the
// arrays checked after the first answer before; a failed check drops the index (persisted-snapshot.ts).
import fs from 'node:fs';
import { ImpactIndex, DEFAULT_BUDGET, DEFAULT_CANDIDATES, type ImpactSearchOptions } from './impact-index.js';
import { countPostings, decodeDoc } from './impact-forward.js';
import type { ByPosition, QueryIndexArrays } from './persisted-index.js';
import type { Bag } from '../common/types.js';

/** What a query starts from: a bag (search) or an indexed document's row (searchDoc). */
export type QueryNeed = { bag: Bag } | { doc: number };

/** Ranges closer than this are read as one (the gap is read too: one request instead of two). */
const MERGE_GAP = 4096;

export class PartialLoad {
  /** The probe: the same arrays with every row empty but, for searchDoc, the query's own. */
  private probe?: { index: ImpactIndex; offsets: Float64Array; row: Uint8Array };
  private readonly buffer: ArrayBufferLike;
  /** What was read on demand, for the stats: reads, bytes, ms. */
  readonly stats = { queries: 0, reads: 0, bytes: 0, ms: 0 };

  constructor(
    private readonly by: ByPosition,
    private readonly parts: QueryIndexArrays,
  ) {
    this.buffer = parts.ids.buffer;
  }

  /** Whether the whole file is read (nothing more is read on demand). */
  get complete(): boolean {
    return this.by.job.complete;
  }

  /** Lets the worker's read of the whole file begin (after the first answer's own reads: they do not queue behind it). */
  begin(): void {
    this.by.job.begin();
  }

  /**
   * Reads what `index.search(need.bag, opts)` or `index.searchDoc(need.doc, opts)` reads and is not
   * in memory yet. False: the file could not be read (the job's state says so), the index must not
   * answer.
   */
  readyFor(need: QueryNeed, opts: ImpactSearchOptions): boolean {
    const job = this.by.job;
    if (job.complete) return true;
    if (job.failed) return false;
    const t = performance.now();
    this.stats.queries++;
    try {
      // The exhaustive scan reads every row: wait for the whole file.
      if ((opts.budget ?? DEFAULT_BUDGET) >= 1) return this.waitAll();
      const { fwd, fwdOffsets } = this.parts;
      let slots: ArrayLike<number>;
      if ('doc' in need) {
        this.readRows([need.doc]);
        slots = new Int32Array(countPostings(fwd, fwdOffsets[need.doc], fwdOffsets[need.doc + 1]));
        decodeDoc(fwd, fwdOffsets[need.doc], fwdOffsets[need.doc + 1], slots as Int32Array, new Uint8Array(slots.length));
      } else {
        const probe = this.probeIndex().index;
        slots = Array.from(need.bag.terms, (term) => probe.slotOf(term)).filter((s) => s >= 0);
      }
      this.readLists(slots);
      if (this.by.unread.has('fwd')) this.readRows(this.candidates(need, opts));
      return true;
    } catch {
      job.fail();
      return false;
    } finally {
      this.stats.ms += performance.now() - t;
    }
  }

  /** Reads the rows of documents `docs` (cosines between indexed photos); false: the file could not be read. */
  readyRows(docs: number[]): boolean {
    const job = this.by.job;
    if (job.complete) return true;
    if (job.failed) return false;
    try {
      this.readRows(docs);
      return true;
    } catch {
      job.fail();
      return false;
    }
  }

  /** Reads the rest on this thread beside the worker and waits for the whole file; false: it could not be read. */
  waitAll(): boolean {
    const why = this.by.job.waitRead();
    if (why) this.by.job.fail();
    return !why;
  }

  /** The documents stage 2 re-scores for this query: all results of the probe, whose rows are empty. */
  private candidates(need: QueryNeed, opts: ImpactSearchOptions): number[] {
    const R = Math.max(opts.k, opts.candidates ?? DEFAULT_CANDIDATES);
    const probe = this.probeIndex();
    if (!('doc' in need)) return probe.index.search(need.bag, { ...opts, k: R }).map((r) => r.index);
    const d = need.doc;
    const { fwd, fwdOffsets } = this.parts;
    const len = fwdOffsets[d + 1] - fwdOffsets[d];
    if (len > probe.row.length) this.probe = undefined; // a longer row than any: a probe with room for it
    const p = this.probeIndex(len);
    p.row.set(fwd.subarray(fwdOffsets[d], fwdOffsets[d + 1]));
    p.offsets.fill(len, d + 1);
    try {
      return [d, ...p.index.searchDoc(d, { ...opts, k: R }).map((r) => r.index)];
    } finally {
      p.offsets.fill(0, d + 1);
    }
  }

  private probeIndex(room = 0): NonNullable<PartialLoad['probe']> {
    if (!this.probe) {
      const offsets = new Float64Array(this.parts.fwdOffsets.length);
      const row = new Uint8Array(Math.max(room, 1 << 16));
      this.probe = { index: ImpactIndex.fromParts({ ...this.parts, fwdOffsets: offsets, fwd: row }), offsets, row };
    }
    return this.probe;
  }

  /** The inverted lists of word slots `slots`, if the postings are read by position. */
  private readLists(slots: ArrayLike<number>): void {
    if (!this.by.unread.has('docs')) return;
    const { docs, segOffsets, segStart } = this.parts;
    const ranges: [number, number][] = [];
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      ranges.push([docs.byteOffset + segStart[segOffsets[s]] * 4, docs.byteOffset + segStart[segOffsets[s + 1]] * 4]);
    }
    this.read(ranges);
  }

  private readRows(rows: ArrayLike<number>): void {
    if (!this.by.unread.has('fwd')) return;
    const { fwd, fwdOffsets } = this.parts;
    const ranges: [number, number][] = [];
    for (let i = 0; i < rows.length; i++) ranges.push([fwd.byteOffset + fwdOffsets[rows[i]], fwd.byteOffset + fwdOffsets[rows[i] + 1]]);
    this.read(ranges);
  }

  /** Reads buffer ranges [from, to) not read yet from the file, in position order, near ones as one. */
  private read(ranges: [number, number][]): void {
    const { fd, start, job } = this.by;
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [from, to] of ranges) {
      if (to <= from || job.has(from, to)) continue;
      const last = merged[merged.length - 1];
      if (last && from - last[1] <= MERGE_GAP) last[1] = Math.max(last[1], to);
      else merged.push([from, to]);
    }
    for (const [from, to] of merged) {
      for (let at = from; at < to;) {
        const got = fs.readSync(fd, new Uint8Array(this.buffer, at, to - at), 0, to - at, start + at);
        if (got === 0) throw new Error('the file ends in the middle of its data');
        at += got;
      }
      this.stats.reads++;
      this.stats.bytes += to - from;
    }
  }
}
