// The forward index of the impact-ordered index (impact-index.ts): each document's words and
// count codes, coded compactly and exactly, and the loops that read it (stage 2's cosines, the
// exhaustive scan, duplicate finding's pairwise cosines).
//
// Coding, per posting, slots ascending within a document: the slot gap (slot - previous slot, the
// first from -1, so never 0) in one byte when it is 1..255, else a 0 byte and the gap in 4 bytes
// (little-endian); then the 8-bit count code. About 2 bytes a posting where 16-bit slots and the
// code took 3: with 4,096-code words a photo's ~730 slots out of ~22,000 leave gaps of 255 or less
// almost always (measured: docs/EVAL.md, "Queries at a million photos"). Byte-aligned, so stage 2
// decodes 500 documents a query at about the speed it read the arrays before.

/** Marks a gap that did not fit in one byte: the next 4 bytes hold it. */
const ESCAPE = 0;

/** Upper bound on the bytes of one posting whose slot gap is at most `gap`. */
export function postingBytes(gap: number): number {
  return gap >= 1 && gap <= 255 ? 2 : 6;
}

/** Writes one posting at `p`, returns the next position. `gap` >= 1. */
export function writePosting(fwd: Uint8Array, p: number, gap: number, code: number): number {
  if (gap <= 255) {
    fwd[p++] = gap;
  } else {
    fwd[p++] = ESCAPE;
    fwd[p++] = gap & 255;
    fwd[p++] = (gap >>> 8) & 255;
    fwd[p++] = (gap >>> 16) & 255;
    fwd[p++] = gap >>> 24;
  }
  fwd[p++] = code;
  return p;
}

/** The escaped gap at p (after its 0 byte). */
function wideGap(fwd: Uint8Array, p: number): number {
  return fwd[p] + fwd[p + 1] * 256 + fwd[p + 2] * 65536 + fwd[p + 3] * 16777216;
}

/** Decodes document bytes [from, end) into slots and count codes; returns the postings written. */
export function decodeDoc(fwd: Uint8Array, from: number, end: number, slots: Int32Array | Uint32Array, codes: Uint8Array): number {
  let s = -1;
  let i = 0;
  for (let p = from; p < end;) {
    let g = fwd[p++];
    if (g === ESCAPE) {
      g = wideGap(fwd, p);
      p += 4;
    }
    s += g;
    slots[i] = s;
    codes[i++] = fwd[p++];
  }
  return i;
}

/** Postings of document bytes [from, end). */
export function countPostings(fwd: Uint8Array, from: number, end: number): number {
  let n = 0;
  for (let p = from; p < end; n++) p += fwd[p] === ESCAPE ? 6 : 2;
  return n;
}

/** sum over the document's words of dense[slot] * tf'(code). */
export function dotDoc(fwd: Uint8Array, from: number, end: number, dense: Float32Array, tfTable: Float32Array): number {
  let dot = 0;
  let s = -1;
  for (let p = from; p < end;) {
    let g = fwd[p++];
    if (g === ESCAPE) {
      g = wideGap(fwd, p);
      p += 4;
    }
    s += g;
    dot += dense[s] * tfTable[fwd[p++]];
  }
  return dot;
}

/** dense[slot] = tf'(code) * idf[slot] * idf[slot] for every word of the document (a cosine's one side, idf folded in). */
export function scatterSquared(fwd: Uint8Array, from: number, end: number, dense: Float32Array, tfTable: Float32Array, idf: Float32Array): void {
  let s = -1;
  for (let p = from; p < end;) {
    let g = fwd[p++];
    if (g === ESCAPE) {
      g = wideGap(fwd, p);
      p += 4;
    }
    s += g;
    dense[s] = tfTable[fwd[p++]] * idf[s] * idf[s];
  }
}

/** dense[slot] += f * tf'(code) * idf[slot] for every word of the document; `touched` gets each slot that was 0. */
export function addScaled(fwd: Uint8Array, from: number, end: number, dense: Float32Array, tfTable: Float32Array, idf: Float32Array, f: number, touched: number[]): void {
  let s = -1;
  for (let p = from; p < end;) {
    let g = fwd[p++];
    if (g === ESCAPE) {
      g = wideGap(fwd, p);
      p += 4;
    }
    s += g;
    if (dense[s] === 0) touched.push(s);
    dense[s] += f * tfTable[fwd[p++]] * idf[s];
  }
}

/** Zeroes dense[slot] for every word of the document. */
export function clearDoc(fwd: Uint8Array, from: number, end: number, dense: Float32Array): void {
  let s = -1;
  for (let p = from; p < end;) {
    let g = fwd[p++];
    if (g === ESCAPE) {
      g = wideGap(fwd, p);
      p += 4;
    }
    s += g;
    dense[s] = 0;
    p++;
  }
}

/**
 * The exhaustive scan (budget 1): every document's exact cosine with the query (weighed into
 * `dense` with idf folded in, as stage 2 has it), as a 16-bit score in acc (cosine x accMax,
 * rounded down), from the forward index. The inverted lists may be kept shorter than the whole
 * (impact-segments.ts), so they cannot serve an exhaustive query; the forward index holds every
 * posting.
 */
export function forwardScan(fwd: Uint8Array, fwdOffsets: Float64Array, invDocNorm: Float32Array, dense: Float32Array, tfTable: Float32Array, invQ: number, acc: Uint16Array, accMax: number): void {
  const n = acc.length;
  const scale = accMax * invQ;
  for (let d = 0; d < n; d++) {
    const v = Math.floor(dotDoc(fwd, fwdOffsets[d], fwdOffsets[d + 1], dense, tfTable) * invDocNorm[d] * scale);
    acc[d] = v <= 0 ? 0 : v >= accMax ? accMax : v;
  }
}
