// Every error a route or fastify throws leaves as the API's one shape ({ error: { message, code } }),
// with the status its code stands for; an unknown route is a 404 of the same shape.
import type { FastifyInstance } from 'fastify';
import type { ApiErrorShape } from '../../shared/api.js';
import { ApiError } from '../../core/index.js';
import { HttpError } from '../guards.js';

const STATUS: Record<string, number> = { 'not-found': 404, 'bad-request': 400, forbidden: 403, busy: 409, internal: 500, unavailable: 503 };
const CODE_OF: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'bad-request',
  409: 'busy',
  413: 'bad-request',
  415: 'bad-request',
  429: 'rate-limited',
  503: 'unavailable',
};

export function registerErrorHandlers(app: FastifyInstance, log: (m: string) => void): void {
  app.setErrorHandler((err: unknown, _req, reply) => {
    let status = 500;
    let shape: ApiErrorShape;
    if (err instanceof ApiError) {
      status = STATUS[err.code] ?? 500;
      shape = { message: err.message, code: err.code };
    } else if (err instanceof HttpError) {
      status = err.status;
      shape = { message: err.message, code: err.code ?? CODE_OF[status] ?? 'bad-request' };
    } else if (typeof (err as { statusCode?: unknown })?.statusCode === 'number' && (err as { statusCode: number }).statusCode < 500) {
      // fastify's own (a body too large, a bad content type, a rate limit): its words, our shape.
      status = (err as { statusCode: number }).statusCode;
      const tooLarge = status === 413;
      shape = { message: tooLarge ? 'That is too large.' : (err as Error).message, code: CODE_OF[status] ?? 'bad-request' };
    } else {
      shape = { message: `Something went wrong: ${(err as Error)?.message ?? String(err)}`, code: 'internal' };
      log(`error: ${(err as Error)?.stack ?? String(err)}`);
    }
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    reply.code(status).header('Cache-Control', 'no-store').send({ error: shape });
  });

  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .header('Cache-Control', 'no-store')
      .send({ error: { message: `Not found: ${req.url.split('?')[0].slice(0, 200)}`, code: 'not-found' } });
  });
}
