// How a photo's words are laid out in the index's BLOBs: typed-array bytes written as-is and
// documented as little-endian (the grids, bags and dense tables of schema.ts).

import { endianness } from 'node:os';
import type { Bag, TokenGrid } from '../../common/types.js';

// Every platform Photowords ships on is LE; refuse rather than write files other machines would misread.
if (endianness() !== 'LE') throw new Error('Photowords index files are little-endian; this platform is big-endian');

export interface BagRow {
  id: number;
  path: string;
  n_terms: number;
  terms: Buffer;
  tfs: Buffer;
}

export interface GridRow {
  id: number;
  path: string;
  heads: number;
  height: number;
  width: number;
  codes: number;
  tokens: Buffer;
}

export interface DenseRow {
  id: number;
  dim: number;
  vector: Buffer;
}

/** A bag's terms as a JSON array, for the df statements that read it through json_each. */
export function termsJson(terms: Uint32Array): string {
  return '[' + terms.join(',') + ']';
}

/** A Buffer over the typed array's own bytes (no copy); byteOffset/byteLength matter for subarrays. */
export function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function encodeGrid(grid: TokenGrid): Buffer {
  const want = grid.heads * grid.height * grid.width;
  if (grid.tokens.length !== want) throw new Error(`token grid has ${grid.tokens.length} tokens, expected ${want}`);
  if (!grid.soft) return bytesOf(grid.tokens);
  // Soft-assignment grids (settings.softAssign) append the second codes and both distances.
  const { second, dist1, dist2 } = grid.soft;
  if (second.length !== want || dist1.length !== want || dist2.length !== want) throw new Error(`soft codes do not match the ${want}-token grid`);
  return Buffer.concat([bytesOf(grid.tokens), bytesOf(second), bytesOf(dist1), bytesOf(dist2)]);
}

export function encodeBag(bag: Bag): { terms: Buffer; tfs: Buffer } {
  const { terms, tfs } = bag;
  if (terms.length !== tfs.length) throw new Error(`bag has ${terms.length} terms but ${tfs.length} counts`);
  // df counts each term once per document; duplicates or disorder would corrupt it.
  for (let i = 1; i < terms.length; i++) {
    if (terms[i] <= terms[i - 1]) throw new Error(`bag terms must be strictly ascending (at ${i}: ${terms[i - 1]}, ${terms[i]})`);
  }
  const counts = new Uint16Array(tfs.length);
  for (let i = 0; i < tfs.length; i++) {
    const v = Math.round(tfs[i]);
    counts[i] = v > 65535 ? 65535 : v < 0 ? 0 : v;
  }
  return { terms: bytesOf(terms), tfs: bytesOf(counts) };
}

// Reads copy the BLOB bytes into fresh typed arrays: the Buffer SQLite hands back may live in a
// shared pool at an offset that is not a multiple of 4, so viewing it in place is unsafe.
export function decodeBag(row: BagRow): Bag {
  const n = row.n_terms;
  if (row.terms.byteLength !== n * 4 || row.tfs.byteLength !== n * 2) {
    throw new Error(`corrupt bag for image ${row.id}: ${n} terms but ${row.terms.byteLength}/${row.tfs.byteLength} bytes`);
  }
  const terms = new Uint32Array(n);
  new Uint8Array(terms.buffer).set(row.terms);
  const counts = new Uint16Array(n);
  new Uint8Array(counts.buffer).set(row.tfs);
  return { terms, tfs: Float32Array.from(counts) };
}

export function decodeGrid(row: GridRow): TokenGrid {
  const n = row.heads * row.height * row.width;
  const soft = row.tokens.byteLength === n * 12;
  if (row.tokens.byteLength !== n * 2 && !soft) throw new Error(`corrupt grid for image ${row.id}: ${row.tokens.byteLength} bytes for ${n} tokens`);
  const tokens = new Uint16Array(n);
  new Uint8Array(tokens.buffer).set(row.tokens.subarray(0, n * 2));
  const grid: TokenGrid = { heads: row.heads, height: row.height, width: row.width, codes: row.codes, tokens };
  if (soft) {
    const second = new Uint16Array(n);
    const dist1 = new Float32Array(n);
    const dist2 = new Float32Array(n);
    new Uint8Array(second.buffer).set(row.tokens.subarray(n * 2, n * 4));
    new Uint8Array(dist1.buffer).set(row.tokens.subarray(n * 4, n * 8));
    new Uint8Array(dist2.buffer).set(row.tokens.subarray(n * 8, n * 12));
    grid.soft = { second, dist1, dist2 };
  }
  return grid;
}

/** A pooled feature vector (Float32 LE), copied out of its row like the bags above. */
export function decodeDense(row: DenseRow): Float32Array {
  if (row.vector.byteLength !== row.dim * 4) throw new Error(`corrupt dense vector for image ${row.id}`);
  const vector = new Float32Array(row.dim);
  new Uint8Array(vector.buffer).set(row.vector);
  return vector;
}
