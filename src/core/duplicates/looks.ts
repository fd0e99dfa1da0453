// The pixels the checks look at, decoded only for photos in a link that needs them and kept for
// the last few: the grey image (crop search, placing a photo in its keeper), its fine detail
// (hash links) and its local cells (two shots or an edit: local.ts).
import { decodeForModel, readImageFile } from '../analysis/decode/decode.js';
import { photoSource } from '../analysis/decode/source.js';
import type { ImageRecord } from '../index/store.js';
import { greyTable, type GreyTable } from './crop-search.js';
import { LOCAL_FINE_SIDE, greyOfPixels, localLook, type LocalLook } from './local.js';
import type { LookPrefetch } from './look-prefetch.js';

/** Side of the grey image whose fine detail two hash-linked photos must share. */
const DETAIL_SIDE = LOCAL_FINE_SIDE;
/** Photos whose decoded grey images are kept (0.35 MB each at 299 px; a keeper's summed-area table doubles that). */
const GREYS_KEPT = 48;
/** Buffers of greys let go kept for the next photos' (see Looks.spare). */
const SPARES = 8;

/**
 * A photo's fine detail as a unit vector: the pixels the model reads (decode.ts, EXIF-oriented),
 * box-averaged to DETAIL_SIDE squared grey cells whatever the aspect (as the hash squeezes them:
 * the local-difference check's finer cells, local.ts), less each cell's 3 x 3 mean. The dot
 * product of two is their detail's correlation.
 */
export function fineDetail(cells: Float32Array): Float32Array {
  const N = DETAIL_SIDE;
  const out = new Float32Array(N * N);
  let mean = 0;
  for (let y = 0; y < N; y++) {
    const inner = y > 0 && y < N - 1;
    for (let x = 0; x < N; x++) {
      const c = y * N + x;
      let s = 0;
      let n = 0;
      if (inner && x > 0 && x < N - 1) {
        // The 3 x 3 around an inner cell, in the order the loop below takes them.
        s += cells[c - N - 1];
        s += cells[c - N];
        s += cells[c - N + 1];
        s += cells[c - 1];
        s += cells[c];
        s += cells[c + 1];
        s += cells[c + N - 1];
        s += cells[c + N];
        s += cells[c + N + 1];
        n = 9;
      } else {
        for (let yy = Math.max(0, y - 1); yy <= Math.min(N - 1, y + 1); yy++) {
          for (let xx = Math.max(0, x - 1); xx <= Math.min(N - 1, x + 1); xx++) {
            s += cells[yy * N + xx];
            n++;
          }
        }
      }
      out[c] = cells[c] - s / n;
      mean += out[c];
    }
  }
  mean /= N * N;
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += (out[i] -= mean) ** 2;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < out.length; i++) out[i] *= inv;
  return out;
}

/** A decoded photo's grey image. */
export interface Grey {
  grey: Float32Array;
  width: number;
  height: number;
  /** Its summed-area table, made when the photo is searched as a keeper. */
  table?: GreyTable;
}

/** Both looks a photo is checked by, from one decode. */
export interface Look {
  fine: Float32Array;
  local: LocalLook;
}

export class Looks {
  private readonly greys = new Map<number, Promise<Grey | null>>();
  private looks = new Map<number, Promise<Look | null>>();
  /**
   * The buffers of greys (and their tables) let go, for the next photos decoded: a new buffer
   * for each of thousands of photos (1 MB with its table), kept long enough to outlive the young
   * generation, drove a full collection every few dozen photos (~8 s of 40 in the groups stage
   * at 100,000 photos, each collection marking the whole heap). A grey is let go only when 48
   * others were asked for since it last was, and no check holds one across more than two
   * others' asking, so none in use is written over. The tables' are in shared memory, for the
   * crop search's threads to read without a copy (window-search.ts).
   */
  private readonly spare = { grey: [] as Float32Array[], sat: [] as Float64Array[] };
  private readonly settled = new WeakSet<Promise<Grey | null>>();
  /** The looks of photos made ahead on the prefetch's thread, until lookOf asks for them. */
  private readonly madeLooks = new Map<number, Promise<Look | null>>();

