// Paying on the phone with the wallet's in-app payment (JSAPI). The pending payment row
// (its reference is the order's out_trade_no) is committed before the gateway is asked
// for the order; the prepay_id and the time the shopper has are kept on it. From then on
// the order is settled by whichever comes first: the gateway's signed notification, the
// phone saying its wallet finished (the store then asks the gateway, never trusting the
// phone), or the store's own polling; an order still unpaid when time is up is closed
// first. Cancelling closes the order before the cart opens again, so it can never be
// paid afterwards. A notification that is not the gateway's is refused and the open
// orders are asked about instead.
import type { Logger } from 'pino';
import { PaymentLinkError } from '../../device-drivers/payment/provider.js';
import {
  approvedOutcome,
  NotificationRefused,
  type PayParams,
  type WalletGateway,
  WalletRefusal,
} from '../../device-drivers/payment/wallet/gateway.js';
import { DomainError } from '../../sync/kernel/errors.js';
import { getCart } from '../checkout/carts.js';
import { type Quote, quoteCart } from '../checkout/quote.js';
import type { CheckoutContext } from '../checkout/sale.js';
import { cancelPayment, openProviderPayment, settleProviderPayment } from '../checkout/tenders.js';
import type { Db } from '../db/open.js';
import type { ProviderPayments } from './provider-payments.js';

export interface WalletPaymentsOptions {
  db: Db;
  payments: ProviderPayments;
  gateway: WalletGateway;
  currency: string;
  context: () => CheckoutContext;
  log: Logger;
  /** where the gateway sends its notifications */
  notifyUrl: () => string;
  /** how long the shopper has to confirm in the wallet */
  payMs: number;
  description: string;
}

export interface WalletOrder {
  paymentId: string;
  reference: string;
  amountFen: number;
  expiresAt: number;
  payParams: PayParams;
}

export type WalletCheck = {
  status: 'approved' | 'declined' | 'pending';
  reason: string | null;
  saleId: string | null;
  quote: Quote;
};

interface WalletRow {
  id: string;
  reference: string;
  amount_fen: number;
  status: string;
  detail: string | null;
}

/** Refused notifications make the store ask about its open orders at most this often. */
const ASK_ALL_MS = 2000;

export class WalletPayments {
  private askedAllAt = 0;

  constructor(private readonly o: WalletPaymentsOptions) {}

  /** Opens (or, for a page reloaded while paying, hands out again) the wallet order for
   * what the cart owes. The cart must be checked out (paying). */
  async open(cartId: string): Promise<WalletOrder> {
    const { db, gateway } = this.o;
    const ctx = this.o.context();
    const live = this.current(cartId);
    if (live) {
      const d = (JSON.parse(live.detail ?? 'null') ?? {}) as { prepayId?: string; expiresAt?: number };
      if (live.status === 'pending' && d.prepayId && (d.expiresAt ?? 0) > ctx.now + 10_000)
        return {
          paymentId: live.id,
          reference: live.reference,
          amountFen: live.amount_fen,
          expiresAt: d.expiresAt!,
          payParams: gateway.payParams(d.prepayId),
        };
    }
    const open = openProviderPayment(db, cartId, 'wallet', null, gateway.id, ctx);
    const expiresAt = ctx.now + this.o.payMs;
    let prepayId: string;
    try {
      prepayId = await gateway.createOrder({
        reference: open.reference,
        amountFen: open.amountFen,
        currency: this.o.currency,
        description: this.o.description,
        expiresAt,
        notifyUrl: this.o.notifyUrl(),
      });
    } catch (e) {
      // no prepay_id reached the phone, so the order (if the gateway made one) cannot be
      // paid: the payment is declined here; one try closes the order, and an order the
      // gateway never hears about again expires at its time_expire
      const reason = e instanceof WalletRefusal ? e.code : e instanceof PaymentLinkError ? e.code : 'ERROR';
      settleProviderPayment(
        db,
        open.paymentId,
        { status: 'declined', detail: { reason, closeOrder: true } },
        ctx,
      );
      void this.closeQuietly(open.reference);
      this.o.log.warn({ paymentId: open.paymentId, err: (e as Error).message }, 'wallet order not created');
      if (e instanceof WalletRefusal)
        throw new DomainError(
          'conflict',
          'WALLET_REFUSED',
          `the wallet gateway refused the order: ${e.code}`,
        );
      throw new DomainError(
        'conflict',
        'WALLET_UNAVAILABLE',
        'phone payment is not available right now: please pay at a self-checkout kiosk',
      );
    }
    db.prepare('UPDATE payments SET detail = ?, updated_at = ? WHERE id = ?').run(
      JSON.stringify({ prepayId, expiresAt }),
      ctx.now,
      open.paymentId,
    );
    this.o.log.info({ paymentId: open.paymentId, reference: open.reference }, 'wallet order created');
    // the store asks on its own too: a notification may never come
    this.o.payments.watch(open.paymentId, 2000);
    return { ...open, expiresAt, payParams: gateway.payParams(prepayId) };
  }

