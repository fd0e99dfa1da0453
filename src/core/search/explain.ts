// Why two photos match: where in each photo the visual words they share lie, and which
// words weigh most. A visual word is made from one grid cell's token, so unlike a hash or an
// embedding the score can be taken apart and put back on the photo.
//
// The TF-IDF cosine is a sum over shared words t of w_a(t) * w_b(t), with the weights the index's
// exact stage uses (duplicates.ts weigh(): stored tf code x snapshot idf / norm). Each word's term
// is handed to the cells of each photo that produced its count, in proportion to what each cell
// added to that count: for a collapsed word (head, token), how many k x k windows cover the cell;
// for a per-offset word, 1 for every cell that sits at that offset of some window. So each map sums
// to the cosine, and a cell's weight is its part in the score, not a guess from attention.
//
// The maps come from the stored grid and the cosine from the stored bag, the same pair the index
// scores; a word of the bag that no cell of the grid can have produced (never, unless the two were
// stored by different versions) is reported as `unplaced` rather than spread somewhere arbitrary.
import path from 'node:path';
import type { ExplainedPhoto, ExplainedWord, PairExplanation } from '../../shared/api.js';
import { weigh } from '../duplicates/word-cosine.js';
import type { ImpactIndex } from './impact-index.js';
import { axisStarts } from '../analysis/kgrams.js';
import type { ImageRecord, IndexStore } from '../index/store.js';
import type { Bag, KgramSettings, TokenGrid } from '../common/types.js';

export const DEFAULT_EXPLAIN_TOP = 20;
export const MAX_EXPLAIN_TOP = 500;

/** One photo as explainPair needs it: its stored words and grid, and what to call it. */
export interface ExplainSide {
  photo: { id: number; path: string; width: number | null; height: number | null };
  grid: TokenGrid;
  bag: Bag;
}

/** Per wanted term: cell index (y * W + x) -> that cell's part of the term's count. */
type CellShares = Map<number, Map<number, number>>;

/**
 * Replays kgrams.ts's counting cell by cell, keeping only the wanted terms: the inverse of
 * bagFromGrid for the words a pair shares. It must mirror kgramBag/softKgramBag's term ids and
 * window starts exactly, or a map would not sum to the cosine (the test checks that it does).
 */
function cellShares(grid: TokenGrid, s: KgramSettings, wanted: Set<number>): CellShares {
  const { heads: C, height: H, width: W, codes: n, tokens } = grid;
  const k = s.kernel;
  const [ylo, yhi] = axisStarts(H, k, s.padding);
  const [xlo, xhi] = axisStarts(W, k, s.padding);
  const [clo, chi] = s.channel ? axisStarts(C, k, s.padding) : [0, 0];
  const second = s.soft ? grid.soft?.second : undefined;
  const w2 = s.soft ?? 0;
  const out: CellShares = new Map();
  const add = (term: number, cell: number, w: number) => {
    if (!wanted.has(term)) return;
    let m = out.get(term);
    if (!m) out.set(term, (m = new Map()));
    m.set(cell, (m.get(cell) ?? 0) + w);
  };
  const inRange = (pos: number, d: number, lo: number, hi: number) => pos - d >= lo && pos - d <= hi;
  for (let c = 0; c < C; c++) {
    // 2D: the head is the word's leading digit. 3D: the window's head offset dc is, for every dc
    // whose window start c - dc is valid.
    const leads = s.channel ? Array.from({ length: k }, (_, dc) => dc).filter((dc) => inRange(c, dc, clo, chi)) : [c];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = (c * H + y) * W + x;
        const cell = y * W + x;
        const toks: [number, number][] = [[tokens[i], 1]];
        if (second && w2 > 0) toks.push([second[i], w2]);
        for (const b of leads) {
          for (let dy = 0; dy < k; dy++) {
            if (!inRange(y, dy, ylo, yhi)) continue;
            for (let dx = 0; dx < k; dx++) {
              if (!inRange(x, dx, xlo, xhi)) continue;
              for (const [t, w] of toks) {
                const term = s.collapse ? (s.channel ? t : c * n + t) : ((b * k + dy) * k + dx) * n + t;
                add(term, cell, w);
              }
            }
          }
        }
      }
    }
  }
  return out;
}

function decodeTerm(term: number, n: number, s: KgramSettings): Pick<ExplainedWord, 'head' | 'token' | 'offset'> {
  const token = term % n;
  if (s.collapse) return { head: s.channel ? null : Math.floor(term / n), token, offset: null };
  const k = s.kernel;
  let r = Math.floor(term / n);
  const dx = r % k;
  r = Math.floor(r / k);
  const dy = r % k;
  const lead = Math.floor(r / k);
  return s.channel ? { head: null, token, offset: [lead, dy, dx] } : { head: lead, token, offset: [dy, dx] };
}

