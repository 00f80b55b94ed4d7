// Tenders: cash and points here; card and payment-code payments go through a payment
// provider (the device layer's terminal, the payment-code gateway) and keep their
// state machine in the same payments table. When approved tenders cover the total the
// sale completes in the same transaction as the last tender.
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../sync/kernel/errors.js';
import { startOfLocalDay } from '../../sync/kernel/local-day.js';
import { lightly } from '../db/durability.js';
import type { Db } from '../db/open.js';
import { getMember } from '../members/members.js';
import { getCart, requireStatus } from './carts.js';
import { type Quote, quoteCart } from './quote.js';
import { type CheckoutContext, completeSale, type SaleResult } from './sale.js';

/** Tenders taken through a provider: a card terminal, the payment-code gateway, the
 * wallet's in-app payment on the shopper's phone. */
export type ProviderKind = 'card' | 'payment_code' | 'wallet';

export interface TenderResult {
  paymentId: string;
  quote: Quote;
  sale: SaleResult | null;
}

/** Locks the cart for payment: no more line changes, the quote holds. A light commit
 * (durability.ts): no money has moved yet, and the first tender's commit makes it durable. */
export function startPayment(db: Db, cartId: string, ctx: CheckoutContext): Quote {
  return lightly(db, () => lockForPayment(db, cartId, ctx));
}

function lockForPayment(db: Db, cartId: string, ctx: CheckoutContext): Quote {
  return db
    .transaction(() => {
      const cart = getCart(db, cartId);
      if (cart.status === 'paying') return quoteCart(db, cartId, ctx);
      requireStatus(cart, 'open');
      const q = quoteCart(db, cartId, ctx);
      if (q.lines.length === 0) throw new DomainError('conflict', 'CART_EMPTY', 'nothing to pay for');
      if (q.labelChecksPending.length) {
        throw new DomainError('conflict', 'LABEL_CHECK_REQUIRED', 'an attendant must check a label first', {
          lines: q.labelChecksPending,
        });
      }
      if (q.ageChecksPending.length) {
        throw new DomainError('conflict', 'AGE_CHECK_REQUIRED', 'an attendant must check the shopper’s age', {
          lines: q.ageChecksPending,
        });
      }
      db.prepare(`UPDATE carts SET status = 'paying', updated_at = ? WHERE id = ?`).run(ctx.now, cartId);
      return { ...q, status: 'paying' as const };
    })
    .immediate();
}

/** Back to shopping. Cash and points taken so far are handed back; a card, payment-code
 * or wallet payment approved or in flight must be settled through its provider first. */
export function cancelPayment(db: Db, cartId: string, ctx: CheckoutContext): Quote {
  return db
    .transaction(() => {
      requireStatus(getCart(db, cartId), 'paying');
      const held = db
        .prepare(
          `SELECT count(*) FROM payments WHERE cart_id = ? AND kind IN ('card', 'payment_code', 'wallet') AND status IN ('approved', 'pending', 'unknown')`,
        )
        .pluck()
        .get(cartId) as number;
      if (held > 0) {
        throw new DomainError(
          'conflict',
          'PAYMENT_TAKEN',
          'a card or payment-code payment is approved or in flight: reverse it first',
        );
      }
      db.prepare(
        `UPDATE payments SET status = 'reversed', updated_at = ? WHERE cart_id = ? AND status = 'approved'`,
      ).run(ctx.now, cartId);
      db.prepare(`UPDATE carts SET status = 'open', updated_at = ? WHERE id = ?`).run(ctx.now, cartId);
      return quoteCart(db, cartId, ctx);
    })
    .immediate();
}

function insertApproved(
  db: Db,
  cartId: string,
  kind: 'cash' | 'points',
  amountFen: number,
  tenderedFen: number,
  detail: unknown,
  now: number,
): string {
  const id = randomUUID();
  db.prepare(
    `INSERT INTO payments (id, cart_id, kind, amount_fen, tendered_fen, status, reference, detail, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'approved', ?, ?, ?, ?)`,
  ).run(id, cartId, kind, amountFen, tenderedFen, `${kind}-${id}`, JSON.stringify(detail), now, now);
  return id;
}

function finishIfPaid(db: Db, cartId: string, paymentId: string, ctx: CheckoutContext): TenderResult {
  const q = quoteCart(db, cartId, ctx);
  if (q.paidFen >= q.totalFen) {
    const sale = completeSale(db, cartId, ctx, q);
    return { paymentId, quote: sale.quote, sale };
  }
  return { paymentId, quote: q, sale: null };
}

/** Cash handed over; change is whatever exceeds what is due. */
export function payCash(db: Db, cartId: string, tenderedFen: number, ctx: CheckoutContext): TenderResult {
  if (!Number.isInteger(tenderedFen) || tenderedFen <= 0)
    throw new DomainError('invalid', 'AMOUNT_INVALID', 'cash must be whole fen > 0');
  return db
    .transaction(() => {
      requireStatus(getCart(db, cartId), 'paying');
      const q = quoteCart(db, cartId, ctx);
      if (q.dueFen <= 0) throw new DomainError('conflict', 'NOTHING_DUE', 'nothing is due');
      const amount = Math.min(tenderedFen, q.dueFen);
      const id = insertApproved(db, cartId, 'cash', amount, tenderedFen, null, ctx.now);
      return finishIfPaid(db, cartId, id, ctx);
    })
    .immediate();
}

