// Electron main process: one window, the application menu, and routing. It never loads the engine:
// every library call goes to the indexing utility process (indexer-process.ts) as a typed message
// (src/shared/ipc.ts), and photos reach the page only through the photowords:// protocol, whose
// paths the engine checks against the library folders.
//
// Security: the page runs sandboxed and context-isolated without Node, sees only the preload's
// narrow API, is served from photowords://app (not file://, whose pages may load other local
// files), under a strict Content-Security-Policy; navigation, new windows, remote requests and
// permission requests are refused.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  net,
  protocol,
  session,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
  type OpenDialogOptions,
} from 'electron';
import type { SimilarResult } from '../shared/api.js';
import {
  APP_ORIGIN,
  IPC,
  MAX_UPLOAD_BYTES,
  SCHEME,
  checkCall,
  checkSimilarFile,
  parseProtocolUrl,
  toErrorShape,
  type CallReply,
  type MenuCommand,
} from '../shared/ipc.js';
import { IndexerError, IndexerHost } from './indexer-host.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main
const rendererDir = path.join(here, '../renderer');
/** Set by `electron-vite dev` to its Vite server; absent in a build. */
const devUrl = process.env.ELECTRON_RENDERER_URL || undefined;
/** Reload and developer tools in the View menu (electron-vite dev, or on request). */
const devTools = Boolean(devUrl) || process.env.PHOTOWORDS_DEVTOOLS === '1';
/** The page's origin: the Vite server in development, photowords://app in a build. */
const pageOrigin = devUrl ? originOf(devUrl)! : APP_ORIGIN;

const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'avif', 'tif', 'tiff', 'gif'];

// Origins of custom schemes: Node's URL gives 'null' for a scheme it does not know, Chromium does not.
function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

const isAppUrl = (url: string) => originOf(url) === pageOrigin;

function contentSecurityPolicy(): string {
  const dev = devUrl ? ` ${pageOrigin} ws://${new URL(devUrl).host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' ${SCHEME}: data: blob:`,
    `media-src 'self' ${SCHEME}:`,
    "font-src 'self' data:",
    `connect-src 'self' ${SCHEME}:${dev}`,
    "worker-src 'self'",
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

// ---- before ready -------------------------------------------------------------------------------

// A separate profile (tests, a second library): set before the single-instance lock, which is per profile.
if (process.env.PHOTOWORDS_USER_DATA) app.setPath('userData', path.resolve(process.env.PHOTOWORDS_USER_DATA));

// Standard + secure: relative URLs and a real origin, treated like https. supportFetchAPI and
// corsEnabled: the page may fetch() photowords://file/ (the answer carries its origin in
// Access-Control-Allow-Origin). stream: large photos are not buffered whole.
protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } },
]);

