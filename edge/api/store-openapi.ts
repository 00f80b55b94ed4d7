// The store API's auth schemes, and which of them each declared access accepts (see
// access.ts for what each access means).
import type { RouteOptions } from 'fastify';
import { asyncApiDocument } from '../../sync/asyncapi.js';
import type { OpenApiOptions } from '../../sync/kernel/http/openapi.js';
import { VERSION } from '../../sync/kernel/version.js';
import type { Access } from './access.js';

const kiosk = { kioskToken: [] };
const staff = { staffToken: [] };
const cart = { cartToken: [] };

const BY_ACCESS: Record<Access, Record<string, string[]>[]> = {
  public: [],
  // the member code or session is optional on some of these and checked by the route
  member: [{ memberSession: [] }, { memberCode: [] }, {}],
  staff: [staff],
  kiosk: [kiosk],
  'kiosk-station': [kiosk, staff],
  cart: [kiosk, cart, staff],
  'kiosk-cart': [kiosk, staff],
  sale: [kiosk, cart, staff],
  'cart-create': [kiosk, {}],
};

export const storeOpenApi: OpenApiOptions = {
  title: 'storeedge store API',
  description: [
    'The HTTP API of one store box: kiosks, shoppers’ phones, staff pages and operations.',
    'Money is integer fen (tax-inclusive). Every write takes an Idempotency-Key.',
    'Errors have one shape: { error: { code, message, details?, requestId } }.',
    'Business routes are under /api/v1; /healthz, /readyz and /metrics are for operations.',
  ].join(' '),
  version: VERSION,
  securitySchemes: {
    kioskToken: {
      type: 'http',
      scheme: 'bearer',
      description: 'A provisioned kiosk’s token (config kiosks[].token); the kiosk acts for itself only',
    },
    cartToken: {
      type: 'apiKey',
      in: 'header',
      name: 'X-Cart-Token',
      description:
        'The token a phone cart was created with: its shopper may change it until a kiosk takes it',
    },
    staffToken: {
      type: 'apiKey',
      in: 'header',
      name: 'X-Staff-Token',
      description: 'From POST /api/v1/staff/sessions (staff id and PIN); roles are checked per action',
    },
    memberSession: {
      type: 'apiKey',
      in: 'header',
      name: 'X-Member-Session',
      description:
        'From POST /api/v1/members/sessions: a member’s session on their phone, expires after 12 h',
    },
    memberCode: {
      type: 'apiKey',
      in: 'header',
      name: 'X-Member-Code',
      description: 'The member’s signed member code itself (from their member card)',
    },
  },
  security: (route: RouteOptions) => {
    const access = route.config?.access;
    return access ? BY_ACCESS[access] : [];
  },
  asyncApi: asyncApiDocument,
  hidden: (url) => url.startsWith('/ui/') || url === '/',
};
