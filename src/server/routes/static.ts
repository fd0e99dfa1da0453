// The UI's files (the renderer build), with the page's security headers.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

// The same policy as the renderer's meta tag, plus what only a header can say (frame-ancestors).
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " + "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function registerStatic(app: FastifyInstance, staticDir: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: fs.realpathSync(staticDir),
    wildcard: true,
    index: ['index.html'],
    dotfiles: 'ignore',
    cacheControl: false,
    setHeaders: (res, file) => {
      if (file.endsWith('.html')) {
        res.header('Content-Security-Policy', CSP);
        res.header('X-Frame-Options', 'DENY');
        res.header('Referrer-Policy', 'no-referrer');
      }
      res.header('X-Content-Type-Options', 'nosniff');
      // Vite names assets by content hash, so they never change under one URL.
      res.header('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
