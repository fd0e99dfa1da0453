// The copy of a group to keep, and why: the rule is docs/DUPLICATES.md#how ("The suggested keeper").
import type { ImageRecord } from '../index/store.js';
import { pixels } from './links.js';
import { captureDate } from './shot-facts.js';

export const mp = (r: ImageRecord) => `${r.width}×${r.height}`;
const kb = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`);

/**
 * The copy to keep and why: most pixels, then (given `links`, each photo's copies among them) the
 * one linked to the most copies, then largest file, then earliest capture date, then shortest path.
 */
export async function chooseKeeper(
  recs: ImageRecord[],
  opts: { exif?: boolean; links?: (r: ImageRecord) => number } = {},
): Promise<{ keeper: ImageRecord; reason: string; dates: Map<number, Date | null> }> {
  const dates = new Map<number, Date | null>();
  let pool = recs;
  const best = Math.max(...pool.map(pixels));
  const byPixels = pool.filter((r) => pixels(r) === best);
  if (byPixels.length === 1) {
    const k = byPixels[0];
    return { keeper: k, reason: `largest pixel count (${mp(k)})`, dates };
  }
  pool = byPixels;
  if (opts.links) {
    // Copies of one size are edits or re-saves of one of them, the one each links to; an edit
    // re-saved at a higher quality is a larger file than its original.
    const count = new Map(pool.map((r) => [r.id, opts.links!(r)]));
    const most = Math.max(...count.values());
    const byLinks = pool.filter((r) => count.get(r.id) === most);
    if (byLinks.length === 1) {
      const k = byLinks[0];
      return { keeper: k, reason: `same pixel count; linked to the most copies (${most})`, dates };
    }
    pool = byLinks;
  }
  const big = Math.max(...pool.map((r) => r.size));
  const bySize = pool.filter((r) => r.size === big);
  if (bySize.length === 1) {
    const k = bySize[0];
    return { keeper: k, reason: `same pixel count; largest file, least compressed (${kb(k.size)})`, dates };
  }
  pool = bySize;
  if (opts.exif !== false) {
    for (const r of pool) dates.set(r.id, await captureDate(r.path));
    const known = pool.filter((r) => dates.get(r.id));
    if (known.length > 0) {
      const first = Math.min(...known.map((r) => dates.get(r.id)!.getTime()));
      const byDate = known.filter((r) => dates.get(r.id)!.getTime() === first);
      if (byDate.length === 1) {
        const k = byDate[0];
        return { keeper: k, reason: `same pixels and file size; earliest capture date (${dates.get(k.id)!.toISOString()})`, dates };
      }
      pool = byDate;
    }
  }
  const k = [...pool].sort((a, b) => a.path.length - b.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))[0];
  return {
    keeper: k,
    reason: opts.exif === false ? 'same pixels and file size; shortest path' : 'same pixels, file size and capture date (or none); shortest path',
    dates,
  };
}
