// HQ's API auth scheme, and which sessions each route's declared role takes.
import type { RouteOptions } from 'fastify';
import { asyncApiDocument } from '../../sync/asyncapi.js';
import type { OpenApiOptions } from '../../sync/kernel/http/openapi.js';
import { VERSION } from '../../sync/kernel/version.js';
import type { HqRole } from './auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call an HQ route: anyone, or a signed-in analyst or operator */
    role?: HqRole | 'public';
  }
}

export const hqOpenApi: OpenApiOptions = {
  title: 'storeedge HQ API',
  description: [
    "HQ's HTTP API for a chain: stores and their state, sales, figures, people counts and heatmaps,",
    'the quarantine, pushes, releases and rollouts, certificates, and the chain ledger.',
    'Sign in with POST /api/v1/sessions; analysts read, operators also push and roll out.',
    'Errors have one shape: { error: { code, message, details?, requestId } }.',
  ].join(' '),
  version: VERSION,
  securitySchemes: {
    hqSession: {
      type: 'http',
      scheme: 'bearer',
      description: 'The token from POST /api/v1/sessions; the route says whether an analyst or an operator',
    },
  },
  security: (route: RouteOptions) => {
    const role = route.config?.role;
    return role && role !== 'public' ? [{ hqSession: [role] }] : [];
  },
  asyncApi: asyncApiDocument,
  hidden: (url) => url.startsWith('/ui/') || url === '/' || url === '/ui',
};
