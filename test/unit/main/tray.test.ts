// The Electron shell's background parts that need no Electron: the tray menu built from an
// IndexStatus (src/main/tray-model.ts), the shell's settings file (src/main/app-settings.ts) and
// Linux's "Start at login" entry (src/main/autostart.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IndexStatus } from '../../../src/shared/api.js';
import { APP_SETTINGS_FILE, DEFAULT_APP_SETTINGS, loadAppSettings, saveAppSettings } from '../../../src/main/app-settings.js';
import { autostartDir, desktopEntry, execArg, HIDDEN_ARG, isAutostartEnabled, launchCommand, setAutostart, DESKTOP_FILE } from '../../../src/main/autostart.js';
import { formatRate, shorten, statusLine, tooltip, trayMenu, type TrayInput, type TrayItem } from '../../../src/main/tray-model.js';

function status(over: Partial<IndexStatus>): IndexStatus {
  return {
    state: 'idle',
    total: 0,
    done: 0,
    indexed: 0,
    failed: 0,
    skipped: 0,
    imagesPerSecond: 0,
    etaSeconds: 0,
    libraryPhotos: 0,
    failures: [],
    failuresTotal: 0,
    provider: 'cpu',
    ...over,
  };
}

function input(over: Partial<TrayInput>): TrayInput {
  return { status: status({}), quitting: false, keepRunning: true, startAtLogin: false, ...over };
}

const labels = (items: TrayItem[]) => items.map((i) => (i.kind === 'separator' ? '-' : i.label));
type Clickable = Extract<TrayItem, { kind: 'action' | 'toggle' }>;
const find = (items: TrayItem[], id: string) => items.find((i): i is Clickable => (i.kind === 'action' || i.kind === 'toggle') && i.id === id);

test('the status line says idle, scanning, indexing n of m with the rate, paused, error, starting and quitting', () => {
  assert.equal(statusLine(input({ status: null })), 'Starting…');
  assert.equal(statusLine(input({ status: status({ state: 'idle', libraryPhotos: 1360 }) })), 'Up to date · 1,360 photos');
  assert.equal(statusLine(input({ status: status({ state: 'idle', libraryPhotos: 1 }) })), 'Up to date · 1 photo');
  assert.equal(statusLine(input({ status: status({ state: 'scanning' }) })), 'Looking for photos…');
  assert.equal(statusLine(input({ status: status({ state: 'indexing', done: 120, total: 1360, imagesPerSecond: 35.4 }) })), 'Indexing 120 of 1,360 · 35 photos/s');
  assert.equal(statusLine(input({ status: status({ state: 'indexing', done: 3, total: 12, imagesPerSecond: 2.44 }) })), 'Indexing 3 of 12 · 2.4 photos/s');
  assert.equal(statusLine(input({ status: status({ state: 'indexing', done: 0, total: 50_000, imagesPerSecond: 0 }) })), 'Indexing 0 of 50,000');
  assert.equal(statusLine(input({ status: status({ state: 'paused', done: 120, total: 1360 }) })), 'Paused · 120 of 1,360');
  assert.equal(statusLine(input({ status: status({ state: 'paused', done: 0, total: 0 }) })), 'Paused');
  assert.equal(statusLine(input({ status: status({ state: 'error', message: 'Indexing stopped: disk full' }) })), 'Error: disk full');
  assert.equal(statusLine(input({ status: status({ state: 'error' }) })), 'Error: indexing stopped');
  assert.equal(statusLine(input({ failure: 'The indexing process stopped unexpectedly (exit code 9).' })), 'Error: The indexing process stopped unexpectedly (exit code 9).');
  assert.equal(statusLine(input({ quitting: true, status: status({ state: 'indexing', done: 1, total: 9 }) })), 'Quitting: finishing the photos in flight…');
  assert.equal(formatRate(10), '10 photos/s');
  assert.equal(formatRate(9.96), '10.0 photos/s');
});

