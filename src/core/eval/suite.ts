// `photowords eval`: index a labelled folder once (token grids and pooled features are cached in a
// SQLite file keyed by model and resolution), then derive bags for the requested k-gram settings
// in memory and score every similarity under the GPR1200 protocol.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Engine } from '../library/engine.js';
import { appendField, bagFromGrid, pairBag, termSpaceSize, PAIR_OFFSETS, type PairOffsets } from '../analysis/kgrams.js';
import { buildInvertedIndex, type InvertedIndex } from '../search/inverted-index.js';
import { ImpactIndex } from '../search/impact-index.js';
import { createBagScorer } from '../search/scorers/by-name.js';
import { cropJaccardAll } from '../search/scorers/crop-jaccard.js';
import { DenseIndex, expandDense } from '../search/scorers/dense.js';
import { evaluateRanking } from './map.js';
import { imageExtensions } from '../analysis/scan.js';
import { DEFAULT_SETTINGS, kgramSettings, mergeSettings, type EngineSettings } from '../common/settings.js';
import type { IndexProgress } from '../index/indexer.js';
import { loadCodebook, pcaSuffix } from '../analysis/model/codebook.js';
import { coarseCodeMap } from '../analysis/model/coarse.js';
import type { ProviderChoice } from '../analysis/model/tokenizer.js';
import type { Bag, KgramSettings, Similarity, TokenGrid } from '../common/types.js';

/** '-aqe': with average query expansion (AQE_TFIDF, AQE_DENSE), to compare feedback like with like. */
export type EvalSimilarity = Similarity | 'dense' | 'tfidf-aqe' | 'dense-aqe';
export const EVAL_SIMILARITIES: EvalSimilarity[] = ['tfidf', 'tfidf-exact', 'tfidf-raw', 'bm25', 'jaccard', 'cropjaccard', 'dense', 'tfidf-aqe', 'dense-aqe'];
/** Best of a small sweep on ../shared/datasets for each (docs/EVAL.md). */
export const AQE_TFIDF = { m: 5, a: 1 };
export const AQE_DENSE = { m: 3, a: 3 };

export interface EvalRow {
  similarity: EvalSimilarity;
  model: string;
  resolution: number;
  kernel: number;
  padding: number;
  channelKgrams: boolean;
  /** Collapsed k-grams (types.ts) rather than the paper's per-offset words. */
  collapseKgrams: boolean;
  codes: number;
  heads: number;
  map: number;
  mapQueryRemoved: number;
  domains: Record<string, number>;
  domainsQueryRemoved: Record<string, number>;
  seconds: number;
}

/**
 * A second field of words beside the k-grams (docs/EVAL.md "Beyond the bag"): co-occurrence pairs
 * of coarse codes (kgrams.ts pairBag), or the k-grams of another block (its own codebook and
 * cache). mode 'add': one bag of both fields in disjoint term ranges, scored by every scorer;
 * 'alone': the field's words only; a number w: tfidf-exact scores cos(k-grams) + w cos(field).
 */
export type EvalField = { kind: 'pairs'; coarse: number; offsets: PairOffsets; mode: FieldMode } | { kind: 'block'; block: string; codes: number; mode: FieldMode };
export type FieldMode = 'add' | 'alone' | number;

export function parseEvalField(spec: string, mode: string = 'add'): EvalField {
  const m: FieldMode = mode === 'add' || mode === 'alone' ? mode : Number(mode);
  if (typeof m === 'number' && !(m > 0)) throw new Error(`field mode must be add, alone or a positive weight, got "${mode}"`);
  const parts = spec.split(':');
  if (parts[0] === 'pairs') {
    const coarse = Number(parts[1] ?? 64);
    const offsets = (parts[2] ?? 'hv') as PairOffsets;
    if (!(offsets in PAIR_OFFSETS)) throw new Error(`pair offsets must be one of ${Object.keys(PAIR_OFFSETS).join(', ')}, got "${offsets}"`);
    return { kind: 'pairs', coarse, offsets, mode: m };
  }
  if (parts[0] === 'block' && parts[1]) return { kind: 'block', block: parts[1], codes: Number(parts[2] ?? 1024), mode: m };
  throw new Error(`field must be pairs[:COARSE[:hv|hvd|d2]] or block:NAME[:CODES], got "${spec}"`);
}

