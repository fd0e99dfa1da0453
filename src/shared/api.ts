// The one definition of what the UI can ask of the engine, shared by every process: the Vue
// renderer, Electron's preload and main, the indexing utility process, and the HTTP server of
// `photowords serve`. Types and constants only, so the sandboxed renderer can import it too.
//
// Every method takes and returns plain JSON-able data (structured-clone-able for Electron's IPC),
// except similarToFile's bytes, which each transport carries its own way (an ArrayBuffer over
// IPC, a raw request body over HTTP).

// Defined here once (the renderer may import only src/shared); the core's names for them are aliases:
// Similarity (src/core/common/types.ts) and ProviderChoice (src/core/analysis/model/tokenizer.ts).
export type SimilarityName = 'tfidf' | 'tfidf-exact' | 'tfidf-raw' | 'bm25' | 'jaccard' | 'cropjaccard';
export type ProviderName = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml';

/** Why a file under a library folder is not read as a photo (the core calls it NotReadKind: src/core/analysis/formats.ts). */
export type NotReadKindName = 'video' | 'sidecar' | 'live-photo-video' | 'hidden' | 'unsupported' | 'too-small';

/** Files not read of one kind under a folder. */
export interface NotReadGroup {
  kind: NotReadKindName;
  /** In words, for the UI ("videos", "in hidden folders" ...). */
  label: string;
  files: number;
  /** A few of their paths, first in path order (a hidden folder stands for all its files). */
  examples: string[];
}

export interface FolderInfo {
  id: number;
  path: string;
  /** Photos under this folder that are indexed. */
  photos: number;
  /** Files under it that could not be read, with their reasons in IndexStatus.failures. */
  failed: number;
  /**
   * Files under it that are not read as photos (videos, sidecars, hidden folders, unsupported
   * formats, too small), as of the last scan; so photos + failed + notRead is every file.
   */
  notRead: number;
  /** notRead by kind, in a fixed order, kinds with no file left out. */
  notReadKinds: NotReadGroup[];
  /** False while the folder cannot be reached (an unplugged disk, a removed share). */
  online: boolean;
}

export interface PhotoSummary {
  id: number;
  path: string;
  /** File name, for captions. */
  name: string;
  width: number | null;
  height: number | null;
  /**
   * When it was taken, as the camera's wall clock ("2024-05-03T14:22:10", no zone: EXIF has none);
   * without EXIF the file's modification time in the engine's local time (takenFrom 'mtime');
   * null while an older index's dates are still being read. Always present in listPhotos pages.
   */
  taken?: string | null;
  takenFrom?: 'exif' | 'mtime' | null;
  /** File size in bytes as indexed. Always present in listPhotos pages. */
  bytes?: number;
}

export interface PhotoPage {
  /** How many photos match, so a virtual grid can size itself before it has them all. */
  total: number;
  offset: number;
  items: PhotoSummary[];
}

export interface PhotoDetail extends PhotoSummary {
  size: number;
  mtimeMs: number;
  hash: string | null;
  folderId: number | null;
}

/**
 * What the preview's info panel shows about one photo (photoInfo): the file as it is now, and what
 * its metadata says about the shot. Read from the file on each call (src/core/browse/photoinfo.ts).
 */
