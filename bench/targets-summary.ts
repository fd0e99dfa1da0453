// The one-run bench's `issue21` object: each of issue 21's targets with the figure this run measured
// for it, whether it is met, and the load average while its part ran (docs/EVAL.md, "Issue 21's
// targets in one run"). It reads the parts' own JSON; a part that did not run, failed or is not
// written yet leaves its targets at `measured: null` with the reason, never a figure from elsewhere.
import type { PartName, PartRun } from './targets.js';

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

const SIZE_FIELDS = ['photos', 'images', 'files', 'size'];

/**
 * The entry for `size` in a part's result, wherever the part keeps it: under the key "1000000",
 * or as an object (in an array or a map) whose photos/images/files/size is the size; searched a
 * few levels deep, breadth first, so the part's own layout is not hard-coded here.
 */
export function atSize(x: unknown, size: number, depth = 4): Json | undefined {
  let level: unknown[] = [x];
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: unknown[] = [];
    for (const v of level) {
      if (Array.isArray(v)) next.push(...v);
      else if (isObj(v)) {
        if (SIZE_FIELDS.some((f) => v[f] === size)) return v;
        if (isObj(v[String(size)])) return v[String(size)] as Json;
        next.push(...Object.values(v));
      }
    }
    level = next;
  }
  return undefined;
}