export interface EvalOptions {
  settings?: Partial<EngineSettings>;
  /** A second field of words (EvalField). */
  field?: EvalField;
  similarities?: EvalSimilarity[];
  cacheDb?: string;
  provider?: ProviderChoice;
  onProgress?: (p: IndexProgress) => void;
  log?: (msg: string) => void;
}

export interface LabelledImage {
  path: string;
  label: string;
  domain: string;
}

/**
 * DIR/<domain>/<class>/image, or DIR/<class>/image (then DIR is one domain). A folder counts as a
 * class folder when it holds images directly.
 */
export function discoverDataset(dir: string): LabelledImage[] {
  const root = path.resolve(dir);
  const extensions = imageExtensions();
  const isImageName = (name: string) => extensions.has(path.extname(name).slice(1).toLowerCase());
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`not a folder: ${dir}`);
  // Symbolic links count as what they point to, so a dataset can be assembled from links.
  const kind = (d: string, e: fs.Dirent) => (e.isSymbolicLink() ? fs.statSync(path.join(d, e.name), { throwIfNoEntry: false }) : e);
  const subdirs = (d: string) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.') && kind(d, e)?.isDirectory())
      .map((e) => e.name)
      .sort();
  const images = (d: string) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .filter((e) => isImageName(e.name) && kind(d, e)?.isFile())
      .map((e) => path.join(d, e.name))
      .sort();
  const top = subdirs(root);
  const isClassLevel = top.some((t) => images(path.join(root, t)).length > 0);
  const out: LabelledImage[] = [];
  if (isClassLevel) {
    for (const cls of top) for (const p of images(path.join(root, cls))) out.push({ path: p, label: cls, domain: path.basename(root) });
  } else {
    for (const domain of top) for (const cls of subdirs(path.join(root, domain))) for (const p of images(path.join(root, domain, cls))) out.push({ path: p, label: `${domain}/${cls}`, domain });
  }
  if (out.length === 0) throw new Error(`no labelled photos under ${dir}: expected DIR/<class>/photo or DIR/<domain>/<class>/photo`);
  return out;
}

export function defaultEvalCache(dataset: string, s: EngineSettings): string {
  const key = `${path.basename(path.resolve(dataset))}-${path.basename(s.backbone).replace(/\.onnx$/i, '')}-${s.block}-h${s.heads}-n${s.codes}${s.perHeadCodebook ? '-perhead' : ''}-r${s.resolution}${s.precision === 'int8' ? '-int8' : ''}${pcaSuffix(s.pca, s.whiten)}${s.softAssign > 0 ? '-top2' : ''}`;
  return path.join(os.homedir(), '.cache', 'photowords', 'eval', `${key}.db`);
}

