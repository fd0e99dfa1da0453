// What the shell allows, as plain functions of plain values: no Electron import, so
// test/integration/electron-hardening.test.ts checks the very decisions guard.ts and index.ts act on, and the
// CSP e2e test (test/e2e/csp.test.ts) serves the renderer under the very policy the window gets.
import { APP_ORIGIN, SCHEME } from '../shared/ipc.js';

/** Origins of custom schemes too: Node's URL gives 'null' for a scheme it does not know, Chromium does not. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    if (!u.host) return null; // about:blank, data:, file: have no origin a page could share with ours
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** How this run of the shell was started, after the development switches were honoured or refused. */
export interface ShellMode {
  /** electron-vite dev's Vite server, where the page comes from; undefined in a build. */
  devUrl?: string;
  /** Reload and developer tools in the View menu. */
  devTools: boolean;
  /** The page's origin: the Vite server in development, photowords://app otherwise. */
  pageOrigin: string;
  /** Variables set but refused because the app is packaged (for one line in the log). */
  ignored: string[];
  /**
   * Variables main must not hand to the utility process: in a packaged app, a variable must not be
   * able to make it load other native code (PHOTOWORDS_SQLITE_BINDING) or another model
   * (PHOTOWORDS_MODELS_DIR); main sets both itself.
   */
  strippedFromUtility: string[];
}

/**
 * Development switches work only in an unpackaged build: in a packaged one, anyone who can set an
 * environment variable for the app (a launcher, a login item, another program) could otherwise
 * load the window's page from a server of their choice, with the preload's API, or open its
 * developer tools. The RunAsNode, NODE_OPTIONS and inspect fuses close the same door for Node.
 */
export function shellMode(env: Record<string, string | undefined>, packaged: boolean): ShellMode {
  const ignored: string[] = [];
  let devUrl = env.ELECTRON_RENDERER_URL || undefined;
  let devToolsAsked = env.PHOTOWORDS_DEVTOOLS === '1';
  if (packaged) {
    if (devUrl) ignored.push('ELECTRON_RENDERER_URL');
    if (env.PHOTOWORDS_DEVTOOLS !== undefined) ignored.push('PHOTOWORDS_DEVTOOLS');
    if (env.PHOTOWORDS_TEST_HOOKS !== undefined) ignored.push('PHOTOWORDS_TEST_HOOKS');
    devUrl = undefined;
    devToolsAsked = false;
  }
  // Only an http(s) Vite server on this machine: never a page from elsewhere with our preload.
  if (devUrl && !isLocalDevServer(devUrl)) {
    ignored.push('ELECTRON_RENDERER_URL');
    devUrl = undefined;
  }
  const strippedFromUtility = packaged ? ['PHOTOWORDS_SQLITE_BINDING', 'PHOTOWORDS_MODELS_DIR'].filter((k) => env[k] !== undefined) : [];
  return {
    devUrl,
    devTools: Boolean(devUrl) || devToolsAsked,
    pageOrigin: devUrl ? originOf(devUrl)! : APP_ORIGIN,
    ignored: [...new Set(ignored)],
    strippedFromUtility,
  };
}

function isLocalDevServer(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

/**
 * The window's Content-Security-Policy. No 'unsafe-inline' anywhere: Vite's build emits only
 * external scripts and stylesheets, and Vue sets `:style` bindings through the CSSOM
 * (element.style), which CSP does not govern; what it refuses is markup: `style="..."` attributes
 * and <style> elements parsed from HTML. test/e2e/csp.test.ts drives every view under this policy
 * and sees no violation. Only under electron-vite dev, whose server injects each component's CSS
 * as a <style> element (vite.config.ts relaxes the page's meta policy the same way), may styles be
 * inline; that mode exists in unpackaged builds only (shellMode).
 */
export function contentSecurityPolicy(devUrl?: string): string {
  const dev = devUrl ? ` ${originOf(devUrl)} ws://${new URL(devUrl).host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    devUrl ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    `img-src 'self' ${SCHEME}: data: blob:`,
    `media-src 'self' ${SCHEME}:`,
    "font-src 'self' data:",
    `connect-src 'self' ${SCHEME}:${dev}`,
    "worker-src 'self'",
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A page of the app: same origin as the page main loads. */
export function isAppUrl(url: string, pageOrigin: string): boolean {
  return originOf(url) === pageOrigin;
}

/** will-navigate / will-redirect / will-frame-navigate: only within the app's own origin. */
export function navigationAllowed(url: string, pageOrigin: string): boolean {
  return isAppUrl(url, pageOrigin);
}

/**
 * window.open, target=_blank, middle clicks: never a new window. The app has no external links
 * to hand to the system browser, so none is opened there either (a link that should open there
 * would be added here, on purpose, with shell.openExternal for https only).
 */
export function windowOpenAction(_url: string): { action: 'deny' } {
  return { action: 'deny' };
}

/** <webview>: never (webviewTag is off as well; this also covers a web contents that turned it on). */
export function webviewAllowed(): false {
  return false;
}

/**
 * Permissions the page may have: none. It uses no camera, microphone, location, notifications,
 * clipboard API, MIDI, HID, serial or fullscreen API (the View menu's full screen is the window's,
 * not the page's), so each request and each check is refused.
 */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set();

export function permissionAllowed(permission: string, requestingUrl: string | undefined, pageOrigin: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && requestingUrl !== undefined && isAppUrl(requestingUrl, pageOrigin);
}

/** Remote requests (http, https, ws, wss): none, but the Vite server's in development. */
export function remoteRequestAllowed(url: string, devUrl: string | undefined): boolean {
  if (!devUrl) return false;
  const origin = originOf(url);
  return origin === originOf(devUrl) || origin === originOf(devUrl.replace(/^http/, 'ws'));
}

/**
 * Which web contents get the navigation guard: all but the developer tools' own (which load
 * devtools:// pages, exist only when devTools is on, and are not the app). window.open is refused
 * for every one of them.
 */
export function guardsNavigation(type: string): boolean {
  return type !== 'devtools';
}
