// Card-terminal and payment-code payments, end to end, with the lost answer handled.
// The payment row (status pending, with its reference and provider) is committed
// before the provider is asked. The answer settles it. When the answer is lost
// (timeout, link down, garbled, or the daemon died), the payment is 'unknown' and is
// resolved only by asking the provider about that reference: approved → it counts,
// not found → it never happened, declined → declined. An approval that no longer fits
// (cart cancelled, wrong amount) is reversed. A payment is never sent twice.
// A wallet payment on the phone (edge/payments/wallet-payments.ts) stays pending while
// the shopper confirms: it is settled by the gateway's notification or by asking, and an
// order still unpaid when its time is up is closed at the gateway before it is declined.
import type { Logger } from 'pino';
import {
  PaymentLinkError,
  type PaymentOutcome,
  type PaymentProvider,
  type PaymentStatus,
} from '../../device-drivers/payment/provider.js';
import { DomainError } from '../../sync/kernel/errors.js';
import { getCart } from '../checkout/carts.js';
import { quoteCart } from '../checkout/quote.js';
import type { CheckoutContext } from '../checkout/sale.js';
import {
  openProviderPayment,
  type ProviderKind,
  settleProviderPayment,
  type TenderResult,
} from '../checkout/tenders.js';
import type { Db } from '../db/open.js';

export interface ProviderPaymentsOptions {
  db: Db;
  currency: string;
  context: () => CheckoutContext;
  log: Logger;
  /** first retry of an unresolved payment, doubling up to maxRetryMs */
  retryMs?: number;
  maxRetryMs?: number;
}

/** What settling needs of a provider: asking by reference and undoing; a provider whose
 * orders wait for the shopper (the wallet) also closes an order that ran out of time. */
export interface Settling {
  readonly id: string;
  status(reference: string): Promise<PaymentStatus>;
  reverse(reference: string, amountFen: number): Promise<boolean>;
  /** closes an unpaid order: 'paid' when it was paid first */
  closeOrder?(reference: string): Promise<'closed' | 'paid'>;
}

interface Unsettled {
  id: string;
  cart_id: string;
  amount_fen: number;
  reference: string;
  provider: string | null;
  status: 'pending' | 'unknown';
  detail?: string | null;
}

export type ProviderPayResult = TenderResult & {
  status: 'approved' | 'declined' | 'unknown';
  reason?: string;
};

export class ProviderPayments {
  private readonly providers = new Map<string, Settling>();
  private readonly retries = new Map<string, { timer: NodeJS.Timeout; attempt: number }>();
  /** payments being settled now (an outcome applied, a reversal awaited) */
  private readonly applying = new Set<string>();
  private stopped = false;

  constructor(private readonly o: ProviderPaymentsOptions) {}

  register(provider: Settling): void {
    this.providers.set(provider.id, provider);
  }

