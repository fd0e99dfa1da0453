// Electron main process: one window, the application menu, the tray icon, and routing. It never
// loads the engine: every library call goes to the indexing utility process (indexer-process.ts)
// as a typed message (src/shared/ipc.ts), and photos reach the page only through the photowords://
// protocol, whose paths the engine checks against the library folders.
//
// In the background: closing the window hides it (unless the person turned that off) and the
// utility process goes on indexing; the tray icon (tray.ts) shows the status and offers Show,
// Pause/Resume, "Start at Login" and Quit. Quit asks the utility process to close the library,
// which lets the photos in flight finish, and waits for it to exit. One instance per profile: a
// second launch shows the first one's window and ends.
//
// Security: the page runs sandboxed and context-isolated without Node, sees only the preload's
// narrow API, is served from photowords://app (not file://, whose pages may load other local
// files), under a Content-Security-Policy without 'unsafe-inline' (policy.ts); guard.ts refuses
// navigation, new windows, webviews, remote requests and permission requests for every web
// contents. Development switches (a Vite page, developer tools) work only unpackaged, and the
// packaged binary's fuses (electron-builder.ts) turn off ELECTRON_RUN_AS_NODE, NODE_OPTIONS and
// --inspect, and load the app only from its integrity-checked app.asar.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeTheme,
  net,
  protocol,
  shell,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
  type OpenDialogOptions,
  type SaveDialogOptions,
} from 'electron';
import { reportFileName, type DuplicatesOptions, type ExportOutcome, type IndexStatus, type ReportFormat, type SimilarResult, type TrashManyResult, type TrashResult } from '../shared/api.js';
import {
  APP_ORIGIN,
  IPC,
  MAX_UPLOAD_BYTES,
  SCHEME,
  checkCall,
  checkExport,
  checkSimilarFile,
  parseProtocolUrl,
  toErrorShape,
  type CallReply,
  type MenuCommand,
} from '../shared/ipc.js';
import { APP_SETTINGS_FILE, loadAppSettings, saveAppSettings, type AppSettings } from './app-settings.js';
import { autostartDir, HIDDEN_ARG, isAutostartEnabled, launchCommand, setAutostart } from './autostart.js';
import { IndexerError, IndexerHost } from './indexer-host.js';
import { packagedSqliteBinding } from './sqlite-binding.js';
import { installGuard } from './guard.js';
import { contentSecurityPolicy, isAppUrl as isPageUrl, shellMode } from './policy.js';
import { AppTray } from './tray.js';
import { copyInto } from './export-photos.js';
import type { TrayActionId, TrayToggleId } from './tray-model.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main
const rendererDir = path.join(here, '../renderer');
const log = (m: string) => console.log(`[main] ${m}`);
/**
 * ELECTRON_RENDERER_URL (set by `electron-vite dev` to its Vite server) and PHOTOWORDS_DEVTOOLS
 * (reload and developer tools in the View menu): honoured only in an unpackaged build (policy.ts).
 */
const mode = shellMode(process.env, app.isPackaged);
if (mode.ignored.length) log(`ignored in a packaged build: ${mode.ignored.join(', ')}`);
const { devUrl, devTools, pageOrigin } = mode;

const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'avif', 'tif', 'tiff', 'gif'];
const isMac = process.platform === 'darwin';

