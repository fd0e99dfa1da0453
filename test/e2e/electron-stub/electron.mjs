// A stand-in for the 'electron' module, enough for out/main/index.js to run under plain Node where
// the Electron binary is missing (test/e2e/electron.test.ts, "main under Node"). Windows, the tray,
// menus and dialogs are plain objects the scenario (run-main.mjs) inspects and drives; the
// utility process is real: out/main/indexer-process.js in a Node child whose process.parentPort
// relays to this process, as the e2e test's own shim does. Nothing here is Electron's behaviour
// beyond what main relies on: app.quit() emits 'before-quit' (cancellable) and then quits;
// closing a window emits 'close' (cancellable), then 'closed', then 'window-all-closed'.
import { EventEmitter } from 'node:events';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const stub = { windows: [], trays: [], dialogs: [], applicationMenu: null, quitCalls: 0, quit: null, utilityExits: [], trashed: [], revealed: [], saveDialogs: [] };
globalThis.electronStub = stub;

const cancellable = () => {
  const e = {
    defaultPrevented: false,
    preventDefault() {
      e.defaultPrevented = true;
    },
  };
  return e;
};

class App extends EventEmitter {
  isPackaged = false;
  dock = undefined;
  #ready = false;
  #paths = { userData: process.env.STUB_USER_DATA };
  #readyPromise = new Promise((resolve) =>
    setTimeout(() => {
      this.#ready = true;
      this.emit('ready');
      resolve();
    }, 10),
  );
  requestSingleInstanceLock() {
    return process.env.STUB_LOCKED !== '1';
  }
  setPath(name, p) {
    this.#paths[name] = p;
  }
  getPath(name) {
    return this.#paths[name];
  }
  getAppPath() {
    return process.cwd();
  }
  getVersion() {
    return '0.0.0-stub';
  }
  isReady() {
    return this.#ready;
  }
  whenReady() {
    return this.#readyPromise;
  }
  getLoginItemSettings() {
    return { openAtLogin: false, wasOpenedAtLogin: false, status: 'not-registered' };
  }
  setLoginItemSettings() {}
  quit() {
    stub.quitCalls++;
    const e = cancellable();
    this.emit('before-quit', e);
    if (e.defaultPrevented) return;
    for (const w of [...stub.windows]) w.destroy();
    this.emit('will-quit', cancellable());
    stub.quit?.();
  }
}
export const app = new App();

class WebContents extends EventEmitter {
  sent = [];
  send(channel, value) {
    this.sent.push({ channel, value });
  }
  isDestroyed() {
    return false;
  }
  setWindowOpenHandler() {}
}

export class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return stub.windows.filter((w) => !w.isDestroyed());
  }
  static getFocusedWindow() {
    return null;
  }
  #visible = false;
  #destroyed = false;
  #fullScreen = false;
  webContents = new WebContents();
  constructor(options) {
    super();
    this.options = options;
    stub.windows.push(this);
  }
  loadURL(url) {
    this.url = url;
    setTimeout(() => this.emit('ready-to-show'), 10);
    return Promise.resolve();
  }
  show() {
    this.#visible = true;
  }
  hide() {
    this.#visible = false;
  }
  focus() {}
  restore() {}
  isVisible() {
    return this.#visible && !this.#destroyed;
  }
  isMinimized() {
    return false;
  }
  isFullScreen() {
    return this.#fullScreen;
  }
  setFullScreen(f) {
    this.#fullScreen = f;
    if (!f) setTimeout(() => this.emit('leave-full-screen'), 5);
  }
  isDestroyed() {
    return this.#destroyed;
  }
  close() {
    const e = cancellable();
    this.emit('close', e);
    if (!e.defaultPrevented) this.destroy();
  }
  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#visible = false;
    this.emit('closed');
    if (BrowserWindow.getAllWindows().length === 0) app.emit('window-all-closed');
  }
}

export class Tray extends EventEmitter {
  contextMenu = null;
  toolTip = '';
  #destroyed = false;
  constructor(image) {
    super();
    this.image = image;
    stub.trays.push(this);
  }
  setContextMenu(menu) {
    this.contextMenu = menu;
  }
  setToolTip(t) {
    this.toolTip = t;
  }
  isDestroyed() {
    return this.#destroyed;
  }
  destroy() {
    this.#destroyed = true;
  }
}

export const Menu = {
  buildFromTemplate: (items) => ({ items }),
  setApplicationMenu: (m) => {
    stub.applicationMenu = m;
  },
};

