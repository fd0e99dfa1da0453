// The app's calls for duplicates and decisions (src/shared/api.ts): requests checked, the
// DuplicatesService's answers turned into the shapes the windows show, errors into sentences.
import path from 'node:path';
import { kgramSettings } from '../common/settings.js';
import { DEFAULT_SENSITIVITY, DEFAULT_SIMILAR_SHOTS, whyLinked, type DuplicateGroup, type DuplicateReport } from '../duplicates/find.js';
import { explainStored } from '../search/explain.js';
import type { Decision } from '../index/store.js';
import { summary, type LibraryContext } from './context.js';
import { DuplicatesService } from './duplicates-service.js';
import { ApiError, checkDuplicateOptions, type CheckedDuplicateOptions } from './validation.js';
import {
  REPORT_TYPES,
  reportFileName,
  type DecisionKind,
  type DecisionRequest,
  type DecisionView,
  type DuplicateGroupView,
  type DuplicatePhoto,
  type DuplicatesOptions,
  type DuplicatesResult,
  type ReportFormat,
} from '../../shared/api.js';

export class DuplicatesApi {
  readonly service: DuplicatesService;

  constructor(private readonly ctx: LibraryContext) {
    this.service = new DuplicatesService({
      store: () => ctx.engine.store,
      ready: () => ctx.swapping,
      live: () => ctx.engine.liveIndex(),
      fresh: () => ctx.search.freshQueries(),
      // The library's query snapshot as it is when the report is asked for.
      explainer: () => {
        const { store, settings } = ctx.engine;
        const snap = ctx.engine.impactIndex();
        const s = kgramSettings(settings);
        return { explain: (a, b) => explainStored(store, snap, s, a, b, { top: 0 }), close: () => undefined };
      },
    });
  }

