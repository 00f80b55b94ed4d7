// Who may call what: every business route declares its access, and each kind of caller
// is refused where it does not belong (401 without credentials, 403 with the wrong ones).
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CartTokens, installAccess, KioskAuth } from '../../edge/api/access.js';
import { StaffAuth } from '../../edge/api/staff-auth.js';
import { KIOSK_TOKENS, type TestApi, testApi } from '../helpers/api.js';
import { demoDb, gtinOf } from '../helpers/store.js';

let t: TestApi;
let n = 0;
beforeAll(async () => {
  t = await testApi({ shopperRateLimitPerMinute: 30 });
});
afterAll(async () => {
  await t.app.close();
});

const K1 = { authorization: `Bearer ${KIOSK_TOKENS['kiosk-1']}` };
const K2 = { authorization: `Bearer ${KIOSK_TOKENS['kiosk-2']}` };

async function call(
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string> = {},
  body?: unknown,
) {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(method === 'POST' ? { 'idempotency-key': `access-${++n}-key` } : {}), ...headers },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely here
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

describe('route access', () => {
  it('every business route declares who may call it; a route without is refused at start', async () => {
    const app = Fastify();
    const start = async () => {
      await app.register(async (api) => {
        installAccess(api, {
          db: demoDb(),
          kioskAuth: new KioskAuth([]),
          cartTokens: new CartTokens(() => demoDb()),
          staffAuth: new StaffAuth({ staff: [], clock: Date.now }),
        });
        api.get('/undeclared', async () => 'x');
      });
      await app.ready();
    };
    await expect(start()).rejects.toThrow(/declares no access/);
  });

  it('kiosk carts: only their kiosk (or staff); an unknown token is 401', async () => {
    const cart = await call('POST', '/carts', K1, { channel: 'kiosk' });
    expect(cart.status).toBe(201);
    const id = cart.body.cartId;
    expect((await call('GET', `/carts/${id}`, K1)).status).toBe(200);
    expect((await call('GET', `/carts/${id}`, K2)).status).toBe(403);
    expect((await call('GET', `/carts/${id}`)).status).toBe(401);
    expect(
      (await call('GET', `/carts/${id}`, { authorization: 'Bearer stolen-or-guessed-token' })).status,
    ).toBe(401);
    // a kiosk cannot open a cart in another kiosk's name, nor without a token
    expect((await call('POST', '/carts', K1, { channel: 'kiosk', kioskId: 'kiosk-2' })).status).toBe(403);
    expect((await call('POST', '/carts', {}, { channel: 'kiosk' })).status).toBe(401);
    // staff may look at any cart
    const s = await call('POST', '/staff/sessions', {}, { staffId: 'cashier-1', pin: '1234' });
    expect((await call('GET', `/carts/${id}`, { 'x-staff-token': s.body.token })).status).toBe(200);
  });

  it('phone carts: only the shopper holding the cart token; no cash on a phone', async () => {
    const cart = await call('POST', '/carts', {}, { channel: 'phone' });
    expect(cart.status).toBe(201);
    const id = cart.body.cartId;
    const mine = { 'x-cart-token': cart.body.cartToken };
    const milk = gtinOf(t.db, 'Whole Milk 1L');
    expect((await call('POST', `/carts/${id}/scans`, mine, { code: milk })).status).toBe(201);
    expect(
      (await call('POST', `/carts/${id}/scans`, { 'x-cart-token': 'A'.repeat(43) }, { code: milk })).status,
    ).toBe(403);
    expect((await call('POST', `/carts/${id}/scans`, K1, { code: milk })).status).toBe(403);
    const other = await call('POST', '/carts', {}, { channel: 'phone' });
    expect((await call('GET', `/carts/${id}`, { 'x-cart-token': other.body.cartToken })).status).toBe(403);
    await call('POST', `/carts/${id}/checkout`, mine, {});
    const cash = await call('POST', `/carts/${id}/tenders`, mine, { kind: 'cash', tenderedFen: 10_000 });
    expect([cash.status, cash.body.error.code]).toEqual([403, 'FORBIDDEN']);
    // card and payment-code tenders are kiosk-only
    expect((await call('POST', `/carts/${id}/payments/card`, mine, {})).status).toBe(403);
  });

  it('a kiosk takes over a phone cart for itself only, and then owns it', async () => {
    const cart = await call('POST', '/carts', {}, { channel: 'phone' });
    const code = cart.body.cartCode;
    expect((await call('POST', '/kiosk/handoff', K1, { cartCode: code, kioskId: 'kiosk-2' })).status).toBe(
      403,
    );
    expect((await call('POST', '/kiosk/handoff', {}, { cartCode: code, kioskId: 'kiosk-1' })).status).toBe(
      401,
    );
    expect((await call('POST', '/kiosk/handoff', K1, { cartCode: code, kioskId: 'kiosk-1' })).status).toBe(
      200,
    );
    expect((await call('GET', `/carts/${cart.body.cartId}`, K1)).status).toBe(200);
    expect((await call('GET', `/carts/${cart.body.cartId}`, K2)).status).toBe(403);
    // the phone that made it may still follow it (to see it paid), but no longer change it
    const phone = { 'x-cart-token': cart.body.cartToken };
    expect((await call('GET', `/carts/${cart.body.cartId}`, phone)).status).toBe(200);
    expect(
      (await call('POST', `/carts/${cart.body.cartId}/scans`, phone, { code: '6922001001036' })).status,
    ).toBe(403);
  });

  it('kiosk stations belong to their kiosk; staff routes need staff; alerts are staff-only', async () => {
    expect((await call('GET', '/kiosk/stations/kiosk-1', K2)).status).toBe(403);
    const anon = await call('GET', '/kiosk/stations/kiosk-1');
    expect(anon.status, JSON.stringify(anon.body)).toBe(401);
    expect((await call('GET', '/staff/alerts', K1)).status).toBe(401);
    expect((await call('POST', '/staff/members', K1, { phone: '13800000000' })).status).toBe(401);
  });

  it('a member signs in once with the member code; the session works for the wallet and expires', async () => {
    const staff = await call('POST', '/staff/sessions', {}, { staffId: 'cashier-1', pin: '1234' });
    const enrolled = await call('POST', '/staff/members', { 'x-staff-token': staff.body.token }, {});
    const s = await call('POST', '/members/sessions', {}, { code: enrolled.body.code });
    expect(s.status).toBe(201);
    const wallet = await call('GET', '/wallet', { 'x-member-session': s.body.token });
    expect([wallet.status, wallet.body.memberId]).toEqual([200, s.body.memberId]);
    const forged = `${s.body.token.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await call('GET', '/wallet', { 'x-member-session': forged })).body.error.code).toBe(
      'SESSION_INVALID',
    );
    t.setClock(s.body.expiresAt + 1);
    expect((await call('GET', '/wallet', { 'x-member-session': s.body.token })).status).toBe(401);
    expect((await call('POST', '/members/sessions', {}, { code: 'SEM1.not.a-code' })).status).toBe(422);
  });

  it('shoppers without credentials are rate-limited per address; kiosks are not', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await call('GET', '/products/6922001001036')).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = await call('GET', '/products/6922001001036');
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect((await call('GET', '/products/6922001001036', K1)).status).toBe(200);
  });
});
