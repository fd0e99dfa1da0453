// The checks on what a window or a script sends the library, and the error that carries a
// sentence for the person back to it. Kept apart from the jobs themselves so every shell gets
// the same message for the same mistake (the server maps the code to an HTTP status).
import { DEFAULT_SIMILARITY, SIMILARITIES } from '../common/settings.js';
import { DecodeError } from '../analysis/decode/decode.js';
import { DEFAULT_BURST_SECONDS, DEFAULT_SENSITIVITY, DEFAULT_SIMILAR_SHOTS } from '../duplicates/find.js';
import type { DuplicatesOptions, SimilarityName, SimilarOptions } from '../../shared/api.js';

export type ApiErrorCode = 'not-found' | 'bad-request' | 'forbidden' | 'busy' | 'internal' | 'unavailable';

/** An error meant for the person: its message is shown as is, its code picks the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const MAX_PAGE = 5000;
/** Photos one trashPhotos / restoreTrashed call takes (a whole library's duplicates fit). */
export const MAX_BATCH = 100_000;
/** Photos one similarToMany takes: each is one search. */
export const MAX_MANY = 100;
const MAX_TOP = 500;

/** The paths of a trashPhotos call, checked and without repeats. */
export function checkPathList(paths: unknown): string[] {
  if (!Array.isArray(paths) || paths.length === 0 || paths.length > MAX_BATCH || !paths.every((p) => typeof p === 'string' && p !== '')) {
    throw new ApiError('bad-request', `Name the photos by their paths: a list of 1 to ${MAX_BATCH.toLocaleString('en')} paths.`);
  }
  return [...new Set(paths as string[])];
}

/** The scoring asked for, else the one the person chose in Settings, else the default. */
export function checkSimilarity(opts: SimilarOptions | undefined, stored: string | undefined): SimilarityName {
  const s = opts?.similarity ?? (stored as SimilarityName | undefined) ?? DEFAULT_SIMILARITY;
  if (!SIMILARITIES.includes(s)) throw new ApiError('bad-request', `Unknown scoring "${s}"; choose one of ${SIMILARITIES.join(', ')}.`);
  return s;
}

export function checkTop(opts?: SimilarOptions): number {
  const top = opts?.top ?? 50;
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) throw new ApiError('bad-request', `top must be a whole number from 1 to ${MAX_TOP}.`);
  return top;
}

/** The ids of a similarToMany call. */
export function checkManyIds(ids: unknown): number[] {
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_MANY || !ids.every((i) => Number.isInteger(i))) {
    throw new ApiError('bad-request', `Find similar takes 1 to ${MAX_MANY} photos, named by their ids (whole numbers).`);
  }
  return [...new Set(ids as number[])];
}

function thresholdOf(name: string, value: unknown, fallback: number): number {
  const s = value ?? fallback;
  if (typeof s !== 'number' || !(s > 0 && s <= 1)) {
    throw new ApiError('bad-request', `The ${name} is a number above 0 and at most 1, not ${JSON.stringify(s)}.`);
  }
  return s;
}

export interface CheckedDuplicateOptions {
  sensitivity: number;
  similarShots: number;
  burstSeconds: number;
}

export function checkDuplicateOptions(opts?: DuplicatesOptions): CheckedDuplicateOptions {
  const burstSeconds = opts?.burstSeconds ?? DEFAULT_BURST_SECONDS;
  if (typeof burstSeconds !== 'number' || !(burstSeconds >= 0 && burstSeconds <= 86_400)) {
    throw new ApiError('bad-request', `A burst is photos taken within 0 to 86,400 seconds of each other, not ${JSON.stringify(burstSeconds)}.`);
  }
  return {
    sensitivity: thresholdOf('sensitivity', opts?.sensitivity, DEFAULT_SENSITIVITY),
    similarShots: thresholdOf('similar-shots threshold', opts?.similarShots, DEFAULT_SIMILAR_SHOTS),
    burstSeconds,
  };
}

/** A failed search with a photo, as the person should read it. */
export function userError(e: unknown, name: string): Error {
  if (e instanceof ApiError) return e;
  if (e instanceof DecodeError) return new ApiError('bad-request', `${name} could not be read as a photo: ${e.reason}`);
  const msg = (e as Error)?.message ?? String(e);
  if (/ENOENT/.test(msg)) return new ApiError('not-found', `${name} is gone from the disk.`);
  return new ApiError('internal', `Could not search with ${name}: ${msg}`);
}
