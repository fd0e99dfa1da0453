// The duplicates report a person can act on: one self-contained HTML file (thumbnails embedded, no
// request to anywhere, so it can be mailed or archived), and the same rows as CSV and JSON for
// spreadsheets and scripts. It only describes; nothing here moves or deletes a file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import PQueue from 'p-queue';
import type { DuplicateGroup, DuplicateReport } from './types.js';
import { whyLinked } from './why-linked.js';
import { openPathForDisplay } from '../analysis/decode/source.js';
import type { PairExplanation } from '../../shared/api.js';

/** Longest side of the embedded thumbnails. */
const THUMB_PX = 200;

export interface ReportRow {
  group: number;
  tier: 'exact' | 'near';
  keep: boolean;
  path: string;
  width: number | null;
  height: number | null;
  bytes: number;
  modified: string | null;
  captureDate: string | null;
  similarity: number;
  /** Bits (of 64) between its perceptual hash and the keeper's; null where either has none. */
  phashBits: number | null;
  identical: boolean;
  /** How it joined its group (same bytes, hash bits, words, a turn); empty for the keeper. */
  joinedBy: string;
  reason: string;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

/** One row per photo in a group, the keeper first, as the CSV and JSON give them. */
export function reportRows(report: DuplicateReport): ReportRow[] {
  return report.groups.flatMap((g, i) =>
    g.members.map((m, _, all) => {
      const st = fs.statSync(m.path, { throwIfNoEntry: false });
      return {
        group: i + 1,
        tier: g.tier,
        keep: m.id === g.keeper,
        path: m.path,
        width: m.width,
        height: m.height,
        bytes: m.size,
        modified: st ? new Date(st.mtimeMs).toISOString() : null,
        captureDate: m.captureDate ?? null,
        similarity: Number(m.score.toFixed(4)),
        phashBits: m.phashDistance ?? null,
        identical: m.identical,
        joinedBy:
          m.id === g.keeper
            ? ''
            : whyLinked(m, (id) => {
                const o = all.find((x) => x.id === id);
                return o && path.basename(o.path);
              }),
        reason: m.id === g.keeper ? g.reason : '',
      };
    }),
  );
}

const CSV_COLUMNS: (keyof ReportRow)[] = ['group', 'tier', 'keep', 'path', 'width', 'height', 'bytes', 'modified', 'captureDate', 'similarity', 'phashBits', 'identical', 'joinedBy', 'reason'];

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  // RFC 4180 quoting; a leading = + - @ is prefixed so a spreadsheet never runs a path as a formula.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(report: DuplicateReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of reportRows(report)) lines.push(CSV_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function reportJson(report: DuplicateReport): string {
  const { groups: _groups, ...summary } = report;
  return `${JSON.stringify({ ...summary, groups: report.groups.length, rows: reportRows(report) }, null, 2)}\n`;
}

// The report's one style block, allowed by its hash rather than 'unsafe-inline': the file may be
// opened anywhere, and no other inline style (say, from a file name that escaped esc) would apply.
const REPORT_STYLE = `
body{font:14px system-ui,sans-serif;margin:2rem;color:#222;background:#fbfbfa}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1rem;margin:0 0 .3rem}
.summary{color:#555;margin-bottom:1.5rem}section{background:#fff;border:1px solid #e4e4e0;border-radius:8px;padding:1rem;margin:0 0 1rem}
.why{margin:.2rem 0 .8rem;color:#444}.row{display:flex;gap:1rem;flex-wrap:wrap}
figure{margin:0;width:220px;border:2px solid transparent;border-radius:6px;padding:6px}figure.keeper{border-color:#2f7d32;background:#f3faf3}
img{max-width:200px;max-height:200px;display:block;margin:0 auto 6px}.missing{height:120px;display:flex;align-items:center;justify-content:center;background:#eee;color:#777}
figcaption{font-size:12px;line-height:1.4}.ov{position:relative;width:fit-content;margin:0 auto 6px}.ov img{margin:0}.ov svg{position:absolute;inset:0;width:100%;height:100%}.hint{color:#777}.name{font-weight:600;word-break:break-all}.path{color:#777;word-break:break-all}
h1.tier{font-size:1.15rem;margin:1.5rem 0 .6rem}section.similar{background:#fcfcff}
.keep{background:#2f7d32;color:#fff;border-radius:3px;padding:0 4px}.same{background:#555;color:#fff;border-radius:3px;padding:0 4px}.score{color:#1a56b0}
`;
/** The HTML report's policy (its meta tag): no script, images only as data: URLs, its own styles only. */
export const REPORT_CSP = `default-src 'none'; img-src data:; style-src 'sha256-${createHash('sha256').update(REPORT_STYLE).digest('base64')}'`;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const size = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