test('a long message is one short line in the menu', () => {
  const long = `${'x'.repeat(200)}\nsecond line`;
  const line = shorten(long);
  assert.equal(line.length, 72);
  assert.ok(line.endsWith('…'));
  assert.equal(shorten('one\ntwo'), 'one');
  assert.ok(statusLine(input({ status: status({ state: 'error', message: long }) })).length <= 72);
});

test('the menu: status, Show, Pause while indexing, the toggles, Quit', () => {
  const items = trayMenu(input({ status: status({ state: 'indexing', done: 120, total: 1360, imagesPerSecond: 35 }) }));
  assert.deepEqual(labels(items), [
    'Indexing 120 of 1,360 · 35 photos/s',
    '-',
    'Show Photowords',
    'Pause Indexing',
    '-',
    'Keep Indexing When the Window Is Closed',
    'Start at Login',
    '-',
    'Quit Photowords',
  ]);
  assert.equal(items[0].kind, 'status');
  assert.deepEqual(find(items, 'pause'), { kind: 'action', id: 'pause', label: 'Pause Indexing', enabled: true });
  assert.deepEqual(find(items, 'keep-running'), { kind: 'toggle', id: 'keep-running', label: 'Keep Indexing When the Window Is Closed', checked: true, enabled: true });
  assert.deepEqual(find(items, 'start-at-login'), { kind: 'toggle', id: 'start-at-login', label: 'Start at Login', checked: false, enabled: true });
  assert.equal(find(items, 'quit')?.enabled, true);
});

test('Pause and Resume follow the state; nothing to click while starting, broken or quitting but Show and Quit', () => {
  const paused = trayMenu(input({ status: status({ state: 'paused', done: 5, total: 10 }) }));
  assert.deepEqual(find(paused, 'resume'), { kind: 'action', id: 'resume', label: 'Resume Indexing', enabled: true });
  assert.equal(find(paused, 'pause'), undefined);
  assert.equal(find(trayMenu(input({ status: status({ state: 'idle' }) })), 'pause')?.label, 'Pause Indexing');
  assert.equal(find(trayMenu(input({ status: status({ state: 'error', message: 'x' }) })), 'resume')?.label, 'Try Indexing Again');

  for (const over of [{ status: null }, { failure: 'it crashed twice' }]) {
    const items = trayMenu(input(over));
    const p = find(items, 'pause');
    assert.equal(p?.kind === 'action' && p.enabled, false, JSON.stringify(over));
    assert.equal((find(items, 'show') as { enabled: boolean }).enabled, true);
    assert.equal((find(items, 'quit') as { enabled: boolean }).enabled, true);
  }
  const quitting = trayMenu(input({ quitting: true }));
  assert.ok(
    quitting.every((i) => i.kind === 'status' || i.kind === 'separator' || !i.enabled),
    'nothing is clickable while quitting',
  );
});

test('Start at Login is left out where the platform has no way to; both toggles show their state', () => {
  assert.equal(find(trayMenu(input({ startAtLogin: null })), 'start-at-login'), undefined);
  const on = trayMenu(input({ startAtLogin: true, keepRunning: false }));
  assert.equal((find(on, 'start-at-login') as { checked: boolean }).checked, true);
  assert.equal((find(on, 'keep-running') as { checked: boolean }).checked, false);
});

test('the tooltip: status, library size while busy, failures', () => {
  assert.equal(tooltip(input({ status: status({ state: 'idle', libraryPhotos: 10 }) })), 'Photowords\nUp to date · 10 photos');
  assert.equal(
    tooltip(input({ status: status({ state: 'indexing', done: 1, total: 4, libraryPhotos: 2000, failuresTotal: 3 }) })),
    'Photowords\nIndexing 1 of 4\n2,000 photos in the library\n3 files could not be read',
  );
});

