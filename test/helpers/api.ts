// The business app over a demo database, driven with fastify inject: two kiosks with
// tokens, a cashier and a supervisor.
import type { FastifyInstance } from 'fastify';
import { CartTokens, KioskAuth, MemberSessions } from '../../edge/api/access.js';
import { buildApp } from '../../edge/api/app.js';
import { createMetrics } from '../../edge/api/metrics.js';
import { StaffAuth } from '../../edge/api/staff-auth.js';
import type { Db } from '../../edge/db/open.js';
import { hashPin } from '../../sync/kernel/pin.js';
import { memoryLogger } from './log.js';
import { ctx, demoDb, layouts, SEED_NOW } from './store.js';

export const KIOSK_TOKENS = {
  'kiosk-1': 'kiosk-1-test-token-0123456789',
  'kiosk-2': 'kiosk-2-test-token-9876543210',
};

export interface TestApi {
  app: FastifyInstance;
  db: Db;
  setClock(t: number): void;
}

export async function testApi(opts: { shopperRateLimitPerMinute?: number } = {}): Promise<TestApi> {
  const db = demoDb();
  let clock = SEED_NOW;
  const staff = [
    { id: 'cashier-1', name: 'Li', role: 'cashier' as const, pinHash: hashPin('1234', undefined, 1024) },
    { id: 'sup-1', name: 'Wang', role: 'supervisor' as const, pinHash: hashPin('5678', undefined, 1024) },
  ];
  const app = buildApp({
    log: memoryLogger('warn').log,
    parts: () => [],
    metrics: createMetrics(() => []),
    info: { storeId: 'demo-store-001', version: 't', configSource: 't', configSha256: null },
    startedAt: 0,
    bodyLimitBytes: 16 * 1024,
    requestTimeoutMs: 5000,
    ...(opts.shopperRateLimitPerMinute ? { shopperRateLimitPerMinute: opts.shopperRateLimitPerMinute } : {}),
    business: {
      db,
      clock: () => clock,
      store: { id: 'demo-store-001', name: '演示门店', timezone: 'Asia/Shanghai' },
      loyalty: ctx().loyalty,
      scanOptions: { variableMeasure: layouts, currencyNumeric: '156' },
      staffAuth: new StaffAuth({ staff, clock: () => clock, maxFailures: 3, lockoutMs: 60_000 }),
      kioskAuth: new KioskAuth(Object.entries(KIOSK_TOKENS).map(([kioskId, token]) => ({ kioskId, token }))),
      cartTokens: new CartTokens(() => db),
      memberSessions: new MemberSessions(() => db),
      kiosks: null,
      vision: null,
    },
  });
  await app.ready();
  return { app, db, setClock: (t) => (clock = t) };
}

/** JSON calls into a test app: from kiosk-1 unless `as` says otherwise; a phone cart's
 * token is remembered from its creation and sent along. */
export function caller(app: FastifyInstance) {
  const cartTokens = new Map<string, string>();
  let n = 0;
  return async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    as: { phone?: boolean; staffToken?: string } = {},
  ) => {
    const h: Record<string, string> = as.phone ? {} : { authorization: `Bearer ${KIOSK_TOKENS['kiosk-1']}` };
    const cart = /^\/carts\/([^/]+)/.exec(url)?.[1];
    if (cart && cartTokens.has(cart)) h['x-cart-token'] = cartTokens.get(cart)!;
    if (as.staffToken) h['x-staff-token'] = as.staffToken;
    if (method !== 'GET') h['idempotency-key'] = `caller-${process.pid}-${++n}`;
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: h,
      ...(body === undefined ? {} : { payload: body as object }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: answers are read loosely in tests
    const json: any = res.body ? res.json() : null;
    if (json?.cartToken) cartTokens.set(json.cartId, json.cartToken);
    return { status: res.statusCode, body: json };
  };
}
