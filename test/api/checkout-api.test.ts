// The business routes through HTTP (fastify inject): a kiosk sale, a phone cart handed to
// a kiosk, staff actions, refunds, idempotent retries and bad input.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../../edge/catalog/gtin.js';
import type { Db } from '../../edge/db/open.js';
import { readOutbox } from '../../edge/db/outbox.js';
import { KIOSK_TOKENS, testApi } from '../helpers/api.js';
import { gtinOf, SEED_NOW } from '../helpers/store.js';

let db: Db;
let app: FastifyInstance;
let setClock: (t: number) => void;
let keyN = 0;
const key = () => `test-key-${++keyN}`;

beforeAll(async () => {
  const t = await testApi();
  app = t.app;
  db = t.db;
  setClock = t.setClock;
});
afterAll(async () => {
  await app.close();
});

const KIOSK_TOKEN = KIOSK_TOKENS['kiosk-1'];
const cartTokens = new Map<string, string>();

async function call(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  // calls come from kiosk-1 unless `authorization: 'none'`; a phone cart's own token goes along
  const h: Record<string, string> = { authorization: `Bearer ${KIOSK_TOKEN}`, ...headers };
  if (h.authorization === 'none') delete h.authorization;
  const cartId = /\/carts\/([0-9a-f-]{36})/.exec(url)?.[1];
  if (cartId && cartTokens.has(cartId)) h['x-cart-token'] = cartTokens.get(cartId)!;
  if (method !== 'GET' && !('idempotency-key' in h)) h['idempotency-key'] = key();
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: h,
    ...(body === undefined ? {} : { payload: body as object }),
  });
  const json = res.body ? res.json() : null;
  if (json?.cartToken) cartTokens.set(json.cartId, json.cartToken);
  return { status: res.statusCode, body: json, headers: res.headers };
}
async function signIn(staffId: string, pin: string): Promise<string> {
  const r = await call('POST', '/staff/sessions', { staffId, pin });
  expect(r.status).toBe(201);
  return r.body.token;
}

describe('a kiosk sale over HTTP', () => {
  it('scan → checkout → cash → receipt, with the sale in the outbox', async () => {
    const cart = await call('POST', '/carts', { channel: 'kiosk', kioskId: 'kiosk-1' });
    expect(cart.status).toBe(201);
    const id = cart.body.cartId;
    const tea = gtinOf(db, 'Iced Black Tea 500ml');
    const s1 = await call('POST', `/carts/${id}/scans`, { code: `]E0${tea}\r` });
    expect(s1.status).toBe(201);
    await call('POST', `/carts/${id}/scans`, { code: tea });
    const apples = await call('POST', `/carts/${id}/scans`, {
      code: withCheckDigit('201000100000'),
      weightG: 500,
    });
    expect(apples.body.quote.lines[1]).toMatchObject({ weightG: 500, grossFen: 640 });
    const q = await call('POST', `/carts/${id}/checkout`, {});
    expect(q.body).toMatchObject({ status: 'paying', totalFen: 450 + 640 });
    const paid = await call('POST', `/carts/${id}/tenders`, { kind: 'cash', tenderedFen: 2000 });
    expect(paid.status).toBe(201);
    expect(paid.body.sale).toMatchObject({ changeFen: 2000 - 1090 });
    const receipt = await call('GET', `/sales/${paid.body.sale.saleId}/receipt`);
    expect(receipt.body.receipt).toMatchObject({ totalFen: 1090, storeName: '演示门店' });
    expect(receipt.body.text.join('\n')).toContain('茶饮料第二件半价');
    expect(
      readOutbox(db).some((e) => e.type === 'sale.completed' && e.payload.saleId === paid.body.sale.saleId),
    ).toBe(true);
  });
});

