// Payments that are under way right now: a terminal or gateway asked and not yet
// answered (pending, or unknown until its inquiry settles), or a cart locked for payment
// and touched in the last few minutes. A software update switches versions only when
// there are none, so no shopper is left in front of a kiosk that restarts mid-payment.
import type { Db } from '../db/open.js';

/** A cart left locked for payment longer than this no longer holds up an update. */
export const STALE_PAYING_MS = 10 * 60_000;

export function paymentsInFlight(db: Db, now: number): number {
  return db
    .prepare(
      `SELECT (SELECT count(*) FROM payments WHERE status IN ('pending', 'unknown'))
            + (SELECT count(*) FROM carts WHERE status = 'paying' AND updated_at > ?)`,
    )
    .pluck()
    .get(now - STALE_PAYING_MS) as number;
}
