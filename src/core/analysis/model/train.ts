// Trains the shared VQ codebook: backbone features of a set of labelled-or-not photos, each cell
// split into heads and L2-normalised exactly as the VQ graph does, a fixed-seed sample of those
// head vectors, then k-means++ / k-means.
import path from 'node:path';
import { scanToLists } from '../scan.js';
import { loadForModel } from '../decode/decode.js';
import { BackboneSession, type TokenizerOptions } from './tokenizer.js';
import { kmeans } from './kmeans.js';
import { mulberry32 } from '../../common/random.js';
import { normaliseHeads, type Codebook } from './vq.js';
import { codebookName, saveCodebook, type CodebookManifest } from './codebook.js';
import { learnPca, project, type PcaResult } from './pca.js';
import type { BackboneInfo } from './backbone.js';

export interface TrainOptions {
  /** Folder of class subfolders (default: ../shared/datasets/caltech101). */
  images: string;
  backbone: BackboneInfo;
  heads: number;
  codes: number;
  resolution: number;
  /** Photos taken from each class subfolder, first by name. */
  perClass: number;
  /** Head vectors kept for k-means. */
  vectors: number;
  /** Train one codebook per head (each on that head's vectors) instead of one shared. */
  perHead?: boolean;
  seed: number;
  iterations: number;
  /**
   * Learn a PCA projection of the cell vectors (channels -> pca dims, divisible by heads) and
   * quantize the projected, head-split vectors (docs/EVAL.md, "Vocabulary: codebook size and collapsed words"). Cells are then sampled whole: every
   * head of each sampled cell becomes a k-means vector.
   */
  pca?: number;
  /** With pca: whiten (scale each component to unit variance). */
  whiten?: boolean;
  outDir?: string;
  provider?: TokenizerOptions['provider'];
  log?: (msg: string) => void;
  /** Exactly these photos instead of `perClass` from each subfolder of `images` (a sample of a library). */
  files?: string[];
  /** After each photo is read (a library's model change shows it as progress). */
  onPhoto?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export async function trainCodebook(opts: TrainOptions): Promise<CodebookManifest> {
  const t0 = performance.now();
  const log = opts.log ?? (() => undefined);
  const byClass = new Map<string, string[]>();
  if (!opts.files) {
    const { files } = await scanToLists([opts.images]);
    for (const f of files) {
      const cls = path.dirname(f.path);
      byClass.set(cls, [...(byClass.get(cls) ?? []), f.path]);
    }
  }
  const chosen = opts.files ?? [...byClass.values()].flatMap((list) => list.sort().slice(0, opts.perClass));
  if (chosen.length === 0) throw new Error(`no photos found under ${opts.images}`);
  const channels = opts.backbone.channels;
  if (channels % opts.heads !== 0) throw new Error(`${channels} channels do not split into ${opts.heads} equal heads`);
  const pcaDims = opts.pca ?? 0;
  if (pcaDims > 0 && (pcaDims > channels || pcaDims % opts.heads !== 0)) throw new Error(`--pca ${pcaDims} must be at most ${channels} and divisible by ${opts.heads} heads`);
  const whiten = pcaDims > 0 && !!opts.whiten;
  const dim = (pcaDims || channels) / opts.heads;
  const perImage = Math.ceil(opts.vectors / chosen.length);
  // With PCA: whole cells, kept raw until the projection is learned.
  const cellsPerImage = Math.ceil(perImage / opts.heads);
  const raw = pcaDims > 0 ? new Float32Array(cellsPerImage * chosen.length * channels) : new Float32Array(0);
  let rawCount = 0;
  const session = await BackboneSession.open(opts.backbone, { provider: opts.provider });
  log(`Reading ${chosen.length} photos from ${opts.images} (${byClass.size} classes) on ${session.provider} ...`);
  const rand = mulberry32(opts.seed);
  const slots = (pcaDims > 0 ? cellsPerImage * opts.heads : perImage) * chosen.length;
  const points = new Float32Array(slots * dim);
  const headOf = new Uint8Array(slots);
  let count = 0;
  let used = 0;
  const cell = new Float32Array(channels);
  try {
    for (const [n, file] of chosen.entries()) {
      opts.signal?.throwIfAborted();
      if (n > 0) opts.onPhoto?.(n, chosen.length);
      let img;
      try {
        img = await loadForModel(file, opts.resolution, { minSide: opts.backbone.minSide });
      } catch (e) {
        log(`skipped ${file}: ${(e as Error).message}`);
        continue;
      }
      const feat = await session.features([img]);
      const data = feat.data as Float32Array;
      const [, C, h, w] = feat.dims;
      const cells = h * w;
      if (pcaDims > 0) {
        const take = Math.min(cellsPerImage, cells);
        const order = Uint32Array.from({ length: cells }, (_, i) => i);
        for (let i = 0; i < take; i++) {
          const j = i + Math.floor(rand() * (cells - i));
          [order[i], order[j]] = [order[j], order[i]];
        }
        for (let i = 0; i < take; i++) {
          const c = order[i];
          const off = rawCount++ * channels;
          for (let ch = 0; ch < C; ch++) raw[off + ch] = data[ch * cells + c];
        }
        used++;
        if (used % 100 === 0) log(`  ${used}/${chosen.length} photos, ${rawCount} cells`);
        continue;
      }
      const total = cells * opts.heads;
      // Sample (cell, head) pairs without replacement from this photo.
      const take = Math.min(perImage, total);
      const order = Uint32Array.from({ length: total }, (_, i) => i);
      for (let i = 0; i < take; i++) {
        const j = i + Math.floor(rand() * (total - i));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const byCell = new Map<number, number[]>();
      for (let i = 0; i < take; i++) {
        const c = Math.floor(order[i] / opts.heads);
        byCell.set(c, [...(byCell.get(c) ?? []), order[i] % opts.heads]);
      }
      const unit = new Float32Array(channels);
      for (const [c, hs] of byCell) {
        for (let ch = 0; ch < C; ch++) cell[ch] = data[ch * cells + c];
        normaliseHeads(cell, opts.heads, dim, unit, 0);
        for (const hd of hs) {
          headOf[count] = hd;
          points.set(unit.subarray(hd * dim, hd * dim + dim), count++ * dim);
        }
      }
      used++;
      if (used % 100 === 0) log(`  ${used}/${chosen.length} photos, ${count} head vectors`);
    }
    opts.onPhoto?.(chosen.length, chosen.length);
  } finally {
    await session.release();
  }
  opts.signal?.throwIfAborted();
  let pca: PcaResult | undefined;
  if (pcaDims > 0) {
    log(`PCA${whiten ? ' (whitened)' : ''} of ${rawCount} cell vectors: ${channels} -> ${pcaDims} dims ...`);
    pca = learnPca(raw, rawCount, channels, { dims: pcaDims, whiten, heads: opts.heads });
    log(`  kept components hold ${(pca.explained * 100).toFixed(1)}% of the variance`);
    const projected = new Float32Array(pcaDims);
    const unit = new Float32Array(pcaDims);
    for (let i = 0; i < rawCount; i++) {
      project(pca, raw.subarray(i * channels, (i + 1) * channels), projected);
      normaliseHeads(projected, opts.heads, dim, unit, 0);
      for (let hd = 0; hd < opts.heads; hd++) {
        headOf[count] = hd;
        points.set(unit.subarray(hd * dim, hd * dim + dim), count++ * dim);
      }
    }
  }
  const perHead = opts.perHead ?? false;
  const { centroids, inertia, iterations } = await clusterByHead(points.subarray(0, count * dim), headOf, dim, perHead, opts, log);
  const codebook: Codebook = {
    channels,
    heads: opts.heads,
    dim,
    codes: opts.codes,
    perHead,
    centroids,
    ...(pca ? { projection: { mean: pca.mean, matrix: pca.matrix } } : {}),
  };
  const name = codebookName(opts.backbone.name, opts.backbone.output, opts.heads, opts.codes, perHead, pcaDims, whiten);
  return saveCodebook(
    codebook,
    {
      name,
      backbone: opts.backbone.name,
      block: opts.backbone.output,
      backboneSha256: opts.backbone.sha256,
      preprocessing: opts.backbone.preprocessing,
      channels,
      heads: opts.heads,
      dim,
      codes: opts.codes,
      perHead,
      projection: pca ? 'pca' : 'none',
      ...(pca ? { pca: { dims: pcaDims, whiten, explained: Number(pca.explained.toFixed(4)) } } : {}),
      training: {
        images: opts.files ? `${opts.images} (${used} photos)` : `${path.basename(opts.images)} (${used} photos: first ${opts.perClass} of each of ${byClass.size} classes)`,
        imageCount: used,
        vectors: count,
        resolution: opts.resolution,
        seed: opts.seed,
        iterations,
        inertia,
        seconds: Math.round((performance.now() - t0) / 1000),
      },
    },
    opts.outDir,
  );
}

/**
 * k-means over the sampled head vectors: one codebook shared by all heads (perHead false), or one
 * per head on that head's vectors alone, each seeded from the run's seed plus its head.
 */
async function clusterByHead(
  points: Float32Array,
  headOf: Uint8Array,
  dim: number,
  perHead: boolean,
  opts: Pick<TrainOptions, 'heads' | 'codes' | 'iterations' | 'seed'>,
  log: (msg: string) => void,
): Promise<{ centroids: Float32Array; inertia: number; iterations: number }> {
  const count = points.length / dim;
  const groups = perHead ? Array.from({ length: opts.heads }, (_, h) => h) : [-1];
  const centroids = new Float32Array(groups.length * opts.codes * dim);
  let inertia = 0;
  let iterations = 0;
  for (const h of groups) {
    let subset = points;
    if (h >= 0) {
      const idx: number[] = [];
      for (let i = 0; i < count; i++) if (headOf[i] === h) idx.push(i);
      subset = new Float32Array(idx.length * dim);
      idx.forEach((i, j) => subset.set(points.subarray(i * dim, i * dim + dim), j * dim));
    }
    log(`k-means${h >= 0 ? ` (head ${h})` : ''}: ${subset.length / dim} vectors of ${dim} dims into ${opts.codes} codes ...`);
    const result = await kmeans(subset, dim, {
      k: opts.codes,
      iterations: opts.iterations,
      seed: opts.seed + Math.max(h, 0),
      onIteration: (it, value, moved) => log(`  iteration ${it + 1}: inertia ${value.toFixed(1)}, ${moved} moved`),
    });
    centroids.set(result.centroids, Math.max(h, 0) * opts.codes * dim);
    inertia += result.inertia;
    iterations = Math.max(iterations, result.iterations);
  }
  return { centroids, inertia, iterations };
}
