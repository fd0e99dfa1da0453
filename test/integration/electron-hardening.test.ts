// Issue 18's Electron hardening, checked where Electron's binary cannot run:
// - the packaged app's config as electron-builder itself reads and validates it (its fuses, what
//   stays in the integrity-checked app.asar, where the model and native modules go);
// - the window's Content-Security-Policy (no 'unsafe-inline') and the development switches, which
//   a packaged build refuses;
// - the guard's decisions (src/main/policy.ts), and the guard itself (src/main/guard.ts) wired to
//   every web contents, on a stand-in for Electron's app, session and web contents that records
//   what the guard does with them (test/e2e/csp.test.ts runs the UI under the CSP in Chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire, register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ALLOWED_PERMISSIONS, contentSecurityPolicy, guardsNavigation, navigationAllowed, permissionAllowed, remoteRequestAllowed, shellMode, windowOpenAction } from '../../src/main/policy.js';
import { packagedSqliteBinding } from '../../src/main/sqlite-binding.js';
import { APP_ORIGIN } from '../../src/shared/ipc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

// ---- the packaged app's build config ---------------------------------------------------------------

async function builderConfig(): Promise<Record<string, any>> {
  // electron-builder's own loader and schema check, as `npm run dist` runs them.
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js');
  const { DebugLogger } = require('builder-util');
  const config = await getConfig(ROOT, null, null);
  await validateConfiguration(config, new DebugLogger(false));
  return config;
}

test('electron-builder config: the fuses are set as issue 18 asks', async () => {
  const config = await builderConfig();
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  });
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.build, undefined, 'no "build" key in package.json, which electron-builder would read instead of electron-builder.ts');
  assert.match(pkg.scripts.dist, /build:app.*electron-builder/, 'npm run dist builds out/ and then packages it');
  assert.equal(pkg.main, 'out/main/index.js');
});

test('electron-builder config: one app.asar holding all JavaScript; only native code unpacked; model, tray and the Electron SQLite build beside it', async () => {
  const config = await builderConfig();
  assert.deepEqual(config.asar, { smartUnpack: false }, 'asar on, and nothing unpacked but what asarUnpack names');
  assert.equal(config.npmRebuild, false, 'node_modules keeps the Node build of better-sqlite3 that the CLI and tests use');
  const files: string[] = config.files.flatMap((f: string | { filter: string[] }) => (typeof f === 'string' ? [f] : f.filter)); // normalised to file sets
  for (const f of ['out/main/**', 'out/preload/**', 'out/renderer/**', 'package.json']) assert.ok(files.includes(f), `files has ${f}`);
  // No unpack pattern can match JavaScript: what is unpacked is not read through the integrity check.
  const { minimatch } = require('minimatch');
  const js = [
    'out/main/indexer-process.js',
    'out/main/tokenizer-thread.js',
    'out/main/heic-thread.js',
    'out/main/look-thread.js',
    'out/main/impact-thread.js',
    'out/main/chunks/library-x.js',
    'node_modules/better-sqlite3/lib/database.js',
    'node_modules/@img/colour/index.cjs',
    'node_modules/exiftool-vendored.pl/index.js',
    'node_modules/onnxruntime-node/dist/index.js',
  ];
  for (const pattern of config.asarUnpack as string[]) {
    for (const f of js) assert.ok(!minimatch(f, pattern, { dot: true }), `${pattern} would unpack ${f}`);
  }
  const native = [
    'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.18.7',
    'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
    'node_modules/exiftool-vendored.pl/bin/exiftool',
  ];
  for (const f of native)
    assert.ok(
      (config.asarUnpack as string[]).some((p) => minimatch(f, p, { dot: true })),
      `${f} is unpacked`,
    );
  // Where main looks when packaged (src/main/engine-bridge.ts, sqlite-binding.ts).
  const to = Object.fromEntries((config.extraResources as { from: string; to: string }[]).map((r) => [r.to, r.from]));
  assert.equal(to.models, 'resources/models');
  assert.equal(to.tray, 'resources/tray');
  assert.equal(to.sqlite, 'node_modules/.cache/photowords');
  const binding = packagedSqliteBinding('/opt/Photowords/resources', '41.7.1');
  assert.equal(path.dirname(binding), '/opt/Photowords/resources/sqlite');
  assert.match(path.basename(binding), /^better_sqlite3-[\d.]+-electron-41\.7\.1\.node$/);
});

