// The engine's public surface: the only module the shells (src/cli, src/server, src/main, src/preload)
// import from the core (`npm run lint` enforces it). Each name is listed explicitly, not `export *`, so
// what the shells depend on is visible in one place and an internal rename cannot leak out unnoticed.
// Grouped by pipeline stage, in the order of docs/ARCHITECTURE.md's data flow.

// common: the settings and names every shell parses from flags or shows in its help.
export { DEFAULT_SETTINGS, SIMILARITIES, kgramSettings, mergeSettings, storedSettings, type EngineSettings } from './common/settings.js';
export type { Similarity } from './common/types.js';

// analysis: the CLI says why a file was not read, and trains/imports/quantizes the model by hand.
export { notReadLabel } from './analysis/formats.js';
export { DEFAULT_MODELS_DIR, ensureInceptionBackbone, importOnnxBackbone } from './analysis/model/backbone.js';
export { trainCodebook } from './analysis/model/train.js';
export { QUANTIZE_DEFAULTS, quantizeBackbone, type CalibrationMethod } from './analysis/model/quantize.js';
// The model catalogue and its download cache: `photowords model list/add/remove` (docs/MODELS.md).
export { CATALOG, expectedGrid, fileFor, findEntry, gridFromOutput, loadCatalog, type CatalogEntry, type Variant } from './analysis/model/catalog.js';
export { ChecksumError, InterruptedError, OfflineError, downloadFile, sha256OfFile, type DownloadProgress } from './analysis/model/download.js';
export { installFromFile, installModel, installed, modelsCacheDir, removeModel, saveRecord, type InstallRecord } from './analysis/model/install.js';
export { probeModel, type Probe } from './analysis/model/probe.js';
export { wrapTokenBackbone } from './analysis/model/token-backbone.js';
export { prepareInstalled, type Prepared } from './analysis/model/prepare.js';
export { installVariant, int8Way } from './analysis/model/int8-here.js';

// Worker-thread entries: a bundled shell (Electron's utility process) must say where each thread's file
// was built, since the bundle moves it away from the module that starts it.
export { setTokenizerThreadEntry } from './analysis/model/tokenizer-worker.js';
export { setHeicThreadEntry } from './analysis/decode/heic-worker.js';
export { setLookThreadEntry } from './duplicates/look-prefetch.js';
export { setImpactThread } from './search/impact-worker.js';

// index: the CLI's progress bar reads the indexer's progress; the shells that sign in keep accounts in the index file.
export type { IndexProgress } from './index/indexer.js';
export type { DecisionKind, IndexStore } from './index/store.js';
export { AuthInputError, AuthStore, SESSION_MS, checkNewPassword, randomSecret, sameSecret } from './index/store/auth.js';

// search: `photowords explain` works on a read-only store without opening a Library.
export { DEFAULT_EXPLAIN_TOP, MAX_EXPLAIN_TOP, explainStored } from './search/explain.js';
export { LiveIndex } from './search/live-index.js';

// duplicates: `photowords duplicates` exposes the finder's knobs; its search, decisions and reports go
// through DuplicatesService, as in the app. The server sends the report under its own CSP.
export {
  ASPECT_TOLERANCE,
  DEFAULT_BURST_SECONDS,
  DEFAULT_NEIGHBOURS,
  DEFAULT_SENSITIVITY,
  DEFAULT_SIMILAR_SHOTS,
  PHASH_CONFIRM,
  PHASH_CONFIRM_COSINE,
  PHASH_SAME,
  PHASH_TURNED,
  openStoreForDuplicates,
  whyLinked,
} from './duplicates/find.js';
export { REPORT_CSP } from './duplicates/report.js';

// eval: `photowords eval` runs the benchmark suite.
export { EVAL_SIMILARITIES, parseEvalField, runEval, type EvalRow, type EvalSimilarity } from './eval/suite.js';

// library: the two facades (Engine for one-shot commands, Library for the app and `serve`), and the
// folder policy and request errors the server maps to HTTP.
export { Engine, loadBackbone } from './library/engine.js';
export { ApiError, Library, checkPathList } from './library/library.js';
// duplicates and decisions: one service for the app (inside Library) and `photowords duplicates/decide/decisions`.
export { DuplicatesService, storeSource } from './library/duplicates-service.js';
export { RootPolicy } from './library/roots.js';

// opensearch: export to and query an external search engine instead of the built-in index.
export { RemoteIndex, queryStats } from './opensearch/client.js';
export { engineQuery } from './opensearch/query.js';
export { exportForEngine, storeExportSource } from './opensearch/export.js';
