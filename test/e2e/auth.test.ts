/// <reference lib="dom" />
// Sign-in end to end (issue 18): `photowords serve --auth` on loopback with a real library of
// flowers17 photos, Debian's chromium driven by playwright-core. The owner's path: open the
// setup link the server printed, choose the password, browse the library, make an API token,
// sign out; then what a visitor without the session gets: the sign-in page, and 401 from the
// API and the thumbnails, even with the old cookie; a wrong password and too many tries each
// get their message; a session that vanishes under an open page sends it back to sign-in.
// Screenshots go to test-results/screenshots (auth-*.png) for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { CSRF_HEADER, HTTP, type AuthState } from '../../src/shared/api.js';
import { CHROMIUM, imagesLoaded, launchPage, libraryIndexed, screenshot, spawnServe, stopServe } from './kit.js';

const FLOWERS = path.resolve('../shared/datasets/flowers17');
/** Two classes, three photos each: enough for a grid, quick to index on 2 cores. */
const CLASSES = ['c01', 'c05'];
const PER_CLASS = 3;
const N = CLASSES.length * PER_CLASS;
const PASSWORD = 'quiet orchard lantern 42';

let tmp: string;
let photos: string;
let serve: ChildProcess;
let serveOut: () => string;
let serveLog = '';
let url: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every request the page made to the API, with the headers it sent. */
const sent: Request[] = [];

const shot = (name: string) => screenshot(page, name);

/** The setup link `serve` printed at start (stdout or its log), e.g. http://127.0.0.1:PORT/?setup=TOKEN. */
async function setupLink(): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /(https?:\/\/\S+[?&]setup=[A-Za-z0-9_-]+)/.exec(serveOut() + '\n' + serveLog);
    if (m) return m[1]!;
    if (Date.now() > deadline) throw new Error(`serve printed no setup link:\n${serveOut()}\n${serveLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A request from the test itself, with no cookie unless given: what another client gets. */
async function fromOutside(route: string, init: RequestInit = {}): Promise<number> {
  // Bounded: a stream answered 200 by mistake must fail the test, not hang it.
  const res = await fetch(new URL(route, url), { signal: AbortSignal.timeout(10_000), ...init });
  await res.arrayBuffer();
  return res.status;
}

const listFolders = (headers: Record<string, string> = {}) => fromOutside(HTTP.call('listFolders'), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '[]' });

async function authState(cookie?: string): Promise<AuthState> {
  const res = await fetch(new URL(HTTP.authState, url), { headers: cookie ? { cookie } : {} });
  assert.equal(res.status, 200);
  const body = (await res.json()) as AuthState | { result: AuthState };
  return 'result' in body ? body.result : body;
}

async function sessionCookie(): Promise<string> {
  const c = (await context.cookies()).find((k) => k.name === 'photowords_session');
  assert.ok(c, 'the session cookie is set');
  return `${c.name}=${c.value}`;
}

async function signIn(password: string): Promise<void> {
  await page.locator('[data-testid=signin-view]').waitFor();
  await page.locator('#signin-password').fill(password);
  await page.locator('[data-testid=signin-submit]').click();
}

async function openAccount(): Promise<void> {
  await page.locator('[data-testid=settings-button]').click();
  await page.locator('[data-testid=settings-tab-account]').click();
  await page.locator('[data-testid=account-panel]').waitFor();
}

before(async () => {
  assert.ok(fs.existsSync('out/renderer/index.html'), 'the UI is built (npm run build:web)');
  assert.ok(fs.existsSync(CHROMIUM), `chromium at ${CHROMIUM} (scripts/test.sh installs Debian's)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-auth-'));
  photos = path.join(tmp, 'photos');
  for (const c of CLASSES) {
    fs.mkdirSync(path.join(photos, c), { recursive: true });
    for (const f of fs.readdirSync(path.join(FLOWERS, c)).sort().slice(0, PER_CLASS)) fs.copyFileSync(path.join(FLOWERS, c, f), path.join(photos, c, f));
  }
  const s = spawnServe([photos, '--db', path.join(tmp, 'library.db'), '--auth'], {
    env: { ...process.env, XDG_DATA_HOME: path.join(tmp, 'xdg-data') },
    onLog: (d) => (serveLog += d),
    log: () => serveLog,
  });
  serve = s.child;
  serveOut = s.stdout;
  url = await s.url;
  ({ browser, page } = await launchPage((m) => (serveLog += `\n[page error] ${m}`)));
  context = page.context();
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) sent.push(r);
  });
});

