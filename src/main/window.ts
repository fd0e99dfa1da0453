// The one window: opened (or shown again) on demand, and hidden instead of closed while the
// person keeps Photowords indexing in the background.
import path from 'node:path';
import { app, BrowserWindow, dialog, nativeTheme } from 'electron';
import { APP_ORIGIN } from '../shared/ipc.js';
import type { Shell } from './shell.js';

export function showWindow(shell: Shell): void {
  if (shell.quitState !== 'running' || !app.isReady()) return;
  const mainWindow = shell.mainWindow;
  if (!mainWindow || mainWindow.isDestroyed()) return createWindow(shell); // shown once its page is ready
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

export function createWindow(shell: Shell): void {
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
      preload: path.join(shell.here, '../preload/index.cjs'),
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
  shell.mainWindow = win;
  win.on('close', (e) => onWindowClose(shell, e, win));
  win.on('closed', () => {
    if (shell.mainWindow === win) shell.mainWindow = null;
  });
  win.once('ready-to-show', () => win.show());

  // Window opening, navigation, webviews and permissions: guard.ts, for every web contents.
  void win.loadURL(shell.mode.devUrl ?? `${APP_ORIGIN}/index.html`);
}

/** The window's close: hide it and go on indexing (background mode), or really close it. */
function onWindowClose(shell: Shell, e: Electron.Event, win: BrowserWindow): void {
  if (shell.quitState !== 'running' || !shell.appSettings.keepRunningInBackground) return;
  e.preventDefault();
  // A full-screen window hidden on macOS leaves an empty full-screen Space: leave full screen first.
  if (win.isFullScreen()) {
    win.once('leave-full-screen', () => win.hide());
    win.setFullScreen(false);
  } else {
    win.hide();
  }
  if (!shell.appSettings.backgroundNoteShown) void showBackgroundNote(shell);
}

/** Once, the first time the window is closed: what happened and where to find Photowords now. */
async function showBackgroundNote(shell: Shell): Promise<void> {
  shell.appSettings.backgroundNoteShown = true;
  shell.saveSettings();
  const where = shell.isMac ? 'its icon in the menu bar (or the Dock)' : 'its icon in the system tray';
  const r = await dialog.showMessageBox({
    type: 'info',
    title: 'Photowords',
    message: 'Photowords keeps indexing in the background',
    detail: `The window is closed, but new and changed photos go on being indexed. Open the window again or quit from ${where}; ` + 'starting Photowords again also opens the window.',
    buttons: ['OK', 'Quit Photowords'],
    defaultId: 0,
    cancelId: 0,
    checkboxLabel: 'Keep indexing when the window is closed',
    checkboxChecked: true,
  });
  if (!r.checkboxChecked) shell.setKeepRunning(false);
  if (r.response === 1) app.quit();
}
