/// <reference lib="dom" />
// The Electron shell end to end.
//
// 1. The indexing utility process as built (out/main/indexer-process.js, with its bundled engine,
//    the tokenizer thread entry and the models folder passed the way main passes it), run under
//    plain Node with a stand-in for Electron's process.parentPort: open, calls, events, the path
//    guard behind photowords://, a search with bytes, and a clean shutdown. Needs no Electron.
// 1b. The main process as built (out/main/index.js) on a stand-in 'electron' module
//    (test/e2e/electron-stub), with the real utility process: closing the window hides it, the
//    first-close note, a second launch, the tray's status line, Pause/Resume and toggles, and Quit
//    (also in the middle of indexing) closing the library cleanly. Needs no Electron; it checks
//    main's logic, not Electron's own behaviour, which part 2 does where Electron is installed.
// 2. The app itself through Playwright's _electron: the window loads the UI, window.photowords is
//    there, Node is not, the utility process answers, a path outside the library is refused, and
//    the page cannot navigate away. Then in the background: closing the window hides it while
//    indexing goes on, the tray's status line, Pause/Resume and toggles (through main's test hook),
//    a second launch showing the first window, and Quit closing the library. Reported as skipped,
//    with the reason, where the Electron binary is not installed (it is a download outside the npm
//    registry; see scripts/install.sh).
//
// Standalone: node --import tsx --test test/e2e/electron.test.ts (builds out/ when it is missing).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BackendEvent, FolderInfo, IndexStatus, PhotoPage, PhotowordsApi, SimilarResult } from '../../src/shared/api.js';
import type { IndexerMessage, IndexerRequest } from '../../src/shared/ipc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FLOWERS = path.resolve(ROOT, '../shared/datasets/flowers17');
const INDEX_TIMEOUT_MS = 5 * 60_000;

let tmp: string;
let photos: string;

before(() => {
  if (!fs.existsSync(path.join(ROOT, 'out/main/indexer-process.js')) || !fs.existsSync(path.join(ROOT, 'out/preload/index.cjs'))) {
    execFileSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'photowords-electron-'));
  // A small library: three photos of one class and two of another.
  photos = path.join(tmp, 'photos');
  for (const [cls, n] of [
    ['c01', 3],
    ['c02', 2],
  ] as const) {
    fs.mkdirSync(path.join(photos, cls), { recursive: true });
    const files = fs.readdirSync(path.join(FLOWERS, cls)).sort().slice(0, n);
    for (const f of files) fs.copyFileSync(path.join(FLOWERS, cls, f), path.join(photos, cls, f));
  }
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// ---- 1. the utility process bundle under Node ------------------------------------------------------

/** Runs out/main/indexer-process.js in a Node child whose process.parentPort relays to this process. */
class UtilityUnderNode {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiters: { match: (m: IndexerMessage) => boolean; resolve: (m: IndexerMessage) => void; reject: (e: Error) => void }[] = [];
  readonly events: BackendEvent[] = [];
  log = '';

  constructor(dir: string) {
    const shim = path.join(dir, 'parent-port-shim.mjs');
    // Electron's parentPort delivers {data}; 'advanced' serialization (structured clone) carries bytes.
    fs.writeFileSync(
      shim,
      [
        "import { EventEmitter } from 'node:events';",
        'const port = new EventEmitter();',
        'port.postMessage = (m) => process.send(m);',
        'process.parentPort = port;',
        // Like Electron's, the port queues messages until the first 'message' listener is there.
        'const queue = [];',
        "process.on('message', (m) => (port.listenerCount('message') ? port.emit('message', { data: m }) : queue.push(m)));",
        "port.on('newListener', (event) => event === 'message' && setImmediate(() => { for (const m of queue.splice(0)) port.emit('message', { data: m }); }));",
        `await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'out/main/indexer-process.js')).href)});`,
      ].join('\n'),
    );
    this.child = fork(shim, [], {
      cwd: dir, // nothing may depend on the working directory
      execArgv: [], // the bundle is plain JavaScript: no tsx loader from this test's own command line
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, PHOTOWORDS_MODELS_DIR: path.join(ROOT, 'resources/models') },
    });
    this.child.stdout!.on('data', (d) => (this.log += d));
    this.child.stderr!.on('data', (d) => (this.log += d));
    this.child.on('message', (m: IndexerMessage) => {
      if (m.type === 'event') this.events.push(m.event);
      const i = this.waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`the process exited (${code}) first; its output:\n${this.log}`));
    });
  }

  send(m: IndexerRequest): void {
    this.child.send(m);
  }

  next(match: (m: IndexerMessage) => boolean, timeoutMs = 120_000): Promise<IndexerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms; process output:\n${this.log}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** A request with an id; resolves with the reply (result or error). */
  async ask(req: Record<string, unknown> & { type: string }): Promise<{ result?: unknown; error?: { message: string; code: string } }> {
    const id = this.nextId++;
    const reply = this.next((m) => m.type === 'reply' && m.id === id);
    this.send({ ...req, id } as IndexerRequest);
    const m = (await reply) as Extract<IndexerMessage, { type: 'reply' }>;
    return 'error' in m ? { error: m.error } : { result: m.result };
  }

  async result<T>(req: Record<string, unknown> & { type: string }): Promise<T> {
    const r = await this.ask(req);
    assert.equal(r.error, undefined, `${req.type} failed: ${r.error?.message}`);
    return r.result as T;
  }
}