  /**
   * `recs`: the indexed photos; `resolution`: the long side they are decoded at (the index's);
   * `prefetch`: photos decoded ahead on a thread, taken from there when it made them.
   */
  constructor(
    private readonly recs: Map<number, ImageRecord>,
    private readonly resolution: number,
    private readonly prefetch?: LookPrefetch,
  ) {}

  private async pixelsOf(id: number) {
    const file = this.recs.get(id)!.path;
    try {
      return await decodeForModel(await photoSource(file, await readImageFile(file), this.resolution), this.resolution);
    } catch {
      return null; // unreadable now: the other signals decide alone, as before
    }
  }

  /** The photo's grey image, or null when it cannot be read now. */
  greyOf(id: number): Promise<Grey | null> {
    let g = this.greys.get(id);
    if (!g) {
      const here = () => this.pixelsOf(id).then((img) => img && { grey: greyOfPixels(img.pixels, this.take('grey', img.width * img.height)), width: img.width, height: img.height });
      const ahead = this.prefetch?.take(id);
      let made: Promise<Grey | null>;
      if (ahead) {
        // Made there (or unreadable there too); made here when the thread did not make it.
        made = ahead.then((p) => (p === undefined ? here() : p && { grey: p.grey, width: p.width, height: p.height }));
        if (this.madeLooks.size >= 4096) this.madeLooks.clear();
        this.madeLooks.set(
          id,
          ahead.then((p) => (p === undefined ? this.lookHere(made) : p && p.look)),
        );
      } else made = here();
      void made.then(() => this.settled.add(made));
      g = made;
      // The least recently asked for goes (a group's keeper is asked for again and again).
      if (this.greys.size >= GREYS_KEPT) {
        const [gone, old] = this.greys.entries().next().value!;
        this.greys.delete(gone);
        const settled = this.settled.has(old);
        // One still being decoded (never, with checks a few at a time) is left to the collector.
        void old.then((o) => {
          if (!settled) return;
          if (o && this.spare.grey.length < SPARES) this.spare.grey.push(o.grey);
          if (o?.table && this.spare.sat.length < SPARES) this.spare.sat.push(o.table.sat);
        });
      }
    } else {
      this.greys.delete(id);
    }
    this.greys.set(id, g);
    return g;
  }

  tableOf(g: Grey): GreyTable {
    return (g.table ??= greyTable(g.grey, g.width, g.height, this.take('sat', (g.width + 1) * (g.height + 1))));
  }

  /** `n` values of a spare buffer large enough, else of a new one (a table's in shared memory). */
  private take(kind: 'grey', n: number): Float32Array;
  private take(kind: 'sat', n: number): Float64Array;
  private take(kind: 'grey' | 'sat', n: number): Float32Array | Float64Array {
    const list: (Float32Array | Float64Array)[] = this.spare[kind];
    const at = list.findIndex((b) => b.buffer.byteLength >= n * b.BYTES_PER_ELEMENT);
    if (at >= 0) {
      const b = list.splice(at, 1)[0];
      return kind === 'grey' ? new Float32Array(b.buffer, 0, n) : new Float64Array(b.buffer, 0, n);
    }
    // Sized for the largest photo at the resolution, so that any later one fits it.
    const side = this.resolution + 1;
    return kind === 'grey' ? new Float32Array(new ArrayBuffer(4 * Math.max(n, side * side)), 0, n) : new Float64Array(new SharedArrayBuffer(8 * Math.max(n, side * side)), 0, n);
  }

  /** Its fine detail and local cells (20 KB together), kept for the last few thousand photos. */
  lookOf(id: number): Promise<Look | null> {
    let d = this.looks.get(id);
    if (!d) {
      const g = this.greyOf(id);
      d = this.madeLooks.get(id) ?? this.lookHere(g);
      this.madeLooks.delete(id);
      if (this.looks.size >= 4096) this.looks = new Map();
      this.looks.set(id, d);
    }
    return d;
  }

  private lookHere(grey: Promise<Grey | null>): Promise<Look | null> {
    return grey.then((g) => {
      if (!g) return null;
      const local = localLook(g.grey, g.width, g.height);
      return { fine: fineDetail(local.fine.mean), local };
    });
  }

  async detailOf(id: number): Promise<Float32Array | null> {
    return (await this.lookOf(id))?.fine ?? null;
  }
}
