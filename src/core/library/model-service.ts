// The models a person can choose in Settings: the catalogue as this machine sees it
// (installed, active, where it runs, whether int8 is worth offering, measured speed), and the one
// change of model that may run at a time (model-change.ts), its progress sent to every window.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LibraryContext } from './context.js';
import { loadBackbone } from './engine.js';
import { ApiError } from './validation.js';
import { changeModel, DEFAULT_TUNING, type ModelChangeTuning } from './model-change.js';
import { loadCatalog, type CatalogEntry, type Variant } from '../analysis/model/catalog.js';
import { installed, modelsCacheDir } from '../analysis/model/install.js';
import { int8Way } from '../analysis/model/int8-here.js';
import { prepareInstalled } from '../analysis/model/prepare.js';
import { BackboneSession } from '../analysis/model/tokenizer.js';
import { loadForModel } from '../analysis/decode/decode.js';
import type { BackboneInfo } from '../analysis/model/backbone.js';
import { DEFAULT_SETTINGS } from '../common/settings.js';
import type { ChooseModelOptions, ModelChangePhase, ModelChangeProgress, ModelChoice } from '../../shared/api.js';

/** Events at most this often while a phase runs (a change of phase is always sent). */
const EVENT_EVERY_MS = 250;
/** Photos measureModel times (after one warm-up run). */
const MEASURE_PHOTOS = 5;

/**
 * Whether this CPU has int8 dot-product instructions (VNNI or AMX), where onnxruntime's int8
 * kernels beat float32. Read from /proc/cpuinfo on Linux; elsewhere not checked, and said so.
 */
export function int8Support(cpuinfo?: string): { fast: boolean; why: string } {
  if (process.platform !== 'linux' || (cpuinfo === undefined && !fs.existsSync('/proc/cpuinfo'))) {
    return { fast: false, why: `whether this CPU has VNNI is checked on Linux only (/proc/cpuinfo); on ${process.platform} int8 is not offered` };
  }
  const text = cpuinfo ?? fs.readFileSync('/proc/cpuinfo', 'utf8');
  const flags = new Set((/^flags\s*:(.*)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/));
  const has = ['amx_int8', 'avx512_vnni', 'avx_vnni'].filter((f) => flags.has(f));
  if (has.length > 0) return { fast: true, why: `this CPU has ${has.join(', ')}` };
  return {
    fast: false,
    why: flags.size > 1 ? 'this CPU has no VNNI or AMX (no avx512_vnni, avx_vnni or amx_int8 in /proc/cpuinfo), so int8 would not be faster' : 'this CPU lists no x86 flags (VNNI is an x86 feature)',
  };
}

/** Whether Settings offers int8 for an entry on this CPU, and the way the int8 graph would come. */
export function int8Offer(entry: CatalogEntry, cpu: { fast: boolean; why: string }): { offered: boolean; why: string } {
  // The built-in graph's int8 copy is made on this machine (model/quantize.ts), so there is no file to check.
  if (entry.kind === 'builtin') return { offered: cpu.fast, why: `${cpu.why}; the int8 graph is made here from the built-in one` };
  const f = entry.files.find((x) => x.variant === 'int8');
  if (!f) return { offered: false, why: `${entry.name} has no int8 file in the catalogue` };
  const way = int8Way(entry);
  if (way === 'download') return { offered: cpu.fast, why: `${cpu.why}; the int8 file is downloaded and checked against its published sha256` };
  if (way === 'quantize') return { offered: cpu.fast, why: `${cpu.why}; the int8 graph is made here from the checked fp32 file (its published int8 file has no sha256 to check)` };
  // Settings installs only what it can verify; the CLI's --trust-unverified is a person's explicit choice.
  return { offered: false, why: `the int8 file of ${entry.name} has no published sha256 to check it against, and it cannot be made here from a checked fp32 file (docs/MODELS.md)` };
}

export class ModelService {
  private current: ModelChangeProgress | null = null;
  private abort: AbortController | null = null;
  private running: Promise<void> | null = null;
  private lastEvent = 0;
  private readonly measured = new Map<string, { ms: number; provider: string }>();
  private readonly cpu = int8Support();

