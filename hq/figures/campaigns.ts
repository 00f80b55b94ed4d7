// Coupon campaigns across the chain (or some stores) for a period: what they cost, how
// many of the coupons issued were used, and how post-purchase offers fared from shown to
// claimed to redeemed. Definitions: hq/README.md ("Figures").
import type pg from 'pg';
import { hourlyAnswers } from './rollups.js';
import { ratio } from './store-figures.js';

export interface CampaignFigures {
  campaignId: string;
  issued: number;
  issuedRedeemed: number;
  redemptionRate: number | null;
  redemptions: number;
  costFen: number;
  offersShown: number;
  offersClaimed: number;
  offersRedeemed: number;
  /** claimed ÷ shown */
  offerTakeRate: number | null;
}

// $1 stores (null: all), $2 from, $3 to (ms)
const SQL = `
  WITH issued AS (
    SELECT i.campaign_id, count(*) AS issued,
           count(*) FILTER (WHERE r.net > 0) AS issued_redeemed,
           count(*) FILTER (WHERE i.source = 'after_purchase') AS offers_claimed,
           count(*) FILTER (WHERE i.source = 'after_purchase' AND r.net > 0) AS offers_redeemed
      FROM coupons_issued i
      LEFT JOIN LATERAL (SELECT sum(direction) AS net FROM coupon_redemptions cr WHERE cr.coupon_id = i.coupon_id) r ON true
     WHERE ($1::text[] IS NULL OR i.store_id = ANY($1)) AND i.issued_at >= $2 AND i.issued_at < $3
     GROUP BY 1
  ), used AS (
    -- a reversal carries no campaign: it takes its redemption's
    SELECT coalesce(cr.campaign_id, orig.campaign_id) AS campaign_id,
           sum(cr.direction) AS redemptions, sum(cr.direction * cr.amount_fen) AS cost_fen
      FROM coupon_redemptions cr
      LEFT JOIN LATERAL (SELECT campaign_id FROM coupon_redemptions o
                          WHERE o.coupon_id = cr.coupon_id AND o.direction = 1 LIMIT 1) orig ON cr.campaign_id IS NULL
     WHERE ($1::text[] IS NULL OR cr.store_id = ANY($1)) AND cr.at >= $2 AND cr.at < $3
     GROUP BY 1
  ), shown AS (
    SELECT campaign_id, count(*) AS offers_shown FROM offers_shown
     WHERE ($1::text[] IS NULL OR store_id = ANY($1)) AND shown_at >= $2 AND shown_at < $3 GROUP BY 1
  )
  SELECT coalesce(i.campaign_id, u.campaign_id, s.campaign_id) AS campaign_id, i.issued, i.issued_redeemed,
         i.offers_claimed, i.offers_redeemed, u.redemptions, u.cost_fen, s.offers_shown
    FROM issued i
    FULL JOIN used u ON u.campaign_id = i.campaign_id
    FULL JOIN shown s ON s.campaign_id = coalesce(i.campaign_id, u.campaign_id)
   WHERE coalesce(i.campaign_id, u.campaign_id, s.campaign_id) IS NOT NULL
   ORDER BY 1`;

// The same from the hourly rollups (rollups.ts), for a period of whole hours
const HOURLY_SQL = `
  SELECT campaign_id, sum(coupons_issued) AS issued, sum(coupons_issued_redeemed) AS issued_redeemed,
         sum(offers_claimed) AS offers_claimed, sum(offers_redeemed) AS offers_redeemed,
         sum(redemptions) AS redemptions, sum(coupon_cost_fen) AS cost_fen, sum(offers_shown) AS offers_shown
    FROM coupon_hours
   WHERE ($1::text[] IS NULL OR store_id = ANY($1)) AND campaign_id <> ''
     AND hour >= to_timestamp($2 / 1000.0) AND hour < to_timestamp($3 / 1000.0)
   GROUP BY 1 ORDER BY 1`;

const n = (v: unknown) => Number(v ?? 0);

export async function campaignFigures(
  pool: pg.Pool,
  q: { stores: string[] | null; from: number; to: number },
  o: { raw?: boolean } = {},
): Promise<CampaignFigures[]> {
  const sql = !o.raw && hourlyAnswers(q.from, q.to, 'UTC') ? HOURLY_SQL : SQL;
  const rows = (await pool.query(sql, [q.stores, q.from, q.to])).rows;
  return rows.map((r) => ({
    campaignId: String(r.campaign_id),
    issued: n(r.issued),
    issuedRedeemed: n(r.issued_redeemed),
    redemptionRate: ratio(n(r.issued_redeemed), n(r.issued)),
    redemptions: n(r.redemptions),
    costFen: n(r.cost_fen),
    offersShown: n(r.offers_shown),
    offersClaimed: n(r.offers_claimed),
    offersRedeemed: n(r.offers_redeemed),
    offerTakeRate: ratio(n(r.offers_claimed), n(r.offers_shown)),
  }));
}
