// Issue 21 end to end in the daemon process: the self-price attacks through a kiosk's
// real serial scanner (its simulator on a socat pty) and through phone carts, each
// ending at the catalog price or refused, with a staff alert and an event that reaches
// HQ over a real mosquitto; and a store-scale label that still prices the demo apples.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../../edge/catalog/gtin.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';
import { type LabIngest, labIngest } from '../helpers/sync.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const dir = mkdtempSync(join(tmpdir(), 'storeedge-labels-'));
const STAFF_PIN_HASH =
  'scrypt$16384$8$1$ukQq8eNyELlCEHKfakXrhA==$VBMG/Hq41EqSyiJ+PqhdXn0DaQB8d9FGA1EEM0jp//A=';
const KIOSK = 'kiosk-1-label-test-token-77';
const MILK = '06922001001036';
const APPLES = '02010001000006';

let broker: Broker;
let ingest: LabIngest;
let d: RunningDaemon;
let n = 0;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${d.address}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'idempotency-key': `labels-${++n}` } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as J };
}
const kiosk = { authorization: `Bearer ${KIOSK}` };
const station = async () => (await call('GET', '/kiosk/stations/kiosk-1', undefined, kiosk)).body;

/** A read on the kiosk's serial scanner; resolves with the station's event for it. */
async function scanAtKiosk(code: string): Promise<J> {
  const before = (await station()).events.at(-1)?.seq ?? 0;
  expect((await call('POST', '/demo/kiosks/kiosk-1/scanner', { code })).status).toBe(202);
  return waitFor(
    `scan ${code}`,
    async () =>
      (await station()).events.find(
        (e: J) => e.seq > before && (e.type === 'line-added' || e.type === 'scan-refused'),
      ),
    5000,
  );
}

const hqLabelEvents = async (): Promise<J[]> => {
  await ingest.flush();
  return (
    ingest.db
      .prepare(
        `SELECT type, payload FROM events WHERE store_id = 'demo-store-001' AND type LIKE 'label.%' ORDER BY seq`,
      )
      .all() as { type: string; payload: string }[]
  ).map((r) => ({ type: r.type, ...JSON.parse(r.payload) }));
};

beforeAll(async () => {
  broker = await startMosquitto();
  ingest = await labIngest(broker.url, join(dir, 'hq.db'));
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${resolve('config/demo/catalog.json')} }
mqtt: { enabled: true, url: "${broker.url}" }
devices:
  - { id: k1-scanner, kind: scanner, driver: serial-scanner, kiosk: kiosk-1, simulate: true }
  - { id: k1-scale, kind: scale, driver: mt-sics, kiosk: kiosk-1, simulate: true }
security:
  kioskTokens:
    - { kioskId: kiosk-1, token: ${KIOSK} }
  staff:
    - { id: mgr-1, name: Manager, role: manager, pinHash: "${STAFF_PIN_HASH}" }
`,
  );
  d = await startDaemon(['--config', file]);
}, 60_000);

afterAll(async () => {
  if (d) expect(await d.stop('SIGTERM')).toBe(0);
  await ingest?.stop();
  await broker?.stop();
});

describe('a shopper cannot set their own price', () => {
  it('kiosk scanner and phone carts: catalog price or refusal, staff alerts, and every attempt at HQ', async () => {
    // 1. the kiosk's serial scanner reads a GS1-128 the shopper printed: milk at ¥0.01
    const kioskRead = await scanAtKiosk(`]C101${MILK}31030010003922${'1'}`);
    expect(kioskRead.type).toBe('line-added');
    const kioskCart = (await station()).cartId as string;
    const kq = (await call('GET', `/carts/${kioskCart}`, undefined, kiosk)).body;
    expect(kq.lines[0]).toMatchObject({ gtin: MILK, priceSource: 'catalog', grossFen: 1290 });
    // 2. the same through a Digital Link with the price in its query string
    await scanAtKiosk(`https://id.gs1.org/01/${MILK}?3103=001000&3922=1`);
    // the exact string from the issue is not a valid GS1 code at all
    const bad = await scanAtKiosk(`https://id.gs1.org/01/${MILK}?3922=0001`);
    expect(bad).toMatchObject({ type: 'scan-refused', detail: { code: 'BARCODE_INVALID' } });

    // 3. phone carts: a GS1-128 element string and a GS1 QR the shopper made
    for (const code of [`]C101${MILK}31030010003922${'1'}`, `]Q301${MILK}31030010003922${'1'}`]) {
      const cart = await call('POST', '/carts', { channel: 'phone' });
      const token = { 'x-cart-token': cart.body.cartToken };
      const r = await call('POST', `/carts/${cart.body.cartId}/scans`, { code }, token);
      expect(r.body.quote.lines[0]).toMatchObject({ priceSource: 'catalog', grossFen: 1290 });
    }

    // staff see the attempts on the dashboard's alert list, where they came from
    const pin = await call('POST', '/staff/sessions', { staffId: 'mgr-1', pin: '1234' });
    const alerts = (await call('GET', '/staff/alerts', undefined, { 'x-staff-token': pin.body.token })).body;
    const label = (alerts.alerts ?? alerts).filter((a: J) => a.kind === 'label');
    // (the two kiosk attempts are on one cart, product and reason: one open alert, not two)
    expect(label.filter((a: J) => a.kioskId === 'kiosk-1')).toHaveLength(1);
    expect(label.filter((a: J) => a.kioskId === 'scan-and-go')).toHaveLength(2);

    // and HQ has every attempt, as money-class events it can never lose
    const events = await waitFor(
      'label events at HQ',
      async () => {
        const e = await hqLabelEvents();
        return e.length >= 4 ? e : undefined;
      },
      15_000,
    );
    expect(events.map((e) => [e.type, e.channel, e.outcome, e.gtin, e.labelPriceFen])).toEqual([
      ['label.refused', 'kiosk', 'catalog-price', MILK, 1],
      ['label.refused', 'kiosk', 'catalog-price', MILK, 1],
      ['label.refused', 'phone', 'catalog-price', MILK, 1],
      ['label.refused', 'phone', 'catalog-price', MILK, 1],
    ]);

    // the kiosk sale completes at the catalog price: two milks, ¥25.80
    expect((await call('POST', `/carts/${kioskCart}/checkout`, {}, kiosk)).body.totalFen).toBe(2580);
    const paid = await call(
      'POST',
      `/carts/${kioskCart}/tenders`,
      { kind: 'cash', tenderedFen: 3000 },
      kiosk,
    );
    expect(paid.body.sale).toMatchObject({ changeFen: 420 });
  }, 60_000);

  it('the store scale’s own labels still price weighed food at the kiosk', async () => {
    const weight = await scanAtKiosk(withCheckDigit('201000100850'));
    expect(weight).toMatchObject({ type: 'line-added', detail: { weightG: 850 } });
    const databar = await scanAtKiosk(`]e001${APPLES}3103000850${'3922'}1088`);
    expect(databar.type).toBe('line-added');
    const cart = (await station()).cartId as string;
    const q = (await call('GET', `/carts/${cart}`, undefined, kiosk)).body;
    expect(q.lines.map((l: J) => [l.gtin, l.priceSource, l.grossFen, l.labelHold])).toEqual([
      [APPLES, 'catalog', 1088, null],
      [APPLES, 'label', 1088, null],
    ]);
  });
});