export interface PhotoInfo {
  id: number;
  path: string;
  name: string;
  /** The folder holding the file. */
  folder: string;
  /** Pixels as shown (EXIF turn applied), as indexed; null when unknown. */
  width: number | null;
  height: number | null;
  /** The file's size now. */
  bytes: number;
  /** The file's last change, ms since 1970. */
  modifiedMs: number;
  /** The format in words ('JPEG', 'PNG', 'HEIC', 'Canon RAW (CR3)', 'PNG (named .jpg)'). */
  type: string;
  mime: string | null;
  /** Whether the image has an alpha channel (may be transparent); null when not known for its format. */
  alpha: boolean | null;
  /**
   * When it was taken, as the camera's clock read it: 'YYYY-MM-DDTHH:MM:SS', no time zone applied
   * (EXIF DateTimeOriginal, else CreateDate); null when the file does not say.
   */
  taken: string | null;
  /** The camera's offset from UTC when it wrote one ('+02:00'). */
  takenOffset: string | null;
  camera: string | null;
  lens: string | null;
  /** Seconds. */
  exposureTime: number | null;
  fNumber: number | null;
  iso: number | null;
  /** Millimetres; focalLength35 is the 35 mm film equivalent when the camera wrote it. */
  focalLength: number | null;
  focalLength35: number | null;
  /** Whether the flash fired; null when not recorded. */
  flash: boolean | null;
  /** Where it was taken (EXIF GPS, WGS 84 decimal degrees; altitude in metres above sea level). */
  place: { latitude: number; longitude: number; altitude: number | null } | null;
  /** Why no camera details are shown though the format may hold them (not readable yet, broken); else null. */
  metadataNote: string | null;
}

export type PhotoSortName = 'taken' | 'name' | 'size' | 'type';
export type SortOrderName = 'asc' | 'desc';

export interface ListPhotosQuery {
  /** Only photos under this library folder; all folders when left out. */
  folderId?: number;
  /** Only photos under this folder (an absolute path inside a library folder, or inside folderId's). */
  under?: string;
  /** Only photos whose file name contains this, ignoring case. */
  search?: string;
  /** 'taken' (the default): date taken; 'name'; 'size'; 'type' (the file's extension, then name). */
  sort?: PhotoSortName;
  /** Default per sort: taken newest first (desc), name A-Z (asc), size largest first (desc), type A-Z (asc). */
  order?: SortOrderName;
  offset: number;
  limit: number;
}

/** The photos a listPhotos query would list, counted by date taken (for section headers and a date scrubber). */
export type PhotoDatesQuery = Omit<ListPhotosQuery, 'offset' | 'limit' | 'sort'>;

export interface PhotoDates {
  /** Photos matched (the days' counts plus undated). */
  total: number;
  /** In listPhotos order with sort 'taken' and this order: the n-th photo lies in the day where the running count passes n. */
  order: SortOrderName;
  /** 'YYYY-MM-DD' of the wall clock taken, with its photo count; days without photos left out. */
  days: { day: string; count: number }[];
  /** The same by month ('YYYY-MM'). */
  months: { month: string; count: number }[];
  /** Photos whose date is not read yet (an older index being filled in); listed last newest-first, first oldest-first. */
  undated: number;
}

/** A folder below a library folder that holds photos (directly or further down). */
export interface SubfolderNode {
  path: string;
  name: string;
  /** Indexed photos in it and below it. */
  photos: number;
  /** Sorted by name, ignoring case, numbers in natural order ("2" before "10"). */
  children: SubfolderNode[];
}

export interface SimilarOptions {
  /** How many results (default 50). */
  top?: number;
  /** Scoring; the library's setting when left out. */
  similarity?: SimilarityName;
}

export interface SimilarItem extends PhotoSummary {
  score: number;
}

export interface SimilarResult {
  /** The photo asked about: a library photo (id) or a file from outside it (no id, no path). */
  query: { id?: number; path?: string; name: string; indexed: boolean; /** similarToMany: the chosen photos (left out of results). */ ids?: number[] };
  /** Ranked by score, best first; a library query photo is itself among them (usually first). */
  results: SimilarItem[];
  similarity: SimilarityName;
  /**
   * True when no result but the query itself scores as near (src/core/search/nearness.ts; the rule and
   * its measurements: docs/EVAL.md, "Nothing close"); absent for scorings without a measured rule.
   */
  nothingClose?: boolean;
  /** Time of the ranking alone, and of the whole request including reading and tokenizing. */
  queryMs: number;
  totalMs: number;
}

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

export type IndexState = 'idle' | 'scanning' | 'indexing' | 'paused' | 'error';

export interface IndexFailure {
  path: string;
  reason: string;
}

