// Fault drills that need no extra process: the database hitting its size limit in the
// middle of trading, and the clock jumping backwards (an NTP correction). Each ends with
// the crash-safety invariants and, for storage, selling resuming once space is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIOSK_TOKENS, type TestApi, testApi } from '../helpers/api.js';
import { checkInvariants } from '../helpers/invariants.js';
import { cashSale, demoDb, SEED_NOW, sellableCodes } from '../helpers/store.js';

let t: TestApi;
let n = 0;
beforeAll(async () => {
  t = await testApi();
});
afterAll(async () => {
  await t.app.close();
});

const K = { authorization: `Bearer ${KIOSK_TOKENS['kiosk-1']}` };
async function post(url: string, body: unknown) {
  const r = await t.app.inject({
    method: 'POST',
    url: `/api/v1${url}`,
    headers: { ...K, 'idempotency-key': `drill-${++n}-key` },
    payload: body as object,
  });
  return { status: r.statusCode, body: r.json() as { cartId?: string; error?: { code: string } } };
}

describe('drills', () => {
  it('storage full mid-trading: writes are refused with 507 and change nothing; selling resumes when space returns', async () => {
    const codes = sellableCodes(t.db);
    const pages = t.db.pragma('page_count', { simple: true }) as number;
    t.db.pragma(`max_page_count = ${pages + 3}`);
    const statuses = new Map<number, number>();
    let full = 0;
    for (let i = 0; i < 200 && full < 5; i++) {
      const cart = await post('/carts', { channel: 'kiosk' });
      statuses.set(cart.status, (statuses.get(cart.status) ?? 0) + 1);
      if (cart.status === 507) {
        full++;
        continue;
      }
      for (let k = 0; k < 5; k++) {
        const s = await post(`/carts/${cart.body.cartId}/scans`, { code: codes[(i * 5 + k) % codes.length] });
        statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
        if (s.status === 507) full++;
      }
    }
    expect(full).toBeGreaterThan(0);
    expect([...statuses.keys()].every((s) => s < 500 || s === 507)).toBe(true);
    expect(checkInvariants(t.db)).toEqual([]);
    // space back (the reserve released, or staff cleaned up): the next sale goes through
    t.db.pragma('max_page_count = 1073741823');
    const cart = await post('/carts', { channel: 'kiosk' });
    expect(cart.status).toBe(201);
    expect((await post(`/carts/${cart.body.cartId}/scans`, { code: codes[0] })).status).toBe(201);
    expect((await post(`/carts/${cart.body.cartId}/checkout`, {})).status).toBe(200);
    expect(
      (await post(`/carts/${cart.body.cartId}/tenders`, { kind: 'cash', tenderedFen: 100_000 })).status,
    ).toBe(201);
    expect(checkInvariants(t.db)).toEqual([]);
  });

  it('the clock jumps back two hours mid-trading: every sale stays whole, receipt numbers stay unique', () => {
    const db = demoDb();
    const codes = sellableCodes(db);
    let now = SEED_NOW + 3 * 3_600_000;
    for (let i = 0; i < 60; i++) {
      if (i === 30) now -= 2 * 3_600_000; // NTP steps the clock back
      now += 20_000;
      cashSale(db, codes, i, now);
    }
    expect(checkInvariants(db)).toEqual([]);
    const receipts = db.prepare('SELECT receipt_no FROM sales').pluck().all() as string[];
    expect(new Set(receipts).size).toBe(60);
    const seqs = db
      .prepare("SELECT seq FROM outbox WHERE type = 'sale.completed' ORDER BY rowid")
      .pluck()
      .all() as number[];
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });
});
