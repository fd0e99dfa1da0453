// `photowords serve` with sign-in (issue 18), in-process on 127.0.0.1 with a real SQLite library
// and real photos: first-run setup with and without the printed token, sign-in and sign-out, the
// session cookie's attributes, the failure rate limit, CSRF, a read-only API token, the Host
// check, roots that refuse `/` and /etc even to the owner, and a photo in a hidden folder that
// the library never indexed (404). The attack suite (server-attacks.test.ts) runs the issue's
// attacks against a child process; this file pins each rule on its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Library } from '../../src/core/library/library.js';
import { AuthStore } from '../../src/core/index/store/auth.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import type { ApiTokenInfo, AuthState, IndexStatus, NewApiToken } from '../../src/shared/api.js';

const DATA = path.resolve('../shared/datasets/caltech101');
const PASSWORD = 'a long enough password';
/** What `photowords password` sets it to. */
const PASSWORD2 = 'another password, from the terminal';

let tmp: string;
let libDir: string;
let hidden: string;
let library: Library;
let server: RunningServer;

type Reply<T = unknown> = { status: number; headers: Headers; body: T };

async function req<T = unknown>(method: string, route: string, opts: { body?: unknown; cookie?: string; csrf?: string | null; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers['x-photowords-csrf'] = opts.csrf;
  const res = await fetch(`${server.url}${route.replace(/^\//, '')}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (a photo, the page)
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

/** The session cookie's `name=value` from a reply that set it. */
function cookieOf(r: Reply): string {
  const set = r.headers.get('set-cookie') ?? '';
  const m = /photowords_session=([^;]*)/.exec(set);
  assert.ok(m && m[1], `a session cookie was set: ${set}`);
  return `photowords_session=${m[1]}`;
}

/** A raw request with any Host header (fetch will not send a foreign one). */
function withHost(host: string, route: string): Promise<number> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    http
      .get({ host: u.hostname, port: u.port, path: route, headers: { Host: host } }, (r) => {
        r.resume();
        resolve(r.statusCode!);
      })
      .on('error', reject);
  });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-server-auth-'));
  libDir = path.join(tmp, 'photos');
  fs.mkdirSync(libDir);
  const src = path.join(DATA, 'airplanes');
  const files = fs.readdirSync(src).sort();
  for (const f of files.slice(0, 3)) fs.copyFileSync(path.join(src, f), path.join(libDir, f));
  // A hidden folder: the scanner never enters it, so none of its photos is the library's.
  fs.mkdirSync(path.join(libDir, '.private'));
  hidden = path.join(libDir, '.private', 'diary.jpg');
  fs.copyFileSync(path.join(src, files[10]), hidden);
  const staticDir = path.join(tmp, 'ui');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Photowords</title>');
  library = await Library.open(path.join(tmp, 'index', 'index.db'), { provider: 'cpu' });
  await library.addFolder(libDir);
  for (let i = 0; i < 600; i++) {
    const s: IndexStatus = await library.status();
    if (s.state === 'idle' && s.libraryPhotos === 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  server = await startServer({ library, staticDir, port: 0, auth: true, roots: [tmp], publicNames: ['photos.home.lan'] });
});

after(async () => {
  await server?.close();
  await library?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a server with sign-in prints a setup link; nothing but the page and the sign-in routes answer before sign-in', async () => {
  assert.equal(server.authRequired, true);
  assert.match(server.setupUrl ?? '', /\/\?setup=[A-Za-z0-9_-]{43}$/);
  const page = await req('GET', '/');
  assert.equal(page.status, 200, 'the page itself loads (it shows the setup form)');
  const state = await req<AuthState>('GET', '/api/auth/state');
  assert.deepEqual(state.body, { required: true, passwordSet: false, signedIn: false, scope: null, csrf: null, setupNeedsToken: false });
  for (const [method, route] of [
    ['POST', '/api/call/listFolders'],
    ['POST', '/api/call/addFolder'],
    ['GET', '/api/events'],
    [
      'GET',
      `/file?path=${encodeURIComponent(
        path.join(
          libDir,
          fs.readdirSync(libDir).find((f) => f.endsWith('.jpg'))!,
        ),
      )}`,
    ],
    ['GET', '/api/duplicates-report?format=csv'],
    ['GET', '/api/auth/tokens'],
    // The router decodes these to /api/... and /thumb: who may pass is decided by the route matched.
    ['POST', '/%61pi/call/listFolders'],
    [
      'GET',
      `/%74humb?path=${encodeURIComponent(
        path.join(
          libDir,
          fs.readdirSync(libDir).find((f) => f.endsWith('.jpg'))!,
        ),
      )}`,
    ],
  ]) {
    const r = await req<{ error: { code: string } }>(method, route, method === 'POST' ? { body: [] } : {});
    assert.equal(r.status, 401, `${method} ${route} needs sign-in`);
    assert.equal(r.body.error.code, 'unauthorized');
  }
});

test('first-run setup: a forwarded (not local) request needs the printed token; the password is checked; then it is set once', async () => {
  const token = new URL(server.setupUrl!).searchParams.get('setup')!;
  // Behind a proxy (X-Forwarded-For, not trusted), the request is not the person at this computer.
  const remote = { 'x-forwarded-for': '192.0.2.7' };
  const st = await req<AuthState>('GET', '/api/auth/state', { headers: remote });
  assert.equal(st.body.setupNeedsToken, true);
  const noToken = await req('POST', '/api/auth/setup', { body: { password: PASSWORD }, headers: remote });
  assert.equal(noToken.status, 403);
  const wrong = await req('POST', '/api/auth/setup', { body: { password: PASSWORD, setupToken: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') }, headers: remote });
  assert.equal(wrong.status, 403);
  const short = await req<{ error: { message: string } }>('POST', '/api/auth/setup', { body: { password: 'short', setupToken: token }, headers: remote });
  assert.equal(short.status, 400);
  assert.match(short.body.error.message, /at least 10 characters/);
  const foreign = await req('POST', '/api/auth/setup', { body: { password: PASSWORD, setupToken: token }, headers: { ...remote, origin: 'http://evil.example' } });
  assert.equal(foreign.status, 403, 'setup from another site is refused');

  const ok = await req<AuthState>('POST', '/api/auth/setup', { body: { password: PASSWORD, setupToken: token }, headers: remote });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.signedIn, true);
  assert.equal(ok.body.scope, 'full');
  assert.equal(ok.body.passwordSet, true);
  assert.match(ok.body.csrf ?? '', /^[A-Za-z0-9_-]{43}$/);
  const again = await req('POST', '/api/auth/setup', { body: { password: 'another long password', setupToken: token } });
  assert.equal(again.status, 409, 'a second setup (even from loopback, with the old token) is refused');
  const stored = AuthStore.open(library.dbPath);
  try {
    const row = (stored as unknown as { db: import('better-sqlite3').Database }).db.prepare('SELECT password FROM auth_owner').pluck().get() as string;
    assert.match(row, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/, 'scrypt N=2^15 r=8 p=1, 16-byte salt; never the password');
    assert.ok(!row.includes(PASSWORD));
  } finally {
    stored.close();
  }
});

test('sign-in sets an HttpOnly, SameSite=Strict session cookie for 30 days; CSRF is required; sign-out ends the session server-side', async () => {
  const wrong = await req<{ error: { code: string } }>('POST', '/api/auth/login', { body: { password: 'not the password' } });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.code, 'unauthorized');

  const login = await req<AuthState>('POST', '/api/auth/login', { body: { password: PASSWORD } });
  assert.equal(login.status, 200);
  const set = login.headers.get('set-cookie') ?? '';
  assert.match(set, /HttpOnly/i);
  assert.match(set, /SameSite=Strict/i);
  assert.match(set, /Path=\//);
  assert.match(set, /Max-Age=2592000/);
  assert.doesNotMatch(set, /Secure/, 'plain http on loopback: not Secure (https would be)');
  const cookie = cookieOf(login);
  const csrf = login.body.csrf!;

  const state = await req<AuthState>('GET', '/api/auth/state', { cookie });
  assert.equal(state.body.signedIn, true);
  assert.equal(state.body.csrf, csrf, 'the session keeps its CSRF token');

  const noCsrf = await req<{ error: { code: string } }>('POST', '/api/call/listFolders', { body: [], cookie });
  assert.equal(noCsrf.status, 403);
  assert.equal(noCsrf.body.error.code, 'forbidden');
  const badCsrf = await req('POST', '/api/call/listFolders', { body: [], cookie, csrf: 'x'.repeat(43) });
  assert.equal(badCsrf.status, 403);
  const listed = await req<{ result: { path: string }[] }>('POST', '/api/call/listFolders', { body: [], cookie, csrf });
  assert.equal(listed.status, 200);
  assert.equal(listed.body.result[0].path, libDir);
  const events = await fetch(`${server.url}api/events`, { headers: { cookie } });
  assert.equal(events.status, 200);
  assert.match(events.headers.get('content-type') ?? '', /text\/event-stream/);
  await events.body?.cancel();

  const noCsrfOut = await req('POST', '/api/auth/logout', { cookie });
  assert.equal(noCsrfOut.status, 403, 'another site cannot sign the owner out either');
  const out = await req<AuthState>('POST', '/api/auth/logout', { cookie, csrf });
  assert.equal(out.status, 200);
  assert.equal(out.body.signedIn, false);
  assert.match(out.headers.get('set-cookie') ?? '', /photowords_session=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/);
  const after = await req('POST', '/api/call/listFolders', { body: [], cookie, csrf });
  assert.equal(after.status, 401, 'the old cookie is worthless once signed out');
});

test('API tokens: full scope may change things without CSRF; read-only is refused any change; a revoked token is 401; tokens cannot mint tokens', async () => {
  const login = await req<AuthState>('POST', '/api/auth/login', { body: { password: PASSWORD } });
  const cookie = cookieOf(login);
  const csrf = login.body.csrf!;
  const noCsrf = await req('POST', '/api/auth/tokens', { body: { name: 'script', scope: 'read' }, cookie });
  assert.equal(noCsrf.status, 403);
  const read = await req<NewApiToken>('POST', '/api/auth/tokens', { body: { name: 'script', scope: 'read' }, cookie, csrf });
  assert.equal(read.status, 200);
  assert.match(read.body.token, /^pwt_[A-Za-z0-9_-]{43}$/);
  const full = (await req<NewApiToken>('POST', '/api/auth/tokens', { body: { name: 'backup', scope: 'full' }, cookie, csrf })).body;
  const list = await req<ApiTokenInfo[]>('GET', '/api/auth/tokens', { cookie });
  assert.deepEqual(
    list.body.map((t) => [t.name, t.scope, 'token' in t]),
    [
      ['script', 'read'],
      ['backup', 'full'],
    ].map(([n, s]) => [n, s, false]),
    'listed without their secrets',
  );

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const r1 = await req<{ result: unknown[] }>('POST', '/api/call/listFolders', { body: [], headers: bearer(read.body.token) });
  assert.equal(r1.status, 200, 'a read-only token reads');
  const photo = path.join(
    libDir,
    fs.readdirSync(libDir).find((f) => f.endsWith('.jpg'))!,
  );
  assert.equal((await req('GET', `/thumb?path=${encodeURIComponent(photo)}&size=160`, { headers: bearer(read.body.token) })).status, 200);
  for (const [method, args] of [
    ['pause', []],
    ['removeFolder', [1]],
    ['trashPhoto', [photo]],
    ['setSettings', [{ similarity: 'bm25' }]],
    ['addFolder', [tmp]],
  ] as const) {
    const r = await req<{ error: { code: string } }>('POST', `/api/call/${method}`, { body: args, headers: bearer(read.body.token) });
    assert.equal(r.status, 403, `a read-only token may not ${method}`);
    assert.equal(r.body.error.code, 'forbidden');
  }
  assert.ok(fs.existsSync(photo), 'nothing was trashed');
  const mint = await req('POST', '/api/auth/tokens', { body: { name: 'more', scope: 'full' }, headers: bearer(full.token) });
  assert.equal(mint.status, 403, 'a token cannot create tokens');
  const status = await req<{ result: IndexStatus }>('POST', '/api/call/status', { body: [], headers: bearer(full.token) });
  assert.equal(status.status, 200, 'a full token needs no CSRF header (it is not sent by browsers on their own)');

  const revoke = await req('POST', '/api/auth/tokens/revoke', { body: { id: read.body.id }, cookie, csrf });
  assert.equal(revoke.status, 200);
  assert.equal((await req('POST', '/api/call/listFolders', { body: [], headers: bearer(read.body.token) })).status, 401);
  assert.equal((await req('POST', '/api/call/listFolders', { body: [], headers: bearer('pwt_' + 'A'.repeat(43)) })).status, 401);
});

test('roots: `/`, /etc and the index folder are refused even to the owner; a folder outside the roots is refused with how to allow it', async () => {
  const login = await req<AuthState>('POST', '/api/auth/login', { body: { password: PASSWORD } });
  const cookie = cookieOf(login);
  const csrf = login.body.csrf!;
  const add = (dir: string) => req<{ error?: { code: string; message: string } }>('POST', '/api/call/addFolder', { body: [dir], cookie, csrf });
  for (const [dir, why] of [
    ['/', /root of a disk/],
    ['/etc', /system folder/],
    ['/usr/share', /system folder/],
    [path.dirname(library.dbPath), /own index/],
    [os.tmpdir() === '/tmp' ? '/var/tmp' : '/etc/ssl', /system folder/],
  ] as const) {
    const r = await add(dir);
    assert.equal(r.status, 403, `${dir} is refused`);
    assert.match(r.body.error!.message, why);
  }
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-not-a-root-'));
  try {
    const r = await add(elsewhere);
    assert.equal(r.status, 403);
    assert.match(r.body.error!.message, /outside the folders this server may add .*--roots/);
  } finally {
    fs.rmSync(elsewhere, { recursive: true });
  }
  const folders = await req<{ result: unknown[] }>('POST', '/api/call/listFolders', { body: [], cookie, csrf });
  assert.equal(folders.body.result.length, 1, 'nothing was added');
});

test('files: a photo in a hidden folder under a library folder is 404, an indexed one is served', async () => {
  const login = await req<AuthState>('POST', '/api/auth/login', { body: { password: PASSWORD } });
  const cookie = cookieOf(login);
  const photo = path.join(
    libDir,
    fs.readdirSync(libDir).find((f) => f.endsWith('.jpg'))!,
  );
  const ok = await req('GET', `/file?path=${encodeURIComponent(photo)}`, { cookie });
  assert.equal(ok.status, 200);
  // Behind sign-in the browser must ask again each time, so a signed-out browser shows nothing from its cache.
  assert.equal(ok.headers.get('cache-control'), 'private, no-cache');
  const again = await req('GET', `/file?path=${encodeURIComponent(photo)}`, { cookie, headers: { 'if-none-match': ok.headers.get('etag')! } });
  assert.equal(again.status, 304, 'unchanged: revalidated, not sent again');
  const signedOut = await req('GET', `/file?path=${encodeURIComponent(photo)}`, { headers: { 'if-none-match': ok.headers.get('etag')! } });
  assert.equal(signedOut.status, 401, 'a revalidation without a session is refused, not answered 304');
  for (const route of ['file', 'thumb']) {
    const r = await req<{ error: { code: string } }>('GET', `/${route}?path=${encodeURIComponent(hidden)}`, { cookie });
    assert.equal(r.status, 404, `${route} of a never-indexed photo in a hidden folder`);
    assert.equal(r.body.error.code, 'not-found');
  }
});

test('the Host header must be ours (DNS rebinding), on every route; a --public-name is ours', async () => {
  const port = new URL(server.url).port;
  assert.equal(await withHost(`evil.example:${port}`, '/'), 403);
  assert.equal(await withHost(`evil.example:${port}`, '/api/auth/state'), 403);
  assert.equal(await withHost(`192.168.1.20:${port}`, '/api/auth/state'), 403, 'a LAN address this loopback server does not listen on');
  assert.equal(await withHost(`photos.home.lan:${port}`, '/api/auth/state'), 200);
  assert.equal(await withHost('photos.home.lan', '/api/auth/state'), 200, 'a bare public name: what a proxy on 443 sends');
  assert.equal(await withHost(`localhost:${port}`, '/api/auth/state'), 200);
});

test('JSON calls: the arity check, nesting depth and a foreign Sec-Fetch-Site are refused', async () => {
  const login = await req<AuthState>('POST', '/api/auth/login', { body: { password: PASSWORD } });
  const cookie = cookieOf(login);
  const csrf = login.body.csrf!;
  const arity = await req<{ error: { message: string } }>('POST', '/api/call/status', { body: [1, 2], cookie, csrf });
  assert.equal(arity.status, 400);
  assert.match(arity.body.error.message, /takes at most 0 argument/);
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  const depth = await req<{ error: { message: string } }>('POST', '/api/call/listPhotos', { body: [deep], cookie, csrf });
  assert.equal(depth.status, 400);
  assert.match(depth.body.error.message, /deeper than 32/);
  const cross = await req('GET', '/api/events', { cookie, headers: { 'sec-fetch-site': 'cross-site' } });
  assert.equal(cross.status, 403);
  const foreign = await req('GET', '/api/events', { cookie, headers: { origin: 'http://evil.example' } });
  assert.equal(foreign.status, 403, 'an EventSource from another site is refused');
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

test('TLS: --tls-cert/--tls-key serve https, and the session cookie is Secure there', { skip: !hasOpenssl && 'no openssl to make a certificate' }, async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { stdio: 'ignore' },
  );
  const tls = await startServer({ library, staticDir: path.join(tmp, 'ui'), port: 0, auth: true, tls: { cert, key } });
  try {
    assert.match(tls.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const u = new URL(tls.url);
    const body = JSON.stringify({ password: PASSWORD });
    const res = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      const r = https.request(
        {
          host: u.hostname,
          port: u.port,
          path: '/api/auth/login',
          method: 'POST',
          ca: fs.readFileSync(cert),
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (x) => {
          x.resume();
          resolve({ status: x.statusCode!, cookie: String(x.headers['set-cookie'] ?? '') });
        },
      );
      r.on('error', reject);
      r.end(body);
    });
    assert.equal(res.status, 200);
    assert.match(res.cookie, /; Secure/);
    assert.match(res.cookie, /HttpOnly/);
  } finally {
    await tls.close();
  }
});

test('--trust-proxy: X-Forwarded-Proto https makes the cookie Secure, and the sign-in limit counts the forwarded client, not the proxy', async () => {
  const proxied = await startServer({ library, staticDir: path.join(tmp, 'ui'), port: 0, auth: true, trustProxy: true });
  try {
    const at = (route: string, headers: Record<string, string>, body: unknown) =>
      fetch(`${proxied.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const ok = await at('api/auth/login', { 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.1' }, { password: PASSWORD });
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('set-cookie') ?? '', /; Secure/);
    const a = { 'x-forwarded-for': '192.0.2.10' };
    for (let i = 0; i < 5; i++) assert.equal((await at('api/auth/login', a, { password: `wrong ${i}` })).status, 401);
    assert.equal((await at('api/auth/login', a, { password: 'wrong' })).status, 429, 'the guessing client waits');
    assert.equal((await at('api/auth/login', { 'x-forwarded-for': '192.0.2.11' }, { password: 'wrong' })).status, 401, 'another client behind the same proxy does not');
  } finally {
    await proxied.close();
  }
});

test('the CLI: `token create` makes a token the running server accepts; `password --stdin` resets the password and signs every browser out', async () => {
  // Run without blocking this process's event loop: the server under test lives here, and a blocked loop
  // lets its keep-alive timer close a pooled socket just as the next request takes it ("fetch failed").
  const run = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(process.execPath, ['bin/photowords.js', ...args, '--db', library.dbPath], { encoding: 'utf8' }, (err, stdout, stderr) =>
        err ? reject(Object.assign(err, { message: `${err.message}\n${stderr}` })) : resolve(stdout),
      );
      child.stdin!.end(input ?? '');
    });
  const token = (await run(['token', 'create', '--name', 'from the terminal', '--read-only'])).trim();
  assert.match(token, /^pwt_[A-Za-z0-9_-]{43}$/);
  const read = await req('POST', '/api/call/status', { body: [], headers: { authorization: `Bearer ${token}` } });
  assert.equal(read.status, 200);
  assert.equal((await req('POST', '/api/call/pause', { body: [], headers: { authorization: `Bearer ${token}` } })).status, 403, 'read-only');
  const listed = await run(['token', 'list']);
  assert.match(listed, /\tread\t.*\tfrom the terminal/);
  const id = /^(\d+)\tread\t.*from the terminal$/m.exec(listed)![1];

  const login = await req<AuthState>('POST', '/api/auth/login', { body: { password: PASSWORD } });
  const cookie = cookieOf(login);
  await run(['password', '--stdin'], `${PASSWORD2}\n`);
  assert.equal((await req('GET', '/api/auth/tokens', { cookie })).status, 401, 'the reset signed the browser out');
  assert.equal((await req('POST', '/api/auth/login', { body: { password: PASSWORD2 } })).status, 200);
  await assert.rejects(run(['password', '--stdin'], 'short\n'), /at least 10 characters/);

  await run(['token', 'revoke', id]);
  assert.equal((await req('POST', '/api/call/status', { body: [], headers: { authorization: `Bearer ${token}` } })).status, 401);
});

// Last: it leaves this client address rate-limited for a minute.
test('wrong passwords: the sixth in a minute is 429 with Retry-After, and then even the right one waits', async () => {
  // Earlier tests made 1 failure; 4 more reach the limit of 5 a minute.
  for (let i = 0; i < 4; i++) {
    const r = await req('POST', '/api/auth/login', { body: { password: `wrong ${i}` } });
    assert.equal(r.status, 401);
  }
  const limited = await req<{ error: { code: string } }>('POST', '/api/auth/login', { body: { password: 'wrong again' } });
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error.code, 'rate-limited');
  const wait = Number(limited.headers.get('retry-after'));
  assert.ok(wait > 0 && wait <= 60, `Retry-After ${wait}`);
  const right = await req('POST', '/api/auth/login', { body: { password: PASSWORD2 } });
  assert.equal(right.status, 429, 'no password is tried while limited');
});
