// The duplicate finder's options and what it reports: the "same photo" tier (groups with a
// keeper) and the "similar shots" tier (look-alikes and bursts). How each is found:
// docs/DUPLICATES.md#how.
import type { Transform } from '../analysis/phash.js';
export interface DuplicateOptions {
  /** Minimum cosine (0..1) for a near duplicate; higher finds fewer, closer copies. */
  sensitivity?: number;
  neighbours?: number;
  aspectTolerance?: number;
  /** Read EXIF capture dates to break ties (default true). */
  exif?: boolean;
  /** Use the perceptual hash too (default true; false: visual words alone, for comparison). */
  phash?: boolean;
  /** Long side photos are decoded at to fill in missing perceptual hashes (the index's resolution). */
  resolution?: number;
  /** Progress of filling in perceptual hashes that an older index lacks. */
  onProgress?: (p: { phase: 'phash'; done: number; total: number }) => void;
  /** Least cosine for the "similar shots" tier (look-alikes that are not the same photo). */
  similarShots?: number;
  /** Photos taken within this many seconds (EXIF) of each other, and alike, are a burst. */
  burstSeconds?: number;
  /** Perceptual-hash bits within which a pair is the same photo without the words' agreement (default PHASH_SAME). */
  phashSame?: number;
  /** Perceptual-hash bits within which a pair is the same photo when the words agree too (default PHASH_CONFIRM). */
  phashConfirm?: number;
  /** Look for mirrored and turned copies (default true). */
  transforms?: boolean;
  /** Apply the person's stored decisions (default true). */
  decisions?: boolean;
  /** Largest set of linked photos grouped with every check (DIRECT_CHECKS_UP_TO; lower only to test the path for larger ones). */
  directChecksUpTo?: number;
}

/** How a photo came into its group: its link to the keeper (or, linked to every member, its strongest). */
export interface DuplicateLink {
  to: number;
  /**
   * 'bytes': the same file content; 'phash': perceptual hashes within PHASH_SAME bits;
   * 'phash+words': within PHASH_CONFIRM bits and the words agree; 'words': visual-word cosine at
   * or above the sensitivity; 'turned': a flip or quarter turn of one has the other's hash;
   * 'crop': a part of the keeper has its hash (within CROP_BITS) and the words agree.
   */
  by: 'bytes' | 'phash' | 'phash+words' | 'words' | 'turned' | 'crop';
  /** Cosine for word links, 1 - bits/64 for hash links, 1 for bytes. */
  score: number;
  distance?: number;
  transform?: Transform;
}

/** A photo as both tiers list it. */
export interface GroupPhoto {
  id: number;
  path: string;
  width: number | null;
  height: number | null;
  /** File size in bytes as indexed. */
  size: number;
  hash: string | null;
}

export interface DuplicateMember extends GroupPhoto {
  /** TF-IDF cosine to the group's keeper (1 for the keeper and its byte-for-byte copies). */
  score: number;
  /** Same bytes as the keeper. */
  identical: boolean;
  /** Bits (of 64) between its perceptual hash and the keeper's, when both have one. */
  phashDistance?: number;
  /** EXIF capture date (ISO) when it was read (only to break ties). */
  captureDate?: string | null;
  /** A flip or quarter turn of the keeper, when this copy is one. */
  transform?: Transform;
  /** How it came into the group. */
  link?: DuplicateLink;
  /** Why it must not be offered for trashing though it is in the group. */
  protect?: string;
}

export interface DuplicateGroup {
  /** 'exact': every member has the same bytes; 'near': at least one differs. */
  tier: 'exact' | 'near';
  /** Members, the keeper first, then by score to the keeper. */
  members: DuplicateMember[];
  keeper: number;
  reason: string;
  /** Stable for the same contents (content hashes), to name the group in decisions. */
  key: string;
  /** RAW + JPEG siblings, and copies named like an edit of another ("(1)", "-edited"). */
  related?: { a: number; b: number; kind: 'raw+jpeg' | 'edited-copy' }[];
  /** The person's decision that shaped it: a chosen keeper, or "keep all" (then it is in keptAll). */
  decision?: { id: number; kind: 'keeper' | 'keep-all' };
}

