// Operations routes: liveness, readiness with each part's state, Prometheus metrics.
import type { FastifyPluginAsync } from 'fastify';
import type { PartStatus } from '../../sync/kernel/lifecycle.js';
import type { Metrics } from './metrics.js';

export interface OpsDeps {
  parts: () => PartStatus[];
  metrics: Metrics;
  info: { storeId: string; version: string; configSource: string; configSha256: string | null };
  startedAt: number;
}

const PartSchema = {
  type: 'object',
  required: ['name', 'state', 'since'],
  properties: {
    name: { type: 'string' },
    state: { type: 'string' },
    since: { type: 'string' },
    error: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

export const opsRoutes: FastifyPluginAsync<OpsDeps> = async (app, deps) => {
  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['status', 'uptimeSeconds'],
            properties: { status: { const: 'ok' }, uptimeSeconds: { type: 'number' } },
          },
        },
      },
    },
    async () => ({ status: 'ok' as const, uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000) }),
  );

  const readySchema = {
    type: 'object',
    required: ['ready', 'storeId', 'version', 'config', 'parts'],
    properties: {
      ready: { type: 'boolean' },
      storeId: { type: 'string' },
      version: { type: 'string' },
      config: {
        type: 'object',
        properties: { source: { type: 'string' }, sha256: { type: ['string', 'null'] } },
      },
      parts: { type: 'array', items: PartSchema },
      memory: {
        type: 'object',
        properties: { rssBytes: { type: 'number' }, heapUsedBytes: { type: 'number' } },
      },
    },
  } as const;
  app.get(
    '/readyz',
    { schema: { response: { 200: readySchema, 503: readySchema } } },
    async (_req, reply) => {
      const parts = deps.parts();
      const ready = parts.length > 0 && parts.every((p) => p.state === 'ready');
      reply.status(ready ? 200 : 503);
      return {
        ready,
        storeId: deps.info.storeId,
        version: deps.info.version,
        config: { source: deps.info.configSource, sha256: deps.info.configSha256 },
        parts,
        // for the staff dashboard's health panel; /metrics has the full set
        memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
      };
    },
  );

  const prometheusText = { content: { 'text/plain': { schema: { type: 'string' } } } };
  app.get('/metrics', { schema: { response: { 200: prometheusText } } }, async (_req, reply) => {
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
};