export interface IndexStatus {
  state: IndexState;
  /** Photos to read in this run (unchanged ones are skipped and not counted). */
  total: number;
  done: number;
  indexed: number;
  failed: number;
  skipped: number;
  imagesPerSecond: number;
  etaSeconds: number;
  /** The file being read. */
  current?: string;
  /** Indexed photos in the whole library. */
  libraryPhotos: number;
  /** The most recent failures (all runs), newest first, at most 200. */
  failures: IndexFailure[];
  failuresTotal: number;
  /** A sentence for the person when state is 'error' or something needs their attention. */
  message?: string;
  /** Execution provider the model runs on ('cpu', 'cuda', ...). */
  provider: string;
}

export interface UserSettings {
  /** Longest side photos are read at. */
  resolution: number;
  kernel: number;
  padding: number;
  similarity: SimilarityName;
  provider: ProviderName;
  /** Read photos in dot-named (hidden) folders too; off, their files are counted as not read. */
  includeHidden: boolean;
}

export interface SettingsView {
  settings: UserSettings;
  /** What each setting may be set to. */
  choices: {
    resolution: number[];
    kernel: number[];
    padding: number[];
    similarity: SimilarityName[];
    provider: ProviderName[];
    includeHidden: boolean[];
  };
  /** Settings whose change means reading every photo again. */
  reindexKeys: (keyof UserSettings)[];
  /** Providers this machine cannot use, and why. */
  unavailableProviders: string[];
  activeProvider: string;
}

export interface SettingsChangeResult extends SettingsView {
  /** True when the change started re-indexing the library from scratch. */
  reindexing: boolean;
  message: string;
}

export interface DuplicatesOptions {
  /**
   * How alike two photos must be to count as near duplicates: the least TF-IDF cosine of their
   * visual words, above 0 and at most 1 (the engine's DEFAULT_SENSITIVITY when left out). Higher
   * finds fewer, closer copies; exact copies (same bytes) are found whatever the value.
   */
  sensitivity?: number;
  /**
   * How alike two different photos of one scene must be to be listed as "similar shots" (the
   * least TF-IDF cosine, above 0 and at most 1; the engine's DEFAULT_SIMILAR_SHOTS when left out).
   */
  similarShots?: number;
  /** Similar shots taken within this many seconds of each other (EXIF) are a burst (default: the engine's). */
  burstSeconds?: number;
}

/** How a photo came into its "same photo" group: its link to the keeper (or, linked to every member, its strongest). */
export interface DuplicateLinkView {
  /** Id of the member it is linked to. */
  to: number;
  /** 'bytes': same file content; 'phash' / 'phash+words': perceptual hash (and visual words); 'words': visual words; 'turned': a mirrored or turned copy; 'crop': a crop of the keeper. */
  by: 'bytes' | 'phash' | 'phash+words' | 'words' | 'turned' | 'crop';
  /** Cosine for word links, 1 - bits/64 for hash links, 1 for bytes. */
  score: number;
  /** Perceptual-hash bits apart (of 64), for hash links. */
  distance?: number;
  transform?: PhotoTransform;
}

/** A flip or quarter turn that makes one photo (nearly) the other. */
export type PhotoTransform = 'identity' | 'mirror' | 'flip' | 'rot90' | 'rot180' | 'rot270' | 'transpose' | 'transverse';

export interface DuplicatePhoto extends PhotoSummary {
  /** File size in bytes as indexed. */
  size: number;
  /** Modification time as indexed (ms since 1970). */
  mtimeMs: number;
  /** EXIF capture date (ISO), when the keeper choice had to read it; null when it has none. */
  captureDate?: string | null;
  hash: string | null;
  /** TF-IDF cosine to the group's suggested keeper (1 for the keeper and its byte-for-byte copies). */
  score: number;
  /** Same bytes as the keeper. */
  identical: boolean;
  /** The suggested copy to keep. */
  keep: boolean;
  /** How it joined the group, and the same in words ("mirrored copy, hash 2 bits apart", "visual words 0.62"). */
  link?: DuplicateLinkView;
  why?: string;
  /** Bits (of 64) between its perceptual hash and the keeper's, when both have one. */
  phashDistance?: number;
  /** A flip or quarter turn of the keeper, when this copy is one. */
  transform?: PhotoTransform;
  /** Why it is never offered for the trash though it is in the group ("raw+jpeg pair"). */
  protect?: string;
}

