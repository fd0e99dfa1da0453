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
//
// This file is the process's life: before ready, the single-instance lock, Quit, and the start
// in order. Its parts: shell.ts (the shared state), window.ts, background.ts (tray and login),
// engine-bridge.ts (the utility process), ipc-handlers.ts, trash-reveal.ts, export-dialogs.ts,
// protocol.ts, menu.ts.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, Menu, protocol } from 'electron';
import { SCHEME } from '../shared/ipc.js';
import { HIDDEN_ARG } from './autostart.js';
import { createTray, readStartAtLogin, refreshStatus } from './background.js';
import { startIndexer } from './engine-bridge.js';
import { installGuard } from './guard.js';
import { registerIpc } from './ipc-handlers.js';
import { buildMenu } from './menu.js';
import { shellMode } from './policy.js';
import { registerProtocol } from './protocol.js';
import { Shell } from './shell.js';
import type { TrayActionId, TrayToggleId } from './tray-model.js';
import { createWindow, showWindow } from './window.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main
const log = (m: string) => console.log(`[main] ${m}`);
/**
 * ELECTRON_RENDERER_URL (set by `electron-vite dev` to its Vite server) and PHOTOWORDS_DEVTOOLS
 * (reload and developer tools in the View menu): honoured only in an unpackaged build (policy.ts).
 */
const mode = shellMode(process.env, app.isPackaged);
if (mode.ignored.length) log(`ignored in a packaged build: ${mode.ignored.join(', ')}`);

// ---- before ready -------------------------------------------------------------------------------

// A separate profile (tests, a second library): set before the single-instance lock, which is per profile.
if (process.env.PHOTOWORDS_USER_DATA) app.setPath('userData', path.resolve(process.env.PHOTOWORDS_USER_DATA));

// Standard + secure: relative URLs and a real origin, treated like https. supportFetchAPI and
// corsEnabled: the page may fetch() photowords://file/ (the answer carries its origin in
// Access-Control-Allow-Origin). stream: large photos are not buffered whole.
protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } }]);

if (!app.requestSingleInstanceLock()) {
  // Another Photowords runs with this profile: it gets focused ('second-instance'); this one ends.
  app.quit();
} else {
  run(new Shell(here, mode, log, HIDDEN_ARG));
}

function run(shell: Shell): void {
  // A second launch (the same profile) ends at once; this one shows its window instead.
  app.on('second-instance', () => showWindow(shell));

  // Only when the window really closed (background mode off): quit, except on macOS, whose apps stay
  // in the Dock (and go on indexing) until Quit.
  app.on('window-all-closed', () => {
    if (!shell.isMac) app.quit();
  });

  // macOS: a click on the Dock icon (or opening the app again) shows the window, hidden or closed.
  app.on('activate', () => {
    if (app.isReady()) showWindow(shell);
  });

  // Close the library before the process ends, so no write is cut off half way: the utility process
  // gets 'shutdown', lets the photos in flight finish and be stored, closes SQLite and exits.
  app.on('before-quit', (e) => {
    if (shell.quitState === 'done') return;
    e.preventDefault();
    if (shell.quitState === 'stopping') return; // a second Quit while the first one is finishing
    shell.quitState = 'stopping';
    for (const w of BrowserWindow.getAllWindows()) w.hide();
    shell.tray?.update(true);
    const started = Date.now();
    const stopped = shell.indexer ? shell.indexer.stop() : Promise.resolve('not-running' as const);
    void stopped
      .then((outcome) => {
        const took = `${Date.now() - started} ms`;
        if (outcome === 'closed') log(`indexing stopped: the library is closed (${took})`);
        else if (outcome === 'killed') log(`indexing stopped: the indexer did not close the library in time and was ended (${took})`);
        else log(`indexing stopped: the indexer ${outcome === 'exited' ? 'exited' : 'was not running'} (${took})`);
      })
      .finally(() => {
        shell.quitState = 'done';
        shell.tray?.destroy();
        app.quit();
      });
  });

  void app.whenReady().then(() => {
    // macOS has no arguments for login items; it says whether it opened the app at login.
    if (shell.isMac) shell.startedHidden ||= app.getLoginItemSettings().wasOpenedAtLogin;
    installGuard(mode, log);
    registerProtocol(shell);
    registerIpc(shell);
    startIndexer(shell);
    shell.refreshMenu = () => Menu.setApplicationMenu(buildMenu(shell));
    shell.refreshMenu();
    shell.loginItem = readStartAtLogin(shell);
    createTray(shell);
    refreshStatus(shell);
    if (shell.startedHidden) log('started at login: indexing in the background, the window opens from the tray');
    else createWindow(shell);
    exposeTestHooks(shell);
  });
}

/** For test/e2e/electron.test.ts (app.evaluate runs in this process), only when it asks. */
function exposeTestHooks(shell: Shell): void {
  if (app.isPackaged || process.env.PHOTOWORDS_TEST_HOOKS !== '1') return;
  (globalThis as Record<string, unknown>).photowordsShell = {
    trayCreated: () => shell.tray?.created ?? false,
    trayItems: () => shell.tray?.items() ?? [],
    clickTray: (id: TrayActionId | TrayToggleId) => shell.tray?.click(id),
    settingsFile: shell.settingsFile,
    startedHidden: shell.startedHidden,
  };
}