  /** Pays what is due (or `amountFen`) through a provider, as one tender of the cart. */
  async pay(
    cartId: string,
    kind: Exclude<ProviderKind, 'wallet'>,
    providerId: string,
    amountFen: number | null,
    extra: {
      paymentCode?: string;
      /** a device that makes the code for this payment's reference and amount (face pay):
       * asked after the pending row is written; no code, and nothing is sent to the provider */
      codeFrom?: (reference: string, amountFen: number) => Promise<{ code: string } | { declined: string }>;
    } = {},
  ): Promise<ProviderPayResult> {
    const provider = this.providers.get(providerId) as PaymentProvider | undefined;
    if (!provider || typeof provider.pay !== 'function')
      throw new DomainError('conflict', 'PROVIDER_UNAVAILABLE', `no payment provider ${providerId}`);
    const open = openProviderPayment(this.o.db, cartId, kind, amountFen, providerId, this.o.context());
    let paymentCode = extra.paymentCode;
    if (extra.codeFrom) {
      const c = await extra.codeFrom(open.reference, open.amountFen).catch((e: unknown) => {
        this.o.log.warn(
          { paymentId: open.paymentId, err: (e as Error).message },
          'payment code device failed',
        );
        return { declined: 'DEVICE_ERROR' };
      });
      if ('declined' in c) {
        const r = settleProviderPayment(
          this.o.db,
          open.paymentId,
          { status: 'declined', detail: { reason: c.declined } },
          this.o.context(),
        );
        return { ...r, status: 'declined', reason: c.declined };
      }
      paymentCode = c.code;
    }
    this.o.log.info({ paymentId: open.paymentId, reference: open.reference, providerId }, 'payment sent');
    let outcome: PaymentOutcome;
    try {
      outcome = await provider.pay({
        reference: open.reference,
        amountFen: open.amountFen,
        currency: this.o.currency,
        ...(paymentCode ? { paymentCode } : {}),
      });
    } catch (e) {
      // whatever went wrong, the provider may have taken the money: only it can say
      const code = e instanceof PaymentLinkError ? e.code : 'ERROR';
      if (e instanceof PaymentLinkError)
        this.o.log.warn(
          { paymentId: open.paymentId, err: e.message },
          'payment answer lost; will ask by reference',
        );
      else
        this.o.log.error(
          { paymentId: open.paymentId, err: e },
          'payment failed unexpectedly; will ask by reference',
        );
      const r = settleProviderPayment(
        this.o.db,
        open.paymentId,
        { status: 'unknown', detail: { lost: code } },
        this.o.context(),
      );
      this.schedule(open.paymentId, 0);
      return { ...r, status: 'unknown', reason: code };
    }
    const settled = await this.apply(
      {
        id: open.paymentId,
        cart_id: cartId,
        amount_fen: open.amountFen,
        reference: open.reference,
        provider: providerId,
        status: 'pending',
      },
      outcome,
      provider,
    );
    return settled;
  }

  /** Starts asking about a payment that waits on the shopper (a wallet order), `delayMs` from now. */
  watch(paymentId: string, delayMs = 0): void {
    if (this.stopped) return;
    const prev = this.retries.get(paymentId);
    if (prev) clearTimeout(prev.timer);
    const timer = setTimeout(() => void this.resolveLogged(paymentId, 1), delayMs);
    timer.unref();
    this.retries.set(paymentId, { timer, attempt: 1 });
  }

  /** Asks now about every unsettled payment of one provider (after a notification that could
   * not be trusted: whatever it claimed, only the provider's own answer counts). */
  askAll(providerId: string): number {
    const rows = this.o.db
      .prepare(`SELECT id FROM payments WHERE status IN ('pending', 'unknown') AND provider = ?`)
      .pluck()
      .all(providerId) as string[];
    for (const id of rows) this.schedule(id, 0);
    return rows.length;
  }

  /** Settles a payment from what its provider reported unasked (a verified notification).
   * A payment already settled is left as it is; money reported taken for a payment this
   * store declined, or for a sale that cannot use it, is given back. */
  async settle(paymentId: string, outcome: PaymentOutcome): Promise<'settled' | 'already'> {
    const row = this.o.db
      .prepare(
        'SELECT id, cart_id, amount_fen, reference, provider, status, detail FROM payments WHERE id = ?',
      )
      .get(paymentId) as (Omit<Unsettled, 'status'> & { status: string }) | undefined;
    if (!row) throw new DomainError('not_found', 'PAYMENT_NOT_FOUND', `payment ${paymentId} not found`);
    const provider = row.provider ? this.providers.get(row.provider) : undefined;
    if (!provider)
      throw new DomainError('conflict', 'PROVIDER_UNAVAILABLE', `no payment provider ${row.provider}`);
    if (row.status === 'pending' || row.status === 'unknown') {
      const prev = this.retries.get(paymentId);
      if (prev) clearTimeout(prev.timer);
      this.retries.delete(paymentId);
      await this.apply(row as Unsettled, outcome, provider);
      return 'settled';
    }
    if (outcome.result === 'approved' && row.status === 'declined') {
      this.o.log.error(
        { paymentId, reference: row.reference },
        'paid at the provider after it was declined here: reversing',
      );
      await provider.reverse(row.reference, outcome.amountFen);
      settleProviderPayment(
        this.o.db,
        paymentId,
        { status: 'reversed', providerRef: outcome.providerRef, detail: { paidAfterDecline: true } },
        this.o.context(),
      );
    }
    return 'already';
  }