test('app settings: defaults (background on), saved and read back, a damaged or odd file falls back to the defaults', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'photowords-appsettings-'));
  try {
    const file = path.join(dir, 'user-data', APP_SETTINGS_FILE);
    assert.deepEqual(loadAppSettings(file), { keepRunningInBackground: true, backgroundNoteShown: false });
    assert.equal(DEFAULT_APP_SETTINGS.keepRunningInBackground, true);
    saveAppSettings(file, { keepRunningInBackground: false, backgroundNoteShown: true });
    assert.deepEqual(loadAppSettings(file), { keepRunningInBackground: false, backgroundNoteShown: true });
    assert.deepEqual(fs.readdirSync(path.dirname(file)), [APP_SETTINGS_FILE], 'no temporary file left');
    fs.writeFileSync(file, '{"keepRunningInBackground": "no", "backgroundNoteShown": true, "other": 1}');
    assert.deepEqual(loadAppSettings(file), { keepRunningInBackground: true, backgroundNoteShown: true });
    for (const bad of ['{not json', '[]', 'null', '']) {
      fs.writeFileSync(file, bad);
      assert.deepEqual(loadAppSettings(file), DEFAULT_APP_SETTINGS, bad);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Linux start at login: the XDG autostart entry, its Exec quoting, on and off', () => {
  assert.equal(autostartDir({ XDG_CONFIG_HOME: '/x/config' }, '/home/a'), '/x/config/autostart');
  assert.equal(autostartDir({}, '/home/a'), '/home/a/.config/autostart');
  assert.equal(autostartDir({ XDG_CONFIG_HOME: 'relative' }, '/home/a'), '/home/a/.config/autostart');

  assert.deepEqual(launchCommand({ execPath: '/opt/Photowords/photowords', appPath: '/opt/x', packaged: true }), ['/opt/Photowords/photowords', HIDDEN_ARG]);
  assert.deepEqual(launchCommand({ execPath: '/n/electron', appPath: '/src/photowords', packaged: false }), ['/n/electron', '/src/photowords', HIDDEN_ARG]);
  assert.deepEqual(launchCommand({ execPath: '/tmp/.mount_x/photowords', appPath: '/x', packaged: true, appImage: '/home/a/Photowords.AppImage' }), ['/home/a/Photowords.AppImage', HIDDEN_ARG]);

  assert.equal(execArg('/usr/bin/photowords'), '/usr/bin/photowords');
  assert.equal(execArg('/home/a/My Apps/photowords'), '"/home/a/My Apps/photowords"');
  assert.equal(execArg('/a/100%/b'), '/a/100%%/b');
  // Inside quotes: \" for a quote, \$ for a dollar; then every backslash doubled by the string rule.
  assert.equal(execArg('/a "b" $c'), '"/a \\\\"b\\\\" \\\\$c"');
  assert.equal(execArg('/a\\b'), '"/a\\\\\\\\b"'); // one literal backslash is four in the file
  assert.throws(() => desktopEntry(['/a\nb']));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'photowords-autostart-'));
  try {
    const auto = path.join(dir, 'autostart');
    assert.equal(isAutostartEnabled(auto), false);
    setAutostart(auto, true, ['/opt/Photo words/photowords', HIDDEN_ARG]);
    const text = fs.readFileSync(path.join(auto, DESKTOP_FILE), 'utf8');
    assert.match(text, /^\[Desktop Entry\]\n/);
    assert.match(text, /^Type=Application$/m);
    assert.match(text, /^Name=Photowords$/m);
    assert.match(text, /^Exec="\/opt\/Photo words\/photowords" --hidden$/m);
    assert.equal(isAutostartEnabled(auto), true);
    assert.deepEqual(fs.readdirSync(auto), [DESKTOP_FILE], 'no temporary file left');
    // Switched off by the desktop's own settings: not enabled.
    fs.writeFileSync(path.join(auto, DESKTOP_FILE), text.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    assert.equal(isAutostartEnabled(auto), false);
    fs.writeFileSync(path.join(auto, DESKTOP_FILE), `${text}Hidden=true\n`);
    assert.equal(isAutostartEnabled(auto), false);
    setAutostart(auto, false, []);
    assert.equal(fs.existsSync(path.join(auto, DESKTOP_FILE)), false);
    setAutostart(auto, false, []); // off twice is fine
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