export interface DuplicateGroupView {
  /** 'exact': every photo has the same bytes; 'near': at least one differs. */
  tier: 'exact' | 'near';
  /** The suggested keeper first, then by similarity to it. */
  members: DuplicatePhoto[];
  /** Id of the suggested keeper. */
  keeper: number;
  /** Why that one, in words ("largest pixel count (4000×3000)"). */
  reason: string;
  /** Stable for the same contents: names the group across searches. */
  key: string;
  /** RAW + JPEG siblings, and copies named like an edit of another ("(1)", "-edited"): a note, not clutter. */
  related?: { a: number; b: number; kind: 'raw+jpeg' | 'edited-copy' }[];
  /** The person's decision that shaped it: a chosen keeper, or "keep all" (then it is in keptAll). */
  decision?: { id: number; kind: 'keeper' | 'keep-all' };
}

/** A photo of a "similar shots" group. */
export interface SimilarShotPhoto extends PhotoSummary {
  size: number;
  hash: string | null;
  /** TF-IDF cosine to the group's first photo (1 for that one). */
  score: number;
  captureDate?: string;
  /** Key of its "same photo" group, when it also has copies of itself. */
  duplicateGroup?: string;
}

/** "Similar shots": different photos of one scene (look-alikes, bursts). Never offered for the trash. */
export interface SimilarShotGroup {
  /** 'burst': all taken within burstSeconds by EXIF; else 'look-alike'. */
  kind: 'burst' | 'look-alike';
  key: string;
  members: SimilarShotPhoto[];
}

export interface DuplicatesResult {
  /** "Same photo": exact and near copies, each group with a suggested keeper. */
  groups: DuplicateGroupView[];
  /** "Similar shots": look-alikes and bursts. */
  similar: SimilarShotGroup[];
  /** Groups the person chose to keep whole, hidden from `groups` while their photos are unchanged. */
  keptAll: DuplicateGroupView[];
  /** Decisions stored in the index. */
  decisions: number;
  /** Indexed photos compared. */
  photos: number;
  sensitivity: number;
  /** The engine's default sensitivity, for the control's reset. */
  defaultSensitivity: number;
  similarShots: number;
  defaultSimilarShots: number;
  burstSeconds: number;
  ms: number;
}

/** What a person decided about a group: 'not-duplicates' (dismissed), 'keep-all', or 'keeper' (this one is the copy to keep). */
export type DecisionKind = 'not-duplicates' | 'keep-all' | 'keeper';

export interface DecisionRequest {
  kind: DecisionKind;
  /** The photos (ids) it covers: a group's members. */
  ids: number[];
  /** For 'keeper': the id of the photo to keep, one of `ids`. */
  keeper?: number;
}

/** A stored decision, as the Decisions list shows it. Stored by content, so renames and moves keep it. */
export interface DecisionView {
  id: number;
  kind: DecisionKind;
  /** When it was made (ms since 1970). */
  createdAt: number;
  /** The photos that hold its contents now (a content held by none: `missing` counts it). */
  photos: PhotoSummary[];
  /** The chosen keeper's photos now, for 'keeper'. */
  keeper: PhotoSummary[] | null;
  /** Contents no photo holds any more (changed or removed). */
  missing: number;
  /** A photo changed or is gone: the decision no longer covers it, and its new content is judged afresh. */
  stale: boolean;
}

/** What "Move to trash" did: the file is in the system's trash and the library has forgotten it. */
export interface TrashResult {
  path: string;
  name: string;
  /** Its size as indexed. */
  bytes: number;
  /** Indexed photos left in the library. */
  libraryPhotos: number;
  message: string;
}