test('the built utility process opens the library, answers, indexes with its model thread, guards paths and shuts down', { timeout: INDEX_TIMEOUT_MS + 120_000 }, async () => {
  const dir = path.join(tmp, 'node-run');
  fs.mkdirSync(dir);
  const dbPath = path.join(dir, 'library.db');
  const u = new UtilityUnderNode(dir);
  const exited = new Promise<number | null>((resolve) => u.child.once('exit', (code) => resolve(code)));
  try {
    const ready = u.next((m) => m.type === 'ready' || m.type === 'fatal');
    // Calls sent before the library is open wait for it.
    const early = u.result<FolderInfo[]>({ type: 'call', method: 'listFolders', args: [] });
    u.send({ type: 'open', dbPath });
    const r = await ready;
    assert.equal(r.type, 'ready', JSON.stringify(r));
    assert.deepEqual(await early, []);

    const folder = await u.result<FolderInfo>({ type: 'call', method: 'addFolder', args: [photos] });
    assert.equal(folder.path, fs.realpathSync(photos));
    const deadline = Date.now() + INDEX_TIMEOUT_MS;
    let status: IndexStatus;
    for (;;) {
      status = await u.result<IndexStatus>({ type: 'call', method: 'status', args: [] });
      if (status.state === 'idle' && status.libraryPhotos === 5) break;
      assert.notEqual(status.state, 'error', status.message);
      assert.ok(Date.now() < deadline, `indexing did not finish: ${JSON.stringify(status)}\n${u.log}`);
      await new Promise((res) => setTimeout(res, 500));
    }
    assert.ok(
      u.events.some((e) => e.type === 'status'),
      'status events are forwarded',
    );

    const page = await u.result<PhotoPage>({ type: 'call', method: 'listPhotos', args: [{ offset: 0, limit: 10 }] });
    assert.equal(page.total, 5);
    const first = page.items.find((p) => p.path.includes(`${path.sep}c01${path.sep}`))!;

    // What photowords://thumb/ and photowords://file/ ask for.
    const thumb = await u.result<string>({ type: 'thumbnail', path: first.path, size: 160 });
    assert.deepEqual([...fs.readFileSync(thumb).subarray(0, 2)], [0xff, 0xd8], 'a JPEG thumbnail');
    assert.equal(await u.result<string>({ type: 'file', path: first.path }), fs.realpathSync(first.path));
    for (const outside of ['/etc/passwd', path.join(photos, '..', 'node-run', 'library.db'), path.join(photos, 'c01', '..', '..', 'node-run', 'library.db')]) {
      const refused = await u.ask({ type: 'file', path: outside });
      assert.equal(refused.error?.code, 'forbidden', `${outside}: ${JSON.stringify(refused)}`);
      assert.equal((await u.ask({ type: 'thumbnail', path: outside, size: 160 })).error?.code, 'forbidden');
    }

    // A search with bytes, as "Find similar to a file" sends them.
    const bytes = new Uint8Array(fs.readFileSync(first.path));
    const similar = await u.result<SimilarResult>({ type: 'similarToFile', file: { name: 'query.jpg', bytes }, opts: { top: 3 } });
    assert.equal(similar.results[0].path, first.path, 'the same photo ranks first');

    // Unknown methods never reach the library.
    u.send({ type: 'call', id: 999, method: 'close', args: [] } as unknown as IndexerRequest);
    const closed = u.next((m) => m.type === 'closed');
    u.send({ type: 'shutdown' });
    await closed;
    assert.equal(await exited, 0);
  } finally {
    if (u.child.exitCode === null) u.child.kill();
  }
});

