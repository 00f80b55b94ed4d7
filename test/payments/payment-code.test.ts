// Shopper payment codes through the gateway client and its simulator over loopback HTTP.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { paymentCodeWallet } from '../../device-drivers/payment/payment-code/codes.js';
import { PaymentCodeGateway } from '../../device-drivers/payment/payment-code/gateway.js';
import { GatewaySimulator } from '../../device-drivers/payment/payment-code/simulator.js';
import { addScan, createCart } from '../../edge/checkout/carts.js';
import { startPayment } from '../../edge/checkout/tenders.js';
import type { Db } from '../../edge/db/open.js';
import { ProviderPayments } from '../../edge/payments/provider-payments.js';
import { waitFor } from '../helpers/ports.js';
import { ctx, demoDb, gtinOf, scan } from '../helpers/store.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const WECHAT = '134567890123456789';
const ALIPAY = '286543210987654321';

async function rig(confirmTimeoutMs = 2000) {
  const db = demoDb();
  const sim = new GatewaySimulator('gw-key');
  const baseUrl = await sim.listen();
  const gateway = new PaymentCodeGateway({
    id: 'wallet-gateway',
    baseUrl,
    merchantId: 'M100',
    key: 'gw-key',
    requestTimeoutMs: 1000,
    confirmTimeoutMs,
    pollMs: 30,
  });
  const payments = new ProviderPayments({
    db,
    currency: 'CNY',
    context: () => ctx(),
    log: pino({ level: 'silent' }),
    retryMs: 30,
    maxRetryMs: 100,
  });
  payments.register(gateway);
  cleanup.push(async () => {
    payments.stop();
    await sim.close();
    db.close();
  });
  return { db, sim, payments };
}

function payingCart(db: Db): string {
  const cart = createCart(db, { channel: 'kiosk', kioskId: 'kiosk-1', now: ctx().now });
  addScan(db, cart.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now: ctx().now });
  startPayment(db, cart.id, ctx());
  return cart.id;
}

const pay = (p: ProviderPayments, cart: string, code: string) =>
  p.pay(cart, 'payment_code', 'wallet-gateway', null, { paymentCode: code });

function reconcile(db: Db, sim: GatewaySimulator) {
  const approved = db
    .prepare(`SELECT reference, amount_fen FROM payments WHERE kind = 'payment_code' AND status = 'approved'`)
    .all() as { reference: string; amount_fen: number }[];
  expect(sim.charges()).toEqual(new Map(approved.map((p) => [p.reference, p.amount_fen])));
}

describe('payment codes', () => {
  it('tells wallet payment codes from other reads', () => {
    expect(paymentCodeWallet(WECHAT)).toBe('wechat');
    expect(paymentCodeWallet(ALIPAY)).toBe('alipay');
    expect(paymentCodeWallet('4006381333931')).toBeNull();
    expect(paymentCodeWallet('164567890123456789')).toBeNull(); // 16 is not a WeChat prefix
  });

  it('charges a code; no funds is a decline; a non-code is declined without calling out', async () => {
    const { db, sim, payments } = await rig();
    const a = payingCart(db);
    expect((await pay(payments, a, WECHAT)).status).toBe('approved');
    const b = payingCart(db);
    expect(await pay(payments, b, '131111111111119999')).toMatchObject({
      status: 'declined',
      reason: 'NOTENOUGH',
    });
    expect(await pay(payments, b, '4006381333931')).toMatchObject({
      status: 'declined',
      reason: 'NOT_A_PAYMENT_CODE',
    });
    reconcile(db, sim);
  });

  it('waits while the shopper confirms on the phone; gives up and reverses when they never do', async () => {
    const { db, sim, payments } = await rig(400);
    const a = payingCart(db);
    expect((await pay(payments, a, '281234567890120000')).status).toBe('approved');
    sim.confirmPolls = 1000;
    const b = payingCart(db);
    expect(await pay(payments, b, '281234567890130000')).toMatchObject({
      status: 'declined',
      reason: 'CONFIRM_TIMEOUT',
    });
    reconcile(db, sim);
  });

  for (const [fault, final] of [
    ['lose-answer', 'approved'],
    ['bad-signature', 'approved'],
    ['server-error', 'declined'],
  ] as const) {
    it(`${fault}: unknown at first, then settled ${final} by asking the gateway`, async () => {
      const { db, sim, payments } = await rig();
      const cart = payingCart(db);
      sim.inject(fault);
      expect((await pay(payments, cart, ALIPAY)).status).toBe('unknown');
      await waitFor('settled', () => (payments.unresolved() === 0 ? true : undefined), 5000);
      expect(db.prepare('SELECT status FROM payments WHERE cart_id = ?').pluck().get(cart)).toBe(final);
      reconcile(db, sim);
    });
  }
});