/** Points as a tender, at the store's point value, up to what is due and what the member has. */
export function payPoints(db: Db, cartId: string, points: number, ctx: CheckoutContext): TenderResult {
  if (!Number.isInteger(points) || points <= 0)
    throw new DomainError('invalid', 'AMOUNT_INVALID', 'points must be a whole number > 0');
  return db
    .transaction(() => {
      const cart = getCart(db, cartId);
      requireStatus(cart, 'paying');
      if (!cart.member_id)
        throw new DomainError('conflict', 'MEMBER_REQUIRED', 'identify the member to pay with points');
      const q = quoteCart(db, cartId, ctx);
      const reserved = q.payments
        .filter((p) => p.kind === 'points' && p.status === 'approved')
        .reduce((a, p) => a + p.amountFen, 0);
      const available = getMember(db, cart.member_id).points * ctx.loyalty.fenPerPoint - reserved;
      const amount = points * ctx.loyalty.fenPerPoint;
      if (amount > available) throw new DomainError('conflict', 'POINTS_INSUFFICIENT', 'not enough points');
      if (ctx.hqOnline === false) {
        // HQ keeps the chain's balance: apart from it, a store spends at most a daily cap
        const cap = ctx.loyalty.offlineSpendCapPerDay ?? 0;
        const spent = offlineSpentToday(db, cart.member_id, startOfLocalDay(ctx.now, ctx.timezone));
        if (spent + reserved / ctx.loyalty.fenPerPoint + points > cap)
          throw new DomainError(
            'conflict',
            'POINTS_OFFLINE_CAP',
            `HQ is out of reach: a member may spend at most ${cap} points a day here until the link is back (${Math.max(0, cap - spent)} left today)`,
          );
      }
      if (amount > q.dueFen)
        throw new DomainError('conflict', 'AMOUNT_TOO_HIGH', `only ¥${(q.dueFen / 100).toFixed(2)} is due`);
      const id = insertApproved(db, cartId, 'points', amount, amount, { points }, ctx.now);
      return finishIfPaid(db, cartId, id, ctx);
    })
    .immediate();
}

/** Records the outcome of a provider payment (card terminal, payment code) and completes
 * the sale when it covers what is due. The provider flow (request, lost answers,
 * inquiry by reference) writes the pending row first and calls this with the result. */
export function settleProviderPayment(
  db: Db,
  paymentId: string,
  outcome: {
    status: 'approved' | 'declined' | 'unknown' | 'reversed';
    providerRef?: string | null;
    detail?: unknown;
  },
  ctx: CheckoutContext,
): TenderResult {
  return db
    .transaction(() => {
      const p = db.prepare('SELECT cart_id, status FROM payments WHERE id = ?').get(paymentId) as
        | { cart_id: string; status: string }
        | undefined;
      if (!p) throw new DomainError('not_found', 'PAYMENT_NOT_FOUND', `payment ${paymentId} not found`);
      // an approval is final here: only a refund (its own record) gives that money back
      if (p.status === 'approved' && outcome.status !== 'approved')
        throw new DomainError('conflict', 'PAYMENT_SETTLED', `payment ${paymentId} is already approved`);
      db.prepare(
        'UPDATE payments SET status = ?, provider_ref = coalesce(?, provider_ref), detail = coalesce(?, detail), updated_at = ? WHERE id = ?',
      ).run(
        outcome.status,
        outcome.providerRef ?? null,
        outcome.detail === undefined ? null : JSON.stringify(outcome.detail),
        ctx.now,
        paymentId,
      );
      if (outcome.status === 'approved' && getCart(db, p.cart_id).status === 'paying')
        return finishIfPaid(db, p.cart_id, paymentId, ctx);
      return { paymentId, quote: quoteCart(db, p.cart_id, ctx), sale: null };
    })
    .immediate();
}

/** Opens a provider payment for what is due (or less, for a split tender): the pending
 * row with its reference exists before the provider is asked, so a lost answer can be
 * resolved by asking the provider about that reference. */
export function openProviderPayment(
  db: Db,
  cartId: string,
  kind: ProviderKind,
  amountFen: number | null,
  provider: string,
  ctx: CheckoutContext,
): { paymentId: string; reference: string; amountFen: number } {
  return db
    .transaction(() => {
      requireStatus(getCart(db, cartId), 'paying');
      const inflight = db
        .prepare(`SELECT count(*) FROM payments WHERE cart_id = ? AND status IN ('pending', 'unknown')`)
        .pluck()
        .get(cartId) as number;
      if (inflight > 0)
        throw new DomainError('conflict', 'PAYMENT_IN_FLIGHT', 'another payment is in flight for this cart');
      const q = quoteCart(db, cartId, ctx);
      const amount = amountFen ?? q.dueFen;
      if (!Number.isInteger(amount) || amount <= 0 || amount > q.dueFen) {
        throw new DomainError('invalid', 'AMOUNT_INVALID', `amount must be 1 to ${q.dueFen} fen`);
      }
      const id = randomUUID();
      // a wallet order number (out_trade_no) is at most 32 characters
      const reference =
        kind === 'wallet'
          ? `${ctx.storeId.slice(0, 12)}-${id.replaceAll('-', '').slice(0, 19)}`
          : `${ctx.storeId}-${id.slice(0, 8)}-${ctx.now.toString(36)}`;
      db.prepare(
        `INSERT INTO payments (id, cart_id, kind, amount_fen, tendered_fen, status, reference, provider, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
      ).run(id, cartId, kind, amount, amount, reference, provider, ctx.now, ctx.now);
      return { paymentId: id, reference, amountFen: amount };
    })
    .immediate();
}

/** Points the member spent here today while HQ was out of reach. */
function offlineSpentToday(db: Db, memberId: string, dayStart: number): number {
  return db
    .prepare(
      `SELECT coalesce(-sum(delta), 0) FROM points_ledger
        WHERE member_id = ? AND reason = 'spend' AND offline = 1 AND created_at >= ?`,
    )
    .pluck()
    .get(memberId, dayStart) as number;
}
