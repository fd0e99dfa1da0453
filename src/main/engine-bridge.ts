// The bridge to the utility process that hosts the engine (indexer-process.ts): started with the
// environment it needs, its events fanned out to the windows and the tray, its crashes told.
import path from 'node:path';
import { app, BrowserWindow } from 'electron';
import { IPC, toErrorShape, type CallReply } from '../shared/ipc.js';
import { refreshStatus } from './background.js';
import { IndexerError, IndexerHost } from './indexer-host.js';
import type { Shell } from './shell.js';
import { packagedSqliteBinding } from './sqlite-binding.js';

export function startIndexer(shell: Shell): void {
  const { here, mode } = shell;
  const dbPath = path.resolve(process.env.PHOTOWORDS_DB || path.join(app.getPath('userData'), 'library.db'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !mode.strippedFromUtility.includes(k)) env[k] = v;
  // The engine finds resources/models from its own source file; bundled into out/main it cannot.
  env.PHOTOWORDS_MODELS_DIR ||= app.isPackaged ? path.join(process.resourcesPath, 'models') : path.resolve(here, '../../resources/models');
  // Packaged: better-sqlite3's Electron build ships as an extra resource (electron-builder.ts),
  // since the app's node_modules holds the Node build the CLI and tests use (sqlite-binding.ts).
  if (app.isPackaged) env.PHOTOWORDS_SQLITE_BINDING = packagedSqliteBinding(process.resourcesPath, process.versions.electron);
  const indexer = new IndexerHost({
    entry: path.join(here, 'indexer-process.js'),
    open: { type: 'open', dbPath },
    env,
    onEvent: (event) => {
      // A hidden window gets them too, so it is current the moment it is shown again.
      for (const w of BrowserWindow.getAllWindows()) if (!w.webContents.isDestroyed()) w.webContents.send(IPC.event, event);
      if (event.type === 'status') {
        shell.lastStatus = event.status;
        shell.tray?.update();
      }
    },
    onCrash: (message, restarting) => {
      if (restarting) {
        shell.lastStatus = null;
        setImmediate(() => refreshStatus(shell)); // the host starts the new process right after this
      } else {
        shell.indexerFailure = message;
      }
      shell.tray?.update(true);
      void shell.showMessage(
        'error',
        'The indexing process stopped',
        restarting
          ? `${message}\n\nIt has been started again; indexing goes on with the photos not yet read.`
          : `${message}\n\nIt stopped again after a restart, so Photowords leaves it stopped. Quit and start Photowords again; if this keeps happening, the photo it was reading may be the cause (see the failures list).`,
      );
    },
    onFatal: (error) => {
      shell.indexerFailure = error.message;
      shell.tray?.update(true);
      void shell.showMessage('error', 'Photowords cannot open its library', error.message);
    },
  });
  shell.indexer = indexer;
  indexer.start();
}

/** A call's outcome as the page receives it: its result, or its error in the API's one shape. */
export async function reply<T>(work: () => Promise<T>): Promise<CallReply<T>> {
  try {
    return { result: await work() };
  } catch (e) {
    return { error: e instanceof IndexerError ? e.shape : toErrorShape(e) };
  }
}
