// page <-> engine: the preload's calls, checked here (src/shared/ipc.ts) and answered by the
// engine, or by this process for what belongs to the desktop (dialogs, trash, reveal, export).
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { SimilarResult } from '../shared/api.js';
import { IPC, checkCall, checkExport, checkSimilarFile, type CallReply } from '../shared/ipc.js';
import { reply } from './engine-bridge.js';
import { exportDuplicates, exportPhotos } from './export-dialogs.js';
import { isAppUrl } from './policy.js';
import type { Shell } from './shell.js';
import { revealPhoto, trashPhoto, trashPhotos } from './trash-reveal.js';

const refused: CallReply<never> = { error: { code: 'forbidden', message: 'This page may not use Photowords.' } };

export function registerIpc(shell: Shell): void {
  const pageOrigin = shell.mode.pageOrigin;
  /** Only our own page may call: not a page that got navigated elsewhere, not a frame inside it. */
  const trusted = (e: IpcMainInvokeEvent): boolean => {
    const frame = e.senderFrame;
    return Boolean(frame && frame.parent === null && isAppUrl(frame.url, pageOrigin));
  };

  ipcMain.handle(IPC.call, (e, method: unknown, args: unknown) => {
    if (!trusted(e)) return refused;
    const c = checkCall(method, args);
    if ('error' in c) return c;
    // The system's trash and file manager are Electron's shell, here; the engine checks and forgets.
    if (c.method === 'trashPhoto') return reply(() => trashPhoto(shell, c.args[0]));
    if (c.method === 'revealPhoto') return reply(() => revealPhoto(shell, c.args[0]));
    if (c.method === 'trashPhotos') return reply(() => trashPhotos(shell, c.args[0]));
    return reply(() => shell.engine().request({ type: 'call', method: c.method, args: c.args }));
  });
  ipcMain.handle(IPC.similarFile, (e, name: unknown, bytes: unknown, opts: unknown) => {
    if (!trusted(e)) return refused;
    const c = checkSimilarFile(name, bytes, opts);
    if ('error' in c) return c;
    return reply(() => shell.engine().request<SimilarResult>({ type: 'similarToFile', file: c.file, opts: c.opts }));
  });
  ipcMain.handle(IPC.pickFolder, (e) => {
    if (!trusted(e)) return refused;
    return reply(() => shell.pickFolder());
  });
  ipcMain.handle(IPC.exportPhotos, (e, paths: unknown) => {
    if (!trusted(e)) return refused;
    return reply(() => exportPhotos(shell, paths));
  });
  ipcMain.handle(IPC.exportDuplicates, (e, format: unknown, opts: unknown) => {
    if (!trusted(e)) return refused;
    const c = checkExport(format, opts);
    if ('error' in c) return c;
    return reply(() => exportDuplicates(shell, c.format, c.opts));
  });
}
