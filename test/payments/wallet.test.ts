// Paying on the phone (JSAPI) against the wallet gateway simulator over loopback HTTP:
// the store's notification endpoint is a real HTTP server in front of WalletPayments.
import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listenLoopback } from '../../device-drivers/core/sim-io.js';
import { WalletGateway } from '../../device-drivers/payment/wallet/gateway.js';
import {
  decryptResource,
  encryptResource,
  newRsaKeyPair,
  signParts,
} from '../../device-drivers/payment/wallet/signing.js';
import { WalletGatewaySimulator } from '../../device-drivers/payment/wallet/simulator.js';
import { addScan, createCart, getCart } from '../../edge/checkout/carts.js';
import { refundSale } from '../../edge/checkout/refunds.js';
import { payCash, startPayment } from '../../edge/checkout/tenders.js';
import type { Db } from '../../edge/db/open.js';
import { ProviderPayments } from '../../edge/payments/provider-payments.js';
import { ProviderRefunds } from '../../edge/payments/provider-refunds.js';
import { WalletPayments } from '../../edge/payments/wallet-payments.js';
import { DomainError } from '../../sync/kernel/errors.js';
import { waitFor } from '../helpers/ports.js';
import { ctx, demoDb, gtinOf, scan } from '../helpers/store.js';

const API_V3_KEY = 'test-api-v3-key-0123456789abcdef';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const now = () => ctx(Date.now());

async function rig(o: { payMs?: number; retryScale?: number } = {}) {
  const db = demoDb();
  const merchant = newRsaKeyPair();
  const sim = new WalletGatewaySimulator({
    appId: 'wxtest',
    merchantId: '1900000109',
    merchantPublicKey: merchant.publicKey,
    apiV3Key: API_V3_KEY,
    retryScale: o.retryScale ?? 0.002,
    delayMs: 400,
  });
  const baseUrl = await sim.listen();
  const log = pino({ level: 'silent' });
  const gateway = new WalletGateway({
    id: 'wallet-gateway',
    baseUrl,
    appId: 'wxtest',
    merchantId: '1900000109',
    merchantSerial: 'SERIAL1',
    merchantKey: merchant.privateKey,
    platformKey: sim.platform.publicKey,
    apiV3Key: API_V3_KEY,
    requestTimeoutMs: 1000,
  });
  const payments = new ProviderPayments({
    db,
    currency: 'CNY',
    context: now,
    log,
    retryMs: 50,
    maxRetryMs: 200,
  });
  payments.register(gateway);
  // the store's side of the notifications: a real HTTP endpoint, answering as the API does
  const refusals: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      wallet.notify(req.headers, Buffer.concat(chunks).toString('utf8')).then(
        () => res.writeHead(204).end(),
        (e: unknown) => {
          refusals.push((e as Error).message);
          res.writeHead(e instanceof DomainError ? 401 : 500).end();
        },
      );
    });
  });
  const port = await listenLoopback(server);
  const wallet: WalletPayments = new WalletPayments({
    db,
    payments,
    gateway,
    currency: 'CNY',
    context: now,
    log,
    notifyUrl: () => `http://127.0.0.1:${port}/notify`,
    payMs: o.payMs ?? 60_000,
    description: 'test',
  });
  const refunds = new ProviderRefunds({ db, gateway, log, now: Date.now, retryMs: 30, maxRetryMs: 100 });
  cleanup.push(async () => {
    payments.stop();
    refunds.stop();
    await sim.close();
    await new Promise<void>((r) => server.close(() => r()));
    db.close();
  });
  return { db, sim, gateway, payments, wallet, refunds, refusals };
}

function phoneCart(db: Db, items = ['Cola 330ml']): string {
  const cart = createCart(db, { channel: 'phone', now: Date.now() });
  for (const i of items) addScan(db, cart.id, { scan: scan(gtinOf(db, i)), now: Date.now() });
  startPayment(db, cart.id, now());
  return cart.id;
}

const sales = (db: Db, cartId: string) =>
  db.prepare('SELECT count(*) FROM sales WHERE cart_id = ?').pluck().get(cartId) as number;

/** What the gateway charged is exactly what the store counts as approved wallet payments. */
function reconcile(db: Db, sim: WalletGatewaySimulator) {
  const approved = db
    .prepare(`SELECT reference, amount_fen FROM payments WHERE kind = 'wallet' AND status = 'approved'`)
    .all() as { reference: string; amount_fen: number }[];
  expect(sim.charges()).toEqual(new Map(approved.map((p) => [p.reference, p.amount_fen])));
}