/** A data: URL of a small JPEG of the photo, or null when it cannot be read (gone, corrupt). */
async function thumbnail(file: string): Promise<string | null> {
  try {
    const buf = await (await openPathForDisplay(file, THUMB_PX)).resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 70 }).toBuffer();
    return `data:image/jpeg;base64,${buf.toString('base64')}`;
  } catch {
    return null;
  }
}

export interface HtmlOptions {
  /** Title line, e.g. the database's path. */
  title?: string;
  onProgress?: (done: number, total: number) => void;
  /**
   * Why a near copy matches its keeper (explain.ts's explainStored, by photo ids): given, each
   * near group's thumbnails get the cells their shared visual words lie in drawn over them.
   * Undefined (or a throw) for a pair leaves its photos plain.
   */
  explain?: (keeper: number, member: number) => PairExplanation | undefined;
}

/** A photo's share of a match, each cell scaled to its heaviest (0..1), row-major. */
interface Overlay {
  width: number;
  height: number;
  cells: Float64Array;
}

function scaled(p: PairExplanation['a']): Overlay {
  return { width: p.grid.width, height: p.grid.height, cells: Float64Array.from(p.weights, (w) => (p.max > 0 ? w / p.max : 0)) };
}

/**
 * Overlays of a near group: each near copy shows where the words it shares with the keeper lie in
 * it, the keeper where any copy's shared words lie in it (the cell-wise largest). Same-byte copies
 * get none: everything matches.
 */
function groupOverlays(g: DuplicateGroup, explain: NonNullable<HtmlOptions['explain']>): Map<number, Overlay> {
  const out = new Map<number, Overlay>();
  if (g.tier !== 'near') return out;
  for (const m of g.members) {
    if (m.id === g.keeper || m.identical) continue;
    let r: PairExplanation | undefined;
    try {
      r = explain(g.keeper, m.id);
    } catch {
      r = undefined;
    }
    if (!r || !(r.cosine > 0)) continue;
    out.set(m.id, scaled(r.b));
    const k = scaled(r.a);
    const had = out.get(g.keeper);
    if (had && had.width === k.width && had.height === k.height) for (let i = 0; i < k.cells.length; i++) had.cells[i] = Math.max(had.cells[i], k.cells[i]);
    else if (!had) out.set(g.keeper, k);
  }
  return out;
}

/**
 * Inline SVG over a thumbnail (the report's CSP allows no script and no external image, and needs
 * neither): one rectangle per cell, its opacity the cell's weight. The grid covers the whole photo,
 * so a viewBox of grid cells stretched over the thumbnail puts each cell on its part of the photo.
 */
function overlaySvg(o: Overlay): string {
  const rects: string[] = [];
  for (let y = 0; y < o.height; y++) {
    for (let x = 0; x < o.width; x++) {
      const v = o.cells[y * o.width + x];
      // sqrt: the heaviest cells would otherwise hide the rest of the match.
      if (v >= 0.02) rects.push(`<rect x="${x}" y="${y}" width="1" height="1" fill-opacity="${(0.7 * Math.sqrt(v)).toFixed(2)}"/>`);
    }
  }
  return `<svg class="match" viewBox="0 0 ${o.width} ${o.height}" preserveAspectRatio="none" aria-hidden="true"><g fill="#ff6a00">${rects.join('')}</g></svg>`;
}