/** What moving several photos to the trash did, photo by photo: one failing loses nothing of the others. */
export interface TrashManyResult {
  /** In the system's trash and forgotten by the library (and listed by listTrashed). */
  trashed: { path: string; bytes: number }[];
  /** Left where they were, each with why. */
  failed: { path: string; reason: string }[];
  /** Indexed photos left in the library. */
  libraryPhotos: number;
  message: string;
}

/** A file Photowords moved to the system's trash, as the Trash view lists it. */
export interface TrashedPhoto {
  id: number;
  /** Where it was (and where Restore puts it back). */
  path: string;
  name: string;
  /** The library folder it was under. */
  folder: string | null;
  bytes: number;
  width: number | null;
  height: number | null;
  /** When Photowords trashed it (ms since 1970). */
  trashedAt: number;
  /** Restore can put it back now. */
  restorable: boolean;
  /** Why not, when not ("no longer in the trash", "a file is at its place now"). */
  note?: string;
}

export interface TrashedList {
  /** Newest first. */
  items: TrashedPhoto[];
  /** Whether this system lets Photowords put files back from its trash (the XDG trash on Linux). */
  restoreSupported: boolean;
  /** Where the files are, and on a system without Restore how to put them back by hand. */
  message: string;
}

/** What Restore did, file by file. */
export interface RestoreResult {
  /** Back where they were; the library indexes them again. */
  restored: { id: number; path: string }[];
  /** Still in the trash (or gone from it), each with why. */
  failed: { id: number; path: string; reason: string }[];
  message: string;
}

/**
 * One photo of an explained pair. The token grid covers the whole photo as displayed (EXIF
 * orientation applied, resized to fill), so cell (y, x) is the rectangle from x/width to
 * (x+1)/width of the photo's width and y/height to (y+1)/height of its height.
 */
export interface ExplainedPhoto extends PhotoSummary {
  grid: { heads: number; height: number; width: number };
  /**
   * Row-major height x width: each cell's share of the cosine, summed over heads. Cells holding
   * no shared word are 0; the whole map sums to the cosine (less `unplaced`, normally 0).
   */
  weights: number[];
  /** Largest cell weight, for scaling a heat map. */
  max: number;
  /** Contribution of shared words no cell of this photo's stored grid holds (an index older than its grid); normally 0. */
  unplaced: number;
}

/** A visual word both photos hold. */
export interface ExplainedWord {
  term: number;
  /** Head of the word; null for 3D (channel) k-grams, whose words are shared across heads. */
  head: number | null;
  token: number;
  /** Window offset [dy, dx] of a per-offset word (or [dc, dy, dx] for 3D); null for collapsed words. */
  offset: number[] | null;
  /** Its term of the cosine, w_a * w_b. */
  contribution: number;
  /** contribution / cosine. */
  share: number;
  /** Cells [y, x] of each photo that hold it (heads merged). */
  cells: { a: number[][]; b: number[][] };
}

/** Why two photos match: where their shared visual words lie, and which words weigh most. */
export interface PairExplanation {
  a: ExplainedPhoto;
  b: ExplainedPhoto;
  /** TF-IDF cosine of the pair, as the index scores it (the sum of every shared word's contribution). */
  cosine: number;
  /** How many distinct words the two share. */
  sharedWords: number;
  /** The words with the largest contributions, largest first. */
  words: ExplainedWord[];
  kgrams: { kernel: number; padding: number; collapsed: boolean; channel: boolean };
}

export interface ExplainOptions {
  /** How many top words to list (default 20, at most 500). */
  top?: number;
}

