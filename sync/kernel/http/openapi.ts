// The HTTP contract as an OpenAPI 3.1 document, generated from the route schemas the
// routes already validate with (@fastify/swagger), and served with Swagger UI from the
// installed package (no CDN: the store may be offline). Shared by the store and HQ:
// each says how a route's declared access maps to its auth schemes.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { contractCheckOn } from '../contract-mode.js';
import { ERROR_CODES } from '../error-codes.js';
import { installContractCheck } from './contract-check.js';
import { ErrorSchema } from './errors.js';

type SecurityRequirement = Record<string, string[]>;

/** what an Idempotency-Key may be: the routes check it, the document publishes it */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

export interface OpenApiOptions {
  title: string;
  description: string;
  version: string;
  securitySchemes: Record<string, Record<string, unknown>>;
  /** the route's auth, from what it declares: [] when anyone may call it */
  security: (route: RouteOptions) => SecurityRequirement[];
  /** paths that are not part of the API (static pages, redirects) */
  hidden: (url: string) => boolean;
  /** the MQTT interface's AsyncAPI document, served beside this one */
  asyncApi?: () => Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** a write that needs an Idempotency-Key header (see idempotency.ts) */
    idempotent?: boolean;
  }
}

const IDEMPOTENCY_HEADER = {
  type: 'string',
  pattern: IDEMPOTENCY_KEY.source,
  examples: ['kiosk-1:cart-7f3a:scan-0003'],
  description:
    'Required on writes: a retry with the same key and body gets the first answer again (header idempotent-replayed: true); the same key with another body is refused (409).',
};

const ERROR_RESPONSE = {
  description:
    'An error: the status gives its class, error.code names it (e.g. VALIDATION_FAILED, CART_NOT_FOUND, RATE_LIMITED), error.requestId matches the daemon log',
  ...ErrorSchema,
  examples: [
    {
      error: {
        code: 'BAD_BARCODE',
        message: 'check digit is 6, not 7',
        details: { reason: 'CHECK_DIGIT' },
        requestId: 'req-1a',
      },
    },
    {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'body/qty must be >= 1',
        details: [{ path: 'body/qty', message: 'must be >= 1' }],
        requestId: 'req-1b',
      },
    },
  ],
};

/** Registers the document generator and /docs; call before any route is registered. */
export function installOpenApi(app: FastifyInstance, o: OpenApiOptions): void {
  // on the root context itself (both are fastify-plugin wrapped), queued before the routes
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: o.title, description: o.description, version: o.version },
      // every error code an answer may carry, with its status and meaning (error-codes.ts)
      components: { securitySchemes: o.securitySchemes as never, 'x-error-codes': ERROR_CODES } as never,
    },
    transform: ({ schema, url, route }) => {
      const s = { ...(schema ?? {}) } as Record<string, unknown>;
      if (o.hidden(url)) return { schema: { ...s, hide: true } as never, url };
      s.security = o.security(route as RouteOptions);
      if ((route as RouteOptions).config?.idempotent) {
        const headers = (s.headers ?? { type: 'object', properties: {} }) as {
          properties?: Record<string, unknown>;
          required?: string[];
        };
        s.headers = {
          ...headers,
          properties: { ...headers.properties, 'idempotency-key': IDEMPOTENCY_HEADER },
          required: [...(headers.required ?? []), 'idempotency-key'],
        };
      }
      s.response = { ...((s.response as object | undefined) ?? {}), default: ERROR_RESPONSE };
      return { schema: s as never, url };
    },
  });
  app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  const asyncApi = o.asyncApi;
  if (asyncApi) {
    let doc: Record<string, unknown> | null = null;
    app.register(async (docs) => {
      docs.get('/docs/asyncapi.json', { schema: { hide: true } }, async () => {
        doc ??= asyncApi();
        return doc;
      });
    });
  }
  if (contractCheckOn()) installContractCheck(app, () => app.swagger());
}
