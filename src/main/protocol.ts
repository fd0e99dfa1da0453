// photowords://: the app's own page (instead of file://, whose pages may load other local files)
// and the library's thumbnails and photos, whose paths the engine checks against its folders.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { SCHEME, parseProtocolUrl, toErrorShape } from '../shared/ipc.js';
import { IndexerError } from './indexer-host.js';
import { contentSecurityPolicy } from './policy.js';
import type { Shell } from './shell.js';

const STATUS: Record<string, number> = { forbidden: 403, 'not-found': 404, 'bad-request': 400, busy: 503, unavailable: 503 };

function withHeaders(res: Response, headers: Record<string, string>): Response {
  const h = new Headers(res.headers);
  for (const [k, v] of Object.entries(headers)) h.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: h });
}

export function registerProtocol(shell: Shell): void {
  const { rendererDir } = shell;
  const { devUrl, pageOrigin } = shell.mode;
  const textResponse = (status: number, text: string): Response =>
    new Response(text, {
      status,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'access-control-allow-origin': pageOrigin, 'x-content-type-options': 'nosniff' },
    });

  protocol.handle(SCHEME, async (request) => {
    const target = parseProtocolUrl(request.url);
    if (!target) return textResponse(404, 'Not found.');
    if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Only GET.');
    if (target.kind === 'app') {
      if (devUrl) return textResponse(404, 'Not found.'); // in development the page comes from Vite
      let file = path.join(rendererDir, target.file);
      const rel = path.relative(rendererDir, file);
      if (rel.startsWith('..') || path.isAbsolute(rel)) return textResponse(404, 'Not found.');
      // A path without an extension is a page of the app (history routing): its index.html.
      if (!fs.existsSync(file) && !path.extname(file)) file = path.join(rendererDir, 'index.html');
      if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return textResponse(404, 'Not found.');
      const res = await net.fetch(pathToFileURL(file).href);
      return withHeaders(res, {
        'content-security-policy': contentSecurityPolicy(devUrl),
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      });
    }
    // Thumbnails and photos: the engine resolves the path, and refuses any outside the library.
    let resolved: string;
    try {
      resolved =
        target.kind === 'thumb'
          ? await shell.engine().request<string>({ type: 'thumbnail', path: target.path, size: target.size })
          : await shell.engine().request<string>({ type: 'file', path: target.path });
    } catch (e) {
      const shape = e instanceof IndexerError ? e.shape : toErrorShape(e);
      return textResponse(STATUS[shape.code] ?? 500, shape.message);
    }
    const res = await net.fetch(pathToFileURL(resolved).href);
    return withHeaders(res, {
      'access-control-allow-origin': pageOrigin,
      'x-content-type-options': 'nosniff',
      'cache-control': target.kind === 'thumb' ? 'private, max-age=3600' : 'no-cache',
    });
  });
}
