// Thumbnails for the grid: made by sharp on first request and cached on disk under the photo's
// content hash, so renames and moves reuse them and an edited photo gets a new one.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { openPathForDisplay } from '../analysis/decode/source.js';
import { THUMB_SIZES } from '../../shared/api.js';

/** Long side of the preview rendering: sharp on a large screen, a fraction of a camera's 24 MP. */
export const PREVIEW_SIDE = 2560;

export class ThumbnailCache {
  private readonly inflight = new Map<string, Promise<string>>();
  // Few at a time: thumbnails share libuv's pool with the indexer's decoding, and a scrolled grid
  // asks for dozens at once.
  private readonly queue = new PQueue({ concurrency: 2 });

  constructor(readonly dir: string) {}

  /** The size the cache makes for a requested longest side. */
  static sizeFor(requested: number | undefined): number {
    const want = Number.isFinite(requested) && requested! > 0 ? requested! : THUMB_SIZES[1];
    return THUMB_SIZES.find((s) => s >= want) ?? THUMB_SIZES[THUMB_SIZES.length - 1];
  }

  /**
   * Path of a JPEG thumbnail of `file` (longest side `size`); `hash` is its content sha256 when
   * the index knows it, else the file is hashed here.
   */
  async get(file: string, size: number, hash?: string | null): Promise<string> {
    return this.make(file, ThumbnailCache.sizeFor(size), 78, hash);
  }

  /**
   * Path of a large JPEG rendering of a photo the browser cannot show itself (HEIC, RAW, BMP,
   * TIFF): the preview's picture, made once and cached like the thumbnails.
   */
  async preview(file: string, hash?: string | null): Promise<string> {
    return this.make(file, PREVIEW_SIDE, 88, hash);
  }

  private async make(file: string, side: number, quality: number, hash?: string | null): Promise<string> {
    const key =
      hash ??
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
    const out = join(this.dir, key.slice(0, 2), `${key}-${side}.jpg`);
    const existing = this.inflight.get(out);
    if (existing) return existing;
    const job = (async () => {
      if (
        await stat(out).then(
          () => true,
          () => false,
        )
      )
        return out;
      return this.queue.add(async () => {
        await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
        // Written beside and renamed, so a crash never leaves a half thumbnail that looks whole.
        const tmp = `${out}.${process.pid}.tmp`;
        // Every format as people see it: a RAW's embedded preview (as indexing reads it), a
        // HEIC's picture or its thumbnail item when that is large enough, turned as displayed.
        await (await openPathForDisplay(file, side)).resize(side, side, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality }).toFile(tmp);
        await rename(tmp, out);
        return out;
      }) as Promise<string>;
    })().finally(() => this.inflight.delete(out));
    this.inflight.set(out, job);
    return job;
  }
}
