// The kiosk end to end in the real daemon process: simulated scanner and scale on socat
// ptys, printer and terminal on loopback TCP, the wallet gateway over HTTP. Scans go in
// as bytes on the scanner's serial line; receipts are read back from what the printer
// simulator decoded.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'storeedge-kiosk-'));
const seed = resolve('config/demo/catalog.json');
const STAFF_PIN_HASH =
  'scrypt$16384$8$1$ukQq8eNyELlCEHKfakXrhA==$VBMG/Hq41EqSyiJ+PqhdXn0DaQB8d9FGA1EEM0jp//A=';
const KIOSK_TOKEN = 'kiosk-1-flow-test-token-42';
const MILK = '6922001001036'; // Whole Milk 1L
const APPLES = '2010001000006'; // PLU shelf code: weigh it

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

let d: RunningDaemon;
let key = 0;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${d.address}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'idempotency-key': `kiosk-flow-${++key}` } : {}),
      authorization: `Bearer ${KIOSK_TOKEN}`,
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, J> };
}

const station = async (since = 0) => (await call('GET', `/kiosk/stations/kiosk-1?since=${since}`)).body;

async function scanAtKiosk(code: string) {
  const before = (await station()).events.at(-1)?.seq ?? 0;
  expect((await call('POST', '/demo/kiosks/kiosk-1/scanner', { code })).status).toBe(202);
  return waitFor(
    `scan ${code} handled`,
    async () =>
      (await station(before)).events.find((e: J) => e.type === 'line-added' || e.type === 'scan-refused'),
    5000,
  );
}

