// In the background: the tray icon's wiring (status, Show, Pause/Resume, Quit, the two toggles)
// and "Start at Login", which each platform keeps in its own place.
import path from 'node:path';
import { app } from 'electron';
import type { IndexStatus } from '../shared/api.js';
import { autostartDir, isAutostartEnabled, launchCommand, setAutostart } from './autostart.js';
import type { Shell } from './shell.js';
import { AppTray } from './tray.js';
import type { TrayActionId, TrayToggleId } from './tray-model.js';
import { showWindow } from './window.js';

export function createTray(shell: Shell): void {
  const tray = new AppTray({
    iconDir: app.isPackaged ? path.join(process.resourcesPath, 'tray') : path.resolve(shell.here, '../../resources/tray'),
    input: () => ({
      status: shell.lastStatus,
      failure: shell.indexerFailure,
      quitting: shell.quitState !== 'running',
      keepRunning: shell.appSettings.keepRunningInBackground,
      startAtLogin: shell.loginItem,
    }),
    onAction: (id) => trayAction(shell, id),
    onToggle: (id, checked) => trayToggle(shell, id, checked),
    log: shell.log,
  });
  shell.tray = tray;
  try {
    tray.create();
  } catch (e) {
    // No tray here (a desktop without a status area): the app still works; a second launch shows the window.
    shell.log(`tray: could not be created: ${(e as Error).message}`);
  }
}

function trayAction(shell: Shell, id: TrayActionId): void {
  switch (id) {
    case 'show':
      return showWindow(shell);
    case 'pause':
    case 'resume':
      return void setPaused(shell, id === 'pause');
    case 'quit':
      return app.quit();
  }
}

function trayToggle(shell: Shell, id: TrayToggleId, checked: boolean): void {
  if (id === 'keep-running') shell.setKeepRunning(checked);
  else setStartAtLogin(shell, checked);
}

/** The engine's status, asked for (at start, after a restart, after Pause/Resume); events keep it current after. */
export function refreshStatus(shell: Shell): void {
  if (!shell.indexer) return;
  shell.indexer.request<IndexStatus>({ type: 'call', method: 'status', args: [] }).then(
    (status) => {
      shell.lastStatus = status;
      shell.tray?.update(true);
    },
    () => undefined, // a failure reaches the tray through onCrash / onFatal
  );
}

async function setPaused(shell: Shell, pause: boolean): Promise<void> {
  try {
    shell.lastStatus = await shell.engine().request<IndexStatus>({ type: 'call', method: pause ? 'pause' : 'resume', args: [] });
    shell.tray?.update(true);
  } catch (e) {
    await shell.showMessage('error', pause ? 'Indexing could not be paused' : 'Indexing could not be resumed', e instanceof Error ? e.message : String(e));
  }
}

/** The login command's arguments after the executable (Windows; Linux writes the whole command). */
function loginCommand(): string[] {
  return launchCommand({ execPath: process.execPath, appPath: app.getAppPath(), packaged: app.isPackaged, appImage: process.env.APPIMAGE });
}

export function readStartAtLogin(shell: Shell): boolean | null {
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
    shell.log(`login item: ${(e as Error).message}`);
    return null;
  }
}

function setStartAtLogin(shell: Shell, on: boolean): void {
  try {
    if (process.platform === 'linux') setAutostart(autostartDir(), on, loginCommand());
    else if (shell.isMac) app.setLoginItemSettings({ openAtLogin: on });
    else app.setLoginItemSettings({ openAtLogin: on, args: loginCommand().slice(1) });
  } catch (e) {
    void shell.showMessage('error', 'Start at login could not be changed', (e as Error).message);
  }
  shell.loginItem = readStartAtLogin(shell);
  shell.tray?.update(true);
  if (shell.isMac && on && !shell.loginItem && app.getLoginItemSettings().status === 'requires-approval') {
    void shell.showMessage('info', 'Allow Photowords to start at login', 'macOS asks you to approve it: System Settings → General → Login Items.');
  }
}