/**
 * Explains the cosine of two photos: per-cell weight maps, the top `top` shared words, and the
 * cosine itself (= exactCosine(snap, a.bag, b.bag), since it is the same products summed).
 */
export function explainPair(snap: ImpactIndex, s: KgramSettings, a: ExplainSide, b: ExplainSide, opts: { top?: number } = {}): PairExplanation {
  if (s.pairs) throw new Error('co-occurrence (pair) words cannot be placed on the photo; explain works with k-gram words only');
  if (a.grid.codes !== b.grid.codes) throw new Error(`the two grids use different codebooks (${a.grid.codes} and ${b.grid.codes} codes)`);
  const top = opts.top ?? DEFAULT_EXPLAIN_TOP;
  const va = weigh(snap, a.bag);
  const vb = weigh(snap, b.bag);
  const shared: { term: number; contribution: number }[] = [];
  let cosine = 0;
  for (let i = 0, j = 0; i < va.terms.length && j < vb.terms.length;) {
    if (va.terms[i] === vb.terms[j]) {
      const contribution = va.w[i++] * vb.w[j++];
      cosine += contribution;
      shared.push({ term: va.terms[i - 1], contribution });
    } else if (va.terms[i] < vb.terms[j]) i++;
    else j++;
  }
  const wanted = new Set(shared.map((x) => x.term));
  const sharesA = cellShares(a.grid, s, wanted);
  const sharesB = cellShares(b.grid, s, wanted);

  const side = (x: ExplainSide, shares: CellShares): ExplainedPhoto => {
    const { height: H, width: W, heads } = x.grid;
    const weights = new Float64Array(H * W);
    let unplaced = 0;
    for (const { term, contribution } of shared) {
      const m = shares.get(term);
      let total = 0;
      if (m) for (const w of m.values()) total += w;
      if (!m || !(total > 0)) {
        unplaced += contribution;
        continue;
      }
      for (const [cell, w] of m) weights[cell] += (contribution * w) / total;
    }
    let max = 0;
    for (const w of weights) if (w > max) max = w;
    return {
      id: x.photo.id,
      path: x.photo.path,
      name: path.basename(x.photo.path),
      width: x.photo.width,
      height: x.photo.height,
      grid: { heads, height: H, width: W },
      weights: Array.from(weights),
      max,
      unplaced,
    };
  };

  const cellsOf = (shares: CellShares, term: number, W: number): number[][] => [...(shares.get(term)?.keys() ?? [])].sort((p, q) => p - q).map((cell) => [Math.floor(cell / W), cell % W]);
  const words: ExplainedWord[] = [...shared]
    .sort((p, q) => q.contribution - p.contribution || p.term - q.term)
    .slice(0, top)
    .map(({ term, contribution }) => ({
      term,
      ...decodeTerm(term, a.grid.codes, s),
      contribution,
      share: cosine > 0 ? contribution / cosine : 0,
      cells: { a: cellsOf(sharesA, term, a.grid.width), b: cellsOf(sharesB, term, b.grid.width) },
    }));

  return {
    a: side(a, sharesA),
    b: side(b, sharesB),
    cosine,
    sharedWords: shared.length,
    words,
    kgrams: { kernel: s.kernel, padding: s.padding, collapsed: !!s.collapse, channel: s.channel },
  };
}

/** What explainStored refuses, in words for the person (the library turns it into a 'not-found'). */
export class ExplainError extends Error {
  override name = 'ExplainError';
}

function storedSide(store: IndexStore, id: number): ExplainSide {
  const rec: ImageRecord | undefined = store.getById(id);
  if (!rec || rec.status !== 'indexed') throw new ExplainError(`photo ${id} is not an indexed photo of this library`);
  const grid = store.getGrid(id);
  const bag = store.getBag(id);
  if (!grid || !bag) throw new ExplainError(`${rec.path} has no stored words`);
  return { photo: rec, grid, bag };
}

/** explainPair for two indexed photos of `store`, by id, weighed with `snap` (the library's query snapshot). */
export function explainStored(store: IndexStore, snap: ImpactIndex, s: KgramSettings, a: number, b: number, opts: { top?: number } = {}): PairExplanation {
  return explainPair(snap, s, storedSide(store, a), storedSide(store, b), opts);
}
