// Labels that carry a weight or a price (issue 21): a shopper's own code never prices a
// product the catalog prices itself; a store scale's label prices weighed food but must
// be plausible; each refusal or flag is an alert for staff and a money-class event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAlerts } from '../../edge/alerts/alerts.js';
import { withCheckDigit } from '../../edge/catalog/gtin.js';
import { readOutbox } from '../../edge/db/outbox.js';
import { caller, type TestApi, testApi } from '../helpers/api.js';
import { SEED_NOW } from '../helpers/store.js';

const MILK = '06922001001036'; // Whole Milk 1L, ¥12.90 in the catalog
const APPLES = '02010001000006'; // Fuji apples by weight, ¥12.80/kg, PLU 10001, 50 g–12 kg, 7 days
const GS = '\x1d';

let api: TestApi;
let call: ReturnType<typeof caller>;
let staffToken = '';

beforeAll(async () => {
  api = await testApi();
  call = caller(api.app);
  staffToken = (await call('POST', '/staff/sessions', { staffId: 'cashier-1', pin: '1234' })).body.token;
});
afterAll(async () => {
  await api.app.close();
  api.db.close();
});

async function newCart(channel: 'kiosk' | 'phone' = 'kiosk'): Promise<string> {
  const r = await call('POST', '/carts', { channel }, { phone: channel === 'phone' });
  expect(r.status).toBe(201);
  return r.body.cartId;
}
const scan = (cartId: string, code: string, extra: Record<string, unknown> = {}, phone = false) =>
  call('POST', `/carts/${cartId}/scans`, { code, ...extra }, { phone });
const lastEvent = () => readOutbox(api.db, 0, 100_000).at(-1)!;
const labelAlerts = (station: string) => openAlerts(api.db, station).filter((a) => a.kind === 'label');

describe('a label cannot price what the catalog prices (the attacks of issue 21)', () => {
  const attacks: [string, string, boolean][] = [
    ['kiosk: GS1-128 with a weight and a price', `]C101${MILK}3103001000${'3922'}1`, false],
    ['phone: GS1-128 element string', `]C101${MILK}31030010003922${'1'}`, true],
    ['phone: a GS1 QR the shopper made', `]Q301${MILK}31030010003922${'1'}`, true],
    ['phone: a GS1 DataBar read', `]e001${MILK}31030010003922${'1'}`, true],
    [
      'kiosk: a Digital Link with the price in the query',
      `https://id.gs1.org/01/${MILK}?3103=001000&3922=1`,
      false,
    ],
    ['phone: bare element string without AIM', `01${MILK}31030010003922${'1'}`, true],
  ];
  for (const [name, code, phone] of attacks) {
    it(`${name}: catalog price, an alert and a money event`, async () => {
      const cartId = await newCart(phone ? 'phone' : 'kiosk');
      const r = await scan(cartId, code, {}, phone);
      expect(r.status).toBe(201);
      const line = r.body.quote.lines[0];
      expect(line).toMatchObject({ gtin: MILK, priceSource: 'catalog', unitPriceFen: 1290, grossFen: 1290 });
      const ev = lastEvent();
      expect(ev).toMatchObject({ type: 'label.refused', class: 'money' });
      expect(ev.payload).toMatchObject({
        cartId,
        gtin: MILK,
        code,
        labelPriceFen: 1,
        outcome: 'catalog-price',
        catalogPriceFen: 1290,
      });
      expect((ev.payload.refused as string[])[0]).toMatch(
        /label price ignored: the catalog prices this item itself/,
      );
      const alerts = labelAlerts(phone ? 'scan-and-go' : 'kiosk-1');
      expect(alerts.some((a) => a.cartId === cartId && a.message.startsWith('label refused'))).toBe(true);
      // and the sale goes through at the catalog price
      expect((await call('POST', `/carts/${cartId}/checkout`, {}, { phone })).body.totalFen).toBe(1290);
    });
  }

  it('the exact strings from the issue (a price with no measure) are not GS1 at all: BAD_BARCODE', async () => {
    const cartId = await newCart();
    for (const code of [
      `https://id.gs1.org/01/${MILK}?3922=0001`,
      `]C101${MILK}39220001`,
      `]Q301${MILK}39220001`,
    ]) {
      const r = await scan(cartId, code);
      expect(r.status, code).toBe(422);
      expect(r.body.error).toMatchObject({ code: 'BAD_BARCODE' });
      expect(r.body.error.message).toMatch(/\(3922\) PRICE needs/);
    }
  });

  it('a phone cannot weigh: a weight sent with a shelf code is ignored, refused and recorded', async () => {
    const cartId = await newCart('phone');
    const before = readOutbox(api.db, 0, 100_000).length;
    const r = await scan(cartId, withCheckDigit('201000100000'), { weightG: 1 }, true);
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('WEIGHT_REQUIRED');
    const ev = lastEvent();
    expect(readOutbox(api.db, 0, 100_000).length).toBe(before + 1);
    expect(ev).toMatchObject({ type: 'label.refused', payload: { outcome: 'scan-refused', lineId: null } });
    expect((await call('GET', `/carts/${cartId}`, undefined, { phone: true })).body.lines).toEqual([]);
  });
});

