// The pixels the checks look at, decoded only for photos in a link that needs them and kept for
// the last few: the grey image (crop search, placing a photo in its keeper), its fine detail
// (hash links) and its local cells (two shots or an edit: local.ts).
import { decodeForModel, readImageFile } from '../analysis/decode/decode.js';
import { photoSource } from '../analysis/decode/source.js';
import type { ImageRecord } from '../index/store.js';
import { greyTable, type GreyTable } from './crop-search.js';
import { LOCAL_FINE_SIDE, greyOfPixels, localLook, type LocalLook } from './local.js';

/** Side of the grey image whose fine detail two hash-linked photos must share. */
const DETAIL_SIDE = LOCAL_FINE_SIDE;
/** Photos whose decoded grey images are kept (0.35 MB each at 299 px; a keeper's summed-area table doubles that). */
const GREYS_KEPT = 48;

/**
 * A photo's fine detail as a unit vector: the pixels the model reads (decode.ts, EXIF-oriented),
 * box-averaged to DETAIL_SIDE squared grey cells whatever the aspect (as the hash squeezes them:
 * the local-difference check's finer cells, local.ts), less each cell's 3 x 3 mean. The dot
 * product of two is their detail's correlation.
 */
function fineDetail(cells: Float32Array): Float32Array {
  const N = DETAIL_SIDE;
  const out = new Float32Array(N * N);
  let mean = 0;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      let s = 0;
      let n = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(N - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(N - 1, x + 1); xx++) {
          s += cells[yy * N + xx];
          n++;
        }
      }
      out[y * N + x] = cells[y * N + x] - s / n;
      mean += out[y * N + x];
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

  /** `recs`: the indexed photos; `resolution`: the long side they are decoded at (the index's). */
  constructor(
    private readonly recs: Map<number, ImageRecord>,
    private readonly resolution: number,
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
      g = this.pixelsOf(id).then((img) => img && { grey: greyOfPixels(img.pixels), width: img.width, height: img.height });
      // The least recently asked for goes (a group's keeper is asked for again and again).
      if (this.greys.size >= GREYS_KEPT) this.greys.delete(this.greys.keys().next().value!);
    } else {
      this.greys.delete(id);
    }
    this.greys.set(id, g);
    return g;
  }

  tableOf(g: Grey): GreyTable {
    return (g.table ??= greyTable(g.grey, g.width, g.height));
  }

  /** Its fine detail and local cells (20 KB together), kept for the last few thousand photos. */
  lookOf(id: number): Promise<Look | null> {
    let d = this.looks.get(id);
    if (!d) {
      d = this.greyOf(id).then((g) => {
        if (!g) return null;
        const local = localLook(g.grey, g.width, g.height);
        return { fine: fineDetail(local.fine.mean), local };
      });
      if (this.looks.size >= 4096) this.looks = new Map();
      this.looks.set(id, d);
    }
    return d;
  }

  async detailOf(id: number): Promise<Float32Array | null> {
    return (await this.lookOf(id))?.fine ?? null;
  }
}