export interface SimilarMember extends GroupPhoto {
  /** Cosine to the group's first photo. */
  score: number;
  captureDate?: string;
  /** Index in `groups` when the photo also has copies of itself. */
  duplicateGroup?: number;
}

/** "Similar shots": different photos of one scene. Shown apart, never offered for trashing as duplicates. */
export interface SimilarGroup {
  /** 'burst': every member was taken within burstSeconds by EXIF; else 'look-alike'. */
  kind: 'burst' | 'look-alike';
  key: string;
  members: SimilarMember[];
}

export interface DuplicateReport {
  /** "Same photo": exact and near copies, each with a suggested keeper. */
  groups: DuplicateGroup[];
  /** "Similar shots": look-alikes and bursts. */
  similar: SimilarGroup[];
  /** Groups the person chose to keep whole ("keep all"), hidden from `groups` while unchanged. */
  keptAll: DuplicateGroup[];
  /** Decisions stored in the index (photowords decisions lists them). */
  decisions: number;
  photos: number;
  sensitivity: number;
  similarShots: number;
  neighbours: number;
  /** Neighbour pairs at or above the threshold, and those the checks turned down. */
  pairs: {
    candidates: number;
    accepted: number;
    rejectedCosine: number;
    rejectedAspect: number;
    /** Perceptual-hash pairs within PHASH_CONFIRM bits, those accepted, and of them those the words confirmed. */
    phashCandidates: number;
    phashAccepted: number;
    phashConfirmed: number;
    /** Mirrored or turned copies found by the flipped and turned hashes. */
    transformed: number;
    /** Pairs left apart because the person said they are not duplicates. */
    dismissed: number;
    /** Pairs put in the similar-shots tier. */
    similarShots: number;
    /** Links turned down because the files say they are two shots (EXIF camera, lens or capture time; two lossless files whose pixels differ). */
    differentShots: number;
    /** Perceptual-hash links turned down because the photos' fine detail differs (DETAIL_SAME). */
    detailDiffers: number;
    /** Links between photos of one size turned down because they differ locally both ways (local.ts): two shots, not an edit. */
    localDiffers: number;
    /** Keeper and photo pairs of other sizes or turned, placed one in the other for the local check. */
    placed: number;
    /** Photos checked as a crop of their group's keeper (its parts searched), and those found to be one. */
    cropChecks: number;
    crops: number;
    /** Links between photos that did not make one group (linked to a member, not to its keeper). */
    unchained: number;
  };
  ms: number;
  /** Where the time went: the query index, the perceptual-hash lookup, the visual-word queries, the groups. */
  /**
   * Where the time went: the query index, the hash lookup, the word pairs (of which keying the
   * photos by their heaviest words, and the candidates' exact cosines), the checks and grouping (of
   * which verifying the links: decoding photos in hash links), the bytes the key words held, and
   * the CPU time of the four stages.
   */
  timings: {
    snapshotMs: number;
    /** The hash stage's own time: its lookups run on a thread while the key words are made (keysMs), which is not in it. */
    phashMs: number;
    /** keysMs + wordPairsMs. */
    wordsMs: number;
    keysMs: number;
    wordPairsMs: number;
    groupsMs: number;
    verifyMs: number;
    keyBytes: number;
    /** The process's CPU time (all threads) by stage; the key words' (made beside the hash lookups) is in phash's. */
    cpuMs: { snapshot: number; phash: number; words: number; groups: number };
  };
}

/** The report's pair counters, filled in by the stages as they go. */
export type PairCounts = DuplicateReport['pairs'];

export function emptyPairCounts(): PairCounts {
  return {
    candidates: 0,
    accepted: 0,
    rejectedCosine: 0,
    rejectedAspect: 0,
    phashCandidates: 0,
    phashAccepted: 0,
    phashConfirmed: 0,
    transformed: 0,
    dismissed: 0,
    similarShots: 0,
    differentShots: 0,
    detailDiffers: 0,
    localDiffers: 0,
    placed: 0,
    cropChecks: 0,
    crops: 0,
    unchained: 0,
  };
}
