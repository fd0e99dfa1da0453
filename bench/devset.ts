// The dev set's bags at the default settings, derived from the eval cache's token grids as
// `photowords eval` derives them (evalsuite.ts), without loading the model: the cache must have
// been filled by `photowords eval ../shared/datasets` once (about 12 minutes on 2 cores).
import fs from 'node:fs';
import path from 'node:path';
import { discoverDataset, defaultEvalCache } from '../src/core/eval/suite.js';
import { DEFAULT_SETTINGS, kgramSettings, mergeSettings, storedSettings, type EngineSettings } from '../src/core/common/settings.js';
import { bagFromGrid } from '../src/core/analysis/kgrams.js';
import { IndexStore } from '../src/core/index/store.js';
import type { ExportDoc } from '../src/core/opensearch/export.js';

export const DATASETS = path.resolve('../shared/datasets');

export interface DevSet {
  /** In the order `photowords eval` uses (the cache's id order), with labels for the GPR protocol. */
  docs: ExportDoc[];
  labels: string[];
  domains: string[];
  cache: string;
}

export function loadDevSet(): DevSet {
  const items = discoverDataset(DATASETS);
  const cache = defaultEvalCache(DATASETS, DEFAULT_SETTINGS);
  if (!fs.existsSync(cache)) throw new Error(`no eval cache at ${cache}: fill it once with: node bin/photowords.js eval ../shared/datasets --similarities tfidf`);
  // The cache holds model output only; what matters is that the model side is the default's.
  const raw = IndexStore.readSettings(cache) as Partial<EngineSettings>;
  // Settings added after the cache was made read as their defaults, as Engine.open reads them.
  const s = mergeSettings(DEFAULT_SETTINGS, storedSettings(raw));
  for (const k of ['backbone', 'block', 'heads', 'codes', 'resolution', 'perHeadCodebook', 'precision', 'pca', 'softAssign'] as const) {
    if (s[k] !== DEFAULT_SETTINGS[k]) throw new Error(`eval cache ${cache} was made with ${k} = ${String(s[k])}, the default is ${String(DEFAULT_SETTINGS[k])}`);
  }
  const ks = kgramSettings(DEFAULT_SETTINGS);
  const byPath = new Map(items.map((it) => [it.path, it]));
  const store = IndexStore.open(cache, { fingerprint: IndexStore.readFingerprint(cache)!, settings: raw });
  const docs: ExportDoc[] = [];
  const labels: string[] = [];
  const domains: string[] = [];
  try {
    const grids = [...store.iterGrids()];
    for (const g of grids) {
      const it = byPath.get(g.path);
      if (!it) continue;
      const rec = store.getById(g.id)!;
      docs.push({ id: g.id, path: g.path, width: rec.width, height: rec.height, hash: rec.hash, bag: bagFromGrid(g.grid, ks) });
      labels.push(it.label);
      domains.push(it.domain);
    }
  } finally {
    store.close();
  }
  return { docs, labels, domains, cache };
}
