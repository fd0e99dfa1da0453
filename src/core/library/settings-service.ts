// The person's settings: scoring, where the model runs, hidden folders, and the settings the index
// is built with; a change of the last two reopens the engine (the index rebuilt for the latter)
// while every other call waits.
import { SIMILARITIES } from '../common/settings.js';
import { IndexStore } from '../index/store.js';
import { Engine } from './engine.js';
import type { LibraryContext } from './context.js';
import type { SearchService } from './search-service.js';
import { ApiError } from './validation.js';
import type { ProviderName, SettingsChangeResult, SettingsView, UserSettings } from '../../shared/api.js';

const PROVIDERS: ProviderName[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml'];
const REINDEX_KEYS: (keyof UserSettings)[] = ['resolution', 'kernel', 'padding'];

/** The provider chosen in Settings: read before the engine opens, since it decides how the model is loaded. */
export function storedProvider(dbPath: string): ProviderName {
  const v = IndexStore.readPref(dbPath, 'provider');
  return v && (PROVIDERS as string[]).includes(v) ? (v as ProviderName) : 'auto';
}

export class SettingsService {
  constructor(
    private readonly ctx: LibraryContext,
    private readonly search: SearchService,
  ) {}

  private userSettings(): UserSettings {
    const { engine, opts } = this.ctx;
    const s = engine.settings;
    return {
      resolution: s.resolution,
      kernel: s.kernel,
      padding: s.padding,
      similarity: this.search.similarity(),
      provider: opts.provider ?? 'auto',
      includeHidden: engine.includeHidden,
    };
  }

  async getSettings(): Promise<SettingsView> {
    await this.ctx.swapping;
    return {
      settings: this.userSettings(),
      choices: {
        resolution: [224, 256, 299, 384, 512, 614],
        kernel: [1, 2, 3, 4, 5],
        padding: [0, 1, 2],
        similarity: [...SIMILARITIES],
        provider: PROVIDERS,
        includeHidden: [false, true],
      },
      reindexKeys: REINDEX_KEYS,
      unavailableProviders: this.ctx.engine.tokenizer.unavailable,
      activeProvider: this.ctx.engine.tokenizer.provider,
    };
  }

  async setSettings(change: Partial<UserSettings>): Promise<SettingsChangeResult> {
    const { ctx } = this;
    await ctx.swapping;
    const cur = this.userSettings();
    const next: UserSettings = { ...cur, ...pick(change) };
    const view = await this.getSettings();
    for (const k of Object.keys(view.choices) as (keyof UserSettings)[]) {
      if (!(view.choices[k] as unknown[]).includes(next[k])) {
        throw new ApiError('bad-request', `${k} cannot be ${String(next[k])}; choose one of ${view.choices[k].join(', ')}.`);
      }
    }
    if (next.padding >= next.kernel) throw new ApiError('bad-request', `padding must be smaller than the kernel (${next.kernel}).`);
    ctx.engine.store.setPref('similarity', next.similarity);
    ctx.engine.store.setPref('provider', next.provider);
    const reindex = REINDEX_KEYS.some((k) => next[k] !== cur[k]);
    const reopen = reindex || next.provider !== cur.provider;
    const messages: string[] = [];
    if (next.similarity !== cur.similarity) messages.push(`Scoring is now ${next.similarity}.`);
    if (next.includeHidden !== cur.includeHidden) {
      // Stored with the index (the CLI's --include-hidden is the same setting), then a full
      // reconcile reads the hidden folders' photos, or forgets them and counts them as not read.
      ctx.engine.includeHidden = next.includeHidden;
      await ctx.watching.setIncludeHidden(next.includeHidden);
      if (!reopen) ctx.run.kick();
      messages.push(next.includeHidden ? 'Photos in hidden folders are read from now on.' : 'Hidden folders are counted as not read from now on.');
    }
    if (reopen) {
      ctx.swapping = this.reopen(next, reindex);
      await ctx.swapping;
      if (next.provider !== cur.provider) messages.push(`The model now runs on ${ctx.engine.tokenizer.provider}.`);
      if (reindex) messages.push('The library is being indexed again with the new settings; similar photos improve as it goes.');
    }
    if (messages.length === 0) messages.push('Nothing changed.');
    return { ...(await this.getSettings()), reindexing: reindex, message: messages.join(' ') };
  }

  private async reopen(next: UserSettings, rebuild: boolean): Promise<void> {
    const { ctx } = this;
    const run = ctx.run;
    const wasPaused = run.paused;
    run.paused = true;
    await run.stopRun();
    const settings = { ...ctx.engine.settings, resolution: next.resolution, kernel: next.kernel, padding: next.padding };
    await ctx.engine.close();
    try {
      ctx.engine = await Engine.open(ctx.dbPath, { settings, rebuild, provider: next.provider, log: ctx.opts.log });
      ctx.opts.provider = next.provider;
    } catch (e) {
      // Back to what worked, so the library stays usable, then tell the person why.
      ctx.engine = await Engine.open(ctx.dbPath, { provider: ctx.opts.provider, log: ctx.opts.log });
      run.paused = wasPaused;
      throw new ApiError('bad-request', `Could not apply the settings: ${(e as Error).message}`);
    }
    if (rebuild) run.forgetPast();
    run.paused = wasPaused;
    ctx.folders.changed();
    run.kick();
  }
}

function pick(change: Partial<UserSettings>): Partial<UserSettings> {
  const out: Partial<UserSettings> = {};
  if (!change || typeof change !== 'object') return out;
  for (const k of ['resolution', 'kernel', 'padding', 'similarity', 'provider', 'includeHidden'] as const) {
    if (change[k] !== undefined) (out as Record<string, unknown>)[k] = change[k];
  }
  return out;
}
