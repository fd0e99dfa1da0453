// "Find similar" as the app asks it: from a library photo, a photo dropped in from outside, or
// several chosen photos at once, and why two photos match. Queries see what a long run indexed
// since they were built, now and then.
import path from 'node:path';
import { kgramSettings } from '../common/settings.js';
import { DEFAULT_EXPLAIN_TOP, ExplainError, MAX_EXPLAIN_TOP, explainStored } from '../search/explain.js';
import { nothingClose } from '../search/nearness.js';
import { summary, type LibraryContext } from './context.js';
import { ApiError, checkManyIds, checkSimilarity, checkTop, userError } from './validation.js';
import type { ExplainOptions, PairExplanation, SimilarityName, SimilarOptions, SimilarResult, UploadedFile } from '../../shared/api.js';

/** similarToMany fuses each chosen photo's top list of at least this many (docs/EVAL.md, "Find similar from several photos"). */
const MANY_CANDIDATES = 500;
/** While indexing, queries see new photos after at most this long. */
const QUERY_REFRESH_MS = 5000;

export class SearchService {
  private queriesAt = 0;
  private queriesSeen = 0;

  constructor(private readonly ctx: LibraryContext) {}

  similarity(opts?: SimilarOptions): SimilarityName {
    return checkSimilarity(opts, this.ctx.engine.store.getPref('similarity'));
  }

  /** During a long run, queries pick up what was indexed since they were built, now and then. */
  freshQueries(): void {
    const now = Date.now();
    if (!this.ctx.run.running || now - this.queriesAt < QUERY_REFRESH_MS) return;
    const n = this.ctx.engine.store.stats().indexed;
    if (n !== this.queriesSeen) this.ctx.engine.refreshQueries();
    this.queriesAt = now;
    this.queriesSeen = n;
  }

  private withPhotos(ranked: { id: number; path: string; score: number }[]): SimilarResult['results'] {
    return ranked.map((r) => {
      const rec = this.ctx.engine.store.getById(r.id);
      return { ...summary(rec ?? { id: r.id, path: r.path, width: null, height: null }), score: r.score };
    });
  }

  async similar(id: number, opts?: SimilarOptions): Promise<SimilarResult> {
    await this.ctx.swapping;
    const t = performance.now();
    const rec = this.ctx.engine.store.getById(Number(id));
    if (!rec || rec.status !== 'indexed') throw new ApiError('not-found', 'That photo is not in the library (any more).');
    const similarity = this.similarity(opts);
    const top = checkTop(opts);
    this.freshQueries();
    let r;
    try {
      r = await this.ctx.engine.similar(rec.path, { top, similarity });
    } catch (e) {
      throw userError(e, rec.path);
    }
    return {
      query: { id: rec.id, path: rec.path, name: path.basename(rec.path), indexed: r.query.indexed },
      results: this.withPhotos(r.results),
      similarity: r.similarity,
      nothingClose: nothingClose(r.results, r.similarity, rec.id),
      queryMs: r.queryMs,
      totalMs: performance.now() - t,
    };
  }

  async similarToFile(file: UploadedFile, opts?: SimilarOptions): Promise<SimilarResult> {
    await this.ctx.swapping;
    const t = performance.now();
    const name = typeof file?.name === 'string' && file.name ? path.basename(file.name) : 'photo';
    if (!file?.bytes || file.bytes.byteLength === 0) throw new ApiError('bad-request', `${name} is empty.`);
    const similarity = this.similarity(opts);
    const top = checkTop(opts);
    this.freshQueries();
    let q;
    try {
      q = await this.ctx.engine.describeBytes(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength), file.name);
    } catch (e) {
      throw userError(e, name);
    }
    const r = await this.ctx.engine.rankAny(q, { top, similarity });
    return {
      query: { name, indexed: false },
      results: this.withPhotos(r.results),
      similarity: r.similarity,
      nothingClose: nothingClose(r.results, r.similarity),
      queryMs: r.queryMs,
      totalMs: performance.now() - t,
    };
  }

  async similarToMany(ids: number[], opts?: SimilarOptions): Promise<SimilarResult> {
    await this.ctx.swapping;
    const t = performance.now();
    const chosen = checkManyIds(ids);
    const recs = chosen.map((id) => {
      const rec = this.ctx.engine.store.getById(id);
      if (!rec || rec.status !== 'indexed') throw new ApiError('not-found', `Photo ${id} is not in the library (any more).`);
      return rec;
    });
    const similarity = this.similarity(opts);
    const top = checkTop(opts);
    this.freshQueries();
    // Each chosen photo's own ranking, fused: a photo's score is its mean score to the chosen ones,
    // where it is outside one's list counting that list's last score (what it can at most have
    // there), so a photo close to all of them beats one close to a single one by chance
    // (docs/EVAL.md, "Find similar from several photos": the same P@10 as the exact mean).
    const k = Math.max(MANY_CANDIDATES, top + chosen.length);
    const lists: Map<number, number>[] = [];
    const floors: number[] = [];
    const paths = new Map<number, string>();
    let queryMs = 0;
    for (const rec of recs) {
      let r;
      try {
        r = await this.ctx.engine.similar(rec.path, { top: k, similarity });
      } catch (e) {
        throw userError(e, rec.path);
      }
      queryMs += r.queryMs;
      const list = new Map<number, number>();
      for (const hit of r.results) {
        list.set(hit.id, hit.score);
        paths.set(hit.id, hit.path);
      }
      lists.push(list);
      // A list shorter than asked holds every photo that scores at all: outside it is 0.
      floors.push(r.results.length >= k ? Math.max(0, r.results[r.results.length - 1].score) : 0);
    }
    const sums = new Map<number, { path: string; sum: number }>();
    for (const [id, p] of paths) sums.set(id, { path: p, sum: lists.reduce((n, l, i) => n + (l.get(id) ?? floors[i]), 0) });
    const skip = new Set(chosen);
    const ranked = [...sums.entries()]
      .filter(([id]) => !skip.has(id))
      .map(([id, s]) => ({ id, path: s.path, score: s.sum / recs.length }))
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, top);
    return {
      query: { ids: chosen, name: recs.length === 1 ? path.basename(recs[0].path) : `${recs.length} photos`, indexed: true },
      results: this.withPhotos(ranked),
      similarity,
      queryMs,
      totalMs: performance.now() - t,
    };
  }

  // ---- why two photos match -------------------------------------------------------------------

  /** Where the visual words two indexed photos share lie in each, weighed as the index's cosine weighs them (explain.ts). */
  async explain(a: number, b: number, opts?: ExplainOptions): Promise<PairExplanation> {
    await this.ctx.swapping;
    const top = opts?.top ?? DEFAULT_EXPLAIN_TOP;
    if (!Number.isInteger(top) || top < 0 || top > MAX_EXPLAIN_TOP) throw new ApiError('bad-request', `top must be a whole number from 0 to ${MAX_EXPLAIN_TOP}.`);
    for (const id of [a, b]) if (!Number.isInteger(id)) throw new ApiError('bad-request', `Name each photo by its id (a whole number), not ${JSON.stringify(id)}.`);
    this.freshQueries();
    const engine = this.ctx.engine;
    try {
      return explainStored(engine.store, engine.impactIndex(), kgramSettings(engine.settings), a, b, { top });
    } catch (e) {
      if (e instanceof ExplainError) throw new ApiError('not-found', `${e.message}.`);
      throw new ApiError('internal', `Could not explain the match: ${(e as Error)?.message ?? String(e)}`);
    }
  }
}