describe('labels the store trusts still price weighed food', () => {
  it('the store scale: a weight label and a price label for the demo apples', async () => {
    const cartId = await newCart();
    const weight = await scan(cartId, withCheckDigit('201000100850')); // 850 g
    expect(weight.body.quote.lines[0]).toMatchObject({
      gtin: APPLES,
      weightG: 850,
      grossFen: 1088,
      labelHold: null,
    });
    const price = await scan(cartId, withCheckDigit('211000101088')); // ¥10.88
    expect(price.body.quote.lines[1]).toMatchObject({
      priceSource: 'label',
      grossFen: 1088,
      labelHold: null,
    });
    expect(price.body.quote.labelChecksPending).toEqual([]);
  });

  it('GS1 DataBar on a variable-measure item: weight and price taken as printed', async () => {
    const cartId = await newCart();
    const r = await scan(cartId, `]e001${APPLES}3103000850${'3922'}1088`);
    expect(r.body.quote.lines[0]).toMatchObject({ priceSource: 'label', grossFen: 1088, labelHold: null });
  });

  it('but not from a GS1 QR or a Digital Link, which a phone can show: weigh it instead', async () => {
    const cartId = await newCart();
    const qr = await scan(cartId, `]Q301${APPLES}3103000850${'3922'}1088`);
    expect(qr.status).toBe(422);
    expect(qr.body.error.code).toBe('WEIGHT_REQUIRED');
    const weighed = await scan(cartId, `]Q301${APPLES}3103000850${'3922'}1088`, { weightG: 900 });
    expect(weighed.body.quote.lines[0]).toMatchObject({
      priceSource: 'catalog',
      weightG: 900,
      grossFen: 1152,
    });
    expect(lastEvent().type).toBe('label.refused');
  });
});