test('electron-builder config: packaging refuses, with what is missing, before anything is packed', async () => {
  const config = await builderConfig();
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-pack-'));
  try {
    const context = { packager: { projectDir: empty }, electronPlatformName: process.platform, arch: 1 };
    await assert.rejects(
      () => config.beforePack(context),
      (e: Error) => {
        assert.match(e.message, /out\/main\/indexer-process\.js/);
        assert.match(e.message, /inception_v3-mixed7\.onnx/);
        assert.match(e.message, /better_sqlite3-<version>-electron-<version>\.node/);
        return true;
      },
    );
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
  // The SQLite build it asks for is the file main will hand the utility process.
  const { missingForPackaging } = await import('../../electron-builder.js');
  const electronVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/electron/package.json'), 'utf8')).version;
  const want = `node_modules/.cache/photowords/${path.basename(packagedSqliteBinding('/R', electronVersion))}`;
  const sqliteMissing = missingForPackaging(ROOT).filter((f) => f.includes('better_sqlite3'));
  assert.ok(fs.existsSync(path.join(ROOT, want)) ? sqliteMissing.length === 0 : sqliteMissing[0] === want, `${sqliteMissing} vs ${want}`);
});

// ---- the CSP and the development switches ----------------------------------------------------------

test("the window's CSP has no 'unsafe-inline' or 'unsafe-eval'; only electron-vite dev's page may have inline styles", () => {
  const csp = contentSecurityPolicy();
  assert.doesNotMatch(csp, /unsafe-/);
  const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
  assert.equal(directives['default-src'], "'none'");
  assert.equal(directives['script-src'], "'self'");
  assert.equal(directives['style-src'], "'self'");
  assert.equal(directives['object-src'], "'none'");
  assert.equal(directives['frame-ancestors'], "'none'");
  assert.equal(directives['base-uri'], "'none'");
  // The page's own meta policy (both are enforced) has none either.
  const html = fs.readFileSync(path.join(ROOT, 'src/renderer/index.html'), 'utf8');
  assert.doesNotMatch(/http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)?.[1] ?? 'missing unsafe-', /unsafe-|missing/);
  const dev = contentSecurityPolicy('http://localhost:5173/');
  assert.match(dev, /style-src 'self' 'unsafe-inline'/);
  assert.match(dev, /connect-src 'self' photowords: http:\/\/localhost:5173 ws:\/\/localhost:5173/);
  assert.doesNotMatch(dev, /script-src[^;]*unsafe/);
});

test('ELECTRON_RENDERER_URL and PHOTOWORDS_DEVTOOLS work unpackaged only; a packaged build ignores them and says which', () => {
  const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173/', PHOTOWORDS_DEVTOOLS: '1', PHOTOWORDS_TEST_HOOKS: '1', PHOTOWORDS_SQLITE_BINDING: '/tmp/x.node', PHOTOWORDS_MODELS_DIR: '/tmp/m' };
  const dev = shellMode(env, false);
  assert.equal(dev.devUrl, 'http://localhost:5173/');
  assert.equal(dev.devTools, true);
  assert.equal(dev.pageOrigin, 'http://localhost:5173');
  assert.deepEqual(dev.ignored, []);
  assert.deepEqual(dev.strippedFromUtility, []);

  const packaged = shellMode(env, true);
  assert.equal(packaged.devUrl, undefined);
  assert.equal(packaged.devTools, false);
  assert.equal(packaged.pageOrigin, APP_ORIGIN);
  assert.deepEqual(packaged.ignored, ['ELECTRON_RENDERER_URL', 'PHOTOWORDS_DEVTOOLS', 'PHOTOWORDS_TEST_HOOKS']);
  assert.deepEqual(packaged.strippedFromUtility, ['PHOTOWORDS_SQLITE_BINDING', 'PHOTOWORDS_MODELS_DIR']);

  assert.deepEqual(shellMode({}, true), { devUrl: undefined, devTools: false, pageOrigin: APP_ORIGIN, ignored: [], strippedFromUtility: [] });
  assert.equal(shellMode({ PHOTOWORDS_DEVTOOLS: '1' }, false).devTools, true);
  // Even unpackaged, the page with the preload's API comes only from a server on this machine.
  const remote = shellMode({ ELECTRON_RENDERER_URL: 'https://evil.example/' }, false);
  assert.equal(remote.devUrl, undefined);
  assert.equal(remote.pageOrigin, APP_ORIGIN);
  assert.deepEqual(remote.ignored, ['ELECTRON_RENDERER_URL']);
});

