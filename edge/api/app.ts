// Builds the HTTP app without listening, so tests drive it with inject().

import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { ApiError } from '../../sync/kernel/errors.js';
import { installErrorHandling } from '../../sync/kernel/http/errors.js';
import { installOpenApi } from '../../sync/kernel/http/openapi.js';
import type { Logger } from '../../sync/kernel/logger.js';
import { BarcodeError } from '../catalog/gtin.js';
import { installAccess } from './access.js';
import { cartRoutes } from './carts.js';
import { type DemoDeps, demoRoutes } from './demo.js';
import type { BusinessDeps } from './deps.js';
import { exitPassRoutes } from './exit-pass.js';
import { guideRoutes } from './guides.js';
import { kioskRoutes } from './kiosk.js';
import { liveRoutes } from './live.js';
import type { Metrics } from './metrics.js';
import { type OpsDeps, opsRoutes } from './ops.js';
import { shopperRoutes } from './shopper.js';
import { staffRoutes } from './staff.js';
import { storeOpenApi } from './store-openapi.js';
import { uiRoutes } from './ui.js';
import { visionRoutes } from './vision.js';
import { walletRoutes } from './wallet.js';

export interface AppOptions extends OpsDeps {
  log: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /** the store's business routes under /api/v1; absent for an ops-only app */
  business?: BusinessDeps;
  /** routes that drive simulated devices; only for a store with simulated devices */
  demo?: DemoDeps;
  shopperRateLimitPerMinute?: number;
  /** serve over TLS (HTTP/2 with HTTP/1.1 fallback) with this key and chain */
  https?: { key: string; cert: string };
  /** Strict-Transport-Security max-age for HTTPS answers; 0 (e.g. while self-signed): none */
  hstsMaxAge?: () => number;
  /** plain HTTP beside HTTPS: callers are sent to HTTPS (those on this box too, unless exceptLoopback) */
  redirect?: { to: (path: string) => string; exceptLoopback: boolean };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;
/** a caller on this box itself (its own kiosk browser, probes), by the socket's address */
export const isLoopback = (address: string | undefined) => LOOPBACK.test(address ?? '');

export function buildApp(opts: AppOptions): FastifyInstance {
  // an HTTP/2 app is typed apart from an HTTP/1 one; the routes use only what both have
  const app = (Fastify as (o: Record<string, unknown>) => FastifyInstance)({
    ...(opts.https ? { http2: true, https: { ...opts.https, allowHTTP1: true } } : {}),
    // pino's Logger is a superset of FastifyBaseLogger; the cast only narrows the type
    loggerInstance: opts.log as FastifyBaseLogger,
    // per-request lines would drown the log (kiosks poll); metrics count requests instead
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimitBytes,
    requestTimeout: opts.requestTimeoutMs,
    // unknown body keys are an error (schemas say additionalProperties: false), not silently dropped
    // no type coercion either: a number where a string belongs is the client's bug, not data
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
  });
  // a bad barcode is the shopper's input, not a fault: 422 with what was wrong with it
  installErrorHandling(app, (err) =>
    err instanceof BarcodeError
      ? { status: 422, code: 'BAD_BARCODE', message: err.message, details: { reason: err.code } }
      : null,
  );
  const redirect = opts.redirect;
  if (redirect)
    // a phone on the Wi-Fi that typed http:// goes to HTTPS, before anything is read or answered
    app.addHook('onRequest', async (req, reply) => {
      if (redirect.exceptLoopback && isLoopback(req.socket.remoteAddress)) return;
      return reply.redirect(redirect.to(req.url), req.method === 'GET' || req.method === 'HEAD' ? 301 : 308);
    });
  const hsts = opts.hstsMaxAge;
  if (hsts)
    app.addHook('onSend', async (_req, reply) => {
      const age = hsts();
      if (age > 0) reply.header('strict-transport-security', `max-age=${age}`);
    });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route };
    opts.metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
    opts.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) req.log.warn({ route, status: reply.statusCode }, 'request failed');
  });
  // first, so that it sees every route registered after it
  installOpenApi(app, storeOpenApi);
  app.register(opsRoutes, opts);
  app.register(uiRoutes);
  const business = opts.business;
  if (business) {
    app.register(
      async (api) => {
        installAccess(api, business);
        // shoppers' phones share the store Wi-Fi: a per-address budget keeps one from
        // starving the rest; kiosks and staff (authenticated) are not limited
        await api.register(rateLimit, {
          max: opts.shopperRateLimitPerMinute ?? 600,
          timeWindow: 60_000,
          allowList: (req) => Boolean(req.headers.authorization || req.headers['x-staff-token']),
          errorResponseBuilder: (_req, ctx) =>
            new ApiError(429, 'RATE_LIMITED', `too many requests: retry in ${Math.ceil(ctx.ttl / 1000)} s`),
        });
        await api.register(cartRoutes, business);
        await api.register(shopperRoutes, business);
        await api.register(kioskRoutes, business);
        await api.register(staffRoutes, business);
        await api.register(visionRoutes, business);
        await api.register(liveRoutes, business);
        await api.register(exitPassRoutes, business);
        await api.register(walletRoutes, business);
        await api.register(guideRoutes, business);
        if (opts.demo) await api.register(demoRoutes, opts.demo);
      },
      { prefix: '/api/v1' },
    );
  }
  return app;
}
