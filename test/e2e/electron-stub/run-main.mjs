// Runs the built main process (out/main/index.js) on the stand-in 'electron' module and drives it
// the way a person would: the window opens, is closed (hidden: indexing goes on), the first-close
// note, a second launch shows it, Pause/Resume and the toggles from the tray, then background mode
// off and the window closed for good, which quits: the utility process must close the library
// before the app ends. STUB_SCENARIO=quit-while-indexing instead adds the folder and chooses Quit
// in the tray while photos are being indexed. STUB_SCENARIO=duplicates runs the Duplicates view's
// calls through main (search, reveal and trash through the stand-in shell, the report through the
// save dialog: STUB_SAVE_PATH), STUB_DUP_COPY naming the copy to trash. Prints one line, RESULT {...}, for
// test/e2e/electron.test.ts to check.
//   STUB_USER_DATA=dir PHOTOWORDS_DB=file XDG_CONFIG_HOME=dir [STUB_FOLDER=dir] [STUB_SCENARIO=...] node run-main.mjs
import { register } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

register(new URL('./hooks.mjs', import.meta.url));
const { default: electron } = await import('electron');
const stub = globalThis.electronStub;
const { app } = electron;
const result = { steps: [] };
const step = (name, data = {}) => result.steps.push({ name, ...data });
const finished = new Promise((resolve) => (stub.quit = resolve));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not in ${timeoutMs} ms (tray: ${JSON.stringify(trayLabels())})`);
    await sleep(50);
  }
}
const tray = () => stub.trays[0];
const trayItems = () => tray()?.contextMenu?.items ?? [];
const trayLabels = () => trayItems().map((i) => (i.type === 'separator' ? '-' : i.label));
const item = (label) => trayItems().find((i) => i.label === label);
const win = () => stub.windows[0];
const settings = () => JSON.parse(fs.readFileSync(path.join(process.env.STUB_USER_DATA, 'app-settings.json'), 'utf8'));

async function addFolder() {
  const reply = await electron.ipcMain.handlers['photowords:call']({ senderFrame: { parent: null, url: 'photowords://app/index.html' } }, 'addFolder', [process.env.STUB_FOLDER]);
  step('folder added', { error: reply.error?.message ?? null });
}

async function quitWhileIndexing() {
  await until('the tray shows the idle library', () => trayLabels()[0] === 'Up to date · 0 photos');
  await addFolder();
  const label = await until('indexing', () => trayLabels()[0].startsWith('Indexing') && trayLabels()[0]);
  const started = Date.now();
  item('Quit Photowords').click({ checked: false });
  step('quit chosen', {
    while: label,
    now: trayLabels()[0],
    enabled: trayItems()
      .filter((i) => i.enabled !== false && i.type !== 'separator')
      .map((i) => i.label),
  });
  await Promise.race([
    finished,
    sleep(60_000).then(() => {
      throw new Error('the app did not quit in 60 s');
    }),
  ]);
  await until('the utility process exited', () => stub.utilityExits.length > 0, 5_000);
  step('quit', { ms: Date.now() - started, quitCalls: stub.quitCalls, utilityExits: stub.utilityExits, trayDestroyed: tray().isDestroyed() });
}

const page = { senderFrame: { parent: null, url: 'photowords://app/index.html' } };
const call = (method, args = []) => electron.ipcMain.handlers['photowords:call'](page, method, args);

async function duplicates() {
  await until('the tray shows the idle library', () => trayLabels()[0] === 'Up to date · 0 photos');
  await addFolder();
  await until('indexed', () => /^Up to date · [1-9]\d* photos?$/.test(trayLabels()[0]));
  const copy = process.env.STUB_DUP_COPY;
  const found = await call('duplicates');
  step('duplicates', { error: found.error ?? null, groups: found.result?.groups.map((g) => ({ tier: g.tier, paths: g.members.map((m) => m.path).sort() })) });
  const outside = await call('revealPhoto', ['/etc/passwd']);
  step('reveal outside', { error: outside.error ?? null, revealed: [...stub.revealed] });
  const revealed = await call('revealPhoto', [copy]);
  step('reveal', { error: revealed.error ?? null, revealed: [...stub.revealed] });
  const refused = await call('trashPhoto', [path.join(path.dirname(process.env.STUB_FOLDER), 'outside.jpg')]);
  step('trash outside', { error: refused.error ?? null, trashed: [...stub.trashed] });
  const foreign = await electron.ipcMain.handlers['photowords:call']({ senderFrame: { parent: null, url: 'https://example.com/' } }, 'trashPhoto', [copy]);
  step('trash from another page', { error: foreign.error ?? null, trashed: [...stub.trashed] });
  const trashed = await call('trashPhoto', [copy]);
  const listed = await call('listPhotos', [{ offset: 0, limit: 100 }]);
  step('trash', {
    error: trashed.error ?? null,
    result: trashed.result ?? null,
    trashed: [...stub.trashed],
    inTrash: fs.readdirSync(path.join(process.env.STUB_USER_DATA, 'Trash')),
    copyExists: fs.existsSync(copy),
    listed: listed.result?.items.map((p) => p.path) ?? null,
  });
  const exported = await electron.ipcMain.handlers['photowords:export-duplicates'](page, 'html', {});
  const file = process.env.STUB_SAVE_PATH;
  step('export', {
    error: exported.error ?? null,
    result: exported.result ?? null,
    dialog: stub.saveDialogs.at(-1)?.defaultPath ?? null,
    written: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null,
  });
  const badFormat = await electron.ipcMain.handlers['photowords:export-duplicates'](page, 'exe', {});
  step('export bad format', { error: badFormat.error ?? null });
  // Issue 19: several at once through main's shell.trashItem, one refused among them; what went is on record.
  const many = (process.env.STUB_TRASH_MANY ?? '').split('\n').filter(Boolean);
  const trashedMany = await call('trashPhotos', [many]);
  const after = await call('listPhotos', [{ offset: 0, limit: 100 }]);
  const onRecord = await call('listTrashed');
  step('trash many', {
    error: trashedMany.error ?? null,
    result: trashedMany.result ?? null,
    trashed: [...stub.trashed],
    listed: after.result?.items.map((p) => p.path) ?? null,
    onRecord: onRecord.result?.items.map((i) => ({ path: i.path, bytes: i.bytes, restorable: i.restorable })) ?? null,
  });
  // Export: the folder dialog, then the photos copied there as they are.
  const keep = after.result?.items.map((p) => p.path) ?? [];
  const exportedPhotos = await electron.ipcMain.handlers['photowords:export-photos'](page, keep);
  const to = process.env.STUB_OPEN_PATH;
  step('export photos', { error: exportedPhotos.error ?? null, result: exportedPhotos.result ?? null, files: to && fs.existsSync(to) ? fs.readdirSync(to).sort() : null, kept: keep });
  const exportOutside = await electron.ipcMain.handlers['photowords:export-photos'](page, ['/etc/passwd']);
  step('export outside', { error: exportOutside.error ?? null, files: to && fs.existsSync(to) ? fs.readdirSync(to).length : null });
  item('Quit Photowords').click({ checked: false });
  await Promise.race([
    finished,
    sleep(60_000).then(() => {
      throw new Error('the app did not quit in 60 s');
    }),
  ]);
  step('quit', { utilityExits: stub.utilityExits });
}

try {
  await import(pathToFileURL(path.resolve('out/main/index.js')).href);
  await app.whenReady();
  await until('the window is shown', () => win()?.isVisible());
  step('window shown');
  if (process.env.STUB_SCENARIO === 'quit-while-indexing') {
    await quitWhileIndexing();
    throw null; // done: print the result
  }
  if (process.env.STUB_SCENARIO === 'duplicates') {
    await duplicates();
    throw null;
  }
  await until('the tray shows the idle library', () => trayLabels()[0] === 'Up to date · 0 photos');
  step('tray', { labels: trayLabels(), toolTip: tray().toolTip, icon: tray().image.path, iconFound: !tray().image.isEmpty() });

  // Close the window: hidden, not destroyed; the note once; the utility process goes on.
  win().close();
  await until('the first-close note', () => stub.dialogs.length > 0);
  step('closed once', {
    visible: win().isVisible(),
    destroyed: win().isDestroyed(),
    note: stub.dialogs[0].message,
    settings: settings(),
    utilityExits: stub.utilityExits.length,
  });
  win().close(); // the second time: no second note
  await sleep(100);
  step('closed twice', { dialogs: stub.dialogs.length });

  // A second launch: 'second-instance' shows the window.
  app.emit('second-instance', {}, [], process.cwd(), {});
  step('second instance', { visible: win().isVisible() });

  // Add a folder (the page would), then Pause and Resume from the tray.
  if (process.env.STUB_FOLDER) await addFolder();
  await until('Pause in the menu', () => item('Pause Indexing')?.enabled);
  item('Pause Indexing').click({ checked: false });
  await until('paused', () => trayLabels()[0].startsWith('Paused'));
  step('paused', { labels: trayLabels() });
  item('Resume Indexing').click({ checked: false });
  await until('indexed', () => /^Up to date · \d+ photos?$/.test(trayLabels()[0]) && (trayLabels()[0] !== 'Up to date · 0 photos') === Boolean(process.env.STUB_FOLDER));
  step('resumed', { labels: trayLabels() });

  // Start at login (Linux: the XDG entry under XDG_CONFIG_HOME), on and off.
  item('Start at Login').click({ checked: true });
  const entry = path.join(process.env.XDG_CONFIG_HOME, 'autostart', 'photowords.desktop');
  step('start at login on', { checked: item('Start at Login').checked, entry: fs.existsSync(entry) ? fs.readFileSync(entry, 'utf8') : null });
  item('Start at Login').click({ checked: false });
  step('start at login off', { checked: item('Start at Login').checked, entry: fs.existsSync(entry) });

  // Background mode off, and the window closed: it really closes, and the app quits, cleanly.
  item('Keep Indexing When the Window Is Closed').click({ checked: false });
  step('keep running off', { settings: settings(), fileMenu: stub.applicationMenu.items.find((m) => m.label === 'File').submenu.map((i) => i.label ?? i.role ?? i.type) });
  const started = Date.now();
  win().close();
  step('closed for good', { destroyed: win().isDestroyed(), quitting: trayLabels()[0] });
  await Promise.race([
    finished,
    sleep(60_000).then(() => {
      throw new Error('the app did not quit in 60 s');
    }),
  ]);
  await until('the utility process exited', () => stub.utilityExits.length > 0, 5_000);
  step('quit', { ms: Date.now() - started, quitCalls: stub.quitCalls, utilityExits: stub.utilityExits, trayDestroyed: tray().isDestroyed() });
} catch (e) {
  if (e !== null) result.error = e.stack ?? String(e);
}
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);
