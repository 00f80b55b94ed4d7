// HQ's HTTP app (built without listening, so tests inject requests): uniform errors,
// a body limit, no type coercion and no unknown keys, /healthz and /readyz, and the
// API under /api/v1.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { installErrorHandling } from '../../sync/kernel/http/errors.js';
import { installOpenApi } from '../../sync/kernel/http/openapi.js';
import type { PartStatus } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import type { StoreCertificates } from '../certificates/part.js';
import type { PushSender } from '../pushes.js';
import type { Bundles } from '../releases/bundles.js';
import type { Deltas } from '../releases/deltas.js';
import type { Rollouts } from '../releases/rollouts.js';
import { MaintenanceWindows } from '../releases/windows.js';
import type { SupportBundles } from '../support-bundles.js';
import type { HqAuth } from './auth.js';
import { certificateRoutes } from './certificate-routes.js';
import { figureRoutes } from './figures-routes.js';
import { hqOpenApi } from './hq-openapi.js';
import { ledgerRoutes } from './ledger-routes.js';
import { releaseRoutes } from './release-routes.js';
import { hqRoutes } from './routes.js';
import { storeRoutes } from './store-routes.js';
import { supportRoutes } from './support-routes.js';
import { hqUiRoutes } from './ui.js';

export interface HqAppOptions {
  log: Logger;
  /** HTTPS (HTTP/2 with HTTP/1.1 beside it) with this certificate; plain HTTP when null */
  https?: { cert: string; key: string } | null;
  pool: pg.Pool;
  /** where the figures are read: a standby of an HA cluster; the pool where there is one server */
  readPool?: pg.Pool;
  auth: HqAuth;
  pushes: PushSender;
  bundles: Bundles;
  rollouts: Rollouts;
  deltas?: Deltas | null;
  certificates?: StoreCertificates | null;
  supportBundles?: SupportBundles | null;
  bodyLimitBytes: number;
  parts: () => PartStatus[];
  metrics: Registry;
}

export function buildHqApp(o: HqAppOptions): FastifyInstance {
  // an HTTP/2 app is typed apart from an HTTP/1 one; the routes use only what both have
  const app = (Fastify as (o: Record<string, unknown>) => FastifyInstance)({
    ...(o.https ? { http2: true, https: { ...o.https, allowHTTP1: true } } : {}),
    loggerInstance: o.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimitBytes,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
  });
  installErrorHandling(app);
  // over HTTPS, browsers are told to come back only over HTTPS (for a year)
  if (o.https)
    app.addHook('onSend', async (_req, reply) => {
      reply.header('strict-transport-security', 'max-age=31536000');
    });
  // first, so that it sees every route registered after it
  installOpenApi(app, hqOpenApi);
  app.register(async (ops) => {
    ops.get(
      '/healthz',
      { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } },
      async () => ({ ok: true }),
    );
    const ready = {
      type: 'object',
      required: ['ready', 'parts'],
      properties: {
        ready: { type: 'boolean' },
        parts: { type: 'array', items: { type: 'object', additionalProperties: true } },
      },
    };
    ops.get('/readyz', { schema: { response: { 200: ready, 503: ready } } }, async (_req, reply) => {
      const parts = o.parts();
      const ok = parts.every((p) => p.state === 'ready' || p.name === 'http');
      reply.status(ok ? 200 : 503);
      return { ready: ok, parts };
    });
    ops.get(
      '/metrics',
      { schema: { response: { 200: { content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      async (_req, reply) => {
        reply.header('content-type', o.metrics.contentType);
        return o.metrics.metrics();
      },
    );
  });
  // every API route says who may call it (documented as its security; see hq-openapi.ts)
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && !route.config?.role)
      throw new Error(`HQ route ${route.method} ${route.url} declares no role`);
  });
  app.register(hqRoutes, { prefix: '/api/v1', pool: o.pool, auth: o.auth, pushes: o.pushes });
  app.register(figureRoutes, { prefix: '/api/v1', pool: o.readPool ?? o.pool, auth: o.auth });
  app.register(storeRoutes, { prefix: '/api/v1', pool: o.pool, auth: o.auth });
  app.register(ledgerRoutes, { prefix: '/api/v1', pool: o.pool, auth: o.auth });
  app.register(releaseRoutes, {
    prefix: '/api/v1',
    auth: o.auth,
    bundles: o.bundles,
    rollouts: o.rollouts,
    windows: new MaintenanceWindows(o.pool),
    deltas: o.deltas ?? null,
  });
  app.register(certificateRoutes, { prefix: '/api/v1', auth: o.auth, certificates: o.certificates ?? null });
  app.register(supportRoutes, { prefix: '/api/v1', auth: o.auth, bundles: o.supportBundles ?? null });
  app.register(hqUiRoutes);
  return app;
}