if (!app.requestSingleInstanceLock()) {
  // Another Photowords runs with this profile: it gets focused ('second-instance'); this one ends.
  app.quit();
} else {
  let mainWindow: BrowserWindow | null = null;
  let indexer: IndexerHost | null = null;
  let quitting = false;

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) createWindow();
  });

  // Close the library before the process ends, so no write is cut off half way.
  app.on('before-quit', (e) => {
    if (quitting || !indexer) return;
    e.preventDefault();
    quitting = true;
    void indexer.stop().finally(() => app.quit());
  });

  void app.whenReady().then(() => {
    secureSession();
    registerProtocol();
    registerIpc();
    startIndexer();
    Menu.setApplicationMenu(buildMenu());
    createWindow();
  });

  // ---- the engine's process ---------------------------------------------------------------------

  function startIndexer(): void {
    const dbPath = path.resolve(process.env.PHOTOWORDS_DB || path.join(app.getPath('userData'), 'library.db'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    // The engine finds resources/models from its own source file; bundled into out/main it cannot.
    env.PHOTOWORDS_MODELS_DIR ||= app.isPackaged ? path.join(process.resourcesPath, 'models') : path.resolve(here, '../../resources/models');
    indexer = new IndexerHost({
      entry: path.join(here, 'indexer-process.js'),
      open: { type: 'open', dbPath },
      env,
      onEvent: (event) => {
        for (const w of BrowserWindow.getAllWindows()) if (!w.webContents.isDestroyed()) w.webContents.send(IPC.event, event);
      },
      onCrash: (message, restarting) => {
        void showMessage(
          'error',
          'The indexing process stopped',
          restarting
            ? `${message}\n\nIt has been started again; indexing goes on with the photos not yet read.`
            : `${message}\n\nIt stopped again after a restart, so Photowords leaves it stopped. Quit and start Photowords again; if this keeps happening, the photo it was reading may be the cause (see the failures list).`,
        );
      },
      onFatal: (error) => void showMessage('error', 'Photowords cannot open its library', error.message),
    });
    indexer.start();
  }

  function engine(): IndexerHost {
    if (!indexer) throw new IndexerError({ code: 'unavailable', message: 'Photowords is still starting.' });
    return indexer;
  }

  async function reply<T>(work: () => Promise<T>): Promise<CallReply<T>> {
    try {
      return { result: await work() };
    } catch (e) {
      return { error: e instanceof IndexerError ? e.shape : toErrorShape(e) };
    }
  }

  // ---- page <-> engine ----------------------------------------------------------------------------

  /** Only our own page may call: not a page that got navigated elsewhere, not a frame inside it. */
  function trusted(e: IpcMainInvokeEvent): boolean {
    const frame = e.senderFrame;
    return Boolean(frame && frame.parent === null && isAppUrl(frame.url));
  }

  const refused: CallReply<never> = { error: { code: 'forbidden', message: 'This page may not use Photowords.' } };

  function registerIpc(): void {
    ipcMain.handle(IPC.call, (e, method: unknown, args: unknown) => {
      if (!trusted(e)) return refused;
      const c = checkCall(method, args);
      if ('error' in c) return c;
      return reply(() => engine().request({ type: 'call', method: c.method, args: c.args }));
    });
    ipcMain.handle(IPC.similarFile, (e, name: unknown, bytes: unknown, opts: unknown) => {
      if (!trusted(e)) return refused;
      const c = checkSimilarFile(name, bytes, opts);
      if ('error' in c) return c;
      return reply(() => engine().request<SimilarResult>({ type: 'similarToFile', file: c.file, opts: c.opts }));
    });
    ipcMain.handle(IPC.pickFolder, (e) => {
      if (!trusted(e)) return refused;
      return reply(() => pickFolder());
    });
  }

  async function openDialog(options: OpenDialogOptions): Promise<string | null> {
    const win = BrowserWindow.getFocusedWindow() ?? mainWindow;
    const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
  }

  function pickFolder(): Promise<string | null> {
    return openDialog({ title: 'Add a folder to the library', buttonLabel: 'Add Folder', properties: ['openDirectory'] });
  }

  async function showMessage(type: 'error' | 'info', message: string, detail: string): Promise<void> {
    const options = { type, message, detail, buttons: ['OK'] };
    if (mainWindow && !mainWindow.isDestroyed()) await dialog.showMessageBox(mainWindow, options);
    else await dialog.showMessageBox(options);
  }

  // ---- photowords:// ------------------------------------------------------------------------------

  function textResponse(status: number, text: string): Response {
    return new Response(text, {
      status,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'access-control-allow-origin': pageOrigin, 'x-content-type-options': 'nosniff' },
    });
  }

  function withHeaders(res: Response, headers: Record<string, string>): Response {
    const h = new Headers(res.headers);
    for (const [k, v] of Object.entries(headers)) h.set(k, v);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: h });
  }

  const STATUS: Record<string, number> = { forbidden: 403, 'not-found': 404, 'bad-request': 400, busy: 503, unavailable: 503 };

  function registerProtocol(): void {
    protocol.handle(SCHEME, async (request) => {
      const target = parseProtocolUrl(request.url);
      if (!target) return textResponse(404, 'Not found.');
      if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Only GET.');
      if (target.kind === 'app') {
        if (devUrl) return textResponse(404, 'Not found.'); // in development the page comes from Vite
        let file = path.join(rendererDir, target.file);
        const rel = path.relative(rendererDir, file);
        if (rel.startsWith('..') || path.isAbsolute(rel)) return textResponse(404, 'Not found.');
        // A path without an extension is a page of the app (history routing): its index.html.
        if (!fs.existsSync(file) && !path.extname(file)) file = path.join(rendererDir, 'index.html');
        if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return textResponse(404, 'Not found.');
        const res = await net.fetch(pathToFileURL(file).href);
        return withHeaders(res, {
          'content-security-policy': contentSecurityPolicy(),
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
        });
      }
      // Thumbnails and photos: the engine resolves the path, and refuses any outside the library.
      let resolved: string;
      try {
        resolved =
          target.kind === 'thumb'
            ? await engine().request<string>({ type: 'thumbnail', path: target.path, size: target.size })
            : await engine().request<string>({ type: 'file', path: target.path });
      } catch (e) {
        const shape = e instanceof IndexerError ? e.shape : toErrorShape(e);
        return textResponse(STATUS[shape.code] ?? 500, shape.message);
      }
      const res = await net.fetch(pathToFileURL(resolved).href);
      return withHeaders(res, {
        'access-control-allow-origin': pageOrigin,
        'x-content-type-options': 'nosniff',
        'cache-control': target.kind === 'thumb' ? 'private, max-age=3600' : 'no-cache',
      });
    });
  }

  // ---- session and window -------------------------------------------------------------------------

  function secureSession(): void {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    ses.setPermissionCheckHandler(() => false);
    // No remote content: http(s) and WebSocket requests only to the Vite server in development.
    ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (details, callback) => {
      const origin = originOf(details.url);
      const allowed = devUrl !== undefined && (origin === pageOrigin || origin === originOf(devUrl.replace(/^http/, 'ws')));
      callback({ cancel: !allowed });
    });
    // The CSP as a response header too (the page also has it in a meta tag): photowords://app
    // responses carry it from the protocol handler; this covers the Vite server's pages.
    ses.webRequest.onHeadersReceived((details, callback) => {
      if (details.resourceType !== 'mainFrame' && details.resourceType !== 'subFrame') return callback({});
      const headers: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(details.responseHeaders ?? {})) if (k.toLowerCase() !== 'content-security-policy') headers[k] = v;
      headers['Content-Security-Policy'] = [contentSecurityPolicy()];
      callback({ responseHeaders: headers });
    });
  }

  function createWindow(): void {
    const win = new BrowserWindow({
      width: 1280,
      height: 840,
      minWidth: 720,
      minHeight: 480,
      show: false,
      title: 'Photowords',
      backgroundColor: '#fbfbfa', // the UI's own background, so the window opens without a dark flash
      webPreferences: {
        preload: path.join(here, '../preload/index.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        spellcheck: false,
      },
    });
    mainWindow = win;
    win.on('closed', () => {
      if (mainWindow === win) mainWindow = null;
    });
    win.once('ready-to-show', () => win.show());

    const wc = win.webContents;
    wc.setWindowOpenHandler(() => ({ action: 'deny' }));
    wc.on('will-navigate', (e) => {
      if (!isAppUrl(e.url)) e.preventDefault();
    });
    wc.on('will-redirect', (e) => {
      if (!isAppUrl(e.url)) e.preventDefault();
    });
    wc.on('will-attach-webview', (e) => e.preventDefault());

    void win.loadURL(devUrl ?? `${APP_ORIGIN}/index.html`);
  }

  // ---- menu ---------------------------------------------------------------------------------------

  async function addFolderFromMenu(): Promise<void> {
    const folder = await pickFolder();
    if (!folder) return;
    try {
      // The page hears of the new folder through the library's 'library' event.
      await engine().request({ type: 'call', method: 'addFolder', args: [folder] });
    } catch (e) {
      await showMessage('error', 'The folder could not be added', e instanceof Error ? e.message : String(e));
    }
  }

  async function similarToFileFromMenu(): Promise<void> {
    const file = await openDialog({
      title: 'Find photos similar to…',
      buttonLabel: 'Find Similar',
      properties: ['openFile'],
      filters: [{ name: 'Images', extensions: IMAGE_EXTENSIONS }],
    });
    if (!file) return;
    try {
      const size = (await fs.promises.stat(file)).size;
      if (size > MAX_UPLOAD_BYTES) throw new Error(`${path.basename(file)} is larger than ${MAX_UPLOAD_BYTES / 2 ** 20} MB.`);
      const bytes = new Uint8Array(await fs.promises.readFile(file));
      const command: MenuCommand = { command: 'similar-to-file', file: { name: path.basename(file), bytes } };
      // The page runs the search like a dropped file, so it shows the results its usual way.
      mainWindow?.webContents.send(IPC.menu, command);
    } catch (e) {
      await showMessage('error', 'The file could not be read', e instanceof Error ? e.message : String(e));
    }
  }

  async function showAbout(): Promise<void> {
    await showMessage(
      'info',
      `Photowords ${app.getVersion()}`,
      'A photo library that finds similar photos by reading each photo as a document of visual words.\n\n' +
        `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node.js ${process.versions.node}`,
    );
  }

  function buildMenu(): Menu {
    const isMac = process.platform === 'darwin';
    const template: MenuItemConstructorOptions[] = [
      ...(isMac ? [{ role: 'appMenu' as const }] : []),
      {
        label: 'File',
        submenu: [
          { label: 'Add Folder…', accelerator: 'CmdOrCtrl+O', click: () => void addFolderFromMenu() },
          { label: 'Find Similar to a File…', accelerator: 'CmdOrCtrl+Shift+O', click: () => void similarToFileFromMenu() },
          { type: 'separator' },
          isMac ? { role: 'close' } : { role: 'quit' },
        ],
      },
      { role: 'editMenu' },
      {
        label: 'View',
        submenu: [
          ...(devTools
            ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[])
            : []),
          { role: 'resetZoom' },
          { role: 'zoomIn' },
          { role: 'zoomOut' },
          { type: 'separator' },
          { role: 'togglefullscreen' },
        ],
      },
      { role: 'windowMenu' },
      { role: 'help', submenu: [{ label: 'About Photowords', click: () => void showAbout() }] },
    ];
    return Menu.buildFromTemplate(template);
  }
}
