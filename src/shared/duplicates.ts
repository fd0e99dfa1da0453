// Duplicates: the groups, the person's decisions and the report. Part of the API (src/shared/api.ts).
import type { PhotoSummary } from './library.js';

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