  /** Resolves every payment left pending or unknown (at start, after a crash). */
  recoverAll(): number {
    const rows = this.o.db
      .prepare(`SELECT id FROM payments WHERE status IN ('pending', 'unknown') AND provider IS NOT NULL`)
      .pluck()
      .all() as string[];
    for (const id of rows) this.schedule(id, 0);
    return rows.length;
  }

  /** Payments still waiting for their provider's word. */
  unresolved(): number {
    return this.retries.size;
  }

  stop(): void {
    this.stopped = true;
    for (const r of this.retries.values()) clearTimeout(r.timer);
    this.retries.clear();
  }

  private schedule(paymentId: string, attempt: number): void {
    if (this.stopped) return;
    const prev = this.retries.get(paymentId);
    if (prev) clearTimeout(prev.timer);
    const base = this.o.retryMs ?? 500;
    const delay = attempt === 0 ? 0 : Math.min(this.o.maxRetryMs ?? 30_000, base * 2 ** (attempt - 1));
    const timer = setTimeout(() => void this.resolveLogged(paymentId, attempt), delay);
    timer.unref();
    this.retries.set(paymentId, { timer, attempt });
  }

  private resolveLogged(paymentId: string, attempt: number): Promise<unknown> {
    return this.resolve(paymentId, attempt).catch((e: unknown) => {
      // never lose track of a payment over an unexpected error: log it and ask again later
      this.o.log.error({ paymentId, err: e }, 'settling a payment failed; retrying');
      this.schedule(paymentId, attempt + 1);
    });
  }

  /** Asks the provider what became of one payment, and settles it when it knows. */
  async resolve(paymentId: string, attempt = 0): Promise<'settled' | 'waiting'> {
    const row = this.o.db
      .prepare(
        `SELECT id, cart_id, amount_fen, reference, provider, status, detail FROM payments WHERE id = ? AND status IN ('pending', 'unknown')`,
      )
      .get(paymentId) as Unsettled | undefined;
    if (!row) {
      this.retries.delete(paymentId);
      return 'settled';
    }
    const provider = row.provider ? this.providers.get(row.provider) : undefined;
    let status: PaymentStatus;
    try {
      if (!provider) throw new PaymentLinkError(`provider ${row.provider} not configured`, 'OFFLINE');
      status = await provider.status(row.reference);
    } catch (e) {
      this.o.log.warn({ paymentId, err: (e as Error).message, attempt }, 'status inquiry failed; retrying');
      this.schedule(paymentId, attempt + 1);
      return 'waiting';
    }
    if (status.result === 'in_progress') {
      if (provider?.closeOrder && timeIsUp(row, this.o.context().now)) {
        // the shopper's time is up: close the order, so it cannot be paid after this answer
        try {
          if ((await provider.closeOrder(row.reference)) === 'closed')
            status = { result: 'declined', reason: 'ORDER_CLOSED_TIMEOUT' };
          else status = await provider.status(row.reference);
        } catch (e) {
          this.o.log.warn(
            { paymentId, err: (e as Error).message },
            'closing an expired order failed; retrying',
          );
          this.schedule(paymentId, attempt + 1);
          return 'waiting';
        }
      }
      if (status.result === 'in_progress') {
        this.schedule(paymentId, attempt + 1);
        return 'waiting';
      }
    }
    this.retries.delete(paymentId);
    if (status.result === 'not_found') {
      settleProviderPayment(
        this.o.db,
        paymentId,
        { status: 'declined', detail: { reason: 'the provider never received it' } },
        this.o.context(),
      );
      this.o.log.info({ paymentId }, 'lost payment was never received: declined');
      return 'settled';
    }
    await this.apply(row, status, provider!);
    return 'settled';
  }

