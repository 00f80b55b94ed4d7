// Campaign quotas counted across the chain: a store about to issue a coupon of a campaign
// with a quota asks HQ for a grant (`{prefix}/hq/req/coupon-quota`, idempotent by coupon
// id). HQ counts the coupons the stores issued plus the grants not yet matched by an
// issue (lapsing after 10 minutes) under one lock per campaign. A store apart from HQ
// counts its own issuance; HQ records the coupons past the quota afterwards.
import type pg from 'pg';

export interface QuotaAsk {
  storeId: string;
  campaignId: string;
  couponId: string;
  quota: number;
}

export type QuotaAnswer = { status: 'granted' } | { status: 'refused'; reason: string };

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function readQuotaAsk(body: unknown): QuotaAsk | null {
  const b = body as Partial<QuotaAsk> | null;
  if (!b || typeof b !== 'object') return null;
  if (![b.storeId, b.campaignId, b.couponId].every((x) => typeof x === 'string' && ID.test(x))) return null;
  if (!Number.isSafeInteger(b.quota) || (b.quota as number) < 0) return null;
  return { storeId: b.storeId!, campaignId: b.campaignId!, couponId: b.couponId!, quota: b.quota! };
}

const USED = `SELECT count(*)::bigint AS n FROM (
    SELECT coupon_id FROM coupons_issued WHERE campaign_id = $1
    UNION SELECT coupon_id FROM quota_grants WHERE campaign_id = $1 AND granted_at > now() - interval '10 minutes'
  ) x`;

export async function grantQuota(pool: pg.Pool, a: QuotaAsk): Promise<QuotaAnswer> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    // one campaign's grants one at a time, across workers
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`quota:${a.campaignId}`]);
    await c.query(
      `INSERT INTO campaign_quotas (campaign_id, quota) VALUES ($1, $2)
       ON CONFLICT (campaign_id) DO UPDATE SET quota = EXCLUDED.quota, updated_at = now()`,
      [a.campaignId, a.quota],
    );
    const again = await c.query('SELECT 1 FROM quota_grants WHERE coupon_id = $1', [a.couponId]);
    if (!again.rows.length) {
      const used = Number((await c.query(USED, [a.campaignId])).rows[0].n);
      if (used >= a.quota) {
        await c.query('ROLLBACK');
        return { status: 'refused', reason: `campaign quota of ${a.quota} is used up across the chain` };
      }
      await c.query('INSERT INTO quota_grants (coupon_id, campaign_id, store_id) VALUES ($1, $2, $3)', [
        a.couponId,
        a.campaignId,
        a.storeId,
      ]);
    }
    await c.query('COMMIT');
    return { status: 'granted' };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