export async function runEval(dataset: string, opts: EvalOptions = {}): Promise<EvalRow[]> {
  const log = opts.log ?? (() => undefined);
  const items = discoverDataset(dataset);
  const requested = mergeSettings(DEFAULT_SETTINGS, opts.settings);
  // The cache holds model output only; bags for the requested k-grams are derived below, so one
  // cache serves every kernel and padding.
  const cacheSettings: EngineSettings = {
    ...requested,
    kernel: DEFAULT_SETTINGS.kernel,
    padding: DEFAULT_SETTINGS.padding,
    channelKgrams: false,
    collapseKgrams: false,
    // Soft assignment needs grids with second codes (a cache of their own, "-top2"); one such
    // cache serves every weight.
    softAssign: requested.softAssign > 0 ? 1 : 0,
  };
  const cacheDb = opts.cacheDb ?? defaultEvalCache(dataset, requested);
  fs.mkdirSync(path.dirname(cacheDb), { recursive: true });
  // A cache filled by another model (a retrained codebook, a rebuilt backbone) is filled again.
  const engine = await Engine.open(cacheDb, { settings: cacheSettings, provider: opts.provider, log, otherModel: 'rebuild' });
  try {
    log(`Indexing ${items.length} photos of ${dataset} into ${cacheDb} (cached between runs) ...`);
    await engine.index([path.resolve(dataset)], { onProgress: opts.onProgress, pipeline: { dense: true } });
    if ((opts.similarities ?? EVAL_SIMILARITIES).some((s) => s.startsWith('dense'))) {
      // A cache filled by something that keeps no pooled vectors (the bench's pass over the dev
      // set, an older build) has photos the dense baseline cannot score: they go through the
      // model again, this time keeping them.
      const lacking = engine.store.missingDense();
      if (lacking.length > 0) {
        log(`${lacking.length} photos in the cache have no pooled vector (the dense baseline's); reading them again ...`);
        engine.store.transaction(() => lacking.forEach((r) => engine.store.remove(r.path)));
        await engine.index([path.resolve(dataset)], { onProgress: opts.onProgress, pipeline: { dense: true } });
      }
    }
    const byPath = new Map(items.map((it, i) => [it.path, i]));
    const grids: TokenGrid[] = [];
    const order: number[] = [];
    const idToPos = new Map<number, number>();
    for (const g of engine.store.iterGrids()) {
      const i = byPath.get(g.path);
      if (i === undefined) continue;
      idToPos.set(g.id, grids.length);
      grids.push(g.grid);
      order.push(i);
    }
    const dense: Float32Array[] = new Array(grids.length);
    for (const d of engine.store.iterDense()) {
      const pos = idToPos.get(d.id);
      if (pos !== undefined) dense[pos] = d.vector;
    }
    const n = grids.length;
    const missing = items.length - n;
    if (missing > 0) log(`${missing} photos could not be read and are left out of the evaluation (see photowords info --db ${cacheDb})`);
    const labels = order.map((i) => items[i].label);
    const domains = order.map((i) => items[i].domain);
    const ks: KgramSettings = kgramSettings(requested);
    let bags: Bag[] = grids.map((g) => bagFromGrid(g, ks));
    let fieldBags: Bag[] | undefined;
    let fieldName = '';
    const field = opts.field;
    if (field) {
      let t = performance.now();
      if (field.kind === 'pairs') {
        const map = await coarseCodeMap(loadCodebook(engine.codebook.name).codebook, field.coarse);
        t = performance.now(); // the coarse map is made once per codebook, not per photo
        fieldBags = grids.map((g) => pairBag(g, PAIR_OFFSETS[field.offsets], map, field.coarse));
        fieldName = `pairs ${field.coarse} ${field.offsets}`;
      } else {
        const other = await cachedGrids(dataset, mergeSettings(cacheSettings, { block: field.block, codes: field.codes, softAssign: 0 }), opts);
        fieldBags = grids.map((_, i) => {
          const g = other.get(items[order[i]].path);
          if (!g) throw new Error(`no ${field.block} grid for ${items[order[i]].path}`);
          return bagFromGrid(g, { ...ks, soft: undefined });
        });
        fieldName = `+ ${field.block} ${field.codes}`;
      }
      const words = (b: Bag[]) => (b.reduce((a, x) => a + x.terms.length, 0) / n).toFixed(0);
      log(`field ${fieldName}: ${words(fieldBags)} words a photo (k-grams ${words(bags)}), ${(((performance.now() - t) / n) * 1000).toFixed(0)} us a photo`);
      if (field.mode === 'add') {
        const offset = termSpaceSize(requested.heads, requested.codes, ks);
        bags = bags.map((b, i) => appendField(b, fieldBags![i], offset));
        fieldName = `, ${fieldName} in one bag`;
      } else if (field.mode === 'alone') {
        bags = fieldBags;
        fieldName = `, ${fieldName} alone`;
      } else fieldName = `, ${fieldName} fused w ${field.mode}`;
    }
    const model = `${engine.backbone.name}/${engine.backbone.output} VQ ${requested.heads}x${requested.codes}${requested.perHeadCodebook ? ' per-head' : ''}${requested.pca ? ` ${pcaSuffix(requested.pca, requested.whiten).slice(1)}` : ''}${requested.collapseKgrams ? ' collapsed' : ''}${requested.softAssign > 0 ? ` soft ${requested.softAssign}` : ''}${fieldName}`;
    const rows: EvalRow[] = [];
    let index: InvertedIndex | undefined;
    let impact: ImpactIndex | undefined;
    for (const similarity of opts.similarities ?? EVAL_SIMILARITIES) {
      const t = performance.now();
      const buf = new Float32Array(n);
      let scoreRow: (q: number) => Float32Array;
      if (similarity === 'dense' || similarity === 'dense-aqe') {
        // A loop, not some(): the array has holes where vectors are missing, and some() skips holes.
        for (let i = 0; i < n; i++) if (!dense[i]) throw new Error(`no pooled vector for ${items[order[i]].path} in the cache ${cacheDb}; delete that file to rebuild it`);
        const di = new DenseIndex(dense);
        scoreRow = similarity === 'dense' ? (q) => di.scoreAll(dense[q], buf) : (q) => di.scoreAll(expandDense(di, dense[q], di.scoreAll(dense[q], buf), AQE_DENSE.m, AQE_DENSE.a), buf);
      } else if (similarity === 'tfidf' || similarity === 'tfidf-aqe') {
        // The default query path as users get it: stage 1 with its budget, exact re-ranking of
        // the candidates, the rest in stage-1 order.
        impact ??= ImpactIndex.build(bags.map((bag, i) => ({ id: i, bag })));
        const ix = impact;
        const expand = similarity === 'tfidf-aqe' ? AQE_TFIDF : undefined;
        scoreRow = (q) => ix.scoreAll(bags[q], buf, { expand });
      } else if (similarity === 'cropjaccard') {
        scoreRow = (q) => cropJaccardAll(grids[q], grids, buf);
      } else if (similarity === 'tfidf-exact' && fieldBags && typeof field?.mode === 'number') {
        // Late fusion of the two fields' cosines.
        const w = field.mode;
        const fb = fieldBags;
        const a = createBagScorer('tfidf-exact', buildInvertedIndex(bags.map((bag, i) => ({ id: i, bag }))));
        const b = createBagScorer('tfidf-exact', buildInvertedIndex(fb.map((bag, i) => ({ id: i, bag }))));
        const other = new Float32Array(n);
        scoreRow = (q) => {
          a.scoreAll(bags[q], buf);
          b.scoreAll(fb[q], other);
          for (let d = 0; d < n; d++) buf[d] += w * other[d];
          return buf;
        };
      } else {
        index ??= buildInvertedIndex(bags.map((bag, i) => ({ id: i, bag })));
        const scorer = createBagScorer(similarity, index);
        scoreRow = (q) => scorer.scoreAll(bags[q], buf);
      }
      const r = evaluateRanking(n, scoreRow, labels, domains);
      const row: EvalRow = {
        similarity,
        model: similarity.startsWith('dense') ? `${engine.backbone.name}/${engine.backbone.output} GeM` : model,
        resolution: requested.resolution,
        kernel: requested.kernel,
        padding: requested.padding,
        channelKgrams: requested.channelKgrams,
        collapseKgrams: requested.collapseKgrams,
        codes: requested.codes,
        heads: requested.heads,
        map: r.map,
        mapQueryRemoved: r.mapQueryRemoved,
        domains: r.domains,
        domainsQueryRemoved: r.domainsQueryRemoved,
        seconds: (performance.now() - t) / 1000,
      };
      rows.push(row);
      log(`${similarity}: mAP ${row.map.toFixed(4)} (query removed ${row.mapQueryRemoved.toFixed(4)}) in ${row.seconds.toFixed(1)} s`);
    }
    return rows;
  } finally {
    await engine.close();
  }
}

/** Token grids by path of another model setting's eval cache (filled on first use, like runEval's own). */
async function cachedGrids(dataset: string, settings: EngineSettings, opts: EvalOptions): Promise<Map<string, TokenGrid>> {
  const cacheDb = defaultEvalCache(dataset, settings);
  fs.mkdirSync(path.dirname(cacheDb), { recursive: true });
  const engine = await Engine.open(cacheDb, { settings, provider: opts.provider, log: opts.log, otherModel: 'rebuild' });
  try {
    await engine.index([path.resolve(dataset)], { onProgress: opts.onProgress, pipeline: { dense: true } });
    const out = new Map<string, TokenGrid>();
    for (const g of engine.store.iterGrids()) out.set(g.path, g.grid);
    return out;
  } finally {
    await engine.close();
  }
}
