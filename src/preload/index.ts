// The page's only door to the rest of the app: a PhotowordsApi on window.photowords, through
// contextBridge. Every member is a narrow function over one IPC channel; ipcRenderer itself never
// crosses the bridge. Sandboxed, this script is CommonJS and may require only 'electron' (the
// build bundles src/shared into it).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { jsonMethodsOver, type BackendEvent, type ExportOutcome, type PhotowordsApi, type SimilarResult } from '../shared/api.js';
import { IPC, fileUrl, thumbUrl, type CallReply, type ElectronShellExtras, type MenuCommand } from '../shared/ipc.js';

async function invoke<T>(channel: string, ...args: unknown[]): Promise<T> {
  const reply = (await ipcRenderer.invoke(channel, ...args)) as CallReply<T>;
  // contextBridge copies only an Error's message into the page, so the message is what counts.
  if ('error' in reply) throw new Error(reply.error.message);
  return reply.result;
}

function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  const handler = (_e: IpcRendererEvent, value: T) => listener(value);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
}

const api: PhotowordsApi & ElectronShellExtras = {
  ...jsonMethodsOver((method, args) => invoke(IPC.call, method, args)),
  similarToFile: (file, opts) => invoke<SimilarResult>(IPC.similarFile, file.name, file.bytes, opts),
  thumbUrl: (path, size) => thumbUrl(path, size),
  fileUrl: (path) => fileUrl(path),
  onEvent: (listener) => subscribe<BackendEvent>(IPC.event, listener),
  onMenu: (listener) => subscribe<MenuCommand>(IPC.menu, listener),
  pickFolder: () => invoke<string | null>(IPC.pickFolder),
  exportDuplicates: (format, opts) => invoke<ExportOutcome>(IPC.exportDuplicates, format, opts),
  exportPhotos: (paths) => invoke<ExportOutcome>(IPC.exportPhotos, paths),
  shell: 'electron',
};

contextBridge.exposeInMainWorld('photowords', api);
