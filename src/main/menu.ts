// The application menu: File (add a folder, find similar to a file, background indexing), View
// (Duplicates, zoom, and in development reload and developer tools), Help.
import fs from 'node:fs';
import path from 'node:path';
import { app, Menu, type MenuItemConstructorOptions } from 'electron';
import { IPC, MAX_UPLOAD_BYTES, type MenuCommand } from '../shared/ipc.js';
import type { Shell } from './shell.js';
import { showWindow } from './window.js';

const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'avif', 'tif', 'tiff', 'gif'];

async function addFolderFromMenu(shell: Shell): Promise<void> {
  const folder = await shell.pickFolder();
  if (!folder) return;
  try {
    // The page hears of the new folder through the library's 'library' event.
    await shell.engine().request({ type: 'call', method: 'addFolder', args: [folder] });
  } catch (e) {
    await shell.showMessage('error', 'The folder could not be added', e instanceof Error ? e.message : String(e));
  }
}

async function similarToFileFromMenu(shell: Shell): Promise<void> {
  const file = await shell.openDialog({
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
    shell.mainWindow?.webContents.send(IPC.menu, command);
  } catch (e) {
    await shell.showMessage('error', 'The file could not be read', e instanceof Error ? e.message : String(e));
  }
}

function showDuplicates(shell: Shell): void {
  showWindow(shell);
  const command: MenuCommand = { command: 'show-duplicates' };
  shell.mainWindow?.webContents.send(IPC.menu, command);
}

async function showAbout(shell: Shell): Promise<void> {
  await shell.showMessage(
    'info',
    `Photowords ${app.getVersion()}`,
    'A photo library that finds similar photos by reading each photo as a document of visual words.\n\n' +
      `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node.js ${process.versions.node}`,
  );
}

export function buildMenu(shell: Shell): Menu {
  const isMac = shell.isMac;
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Add Folder…', accelerator: 'CmdOrCtrl+O', click: () => void addFolderFromMenu(shell) },
        { label: 'Find Similar to a File…', accelerator: 'CmdOrCtrl+Shift+O', click: () => void similarToFileFromMenu(shell) },
        { type: 'separator' },
        {
          label: 'Keep Indexing When the Window Is Closed',
          type: 'checkbox',
          checked: shell.appSettings.keepRunningInBackground,
          click: (item) => shell.setKeepRunning(item.checked),
        },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...(shell.mode.devTools ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[]) : []),
        { label: 'Duplicates', accelerator: 'CmdOrCtrl+Shift+D', click: () => showDuplicates(shell) },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'About Photowords', click: () => void showAbout(shell) }] },
  ];
  return Menu.buildFromTemplate(template);
}
