// HQ's own page, served by HQ's API from hq/ui (plain ES modules, no CDN), with the
// store pages' shared stylesheet and API helper from edge/ui/shared.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** hq/ui from the sources, or from the built service in dist/. */
function hqUiRoot(): string {
  for (const rel of ['../ui/', '../../../hq/ui/']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${p}index.html`)) return p;
  }
  throw new Error('hq/ui not found');
}

/** The store pages' shared files (a folder HQ serves, not code it imports). */
function sharedUiRoot(): string {
  for (const rel of ['../../edge/ui/shared/', '../../../edge/ui/shared/']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${p}style.css`)) return p;
  }
  throw new Error('edge/ui/shared not found');
}

const headers = (res: { setHeader(k: string, v: string): void }) => {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader(
    'content-security-policy',
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  );
};

export const hqUiRoutes: FastifyPluginAsync = async (app) => {
  await app.register(fastifyStatic, {
    root: hqUiRoot(),
    prefix: '/ui/',
    index: 'index.html',
    cacheControl: false,
    etag: true,
    setHeaders: headers,
  });
  await app.register(fastifyStatic, {
    root: sharedUiRoot(),
    prefix: '/ui/shared/',
    decorateReply: false,
    cacheControl: false,
    allowedPath: (path) => ['/style.css', '/api.js', '/i18n.js'].includes(path),
    setHeaders: headers,
  });
  app.get('/', async (_req, reply) => reply.redirect('/ui/'));
};
