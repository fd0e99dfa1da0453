// The inverted lists of the impact-ordered index (impact-index.ts): each posting's weight
// quantized to a level, segments slot by slot, level descending, and how deep each list is kept.
//
// How deep: stage 1 visits at most maxVisited postings a query (2M by default), the largest
// contributions q x w first, so past a library size the bottom of every list is never read; and
// the exhaustive scan (budget 1) reads the forward index, which holds every posting. So the lists
// keep at most `maxKept` postings in all: those with the largest idf x w, which is a posting's
// contribution for a query count of 1 (the order stage 1 visits them in, up to the query's
// counts). Below maxKept postings in all, every posting is kept and stage 1 is what it was.
// Seismic (Bruch et al., SIGIR 2024) prunes its lists the same way, with a forward index behind;
// the overlap this keeps at 1,000,000 photos: docs/EVAL.md, "Queries at a million photos".
import type { Forward, ImpactIndexParts } from './impact-build.js';
import { LEVELS, TF_SCALE } from './impact-build.js';
import { decodeDoc } from './impact-forward.js';

/**
 * Postings kept in the inverted lists (4 bytes each). 60 x the default visit cap: at 1,000,000
 * photos (732M postings) about a sixth, where a query's cap reaches about 1.5% of its words'
 * postings; 100,000 photos (73M) keep every posting.
 */
export const DEFAULT_MAX_KEPT = 120_000_000;

export type Segments = Pick<ImpactIndexParts, 'levelWeight' | 'segOffsets' | 'segLevel' | 'segStart' | 'docs'>;

/** Calls f with each document's decoded slots and count codes (the first m of them), document by document. */
function eachPosting({ fwdOffsets, fwd }: Forward, maxWords: number, f: (doc: number, slots: Int32Array, codes: Uint8Array, m: number) => void): void {
  const slots = new Int32Array(maxWords);
  const codes = new Uint8Array(maxWords);
  const N = fwdOffsets.length - 1;
  for (let doc = 0; doc < N; doc++) f(doc, slots, codes, decodeDoc(fwd, fwdOffsets[doc], fwdOffsets[doc + 1], slots, codes));
}

export function layOutSegments(forward: Forward, idf: Float32Array, df: Uint32Array, total: number, maxKept: number): Segments {
  const { invDocNorm } = forward;
  const T = idf.length;
  // A document has at most as many words as there are slots, and at most total.
  const maxWords = Math.max(1, Math.min(T, total));
  // Weight range for the log-spaced levels.
  let wMin = Infinity;
  let wMax = 0;
  eachPosting(forward, maxWords, (doc, slots, codes, m) => {
    const inv = invDocNorm[doc];
    for (let i = 0; i < m; i++) {
      const w = (codes[i] / TF_SCALE) * idf[slots[i]] * inv;
      if (w < wMin) wMin = w;
      if (w > wMax) wMax = w;
    }
  });
  if (!(wMax > 0)) {
    wMin = 1;
    wMax = 1;
  }
  const logMin = Math.log(wMin);
  const span = Math.max(1e-9, Math.log(wMax) - logMin);
  const step = span / (LEVELS - 1);
  const levelOf = (w: number) => Math.min(LEVELS - 1, Math.max(0, Math.round((Math.log(w) - logMin) / step)));
  const levelWeight = new Float32Array(LEVELS);
  for (let l = 0; l < LEVELS; l++) levelWeight[l] = Math.exp(logMin + l * step);

  // Count postings per (slot, level), then lay segments out slot by slot, level descending.
  const counts = new Uint32Array(T * LEVELS);
  const postingLevel = new Uint8Array(total);
  let q = 0;
  eachPosting(forward, maxWords, (doc, slots, codes, m) => {
    const inv = invDocNorm[doc];
    for (let i = 0; i < m; i++) {
      const s = slots[i];
      const l = levelOf((codes[i] / TF_SCALE) * idf[s] * inv);
      postingLevel[q++] = l;
      counts[s * LEVELS + l]++;
    }
  });
  const keep = keptFrom(counts, idf, df, step, total, maxKept);
  let nseg = 0;
  for (let s = 0; s < T; s++) for (let l = keep[s]; l < LEVELS; l++) if (counts[s * LEVELS + l] > 0) nseg++;
  const segOffsets = new Uint32Array(T + 1);
  const segLevel = new Uint8Array(nseg);
  const segStart = new Uint32Array(nseg + 1);
  // cursor: (slot, level) -> next write position, reusing counts; DROPPED for levels not kept.
  const DROPPED = 0xffffffff;
  let g = 0;
  let acc = 0;
  for (let s = 0; s < T; s++) {
    segOffsets[s] = g;
    for (let l = LEVELS - 1; l >= 0; l--) {
      const c = counts[s * LEVELS + l];
      if (l < keep[s]) {
        counts[s * LEVELS + l] = DROPPED;
        continue;
      }
      if (c === 0) continue;
      segLevel[g] = l;
      segStart[g] = acc;
      counts[s * LEVELS + l] = acc;
      acc += c;
      g++;
    }
  }
  segOffsets[T] = g;
  segStart[g] = acc;
  const docs = new Uint32Array(acc);
  q = 0;
  eachPosting(forward, maxWords, (doc, slots, _codes, m) => {
    for (let i = 0; i < m; i++) {
      const at = slots[i] * LEVELS + postingLevel[q++];
      if (counts[at] !== DROPPED) docs[counts[at]++] = doc;
    }
  });
  return { levelWeight, segOffsets, segLevel, segStart, docs };
}

/**
 * Per slot, the lowest level its list keeps: every posting whose idf x level weight is above one
 * threshold, the threshold as low as keeps at most maxKept postings (all when total <= maxKept).
 * In log space a level's weight is level x step, so idf x weight is level + round(ln idf / step):
 * one count of postings per such key finds the threshold.
 */
function keptFrom(counts: Uint32Array, idf: Float32Array, df: Uint32Array, step: number, total: number, maxKept: number): Uint16Array {
  const T = idf.length;
  // LEVELS (256) keeps none of a slot's list.
  const keep = new Uint16Array(T);
  if (total <= maxKept) return keep;
  const shift = new Int32Array(T);
  let lo = Infinity;
  let hi = -Infinity;
  for (let s = 0; s < T; s++) {
    shift[s] = Math.round(Math.log(Math.max(idf[s], 1e-30)) / step);
    if (df[s] > 0) {
      lo = Math.min(lo, shift[s]);
      hi = Math.max(hi, shift[s]);
    }
  }
  const byKey = new Float64Array(LEVELS + hi - lo);
  for (let s = 0; s < T; s++) for (let l = 0; l < LEVELS; l++) byKey[l + shift[s] - lo] += counts[s * LEVELS + l];
  // From the largest key down while the kept postings stay within maxKept.
  let key = byKey.length;
  let kept = 0;
  while (key > 0 && kept + byKey[key - 1] <= maxKept) kept += byKey[--key];
  for (let s = 0; s < T; s++) keep[s] = Math.min(LEVELS, Math.max(0, key - (shift[s] - lo)));
  return keep;
}