  private async report(o: CheckedDuplicateOptions): Promise<DuplicateReport> {
    try {
      // Only an older index's missing perceptual hashes take long enough to need a bar.
      return await this.service.report(o, (p) => this.ctx.emit({ type: 'duplicates-progress', phase: p.phase, done: p.done, total: p.total }));
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError('internal', `Could not look for duplicates: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  private groupView(g: DuplicateGroup): DuplicateGroupView {
    const store = this.ctx.engine.store;
    const view: DuplicateGroupView = {
      tier: g.tier,
      keeper: g.keeper,
      reason: g.reason,
      key: g.key,
      members: g.members.map((m): DuplicatePhoto => {
        const p: DuplicatePhoto = {
          ...summary(m),
          size: m.size,
          mtimeMs: store.getById(m.id)?.mtimeMs ?? 0,
          captureDate: m.captureDate,
          hash: m.hash,
          score: m.score,
          identical: m.identical,
          keep: m.id === g.keeper,
        };
        if (m.link) {
          p.link = { ...m.link };
          p.why = whyLinked(m);
        }
        if (m.phashDistance !== undefined) p.phashDistance = m.phashDistance;
        if (m.transform) p.transform = m.transform;
        if (m.protect) p.protect = m.protect;
        return p;
      }),
    };
    if (g.related?.length) view.related = g.related.map((r) => ({ ...r }));
    if (g.decision) view.decision = { ...g.decision };
    return view;
  }

  async duplicates(opts?: DuplicatesOptions): Promise<DuplicatesResult> {
    const o = checkDuplicateOptions(opts);
    const report = await this.report(o);
    const keyOf = new Map(report.groups.map((g, i) => [i, g.key]));
    return {
      groups: report.groups.map((g) => this.groupView(g)),
      similar: report.similar.map((g) => ({
        kind: g.kind,
        key: g.key,
        members: g.members.map((m) => {
          const p = { ...summary(m), size: m.size, hash: m.hash, score: m.score } as DuplicatesResult['similar'][number]['members'][number];
          if (m.captureDate) p.captureDate = m.captureDate;
          const dg = m.duplicateGroup === undefined ? undefined : keyOf.get(m.duplicateGroup);
          if (dg) p.duplicateGroup = dg;
          return p;
        }),
      })),
      keptAll: report.keptAll.map((g) => this.groupView(g)),
      decisions: report.decisions,
      photos: report.photos,
      sensitivity: report.sensitivity,
      defaultSensitivity: DEFAULT_SENSITIVITY,
      similarShots: report.similarShots,
      defaultSimilarShots: DEFAULT_SIMILAR_SHOTS,
      burstSeconds: o.burstSeconds,
      ms: report.ms,
    };
  }

  /** The duplicates report as a file to save: self-contained HTML (thumbnails embedded), CSV or JSON. */
  async duplicatesReport(format: ReportFormat, opts?: DuplicatesOptions): Promise<{ name: string; type: string; text: string }> {
    if (format !== 'html' && format !== 'csv' && format !== 'json') throw new ApiError('bad-request', `A report is html, csv or json, not ${String(format)}.`);
    const report = await this.report(checkDuplicateOptions(opts));
    const folders = this.ctx.folders.rows().map((f) => f.path);
    const text = await this.service.reportFile(format, report, { title: folders.length ? folders.join(', ') : this.ctx.dbPath });
    return { name: reportFileName(format), type: REPORT_TYPES[format], text };
  }

  // ---- decisions about duplicates ----------------------------------------------------------------

  private decisionView(d: Decision): DecisionView {
    const store = this.ctx.engine.store;
    const photo = (p: { id: number; path: string }) => summary(store.getById(p.id) ?? { id: p.id, path: p.path });
    return {
      id: d.id,
      kind: d.kind,
      createdAt: d.createdAt,
      photos: d.photos.flatMap((h) => h.photos.map(photo)),
      keeper: d.kind === 'keeper' ? (d.photos.find((h) => h.hash === d.keeper)?.photos.map(photo) ?? []) : null,
      missing: d.photos.filter((h) => h.photos.length === 0).length,
      stale: d.stale,
    };
  }

  async decideDuplicates(d: DecisionRequest): Promise<DecisionView> {
    await this.ctx.swapping;
    const kinds: DecisionKind[] = ['not-duplicates', 'keep-all', 'keeper'];
    if (!d || typeof d !== 'object' || !kinds.includes(d.kind)) throw new ApiError('bad-request', `A decision is one of ${kinds.join(', ')}.`);
    if (!Array.isArray(d.ids) || d.ids.length < 2 || d.ids.length > 10_000 || !d.ids.every((id) => Number.isInteger(id))) {
      throw new ApiError('bad-request', 'A decision names at least two photos by their ids (whole numbers).');
    }
    const store = this.ctx.engine.store;
    const hashOf = new Map<number, string>();
    for (const id of new Set(d.ids)) {
      const rec = store.getById(id);
      if (!rec || rec.status !== 'indexed') throw new ApiError('not-found', `Photo ${id} is not in the library (any more). Look for duplicates again.`);
      if (!rec.hash) throw new ApiError('bad-request', `${path.basename(rec.path)} has no content hash yet; wait until it is indexed.`);
      hashOf.set(id, rec.hash);
    }
    let keeper: string | undefined;
    if (d.kind === 'keeper') {
      if (d.keeper === undefined || !hashOf.has(d.keeper)) throw new ApiError('bad-request', 'The photo to keep must be one of the group.');
      keeper = hashOf.get(d.keeper);
    }
    const hashes = [...new Set(hashOf.values())];
    // Decisions are kept by content: copies with the very same bytes cannot be told apart by one.
    if (hashes.length < 2 || (keeper && hashes.every((h) => h === keeper))) {
      throw new ApiError('bad-request', 'These photos have the very same bytes; a decision is kept by content, so it cannot tell them apart.');
    }
    let id: number;
    try {
      id = this.service.decisions.record(d.kind, hashes, keeper);
    } catch (e) {
      throw new ApiError('bad-request', `The decision was not stored: ${(e as Error)?.message ?? String(e)}.`);
    }
    const stored = this.service.decisions.list().find((x) => x.id === id);
    if (!stored) throw new ApiError('internal', 'The decision was stored but cannot be read back.');
    return this.decisionView(stored);
  }

  async listDecisions(): Promise<DecisionView[]> {
    await this.ctx.swapping;
    return this.service.decisions.list().map((d) => this.decisionView(d));
  }

  async undoDecision(id: number): Promise<{ undone: boolean }> {
    await this.ctx.swapping;
    if (!Number.isInteger(id)) throw new ApiError('bad-request', `Name the decision by its id (a whole number), not ${JSON.stringify(id)}.`);
    if (!this.service.decisions.undo(id)) throw new ApiError('not-found', 'That decision is not stored (any more).');
    return { undone: true };
  }
}