  constructor(
    private readonly ctx: LibraryContext,
    private readonly tuning: ModelChangeTuning = DEFAULT_TUNING,
  ) {}

  /** The catalogue id of the model the library's index was built with (null: an imported backbone of the CLI's). */
  activeId(catalog = loadCatalog()): string | null {
    const b = this.ctx.engine.settings.backbone;
    if (b === 'inception_v3') return catalog.find((e) => e.kind === 'builtin')?.id ?? 'inception_v3';
    const cache = modelsCacheDir();
    const abs = path.resolve(b);
    for (const e of catalog) {
      for (const v of ['fp32', 'int8'] as Variant[]) {
        const rec = installed(e, v, cache);
        if (rec?.backbone && path.resolve(rec.backbone) === abs) return e.id;
      }
    }
    const rel = path.relative(cache, abs);
    return rel.startsWith('..') || path.isAbsolute(rel) ? null : rel.split(path.sep)[0];
  }

  /** Which variant of the active entry the library runs: the built-in one quantizes by setting, a download by its file. */
  private activeVariant(e: CatalogEntry): Variant {
    const s = this.ctx.engine.settings;
    if (e.kind === 'builtin') return s.precision;
    const int8 = installed(e, 'int8')?.backbone;
    return int8 && path.resolve(int8) === path.resolve(s.backbone) ? 'int8' : 'fp32';
  }

  private choice(e: CatalogEntry, active: string | null): ModelChoice {
    const fp32 = e.files.find((f) => f.variant === 'fp32') ?? e.files[0];
    const m = this.measured.get(e.id);
    return {
      id: e.id,
      name: e.name,
      builtIn: e.kind === 'builtin',
      downloadBytes: e.kind === 'builtin' || !fp32 ? null : (fp32.bytes ?? fp32.approxBytes ?? null),
      installed: e.kind === 'builtin' || installed(e, 'fp32') !== null || installed(e, 'int8') !== null,
      active: e.id === active,
      licence: e.licence,
      goodAt: e.goodAt,
      msPerPhoto: m?.ms ?? null,
      // Every model runs where the library's model runs (one onnxruntime, one choice in Settings), until measured.
      provider: m?.provider ?? this.ctx.engine.tokenizer.provider,
      int8: int8Offer(e, this.cpu),
    };
  }

  async listModels(): Promise<ModelChoice[]> {
    await this.ctx.swapping;
    const catalog = loadCatalog();
    const active = this.activeId(catalog);
    return catalog.map((e) => this.choice(e, active));
  }

  private entry(id: unknown): CatalogEntry {
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new ApiError('bad-request', 'A model is chosen by its id.');
    const catalog = loadCatalog();
    const e = catalog.find((x) => x.id === id);
    if (!e) throw new ApiError('not-found', `There is no model "${id}"; the catalogue has ${catalog.map((x) => x.id).join(', ')}.`);
    return e;
  }

  /** The graph an installed model runs (null when not installed). */
  private async backboneOf(e: CatalogEntry): Promise<BackboneInfo | null> {
    const s = this.ctx.engine.settings;
    if (e.kind === 'builtin') return loadBackbone({ ...s, backbone: 'inception_v3', block: DEFAULT_SETTINGS.block, precision: 'fp32' });
    let rec = installed(e, 'fp32') ?? installed(e, 'int8');
    if (!rec) return null;
    if (!rec.backbone || !fs.existsSync(rec.backbone)) rec = (await prepareInstalled(e, rec, { probe: false })).record;
    return rec.backbone ? loadBackbone({ ...s, backbone: rec.backbone, precision: 'fp32' }) : null;
  }

  /** A few photos to time: the library's, else the shipped dataset's. */
  private measurePhotos(): string[] {
    const lib = this.ctx.engine.store
      .listImages()
      .filter((r) => r.status === 'indexed')
      .map((r) => r.path)
      .filter((p) => fs.existsSync(p));
    if (lib.length > 0) return lib.slice(0, MEASURE_PHOTOS + 1);
    const d = this.tuning.dataset;
    if (!fs.existsSync(d)) return [];
    const out: string[] = [];
    for (const c of fs.readdirSync(d).sort()) {
      const dir = path.join(d, c);
      if (!fs.statSync(dir).isDirectory()) continue;
      const f = fs.readdirSync(dir).find((n) => /\.jpe?g$/i.test(n));
      if (f) out.push(path.join(dir, f));
      if (out.length > MEASURE_PHOTOS) break;
    }
    return out;
  }