describe('idempotent writes', () => {
  it('a retried scan returns the first answer and adds nothing', async () => {
    const cart = await call('POST', '/carts', { channel: 'kiosk' });
    const url = `/carts/${cart.body.cartId}/scans`;
    const body = { code: gtinOf(db, 'Cola 330ml') };
    const first = await call('POST', url, body, { 'idempotency-key': 'retry-scan-0001' });
    const again = await call('POST', url, body, { 'idempotency-key': 'retry-scan-0001' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await call('GET', `/carts/${cart.body.cartId}`)).body.lines[0].qty).toBe(1);
    const other = await call(
      'POST',
      url,
      { code: gtinOf(db, 'Cola Zero 330ml') },
      { 'idempotency-key': 'retry-scan-0001' },
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('a retried cash tender is taken once', async () => {
    const cart = await call('POST', '/carts', { channel: 'kiosk' });
    const id = cart.body.cartId;
    await call('POST', `/carts/${id}/scans`, { code: gtinOf(db, 'Cola 330ml'), qty: 4 });
    await call('POST', `/carts/${id}/checkout`, {});
    const a = await call(
      'POST',
      `/carts/${id}/tenders`,
      { kind: 'cash', tenderedFen: 500 },
      { 'idempotency-key': 'cash-once-01' },
    );
    const b = await call(
      'POST',
      `/carts/${id}/tenders`,
      { kind: 'cash', tenderedFen: 500 },
      { 'idempotency-key': 'cash-once-01' },
    );
    expect(b.body).toEqual(a.body);
    const q = await call('GET', `/carts/${id}`);
    expect(q.body.payments).toHaveLength(1);
    expect(q.body.dueFen).toBe(500);
  });

  it('stores what a retry needs, not the quote: a retry gets its line and the cart as it stands', async () => {
    const cart = await call('POST', '/carts', { channel: 'kiosk' });
    const id = cart.body.cartId;
    const url = `/carts/${id}/scans`;
    const first = await call(
      'POST',
      url,
      { code: gtinOf(db, 'Cola 330ml') },
      { 'idempotency-key': 'lean-scan-01' },
    );
    const stored = db
      .prepare("SELECT response, rebuild FROM idempotency WHERE key = 'lean-scan-01'")
      .get() as { response: string; rebuild: string };
    expect(JSON.parse(stored.response)).toEqual({ lineId: first.body.lineId });
    expect(JSON.parse(stored.rebuild)).toEqual(['nested', id]);
    // a second item, then the first request's retry: its line, and the cart with both
    await call('POST', url, { code: gtinOf(db, 'Cola Zero 330ml') });
    const again = await call(
      'POST',
      url,
      { code: gtinOf(db, 'Cola 330ml') },
      { 'idempotency-key': 'lean-scan-01' },
    );
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.lineId).toBe(first.body.lineId);
    expect(again.body.quote).toEqual((await call('GET', `/carts/${id}`)).body);
    expect(again.body.quote.lines).toHaveLength(2);
    // a whole sale's answers: a few hundred bytes in all, where whole quotes took ~10 KB
    await call('POST', `/carts/${id}/checkout`, {});
    await call('POST', `/carts/${id}/tenders`, { kind: 'cash', tenderedFen: 10_000 });
    const answers = db
      .prepare(
        "SELECT count(*) AS n, sum(length(response) + length(rebuild)) AS bytes FROM idempotency WHERE json_extract(rebuild, '$[1]') = ?",
      )
      .get(id) as { n: number; bytes: number };
    expect(answers.n).toBe(5); // the cart, two scans, checkout, the tender
    expect(answers.bytes).toBeLessThan(1000);
  });

  it('a write without a key is refused and changes nothing', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/carts',
      payload: { channel: 'kiosk' },
      headers: { authorization: `Bearer ${KIOSK_TOKEN}` },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
  });
});

describe('bad input', () => {
  it('gets a clear 4xx and changes nothing', async () => {
    const cart = await call('POST', '/carts', { channel: 'kiosk' });
    const id = cart.body.cartId;
    const before = db.prepare('SELECT count(*) FROM cart_lines').pluck().get();
    const cases: [unknown, number, string][] = [
      [{ code: '4006381333932' }, 422, 'BAD_BARCODE'],
      [{ code: withCheckDigit('690000000001') }, 404, 'UNKNOWN_PRODUCT'],
      [{ code: 'x'.repeat(700) }, 400, 'VALIDATION_FAILED'],
      [{ code: 12345 }, 400, 'VALIDATION_FAILED'],
      [{ code: gtinOf(db, 'Cola 330ml'), qty: 0 }, 400, 'VALIDATION_FAILED'],
      [{ code: gtinOf(db, 'Cola 330ml'), extra: "'; DROP TABLE sales; --" }, 400, 'VALIDATION_FAILED'],
      [{ code: "'; DROP TABLE sales; --" }, 422, 'BAD_BARCODE'],
      [{ code: '食品' }, 422, 'BAD_BARCODE'],
    ];
    for (const [body, status, code] of cases) {
      const r = await call('POST', `/carts/${id}/scans`, body);
      expect([r.status, r.body.error.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const raw = await app.inject({
      method: 'POST',
      url: `/api/v1/carts/${id}/scans`,
      headers: { 'content-type': 'application/json', 'idempotency-key': key() },
      payload: '{"code": "123"',
    });
    expect(raw.statusCode).toBe(400);
    const big = await call('POST', `/carts/${id}/scans`, { code: '1', pad: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    expect((await call('GET', '/carts/not-a-uuid')).status).toBe(400);
    expect((await call('GET', '/carts/00000000-0000-4000-8000-000000000000')).body.error.code).toBe(
      'CART_NOT_FOUND',
    );
    expect(db.prepare('SELECT count(*) FROM cart_lines').pluck().get()).toBe(before);
  });
});

describe('staff', () => {
  it('attendant routes need a signed-in staff member with the right role', async () => {
    const cart = await call('POST', '/carts', { channel: 'kiosk' });
    const id = cart.body.cartId;
    const scanned = await call('POST', `/carts/${id}/scans`, { code: gtinOf(db, 'Lager Beer 500ml') });
    const lineId = scanned.body.lineId;
    expect((await call('POST', `/carts/${id}/checkout`, {})).body.error.code).toBe('AGE_CHECK_REQUIRED');
    const noToken = await call('POST', `/staff/carts/${id}/lines/${lineId}/age-approval`, {
      reason: 'ID checked',
    });
    expect(noToken.status).toBe(401);
    const cashier = await signIn('cashier-1', '1234');
    const price = await call(
      'POST',
      `/staff/carts/${id}/lines/${lineId}/price`,
      { priceFen: 100, reason: 'x' },
      { 'x-staff-token': cashier },
    );
    expect([price.status, price.body.error.code]).toEqual([403, 'ROLE_REQUIRED']);
    const ok = await call(
      'POST',
      `/staff/carts/${id}/lines/${lineId}/age-approval`,
      { reason: 'ID checked' },
      { 'x-staff-token': cashier },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.ageChecksPending).toEqual([]);
    expect((await call('POST', `/carts/${id}/checkout`, {})).status).toBe(200);
  });

  it('wrong PINs lock the staff id for a while', async () => {
    for (let i = 0; i < 3; i++)
      expect((await call('POST', '/staff/sessions', { staffId: 'sup-1', pin: '0000' })).status).toBe(401);
    const locked = await call('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' });
    expect([locked.status, locked.body.error.code]).toEqual([429, 'STAFF_LOCKED']);
    setClock(SEED_NOW + 61_000);
    expect((await call('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' })).status).toBe(201);
  });

  it('a supervisor refunds a line; the refund is idempotent', async () => {
    const cart = await call('POST', '/carts', { channel: 'kiosk' });
    const id = cart.body.cartId;
    await call('POST', `/carts/${id}/scans`, { code: gtinOf(db, 'Cola 330ml'), qty: 2 });
    await call('POST', `/carts/${id}/checkout`, {});
    const sale = (await call('POST', `/carts/${id}/tenders`, { kind: 'cash', tenderedFen: 500 })).body.sale;
    const sup = await signIn('sup-1', '5678');
    const h = { 'x-staff-token': sup, 'idempotency-key': 'refund-once-1' };
    const r1 = await call(
      'POST',
      `/staff/sales/${sale.saleId}/refunds`,
      { reason: 'flat', lines: [{ lineNo: 1, qty: 1 }] },
      h,
    );
    const r2 = await call(
      'POST',
      `/staff/sales/${sale.saleId}/refunds`,
      { reason: 'flat', lines: [{ lineNo: 1, qty: 1 }] },
      h,
    );
    expect(r1.status).toBe(201);
    expect(r2.body).toEqual(r1.body);
    expect(r1.body.amountFen).toBe(250);
    expect(db.prepare('SELECT count(*) FROM refunds WHERE sale_id = ?').pluck().get(sale.saleId)).toBe(1);
  });
});

describe('shopper scan-to-buy', () => {
  it('product page, member wallet, claim, phone cart handed to a kiosk, coupon redeemed by itself, offer after', async () => {
    const sup = await signIn('sup-1', '5678');
    const enrolled = await call('POST', '/staff/members', { name: 'Zhang' }, { 'x-staff-token': sup });
    const member = { 'x-member-code': enrolled.body.code };

    const milk = gtinOf(db, 'Whole Milk 1L');
    const page = await call('GET', `/products/${milk}`, undefined, member);
    expect(page.body).toMatchObject({ priceFen: 1290, soldBy: 'each' });
    expect(page.body.promotions).toEqual([
      expect.objectContaining({ id: 'dairy-member-10pct', onePriceFen: 1161 }),
    ]);
    expect(page.body.coupons.map((c: { id: string }) => c.id)).toContain('welcome-5');
    expect(page.body.related).toHaveLength(4);
    const anonymous = await call('GET', `/products/${milk}`);
    expect(anonymous.body.promotions).toEqual([]); // the dairy discount is for members
    const tea = await call('GET', `/products/${gtinOf(db, 'Iced Black Tea 500ml')}`);
    expect(tea.body.promotions).toEqual([expect.objectContaining({ id: 'tea-2nd-half', onePriceFen: 300 })]);

    const claimed = await call('POST', '/coupons/claim', { campaignId: 'welcome-5' }, member);
    expect(claimed.status).toBe(201);
    const wallet = await call('GET', '/wallet', undefined, member);
    expect(
      wallet.body.coupons.map((c: { campaignId: string; status: string }) => [c.campaignId, c.status]),
    ).toEqual([['welcome-5', 'available']]);

    const phone = await call('POST', '/carts', { channel: 'phone' }, { authorization: 'none' });
    expect(phone.body.cartToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await call('POST', `/carts/${phone.body.cartId}/member`, { code: enrolled.body.code });
    await call('POST', `/carts/${phone.body.cartId}/scans`, { code: milk, qty: 3 });
    const kiosk = await call('POST', '/kiosk/handoff', { cartCode: phone.body.cartCode, kioskId: 'kiosk-1' });
    expect(kiosk.body.coupons).toEqual([
      expect.objectContaining({ campaignId: 'welcome-5', amountFen: 500 }),
    ]);
    expect(kiosk.body.totalFen).toBe(3483 - 500);
    await call('POST', `/carts/${phone.body.cartId}/checkout`, {});
    const paid = await call('POST', `/carts/${phone.body.cartId}/tenders`, {
      kind: 'cash',
      tenderedFen: 3000,
    });
    expect(paid.body.sale).toMatchObject({ pointsEarned: 29 });
    // the paid cart still shows what was paid: its coupon, redeemed now, is still on it
    const paidQuote = await call('GET', `/carts/${phone.body.cartId}`);
    expect(paidQuote.body).toMatchObject({ status: 'paid', totalFen: 3483 - 500, couponDiscountFen: 500 });
    const after = await call('GET', '/wallet', undefined, member);
    expect(after.body.points).toBe(29);
    expect(after.body.coupons[0].status).toBe('redeemed');

    const offer = await call('GET', `/sales/${paid.body.sale.saleId}/offer`);
    expect(offer.body.offer.id).toBe('dairy-repurchase');
    const got = await call('POST', `/sales/${paid.body.sale.saleId}/offer/claim`, {
      campaignId: 'dairy-repurchase',
    });
    expect(got.status).toBe(201);
    expect((await call('GET', '/wallet', undefined, member)).body.coupons).toHaveLength(2);
  });

  it('wallet without a member code is 401; a forged member code is refused', async () => {
    expect((await call('GET', '/wallet')).status).toBe(401);
    const r = await call('GET', '/wallet', undefined, {
      'x-member-code': 'SEM1.eyJpZCI6Ik0xIiwiayI6IngifQ.AAAA',
    });
    expect([r.status, r.body.error.code]).toEqual([422, 'CODE_INVALID']);
  });
});
