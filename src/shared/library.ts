// The library as the UI sees it: folders, photos and their pages, the indexing status and the settings.
// Part of the API defined in src/shared/api.ts, which re-exports it; types and constants only.

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

/** Thumbnail sizes the cache makes (longest side); requests are rounded up to one of these. */
export const THUMB_SIZES = [160, 320, 640] as const;

export const DEFAULT_THUMB_SIZE = 320;