after(async () => {
  await browser?.close();
  await stopServe(serve);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('first-run setup from the printed link: the token leaves the address bar, the password is set, the library opens', async () => {
  const before = await authState();
  assert.deepEqual([before.required, before.passwordSet, before.signedIn], [true, false, false], 'sign-in required, no password yet');
  assert.equal(await listFolders(), 401, 'nothing but the setup works before it');

  const link = await setupLink();
  // First as a browser that is not at this computer (its request came through a proxy the server
  // does not trust): setup needs the token, and without the link the page asks for it.
  await page.setExtraHTTPHeaders({ 'x-forwarded-for': '192.0.2.10' });
  await page.goto(url);
  await page.locator('[data-testid=setup-view]').waitFor();
  const tokenField = page.locator('[data-testid=setup-token-field]');
  await tokenField.waitFor();
  assert.match((await tokenField.textContent()) ?? '', /printed a setup link .*photowords serve/s, 'the page says where the token is');
  await page.locator('#setup-password').fill(PASSWORD);
  await page.locator('#setup-confirm').fill(PASSWORD);
  await page.locator('#setup-token').fill('not-the-token');
  await shot('auth-00-setup-needs-token');
  await page.locator('[data-testid=setup-submit]').click();
  const refused = page.locator('[data-testid=setup-error]');
  await refused.waitFor();
  assert.match((await refused.textContent()) ?? '', /did not accept the setup token/);
  assert.equal(await refused.getAttribute('role'), 'alert');
  assert.equal((await authState()).passwordSet, false, 'a wrong token sets nothing');

  // Then with the link: the token comes from the address, which no longer shows it.
  await page.goto(link);
  await page.locator('[data-testid=setup-view]').waitFor();
  assert.ok(!page.url().includes('setup='), `the token is gone from the address bar: ${page.url()}`);
  assert.equal(await page.locator('[data-testid=setup-token-field]').count(), 0, 'no field for a token the link gave');
  await page.locator('[data-testid=setup-token-from-link]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'setup-password', 'the first field has the focus');
  assert.equal(await page.locator('#setup-password').getAttribute('autocomplete'), 'new-password');

  // Too short: said, in an alert, before anything is sent.
  await page.locator('#setup-password').fill('short');
  await page.locator('#setup-confirm').fill('short');
  await page.locator('[data-testid=setup-submit]').click();
  const tooShort = page.locator('[data-testid=setup-error]');
  assert.match((await tooShort.textContent()) ?? '', /at least 10 characters/);
  assert.equal(await tooShort.getAttribute('role'), 'alert');

  await page.locator('#setup-password').fill(PASSWORD);
  await page.locator('#setup-confirm').fill(PASSWORD);
  assert.match((await page.locator('[data-testid=password-strength]').textContent()) ?? '', /Good|Strong/);
  await shot('auth-01-setup');
  await page.locator('[data-testid=setup-submit]').click();
  await page.locator('[data-testid=photo]').first().waitFor({ timeout: 60_000 });
  await page.setExtraHTTPHeaders({});

  const cookie = (await context.cookies()).find((c) => c.name === 'photowords_session');
  assert.ok(cookie, 'signed in: the session cookie is set');
  assert.equal(cookie.httpOnly, true, 'the page cannot read the session cookie');
  assert.equal(cookie.sameSite, 'Strict');
  const after = await authState(await sessionCookie());
  assert.deepEqual([after.passwordSet, after.signedIn, after.scope], [true, true, 'full']);
});

test('browsing: the grid shows every photo and the thumbnails load; every changing call carries the CSRF header', async () => {
  await libraryIndexed(page, N);
  await page
    .locator(`[data-testid=photo]`)
    .nth(N - 1)
    .waitFor();
  assert.equal(await page.locator('[data-testid=photo]').count(), N);
  await imagesLoaded(page, '[data-testid=photo] img');

  // A changing call from the page: the search for similar photos.
  await page.locator('[data-testid=photo]').first().click({ button: 'right' });
  await page.locator('[data-testid=menu-find-similar]').click();
  await page.locator('[data-testid=similar-result]').first().waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=back]').click();
  await page.locator('[data-testid=photo]').first().waitFor();

  const csrf = (await authState(await sessionCookie())).csrf;
  assert.ok(csrf, 'a signed-in session has a CSRF token');
  const open = new Set<string>([HTTP.authSetup, HTTP.authLogin]);
  const posts = sent.filter((r) => r.method() === 'POST' && !open.has(new URL(r.url()).pathname));
  assert.ok(
    posts.some((r) => r.url().includes('/api/call/similar')),
    'the search went out',
  );
  for (const r of posts) assert.equal(r.headers()[CSRF_HEADER], csrf, `${r.url()} carries the CSRF token`);
  // Without it, the same call from outside with the session's cookie is refused.
  assert.equal(await listFolders({ cookie: await sessionCookie() }), 403, 'a changing call without the CSRF header is refused');
  assert.equal(await listFolders({ cookie: await sessionCookie(), [CSRF_HEADER]: csrf }), 200, 'with it, it is answered');
});

test('API tokens: make a read-only one, shown once with a copy button; it lists what a script may read', async () => {
  await openAccount();
  const panel = page.locator('[data-testid=tokens-panel]');
  await panel.waitFor();
  await page.locator('[data-testid=token-name]').fill('backup script');
  assert.equal(await page.locator('[data-testid=token-read-only]').isChecked(), true, 'read-only is the default');
  await page.locator('[data-testid=token-create]').click();
  const value = page.locator('[data-testid=new-token-value]');
  await value.waitFor();
  const token = await value.inputValue();
  assert.match(token, /^pwt_/);
  await page.locator('[data-testid=token][data-name="backup script"][data-scope=read]').waitFor();
  await page.locator('[data-testid=copy-token]').waitFor();
  await shot('auth-02-tokens');

  assert.equal(await listFolders({ authorization: `Bearer ${token}` }), 200, 'the token reads the library');
  assert.equal(
    await fromOutside(HTTP.call('addFolder'), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify([photos]) }),
    403,
    'a read-only token changes nothing',
  );

  // Revoked: the script is refused at once.
  await page.locator('[data-testid=token][data-name="backup script"] [data-testid=token-revoke]').click();
  await page.locator('[data-testid=token-revoke-confirm]').click();
  await page.locator('[data-testid=no-tokens]').waitFor();
  assert.equal(await listFolders({ authorization: `Bearer ${token}` }), 401, 'a revoked token is refused');
  await page.keyboard.press('Escape');
});

test("another tab signs in again: this page's next change is refused for its old CSRF token, refreshes it and goes through", async () => {
  const before = await sessionCookie();
  // Another tab of this browser signs in: a new session's cookie replaces the one this page uses.
  // (playwright's launchPage gives one page per context, so the sign-in is made here and its
  // cookie put in the browser's jar, as the other tab's reply would.)
  const res = await fetch(new URL(HTTP.authLogin, url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
  assert.equal(res.status, 200);
  const value = /photowords_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  assert.ok(value, 'the sign-in set a session cookie');
  await context.addCookies([{ name: 'photowords_session', value, url, httpOnly: true, sameSite: 'Strict' }]);
  assert.notEqual(await sessionCookie(), before, 'a new session');

  const answers: { path: string; status: number }[] = [];
  const onResponse = (r: import('playwright-core').Response) => {
    const p = new URL(r.url()).pathname;
    if (p.startsWith('/api/call/')) answers.push({ path: p, status: r.status() });
  };
  page.on('response', onResponse);
  await page.locator('[data-testid=folder]').first().locator('button.item').click();
  await page
    .locator('[data-testid=photo]')
    .nth(N - 1)
    .waitFor();
  const statuses = () => answers.filter((a) => a.path === HTTP.call('listPhotos')).map((a) => a.status);
  // The grid may ask for more than one page; wait until each refused call's retry has answered.
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    const st = statuses();
    if (st.filter((x) => x === 200).length >= st.filter((x) => x === 403).length) break;
  }
  page.off('response', onResponse);
  const listPhotos = statuses();
  // The calls sent with the old token were refused once each; the refresh gave the new token to
  // their retries and to every call after, so each was answered in the end.
  const refused = listPhotos.filter((x) => x === 403).length;
  assert.ok(refused > 0, `the old token was refused: ${JSON.stringify(answers)}`);
  assert.ok(
    listPhotos.every((x) => x === 403 || x === 200),
    JSON.stringify(answers),
  );
  assert.ok(listPhotos.filter((x) => x === 200).length >= refused, `every refused call was answered on its retry: ${JSON.stringify(answers)}`);
  assert.equal(await page.locator('[data-testid=signin-view]').count(), 0, 'still signed in');
  assert.equal(await page.locator('[data-testid=error-banner]').count(), 0, 'and nothing to tell the person');
});

test('sign-out: the page shows sign-in, and the API and thumbnails answer 401, to the page and to the old cookie alike', async () => {
  const thumb = await page.locator('[data-testid=photo] img').first().getAttribute('src');
  assert.ok(thumb, 'a thumbnail URL');
  assert.equal(await fromOutside(thumb, { headers: { cookie: await sessionCookie() } }), 200, 'the thumbnail with the session');
  const oldCookie = await sessionCookie();

  await openAccount();
  await page.locator('[data-testid=sign-out]').click();
  await page.locator('[data-testid=signin-view]').waitFor();
  assert.equal(await page.locator('[data-testid=session-expired]').count(), 0, 'signing out is not an expired session');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'signin-password', 'the password field has the focus');
  assert.equal(await page.locator('#signin-password').getAttribute('autocomplete'), 'current-password');
  await shot('auth-03-signin');

  const fromPage = await page.evaluate(
    async ([call, img]) => {
      const a = await fetch(call, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      // Past the browser's cache: what the server says now.
      const b = await fetch(img, { cache: 'no-store' });
      return [a.status, b.status];
    },
    [HTTP.call('listFolders'), thumb] as const,
  );
  assert.deepEqual(fromPage, [401, 401], 'the page itself is refused listFolders and the thumbnail');
  assert.equal(await listFolders({ cookie: oldCookie }), 401, 'the old session cookie is dead on the server');
  assert.equal(await fromOutside(thumb, { headers: { cookie: oldCookie } }), 401, 'so is the thumbnail with it');
  assert.equal(await fromOutside(HTTP.events, { headers: { cookie: oldCookie } }), 401, 'and the event stream');

  await page.reload();
  await page.locator('[data-testid=signin-view]').waitFor();
  assert.equal(await page.locator('[data-testid=photo]').count(), 0, 'no photo shows after a reload');
});

test('a wrong password is said so; the right one opens the library again', async () => {
  await signIn('not the password at all');
  const error = page.locator('[data-testid=signin-error]');
  await error.waitFor();
  assert.match((await error.textContent()) ?? '', /password is not right/);
  assert.equal(await error.getAttribute('role'), 'alert');
  await shot('auth-04-wrong-password');

  await signIn(PASSWORD);
  await page.locator('[data-testid=photo]').first().waitFor();
  await imagesLoaded(page, '[data-testid=photo] img');
});

test('change password: the new one signs in, the old one no longer does, and this page stays signed in', async () => {
  const NEW = 'seven brass kettles hum 9';
  await openAccount();
  await page.locator('[data-testid=change-password]').click();
  await page.waitForFunction(() => document.activeElement?.id === 'current-password', undefined, { timeout: 5000 });
  assert.equal(await page.locator('#current-password').getAttribute('autocomplete'), 'current-password');
  assert.equal(await page.locator('#change-password').getAttribute('autocomplete'), 'new-password');
  await page.locator('#current-password').fill(PASSWORD);
  await page.locator('#change-password').fill(NEW);
  await page.locator('#change-confirm').fill(NEW);
  await page.locator('[data-testid=change-password-submit]').click();
  await page.locator('[data-testid=password-changed]').waitFor();
  await page.keyboard.press('Escape');
  // This page's session goes on: a changing call from it is answered.
  await page.locator('[data-testid=folder]').first().locator('button.item').click();
  await page
    .locator('[data-testid=photo]')
    .nth(N - 1)
    .waitFor();
  assert.equal(await page.locator('[data-testid=signin-view]').count(), 0);

  const login = (password: string) => fromOutside(HTTP.authLogin, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) });
  assert.equal(await login(PASSWORD), 401, 'the old password is refused');
  assert.equal(await login(NEW), 200, 'the new one signs in');
});