// The window's first background follows the system's scheme; the stub's system is light.
export const nativeTheme = { shouldUseDarkColors: false };

export const nativeImage = {
  createFromPath: (p) => ({ path: p, isEmpty: () => !fs.existsSync(p), setTemplateImage() {} }),
};

export const dialog = {
  showMessageBox: async (a, b) => {
    const options = b ?? a;
    stub.dialogs.push(options);
    return { response: 0, checkboxChecked: options.checkboxChecked ?? false };
  },
  // STUB_OPEN_PATH: the folder the person "chose" (Export); without it the dialog is cancelled.
  showOpenDialog: async (a, b) => {
    stub.openDialogs = [...(stub.openDialogs ?? []), b ?? a];
    return process.env.STUB_OPEN_PATH ? { canceled: false, filePaths: [process.env.STUB_OPEN_PATH] } : { canceled: true, filePaths: [] };
  },
  // STUB_SAVE_PATH: the file the person "chose"; without it the dialog is cancelled.
  showSaveDialog: async (a, b) => {
    stub.saveDialogs.push(b ?? a);
    return process.env.STUB_SAVE_PATH ? { canceled: false, filePath: process.env.STUB_SAVE_PATH } : { canceled: true, filePath: '' };
  },
};

// The system's trash is a folder under STUB_USER_DATA here: trashItem moves the file there, as a
// desktop trash does (a rename, never a delete); showItemInFolder only records what it was asked.
export const shell = {
  async trashItem(p) {
    const dir = path.join(process.env.STUB_USER_DATA, 'Trash');
    fs.mkdirSync(dir, { recursive: true });
    fs.renameSync(p, path.join(dir, path.basename(p)));
    stub.trashed.push(p);
  },
  showItemInFolder(p) {
    stub.revealed.push(p);
  },
};

export const ipcMain = {
  handlers: {},
  handle(channel, fn) {
    this.handlers[channel] = fn;
  },
};
export const protocol = { registerSchemesAsPrivileged() {}, handle() {} };
export const net = { fetch: (url) => fetch(url) };
export const session = {
  defaultSession: {
    setPermissionRequestHandler() {},
    setPermissionCheckHandler() {},
    webRequest: { onBeforeRequest() {}, onHeadersReceived() {} },
  },
};

// utilityProcess.fork: a Node child with a process.parentPort that relays over Node's IPC.
const shim = path.join(process.env.STUB_USER_DATA, 'parent-port-shim.mjs');
fs.mkdirSync(path.dirname(shim), { recursive: true });
fs.writeFileSync(
  shim,
  [
    "import { EventEmitter } from 'node:events';",
    "import { pathToFileURL } from 'node:url';",
    'const port = new EventEmitter();',
    'port.postMessage = (m) => process.send(m);',
    'process.parentPort = port;',
    'const queue = [];',
    "process.on('message', (m) => (port.listenerCount('message') ? port.emit('message', { data: m }) : queue.push(m)));",
    "port.on('newListener', (event) => event === 'message' && setImmediate(() => { for (const m of queue.splice(0)) port.emit('message', { data: m }); }));",
    'await import(pathToFileURL(process.argv[2]).href);',
  ].join('\n'),
);

// A utility process never outlives this one (Electron ends them with the app).
process.on('exit', () => {
  for (const c of stub.children ?? []) if (c.exitCode === null) c.kill('SIGKILL');
});

export const utilityProcess = {
  fork(entry, args, options) {
    const child = fork(shim, [entry, ...args], { env: options.env, execArgv: [], serialization: 'advanced', stdio: 'inherit' });
    stub.children = [...(stub.children ?? []), child];
    const u = new EventEmitter();
    u.pid = child.pid;
    u.postMessage = (m) => {
      if (process.env.STUB_DEBUG) console.error('[stub] to utility:', JSON.stringify(m).slice(0, 300));
      if (child.connected) child.send(m);
    };
    u.kill = () => child.kill();
    child.on('message', (m) => {
      if (process.env.STUB_DEBUG) console.error('[stub] from utility:', JSON.stringify(m).slice(0, 300));
      u.emit('message', m);
    });
    child.on('exit', (code, signal) => {
      stub.utilityExits.push({ code, signal });
      u.emit('exit', code ?? 1);
    });
    return u;
  },
};

export default { app, BrowserWindow, Tray, Menu, nativeImage, dialog, ipcMain, protocol, net, session, shell, utilityProcess };
