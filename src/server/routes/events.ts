// Server-sent events: the library's progress and changes, to every open stream, a few per client.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { HTTP, type BackendEvent } from '../../shared/api.js';
import type { Library } from '../../core/index.js';
import { HttpError } from '../guards.js';
import { KeyedSlots, STREAMS_PER_CLIENT, STREAMS_TOTAL } from '../limits.js';

export class EventStreams {
  private readonly streams = new Set<ServerResponse>();
  private readonly slots = new KeyedSlots(STREAMS_PER_CLIENT, STREAMS_TOTAL);
  private unsubscribe: (() => void) | undefined;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(private readonly library: Library) {}

  /** The route a page opens its stream on; the first event is the status as it is now. */
  route(app: FastifyInstance): void {
    const { library, streams } = this;
    app.get(HTTP.events, async (req, reply) => {
      const key = req.who.session ? `s:${req.who.session}` : `a:${req.ip}`;
      const release = this.slots.take(key);
      if (!release) throw new HttpError(429, `Too many event streams open (at most ${STREAMS_PER_CLIENT} per client, ${STREAMS_TOTAL} in all).`, 'rate-limited');
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
      streams.add(res);
      req.raw.socket.setTimeout(0);
      const done = () => {
        streams.delete(res);
        release();
      };
      req.raw.on('close', done);
      res.on('close', done);
      try {
        res.write(`data: ${JSON.stringify({ type: 'status', status: await library.status() } satisfies BackendEvent)}\n\n`);
      } catch {
        res.destroy();
      }
    });
  }

  /** From now on the library's events go to every open stream. */
  start(): void {
    const streams = this.streams;
    this.unsubscribe = this.library.onEvent((e: BackendEvent) => {
      const frame = `data: ${JSON.stringify(e)}\n\n`;
      for (const r of streams) r.write(frame);
    });
    // Server-sent events keep connections open; a comment now and then keeps proxies from closing them.
    this.keepAlive = setInterval(() => {
      for (const r of streams) r.write(': keep-alive\n\n');
    }, 15_000);
    this.keepAlive.unref();
  }

  /** No more events; with `end`, the open streams are ended too. */
  stop(end: boolean): void {
    clearInterval(this.keepAlive);
    this.unsubscribe?.();
    if (!end) return;
    for (const r of this.streams) r.end();
    this.streams.clear();
  }
}