const paidSoon = (db: Db, cartId: string, ms = 5000) =>
  waitFor('the sale', () => (sales(db, cartId) === 1 ? true : undefined), ms);

describe('paying on the phone (JSAPI)', () => {
  it('order, wallet pays, notification on time: one sale; the prepay_id is good for this order only', async () => {
    const { db, sim, wallet } = await rig();
    const cart = phoneCart(db);
    const order = await wallet.open(cart);
    expect(order.reference.length).toBeLessThanOrEqual(32);
    expect(order.payParams.package).toMatch(/^prepay_id=wx/);
    // the wallet refuses pay parameters the merchant did not sign (a first character that
    // is surely different: replacing it with 'A' changed nothing one time in 64)
    const sig = order.payParams.paySign;
    const tampered = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    expect(sim.pay({ ...order.payParams, paySign: tampered })).toMatchObject({
      result: 'refused',
      reason: 'SIGN_ERROR',
    });
    expect(
      sim.pay({ ...order.payParams, timeStamp: String(Number(order.payParams.timeStamp) + 1) }),
    ).toMatchObject({
      result: 'refused',
      reason: 'SIGN_ERROR',
    });
    expect(sim.pay(order.payParams)).toEqual({ result: 'paid' });
    await paidSoon(db, cart);
    expect(getCart(db, cart).status).toBe('paid');
    // the simulator records a delivery once the store's answer is in, after the sale committed
    await waitFor('the delivery recorded', () => (sim.deliveries.length > 0 ? true : undefined));
    expect(sim.deliveries.map((d) => d.status)).toEqual([204]);
    expect(sim.pay(order.payParams)).toMatchObject({ result: 'refused', reason: 'ORDER_PAID' });
    reconcile(db, sim);
  });

  it('a lost notification: the store asks the gateway and settles', async () => {
    const { db, sim, wallet } = await rig();
    const cart = phoneCart(db);
    const order = await wallet.open(cart);
    sim.inject('lose');
    sim.pay(order.payParams);
    // the page's "wallet finished" makes the store ask at once
    expect((await wallet.check(cart)).status).toBe('approved');
    expect(sales(db, cart)).toBe(1);
    expect(sim.deliveries).toHaveLength(0);
    reconcile(db, sim);
  });

  it('with nobody asking, the store polls until the lost notification does not matter', async () => {
    const { db, sim, wallet } = await rig();
    const cart = phoneCart(db);
    const order = await wallet.open(cart);
    sim.inject('lose');
    sim.pay(order.payParams);
    await paidSoon(db, cart, 8000);
    expect(sim.queries.get(order.reference)).toBeGreaterThan(0);
    reconcile(db, sim);
  });

  it('a repeated notification and a late one: one sale, one charge', async () => {
    const { db, sim, wallet } = await rig();
    const a = phoneCart(db);
    const oa = await wallet.open(a);
    sim.inject('repeat');
    sim.pay(oa.payParams);
    await waitFor('two deliveries', () => (sim.deliveries.length >= 2 ? true : undefined));
    expect(sales(db, a)).toBe(1);
    const b = phoneCart(db, ['Cola 330ml', 'Cola 330ml']);
    const ob = await wallet.open(b);
    sim.inject('delay');
    sim.pay(ob.payParams);
    await paidSoon(db, b);
    await waitFor('the late delivery', () =>
      sim.deliveries.some((d) => d.reference === ob.reference) ? true : undefined,
    );
    expect(sales(db, b)).toBe(1);
    expect(db.prepare(`SELECT count(*) FROM payments WHERE status = 'approved'`).pluck().get()).toBe(2);
    reconcile(db, sim);
  });

  it('the outcome learnt by three paths at once settles once, and nothing is given back', async () => {
    const { db, sim, wallet, gateway, payments } = await rig();
    const cart = phoneCart(db);
    const o = await wallet.open(cart);
    sim.inject('lose');
    sim.pay(o.payParams);
    const t = (await gateway.transaction(o.reference))!;
    const paymentId = db
      .prepare('SELECT id FROM payments WHERE reference = ?')
      .pluck()
      .get(o.reference) as string;
    await Promise.all([
      wallet.check(cart),
      wallet.check(cart),
      payments.settle(paymentId, {
        result: 'approved',
        providerRef: t.transaction_id!,
        amountFen: t.amount.total,
      }),
    ]);
    expect(sales(db, cart)).toBe(1);
    expect(db.prepare('SELECT status FROM payments WHERE id = ?').pluck().get(paymentId)).toBe('approved');
    expect(sim.refunded()).toEqual(new Map());
    expect(sim.orderState(o.reference)).toBe('SUCCESS');
    reconcile(db, sim);
  });

  it('a forged notification is refused, the gateway is asked instead, and nothing is sold', async () => {
    const { db, sim, wallet, refusals, payments } = await rig();
    const cart = phoneCart(db);
    const order = await wallet.open(cart);
    const before = sim.queries.get(order.reference) ?? 0;
    expect(await sim.forge(order.reference)).toBe(401);
    expect(refusals).toEqual(['notification signature invalid']);
    await waitFor('the order queried', () =>
      (sim.queries.get(order.reference) ?? 0) > before ? true : undefined,
    );
    expect(sales(db, cart)).toBe(0);
    expect(getCart(db, cart).status).toBe('paying');
    // a flood of forged notifications is not a flood of queries at the gateway: the open
    // orders are asked about at most once in two seconds
    const askAll = vi.spyOn(payments, 'askAll');
    for (let i = 0; i < 20; i++) expect(await sim.forge(order.reference)).toBe(401);
    expect(askAll.mock.calls.length).toBeLessThanOrEqual(1);
    askAll.mockRestore();
    // the shopper then really pays
    sim.pay(order.payParams);
    await paidSoon(db, cart);
    reconcile(db, sim);
  });

  it('refuses a notification unsigned, stale, or with a resource that does not decrypt', async () => {
    const { db, wallet, sim } = await rig();
    const cart = phoneCart(db);
    const o = await wallet.open(cart);
    const tx = JSON.stringify({
      appid: 'wxtest',
      mchid: '1900000109',
      out_trade_no: o.reference,
      transaction_id: '4200FAKE',
      trade_state: 'SUCCESS',
      amount: { total: o.amountFen, currency: 'CNY' },
    });
    const notice = (resource: unknown, ageS = 0, key = sim.platform.privateKey) => {
      const body = JSON.stringify({ event_type: 'TRANSACTION.SUCCESS', resource });
      const ts = String(Math.floor(Date.now() / 1000) - ageS);
      const headers = {
        'wechatpay-timestamp': ts,
        'wechatpay-nonce': 'N1',
        'wechatpay-signature': signParts(key, [ts, 'N1', body]),
      };
      return wallet.notify(headers, body);
    };
    await expect(wallet.notify({}, '{}')).rejects.toThrow(/signature invalid/);
    await expect(notice(encryptResource(API_V3_KEY, tx, 'transaction'), 600)).rejects.toThrow(/timestamp/);
    const tampered = { ...encryptResource(API_V3_KEY, tx, 'transaction'), associated_data: 'other' };
    await expect(notice(tampered)).rejects.toThrow(/does not decrypt/);
    await expect(
      notice(encryptResource('wrong-api-v3-key-0123456789abcde', tx, 'transaction')),
    ).rejects.toThrow(/does not decrypt/);
    expect(sales(db, cart)).toBe(0);
    // the round trip itself, and the genuine article settles the order
    expect(decryptResource(API_V3_KEY, encryptResource(API_V3_KEY, tx, 'transaction'))).toBe(tx);
    sim.inject('lose');
    sim.pay(o.payParams);
    await notice(encryptResource(API_V3_KEY, tx.replace('4200FAKE', '4200REAL'), 'transaction'));
    expect(sales(db, cart)).toBe(1);
  });

  it('the shopper cancels: the order is closed at the gateway, the cart is open again, and a new order has a new number', async () => {
    const { db, sim, wallet } = await rig();
    const cart = phoneCart(db);
    const first = await wallet.open(cart);
    const c = await wallet.cancel(cart);
    expect(c.status).toBe('declined');
    expect(c.quote.status).toBe('open');
    expect(sim.orderState(first.reference)).toBe('CLOSED');
    expect(sim.pay(first.payParams)).toMatchObject({ result: 'refused', reason: 'ORDER_CLOSED' });
    startPayment(db, cart, now());
    const second = await wallet.open(cart);
    expect(second.reference).not.toBe(first.reference);
    sim.pay(second.payParams);
    await paidSoon(db, cart);
    reconcile(db, sim);
  });

  it('paid in the instant before cancel: the close finds it paid and the sale completes', async () => {
    const { db, sim, wallet } = await rig();
    const cart = phoneCart(db);
    const o = await wallet.open(cart);
    sim.inject('lose');
    sim.pay(o.payParams);
    const c = await wallet.cancel(cart);
    expect(c.status).toBe('approved');
    expect(sales(db, cart)).toBe(1);
    reconcile(db, sim);
  });

  it('an order not paid in time is closed at the gateway before it is declined', async () => {
    const { db, sim, wallet } = await rig({ payMs: 300 });
    const cart = phoneCart(db);
    const o = await wallet.open(cart);
    await waitFor(
      'the order closed',
      () => (sim.orderState(o.reference) === 'CLOSED' ? true : undefined),
      8000,
    );
    await waitFor('the payment declined', () =>
      db.prepare('SELECT status FROM payments WHERE reference = ?').pluck().get(o.reference) === 'declined'
        ? true
        : undefined,
    );
    expect(sim.pay(o.payParams).result).toBe('refused');
    expect(getCart(db, cart).status).toBe('paying'); // the shopper may try again, or pay another way
    reconcile(db, sim);
  });

  it('the gateway out of reach: phone payment is refused with "pay at a kiosk", and the cart can be paid there', async () => {
    const { db, sim, wallet } = await rig();
    const cart = phoneCart(db);
    sim.offline = true;
    const err = await wallet.open(cart).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('WALLET_UNAVAILABLE');
    // nothing is left in flight: the kiosk takes cash
    const r = payCash(db, cart, 10_000, now());
    expect(r.sale).not.toBeNull();
    sim.offline = false;
  });

  it('refunds unit by unit over a split tender never ask the wallet for more than it paid', async () => {
    const { db, sim, wallet, refunds } = await rig();
    const cart = createCart(db, { channel: 'phone', now: Date.now() });
    for (let i = 0; i < 3; i++)
      addScan(db, cart.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now: Date.now() });
    const q = startPayment(db, cart.id, now());
    // a third in cash at a till, the rest on the phone
    const cash = Math.round(q.totalFen / 3);
    payCash(db, cart.id, cash, now());
    const o = await wallet.open(cart.id);
    expect(o.amountFen).toBe(q.totalFen - cash);
    sim.pay(o.payParams);
    await paidSoon(db, cart.id);
    const saleId = db.prepare('SELECT id FROM sales WHERE cart_id = ?').pluck().get(cart.id) as string;
    const staff = { id: 'sup-1', name: 'Wang', role: 'supervisor' as const };
    const qty = db
      .prepare('SELECT qty FROM sale_lines WHERE sale_id = ? AND line_no = 1')
      .pluck()
      .get(saleId) as number;
    expect(qty).toBe(3);
    for (let i = 0; i < 3; i++)
      refundSale(db, saleId, {
        lines: [{ lineNo: 1, qty: 1 }],
        staff,
        reason: 'one can back',
        now: Date.now(),
        fenPerPoint: 1,
      });
    refunds.kick();
    await waitFor('the refunds final', () => (refunds.open() === 0 ? true : undefined), 8000);
    expect(db.prepare(`SELECT DISTINCT status FROM provider_refunds`).pluck().all()).toEqual(['success']);
    expect(sim.refunded()).toEqual(new Map([[o.reference, o.amountFen]]));
    const back = (db.prepare('SELECT tenders FROM refunds WHERE sale_id = ?').pluck().all(saleId) as string[])
      .flatMap((t) => JSON.parse(t) as { kind: string; amountFen: number }[])
      .reduce((m, t) => m.set(t.kind, (m.get(t.kind) ?? 0) + t.amountFen), new Map<string, number>());
    expect(back).toEqual(
      new Map([
        ['cash', cash],
        ['wallet', o.amountFen],
      ]),
    );
  });

  it('a refund of one line goes back through the gateway and is asked about until final', async () => {
    const { db, sim, wallet, refunds } = await rig();
    const cart = phoneCart(db, ['Cola 330ml', 'Cola 330ml']);
    const o = await wallet.open(cart);
    sim.pay(o.payParams);
    await paidSoon(db, cart);
    const saleId = db.prepare('SELECT id FROM sales WHERE cart_id = ?').pluck().get(cart) as string;
    const r = refundSale(db, saleId, {
      lines: [{ lineNo: 1, qty: 1 }],
      staff: { id: 'sup-1', name: 'Wang', role: 'supervisor' },
      reason: 'dented can',
      now: Date.now(),
      fenPerPoint: 1,
    });
    expect(db.prepare(`SELECT status FROM provider_refunds`).pluck().all()).toEqual(['pending']);
    refunds.kick();
    await waitFor('the refund final', () => (refunds.open() === 0 ? true : undefined), 8000);
    expect(db.prepare(`SELECT status FROM provider_refunds`).pluck().all()).toEqual(['success']);
    expect(sim.refunded()).toEqual(new Map([[o.reference, r.amountFen]]));
    // sent again (a lost answer), the same refund number is the same refund
    await expect(refunds.pass()).resolves.toBe(0);
    expect(sim.refunded()).toEqual(new Map([[o.reference, r.amountFen]]));
  });
});