// ---- the guard's decisions ---------------------------------------------------------------------------

test('navigation: only within the app origin', () => {
  for (const url of ['photowords://app/index.html', 'photowords://app/duplicates', 'photowords://app/?q=1#x']) assert.ok(navigationAllowed(url, APP_ORIGIN), url);
  for (const url of [
    'https://example.com/',
    'http://127.0.0.1:8618/',
    'file:///etc/passwd',
    'photowords://file/%2Fetc%2Fpasswd',
    'photowords://thumb/x',
    'photowords://app.evil.example/',
    'javascript:alert(1)',
    'data:text/html,<script>1</script>',
    'about:blank',
    'not a url',
  ]) {
    assert.ok(!navigationAllowed(url, APP_ORIGIN), url);
  }
  assert.ok(navigationAllowed('http://localhost:5173/x', 'http://localhost:5173'));
  assert.ok(!navigationAllowed('http://localhost:5174/x', 'http://localhost:5173'));
});

test('window.open, webviews, permissions and remote requests: refused', () => {
  for (const url of ['https://example.com/', 'photowords://app/index.html', 'about:blank', '']) assert.deepEqual(windowOpenAction(url), { action: 'deny' });
  assert.equal(ALLOWED_PERMISSIONS.size, 0);
  for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'fullscreen', 'openExternal', 'hid', 'serial', 'usb', 'fileSystem', 'pointerLock']) {
    assert.equal(permissionAllowed(p, 'photowords://app/index.html', APP_ORIGIN), false, p);
  }
  assert.equal(remoteRequestAllowed('https://example.com/', undefined), false);
  assert.equal(remoteRequestAllowed('http://localhost:5173/@vite/client', undefined), false);
  assert.equal(remoteRequestAllowed('http://localhost:5173/@vite/client', 'http://localhost:5173/'), true);
  assert.equal(remoteRequestAllowed('ws://localhost:5173/', 'http://localhost:5173/'), true);
  assert.equal(remoteRequestAllowed('https://example.com/', 'http://localhost:5173/'), false);
  for (const t of ['window', 'browserView', 'webview', 'remote', 'backgroundPage', 'offscreen']) assert.ok(guardsNavigation(t), t);
  assert.ok(!guardsNavigation('devtools'));
});

// ---- the guard on every web contents ----------------------------------------------------------------

/** What the guard did with the stand-in's sessions and web contents. */
class FakeSession {
  requestHandler?: (wc: unknown, permission: string, callback: (ok: boolean) => void, details: { requestingUrl?: string }) => void;
  checkHandler?: (wc: unknown, permission: string, origin: string) => boolean;
  beforeRequest?: (details: { url: string }, callback: (r: { cancel?: boolean }) => void) => void;
  headersReceived?: (details: { resourceType: string; responseHeaders?: Record<string, string[]> }, callback: (r: { responseHeaders?: Record<string, string[]> }) => void) => void;
  setPermissionRequestHandler(h: FakeSession['requestHandler']) {
    this.requestHandler = h;
  }
  setPermissionCheckHandler(h: FakeSession['checkHandler']) {
    this.checkHandler = h;
  }
  webRequest = {
    onBeforeRequest: (_filter: unknown, h: FakeSession['beforeRequest']) => (this.beforeRequest = h),
    onHeadersReceived: (h: FakeSession['headersReceived']) => (this.headersReceived = h),
  };
}

