// Thumbnails, photos and the duplicates report: files the library resolves (and refuses outside
// its folders), sent with their cache rules and types.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP, REPORT_FORMATS, type ReportFormat } from '../../shared/api.js';
import { REPORT_CSP, type Library } from '../../core/index.js';
import { HttpError } from '../guards.js';

// The report is a file to save, not a page of this origin: its own policy (its meta tag's, which
// allows its one style block by hash), plus what only a header can say.
const REPORT_HEADER_CSP = `${REPORT_CSP}; frame-ancestors 'none'; sandbox`;

export const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.jpe': 'image/jpeg',
  '.jfif': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

function sendFile(req: FastifyRequest, reply: FastifyReply, file: string, cache: string) {
  const st = fs.statSync(file);
  const etag = `"${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`;
  reply.header('ETag', etag).header('Cache-Control', cache);
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  reply
    .header('Content-Type', TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream')
    .header('Content-Length', st.size)
    .header('X-Content-Type-Options', 'nosniff');
  if (req.method === 'HEAD') return reply.send();
  return reply.send(fs.createReadStream(file));
}

export function registerPhotoRoutes(app: FastifyInstance, library: Library, signInRequired: boolean): void {
  // Behind sign-in a photo is asked for again (a 304 while it is unchanged): a browser that has
  // signed out must not go on showing photos from its cache to whoever sits at it next.
  const photoCache = signInRequired ? 'private, no-cache' : 'private, max-age=300';
  app.get<{ Querystring: { path?: string; size?: string } }>(HTTP.thumb, async (req, reply) => {
    const file = await library.thumbnailFile(req.query.path ?? '', Number(req.query.size) || undefined);
    return sendFile(req, reply, file, photoCache);
  });
  app.get<{ Querystring: { path?: string } }>(HTTP.file, async (req, reply) => {
    const file = await library.displayFile(req.query.path ?? '');
    return sendFile(req, reply, file, photoCache);
  });

  app.get<{ Querystring: { format?: string; sensitivity?: string } }>(HTTP.duplicatesReport, async (req, reply) => {
    // A link on another site could start this download: checkOrigin refuses any request whose
    // Sec-Fetch-Site is not our own page or the address bar.
    const format = (req.query.format ?? 'html') as ReportFormat;
    if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new HttpError(400, `A report is ${REPORT_FORMATS.join(', ')}, not ${String(format).slice(0, 40)}.`);
    const sens = req.query.sensitivity;
    const report = await library.duplicatesReport(format, { sensitivity: sens === undefined || sens === '' ? undefined : Number(sens) });
    const body = Buffer.from(report.text, 'utf8');
    reply
      .header('Content-Type', report.type)
      .header('Content-Length', body.length)
      .header('Content-Disposition', `attachment; filename="${report.name}"`)
      .header('Content-Security-Policy', REPORT_HEADER_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-store');
    return reply.send(req.method === 'HEAD' ? undefined : body);
  });
}
