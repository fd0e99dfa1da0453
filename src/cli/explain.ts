// `photowords explain A B`: why two indexed photos match, in the terminal (top words and a small
// heat map per photo) or as JSON (the API's PairExplanation). Reads the index only: no model.
import path from 'node:path';
import fs from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ExplainedPhoto, PairExplanation } from '../shared/api.js';
import {
  DEFAULT_EXPLAIN_TOP,
  DEFAULT_SETTINGS,
  LiveIndex,
  MAX_EXPLAIN_TOP,
  explainStored,
  kgramSettings,
  mergeSettings,
  openStoreForDuplicates,
  storedSettings,
  type EngineSettings,
  type IndexStore,
} from '../core/index.js';

/** A photo named on the command line: its path as indexed, or failing that its id. */
function resolvePhoto(store: IndexStore, name: string): number {
  const rec = store.getByPath(path.resolve(name));
  if (rec?.status === 'indexed') return rec.id;
  if (/^\d+$/.test(name) && !fs.existsSync(name)) {
    const byId = store.getById(Number(name));
    if (byId?.status === 'indexed') return byId.id;
    throw new Error(`no indexed photo with id ${name}`);
  }
  throw new Error(rec ? `${name} is in the index but was not indexed (${rec.error ?? 'failed'})` : `${name} is not in the index; index its folder first`);
}

/** Darker is heavier; blank cells hold no shared word. Scaled to the photo's heaviest cell. */
const RAMP = ' .:-=+*#%@';

export function heatMap(p: ExplainedPhoto): string[] {
  const { height: H, width: W } = p.grid;
  const lines: string[] = [];
  for (let y = 0; y < H; y++) {
    let line = '';
    for (let x = 0; x < W; x++) {
      const w = p.weights[y * W + x];
      const level = w > 0 && p.max > 0 ? Math.max(1, Math.round((w / p.max) * (RAMP.length - 1))) : 0;
      // Two characters a cell: terminal cells are about twice as tall as wide.
      line += RAMP[level].repeat(2);
    }
    lines.push(`|${line}|`);
  }
  return lines;
}

export function explainText(r: PairExplanation): string {
  const out: string[] = [];
  out.push(`A ${r.a.path}`, `B ${r.b.path}`);
  out.push(
    `TF-IDF cosine ${r.cosine.toFixed(4)} from ${r.sharedWords} shared visual words (${r.kgrams.collapsed ? 'collapsed' : 'per-offset'} k-grams, k=${r.kgrams.kernel}, p=${r.kgrams.padding}${r.kgrams.channel ? ', 3D' : ''})`,
  );
  if (r.words.length) {
    out.push('', `Top ${r.words.length} words:`, '     share  contribution  head  token  offset    cells in A  cells in B');
    r.words.forEach((w, i) => {
      out.push(
        `${String(i + 1).padStart(4)}  ${(w.share * 100).toFixed(1).padStart(5)}%  ${w.contribution.toFixed(5).padStart(12)}  ${String(w.head ?? '-').padStart(4)}  ${String(w.token).padStart(5)}  ${(w.offset ? w.offset.join(',') : '-').padEnd(8)}  ${String(w.cells.a.length).padStart(10)}  ${String(w.cells.b.length).padStart(10)}`,
      );
    });
  }
  const side = (label: string, p: ExplainedPhoto) => {
    out.push('', `${label}: ${p.name} (${p.width ?? '?'} x ${p.height ?? '?'} px, grid ${p.grid.width} x ${p.grid.height}); darker = more of the score ('${RAMP.slice(1)}')`);
    out.push(...heatMap(p));
    if (p.unplaced > 0) out.push(`(${p.unplaced.toFixed(4)} of the cosine comes from words no cell of the stored grid holds)`);
  };
  side('A', r.a);
  side('B', r.b);
  return out.join('\n');
}

export function registerExplain(program: Command, defaultDb: string): void {
  const top = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > MAX_EXPLAIN_TOP) throw new InvalidArgumentError(`top must be a whole number from 0 to ${MAX_EXPLAIN_TOP}`);
    return n;
  };
  program
    .command('explain')
    .description('why two indexed photos match: the visual words they share, where they lie in each photo (a heat map per photo) and how much each adds to the TF-IDF cosine')
    .argument('<a>', 'a photo in the index (path, or id)')
    .argument('<b>', 'another photo in the index (path, or id)')
    .option('--db <file>', 'index database', defaultDb)
    .option('--top <n>', `words to list (default ${DEFAULT_EXPLAIN_TOP})`, top, DEFAULT_EXPLAIN_TOP)
    .option('--json', 'print JSON: per-cell weights of each photo (row-major, summing to the cosine), the top words with their cells')
    .action((a: string, b: string, o: { db: string; top: number; json?: boolean }) => {
      const store = openStoreForDuplicates(o.db);
      // The same snapshot idf the app's queries and the duplicate finder weigh with.
      const live = new LiveIndex(store, { background: false });
      try {
        const settings = mergeSettings(DEFAULT_SETTINGS, storedSettings(store.settings as Partial<EngineSettings> | undefined));
        const r = explainStored(store, live.snapshot(), kgramSettings(settings), resolvePhoto(store, a), resolvePhoto(store, b), { top: o.top });
        console.log(o.json ? JSON.stringify(r, null, 2) : explainText(r));
      } finally {
        live.close();
        store.close();
      }
    });
}
