// Engine: one index file and the model that reads photos into it, tied together (settings ->
// model -> store -> pipeline -> queries): open, index folders or files, describe a photo, rank the
// library against it (search/ranker.ts), and what the index holds. It has no app state (folders,
// watching, runs, decisions, trash, events: those are Library's, library.ts, which holds one
// Engine and reopens it when settings change). One-shot commands use it alone: the CLI's index,
// similar and info, eval, the bench. Nothing here knows about Electron.
import fs from 'node:fs';
import path from 'node:path';
import { FingerprintMismatchError, IndexStore } from '../index/store.js';
import { ensureInceptionBackbone, type BackboneInfo } from '../analysis/model/backbone.js';
import { codebookName, loadCodebook, type CodebookManifest } from '../analysis/model/codebook.js';
import { ensureInt8Backbone } from '../analysis/model/quantize.js';
import type { ProviderChoice, TokenizerApi } from '../analysis/model/tokenizer.js';
import { TokenizerPool } from '../analysis/model/tokenizer-worker.js';
import os from 'node:os';
import { indexFiles, indexFolders, type IndexOptions, type IndexReport, type PipelineSettings } from '../index/indexer.js';
import type { FileInfo } from '../index/store.js';
import { notReadLabel } from '../analysis/formats.js';
import { readImageFile, decodeForModel, type PhotoSource } from '../analysis/decode/decode.js';
import { photoSource, photoSourceFromBytes } from '../analysis/decode/source.js';
import { bagFromGrid } from '../analysis/kgrams.js';
import type { InvertedIndex } from '../search/inverted-index.js';
import type { ImpactIndex } from '../search/impact-index.js';
import type { LiveIndex } from '../search/live-index.js';
import { Ranker } from '../search/ranker.js';
import { DEFAULT_SETTINGS, fingerprint, kgramSettings, mergeSettings, storedSettings, validateSettings, withOverrides, type EngineSettings } from '../common/settings.js';
import type { Bag, RankedPhoto, Similarity, TokenGrid } from '../common/types.js';
import type { RemoteIndex } from '../opensearch/client.js';

export interface OpenEngineOptions {
  /** Settings to use; where left out, those the index was built with (or the defaults for a new one). */
  settings?: Partial<EngineSettings>;
  rebuild?: boolean;
  /**
   * An index built by another model (another backbone or codebook checksum under the same
   * settings): 'refuse' (default) throws FingerprintMismatchError, naming --rebuild; 'rebuild'
   * starts it again on the same settings, as the app's library and eval's caches do (clearing
   * only what the model made: folders, decisions and preferences stay).
   */
  otherModel?: 'refuse' | 'rebuild';
  provider?: ProviderChoice;
  log?: (msg: string) => void;
}

/** The engine's answer to "photos like this file" (the CLI prints it); the app's is src/shared/api.ts SimilarResult. */
export interface Ranking {
  query: { path: string; indexed: boolean };
  similarity: Similarity;
  results: RankedPhoto[];
  queryMs: number;
}

export async function loadBackbone(s: EngineSettings, log?: (m: string) => void): Promise<BackboneInfo> {
  if (s.precision === 'int8') {
    // Quantized (and calibrated) on first use; its codebooks are the float graph's.
    if (s.backbone !== 'inception_v3') throw new Error(`precision int8 is available for the built-in inception_v3 backbone only, not ${s.backbone}`);
    return ensureInt8Backbone(s.block, undefined, log);
  }
  if (s.backbone === 'inception_v3') return ensureInceptionBackbone(s.block, undefined, log);
  const manifest = s.backbone.replace(/\.onnx$/i, '.json');
  if (!fs.existsSync(manifest)) throw new Error(`backbone ${s.backbone} has no manifest ${manifest}; import it with: photowords model import`);
  const info = JSON.parse(fs.readFileSync(manifest, 'utf8')) as BackboneInfo;
  return { ...info, path: path.resolve(path.dirname(manifest), path.basename(info.path)) };
}

export class Engine {
  /** The in-memory query structures over the store, built on first use (search/ranker.ts). */
  private readonly ranker: Ranker;
  /**
   * Set by `--engine URL` (similar, serve): 'tfidf' queries go to that OpenSearch/Elasticsearch
   * index (an export of this library) instead of the in-memory one; the other scorers stay local.
   */
  remote?: RemoteIndex;

  private constructor(
    readonly store: IndexStore,
    readonly settings: EngineSettings,
    readonly tokenizer: TokenizerApi,
    readonly backbone: BackboneInfo,
    readonly codebook: CodebookManifest,
    log?: (msg: string) => void,
  ) {
    this.ranker = new Ranker(store, log);
  }

