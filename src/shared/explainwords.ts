// Why two photos match, in words a person reads (the renderer's Why? panel; shared so the words
// can be tested with the engine's real explanations): where the shared visual words lie ("the
// centre", "the top left"), and how many separate regions carry the score, rather than the
// model's internals ("head 6, word 320", which mean nothing to anyone but kept in the tooltip).
import type { ExplainedPhoto, ExplainedWord, PairExplanation } from './api.js';

const ROWS = ['top', '', 'bottom'];
const COLS = ['left', '', 'right'];

/** The ninth of a photo a cell [y, x] of an h x w grid lies in: "top left", "centre", "bottom". */
export function zoneName(y: number, x: number, h: number, w: number): string {
  const r = Math.min(2, Math.floor((3 * (y + 0.5)) / h));
  const c = Math.min(2, Math.floor((3 * (x + 0.5)) / w));
  const name = [ROWS[r], COLS[c]].filter(Boolean).join(' ');
  return name || 'centre';
}

/** Where a set of cells lies: one zone, or "several places" when they spread over three or more. */
export function placeOf(cells: number[][], h: number, w: number): string {
  if (cells.length === 0) return 'nowhere';
  const zones = new Set(cells.map(([y, x]) => zoneName(y, x, h, w)));
  if (zones.size >= 3) return 'several places';
  const cy = cells.reduce((s, c) => s + c[0], 0) / cells.length;
  const cx = cells.reduce((s, c) => s + c[1], 0) / cells.length;
  return zoneName(cy, cx, h, w);
}

export interface Region {
  /** Its share of the score, 0..1. */
  share: number;
  place: string;
  /** Its share of the photo's cells, 0..1. */
  area: number;
}

/**
 * The separate regions of a photo that carry the match: the cells holding the largest weights
 * (together 70% of the score), joined when they touch (8 neighbours), each region that carries
 * at least 10% of the score kept, largest first. Small scattered matches (textures, noise) are
 * not regions.
 */
export function regionsOf(p: ExplainedPhoto, minShare = 0.1): Region[] {
  const { height: h, width: w } = p.grid;
  const total = p.weights.reduce((s, v) => s + Math.max(0, v), 0);
  if (total <= 0) return [];
  const order = p.weights
    .map((v, i) => [v, i] as const)
    .filter(([v]) => v > 0)
    .sort((a, b) => b[0] - a[0]);
  const strong = new Set<number>();
  let acc = 0;
  for (const [v, i] of order) {
    if (acc >= 0.7 * total) break;
    strong.add(i);
    acc += v;
  }
  const seen = new Set<number>();
  const out: Region[] = [];
  for (const start of strong) {
    if (seen.has(start)) continue;
    const stack = [start];
    seen.add(start);
    let sum = 0;
    let sy = 0;
    let sx = 0;
    let n = 0;
    while (stack.length) {
      const i = stack.pop()!;
      const y = Math.floor(i / w);
      const x = i % w;
      const v = p.weights[i];
      sum += v;
      n++;
      sy += v * y;
      sx += v * x;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const ny = y + dy;
          const nx = x + dx;
          const j = ny * w + nx;
          if (ny >= 0 && ny < h && nx >= 0 && nx < w && strong.has(j) && !seen.has(j)) {
            seen.add(j);
            stack.push(j);
          }
        }
    }
    if (sum / total >= minShare) out.push({ share: sum / total, place: zoneName(sy / sum, sx / sum, h, w), area: n / (h * w) });
  }
  return out.sort((a, b) => b.share - a.share);
}

/** "the centre", "the centre and the top left", "the left, the top and the right". */
export function listPlaces(places: string[]): string {
  const uniq = [...new Set(places)].map((p) => `the ${p}`);
  if (uniq.length <= 1) return uniq[0] ?? '';
  return `${uniq.slice(0, -1).join(', ')} and ${uniq[uniq.length - 1]}`;
}

/** One or two sentences on where the match lies, for the head of the Why? panel. */
export function matchSummary(e: PairExplanation): string {
  const ra = regionsOf(e.a);
  const rb = regionsOf(e.b);
  if (ra.length === 0 || rb.length === 0) return 'The details they share are spread thinly over both photos: a likeness of texture and colour more than of things.';
  // One region over half of each photo is no particular thing: the scenes are alike as a whole.
  if (ra[0].area > 0.5 && rb[0].area > 0.5) return 'They match all over: alike as whole scenes (colours, textures, layout) more than in one particular thing.';
  const n = Math.min(ra.length, rb.length);
  const where = (r: Region[]) => listPlaces(r.slice(0, Math.min(3, n)).map((x) => x.place));
  const head = n === 1 ? 'One region in common' : `${n} regions in common`;
  const pa = where(ra);
  const pb = where(rb);
  if (pa === pb) return `${head}: ${pa} ${ra.length === 1 ? 'matches' : 'match'} in both photos.`;
  return `${head}: ${pa} of the first photo, ${pb} of the second.`;
}

/** A word's line: where it lies in each photo ("at the centre of both", "in several places of one, ..."). */
export function wordPlace(e: PairExplanation, w: ExplainedWord): string {
  const a = placeOf(w.cells.a, e.a.grid.height, e.a.grid.width);
  const b = placeOf(w.cells.b, e.b.grid.height, e.b.grid.width);
  const at = (p: string) => (p === 'several places' ? 'in several places' : `at the ${p}`);
  if (a === b) return `${at(a)} of both`;
  return `${at(a)} of the first, ${at(b).replace(/^at /, '')} of the second`;
}

/** The model's own name for a word (for the curious, in the tooltip). */
export function technicalName(w: ExplainedWord): string {
  const head = w.head === null ? 'all heads' : `head ${w.head}`;
  const at = w.offset ? ` @${w.offset.join(',')}` : '';
  return `${head}, word ${w.token}${at}`;
}
