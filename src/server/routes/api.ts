// The typed API over HTTP: one POST a Library method (checked as src/shared/ipc.ts checks the
// desktop's calls), and the raw-bytes upload for "find similar to a file".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HTTP, type SimilarityName } from '../../shared/api.js';
import { checkCall } from '../../shared/ipc.js';
import type { Library } from '../../core/index.js';
import { CALL_ROUTE } from '../access.js';
import { HttpError } from '../guards.js';
import { UPLOAD_LIMIT, UPLOADS_IN_FLIGHT, type Slots } from '../limits.js';

export interface ApiRouteOptions {
  library: Library;
  /** The address the server listens on, and whether it is this computer's alone. */
  host: string;
  loopbackBind: boolean;
  uploadSlots: Slots;
}

export async function registerApiRoutes(app: FastifyInstance, { library, host, loopbackBind, uploadSlots }: ApiRouteOptions): Promise<void> {
  app.post<{ Params: { method: string } }>(CALL_ROUTE, async (req) => {
    const method = req.params.method;
    const checked = checkCall(method, req.body ?? []);
    if ('error' in checked) throw new HttpError(method && checked.error.message.startsWith('Unknown method') ? 404 : 400, checked.error.message);
    // The folder would open on the screen of the computer running serve, not of whoever asks.
    if (checked.method === 'revealPhoto' && !loopbackBind) {
      throw new HttpError(
        403,
        `"Reveal in folder" works only when photowords serve listens on this computer alone (127.0.0.1); it listens on ${host}, so the folder would open on the server's screen. The photo's path is shown beside it.`,
      );
    }
    const fn = library[checked.method] as (...a: unknown[]) => Promise<unknown>;
    const result = await fn.apply(library, checked.args);
    return { result: result ?? null };
  });

  // The upload: its own context, where no parser reads the body, so the handler streams it with
  // its own cap and at most UPLOADS_IN_FLIGHT at once.
  await app.register(async (upload) => {
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    upload.post(HTTP.similarToFile, async (req, reply) => {
      // Refused before its body is read: the connection closes rather than draining what is still coming.
      reply.header('Connection', 'close');
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > UPLOAD_LIMIT) throw new HttpError(413, `That file is too large (over ${UPLOAD_LIMIT >> 20} MB).`);
      const release = uploadSlots.take();
      if (!release) {
        reply.header('Retry-After', '5');
        throw new HttpError(503, `The server is reading ${UPLOADS_IN_FLIGHT} other uploads; try again in a moment.`, 'unavailable');
      }
      try {
        const bytes = await readCapped(req, UPLOAD_LIMIT);
        reply.removeHeader('Connection');
        const q = req.query as Record<string, string | undefined>;
        const top = q.top;
        const similarity = (q.similarity ?? undefined) as SimilarityName | undefined;
        const result = await library.similarToFile({ name: String(q.name ?? 'photo').slice(0, 1024), bytes }, { top: top ? Number(top) : undefined, similarity });
        return { result };
      } finally {
        release();
      }
    });
  });
}

/**
 * The request body, at most `limit` bytes (413 past it), held once: with a Content-Length, read
 * straight into a buffer of that size; chunked, streamed to a private temp file (mode 0600 in a
 * 0700 folder) and read back whole, so neither way holds a second copy while it arrives.
 */
async function readCapped(req: FastifyRequest, limit: number): Promise<Uint8Array> {
  const raw = req.raw;
  const tooLarge = () => new HttpError(413, `That file is too large (over ${limit >> 20} MB).`);
  const declared = raw.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, 'The Content-Length header is not a number.');
    if (n > limit) throw tooLarge();
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    for await (const c of raw as AsyncIterable<Buffer>) {
      // node stops at Content-Length; more would be a bug, so refuse rather than overrun.
      if (at + c.length > n) throw new HttpError(400, 'The body is longer than its Content-Length.');
      c.copy(out, at);
      at += c.length;
    }
    if (at !== n) throw new HttpError(400, 'The upload was cut off.');
    return out;
  }
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'photowords-upload-'));
  const file = path.join(dir, 'body');
  try {
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        done(size > limit ? tooLarge() : null, chunk);
      },
    });
    await pipeline(raw, counter, fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    return await fs.promises.readFile(file);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
