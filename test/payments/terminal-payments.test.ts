// Card payments through the nexo terminal driver and its simulator on loopback TCP,
// with the lost answer in every form: no answer, link dropped before or after the
// charge, a garbled frame, a late answer, and the daemon dying mid-payment. The
// terminal's journal is the shopper's card statement: it must match the sales exactly.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NexoTerminal } from '../../device-drivers/payment/nexo/nexo-terminal.js';
import { NexoTerminalSimulator, type TerminalFault } from '../../device-drivers/payment/nexo/simulator.js';
import { addScan, createCart } from '../../edge/checkout/carts.js';
import { openProviderPayment, startPayment } from '../../edge/checkout/tenders.js';
import type { Db } from '../../edge/db/open.js';
import { ProviderPayments } from '../../edge/payments/provider-payments.js';
import { waitFor } from '../helpers/ports.js';
import { ctx, demoDb, gtinOf, scan } from '../helpers/store.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const silent = pino({ level: 'silent' });

async function rig(opts: { paymentTimeoutMs?: number } = {}) {
  const db = demoDb();
  const sim = new NexoTerminalSimulator({ poiId: 'POI-K1' });
  const port = await sim.listen();
  const terminal = new NexoTerminal({
    id: 'kiosk1-terminal',
    host: '127.0.0.1',
    port,
    saleId: 'kiosk-1',
    poiId: 'POI-K1',
    paymentTimeoutMs: opts.paymentTimeoutMs ?? 400,
    requestTimeoutMs: 400,
  });
  await terminal.open();
  const payments = newPayments(db, terminal);
  cleanup.push(async () => {
    payments.stop();
    await terminal.close();
    await sim.close();
    db.close();
  });
  return { db, sim, terminal, payments, port };
}

function newPayments(db: Db, terminal: NexoTerminal) {
  const p = new ProviderPayments({
    db,
    currency: 'CNY',
    context: () => ctx(),
    log: silent,
    retryMs: 50,
    maxRetryMs: 200,
  });
  p.register(terminal);
  return p;
}

function payingCart(db: Db): string {
  const cart = createCart(db, { channel: 'kiosk', kioskId: 'kiosk-1', now: ctx().now });
  addScan(db, cart.id, { scan: scan(gtinOf(db, 'Whole Milk 1L')), now: ctx().now });
  startPayment(db, cart.id, ctx());
  return cart.id;
}

/** Card statement (terminal journal) against the store's books. */
function reconcile(db: Db, sim: NexoTerminalSimulator) {
  const approved = db
    .prepare(`SELECT reference, amount_fen FROM payments WHERE kind = 'card' AND status = 'approved'`)
    .all() as { reference: string; amount_fen: number }[];
  const books = new Map(approved.map((p) => [p.reference, p.amount_fen]));
  expect(new Map(sim.charges())).toEqual(books);
  // every approved card payment belongs to exactly one sale
  const orphans = db
    .prepare(
      `SELECT count(*) FROM payments p LEFT JOIN sales s ON s.cart_id = p.cart_id WHERE p.kind = 'card' AND p.status = 'approved' AND s.id IS NULL`,
    )
    .pluck()
    .get();
  expect(orphans).toBe(0);
  const unsettled = db
    .prepare(`SELECT count(*) FROM payments WHERE status IN ('pending', 'unknown')`)
    .pluck()
    .get();
  expect(unsettled).toBe(0);
}

const settledAll = (payments: ProviderPayments) =>
  waitFor('payments settled', () => (payments.unresolved() === 0 ? true : undefined), 8000);