  static async open(dbPath: string, opts: OpenEngineOptions = {}): Promise<Engine> {
    const stored = fs.existsSync(dbPath) ? storedSettings(IndexStore.readSettings(dbPath) as Partial<EngineSettings> | undefined) : undefined;
    const settings = mergeSettings(DEFAULT_SETTINGS, opts.rebuild ? undefined : stored, opts.settings);
    validateSettings(settings);
    const backbone = await loadBackbone(settings, opts.log);
    const cbName = codebookName(backbone.name, backbone.output, settings.heads, settings.codes, settings.perHeadCodebook, settings.pca, settings.whiten);
    // A downloaded model's codebook, learned from the library's photos, lives beside it in the model
    // cache (resources/models is read-only in a packaged app): docs/MODELS.md, "Switching models".
    const beside = settings.backbone === 'inception_v3' ? null : path.join(path.dirname(settings.backbone), 'codebooks');
    const { codebook, manifest } = loadCodebook(cbName, beside && fs.existsSync(path.join(beside, `${cbName}.json`)) ? beside : undefined);
    // A derived (int8) backbone uses the codebooks of the graph it was made from.
    const trainedOn = backbone.sourceSha256 ?? backbone.sha256;
    if (manifest.backboneSha256 !== trainedOn) {
      throw new Error(
        `codebook ${manifest.name} was trained on another build of ${backbone.name}/${backbone.output} ` +
          `(sha256 ${manifest.backboneSha256.slice(0, 12)}, this one ${trainedOn.slice(0, 12)}); retrain it with: photowords codebook train --block ${backbone.output} --codes ${settings.codes}${settings.pca ? ` --pca ${settings.pca}${settings.whiten ? ' --whiten' : ''}` : ''}`,
      );
    }
    const fp = fingerprint(settings, backbone.sha256, manifest.sha256);
    let store: IndexStore;
    try {
      store = IndexStore.open(dbPath, { fingerprint: fp, settings, rebuild: opts.rebuild, log: opts.log });
    } catch (e) {
      if (opts.otherModel !== 'rebuild' || !(e instanceof FingerprintMismatchError)) throw e;
      (opts.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(
        `the index ${dbPath} was built by another model (fingerprint ${e.stored}, now ${fp}); its words are not comparable with new ones, so every photo is indexed again (what is not the model's, such as folders and duplicate decisions, is kept)`,
      );
      store = IndexStore.open(dbPath, { fingerprint: fp, settings, rebuild: true, log: opts.log });
    }
    try {
      // The model runs in worker threads so that this thread stays free for the pipeline's own
      // work; up to 4 single-session workers share the cores (tokenizer-worker.ts says why).
      const cores = os.availableParallelism();
      const workers = Math.min(cores, 4);
      const tokenizer = await TokenizerPool.create(backbone, codebook, {
        provider: opts.provider,
        workers,
        threads: Math.max(1, Math.floor(cores / workers)),
        top2: settings.softAssign > 0,
      });
      return new Engine(store, settings, tokenizer, backbone, manifest, opts.log);
    } catch (e) {
      store.close();
      throw e;
    }
  }

  pipelineSettings(overrides: Partial<PipelineSettings> = {}): PipelineSettings {
    return withOverrides<PipelineSettings>(
      {
        resolution: this.settings.resolution,
        kgrams: kgramSettings(this.settings),
        // One photo per call is as fast as any batch on a CPU; a GPU wants bigger ones.
        batchSize: this.tokenizer.provider === 'cpu' ? 1 : 8,
        decodeConcurrency: 2,
      },
      overrides,
    );
  }

  async index(dirs: string[], opts: IndexOptions & { pipeline?: Partial<PipelineSettings> } = {}): Promise<IndexReport> {
    for (const d of dirs) {
      if (!fs.existsSync(d)) throw new Error(`folder not found: ${d}`);
      if (!fs.statSync(d).isDirectory()) throw new Error(`not a folder: ${d}`);
    }
    const report = await indexFolders(
      dirs.map((d) => path.resolve(d)),
      this.store,
      this.tokenizer,
      this.pipelineSettings(opts.pipeline),
      { ...opts, includeHidden: opts.includeHidden ?? this.includeHidden },
    );
    this.refreshQueries();
    return report;
  }

  /**
   * Indexes an explicit list of files through the same pipeline (the watcher's change sets and a
   * reconcile's new and edited files). Queries are not refreshed here: the caller decides when.
   */
  async indexFiles(files: Iterable<FileInfo>, opts: IndexOptions & { pipeline?: Partial<PipelineSettings> } = {}): Promise<IndexReport> {
    return indexFiles(files, this.store, this.tokenizer, this.pipelineSettings(opts.pipeline), opts);
  }

  /** The in-memory inverted index over every stored bag, built on first use. */
  invertedIndex(): InvertedIndex {
    return this.ranker.invertedIndex();
  }

  /**
   * The default query path (two-stage TF-IDF over impact-ordered postings) with the library's
   * changes since its last build on top (search/ranker.ts).
   */
  liveIndex(): LiveIndex {
    return this.ranker.liveIndex();
  }

  /** The last built ImpactIndex (photos stored since it was built are not in it: see liveIndex()). */
  impactIndex(): ImpactIndex {
    return this.ranker.liveIndex().snapshot();
  }

  /** Words of a photo: from the index when it is there and unchanged, else by running the model. */
  async describe(file: string): Promise<{ grid: TokenGrid; bag: Bag; indexed: boolean; id?: number }> {
    const abs = path.resolve(file);
    const rec = this.store.getByPath(abs);
    if (rec && rec.status === 'indexed') {
      const st = fs.statSync(abs, { throwIfNoEntry: false });
      if (!st || (st.size === rec.size && st.mtimeMs === rec.mtimeMs)) {
        return { grid: this.store.getGrid(rec.id)!, bag: this.store.getBag(rec.id)!, indexed: true, id: rec.id };
      }
    }
    const f = await readImageFile(abs);
    return { ...(await this.describeSource(await photoSource(abs, f, this.settings.resolution))), indexed: false };
  }

  /**
   * Words of an image held in memory (a photo dropped into the app from outside the library);
   * `name` is its file name, which picks the reader (HEIC, RAW ...).
   */
  async describeBytes(buffer: Buffer, name: string): Promise<{ grid: TokenGrid; bag: Bag }> {
    return this.describeSource(await photoSourceFromBytes(name, buffer, this.settings.resolution));
  }

  private async describeSource(source: PhotoSource): Promise<{ grid: TokenGrid; bag: Bag }> {
    const img = await decodeForModel(source, this.settings.resolution, { minSide: this.backbone.minSide });
    const [r] = await this.tokenizer.run([img]);
    return { grid: r.grid, bag: bagFromGrid(r.grid, kgramSettings(this.settings)) };
  }

  async similar(file: string, opts: { top?: number; similarity?: Similarity } = {}): Promise<Ranking> {
    const q = await this.describe(file);
    return { query: { path: path.resolve(file), indexed: q.indexed }, ...(await this.rankAny(q, opts)) };
  }

  /** rank(), or for 'tfidf' the remote index's ranking when one is set (queryMs then includes the round trip). */
  async rankAny(q: { grid: TokenGrid; bag: Bag }, opts: { top?: number; similarity?: Similarity } = {}): Promise<Omit<Ranking, 'query'>> {
    const similarity = opts.similarity ?? 'tfidf';
    if (!this.remote || similarity !== 'tfidf') return this.rank(q, opts);
    const { hits, ms } = await this.remote.search(q.bag, opts.top ?? 20);
    // Ids are the library's own (the export's _id), so paths come from the index as it is now.
    return { similarity, results: hits.map((h) => ({ id: h.id, score: h.score, path: this.store.getById(h.id)?.path ?? h.path })), queryMs: ms };
  }

  /** Ranks the library against a photo's words. */
  rank(q: { grid: TokenGrid; bag: Bag }, opts: { top?: number; similarity?: Similarity } = {}): Omit<Ranking, 'query'> {
    return this.ranker.rank(q, opts);
  }

  /**
   * The store changed: the next query sees the index as stored now (search/ranker.ts). The app
   * calls this while a long indexing run goes on, the end of a run does it by itself.
   */
  refreshQueries(): void {
    this.ranker.refresh();
  }

  /**
   * Whether dot-named files and folders are read as photos (else counted as not read, kind
   * 'hidden'): kept with the index, so `photowords index --include-hidden`, `serve` and the app
   * share one setting. Off by default: hidden folders are mostly caches, trash and app data.
   */
  get includeHidden(): boolean {
    return this.store.getPref('includeHidden') === 'true';
  }

  set includeHidden(on: boolean) {
    this.store.setPref('includeHidden', String(on));
  }

  info() {
    const stats = this.store.stats();
    const notRead = this.store.notReadSummary(undefined, 3).map((k) => ({ ...k, label: notReadLabel(k.kind, k.files) }));
    return {
      db: this.store.path,
      photos: { indexed: stats.indexed, failed: stats.failed, notRead: notRead.reduce((n, k) => n + k.files, 0) },
      includeHidden: this.includeHidden,
      notRead,
      terms: stats.terms,
      settings: this.settings,
      model: {
        backbone: this.backbone.name,
        block: this.backbone.output,
        backboneSha256: this.backbone.sha256,
        codebook: this.codebook.name,
        codebookSha256: this.codebook.sha256,
        executionProvider: this.tokenizer.provider,
        unavailableProviders: this.tokenizer.unavailable,
      },
      failures: this.store.failures(),
      notes: this.store.notes(),
    };
  }

  async close(): Promise<void> {
    await this.remote?.close();
    await this.ranker.close();
    await this.tokenizer.release();
    this.store.close();
  }
}