const isAppUrl = (url: string) => isPageUrl(url, pageOrigin);

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
  let tray: AppTray | null = null;
  /** 'stopping': Quit was chosen and the utility process is closing the library; 'done': it has. */
  let quitState: 'running' | 'stopping' | 'done' = 'running';
  /** The engine's latest status (for the tray), and why indexing cannot go on, once it cannot. */
  let lastStatus: IndexStatus | null = null;
  let indexerFailure: string | undefined;

  const settingsFile = path.join(app.getPath('userData'), APP_SETTINGS_FILE);
  const appSettings: AppSettings = loadAppSettings(settingsFile);
  /** Whether Photowords starts at login (null where this platform cannot); read at start and after each change. */
  let loginItem: boolean | null = null;
  /** Started at login: no window, only the tray icon (the window opens from it, or on a second launch). */
  let startedHidden = process.argv.includes(HIDDEN_ARG);

  // A second launch (the same profile) ends at once; this one shows its window instead.
  app.on('second-instance', () => showWindow());

  // Only when the window really closed (background mode off): quit, except on macOS, whose apps stay
  // in the Dock (and go on indexing) until Quit.
  app.on('window-all-closed', () => {
    if (!isMac) app.quit();
  });

  // macOS: a click on the Dock icon (or opening the app again) shows the window, hidden or closed.
  app.on('activate', () => {
    if (app.isReady()) showWindow();
  });

  // Close the library before the process ends, so no write is cut off half way: the utility process
  // gets 'shutdown', lets the photos in flight finish and be stored, closes SQLite and exits.
  app.on('before-quit', (e) => {
    if (quitState === 'done') return;
    e.preventDefault();
    if (quitState === 'stopping') return; // a second Quit while the first one is finishing
    quitState = 'stopping';
    for (const w of BrowserWindow.getAllWindows()) w.hide();
    tray?.update(true);
    const started = Date.now();
    const stopped = indexer ? indexer.stop() : Promise.resolve('not-running' as const);
    void stopped
      .then((outcome) => {
        const took = `${Date.now() - started} ms`;
        if (outcome === 'closed') log(`indexing stopped: the library is closed (${took})`);
        else if (outcome === 'killed') log(`indexing stopped: the indexer did not close the library in time and was ended (${took})`);
        else log(`indexing stopped: the indexer ${outcome === 'exited' ? 'exited' : 'was not running'} (${took})`);
      })
      .finally(() => {
        quitState = 'done';
        tray?.destroy();
        app.quit();
      });
  });

  void app.whenReady().then(() => {
    // macOS has no arguments for login items; it says whether it opened the app at login.
    if (isMac) startedHidden ||= app.getLoginItemSettings().wasOpenedAtLogin;
    installGuard(mode, log);
    registerProtocol();
    registerIpc();
    startIndexer();
    Menu.setApplicationMenu(buildMenu());
    loginItem = readStartAtLogin();
    createTray();
    refreshStatus();
    if (startedHidden) log('started at login: indexing in the background, the window opens from the tray');
    else createWindow();
    exposeTestHooks();
  });

  // ---- in the background: the tray, the window's close, login -------------------------------------

  function createTray(): void {
    tray = new AppTray({
      iconDir: app.isPackaged ? path.join(process.resourcesPath, 'tray') : path.resolve(here, '../../resources/tray'),
      input: () => ({
        status: lastStatus,
        failure: indexerFailure,
        quitting: quitState !== 'running',
        keepRunning: appSettings.keepRunningInBackground,
        startAtLogin: loginItem,
      }),
      onAction: (id) => trayAction(id),
      onToggle: (id, checked) => trayToggle(id, checked),
      log,
    });
    try {
      tray.create();
    } catch (e) {
      // No tray here (a desktop without a status area): the app still works; a second launch shows the window.
      log(`tray: could not be created: ${(e as Error).message}`);
    }
  }

  function trayAction(id: TrayActionId): void {
    switch (id) {
      case 'show':
        return showWindow();
      case 'pause':
      case 'resume':
        return void setPaused(id === 'pause');
      case 'quit':
        return app.quit();
    }
  }

  function trayToggle(id: TrayToggleId, checked: boolean): void {
    if (id === 'keep-running') setKeepRunning(checked);
    else setStartAtLogin(checked);
  }

  /** The engine's status, asked for (at start, after a restart, after Pause/Resume); events keep it current after. */
  function refreshStatus(): void {
    if (!indexer) return;
    indexer.request<IndexStatus>({ type: 'call', method: 'status', args: [] }).then(
      (status) => {
        lastStatus = status;
        tray?.update(true);
      },
      () => undefined, // a failure reaches the tray through onCrash / onFatal
    );
  }

  async function setPaused(pause: boolean): Promise<void> {
    try {
      lastStatus = await engine().request<IndexStatus>({ type: 'call', method: pause ? 'pause' : 'resume', args: [] });
      tray?.update(true);
    } catch (e) {
      await showMessage('error', pause ? 'Indexing could not be paused' : 'Indexing could not be resumed', e instanceof Error ? e.message : String(e));
    }
  }

  function saveSettings(): void {
    try {
      saveAppSettings(settingsFile, appSettings);
    } catch (e) {
      log(`settings: could not write ${settingsFile}: ${(e as Error).message}`);
    }
  }

  function setKeepRunning(on: boolean): void {
    appSettings.keepRunningInBackground = on;
    saveSettings();
    tray?.update(true);
    Menu.setApplicationMenu(buildMenu()); // the File menu's checkbox too
  }

  /** The login command's arguments after the executable (Windows; Linux writes the whole command). */
  function loginCommand(): string[] {
    return launchCommand({ execPath: process.execPath, appPath: app.getAppPath(), packaged: app.isPackaged, appImage: process.env.APPIMAGE });
  }

  function readStartAtLogin(): boolean | null {
    try {
      switch (process.platform) {
        case 'linux':
          return isAutostartEnabled(autostartDir());
        case 'darwin':
          return app.getLoginItemSettings().openAtLogin;
        case 'win32':
          // The same arguments as when it was set, or Windows answers for another command line.
          return app.getLoginItemSettings({ args: loginCommand().slice(1) }).openAtLogin;
        default:
          return null; // the item is left out of the menu
      }
    } catch (e) {
      log(`login item: ${(e as Error).message}`);
      return null;
    }
  }

  function setStartAtLogin(on: boolean): void {
    try {
      if (process.platform === 'linux') setAutostart(autostartDir(), on, loginCommand());
      else if (isMac) app.setLoginItemSettings({ openAtLogin: on });
      else app.setLoginItemSettings({ openAtLogin: on, args: loginCommand().slice(1) });
    } catch (e) {
      void showMessage('error', 'Start at login could not be changed', (e as Error).message);
    }
    loginItem = readStartAtLogin();
    tray?.update(true);
    if (isMac && on && !loginItem && app.getLoginItemSettings().status === 'requires-approval') {
      void showMessage('info', 'Allow Photowords to start at login', 'macOS asks you to approve it: System Settings → General → Login Items.');
    }
  }

  function showWindow(): void {
    if (quitState !== 'running' || !app.isReady()) return;
    if (!mainWindow || mainWindow.isDestroyed()) return createWindow(); // shown once its page is ready
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  }

  /** The window's close: hide it and go on indexing (background mode), or really close it. */
  function onWindowClose(e: Electron.Event, win: BrowserWindow): void {
    if (quitState !== 'running' || !appSettings.keepRunningInBackground) return;
    e.preventDefault();
    // A full-screen window hidden on macOS leaves an empty full-screen Space: leave full screen first.
    if (win.isFullScreen()) {
      win.once('leave-full-screen', () => win.hide());
      win.setFullScreen(false);
    } else {
      win.hide();
    }
    if (!appSettings.backgroundNoteShown) void showBackgroundNote();
  }

  /** Once, the first time the window is closed: what happened and where to find Photowords now. */
  async function showBackgroundNote(): Promise<void> {
    appSettings.backgroundNoteShown = true;
    saveSettings();
    const where = isMac ? 'its icon in the menu bar (or the Dock)' : 'its icon in the system tray';
    const r = await dialog.showMessageBox({
      type: 'info',
      title: 'Photowords',
      message: 'Photowords keeps indexing in the background',
      detail:
        `The window is closed, but new and changed photos go on being indexed. Open the window again or quit from ${where}; ` +
        'starting Photowords again also opens the window.',
      buttons: ['OK', 'Quit Photowords'],
      defaultId: 0,
      cancelId: 0,
      checkboxLabel: 'Keep indexing when the window is closed',
      checkboxChecked: true,
    });
    if (!r.checkboxChecked) setKeepRunning(false);
    if (r.response === 1) app.quit();
  }

  /** For test/e2e/electron.test.ts (app.evaluate runs in this process), only when it asks. */
  function exposeTestHooks(): void {
    if (app.isPackaged || process.env.PHOTOWORDS_TEST_HOOKS !== '1') return;
    (globalThis as Record<string, unknown>).photowordsShell = {
      trayCreated: () => tray?.created ?? false,
      trayItems: () => tray?.items() ?? [],
      clickTray: (id: TrayActionId | TrayToggleId) => tray?.click(id),
      settingsFile,
      startedHidden,
    };
  }

  // ---- the engine's process ---------------------------------------------------------------------

  function startIndexer(): void {
    const dbPath = path.resolve(process.env.PHOTOWORDS_DB || path.join(app.getPath('userData'), 'library.db'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !mode.strippedFromUtility.includes(k)) env[k] = v;
    // The engine finds resources/models from its own source file; bundled into out/main it cannot.
    env.PHOTOWORDS_MODELS_DIR ||= app.isPackaged ? path.join(process.resourcesPath, 'models') : path.resolve(here, '../../resources/models');
    // Packaged: better-sqlite3's Electron build ships as an extra resource (electron-builder.ts),
    // since the app's node_modules holds the Node build the CLI and tests use (sqlite-binding.ts).
    if (app.isPackaged) env.PHOTOWORDS_SQLITE_BINDING = packagedSqliteBinding(process.resourcesPath, process.versions.electron);
    indexer = new IndexerHost({
      entry: path.join(here, 'indexer-process.js'),
      open: { type: 'open', dbPath },
      env,
      onEvent: (event) => {
        // A hidden window gets them too, so it is current the moment it is shown again.
        for (const w of BrowserWindow.getAllWindows()) if (!w.webContents.isDestroyed()) w.webContents.send(IPC.event, event);
        if (event.type === 'status') {
          lastStatus = event.status;
          tray?.update();
        }
      },
      onCrash: (message, restarting) => {
        if (restarting) {
          lastStatus = null;
          setImmediate(refreshStatus); // the host starts the new process right after this
        } else {
          indexerFailure = message;
        }
        tray?.update(true);
        void showMessage(
          'error',
          'The indexing process stopped',
          restarting
            ? `${message}\n\nIt has been started again; indexing goes on with the photos not yet read.`
            : `${message}\n\nIt stopped again after a restart, so Photowords leaves it stopped. Quit and start Photowords again; if this keeps happening, the photo it was reading may be the cause (see the failures list).`,
        );
      },
      onFatal: (error) => {
        indexerFailure = error.message;
        tray?.update(true);
        void showMessage('error', 'Photowords cannot open its library', error.message);
      },
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
      // The system's trash and file manager are Electron's shell, here; the engine checks and forgets.
      if (c.method === 'trashPhoto') return reply(() => trashPhoto(c.args[0]));
      if (c.method === 'revealPhoto') return reply(() => revealPhoto(c.args[0]));
      if (c.method === 'trashPhotos') return reply(() => trashPhotos(c.args[0]));
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
    ipcMain.handle(IPC.exportPhotos, (e, paths: unknown) => {
      if (!trusted(e)) return refused;
      return reply(() => exportPhotos(paths));
    });
    ipcMain.handle(IPC.exportDuplicates, (e, format: unknown, opts: unknown) => {
      if (!trusted(e)) return refused;
      const c = checkExport(format, opts);
      if ('error' in c) return c;
      return reply(() => exportDuplicates(c.format, c.opts));
    });
  }

  function photoPathArg(p: unknown): string {
    if (typeof p !== 'string' || p === '') throw new IndexerError({ code: 'bad-request', message: 'Name the photo by its path.' });
    return p;
  }

  /** Only after the engine says it is an indexed, unchanged library photo; the index forgets it once it is gone. */
  async function trashPhoto(p: unknown): Promise<TrashResult> {
    const target = await engine().request<string>({ type: 'photoTarget', path: photoPathArg(p), action: 'trash' });
    try {
      await shell.trashItem(target);
    } catch (e) {
      throw new IndexerError({
        code: 'internal',
        message: `${path.basename(target)} could not be moved to the trash: ${(e as Error)?.message ?? String(e)}. Nothing was deleted.`,
      });
    }
    return engine().request<TrashResult>({ type: 'forgetTrashed', path: target });
  }

  /**
   * One photo at a time, as trashPhoto: each checked by the engine, moved by the shell, forgotten;
   * one refused or failing photo is reported and the rest go on. The engine words the outcome.
   */
  async function trashPhotos(p: unknown): Promise<TrashManyResult> {
    if (!Array.isArray(p) || p.length === 0 || !p.every((x) => typeof x === 'string' && x !== '')) {
      throw new IndexerError({ code: 'bad-request', message: 'Name the photos by their paths: a list of at least one path.' });
    }
    const trashed: TrashManyResult['trashed'] = [];
    const failed: TrashManyResult['failed'] = [];
    const reason = (e: unknown) => (e as Error)?.message ?? String(e);
    for (const one of new Set(p as string[])) {
      let target: string;
      try {
        target = await engine().request<string>({ type: 'photoTarget', path: one, action: 'trash' });
      } catch (e) {
        failed.push({ path: one, reason: reason(e) });
        continue;
      }
      try {
        await shell.trashItem(target);
      } catch (e) {
        failed.push({ path: one, reason: `${path.basename(target)} could not be moved to the trash: ${reason(e)}. Nothing was deleted.` });
        continue;
      }
      try {
        const r = await engine().request<TrashResult>({ type: 'forgetTrashed', path: target, quiet: true });
        trashed.push({ path: target, bytes: r.bytes });
      } catch (e) {
        failed.push({ path: one, reason: reason(e) });
      }
    }
    return engine().request<TrashManyResult>({ type: 'trashSettled', trashed, failed });
  }

  async function revealPhoto(p: unknown): Promise<void> {
    const target = await engine().request<string>({ type: 'photoTarget', path: photoPathArg(p), action: 'reveal' });
    shell.showItemInFolder(target);
  }

  const REPORT_FILTERS: Record<ReportFormat, string> = { html: 'Web page (report)', csv: 'CSV (spreadsheet)', json: 'JSON' };

  /** The save dialog first (cancelling costs nothing), then the report from the engine, written whole or not at all. */
  async function exportDuplicates(format: ReportFormat, opts?: DuplicatesOptions): Promise<ExportOutcome> {
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
    const win = BrowserWindow.getFocusedWindow() ?? mainWindow;
    const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    if (r.canceled || !r.filePath) return { saved: false, name };
    const file = r.filePath;
    const report = await engine().request<{ text: string }>({ type: 'duplicatesReport', format, opts });
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
  async function exportPhotos(p: unknown): Promise<ExportOutcome> {
    if (!Array.isArray(p) || p.length === 0 || !p.every((x) => typeof x === 'string' && x !== '')) {
      throw new IndexerError({ code: 'bad-request', message: 'Name the photos to export by their paths.' });
    }
    const name = p.length === 1 ? path.basename(p[0] as string) : `${p.length} photos`;
    const dir = await openDialog({ title: `Export ${name} to…`, buttonLabel: 'Export Here', properties: ['openDirectory', 'createDirectory'] });
    if (!dir) return { saved: false, name };
    const targets: string[] = [];
    for (const one of new Set(p as string[])) targets.push(await engine().request<string>({ type: 'photoTarget', path: one, action: 'reveal' }));
    try {
      await copyInto(dir, targets);
    } catch (e) {
      throw new IndexerError({ code: 'internal', message: (e as Error).message });
    }
    return { saved: true, path: dir, name };
  }

  function showDuplicates(): void {
    showWindow();
    const command: MenuCommand = { command: 'show-duplicates' };
    mainWindow?.webContents.send(IPC.menu, command);
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
    // A hidden window as parent would hide the message too (the window is closed to the tray).
    if (mainWindow && !mainWindow.isDestroyed() && mainWindow.isVisible()) await dialog.showMessageBox(mainWindow, options);
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
          'content-security-policy': contentSecurityPolicy(devUrl),
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

  function createWindow(): void {
    const win = new BrowserWindow({
      width: 1280,
      height: 840,
      // The UI has a layout down to 360 px (the sidebar becomes a drawer under 720).
      minWidth: 360,
      minHeight: 480,
      show: false,
      title: 'Photowords',
      // The UI's own background (style.css --bg) for the system's scheme, so the window opens
      // without a flash of the other one.
      backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181c' : '#fbfbfa',
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
    win.on('close', (e) => onWindowClose(e, win));
    win.on('closed', () => {
      if (mainWindow === win) mainWindow = null;
    });
    win.once('ready-to-show', () => win.show());

    // Window opening, navigation, webviews and permissions: guard.ts, for every web contents.
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
    const template: MenuItemConstructorOptions[] = [
      ...(isMac ? [{ role: 'appMenu' as const }] : []),
      {
        label: 'File',
        submenu: [
          { label: 'Add Folder…', accelerator: 'CmdOrCtrl+O', click: () => void addFolderFromMenu() },
          { label: 'Find Similar to a File…', accelerator: 'CmdOrCtrl+Shift+O', click: () => void similarToFileFromMenu() },
          { type: 'separator' },
          {
            label: 'Keep Indexing When the Window Is Closed',
            type: 'checkbox',
            checked: appSettings.keepRunningInBackground,
            click: (item) => setKeepRunning(item.checked),
          },
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
          { label: 'Duplicates', accelerator: 'CmdOrCtrl+Shift+D', click: () => showDuplicates() },
          { type: 'separator' },
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
