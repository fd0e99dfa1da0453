// Export: the photos are checked and named when asked, then downloaded from a plain link (so the
// browser streams it to disk), once, within a minute, by whoever asked (docs/SERVER.md).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HTTP, type ExportTicket } from '../../shared/api.js';
import { ApiError, checkPathList, type Library } from '../../core/index.js';
import type { Identity } from '../auth.js';
import { HttpError } from '../guards.js';
import { uniqueNames, zipStream, type ZipSource } from '../zip.js';
import { TYPES } from './photos.js';

const EXPORT_TTL_MS = 60_000;
const EXPORTS_WAITING = 64;

export function registerExportRoutes(app: FastifyInstance, library: Library): void {
  const exportsWaiting = new Map<string, { who: string; expires: number; sources: ZipSource[]; name: string }>();
  const whoKey = (w: Identity) => `${w.via}:${w.session ?? ''}`;
  app.post(HTTP.exportPrepare, async (req): Promise<ExportTicket> => {
    const list = checkPathList((req.body as { paths?: unknown } | undefined)?.paths);
    const sources: ZipSource[] = [];
    for (const p of list) {
      // Only indexed photos inside the library folders, by the path they were indexed by (as reveal).
      const file = await library.photoTarget(p, 'reveal');
      const st = await fs.promises.stat(file).catch(() => null);
      if (!st?.isFile()) throw new ApiError('not-found', `${path.basename(file)} is no longer in its folder.`);
      sources.push({ file, name: path.basename(file), size: st.size, mtimeMs: st.mtimeMs });
    }
    uniqueNames(sources.map((s) => s.name)).forEach((n, i) => (sources[i].name = n));
    const now = Date.now();
    for (const [k, t] of exportsWaiting) if (t.expires < now) exportsWaiting.delete(k);
    if (exportsWaiting.size >= EXPORTS_WAITING) throw new HttpError(429, 'Too many downloads are waiting to start; try again in a minute.', 'rate-limited');
    const d = new Date(now);
    const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    const name = sources.length === 1 ? sources[0].name : `photowords-export-${day}.zip`;
    const ticket = crypto.randomBytes(24).toString('base64url');
    exportsWaiting.set(ticket, { who: whoKey(req.who), expires: now + EXPORT_TTL_MS, sources, name });
    return { ticket, name, files: sources.length, bytes: sources.reduce((n, s) => n + s.size, 0) };
  });
  app.get<{ Querystring: { ticket?: string } }>(HTTP.exportDownload, async (req, reply) => {
    const ticket = req.query.ticket ?? '';
    const t = exportsWaiting.get(ticket);
    if (!t || t.expires < Date.now() || t.who !== whoKey(req.who)) throw new HttpError(404, 'That download has expired or was taken already; export again.');
    // A HEAD (a browser probing the link) leaves the ticket for the GET.
    if (req.method !== 'HEAD') exportsWaiting.delete(ticket);
    const ascii = t.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
    reply
      .header('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(t.name)}`)
      .header('Cache-Control', 'no-store')
      .header('X-Content-Type-Options', 'nosniff');
    if (t.sources.length === 1) {
      reply.header('Content-Type', TYPES[path.extname(t.name).toLowerCase()] ?? 'application/octet-stream');
      return reply.send(req.method === 'HEAD' ? undefined : fs.createReadStream(t.sources[0].file));
    }
    reply.header('Content-Type', 'application/zip');
    return reply.send(req.method === 'HEAD' ? undefined : zipStream(t.sources));
  });
}
