// Refunds paid back through a provider (the wallet gateway). A refund's wallet share is
// a provider_refunds row written in the refund's own transaction; this worker sends it
// by its refund number (the gateway answers the same number with the same refund, so a
// resend after a lost answer is safe), then asks until the refund is final. A refund the
// gateway closes or marks abnormal is a staff alert: the money did not go back by itself.
// Rows left open by a crash are picked up at start.
import type { Logger } from 'pino';
import { PaymentLinkError } from '../../device-drivers/payment/provider.js';
import {
  type RefundState,
  type WalletGateway,
  WalletRefusal,
} from '../../device-drivers/payment/wallet/gateway.js';
import { raiseAlert } from '../alerts/alerts.js';
import type { Db } from '../db/open.js';

interface OpenRefund {
  refund_no: string;
  payment_id: string;
  provider: string;
  amount_fen: number;
  status: 'pending' | 'processing';
  reference: string;
  paid_fen: number;
}

export interface ProviderRefundsOptions {
  db: Db;
  gateway: WalletGateway;
  log: Logger;
  now: () => number;
  /** the wait between asks, doubling up to maxRetryMs */
  retryMs?: number;
  maxRetryMs?: number;
}

const FINAL: Record<RefundState['status'], 'success' | 'closed' | 'abnormal' | 'processing'> = {
  SUCCESS: 'success',
  CLOSED: 'closed',
  ABNORMAL: 'abnormal',
  PROCESSING: 'processing',
};

export class ProviderRefunds {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private attempt = 0;
  private stopped = false;

  constructor(private readonly o: ProviderRefundsOptions) {}

  /** Refunds not final yet. */
  open(): number {
    return this.o.db
      .prepare(`SELECT count(*) FROM provider_refunds WHERE status IN ('pending', 'processing')`)
      .pluck()
      .get() as number;
  }

  /** Works through the open refunds now (after a refund, at start). */
  kick(): void {
    if (this.stopped) return;
    this.attempt = 0;
    this.plan(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One pass over the open refunds; resolves when it is done. */
  async pass(): Promise<number> {
    const rows = this.o.db
      .prepare(
        `SELECT r.refund_no, r.payment_id, r.provider, r.amount_fen, r.status, p.reference, p.amount_fen AS paid_fen
           FROM provider_refunds r JOIN payments p ON p.id = r.payment_id
          WHERE r.status IN ('pending', 'processing') AND r.provider = ? ORDER BY r.created_at`,
      )
      .all(this.o.gateway.id) as OpenRefund[];
    let open = 0;
    for (const r of rows) if ((await this.step(r)) !== 'final') open++;
    return open;
  }

  private plan(delay: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) return this.plan(100);
      this.running = this.pass()
        .then((open) => {
          if (open > 0) {
            this.attempt++;
            const base = this.o.retryMs ?? 1000;
            this.plan(Math.min(this.o.maxRetryMs ?? 60_000, base * 2 ** (this.attempt - 1)));
          }
        })
        .catch((e: unknown) => {
          this.o.log.error({ err: e }, 'provider refunds pass failed; retrying');
          this.plan(this.o.maxRetryMs ?? 60_000);
        })
        .finally(() => {
          this.running = null;
        });
    }, delay);
    this.timer.unref();
  }

  private async step(r: OpenRefund): Promise<'final' | 'open'> {
    const g = this.o.gateway;
    let state: RefundState | null;
    try {
      state =
        r.status === 'pending'
          ? await g.refund({
              refundNo: r.refund_no,
              reference: r.reference,
              amountFen: r.amount_fen,
              totalFen: r.paid_fen,
              reason: 'store refund',
            })
          : await g.refundStatus(r.refund_no);
    } catch (e) {
      if (e instanceof PaymentLinkError) {
        this.o.log.warn({ refundNo: r.refund_no, err: e.message }, 'refund not sent or asked yet; retrying');
        return 'open';
      }
      if (!(e instanceof WalletRefusal)) throw e;
      this.record(r, 'abnormal', null, { refusal: e.code });
      return 'final';
    }
    if (!state) {
      // the gateway never got it (the request was lost): send it again
      this.record(r, 'pending', null, null);
      return 'open';
    }
    const status = FINAL[state.status];
    this.record(r, status, state.refundId, null);
    return status === 'processing' ? 'open' : 'final';
  }

  private record(r: OpenRefund, status: string, providerRef: string | null, detail: unknown): void {
    const now = this.o.now();
    this.o.db
      .prepare(
        `UPDATE provider_refunds SET status = ?, provider_ref = coalesce(?, provider_ref),
           detail = coalesce(?, detail), updated_at = ? WHERE refund_no = ?`,
      )
      .run(status, providerRef, detail === null ? null : JSON.stringify(detail), now, r.refund_no);
    if (status === 'success')
      this.o.log.info({ refundNo: r.refund_no }, 'refund paid back through the wallet');
    if (status === 'closed' || status === 'abnormal') {
      this.o.log.error({ refundNo: r.refund_no, status }, 'wallet refund failed: staff must pay it back');
      raiseAlert(
        this.o.db,
        {
          kioskId: 'store',
          kind: 'payment',
          message: `wallet refund ${r.refund_no} ${status}: ¥${(r.amount_fen / 100).toFixed(2)} to pay back by hand`,
        },
        now,
      );
    }
  }
}