test('a session that ends under an open page sends it back to sign-in at its next call', async () => {
  // The server forgets nothing here; the browser loses its cookie, as when it expires.
  await context.clearCookies();
  // The page's next call notices: opening Settings reads the settings from the server, unless its
  // event stream, reconnecting without the cookie, was refused first and the page already knows.
  const signin = page.locator('[data-testid=signin-view]');
  const settings = page.locator('[data-testid=settings-button]');
  await Promise.race([signin.waitFor(), settings.click({ timeout: 10_000 }).catch(() => signin.waitFor())]);
  await signin.waitFor();
  await page.locator('[data-testid=session-expired]').waitFor();
});

test('too many wrong passwords: the page says how long to wait, from Retry-After', async () => {
  const error = page.locator('[data-testid=signin-error]');
  let text = '';
  // 5 failures a minute per client address (one already counted above).
  for (let i = 0; i < 6 && !/Too many tries/.test(text); i++) {
    await signIn(`wrong guess ${i}`);
    await page.waitForFunction(() => {
      const b = document.querySelector('[data-testid=signin-submit]');
      return b && !b.textContent?.includes('Signing in');
    });
    text = (await error.textContent()) ?? '';
  }
  assert.match(text, /Too many tries\. Wait \d+ s before trying again\./);
  assert.equal(await page.locator('[data-testid=signin-submit]').isDisabled(), true, 'the button waits too');
  assert.match((await page.locator('[data-testid=signin-submit]').textContent()) ?? '', /Try again in \d+ s/);
  await shot('auth-05-too-many-tries');
});

