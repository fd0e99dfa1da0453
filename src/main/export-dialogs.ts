// Export from the desktop: a save or folder dialog first (cancelling costs nothing), then the
// engine's part (the report, the checked photo paths), then the files written here.
import fs from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, dialog, type SaveDialogOptions } from 'electron';
import { reportFileName, type DuplicatesOptions, type ExportOutcome, type ReportFormat } from '../shared/api.js';
import { copyInto } from './export-photos.js';
import { IndexerError } from './indexer-host.js';
import type { Shell } from './shell.js';

const REPORT_FILTERS: Record<ReportFormat, string> = { html: 'Web page (report)', csv: 'CSV (spreadsheet)', json: 'JSON' };

/** The save dialog first (cancelling costs nothing), then the report from the engine, written whole or not at all. */
export async function exportDuplicates(shell: Shell, format: ReportFormat, opts?: DuplicatesOptions): Promise<ExportOutcome> {
  const name = reportFileName(format);
  let documents: string | undefined;
  try {
    documents = app.getPath('documents');
  } catch {
    documents = undefined; // no such folder on this desktop: the dialog starts where it likes
  }
  const options: SaveDialogOptions = {
    title: 'Save the duplicates report',
    buttonLabel: 'Save Report',
    defaultPath: documents ? path.join(documents, name) : name,
    filters: [{ name: REPORT_FILTERS[format], extensions: [format] }],
  };
  const win = BrowserWindow.getFocusedWindow() ?? shell.mainWindow;
  const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  if (r.canceled || !r.filePath) return { saved: false, name };
  const file = r.filePath;
  const report = await shell.engine().request<{ text: string }>({ type: 'duplicatesReport', format, opts });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fs.promises.writeFile(tmp, report.text);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw new IndexerError({ code: 'internal', message: `The report could not be written to ${file}: ${(e as Error)?.message ?? String(e)}` });
  }
  return { saved: true, path: file, name: path.basename(file) };
}

/** A folder dialog first (cancelling costs nothing), then each photo checked by the engine and copied there. */
export async function exportPhotos(shell: Shell, p: unknown): Promise<ExportOutcome> {
  if (!Array.isArray(p) || p.length === 0 || !p.every((x) => typeof x === 'string' && x !== '')) {
    throw new IndexerError({ code: 'bad-request', message: 'Name the photos to export by their paths.' });
  }
  const name = p.length === 1 ? path.basename(p[0] as string) : `${p.length} photos`;
  const dir = await shell.openDialog({ title: `Export ${name} to…`, buttonLabel: 'Export Here', properties: ['openDirectory', 'createDirectory'] });
  if (!dir) return { saved: false, name };
  const targets: string[] = [];
  for (const one of new Set(p as string[])) targets.push(await shell.engine().request<string>({ type: 'photoTarget', path: one, action: 'reveal' }));
  try {
    await copyInto(dir, targets);
  } catch (e) {
    throw new IndexerError({ code: 'internal', message: (e as Error).message });
  }
  return { saved: true, path: dir, name };
}
