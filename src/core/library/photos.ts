// The photos as the windows browse them: pages of the grid, its date sections and subfolder
// tree, one photo's details and metadata, and the files a window shows (the photo, a thumbnail,
// a rendering of a format browsers cannot read), each only for an indexed photo in the library.
import fs from 'node:fs';
import path from 'node:path';
import { PathNotIndexedError, PathRefusedError } from './pathguard.js';
import { ThumbnailCache } from '../browse/thumbnails.js';
import { needsRendering } from '../analysis/formats.js';
import { PhotoQueryError, fillTaken, listedPhoto, photoDates, resolveQuery, subfolderTree } from '../browse/photolist.js';
import { PhotoInfoError, readPhotoInfo } from '../browse/photoinfo.js';
import { summary, type LibraryContext } from './context.js';
import { ApiError, MAX_PAGE } from './validation.js';
import type { ListPhotosQuery, PhotoDates, PhotoDatesQuery, PhotoDetail, PhotoInfo, PhotoPage, SubfolderNode } from '../../shared/api.js';

export class Photos {
  private readonly thumbs: ThumbnailCache;
  private datesFill?: Promise<void>;

  constructor(private readonly ctx: LibraryContext) {
    this.thumbs = new ThumbnailCache(ctx.opts.thumbsDir ?? path.join(path.dirname(ctx.dbPath), 'thumbnails'));
  }

  async listPhotos(q: ListPhotosQuery): Promise<PhotoPage> {
    await this.ctx.swapping;
    const offset = Math.max(0, Math.floor(Number(q?.offset) || 0));
    const limit = Math.min(MAX_PAGE, Math.max(0, Math.floor(Number(q?.limit) || 0)));
    const { filter, sort, order } = this.photoQuery(q);
    const list = this.ctx.engine.store.photoList();
    const total = list.count(filter);
    const rows = limit ? list.page(filter, sort, order, offset, limit) : [];
    return { total, offset, items: rows.map(listedPhoto) };
  }

  async photoDates(q: PhotoDatesQuery): Promise<PhotoDates> {
    await this.ctx.swapping;
    const { filter, order } = this.photoQuery({ ...q, sort: 'taken' });
    return photoDates(this.ctx.engine.store.photoList(), filter, order);
  }

  async listSubfolders(folderId: number): Promise<SubfolderNode> {
    await this.ctx.swapping;
    const folder = this.ctx.folders.rows().find((r) => r.id === folderId);
    if (!folder) throw new ApiError('not-found', 'That folder is not in the library (any more).');
    return subfolderTree(this.ctx.engine.store.photoList(), folder.path);
  }

  /** A listPhotos / photoDates query checked: its folder, subfolder, search, sort and order. */
  private photoQuery(q: Partial<ListPhotosQuery> | undefined) {
    if (q !== undefined && (q === null || typeof q !== 'object')) throw new ApiError('bad-request', 'The photo query must be an object.');
    const rows = this.ctx.folders.rows();
    let folder: string | undefined;
    if (q?.folderId !== undefined && q.folderId !== null) {
      folder = rows.find((r) => r.id === q.folderId)?.path;
      if (folder === undefined) throw new ApiError('not-found', 'That folder is not in the library (any more).');
    }
    try {
      return resolveQuery(
        q ?? {},
        folder,
        rows.map((r) => r.path),
      );
    } catch (e) {
      throw e instanceof PhotoQueryError ? new ApiError('bad-request', e.message) : e;
    }
  }