describe('implausible labels need an attendant', () => {
  const held = async (code: string, reason: RegExp) => {
    const cartId = await newCart();
    const r = await scan(cartId, code);
    expect(r.status).toBe(201);
    const line = r.body.quote.lines.at(-1);
    expect(line.labelHold.join(' ')).toMatch(reason);
    expect(r.body.quote.labelChecksPending).toEqual([line.id]);
    const ev = lastEvent();
    expect(ev).toMatchObject({
      type: 'label.flagged',
      class: 'money',
      payload: { outcome: 'attendant', lineId: line.id },
    });
    expect(
      labelAlerts('kiosk-1').some(
        (a) => a.cartId === cartId && a.message.startsWith('label needs an attendant'),
      ),
    ).toBe(true);
    return { cartId, lineId: line.id as string };
  };

  it('a price per kg far from the catalog: checkout waits for an attendant, who approves', async () => {
    const { cartId, lineId } = await held(`]e001${APPLES}3103000850${'3922'}1`, /label price is ¥0\.01\/kg/);
    const refused = await call('POST', `/carts/${cartId}/checkout`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'LABEL_CHECK_REQUIRED', details: { lines: [lineId] } });
    const ok = await call(
      'POST',
      `/staff/carts/${cartId}/lines/${lineId}/label-approval`,
      { reason: 'weighed the pack: label is right' },
      { staffToken },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.labelChecksPending).toEqual([]);
    expect(lastEvent()).toMatchObject({ type: 'label.approved', payload: { staffId: 'cashier-1', lineId } });
    expect((await call('POST', `/carts/${cartId}/checkout`, {})).status).toBe(200);
  });

  it('a price label with no weight that fits no usual weight of the item', async () => {
    await held(withCheckDigit('211000100001'), /does not fit any usual weight/);
  });

  it('a weight outside the item’s range', async () => {
    await held(withCheckDigit('201000199999'), /weight 99999 g is outside 50–12000 g/);
  });

  it('a pack date older than the item’s rule, and one past its use-by date', async () => {
    // the test clock is 2026-11-18 in Shanghai; apples may be 7 days old
    await held(`]e001${APPLES}3103000850${'3922'}1088${GS}13261108`, /packed 2026-11-08, older than 7 days/);
    await held(`]e001${APPLES}3103000850${'3922'}1088${GS}17261117`, /past its use-by date 2026-11-17/);
  });

  it('the same label twice in one cart, and a label already sold today', async () => {
    const label = withCheckDigit('211000100640'); // ¥6.40 of apples
    const cartId = await newCart();
    expect((await scan(cartId, label)).body.quote.lines[0].labelHold).toBeNull();
    const again = await scan(cartId, label);
    expect(again.body.quote.lines[1].labelHold).toEqual([
      'this label was already sold today or is already in this cart',
    ]);
    // void the copy, pay for the first, then the label turns up in another cart
    const copy = again.body.quote.lines[1].id;
    await call(
      'POST',
      `/staff/carts/${cartId}/lines/${copy}/void`,
      { reason: 'duplicate label' },
      { staffToken },
    );
    await call('POST', `/carts/${cartId}/checkout`, {});
    expect((await call('POST', `/carts/${cartId}/tenders`, { kind: 'cash', tenderedFen: 1000 })).status).toBe(
      201,
    );
    await held(label, /already sold today/);
    // the next day the same label is new again (a real scale prints it afresh)
    api.setClock(SEED_NOW + 86_400_000);
    const tomorrow = await newCart();
    expect((await scan(tomorrow, label)).body.quote.lines[0].labelHold).toBeNull();
    api.setClock(SEED_NOW);
  });

  it('a label approval is only for lines that wait for one, and needs staff', async () => {
    const cartId = await newCart();
    const line = (await scan(cartId, MILK)).body.quote.lines[0].id;
    const r = await call(
      'POST',
      `/staff/carts/${cartId}/lines/${line}/label-approval`,
      { reason: 'x' },
      { staffToken },
    );
    expect(r.body.error.code).toBe('NO_LABEL_CHECK');
    const anon = await call('POST', `/staff/carts/${cartId}/lines/${line}/label-approval`, { reason: 'x' });
    expect(anon.status).toBe(401);
  });
});

describe('the catalog says which items a label may price', () => {
  it('a store-packed item sold each but priced by label (variableMeasure), within its band', async () => {
    const { readFileSync } = await import('node:fs');
    const { applyCatalog, DatasetError } = await import('../../edge/catalog/dataset.js');
    const seed = JSON.parse(readFileSync('config/demo/catalog.json', 'utf8')).catalog;
    const tray = {
      gtin: withCheckDigit('204000100000'),
      name: { zh: '卤味拼盘 (店内包装)', en: 'Deli Platter (store-packed)' },
      category: seed.products[0].category,
      plu: '40001',
      variableMeasure: true,
      taxRateBp: 900,
      priceFen: 2500, // a typical tray; each label says its own price
    };
    const bad = {
      ...tray,
      gtin: withCheckDigit('204000200000'),
      plu: '40002',
      label: { weightG: { min: 900, max: 100 } },
    };
    expect(() =>
      applyCatalog(
        api.db,
        { ...seed, version: seed.version + 1, products: [...seed.products, tray, bad] },
        { source: 'hq', now: SEED_NOW - 1000 },
      ),
    ).toThrow(DatasetError);
    applyCatalog(
      api.db,
      { ...seed, version: seed.version + 1, products: [...seed.products, tray] },
      { source: 'hq', now: SEED_NOW - 1000 },
    );
    const cartId = await newCart();
    const fair = await scan(cartId, withCheckDigit('214000102680')); // ¥26.80
    expect(fair.body.quote.lines[0]).toMatchObject({ priceSource: 'label', grossFen: 2680, labelHold: null });
    const cheap = await scan(cartId, withCheckDigit('214000100500')); // ¥5.00
    expect(cheap.body.quote.lines[1].labelHold[0]).toMatch(
      /label price ¥5\.00 is far from the catalog's ¥25\.00/,
    );
  });
});

it('every label event written above passes the wire schema HQ checks', async () => {
  const { payloadProblems } = await import('../../sync/event-schemas.js');
  const rows = readOutbox(api.db, 0, 100_000).filter((r) => r.type.startsWith('label.'));
  expect(new Set(rows.map((r) => r.type))).toEqual(
    new Set(['label.refused', 'label.flagged', 'label.approved']),
  );
  for (const r of rows) expect(payloadProblems(r.type, r.payload), `${r.type} #${r.seq}`).toEqual([]);
});
