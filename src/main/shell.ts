// What the main process's parts share: its state (the window, the utility process, the tray, where
// Quit is, the engine's latest status), its settings, and the few helpers every part needs (the
// engine, a message box, a file dialog). index.ts makes one at start; the other modules of this
// folder take it.
import path from 'node:path';
import { app, BrowserWindow, dialog, type OpenDialogOptions } from 'electron';
import type { IndexStatus } from '../shared/api.js';
import { APP_SETTINGS_FILE, loadAppSettings, saveAppSettings, type AppSettings } from './app-settings.js';
import { IndexerError, type IndexerHost } from './indexer-host.js';
import type { ShellMode } from './policy.js';
import type { AppTray } from './tray.js';

export class Shell {
  mainWindow: BrowserWindow | null = null;
  indexer: IndexerHost | null = null;
  tray: AppTray | null = null;
  /** 'stopping': Quit was chosen and the utility process is closing the library; 'done': it has. */
  quitState: 'running' | 'stopping' | 'done' = 'running';
  /** The engine's latest status (for the tray), and why indexing cannot go on, once it cannot. */
  lastStatus: IndexStatus | null = null;
  indexerFailure: string | undefined;
  readonly settingsFile = path.join(app.getPath('userData'), APP_SETTINGS_FILE);
  readonly appSettings: AppSettings = loadAppSettings(this.settingsFile);
  /** Whether Photowords starts at login (null where this platform cannot); read at start and after each change. */
  loginItem: boolean | null = null;
  /** Started at login: no window, only the tray icon (the window opens from it, or on a second launch). */
  startedHidden: boolean;
  /** Builds the application menu again (its checkboxes show the settings); set by index.ts. */
  refreshMenu: () => void = () => undefined;
  readonly isMac = process.platform === 'darwin';
  readonly rendererDir: string;

  constructor(
    /** The folder of the built main process (out/main). */
    readonly here: string,
    readonly mode: ShellMode,
    readonly log: (m: string) => void,
    hiddenArg: string,
  ) {
    this.rendererDir = path.join(here, '../renderer');
    this.startedHidden = process.argv.includes(hiddenArg);
  }

  engine(): IndexerHost {
    if (!this.indexer) throw new IndexerError({ code: 'unavailable', message: 'Photowords is still starting.' });
    return this.indexer;
  }

  saveSettings(): void {
    try {
      saveAppSettings(this.settingsFile, this.appSettings);
    } catch (e) {
      this.log(`settings: could not write ${this.settingsFile}: ${(e as Error).message}`);
    }
  }

  setKeepRunning(on: boolean): void {
    this.appSettings.keepRunningInBackground = on;
    this.saveSettings();
    this.tray?.update(true);
    this.refreshMenu(); // the File menu's checkbox too
  }

  async showMessage(type: 'error' | 'info', message: string, detail: string): Promise<void> {
    const options = { type, message, detail, buttons: ['OK'] };
    const mainWindow = this.mainWindow;
    // A hidden window as parent would hide the message too (the window is closed to the tray).
    if (mainWindow && !mainWindow.isDestroyed() && mainWindow.isVisible()) await dialog.showMessageBox(mainWindow, options);
    else await dialog.showMessageBox(options);
  }

  async openDialog(options: OpenDialogOptions): Promise<string | null> {
    const win = BrowserWindow.getFocusedWindow() ?? this.mainWindow;
    const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
  }

  pickFolder(): Promise<string | null> {
    return this.openDialog({ title: 'Add a folder to the library', buttonLabel: 'Add Folder', properties: ['openDirectory'] });
  }
}
