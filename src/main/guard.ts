// One guard for every web contents the app ever has: the window's page, anything it might open,
// a <webview> should one ever be attached, and each session they use. Installed once, before the
// first window, on app's 'web-contents-created', so no window or view can be created without it
// (rather than each window setting its own handlers and a new one forgetting some). The decisions
// themselves are policy.ts's, where the tests read them.
import { app, session as electronSession, type Session, type WebContents } from 'electron';
import { contentSecurityPolicy, guardsNavigation, navigationAllowed, permissionAllowed, remoteRequestAllowed, webviewAllowed, windowOpenAction, type ShellMode } from './policy.js';

export function installGuard(mode: ShellMode, log: (m: string) => void): void {
  const guarded = new WeakSet<Session>();

  const guardSession = (ses: Session) => {
    if (guarded.has(ses)) return;
    guarded.add(ses);
    ses.setPermissionRequestHandler((wc, permission, callback, details) => {
      const ok = permissionAllowed(permission, details.requestingUrl ?? wc?.getURL(), mode.pageOrigin);
      if (!ok) log(`refused the permission request '${permission}'`);
      callback(ok);
    });
    ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin, mode.pageOrigin));
    // No remote content: http(s) and WebSocket requests only to the Vite server in development.
    ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (details, callback) => {
      callback({ cancel: !remoteRequestAllowed(details.url, mode.devUrl) });
    });
    // The CSP as a response header on every page (the page also has it in a meta tag; both are
    // enforced): photowords://app responses carry it from the protocol handler; this covers the
    // Vite server's pages and any other frame.
    ses.webRequest.onHeadersReceived((details, callback) => {
      if (details.resourceType !== 'mainFrame' && details.resourceType !== 'subFrame') return callback({});
      const headers: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(details.responseHeaders ?? {})) if (k.toLowerCase() !== 'content-security-policy') headers[k] = v;
      headers['Content-Security-Policy'] = [contentSecurityPolicy(mode.devUrl)];
      callback({ responseHeaders: headers });
    });
  };

  // The default session before any page exists; a web contents with a session of its own gets
  // the same as it appears.
  guardSession(electronSession.defaultSession);

  app.on('web-contents-created', (_e, wc: WebContents) => {
    guardSession(wc.session);
    wc.setWindowOpenHandler(({ url }) => {
      log(`refused to open a window for ${url.slice(0, 200)}`);
      return windowOpenAction(url);
    });
    wc.on('will-attach-webview', (e) => {
      if (!webviewAllowed()) e.preventDefault();
    });
    if (!guardsNavigation(wc.getType())) return;
    const refuse = (what: string) => (e: { url: string; preventDefault: () => void }) => {
      if (navigationAllowed(e.url, mode.pageOrigin)) return;
      e.preventDefault();
      log(`refused ${what} to ${e.url.slice(0, 200)}`);
    };
    wc.on('will-navigate', refuse('navigation'));
    wc.on('will-redirect', refuse('a redirect'));
    // Subframes too (the CSP's frame-src 'none' already refuses them; this holds if it ever changes).
    wc.on('will-frame-navigate', (e) => {
      if (e.isMainFrame) return; // will-navigate has it
      refuse('a frame navigation')(e);
    });
  });
}
