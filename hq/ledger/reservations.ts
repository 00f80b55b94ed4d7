// Chain coupons held at HQ while a store's shopper pays (MQTT 5 request/response on
// `{prefix}/hq/req/coupon-reserve` and `coupon-release`): one coupon, one cart, chain-wide.
// Idempotent by coupon and cart: the same store and cart asking again keeps (and extends)
// its hold. A coupon a sale already redeemed (and no refund gave back) is refused; so is
// one held for another cart until that hold is released or expires.
import type pg from 'pg';

export interface CouponHold {
  storeId: string;
  couponId: string;
  campaignId: string | null;
  cartId: string;
}

export type HoldAnswer = { status: 'reserved'; expiresAt: number } | { status: 'refused'; reason: string };

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The hold a store asks for, checked; null when malformed. */
export function readHold(body: unknown): CouponHold | null {
  const b = body as Partial<CouponHold> | null;
  if (!b || typeof b !== 'object') return null;
  if (![b.storeId, b.couponId, b.cartId].every((x) => typeof x === 'string' && ID.test(x))) return null;
  if (
    b.campaignId !== undefined &&
    b.campaignId !== null &&
    !(typeof b.campaignId === 'string' && ID.test(b.campaignId))
  )
    return null;
  return { storeId: b.storeId!, couponId: b.couponId!, cartId: b.cartId!, campaignId: b.campaignId ?? null };
}

export async function reserveCoupon(pool: pg.Pool, h: CouponHold, ttlMs: number): Promise<HoldAnswer> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const used = (
      await c.query(
        `SELECT store_id, sale_id FROM coupon_redemptions WHERE coupon_id = $1
          GROUP BY store_id, sale_id HAVING sum(direction) > 0 LIMIT 1`,
        [h.couponId],
      )
    ).rows[0];
    if (used) {
      await c.query('ROLLBACK');
      return { status: 'refused', reason: `coupon already redeemed at store ${used.store_id}` };
    }
    const r = await c.query(
      `INSERT INTO coupon_reservations (coupon_id, campaign_id, store_id, cart_id, expires_at)
       VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')
       ON CONFLICT (coupon_id) DO UPDATE SET campaign_id = EXCLUDED.campaign_id, store_id = EXCLUDED.store_id,
         cart_id = EXCLUDED.cart_id, reserved_at = now(), expires_at = EXCLUDED.expires_at, released_at = NULL
       WHERE coupon_reservations.released_at IS NOT NULL OR coupon_reservations.expires_at < now()
          OR (coupon_reservations.store_id = EXCLUDED.store_id AND coupon_reservations.cart_id = EXCLUDED.cart_id)
       RETURNING expires_at`,
      [h.couponId, h.campaignId, h.storeId, h.cartId, ttlMs],
    );
    if (!r.rows.length) {
      const held = (
        await c.query('SELECT store_id FROM coupon_reservations WHERE coupon_id = $1', [h.couponId])
      ).rows[0];
      await c.query('ROLLBACK');
      return { status: 'refused', reason: `coupon held for a sale at store ${held?.store_id ?? '?'}` };
    }
    await c.query('COMMIT');
    return { status: 'reserved', expiresAt: new Date(r.rows[0].expires_at).getTime() };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** Lets go of a hold (a cancelled cart); only the store and cart that hold it can. */
export async function releaseCoupon(pool: pg.Pool, h: CouponHold): Promise<boolean> {
  const r = await pool.query(
    `UPDATE coupon_reservations SET released_at = now()
      WHERE coupon_id = $1 AND store_id = $2 AND cart_id = $3 AND released_at IS NULL`,
    [h.couponId, h.storeId, h.cartId],
  );
  return (r.rowCount ?? 0) > 0;
}