/** The duplicates report's formats: a self-contained HTML page, or one row per photo. */
export const REPORT_FORMATS = ['html', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The file name a report is offered under: photowords-duplicates-2025-06-01.html. */
export function reportFileName(format: ReportFormat, now: Date = new Date()): string {
  const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  return `photowords-duplicates-${day}.${format}`;
}

export const REPORT_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** How an export ended: saved (where, when the shell knows), or cancelled in the save dialog. */
export interface ExportOutcome {
  saved: boolean;
  /** The file written (Electron); a browser download says only its name. */
  path?: string;
  name: string;
}

/** A checked export, ready to download once (HTTP.exportDownload). */
export interface ExportTicket {
  ticket: string;
  /** The download's file name: the photo's own, or photowords-export-2026-12-06.zip. */
  name: string;
  files: number;
  bytes: number;
}

/** What the engine side answers. Every transport exposes exactly these, by these names. */
export interface PhotowordsBackend {
  listFolders(): Promise<FolderInfo[]>;
  /** Adds a library folder and starts indexing it. Errors: not found, not a folder, already in the library. */
  addFolder(path: string): Promise<FolderInfo>;
  /** Removes a folder and its photos from the index (never the files themselves). */
  removeFolder(id: number): Promise<void>;
  listPhotos(q: ListPhotosQuery): Promise<PhotoPage>;
  /** Photos per day and month taken, for the same filter as listPhotos. */
  photoDates(q: PhotoDatesQuery): Promise<PhotoDates>;
  /** The folders below a library folder, as a tree (the root is the library folder itself). */
  listSubfolders(folderId: number): Promise<SubfolderNode>;
  photo(id: number): Promise<PhotoDetail>;
  /** The preview's info panel: the file now and what its metadata says (date taken, camera, lens, exposure, place). */
  photoInfo(id: number): Promise<PhotoInfo>;
  similar(id: number, opts?: SimilarOptions): Promise<SimilarResult>;
  similarToFile(file: UploadedFile, opts?: SimilarOptions): Promise<SimilarResult>;
  status(): Promise<IndexStatus>;
  pause(): Promise<IndexStatus>;
  resume(): Promise<IndexStatus>;
  getSettings(): Promise<SettingsView>;
  setSettings(change: Partial<UserSettings>): Promise<SettingsChangeResult>;
  /** Groups of duplicate photos (exact copies and near copies), each with a suggested keeper. */
  duplicates(opts?: DuplicatesOptions): Promise<DuplicatesResult>;
  /**
   * Moves an indexed library photo to the operating system's trash (never a plain delete) and
   * removes it from the index. Errors: not a photo of the library, changed since it was indexed,
   * no trash on that disk.
   */
  trashPhoto(path: string): Promise<TrashResult>;
  /** Shows an indexed library photo in the system's file manager (on the machine running the engine). */
  revealPhoto(path: string): Promise<void>;
  /**
   * Moves several indexed library photos to the system's trash in one call, each checked as
   * trashPhoto checks one; per-photo results, so one refused or failing photo leaves the others'
   * outcome intact and loses nothing. What went is recorded for listTrashed / restoreTrashed.
   */
  trashPhotos(paths: string[]): Promise<TrashManyResult>;
  /** What Photowords moved to the trash, newest first, with whether each can be put back now. */
  listTrashed(): Promise<TrashedList>;
  /**
   * Puts trashed files back where they were, where the system allows it (Linux's XDG trash: the
   * entry found by its .trashinfo's Path and DeletionDate, checked by content hash), and indexes
   * them again. Never overwrites a file at the old place. Elsewhere each is failed with why.
   */
  restoreTrashed(ids: number[] | 'all'): Promise<RestoreResult>;
  /**
   * Find similar from several library photos at once: photos ranked by their mean score to the
   * chosen ones (docs/EVAL.md, "Find similar from several photos"); the chosen photos are left out.
   */
  similarToMany(ids: number[], opts?: SimilarOptions): Promise<SimilarResult>;
  /** Why photos a and b (ids) match: per-cell weight maps of their shared visual words and the top words. */
  explain(a: number, b: number, opts?: ExplainOptions): Promise<PairExplanation>;
  /**
   * Stores a decision about photos of a duplicate group (by their contents, so it survives renames,
   * moves and re-indexing); the next duplicates() follows it. Errors: an id that is not an indexed
   * photo, a keeper not among the ids, fewer than two different contents.
   */
  decideDuplicates(d: DecisionRequest): Promise<DecisionView>;
  /** Every stored decision, newest first. */
  listDecisions(): Promise<DecisionView[]>;
  /** Removes a decision; the groups it shaped come back as the engine finds them. */
  undoDecision(id: number): Promise<{ undone: boolean }>;
}

/** Methods that travel as plain JSON calls (similarToFile has its own route for the bytes). */
export const JSON_METHODS = [
  'listFolders',
  'addFolder',
  'removeFolder',
  'listPhotos',
  'photoDates',
  'listSubfolders',
  'photo',
  'photoInfo',
  'similar',
  'status',
  'pause',
  'resume',
  'getSettings',
  'setSettings',
  'duplicates',
  'trashPhoto',
  'revealPhoto',
  'trashPhotos',
  'listTrashed',
  'restoreTrashed',
  'similarToMany',
  'explain',
  'decideDuplicates',
  'listDecisions',
  'undoDecision',
] as const satisfies readonly (keyof PhotowordsBackend)[];
export type JsonMethod = (typeof JSON_METHODS)[number];

export type BackendArgs<M extends keyof PhotowordsBackend> = Parameters<PhotowordsBackend[M]>;
export type BackendResult<M extends keyof PhotowordsBackend> = Awaited<ReturnType<PhotowordsBackend[M]>>;

/** Pushed from the engine to every open window. */
export type BackendEvent =
  | { type: 'status'; status: IndexStatus }
  | { type: 'library'; folders: FolderInfo[] }
  /** A duplicates search filling in perceptual hashes an older index lacks (the only slow part worth a bar). */
  | { type: 'duplicates-progress'; phase: 'phash'; done: number; total: number };

/** The renderer's view: the backend plus what differs by transport (URLs, native dialogs, events). */
export interface PhotowordsApi extends PhotowordsBackend {
  /** URL of a cached thumbnail of a library photo (size: longest side in px). */
  thumbUrl(path: string, size?: number): string;
  /** URL of the photo itself, for the large preview. */
  fileUrl(path: string): string;
  /** Subscribes to pushed events; returns the unsubscribe function. */
  onEvent(listener: (e: BackendEvent) => void): () => void;
  /** A native folder picker where there is one (Electron); null in a browser, which asks for a typed path. */
  pickFolder: (() => Promise<string | null>) | null;
  /**
   * Saves the duplicates report: a save dialog and the file written (Electron), or a download
   * (browser). The report is made from the library as it is now, at this sensitivity.
   */
  exportDuplicates(format: ReportFormat, opts?: DuplicatesOptions): Promise<ExportOutcome>;
  /**
   * Exports library photos as they are: Electron copies them into a folder the person picks
   * (names kept, " (2)" added where a name is taken, nothing overwritten); a browser downloads one
   * photo as its own file and several as one zip that the server streams.
   */
  exportPhotos(paths: string[]): Promise<ExportOutcome>;
  /** 'electron' or 'browser': only for wording, never for behaviour the other lacks silently. */
  readonly shell: 'electron' | 'browser';
}

/** A failed call carries this shape across every transport, so the UI can show `message` as is. */
export interface ApiErrorShape {
  message: string;
  /** 'not-found' | 'bad-request' | 'forbidden' | 'busy' | 'internal' */
  code: string;
}

// HTTP transport (photowords serve): routes, defined once for the server and the browser client.
export const HTTP = {
  /** POST, body: JSON array of arguments; reply: { result } or { error: ApiErrorShape }. */
  call: (m: JsonMethod) => `/api/call/${m}`,
  /** POST, body: the file's bytes; query: name, top, similarity. */
  similarToFile: '/api/similar-file',
  /** GET, text/event-stream of BackendEvent. */
  events: '/api/events',
  /** GET ?path=&size= : a JPEG thumbnail; 403 outside the library folders. */
  thumb: '/thumb',
  /** GET ?path= : the photo's bytes; 403 outside the library folders. */
  file: '/file',
  /** GET ?format=html|csv|json&sensitivity= : the duplicates report as a download (Content-Disposition: attachment). */
  duplicatesReport: '/api/duplicates-report',
  /** POST { paths } -> ExportTicket: the photos checked, for one download within a minute. */
  exportPrepare: '/api/export',
  /** GET ?ticket= : the photo itself, or several as one zip (stored, streamed), as a download. */
  exportDownload: '/api/export-download',
  /** GET -> AuthState. Open to everyone: the page asks it first to know whether to show setup or sign-in. */
  authState: '/api/auth/state',
  /** POST { password, setupToken? } -> AuthState (signed in). 409 once a password is set; 403 without the setup token. */
  authSetup: '/api/auth/setup',
  /** POST { password } -> AuthState (signed in). 401 wrong password, 429 rate-limited (Retry-After). */
  authLogin: '/api/auth/login',
  /** POST -> AuthState (signed out, session deleted, cookie cleared). */
  authLogout: '/api/auth/logout',
  /** POST { current, password } -> AuthState; every other session ends. */
  authPassword: '/api/auth/password',
  /** GET -> ApiTokenInfo[]; POST { name, scope } -> NewApiToken. Full-scope session only. */
  authTokens: '/api/auth/tokens',
  /** POST { id } -> { ok: true }. */
  authTokensRevoke: '/api/auth/tokens/revoke',
} as const;

/** The header every changing request authenticated by the session cookie carries, equal to AuthState.csrf. */
export const CSRF_HEADER = 'x-photowords-csrf';

/** What an API token or session may do: 'read' calls only GETs and READ_ONLY_METHODS. */
export type AuthScope = 'full' | 'read';

/** Where this browser stands with the server (GET HTTP.authState). */
export interface AuthState {
  /** Sign-in is needed (any bind but loopback, or --auth). */
  required: boolean;
  /** The owner's password has been set (false: first-run setup). */
  passwordSet: boolean;
  signedIn: boolean;
  scope: AuthScope | null;
  /** The token to send in CSRF_HEADER on changing calls: the session's, or per server run when sign-in is not required; null when signed out. */
  csrf: string | null;
  /** Setup needs the token printed in the setup URL (?setup=...), because this request is not from loopback on a loopback bind. */
  setupNeedsToken: boolean;
}

/** An API token as listed (its secret is never shown again). */
export interface ApiTokenInfo {
  id: number;
  name: string;
  scope: AuthScope;
  /** ms since 1970. */
  created: number;
  lastUsed: number | null;
}

/** A token just created: `token` (pwt_...) is shown this once; the server keeps only its hash. */
export interface NewApiToken {
  id: number;
  name: string;
  scope: AuthScope;
  token: string;
}

/** JSON calls that change nothing: a read-only token may make these (and GETs), nothing else. */
export const READ_ONLY_METHODS = [
  'listFolders',
  'listPhotos',
  'photoDates',
  'listSubfolders',
  'photo',
  'photoInfo',
  'similar',
  'status',
  'getSettings',
  'duplicates',
  'listDecisions',
  'explain',
  'listTrashed',
  'similarToMany',
] as const satisfies readonly JsonMethod[];

export function isReadOnlyMethod(m: string): boolean {
  return (READ_ONLY_METHODS as readonly string[]).includes(m);
}

/** Thumbnail sizes the cache makes (longest side); requests are rounded up to one of these. */
export const THUMB_SIZES = [160, 320, 640] as const;
export const DEFAULT_THUMB_SIZE = 320;

export function isJsonMethod(m: string): m is JsonMethod {
  return (JSON_METHODS as readonly string[]).includes(m);
}

/**
 * The JSON methods of the backend over any transport's `send(method, args)`, so each transport
 * writes only how one call travels. Trailing undefined arguments are left out, so a JSON body
 * never turns an omitted option into null.
 */
export function jsonMethodsOver(send: (method: JsonMethod, args: unknown[]) => Promise<unknown>): Pick<PhotowordsBackend, JsonMethod> {
  const out: Partial<Record<JsonMethod, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of JSON_METHODS) {
    out[method] = (...args: unknown[]) => {
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      return send(method, args);
    };
  }
  return out as Pick<PhotowordsBackend, JsonMethod>;
}
