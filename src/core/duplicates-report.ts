// The duplicates report a person can act on: one self-contained HTML file (thumbnails embedded, no
// request to anywhere, so it can be mailed or archived), and the same rows as CSV and JSON for
// spreadsheets and scripts. It only describes; nothing here moves or deletes a file.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import PQueue from 'p-queue';
import type { DuplicateGroup, DuplicateReport } from './duplicates.js';

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
  reason: string;
}

/** One row per photo in a group, the keeper first, as the CSV and JSON give them. */
export function reportRows(report: DuplicateReport): ReportRow[] {
  return report.groups.flatMap((g, i) =>
    g.members.map((m) => {
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
        reason: m.id === g.keeper ? g.reason : '',
      };
    }),
  );
}

const CSV_COLUMNS: (keyof ReportRow)[] = ['group', 'tier', 'keep', 'path', 'width', 'height', 'bytes', 'modified', 'captureDate', 'similarity', 'phashBits', 'identical', 'reason'];

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

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const size = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

/** A data: URL of a small JPEG of the photo, or null when it cannot be read (gone, corrupt). */
async function thumbnail(file: string): Promise<string | null> {
  try {
    const buf = await sharp(file, { failOn: 'none' }).rotate().resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 70 }).toBuffer();
    return `data:image/jpeg;base64,${buf.toString('base64')}`;
  } catch {
    return null;
  }
}

export interface HtmlOptions {
  /** Title line, e.g. the database's path. */
  title?: string;
  onProgress?: (done: number, total: number) => void;
}

export async function reportHtml(report: DuplicateReport, opts: HtmlOptions = {}): Promise<string> {
  const rows = reportRows(report);
  const files = [...new Set(rows.map((r) => r.path))];
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

  const card = (r: ReportRow) => {
    const t = thumbs.get(r.path);
    const img = t ? `<img src="${t}" alt="${esc(path.basename(r.path))}">` : `<div class="missing">no preview</div>`;
    const badge = r.keep ? '<span class="keep">keep</span>' : r.identical ? '<span class="same">same bytes</span>' : `<span class="score">similarity ${r.similarity.toFixed(3)}${r.phashBits !== null ? ` · hash ${r.phashBits}/64 bits apart` : ''}</span>`;
    return `<figure class="${r.keep ? 'keeper' : ''}">${img}<figcaption>${badge}
<div class="name">${esc(path.basename(r.path))}</div>
<div>${r.width ?? '?'} × ${r.height ?? '?'} · ${size(r.bytes)}</div>
<div>${r.captureDate ? `taken ${esc(r.captureDate.slice(0, 10))}` : r.modified ? `modified ${esc(r.modified.slice(0, 10))}` : ''}</div>
<div class="path">${esc(r.path)}</div></figcaption></figure>`;
  };
  const sections = [...byGroup.entries()]
    .map(([g, rs]) => {
      const keeper = rs.find((r) => r.keep)!;
      return `<section><h2>Group ${g} · ${rs[0].tier === 'exact' ? 'same photo, same bytes' : 'near duplicates'} · ${rs.length} photos</h2>
<p class="why">Suggested keeper: <b>${esc(path.basename(keeper.path))}</b>, ${esc(keeper.reason)}.</p>
<div class="row">${rs.map(card).join('\n')}</div></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Photowords duplicates report</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222;background:#fbfbfa}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1rem;margin:0 0 .3rem}
.summary{color:#555;margin-bottom:1.5rem}section{background:#fff;border:1px solid #e4e4e0;border-radius:8px;padding:1rem;margin:0 0 1rem}
.why{margin:.2rem 0 .8rem;color:#444}.row{display:flex;gap:1rem;flex-wrap:wrap}
figure{margin:0;width:220px;border:2px solid transparent;border-radius:6px;padding:6px}figure.keeper{border-color:#2f7d32;background:#f3faf3}
img{max-width:200px;max-height:200px;display:block;margin:0 auto 6px}.missing{height:120px;display:flex;align-items:center;justify-content:center;background:#eee;color:#777}
figcaption{font-size:12px;line-height:1.4}.name{font-weight:600;word-break:break-all}.path{color:#777;word-break:break-all}
.keep{background:#2f7d32;color:#fff;border-radius:3px;padding:0 4px}.same{background:#555;color:#fff;border-radius:3px;padding:0 4px}.score{color:#1a56b0}
</style></head><body>
<h1>Duplicates${opts.title ? ` in ${esc(opts.title)}` : ''}</h1>
<p class="summary">${report.groups.length} groups (${exact} of identical files, ${report.groups.length - exact} of near duplicates) among ${report.photos} photos;
${rows.length - report.groups.length} photos beyond the suggested keepers take ${size(wasted)}. Sensitivity ${report.sensitivity}.
Nothing has been moved or deleted: this report only suggests.</p>
${sections || '<p>No duplicates found.</p>'}
</body></html>
`;
}
