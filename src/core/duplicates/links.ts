// The links the searches accept between photos, the strongest for each pair, both ways. Groups
// are not their connected parts: a photo joins a group only by its own link to the group's keeper
// (grouping.ts; docs/DUPLICATES.md#how, "Groups never chain").
import type { ImageRecord } from '../index/store.js';
import type { DuplicateLink } from './types.js';

export type Link = Omit<DuplicateLink, 'to'>;

/** Which of two links between one pair to keep (and show): bytes, then hash alone, then turned, then words. */
export const strength = (l: Link) =>
  l.by === 'bytes' ? 3 : l.by === 'words' || l.by === 'phash+words' ? 1 + l.score : l.by === 'phash' ? 2 - (l.distance ?? 0) / 64 : l.by === 'turned' ? 1.5 - (l.distance ?? 0) / 64 : 0.5 + l.score;

/** One number for an unordered pair of photo ids (ids stay below 2^26). */
export const pairKey = (a: number, b: number) => Math.min(a, b) * 2 ** 26 + Math.max(a, b);

export const pixels = (r: ImageRecord) => (r.width ?? 0) * (r.height ?? 0);

export const sameBytes = (a: ImageRecord, b: ImageRecord) => a.hash !== null && a.hash === b.hash;

function aspect(r: ImageRecord): number | undefined {
  if (!r.width || !r.height) return undefined;
  return Math.max(r.width, r.height) / Math.min(r.width, r.height);
}

/** Whether two photos' shapes (long side / short side) are within `tolerance` of each other; unknown shapes agree. */
export function shapesAgree(x: ImageRecord, y: ImageRecord, tolerance: number): boolean {
  const a = aspect(x);
  const b = aspect(y);
  return a === undefined || b === undefined || Math.max(a, b) / Math.min(a, b) <= tolerance;
}

export class Links {
  /** id -> (other id -> link), both ways; insertion order is the order the stages found them. */
  readonly edges = new Map<number, Map<number, Link>>();

  get(a: number, b: number): Link | undefined {
    return this.edges.get(a)?.get(b);
  }

  /** The photos `a` links to, and how. */
  of(a: number): Map<number, Link> | undefined {
    return this.edges.get(a);
  }

  /** Keeps `l` between a and b unless a link at least as strong is there. */
  add(a: number, b: number, l: Link): void {
    const cur = this.get(a, b);
    if (cur && strength(cur) >= strength(l)) return;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      let m = this.edges.get(x);
      if (!m) this.edges.set(x, (m = new Map()));
      m.set(y, l);
    }
  }

  remove(a: number, b: number): void {
    this.edges.get(a)?.delete(b);
    this.edges.get(b)?.delete(a);
  }
}