test("on loopback without --auth the library opens at once, with no sign-in to show, and changing calls still carry the run's CSRF token", async () => {
  let log = '';
  const s = spawnServe(['--db', path.join(tmp, 'open.db')], { onLog: (d) => (log += d), log: () => log });
  try {
    const openUrl = await s.url;
    assert.doesNotMatch(s.stdout(), /setup=/, 'no setup link');
    const { browser: b, page: p } = await launchPage((m) => (log += `\n[page error] ${m}`));
    try {
      const posts: Request[] = [];
      p.on('request', (r) => {
        if (r.method() === 'POST') posts.push(r);
      });
      await p.goto(openUrl);
      await p.locator('[data-testid=empty-state]').first().waitFor();
      assert.equal(await p.locator('[data-testid=signin-view], [data-testid=setup-view]').count(), 0);
      await p.locator('[data-testid=settings-button]').click();
      await p.locator('[data-testid=settings-dialog] select').first().waitFor();
      assert.equal(await p.locator('[data-testid=settings-tab-account], [data-testid=sign-out]').count(), 0, 'nothing to sign out of');
      const state = (await (await fetch(new URL(HTTP.authState, openUrl))).json()) as AuthState;
      assert.equal(state.required, false);
      assert.ok(posts.length > 0 && state.csrf);
      for (const r of posts) assert.equal(r.headers()[CSRF_HEADER], state.csrf, `${r.url()} carries the run's CSRF token`);
    } finally {
      await b.close();
    }
  } finally {
    await stopServe(s.child);
  }
});