/** The first of `fields` that is a number in `o` (a dotted path reaches into nested objects and arrays: `runs.0.seconds`). */
export function num(o: unknown, ...fields: string[]): number | undefined {
  for (const f of fields) {
    let v: unknown = o;
    for (const k of f.split('.')) v = isObj(v) ? v[k] : Array.isArray(v) ? v[Number(k)] : undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

export interface Target {
  target: string;
  part: PartName;
  measured: number | null;
  unit: string;
  met: boolean | null;
  /** Other figures the target asks for beside the headline one (memory for duplicates, the cold first query). */
  also?: Json;
  loadAvg?: PartRun['loadAvg'];
  why?: string;
}

interface Inputs {
  results: Partial<Record<PartName, unknown>>;
  runs: Partial<Record<PartName, PartRun>>;
}

function target(i: Inputs, part: PartName, name: string, unit: string, value: number | undefined, ok: (v: number) => boolean, also?: Json, notAtSize?: string): Target {
  const run = i.runs[part];
  const why = !run
    ? `part '${part}' did not run (--only)`
    : run.notAvailable
      ? `not available: ${run.notAvailable}`
      : run.error
        ? `part failed: ${run.error.split('\n')[0]}`
        : (notAtSize ?? 'figure not found in the part JSON');
  return {
    target: name,
    part,
    measured: value ?? null,
    unit,
    met: value === undefined ? null : ok(value),
    ...(also ? { also } : {}),
    ...(run ? { loadAvg: run.loadAvg } : {}),
    ...(value === undefined ? { why } : {}),
  };
}

/** Our words and the peer (hnswlib, the chosen library) at one size, as this run measured them. */
function beside(i: Inputs, size: number) {
  const ours = atSize((i.results.query as Json | undefined)?.synthetic, size);
  const peerAt = atSize((i.results.peer as Json | undefined)?.synthetic, size);
  const peer = isObj(peerAt?.hnswlib) ? peerAt.hnswlib : undefined;
  const fromCache = isObj(peer?.fromCache) ? peer.fromCache : undefined;
  return {
    ours: ours
      ? {
          p95Ms: num(ours, 'p95Ms'),
          medianMs: num(ours, 'medianMs'),
          cpuMsPerQuery: num(ours, 'cpuMsPerQuery'),
          indexMemoryMB: num(ours, 'indexMemoryMB'),
          top10OverlapWithExhaustive: num(ours, 'top10OverlapWithExhaustive'),
          buildSeconds: num(ours, 'buildSeconds'),
        }
      : null,
    peer: peer
      ? {
          library: 'hnswlib',
          p95Ms: num(peer, 'p95Ms'),
          medianMs: num(peer, 'medianMs'),
          cpuMsPerQuery: num(peer, 'cpuMsPerQuery'),
          recallAt10: num(peer, 'recallAt10'),
          rssGrowthMB: num(peer, 'rssGrowthMB'),
          indexFileSizeMB: num(peer, 'indexFileSizeMB'),
          buildSeconds: num(peer, 'buildSeconds', 'fromCache.buildSeconds'),
          buildCpuSeconds: num(peer, 'buildCpuSeconds', 'fromCache.buildCpuSeconds'),
          buildMeasured: fromCache ? { fromCache: fromCache.measuredAt, loadAvg: fromCache.loadAvg } : 'this run',
          heldOut: peerAt?.heldOut,
        }
      : null,
    loadAvg: { query: i.runs.query?.loadAvg, peer: i.runs.peer?.loadAvg },
  };
}

export function issue21Summary(i: Inputs) {
  const M = 1_000_000;
  const q = atSize((i.results.query as Json | undefined)?.synthetic, M);
  const cs = atSize(i.results.coldstart, M);
  const open = atSize(i.results.open, M) ?? (i.results.open as Json | undefined);
  const mem = atSize(i.results.indexmemory, M) ?? (i.results.indexmemory as Json | undefined);
  const dup = (n: number) => atSize(i.results.duplicates, n);
  const dupMem = (n: number) => ({ peakRssMB: num(dup(n), 'peakRssMB') ?? null, rssGrowthMB: num(dup(n), 'rssGrowthMB', 'memory.rssGrowthMB') ?? null });
  const targets: Target[] = [
    target(i, 'query', 'query p95 at 1,000,000 photos < 20 ms', 'ms', num(q, 'p95Ms'), (v) => v < 20),
    target(i, 'query', 'query index at 1,000,000 photos < 2 GB', 'MB', num(q, 'indexMemoryMB'), (v) => v < 2048),
    target(i, 'query', 'top-10 overlap with the exhaustive scan at 1,000,000 >= 0.95', '', num(q, 'top10OverlapWithExhaustive'), (v) => v >= 0.95),
    target(i, 'coldstart', 'first "find similar" after opening 1,000,000 photos < 2 s (page cache warm; cold in `also`)', 'ms', num(cs, 'warm.firstQueryMs'), (v) => v < 2000, {
      coldFirstQueryMs: num(cs, 'cold.firstQueryMs') ?? null,
      coldMet: num(cs, 'cold.firstQueryMs') === undefined ? null : num(cs, 'cold.firstQueryMs')! < 2000,
    }),
    target(i, 'open', 'opening a 1,000,000-photo library (reconcile, unchanged folders) < 30 s', 's', num(open, 'runs.0.openToReadyS', 'openSeconds', 'seconds', 'wallSeconds'), (v) => v < 30, {
      peakRssMB: num(open, 'runs.0.peakRssMB', 'peakRssMB') ?? null,
    }),
    target(i, 'duplicates', 'duplicates, both tiers with verification, 100,000 photos < 30 s', 's', num(dup(100_000), 'seconds'), (v) => v < 30, dupMem(100_000)),
    target(
      i,
      'duplicates',
      'duplicates, both tiers with verification, 1,000,000 photos < 600 s',
      's',
      num(dup(M), 'seconds'),
      (v) => v < 600,
      dupMem(M),
      dup(M) ? undefined : 'this run measured other sizes (--duplicates-sizes)',
    ),
    target(i, 'indexmemory', 'indexing memory on a 1,000,000-file library < 1.5 GB (peak RSS)', 'MB', num(mem, 'peakRssMB'), (v) => v < 1536),
  ];
  const measured = targets.filter((t) => t.met !== null);
  return {
    targets,
    met: measured.filter((t) => t.met).length,
    measured: measured.length,
    of: targets.length,
    peerBeside: { '100000': beside(i, 100_000), '1000000': beside(i, M) },
  };
}