  async measureModel(id: string): Promise<ModelChoice> {
    const e = this.entry(id);
    await this.ctx.swapping;
    const backbone = await this.backboneOf(e);
    if (!backbone) throw new ApiError('bad-request', `${e.name} is not installed yet; choose it to download it, then measure it.`);
    const photos = this.measurePhotos();
    if (photos.length < 2) throw new ApiError('bad-request', 'There are no photos to measure the model on yet.');
    const res = this.ctx.engine.settings.resolution;
    // One thread per core the indexer's workers would share, so the figure is the model's time a photo while indexing.
    const session = await BackboneSession.open(backbone, { provider: this.ctx.opts.provider, threads: Math.max(1, Math.floor(os.availableParallelism() / 2)) });
    const times: number[] = [];
    try {
      for (const [i, p] of photos.entries()) {
        const img = await loadForModel(p, res, { minSide: backbone.minSide });
        const t0 = performance.now();
        await session.features([img]);
        // The first run pays the graph's warm-up; it is not what a photo costs.
        if (i > 0) times.push(performance.now() - t0);
      }
    } finally {
      await session.release();
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    this.measured.set(e.id, { ms: Math.round(median), provider: session.provider });
    return this.choice(e, this.activeId());
  }

  private report(modelId: string, phase: ModelChangePhase, done: number, total: number, etaSeconds: number | null, message: string): void {
    const phaseChanged = this.current?.phase !== phase;
    this.current = { modelId, phase, done, total, etaSeconds, message };
    const now = performance.now();
    if (!phaseChanged && done < total && now - this.lastEvent < EVENT_EVERY_MS) return;
    this.lastEvent = now;
    this.ctx.emit({ type: 'model-change', progress: this.current });
  }

  async chooseModel(id: string, opts?: ChooseModelOptions): Promise<ModelChangeProgress> {
    const e = this.entry(id);
    if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) throw new ApiError('bad-request', 'Model options must be an object.');
    const int8 = opts?.int8 === true;
    if (int8 && !int8Offer(e, { fast: true, why: '' }).offered) throw new ApiError('bad-request', `int8 is not offered for ${e.name}: ${int8Offer(e, this.cpu).why}.`);
    if (this.running) throw new ApiError('busy', `The library is already switching to ${this.current?.modelId}; cancel that first.`);
    await this.ctx.swapping;
    if (this.activeId() === e.id && this.activeVariant(e) === (int8 ? 'int8' : 'fp32')) {
      throw new ApiError('bad-request', `The library already uses ${e.name}.`);
    }
    const abort = (this.abort = new AbortController());
    const report = (phase: ModelChangePhase, done: number, total: number, eta: number | null, message: string) => {
      if (!abort.signal.aborted || phase === 'cancelled') this.report(e.id, phase, done, total, eta, message);
    };
    report('download', 0, 0, null, `Preparing ${e.name}`);
    const first = this.current!;
    this.running = changeModel(this.ctx, { id: e.id, variant: int8 ? 'int8' : 'fp32', tuning: this.tuning, signal: abort.signal, report })
      .then(
        // Past the swap a cancel comes too late: the new index is in place, and said so.
        () => this.report(e.id, 'ready', 1, 1, 0, `The library now reads photos with ${e.name}.`),
        (err: unknown) => {
          if (abort.signal.aborted) report('cancelled', 0, 0, null, `Switching to ${e.name} was cancelled; the library keeps its index as it was.`);
          else report('failed', 0, 0, null, `Could not switch to ${e.name}: ${(err as Error).message}. The library keeps its index as it was.`);
        },
      )
      .finally(() => {
        this.running = null;
        this.abort = null;
      });
    return first;
  }

  async modelChange(): Promise<ModelChangeProgress | null> {
    return this.current;
  }

  async cancelModelChange(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.abort?.abort();
    await running;
  }
}
