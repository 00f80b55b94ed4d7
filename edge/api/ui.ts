// The store's web pages, served by the daemon itself from edge/ui (plain ES modules and
// CSS, nothing fetched from outside: the store may be offline).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** edge/ui from the sources, or from the built daemon in dist/. */
export function uiRoot(): string {
  for (const rel of ['../ui/', '../../../edge/ui/']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${p}staff/index.html`)) return p;
  }
  throw new Error('edge/ui not found');
}

export const uiRoutes: FastifyPluginAsync = async (app) => {
  await app.register(fastifyStatic, {
    root: uiRoot(),
    prefix: '/ui/',
    index: 'index.html',
    // pages change with the daemon; a stale cached script after an upgrade is worse than a refetch
    cacheControl: false,
    etag: true,
    setHeaders: (res) => {
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader(
        'content-security-policy',
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'",
      );
    },
  });
  // third-party browser code the pages use, served from the installed npm packages
  // (never a CDN), only the files named: zxing decodes barcodes from the phone camera
  // where the browser has no BarcodeDetector; qrcode-generator draws the phone's QR
  // codes; uPlot draws the staff dashboard's charts
  const resolvePkg = createRequire(import.meta.url).resolve;
  const vendor = (name: string, dir: string, ...files: string[]) =>
    app.register(fastifyStatic, {
      root: dir,
      prefix: `/ui/vendor/${name}/`,
      decorateReply: false,
      allowedPath: (path) => files.some((f) => path === `/${f}`),
    });
  await vendor('zxing', join(dirname(resolvePkg('@zxing/library/package.json')), 'umd'), 'index.min.js');
  // (its exports map names no package.json: the CommonJS entry sits in dist/ beside the .mjs)
  await vendor('qrcode', dirname(resolvePkg('qrcode-generator')), 'qrcode.mjs');
  await vendor('uplot', dirname(resolvePkg('uplot')), 'uPlot.esm.js', 'uPlot.min.css');
  app.get('/', async (_req, reply) => reply.redirect('/ui/staff/'));
};