  /** The phone's wallet says it finished (or the page wants to know): ask the gateway now. */
  async check(cartId: string): Promise<WalletCheck> {
    const row = this.current(cartId);
    if (row && (row.status === 'pending' || row.status === 'unknown'))
      await this.o.payments.resolve(row.id).catch((e: unknown) => {
        this.o.log.warn({ paymentId: row.id, err: (e as Error).message }, 'wallet order check failed');
      });
    return this.answer(cartId);
  }

  /** The shopper gives up paying on the phone: the order is closed at the gateway first
   * (a paid one completes the sale instead), then the cart is open for shopping again. */
  async cancel(cartId: string): Promise<WalletCheck> {
    const { db, gateway } = this.o;
    const row = this.current(cartId);
    if (row && (row.status === 'pending' || row.status === 'unknown')) {
      let closed: 'closed' | 'paid';
      try {
        closed = await gateway.closeOrder(row.reference);
      } catch (e) {
        if (!(e instanceof PaymentLinkError) && !(e instanceof WalletRefusal)) throw e;
        throw new DomainError(
          'conflict',
          'WALLET_UNAVAILABLE',
          'the order cannot be closed right now: wait a moment, or ask staff',
        );
      }
      if (closed === 'paid') {
        const t = await gateway.transaction(row.reference);
        if (t && (t.trade_state === 'SUCCESS' || t.trade_state === 'REFUND'))
          await this.o.payments.settle(row.id, approvedOutcome(t));
        return this.answer(cartId);
      }
      settleProviderPayment(
        db,
        row.id,
        { status: 'declined', detail: { reason: 'CANCELLED' } },
        this.o.context(),
      );
      this.o.log.info({ paymentId: row.id }, 'wallet order closed: shopper cancelled');
    }
    if (getCart(db, cartId).status === 'paying') cancelPayment(db, cartId, this.o.context());
    return this.answer(cartId);
  }

  /** A payment notification as it came (raw body, headers). One the gateway did not sign
   * (or stale, or not decrypting) is refused, and the open orders are asked about instead. */
  async notify(headers: Record<string, string | string[] | undefined>, body: string): Promise<void> {
    let t: ReturnType<WalletGateway['openNotification']>;
    try {
      t = this.o.gateway.openNotification(headers, body);
    } catch (e) {
      if (!(e instanceof NotificationRefused)) throw e;
      // at most once per ASK_ALL_MS: a flood of forged notifications must not become a
      // flood of queries at the gateway
      const now = Date.now();
      let asked = 0;
      if (now - this.askedAllAt >= ASK_ALL_MS) {
        this.askedAllAt = now;
        asked = this.o.payments.askAll(this.o.gateway.id);
      }
      this.o.log.warn({ err: e.message, asked }, 'wallet notification refused; asking the gateway instead');
      throw new DomainError('forbidden', 'NOTIFICATION_REFUSED', e.message);
    }
    const id = this.o.db
      .prepare('SELECT id FROM payments WHERE reference = ? AND provider = ?')
      .pluck()
      .get(t.out_trade_no, this.o.gateway.id) as string | undefined;
    if (!id) {
      // not an order of this store's: acknowledged, so the gateway stops retrying
      this.o.log.warn({ reference: t.out_trade_no }, 'wallet notification for an unknown order');
      return;
    }
    if (t.trade_state !== 'SUCCESS') {
      await this.o.payments.resolve(id);
      return;
    }
    const r = await this.o.payments.settle(id, approvedOutcome(t));
    this.o.log.info({ paymentId: id, reference: t.out_trade_no, r }, 'wallet notification');
  }

  /** Closes, once the gateway answers, orders this store declined without closing. */
  private async closeQuietly(reference: string): Promise<void> {
    try {
      await this.o.gateway.closeOrder(reference);
    } catch (e) {
      this.o.log.info({ reference, err: (e as Error).message }, 'wallet order left to expire at the gateway');
    }
  }

  /** The cart's latest wallet payment. */
  private current(cartId: string): WalletRow | undefined {
    return this.o.db
      .prepare(
        `SELECT id, reference, amount_fen, status, detail FROM payments
          WHERE cart_id = ? AND kind = 'wallet' ORDER BY created_at DESC, rowid DESC LIMIT 1`,
      )
      .get(cartId) as WalletRow | undefined;
  }

  private answer(cartId: string): WalletCheck {
    const ctx = this.o.context();
    const quote = quoteCart(this.o.db, cartId, ctx);
    const row = this.current(cartId);
    const reason = row?.detail
      ? ((JSON.parse(row.detail) as { reason?: string } | null)?.reason ?? null)
      : null;
    const status =
      quote.status === 'paid'
        ? 'approved'
        : !row || row.status === 'declined' || row.status === 'reversed'
          ? 'declined'
          : row.status === 'approved'
            ? 'approved'
            : 'pending';
    return { status, reason: status === 'declined' ? reason : null, saleId: quote.saleId ?? null, quote };
  }
}