  /**
   * Reads the date taken of photos an older index (before schema 8) has none for, in the
   * background; new photos get theirs as they are indexed. The grid is told every few seconds,
   * so its order and sections fill in while it is open.
   */
  fillDates(): void {
    const { ctx } = this;
    if (this.datesFill || ctx.closing) return;
    let told = Date.now();
    const tell = () => {
      told = Date.now();
      if (!ctx.closing) ctx.emitFolders();
    };
    this.datesFill = (async () => {
      await ctx.swapping;
      const filled = await fillTaken(() => ({ photoList: ctx.engine.store.photoList(), transaction: (fn) => ctx.engine.store.transaction(fn) }), {
        stop: () => ctx.closing,
        onBatch: () => {
          if (Date.now() - told > 3000) tell();
        },
      });
      if (filled > 0) {
        ctx.opts.log?.(`Read the date taken of ${filled} photos indexed before dates were kept.`);
        tell();
      }
    })()
      .catch((e) => ctx.opts.log?.(`Reading dates taken stopped: ${(e as Error).message}`))
      .finally(() => (this.datesFill = undefined));
  }

  /** Waits for a date fill in progress (closing). */
  async whenDatesFilled(): Promise<void> {
    await this.datesFill;
  }

  async photo(id: number): Promise<PhotoDetail> {
    await this.ctx.swapping;
    const rec = this.ctx.engine.store.getById(Number(id));
    if (!rec) throw new ApiError('not-found', 'That photo is not in the library (any more).');
    const folder = this.ctx.folders.rows().find((f) => rec.path.startsWith(f.path + path.sep));
    return {
      ...summary(rec),
      size: rec.size,
      mtimeMs: rec.mtimeMs,
      hash: rec.hash ?? null,
      folderId: folder?.id ?? null,
    };
  }

  async photoInfo(id: number): Promise<PhotoInfo> {
    await this.ctx.swapping;
    const rec = this.ctx.engine.store.getById(Number(id));
    if (!rec || rec.status !== 'indexed') throw new ApiError('not-found', 'That photo is not in the library (any more).');
    try {
      return await readPhotoInfo(rec);
    } catch (err) {
      if (err instanceof PhotoInfoError) throw new ApiError(err.code, err.message);
      throw err;
    }
  }

  // ---- files for the windows -------------------------------------------------------------------

  /** The photo's real path, only for an image inside a library folder. */
  async checkedFile(photoPath: string, notIndexed: 'not-found' | 'forbidden' = 'not-found'): Promise<string> {
    try {
      return await this.ctx.folders.guard.check(photoPath);
    } catch (e) {
      if (e instanceof PathNotIndexedError) throw new ApiError(notIndexed, e.message);
      if (e instanceof PathRefusedError) throw new ApiError('forbidden', e.message);
      throw e;
    }
  }

  /** A cached JPEG thumbnail of a library photo, made on first request. */
  async thumbnailFile(photoPath: string, size?: number): Promise<string> {
    const { real, hash } = await this.cacheKeyOf(photoPath);
    try {
      return await this.thumbs.get(real, size ?? 320, hash);
    } catch (e) {
      throw new ApiError('bad-request', `No thumbnail for ${path.basename(photoPath)}: ${(e as Error).message}`);
    }
  }

  /**
   * The file a window shows for a library photo: the photo itself where browsers read its
   * format, else a cached JPEG rendering of it (HEIC, RAW, BMP, TIFF).
   */
  async displayFile(photoPath: string): Promise<string> {
    if (!needsRendering(photoPath)) return this.checkedFile(photoPath);
    const { real, hash } = await this.cacheKeyOf(photoPath);
    try {
      return await this.thumbs.preview(real, hash);
    } catch (e) {
      throw new ApiError('bad-request', `No preview for ${path.basename(photoPath)}: ${(e as Error).message}`);
    }
  }

  private async cacheKeyOf(photoPath: string): Promise<{ real: string; hash: string | undefined }> {
    const real = await this.checkedFile(photoPath);
    const store = this.ctx.engine.store;
    const rec = store.getByPath(photoPath) ?? store.getByPath(real);
    const st = fs.statSync(real, { throwIfNoEntry: false });
    // The stored hash names the rendering only while the file is the one that was hashed.
    const hash = rec?.hash && st && st.size === rec.size && st.mtimeMs === rec.mtimeMs ? rec.hash : undefined;
    return { real, hash };
  }
}
