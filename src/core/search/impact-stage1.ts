// Stage 1 of the impact-ordered query (impact-index.ts): score-at-a-time over the segments a
// budget reaches, into 16-bit accumulators, and the candidates stage 2 re-scores exactly.
import type { ScoredIndex } from './scorers/scorer.js';
import { LEVELS, type ImpactIndexParts } from './impact-build.js';

/**
 * Stage 1 adds whole numbers into 16-bit accumulators: a query's contributions are scaled so that
 * the largest score any document can reach stays below this (see firstStage). At 1,000,000 photos
 * the accumulators are then half the size of float32's, about a core's L2 cache, and an integer
 * add is cheaper than float32's load-convert-add-convert-store (measured: docs/EVAL.md, "How
 * stage 1 runs"; bench/experiments/query-accumulators.ts).
 */
export const ACC_MAX = 65000;

export interface ImpactSearchStats {
  /** Postings of all the query's words: what an exhaustive scan would visit. */
  queryPostings: number;
  /** Postings stage 1 visited. */
  visited: number;
}

/** The inverted lists stage 1 reads, and each slot's df (its whole list's length: the lists may keep less). */
export type SegmentPostings = Pick<ImpactIndexParts, 'segOffsets' | 'segLevel' | 'segStart' | 'docs' | 'levelWeight' | 'df'>;

/**
 * Adds c to the accumulator of every document in docs[start, end). A function of its own, called
 * with the same array types every time: V8 compiles this loop tighter than inside firstStage.
 */
function accumulate(acc: Uint16Array, docs: Uint32Array, start: number, end: number, c: number): void {
  for (let p = start; p < end; p++) acc[docs[p]] += c;
}

/**
 * Stage 1: the budgeted estimate into `acc` (and what it visited into stats). `invQ` is
 * 1 / the query's norm: no document can score more than that norm, which sets the scale.
 */
export function firstStage(postings: SegmentPostings, acc: Uint16Array, slots: Int32Array, qw: Float32Array, invQ: number, budget: number, stats?: ImpactSearchStats, maxVisited = Infinity): void {
  acc.fill(0);
  const { segOffsets, segLevel, segStart, docs, levelWeight, df } = postings;
  const m = slots.length;
  // The budget is a share of all the query's postings, kept in the lists or not (impact-segments.ts).
  let queryPostings = 0;
  for (let i = 0; i < m; i++) queryPostings += df[slots[i]];
  // Which segments the budget reaches, largest contribution q * levelWeight first. Levels are
  // log-spaced, so in log space a contribution is level + shift(q): an integer key up to
  // rounding, and a count of postings per key finds where the budget runs out in linear time.
  const step = LEVELS > 1 ? Math.log(levelWeight[1] / levelWeight[0]) : 1;
  let minShift = Infinity;
  const shift = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    shift[i] = Math.round(Math.log(qw[i]) / step);
    if (shift[i] < minShift) minShift = shift[i];
  }
  const keys = LEVELS + 1 + (m > 0 ? Math.max(...shift) - minShift : 0);
  // Postings per key, key 0 holding the largest contributions.
  const bucketPostings = new Float64Array(keys);
  for (let i = 0; i < m; i++) {
    const s = slots[i];
    const sh = shift[i] - minShift;
    for (let g = segOffsets[s]; g < segOffsets[s + 1]; g++) bucketPostings[keys - 1 - (segLevel[g] + sh)] += segStart[g + 1] - segStart[g];
  }
  // The key where the budget runs out: every segment of a smaller key is visited, and of that
  // key's segments those met first, query word by query word, until the budget is spent.
  // A share of the query's postings grows with the library; past maxVisited postings the extra
  // ones are the smallest contributions, which no longer change the candidates (the cap and its
  // top-10 overlap at 1,000,000 photos: docs/EVAL.md, "Queries at a million photos").
  const limit = budget >= 1 ? Infinity : Math.max(1, Math.min(maxVisited, Math.ceil(budget * queryPostings)));
  let cut = 0;
  let before = 0;
  while (cut < keys && before + bucketPostings[cut] < limit) before += bucketPostings[cut++];
  let remaining = limit - before;
  // A document's estimate is sum q_i * w~_i over its shared words, where w~ is its weight w
  // rounded to a level (at most half a level's step above w). By Cauchy-Schwarz sum q_i * w_i
  // <= |q| |d| = |q|, so no estimate exceeds |q| * e^(step / 2), and with each contribution
  // rounded down the sums stay below ACC_MAX: no accumulator can wrap.
  const scale = invQ > 0 && Number.isFinite(invQ) ? (ACC_MAX * invQ) / (Math.exp(step / 2) * 1.001) : 0;
  // The sum does not depend on the order the segments are added in (whole numbers), so they
  // are visited word by word: a word's visited segments are the first of its list (levels
  // descend, so keys ascend) and lie next to each other in docs. Visiting them in order of
  // contribution instead jumped across the whole postings array once a segment: a cache and TLB
  // miss each (measured: docs/EVAL.md, "How stage 1 runs").
  let visited = 0;
  for (let i = 0; i < m; i++) {
    const s = slots[i];
    const sh = shift[i] - minShift;
    const q = qw[i] * scale;
    for (let g = segOffsets[s], gEnd = segOffsets[s + 1]; g < gEnd; g++) {
      const key = keys - 1 - (segLevel[g] + sh);
      if (key > cut) break;
      const start = segStart[g];
      const end = segStart[g + 1];
      if (key === cut) {
        if (remaining <= 0) break;
        remaining -= end - start;
      }
      visited += end - start;
      // Contributions too small to count at this scale (the tail of a long budget) add nothing.
      const c = Math.floor(q * levelWeight[segLevel[g]]);
      if (c > 0) accumulate(acc, docs, start, end, c);
    }
  }
  if (stats) {
    stats.queryPostings = queryPostings;
    stats.visited = visited;
  }
}

/**
 * The R documents with the highest stage-1 estimate above 0 (ties: the lower index), in no
 * particular order. The estimates are 16-bit counts, so one counting pass finds the threshold
 * and a second collects, faster than a heap over every document (docs/EVAL.md, "How stage 1
 * runs"). `histogram` is scratch of ACC_MAX + 1 bins.
 */
export function topCandidates(acc: Uint16Array, histogram: Uint32Array, R: number, exclude: number): ScoredIndex[] {
  const n = acc.length;
  histogram.fill(0);
  for (let d = 0; d < n; d++) histogram[acc[d]]++;
  if (exclude >= 0 && exclude < n) histogram[acc[exclude]]--;
  // The threshold t (at least 1, so a score of 0 never counts): documents above it are fewer
  // than R, with it R or more (or all there are).
  let above = 0;
  let t = ACC_MAX;
  while (t > 1 && above + histogram[t] < R) above += histogram[t--];
  let ties = R - above;
  const out: ScoredIndex[] = [];
  for (let d = 0; d < n && out.length < R; d++) {
    const v = acc[d];
    if (d !== exclude && (v > t || (v === t && ties-- > 0))) out.push({ index: d, score: v });
  }
  return out;
}