class FakeWebContents extends EventEmitter {
  openHandler?: (d: { url: string }) => { action: string };
  constructor(
    readonly type: string,
    readonly session: FakeSession,
  ) {
    super();
  }
  getType() {
    return this.type;
  }
  getURL() {
    return 'photowords://app/index.html';
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.openHandler = h;
  }
  /** Emits a cancellable Electron event; true when the guard prevented it. */
  fire(name: string, extra: Record<string, unknown> = {}): boolean {
    let prevented = false;
    this.emit(name, { ...extra, preventDefault: () => (prevented = true) });
    return prevented;
  }
}

test('the guard covers every web contents as it is created, and every session they use', async () => {
  const defaultSession = new FakeSession();
  const fake = { app: new EventEmitter(), session: { defaultSession } };
  (globalThis as Record<string, unknown>).fakeElectron = fake;
  const stand = 'data:text/javascript,' + encodeURIComponent('const e = globalThis.fakeElectron; export const app = e.app; export const session = e.session; export default e;');
  register('data:text/javascript,' + encodeURIComponent(`export async function resolve(s, c, next) { return s === 'electron' ? { url: ${JSON.stringify(stand)}, shortCircuit: true } : next(s, c); }`));
  const { installGuard } = await import('../../src/main/guard.js');
  const logged: string[] = [];
  installGuard(shellMode({}, true), (m) => logged.push(m));

  // The default session is guarded before any page exists.
  assert.ok(defaultSession.requestHandler && defaultSession.checkHandler && defaultSession.beforeRequest && defaultSession.headersReceived);
  const answers: boolean[] = [];
  defaultSession.requestHandler!(null, 'media', (ok) => answers.push(ok), { requestingUrl: 'photowords://app/index.html' });
  assert.deepEqual(answers, [false]);
  assert.equal(defaultSession.checkHandler!(null, 'clipboard-read', 'photowords://app'), false);
  const cancelled: (boolean | undefined)[] = [];
  defaultSession.beforeRequest!({ url: 'https://example.com/x.js' }, (r) => cancelled.push(r.cancel));
  assert.deepEqual(cancelled, [true]);
  let headers: Record<string, string[]> | undefined;
  defaultSession.headersReceived!(
    { resourceType: 'mainFrame', responseHeaders: { 'content-security-policy': ["default-src *; style-src 'unsafe-inline'"], 'X-A': ['1'] } },
    (r) => (headers = r.responseHeaders),
  );
  assert.deepEqual(headers, { 'X-A': ['1'], 'Content-Security-Policy': [contentSecurityPolicy()] }, "a page's own, looser policy is replaced by the app's");

  // Each kind of web contents: the window, a webview, anything else; devtools only without the navigation guard.
  const own = new FakeSession();
  for (const type of ['window', 'webview', 'browserView', 'devtools']) {
    const wc = new FakeWebContents(type, type === 'webview' ? own : defaultSession);
    fake.app.emit('web-contents-created', {}, wc);
    assert.deepEqual(wc.openHandler?.({ url: 'https://example.com/' }), { action: 'deny' }, `${type}: window.open denied`);
    assert.equal(wc.fire('will-attach-webview'), true, `${type}: webview attachment refused`);
    const guarded = type !== 'devtools';
    assert.equal(wc.fire('will-navigate', { url: 'https://example.com/' }), guarded, `${type}: navigation away`);
    assert.equal(wc.fire('will-redirect', { url: 'file:///etc/passwd' }), guarded, `${type}: redirect away`);
    assert.equal(wc.fire('will-frame-navigate', { url: 'https://example.com/', isMainFrame: false }), guarded, `${type}: a frame navigating away`);
    assert.equal(wc.fire('will-navigate', { url: 'photowords://app/duplicates' }), false, `${type}: within the app`);
  }
  assert.ok(own.requestHandler && own.checkHandler && own.beforeRequest, "a web contents' own session is guarded too");
  assert.ok(logged.some((m) => /refused navigation to https:\/\/example\.com/.test(m)));
});