  /** Settles a payment by its provider's outcome. Several paths may learn it at once (a
   * notification, the poll, the page asking): the first one settles, and the others see
   * the payment as that one left it. The check and the settling commit run without a
   * pause between them; a reversal in between is fenced by `applying`. */
  private async apply(
    row: Unsettled,
    outcome: PaymentOutcome,
    provider: Settling,
  ): Promise<ProviderPayResult> {
    const status = this.o.db.prepare('SELECT status FROM payments WHERE id = ?').pluck().get(row.id);
    if ((status !== 'pending' && status !== 'unknown') || this.applying.has(row.id)) return this.asIs(row);
    this.applying.add(row.id);
    try {
      return await this.applyOnce(row, outcome, provider);
    } finally {
      this.applying.delete(row.id);
    }
  }

  private asIs(row: Unsettled): ProviderPayResult {
    const status = this.o.db
      .prepare('SELECT status FROM payments WHERE id = ?')
      .pluck()
      .get(row.id) as string;
    const quote = quoteCart(this.o.db, row.cart_id, this.o.context());
    return {
      paymentId: row.id,
      quote,
      sale: null,
      status:
        status === 'approved'
          ? 'approved'
          : status === 'pending' || status === 'unknown'
            ? 'unknown'
            : 'declined',
    };
  }

  private async applyOnce(
    row: Unsettled,
    outcome: PaymentOutcome,
    provider: Settling,
  ): Promise<ProviderPayResult> {
    const ctx = this.o.context();
    if (outcome.result === 'declined') {
      const r = settleProviderPayment(
        this.o.db,
        row.id,
        { status: 'declined', detail: { reason: outcome.reason, ...outcome.detail } },
        ctx,
      );
      return { ...r, status: 'declined', reason: outcome.reason };
    }
    const misfit =
      outcome.amountFen !== row.amount_fen
        ? `approved ${outcome.amountFen} fen, asked ${row.amount_fen}`
        : getCart(this.o.db, row.cart_id).status !== 'paying'
          ? 'the cart is no longer being paid'
          : null;
    if (misfit) {
      // money taken that the sale cannot use goes back before anything is recorded as paid
      this.o.log.warn({ paymentId: row.id, misfit }, 'reversing an approval that does not fit');
      try {
        await provider.reverse(row.reference, outcome.amountFen);
      } catch (e) {
        if (!(e instanceof PaymentLinkError)) throw e;
        const r = settleProviderPayment(this.o.db, row.id, { status: 'unknown', detail: { misfit } }, ctx);
        this.schedule(row.id, 1);
        return { ...r, status: 'unknown', reason: 'reversal pending' };
      }
      const r = settleProviderPayment(
        this.o.db,
        row.id,
        { status: 'reversed', providerRef: outcome.providerRef, detail: { misfit } },
        ctx,
      );
      return { ...r, status: 'declined', reason: misfit };
    }
    const r = settleProviderPayment(
      this.o.db,
      row.id,
      { status: 'approved', providerRef: outcome.providerRef, detail: outcome.detail ?? null },
      ctx,
    );
    this.o.log.info({ paymentId: row.id, saleId: r.sale?.saleId }, 'payment approved');
    return { ...r, status: 'approved' };
  }
}

/** A payment waiting on the shopper whose order has run out of time; one without a
 * recorded expiry (the daemon died before the gateway's answer was kept) never reached
 * the shopper, so its time is up at once. */
function timeIsUp(row: Unsettled, now: number): boolean {
  let expiresAt: unknown;
  try {
    expiresAt = row.detail ? (JSON.parse(row.detail) as { expiresAt?: unknown }).expiresAt : undefined;
  } catch {
    expiresAt = undefined;
  }
  return typeof expiresAt !== 'number' || now >= expiresAt;
}