describe('card payments through a nexo terminal', () => {
  it('an approved payment completes the sale; a declined one leaves the cart to pay another way', async () => {
    const { db, sim, payments } = await rig();
    const a = payingCart(db);
    const ok = await payments.pay(a, 'card', 'kiosk1-terminal', null);
    expect(ok.status).toBe('approved');
    expect(ok.sale).toBeTruthy();

    const b = payingCart(db);
    sim.inject('decline');
    const no = await payments.pay(b, 'card', 'kiosk1-terminal', null);
    expect(no).toMatchObject({ status: 'declined', reason: 'Refusal', sale: null });
    expect(no.quote.status).toBe('paying');
    reconcile(db, sim);
  });

  for (const fault of ['drop-answer', 'disconnect-after-charge', 'garble-answer'] as const) {
    it(`${fault}: the payment is unknown, then found approved by its reference and the sale completes`, async () => {
      const { db, sim, terminal, payments } = await rig();
      const cart = payingCart(db);
      sim.inject(fault);
      const r = await payments.pay(cart, 'card', 'kiosk1-terminal', null);
      expect(r.status).toBe('unknown');
      if (!terminal.connected) await terminal.open(); // what the supervisor does
      await settledAll(payments);
      expect(db.prepare('SELECT count(*) FROM sales WHERE cart_id = ?').pluck().get(cart)).toBe(1);
      reconcile(db, sim);
    });
  }

  it('disconnect before the charge: the terminal has no record, so it was never paid', async () => {
    const { db, sim, terminal, payments } = await rig();
    const cart = payingCart(db);
    sim.inject('disconnect-before-charge');
    expect((await payments.pay(cart, 'card', 'kiosk1-terminal', null)).status).toBe('unknown');
    await terminal.open();
    await settledAll(payments);
    expect(db.prepare('SELECT status FROM payments WHERE cart_id = ?').pluck().get(cart)).toBe('declined');
    // the shopper tries again and it goes through, once
    expect((await payments.pay(cart, 'card', 'kiosk1-terminal', null)).status).toBe('approved');
    reconcile(db, sim);
  });

  it('the daemon dies after sending: on restart the pending payment is recovered from the terminal', async () => {
    const { db, sim, terminal } = await rig({ paymentTimeoutMs: 2000 });
    const cart = payingCart(db);
    sim.cardDelayMs = 150;
    // what the dead process did: commit the pending row, send the request, and no more
    const open = openProviderPayment(db, cart, 'card', null, 'kiosk1-terminal', ctx());
    const inFlight = terminal
      .pay({ reference: open.reference, amountFen: open.amountFen, currency: 'CNY' })
      .catch(() => 'lost');
    await waitFor('request at the terminal', () => (sim.entries().length === 1 ? true : undefined), 2000);
    await terminal.close(); // its connection dies with it
    expect(await inFlight).toBe('lost');
    expect(db.prepare('SELECT status FROM payments WHERE cart_id = ?').pluck().get(cart)).toBe('pending');

    await new Promise((r) => setTimeout(r, 200));
    await terminal.open();
    const restarted = newPayments(db, terminal);
    cleanup.push(async () => restarted.stop());
    expect(restarted.recoverAll()).toBe(1);
    await settledAll(restarted);
    expect(db.prepare('SELECT count(*) FROM sales WHERE cart_id = ?').pluck().get(cart)).toBe(1);
    reconcile(db, sim);
  });

  it('an approval for a cart cancelled meanwhile is reversed at the terminal', async () => {
    const { db, sim, terminal, payments } = await rig();
    const cart = payingCart(db);
    sim.inject('drop-answer');
    payments.stop(); // hold recovery while the attendant acts
    expect((await payments.pay(cart, 'card', 'kiosk1-terminal', null)).status).toBe('unknown');
    db.prepare(`UPDATE carts SET status = 'cancelled' WHERE id = ?`).run(cart);
    const again = newPayments(db, terminal);
    cleanup.push(async () => again.stop());
    again.recoverAll();
    await settledAll(again);
    expect(db.prepare('SELECT status FROM payments WHERE cart_id = ?').pluck().get(cart)).toBe('reversed');
    expect(sim.charges().size).toBe(0);
  });

  it('randomised lost answers over 30 payments: no double charge, no sale without its money', async () => {
    const { db, sim, terminal, payments } = await rig();
    const faults: (TerminalFault | null)[] = [
      null,
      null,
      'decline',
      'drop-answer',
      'disconnect-after-charge',
      'disconnect-before-charge',
      'garble-answer',
      { delayMs: 600 },
    ];
    let seed = 20261122;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 30; i++) {
      const cart = payingCart(db);
      const fault = faults[Math.floor(rand() * faults.length)]!;
      if (fault) sim.inject(fault);
      // a retry by the shopper after an unknown or declined answer is a new payment
      for (let attempt = 0; attempt < 3; attempt++) {
        if (!terminal.connected) await terminal.open();
        const r = await payments.pay(cart, 'card', 'kiosk1-terminal', null);
        if (r.status === 'approved') break;
        if (!terminal.connected) await terminal.open();
        await settledAll(payments);
        if (db.prepare('SELECT count(*) FROM sales WHERE cart_id = ?').pluck().get(cart) === 1) break;
      }
    }
    await settledAll(payments);
    reconcile(db, sim);
    expect(db.prepare('SELECT count(*) FROM sales').pluck().get()).toBe(30);
  });
});