export async function reportHtml(report: DuplicateReport, opts: HtmlOptions = {}): Promise<string> {
  const rows = reportRows(report);
  const files = [...new Set([...rows.map((r) => r.path), ...report.similar.flatMap((g) => g.members.map((m) => m.path))])];
  const thumbs = new Map<string, string | null>();
  const queue = new PQueue({ concurrency: 4 });
  let done = 0;
  await Promise.all(
    files.map((f) =>
      queue.add(async () => {
        thumbs.set(f, await thumbnail(f));
        opts.onProgress?.(++done, files.length);
      }),
    ),
  );
  const byGroup = new Map<number, ReportRow[]>();
  for (const r of rows) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  const exact = report.groups.filter((g: DuplicateGroup) => g.tier === 'exact').length;
  const wasted = rows.filter((r) => !r.keep).reduce((a, r) => a + r.bytes, 0);

  const overlays = new Map<string, Overlay>();
  if (opts.explain) {
    for (const g of report.groups) {
      for (const [id, o] of groupOverlays(g, opts.explain)) {
        const m = g.members.find((x) => x.id === id);
        if (m) overlays.set(m.path, o);
      }
    }
  }

  const card = (r: ReportRow) => {
    const t = thumbs.get(r.path);
    const o = overlays.get(r.path);
    const plain = t ? `<img src="${t}" alt="${esc(path.basename(r.path))}">` : `<div class="missing">no preview</div>`;
    const img = t && o ? `<div class="ov">${plain}${overlaySvg(o)}</div>` : plain;
    const badge = r.keep
      ? '<span class="keep">keep</span>'
      : r.identical
        ? '<span class="same">same bytes</span>'
        : `<span class="score">similarity ${r.similarity.toFixed(3)}${r.joinedBy ? ` · ${esc(r.joinedBy)}` : ''}</span>`;
    return `<figure class="${r.keep ? 'keeper' : ''}">${img}<figcaption>${badge}
<div class="name">${esc(path.basename(r.path))}</div>
<div>${r.width ?? '?'} × ${r.height ?? '?'} · ${size(r.bytes)}</div>
<div>${r.captureDate ? `taken ${esc(r.captureDate.slice(0, 10))}` : r.modified ? `modified ${esc(r.modified.slice(0, 10))}` : ''}</div>
<div class="path">${esc(r.path)}</div></figcaption></figure>`;
  };
  const sections = [...byGroup.entries()]
    .map(([g, rs]) => {
      const keeper = rs.find((r) => r.keep)!;
      return `<section><h2>Group ${g} · same photo: ${rs[0].tier === 'exact' ? 'same bytes' : 'near copies'} · ${rs.length} photos</h2>
<p class="why">Suggested keeper: <b>${esc(path.basename(keeper.path))}</b>, ${esc(keeper.reason)}.${rs.some((r) => overlays.has(r.path)) ? ' <span class="hint">Shaded: where the visual words each copy shares with the keeper lie (darker weighs more in their similarity).</span>' : ''}</p>
<div class="row">${rs.map(card).join('\n')}</div></section>`;
    })
    .join('\n');
  const shot = (m: DuplicateReport['similar'][number]['members'][number], first: boolean) => {
    const t = thumbs.get(m.path);
    const img = t ? `<img src="${t}" alt="${esc(path.basename(m.path))}">` : `<div class="missing">no preview</div>`;
    return `<figure>${img}<figcaption>${first ? '' : `<span class="score">visual words ${m.score.toFixed(3)}</span>`}
<div class="name">${esc(path.basename(m.path))}</div>
<div>${m.width ?? '?'} × ${m.height ?? '?'} · ${size(m.size)}${m.captureDate ? ` · taken ${esc(m.captureDate.slice(0, 19).replace('T', ' '))}` : ''}</div>
<div class="path">${esc(m.path)}</div></figcaption></figure>`;
  };
  const similar = report.similar
    .map(
      (g, i) => `<section class="similar"><h2>Similar shots ${i + 1} · ${g.kind === 'burst' ? 'a burst (taken within seconds)' : 'look-alikes'} · ${g.members.length} photos</h2>
<p class="why">Different photos of one scene: alike (visual words ${report.similarShots} and up) but not the same photo. Nothing to delete here; keep the best, if you like.</p>
<div class="row">${g.members.map((m, j) => shot(m, j === 0)).join('\n')}</div></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<title>Photowords duplicates report</title>
<style>${REPORT_STYLE}</style></head><body>
<h1>Duplicates${opts.title ? ` in ${esc(opts.title)}` : ''}</h1>
<p class="summary">${plural(report.groups.length, 'group')} (${exact} of identical files, ${report.groups.length - exact} of near duplicates) among ${plural(report.photos, 'photo')};
${plural(rows.length - report.groups.length, 'photo')} beyond the suggested keepers take ${size(wasted)}. Sensitivity ${report.sensitivity}.
${report.keptAll.length ? `${plural(report.keptAll.length, 'group')} you chose to keep whole ${report.keptAll.length === 1 ? 'is' : 'are'} left out. ` : ''}Nothing has been moved or deleted: this report only suggests.</p>
<h1 class="tier">Same photo</h1>
${sections || '<p>No duplicates found.</p>'}
<h1 class="tier">Similar shots</h1>
${similar || `<p>No similar shots at ${report.similarShots}.</p>`}
</body></html>
`;
}