// ---- 1b. the main process as built, on a stand-in 'electron' module, under Node ---------------------

/** Runs test/e2e/electron-stub/run-main.mjs (out/main/index.js on the stand-in) and returns its RESULT. */
async function runMainOnStub(dir: string, env: Record<string, string>): Promise<{ steps: ({ name: string } & Record<string, any>)[]; error?: string; log: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const child = fork(path.join(ROOT, 'test/e2e/electron-stub/run-main.mjs'), [], {
    cwd: ROOT,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, STUB_USER_DATA: path.join(dir, 'user-data'), PHOTOWORDS_DB: path.join(dir, 'library.db'), XDG_CONFIG_HOME: path.join(dir, 'config'), ...env },
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = log.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no result (exit code ${code}):\n${log}`);
  return { ...JSON.parse(line.slice('RESULT '.length)), log };
}

test(
  'main in the background (on a stand-in electron module): close hides, the note once, second launch, tray status, Pause/Resume, login entry, quit closes the library',
  { timeout: INDEX_TIMEOUT_MS + 120_000 },
  async () => {
    const r = await runMainOnStub(path.join(tmp, 'stub-background'), { STUB_FOLDER: photos });
    assert.equal(r.error, undefined, `${r.error}\n${r.log}`);
    const step = (name: string) => r.steps.find((s) => s.name === name)!;
    assert.deepEqual(step('tray').labels, [
      'Up to date · 0 photos',
      '-',
      'Show Photowords',
      'Pause Indexing',
      '-',
      'Keep Indexing When the Window Is Closed',
      'Start at Login',
      '-',
      'Quit Photowords',
    ]);
    assert.equal(step('tray').iconFound, true, 'resources/tray/tray.png is found from out/main');
    assert.deepEqual(step('closed once'), {
      name: 'closed once',
      visible: false,
      destroyed: false,
      note: 'Photowords keeps indexing in the background',
      settings: { keepRunningInBackground: true, backgroundNoteShown: true },
      utilityExits: 0,
    });
    assert.equal(step('closed twice').dialogs, 1, 'the note is shown once');
    assert.equal(step('second instance').visible, true);
    assert.equal(step('folder added').error, null);
    assert.match(step('paused').labels[0], /^Paused/);
    assert.equal(step('paused').labels[3], 'Resume Indexing');
    assert.equal(step('resumed').labels[0], 'Up to date · 5 photos');
    assert.equal(step('start at login on').checked, true);
    assert.match(step('start at login on').entry, /^Exec=.* --hidden$/m);
    assert.deepEqual([step('start at login off').checked, step('start at login off').entry], [false, false]);
    assert.equal(step('keep running off').settings.keepRunningInBackground, false);
    assert.ok(step('keep running off').fileMenu.includes('Keep Indexing When the Window Is Closed'));
    assert.equal(step('closed for good').destroyed, true, 'background mode off: the window really closes');
    assert.deepEqual(step('quit').utilityExits, [{ code: 0, signal: null }]);
    assert.equal(step('quit').trayDestroyed, true);
    assert.match(r.log, /\[main\] indexing stopped: the library is closed/);
  },
);

test('Quit from the tray while indexing: the photos in flight are stored, the library closes cleanly, each photo once', { timeout: INDEX_TIMEOUT_MS + 120_000 }, async () => {
  const dir = path.join(tmp, 'stub-quit');
  const many = path.join(dir, 'photos');
  fs.mkdirSync(many, { recursive: true });
  // Enough photos that indexing outlasts the tray's once-a-second update: with 40, every run on a
  // 2-core Intel Xeon finished them between two updates, so "Indexing" was never shown.
  const PHOTOS = 240;
  for (const c of ['c03', 'c04', 'c05']) {
    for (const f of fs.readdirSync(path.join(FLOWERS, c)).sort()) fs.copyFileSync(path.join(FLOWERS, c, f), path.join(many, `${c}-${f}`));
  }
  assert.equal(fs.readdirSync(many).length, PHOTOS);
  const r = await runMainOnStub(dir, { STUB_FOLDER: many, STUB_SCENARIO: 'quit-while-indexing' });
  assert.equal(r.error, undefined, `${r.error}\n${r.log}`);
  const chosen = r.steps.find((s) => s.name === 'quit chosen')!;
  assert.match(chosen.while, new RegExp(`^Indexing \\d+ of ${PHOTOS}`));
  assert.equal(chosen.now, 'Quitting: finishing the photos in flight…');
  assert.deepEqual(chosen.enabled, [], 'nothing to click while quitting');
  assert.deepEqual(r.steps.find((s) => s.name === 'quit')!.utilityExits, [{ code: 0, signal: null }]);
  assert.match(r.log, /\[main\] indexing stopped: the library is closed/);
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(path.join(dir, 'library.db'), { readonly: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const { n, d } = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT path) AS d FROM images').get() as { n: number; d: number };
    assert.equal(n, d, 'each photo once');
    assert.ok(n >= 1 && n <= PHOTOS, `${n} photos stored`);
  } finally {
    db.close();
  }
});

test(
  'Duplicates through main (on a stand-in electron module): the search, reveal and trash through the shell after the engine checks the photo, the index follows, the report through the save dialog',
  { timeout: INDEX_TIMEOUT_MS + 120_000 },
  async () => {
    const dir = path.join(tmp, 'stub-duplicates');
    const lib = path.join(dir, 'photos');
    fs.mkdirSync(lib, { recursive: true });
    const src = path.join(FLOWERS, 'c09', fs.readdirSync(path.join(FLOWERS, 'c09')).sort()[4]);
    const original = path.join(lib, 'flower.jpg');
    const copy = path.join(lib, 'flower-small.jpg');
    fs.copyFileSync(src, original);
    const sharp = (await import('sharp')).default;
    const { width = 0 } = await sharp(src).metadata();
    await sharp(src)
      .resize(Math.round(width * 0.6))
      .jpeg({ quality: 75 })
      .toFile(copy);
    for (const c of ['c01', 'c04', 'c13']) fs.copyFileSync(path.join(FLOWERS, c, fs.readdirSync(path.join(FLOWERS, c)).sort()[0]), path.join(lib, `${c}.jpg`));
    fs.copyFileSync(src, path.join(dir, 'outside.jpg'));
    const saveTo = path.join(dir, 'saved', 'report.html');
    fs.mkdirSync(path.dirname(saveTo));
    const exportTo = path.join(dir, 'exported');
    fs.mkdirSync(exportTo);
    fs.writeFileSync(path.join(exportTo, 'flower.jpg'), 'a file already there');
    const many = [path.join(lib, 'c01.jpg'), path.join(dir, 'outside.jpg'), path.join(lib, 'c04.jpg')];
    const r = await runMainOnStub(dir, { STUB_FOLDER: lib, STUB_SCENARIO: 'duplicates', STUB_DUP_COPY: copy, STUB_SAVE_PATH: saveTo, STUB_TRASH_MANY: many.join('\n'), STUB_OPEN_PATH: exportTo });
    assert.equal(r.error, undefined, `${r.error}\n${r.log}`);
    const step = (name: string) => r.steps.find((s) => s.name === name)!;
    assert.equal(step('duplicates').error, null);
    assert.ok(
      step('duplicates').groups.some((g: { paths: string[] }) => g.paths.join() === [copy, original].sort().join()),
      JSON.stringify(step('duplicates').groups),
    );
    assert.equal(step('reveal outside').error.code, 'forbidden');
    assert.deepEqual(step('reveal outside').revealed, [], 'shell.showItemInFolder never saw a refused path');
    assert.deepEqual(step('reveal').revealed, [copy]);
    assert.equal(step('trash outside').error.code, 'forbidden');
    assert.equal(step('trash from another page').error.code, 'forbidden');
    assert.deepEqual(step('trash from another page').trashed, [], 'shell.trashItem never saw a refused call');
    assert.equal(step('trash').error, null);
    assert.deepEqual(step('trash').trashed, [copy]);
    assert.deepEqual(step('trash').inTrash, ['flower-small.jpg']);
    assert.equal(step('trash').copyExists, false);
    assert.equal(step('trash').result.libraryPhotos, 4);
    assert.ok(!step('trash').listed.includes(copy) && step('trash').listed.includes(original), 'the index forgot the copy, and only it');
    assert.deepEqual(step('export').result, { saved: true, path: saveTo, name: 'report.html' });
    assert.match(step('export').dialog, /^photowords-duplicates-\d{4}-\d\d-\d\d\.html$/);
    assert.match(step('export').written, /^<!doctype html>/);
    assert.ok(!step('export').written.includes(copy), 'the report is made after the trash');
    assert.equal(step('export bad format').error.code, 'bad-request');
    // Issue 19: trashPhotos through main, photo by photo through shell.trashItem; the refused one stays.
    const tm = step('trash many');
    assert.equal(tm.error, null);
    assert.deepEqual(
      tm.result.trashed.map((t: { path: string }) => t.path),
      [many[0], many[2]],
    );
    for (const t of tm.result.trashed)
      assert.equal(t.bytes, fs.statSync(path.join(FLOWERS, t.path.endsWith('c01.jpg') ? 'c01' : 'c04', fs.readdirSync(path.join(FLOWERS, t.path.endsWith('c01.jpg') ? 'c01' : 'c04')).sort()[0])).size);
    assert.deepEqual(
      tm.result.failed.map((f: { path: string }) => f.path),
      [many[1]],
    );
    assert.match(tm.result.message, /^2 photos \([\d.]+ KB\) moved to the trash/);
    assert.deepEqual(tm.trashed, [copy, many[0], many[2]], 'shell.trashItem saw only the library photos');
    assert.ok(fs.existsSync(many[1]), 'the refused file is where it was');
    assert.equal(tm.result.libraryPhotos, 2);
    assert.deepEqual([...tm.listed].sort(), [original, path.join(lib, 'c13.jpg')].sort());
    // All three trashes are on record; the stand-in's trash is no XDG trash, so none is restorable there.
    assert.deepEqual(tm.onRecord.map((i: { path: string }) => i.path).sort(), [copy, many[0], many[2]].sort());
    assert.ok(tm.onRecord.every((i: { restorable: boolean; bytes: number }) => !i.restorable && i.bytes > 0));
    // Export: copied into the chosen folder, the name already there kept and the copy named "(2)".
    const ex = step('export photos');
    assert.equal(ex.error, null);
    assert.deepEqual(ex.result, { saved: true, path: exportTo, name: '2 photos' });
    assert.deepEqual(ex.files, ['c13.jpg', 'flower (2).jpg', 'flower.jpg']);
    assert.equal(fs.readFileSync(path.join(exportTo, 'flower.jpg'), 'utf8'), 'a file already there');
    assert.deepEqual(fs.readFileSync(path.join(exportTo, 'flower (2).jpg')), fs.readFileSync(original));
    assert.equal(step('export outside').error.code, 'forbidden');
    assert.equal(step('export outside').files, 3, 'nothing copied for a refused path');
    assert.deepEqual(step('quit').utilityExits, [{ code: 0, signal: null }]);
  },
);

// ---- 2. the app in Electron ------------------------------------------------------------------------

/** The Electron executable, or why there is none. */
function electronBinary(): { path: string } | { reason: string } {
  const pathTxt = path.join(ROOT, 'node_modules/electron/path.txt');
  if (!fs.existsSync(pathTxt)) {
    return { reason: 'Electron binary is not installed: node_modules/electron/path.txt is missing (its download is skipped or failed; scripts/install.sh tries it)' };
  }
  let bin: string;
  try {
    bin = createRequire(import.meta.url)('electron') as string;
  } catch (e) {
    return { reason: `Electron binary is not installed: ${(e as Error).message}` };
  }
  if (!fs.existsSync(bin)) return { reason: `Electron binary is not installed: ${bin} does not exist` };
  return { path: bin };
}

const electron = electronBinary();

/** The page's window as the preload leaves it (types only; evaluate() callbacks run in the page). */
type PageWindow = Window & { photowords?: PhotowordsApi; require?: unknown; process?: unknown };

test(
  'the Electron app: window, bridge, no Node in the page, the library over IPC, refused paths and navigation',
  { skip: 'reason' in electron ? electron.reason : false, timeout: 180_000 },
  async () => {
    if ('reason' in electron) return;
    const { _electron } = await import('playwright-core');
    const dir = path.join(tmp, 'electron-run');
    fs.mkdirSync(dir);
    const args = ['out/main/index.js'];
    // Chromium's own sandbox cannot start as root (containers); the page stays sandboxed by Electron.
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    const app = await _electron.launch({
      executablePath: electron.path,
      args,
      cwd: ROOT,
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && k !== 'ELECTRON_RENDERER_URL')),
        PHOTOWORDS_DB: path.join(dir, 'library.db'),
        PHOTOWORDS_USER_DATA: path.join(dir, 'user-data'),
      } as Record<string, string>,
      timeout: 60_000,
    });
    let mainLog = '';
    app.process().stdout?.on('data', (d) => (mainLog += d));
    app.process().stderr?.on('data', (d) => (mainLog += d));
    try {
      const win = await app.firstWindow();
      await win.waitForLoadState('domcontentloaded');
      assert.match(win.url(), /^photowords:\/\/app\//);
      // The UI mounted something into #app.
      await win.waitForFunction(() => (document.querySelector('#app')?.children.length ?? 0) > 0, undefined, { timeout: 30_000 });

      const page = await win.evaluate(() => {
        const w = window as PageWindow;
        return {
          bridge: typeof w.photowords,
          shell: w.photowords?.shell,
          require: typeof w.require,
          process: typeof w.process,
          ipcRenderer: 'ipcRenderer' in (w.photowords ?? {}),
          thumb: w.photowords?.thumbUrl('/a b.jpg', 160),
        };
      });
      assert.deepEqual(page, {
        bridge: 'object',
        shell: 'electron',
        require: 'undefined',
        process: 'undefined',
        ipcRenderer: false,
        thumb: 'photowords://thumb/?path=%2Fa+b.jpg&size=160',
      });

      // The utility process answers through main.
      const folders = await win.evaluate(() => (window as PageWindow).photowords!.listFolders());
      assert.deepEqual(folders, [], mainLog);
      const bad = await win.evaluate(() =>
        (window as PageWindow).photowords!.photo(123456).then(
          () => 'found',
          (e: Error) => e.message,
        ),
      );
      assert.notEqual(bad, 'found');

      // A path outside the library folders is refused by the protocol handler.
      const status = await win.evaluate(async () => (await fetch((window as PageWindow).photowords!.fileUrl('/etc/passwd'))).status);
      assert.equal(status, 403);
      const thumbStatus = await win.evaluate(async () => (await fetch((window as PageWindow).photowords!.thumbUrl('/etc/passwd'))).status);
      assert.equal(thumbStatus, 403);

      // No navigation away from the app, no new windows, no remote requests.
      const before = win.url();
      await win.evaluate(() => {
        window.location.href = 'https://example.com/';
      });
      await win.waitForTimeout(1000);
      assert.equal(win.url(), before);
      assert.equal(await win.evaluate(() => window.open('https://example.com/') === null), true);
      const remote = await win.evaluate(() =>
        fetch('https://example.com/').then(
          () => 'loaded',
          () => 'blocked',
        ),
      );
      assert.equal(remote, 'blocked');
      assert.equal(app.windows().length, 1);
    } finally {
      await app.close();
    }
  },
);

/** What main exposes to tests on globalThis.photowordsShell (PHOTOWORDS_TEST_HOOKS=1; src/main/index.ts). */
interface ShellHooks {
  trayCreated(): boolean;
  trayItems(): { kind: string; id?: string; label?: string; checked?: boolean; enabled?: boolean }[];
  clickTray(id: string): void;
  settingsFile: string;
  startedHidden: boolean;
}
type MainGlobal = typeof globalThis & { photowordsShell: ShellHooks };

test(
  'the Electron app in the background: closing the window hides it and indexing goes on, the tray pauses and resumes, toggles, a second launch shows the window, Quit closes the library',
  { skip: 'reason' in electron ? electron.reason : false, timeout: INDEX_TIMEOUT_MS + 180_000 },
  async () => {
    if ('reason' in electron) return;
    const { _electron } = await import('playwright-core');
    const dir = path.join(tmp, 'electron-background');
    const userData = path.join(dir, 'user-data');
    const config = path.join(dir, 'config'); // XDG_CONFIG_HOME: "Start at login" writes here, not in the real ~/.config
    const dbPath = path.join(dir, 'library.db');
    fs.mkdirSync(userData, { recursive: true });
    // The first-close note is a native message box, which Playwright cannot answer: mark it shown.
    fs.writeFileSync(path.join(userData, 'app-settings.json'), JSON.stringify({ keepRunningInBackground: true, backgroundNoteShown: true }));
    const args = ['out/main/index.js'];
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && k !== 'ELECTRON_RENDERER_URL')),
      PHOTOWORDS_DB: dbPath,
      PHOTOWORDS_USER_DATA: userData,
      PHOTOWORDS_TEST_HOOKS: '1',
      XDG_CONFIG_HOME: config,
    } as Record<string, string>;
    const app = await _electron.launch({ executablePath: electron.path, args, cwd: ROOT, env, timeout: 60_000 });
    let mainLog = '';
    app.process().stdout?.on('data', (d) => (mainLog += d));
    app.process().stderr?.on('data', (d) => (mainLog += d));
    const exited = new Promise<void>((resolve) => (app.process().exitCode !== null ? resolve() : app.process().once('exit', () => resolve())));

    const trayItems = () => app.evaluate(() => (globalThis as MainGlobal).photowordsShell.trayItems());
    const statusLabel = async () => (await trayItems())[0]?.label ?? '';
    const click = (id: string) => app.evaluate((_electron, id) => (globalThis as MainGlobal).photowordsShell.clickTray(id), id);
    const windows = () => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => ({ visible: w.isVisible(), destroyed: w.isDestroyed() })));
    const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        assert.ok(Date.now() < deadline, `${what}: not in ${timeoutMs} ms; tray: ${await statusLabel()}\n${mainLog}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    let quit = false;
    try {
      const win = await app.firstWindow();
      await win.waitForFunction(() => (document.querySelector('#app')?.children.length ?? 0) > 0, undefined, { timeout: 30_000 });
      assert.equal(await app.evaluate(() => (globalThis as MainGlobal).photowordsShell.trayCreated()), true, 'a tray icon');
      assert.equal(await app.evaluate(() => (globalThis as MainGlobal).photowordsShell.startedHidden), false);
      await waitFor('the tray shows the idle library', async () => (await statusLabel()) === 'Up to date · 0 photos');
      const labels = (await trayItems()).map((i) => (i.kind === 'separator' ? '-' : i.label));
      assert.deepEqual(labels.slice(1, 4), ['-', 'Show Photowords', 'Pause Indexing']);
      assert.equal(labels.at(-1), 'Quit Photowords');

      // Add the folder, close the window at once: the window hides, the process and the indexer go on.
      await win.evaluate((p) => (window as PageWindow).photowords!.addFolder(p), photos);
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0].close());
      await waitFor('the window hides', async () => JSON.stringify(await windows()) === JSON.stringify([{ visible: false, destroyed: false }]));

      // Pause and Resume from the tray; the hidden page hears of it like the tray does.
      await click('pause');
      await waitFor('paused', async () => (await statusLabel()).startsWith('Paused'));
      assert.equal(await win.evaluate(async () => (await (window as PageWindow).photowords!.status()).state), 'paused');
      assert.equal((await trayItems()).find((i) => i.id === 'resume')?.label, 'Resume Indexing');
      await click('resume');
      await waitFor('indexed with the window closed', async () => (await statusLabel()) === 'Up to date · 5 photos', INDEX_TIMEOUT_MS);
      assert.deepEqual(await windows(), [{ visible: false, destroyed: false }], 'still hidden');

      // "Keep indexing when the window is closed" is saved in userData.
      const settingsFile = path.join(userData, 'app-settings.json');
      await click('keep-running');
      assert.equal(JSON.parse(fs.readFileSync(settingsFile, 'utf8')).keepRunningInBackground, false);
      await click('keep-running');
      assert.equal(JSON.parse(fs.readFileSync(settingsFile, 'utf8')).keepRunningInBackground, true);

      // "Start at login": an XDG autostart entry on Linux.
      if (process.platform === 'linux') {
        const entry = path.join(config, 'autostart', 'photowords.desktop');
        await click('start-at-login');
        assert.match(fs.readFileSync(entry, 'utf8'), /^Exec=.* --hidden$/m);
        assert.equal((await trayItems()).find((i) => i.id === 'start-at-login')?.checked, true);
        await click('start-at-login');
        assert.equal(fs.existsSync(entry), false);
      }

      // A second launch with the same profile ends at once and shows this one's window.
      const second = spawn(electron.path, args, { cwd: ROOT, env, stdio: 'ignore' });
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          second.kill();
          reject(new Error('the second instance did not end in 30 s'));
        }, 30_000);
        second.once('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      assert.equal(code, 0);
      await waitFor('the first window is shown again', async () => (await windows())[0]?.visible === true, 10_000);

      // Quit (app.quit, as the tray's Quit does): the indexer closes the library, then the app ends.
      quit = true;
      await app.close();
      await exited;
      assert.match(mainLog, /indexing stopped: the library is closed/);
      const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
      const db = new Database(dbPath, { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
    } finally {
      if (!quit) await app.close();
    }
  },
);