beforeAll(async () => {
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${seed} }
devices:
  - { id: k1-scanner, kind: scanner, driver: serial-scanner, kiosk: kiosk-1, simulate: true }
  - { id: k1-scale, kind: scale, driver: mt-sics, kiosk: kiosk-1, simulate: true }
  - { id: k1-printer, kind: printer, driver: escpos, kiosk: kiosk-1, simulate: true, options: { timeoutMs: 500 } }
  - { id: k1-terminal, kind: payment-terminal, driver: nexo, kiosk: kiosk-1, simulate: true, options: { paymentTimeoutMs: 4000, requestTimeoutMs: 1000 } }
payments:
  codeGateway: { enabled: true, simulate: true, confirmTimeoutMs: 5000 }
security:
  kioskTokens:
    - { kioskId: kiosk-1, token: ${KIOSK_TOKEN} }
  staff:
    - { id: cashier-1, name: Li Na, role: cashier, pinHash: "${STAFF_PIN_HASH}" }
`,
  );
  d = await startDaemon(['--config', file]);
}, 40_000);

afterAll(async () => {
  if (d) expect(await d.stop('SIGTERM')).toBe(0);
});

describe('self-checkout kiosk with its devices', () => {
  it('reports every device ready in /readyz and the metrics', async () => {
    const ready = (await (await fetch(`${d.address}/readyz`)).json()) as J;
    const devices = ready.parts.find((p: J) => p.name === 'devices').details.devices;
    expect(devices.map((x: J) => [x.id, x.state])).toEqual([
      ['k1-scanner', 'ready'],
      ['k1-scale', 'ready'],
      ['k1-printer', 'ready'],
      ['k1-terminal', 'ready'],
    ]);
    const metrics = await (await fetch(`${d.address}/metrics`)).text();
    expect(metrics).toContain(
      'storeedge_device_state{device="k1-terminal",kind="payment-terminal",state="ready"} 1',
    );
  });

  it('scans into a new cart, weighs a produce item on the scale, pays by card and prints the receipt', async () => {
    expect((await call('PUT', '/demo/kiosks/kiosk-1/scale', { grams: 1234, settleMs: 200 })).status).toBe(
      200,
    );
    expect((await scanAtKiosk(MILK)).type).toBe('line-added');
    const weighed = await scanAtKiosk(APPLES);
    expect(weighed).toMatchObject({ type: 'line-added', detail: { weightG: 1234 } });
    expect((await scanAtKiosk('1234567890123')).detail.code).toBe('BARCODE_INVALID');

    const cartId = (await station()).cartId as string;
    expect((await call('POST', `/carts/${cartId}/checkout`, {})).status).toBe(200);
    const paid = await call('POST', `/carts/${cartId}/payments/card`, {});
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'approved', quote: { status: 'paid' } });
    const receipts = (await call('GET', '/demo/kiosks/kiosk-1/printer/receipts')).body as J[];
    const last = receipts.at(-1);
    expect(last.lines.join('\n')).toContain('1.234kg');
    // the QR code is the e-receipt's signed link at the store's address, as the receipt API gives it
    const receipt = await call('GET', `/sales/${paid.body.sale.saleId}/receipt`);
    expect(receipt.status).toBe(200);
    expect(last.qr[0]).toBe(receipt.body.eReceiptUrl);
    expect(last.qr[0]).toMatch(/^https?:\/\/[^/]+\/ui\/receipt\/#[0-9a-f-]{36}\.\d+\.[A-Za-z0-9_-]{43}$/);
    // the next scan starts the next shopper's cart
    await scanAtKiosk(MILK);
    expect((await station()).cartId).not.toBe(cartId);
  });

  it('out of paper: the sale still completes, the shopper gets the e-receipt, staff get an alert', async () => {
    await call('PUT', '/demo/kiosks/kiosk-1/printer', { paper: false, coverOpen: false });
    const cartId = (await station()).cartId as string;
    await call('POST', `/carts/${cartId}/checkout`, {});
    const before = (await station()).events.at(-1).seq;
    const paid = await call('POST', `/carts/${cartId}/payments/card`, {});
    expect(paid.body.status).toBe('approved');
    const s = await station(before);
    const missed = s.events.find((e: J) => e.type === 'receipt-not-printed');
    expect(missed.detail.reason).toMatch(/paper/);
    expect((await call('GET', missed.detail.eReceipt.replace('/api/v1', ''))).status).toBe(200);
    expect(s.alerts.some((a: J) => a.kind === 'device' && /paper/.test(a.message))).toBe(true);
    await call('PUT', '/demo/kiosks/kiosk-1/printer', { paper: true, coverOpen: false });
  });

  it('terminal unplugged: card is refused with DEVICE_UNAVAILABLE, a wallet payment code still pays', async () => {
    await call('PUT', '/demo/kiosks/kiosk-1/terminal', { online: false });
    await waitFor(
      'terminal down',
      async () => ((await station()).devices.terminal.state !== 'ready' ? true : undefined),
      5000,
    );
    await scanAtKiosk(MILK);
    const cartId = (await station()).cartId as string;
    await call('POST', `/carts/${cartId}/checkout`, {});
    const card = await call('POST', `/carts/${cartId}/payments/card`, {});
    expect(card.status).toBe(409);
    expect(card.body.error.code).toBe('DEVICE_UNAVAILABLE');
    // the shopper shows a WeChat payment code to the kiosk scanner
    const before = (await station()).events.at(-1).seq;
    await call('POST', '/demo/kiosks/kiosk-1/scanner', { code: '134567890123456789' });
    const payment = await waitFor(
      'wallet payment',
      async () => (await station(before)).events.find((e: J) => e.type === 'payment'),
      8000,
    );
    expect(payment.detail.status).toBe('approved');
    expect((await call('GET', `/carts/${cartId}`)).body.status).toBe('paid');

    // plugged back in: the supervisor reconnects by itself
    await call('PUT', '/demo/kiosks/kiosk-1/terminal', { online: true });
    await waitFor(
      'terminal back',
      async () => ((await station()).devices.terminal.state === 'ready' ? true : undefined),
      40_000,
    );
  }, 60_000);

  it('a lost terminal answer is settled by status inquiry; help calls reach staff who resolve them', async () => {
    await scanAtKiosk(MILK);
    const cartId = (await station()).cartId as string;
    await call('POST', `/carts/${cartId}/checkout`, {});
    await call('PUT', '/demo/kiosks/kiosk-1/terminal', { online: true, nextFault: 'drop-answer' });
    const lost = await call('POST', `/carts/${cartId}/payments/card`, {});
    expect(lost.body.status).toBe('unknown');
    await waitFor(
      'recovered',
      async () => ((await call('GET', `/carts/${cartId}`)).body.status === 'paid' ? true : undefined),
      15_000,
    );

    expect((await call('POST', '/kiosk/stations/kiosk-1/help')).status).toBe(202);
    const signIn = await call('POST', '/staff/sessions', { staffId: 'cashier-1', pin: '1234' });
    const token = { 'x-staff-token': signIn.body.token as string };
    const alerts = (await call('GET', '/staff/alerts', undefined, token)).body as J[];
    const help = alerts.find((a) => a.kind === 'help');
    expect(help).toBeTruthy();
    expect(alerts.some((a) => a.kind === 'payment')).toBe(true);
    const resolved = await call('POST', `/staff/alerts/${help.id}/resolve`, {}, token);
    expect(resolved.body).toMatchObject({ resolvedBy: 'cashier-1' });
    expect((await station()).alerts.some((a: J) => a.id === help.id)).toBe(false);
  }, 30_000);
});
