// The one-run bench's parts and issue 21's targets (docs/EVAL.md, "Issue 21's targets in one run").
// bench.ts names the parts; this module picks which run (`--only a,b`), runs them in a fixed order
// (the latency-sensitive ones first, before long builds have warmed the machine and filled its
// memory), records the load average and wall/CPU time of each, keeps one part's failure from losing
// the others' figures, and reads the targets' figures out of the parts' JSON into one summary.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LoadSampler, type LoadSamples } from './peer-cache.js';

/** Execution order: query latency, the cold start's first query and the peer's queries first. */
export const PART_ORDER = ['query', 'coldstart', 'peer', 'index', 'open', 'indexmemory', 'duplicates'] as const;
export type PartName = (typeof PART_ORDER)[number];

/** `--only a,b,...` (default: all), checked against the known names. */
export function selectedParts(args: string[]): Set<PartName> {
  const i = args.indexOf('--only');
  if (i < 0) return new Set(PART_ORDER);
  const names = (args[i + 1] ?? '').split(',').filter(Boolean);
  for (const n of names) if (!(PART_ORDER as readonly string[]).includes(n)) throw new Error(`--only: unknown part '${n}' (known: ${PART_ORDER.join(', ')})`);
  if (names.length === 0) throw new Error(`--only needs a comma list of parts (${PART_ORDER.join(', ')})`);
  return new Set(names as PartName[]);
}

/** `--name 1,2,3` as numbers, or the default. */
export function sizesFlag(args: string[], name: string, dflt: number[]): number[] {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const sizes = (args[i + 1] ?? '').split(',').map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--${name}: expected a comma list of positive whole numbers, got '${args[i + 1] ?? ''}'`);
  return sizes;
}

export interface PartRun {
  startedAt: string;
  wallSeconds: number;
  cpuSeconds: number;
  loadAvg: LoadSamples;
  /** Set when the part threw: the others still ran, and its figures are missing. */
  error?: string;
  /** Set when the part's module is not there (yet): no figure, rather than a made-up one. */
  notAvailable?: string;
}

export type PartFn = () => Promise<unknown>;

/**
 * Runs the selected parts in PART_ORDER. A part's failure is recorded and the run goes on: the
 * last part of a two-hour run must not lose the first's figures.
 */
export async function runParts(parts: Partial<Record<PartName, PartFn>>, selected: Set<PartName>, log: (m: string) => void) {
  const results: Partial<Record<PartName, unknown>> = {};
  const runs: Partial<Record<PartName, PartRun>> = {};
  for (const name of PART_ORDER) {
    const fn = parts[name];
    if (!selected.has(name) || !fn) continue;
    const load = new LoadSampler();
    // Samples while the part awaits (its synchronous stretches hold the event loop; start and end still count).
    const timer = setInterval(() => load.sample(), 5000);
    const startedAt = new Date().toISOString();
    const t = performance.now();
    const c = process.cpuUsage();
    let error: string | undefined;
    let notAvailable: string | undefined;
    try {
      const r = await fn();
      if (r instanceof NotAvailable) notAvailable = r.reason;
      else results[name] = r;
    } catch (e) {
      error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      log(`part ${name} failed: ${error}`);
      process.exitCode = 1;
    } finally {
      clearInterval(timer);
    }
    const cpu = process.cpuUsage(c);
    runs[name] = {
      startedAt,
      wallSeconds: Number(((performance.now() - t) / 1000).toFixed(1)),
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
      loadAvg: load.done(),
      ...(error ? { error } : {}),
      ...(notAvailable ? { notAvailable } : {}),
    };
    log(`part ${name}: ${runs[name].wallSeconds} s wall, ${runs[name].cpuSeconds} s CPU (this process), load ${runs[name].loadAvg.mean}${notAvailable ? `; not available: ${notAvailable}` : ''}`);
  }
  return { results, runs };
}

export class NotAvailable {
  constructor(readonly reason: string) {}
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * The part function `name` exported by bench/`file`, or NotAvailable. Another helper may still be
 * writing the module: until it exports the function, importing it could run its command-line body
 * (those scripts do their work at the top level), so the source is read for the export first.
 */
export async function optionalPart<O>(file: string, name: string): Promise<((opts: O) => Promise<unknown>) | NotAvailable> {
  const full = path.join(HERE, file);
  if (!fs.existsSync(full)) return new NotAvailable(`bench/${file} does not exist yet`);
  if (!new RegExp(`export\\s+(async\\s+)?function\\s+${name}\\b|export\\s+const\\s+${name}\\b`).test(fs.readFileSync(full, 'utf8'))) {
    return new NotAvailable(`bench/${file} does not export ${name} yet`);
  }
  const mod = (await import(pathToFileURL(full).href)) as Record<string, unknown>;
  const fn = mod[name];
  return typeof fn === 'function' ? (fn as (opts: O) => Promise<unknown>) : new NotAvailable(`bench/${file}'s ${name} is not a function`);
}
