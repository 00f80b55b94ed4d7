// Builds the HTTP app without listening, so tests drive it with inject().
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../logger.js';
import { installErrorHandling } from './errors.js';
import type { Metrics } from './metrics.js';
import { type OpsDeps, opsRoutes } from './ops.js';

export interface AppOptions extends OpsDeps {
  log: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
}

export function buildApp(opts: AppOptions): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a superset of FastifyBaseLogger; the cast only narrows the type
    loggerInstance: opts.log as FastifyBaseLogger,
    // per-request lines would drown the log (kiosks poll); metrics count requests instead
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimitBytes,
    requestTimeout: opts.requestTimeoutMs,
    // unknown body keys are an error (schemas say additionalProperties: false), not silently dropped
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
  });
  installErrorHandling(app);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route };
    opts.metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
    opts.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) req.log.warn({ route, status: reply.statusCode }, 'request failed');
  });
  app.register(opsRoutes, opts);
  return app;
}
