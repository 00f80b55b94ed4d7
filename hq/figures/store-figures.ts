// A store's figures for a period, whole or by day or hour of a time zone, summed in
// PostgreSQL from the projections; only the ratios are divided here. Every figure is
// defined once, in hq/README.md ("Figures"), and these names follow that table.
import type pg from 'pg';
import { dailyAnswers, dayTimeZone } from './daily.js';
import { COUPON_HOUR_COLUMNS, hourlyAnswers, STORE_DAY_COLUMNS, STORE_HOUR_COLUMNS } from './rollups.js';

export type Bucket = 'total' | 'day' | 'hour';

export interface FigureQuery {
  /** null: every store HQ has figures for */
  stores: string[] | null;
  from: number;
  to: number;
  timeZone: string;
  bucket: Bucket;
}

export interface StoreFigures {
  storeId: string;
  /** 'total', a local day (YYYY-MM-DD) or a local hour (YYYY-MM-DDTHH) */
  bucket: string;
  salesFen: number;
  refundsFen: number;
  netSalesFen: number;
  tickets: number;
  avgTicketFen: number | null;
  items: number;
  itemsPerTicket: number | null;
  multiItemTickets: number;
  multiItemShare: number | null;
  tenderFen: { cash: number; card: number; wallet: number; points: number; other: number };
  walletShare: number | null;
  redemptions: number;
  couponCostFen: number;
  couponsIssued: number;
  couponsIssuedRedeemed: number;
  redemptionRate: number | null;
  offersShown: number;
  offersClaimed: number;
  offersRedeemed: number;
  newMembers: number;
  pointsIssued: number;
  pointsSpent: number;
  footfall: number;
  conversion: number | null;
  /** scan & go exit checks: sales decided, audits chosen, checks made, items found */
  scanAndGoSales: number;
  audits: number;
  auditsChecked: number;
  auditHits: number;
  recoveredFen: number;
  auditRate: number | null;
  hitRate: number | null;
}

export const ratio = (a: number, b: number, digits = 4): number | null =>
  b > 0 ? Math.round((a / b) * 10 ** digits) / 10 ** digits : null;

/** The bucket label of a bigint epoch-ms column, in the query's time zone ($4, $5). */
export const msBucket = (col: string) => tsBucket(`to_timestamp(${col} / 1000.0)`);
export const tsBucket = (ts: string) =>
  `CASE $5 WHEN 'day' THEN to_char(${ts} AT TIME ZONE $4, 'YYYY-MM-DD')
           WHEN 'hour' THEN to_char(${ts} AT TIME ZONE $4, 'YYYY-MM-DD"T"HH24')
           ELSE 'total' END`;
export const inStores = (col = 'store_id') => `($1::text[] IS NULL OR ${col} = ANY($1))`;
export const inMs = (col: string) => `${col} >= $2 AND ${col} < $3`;
const inTs = (col: string) => `${col} >= to_timestamp($2 / 1000.0) AND ${col} < to_timestamp($3 / 1000.0)`;

// The lines the store's latest layout marks as not counting footfall (`not_entrances`, a
// CTE), and the test that a row `v` of a line's counts is not one of them.
const NOT_ENTRANCES = `layout AS (
      SELECT DISTINCT ON (store_id) store_id, layout FROM store_layouts WHERE ${inStores()}
       ORDER BY store_id, seq DESC
    ), not_entrances AS (
      SELECT l.store_id, c->>'id' AS camera_id, x->>'id' AS line_id
        FROM layout l, jsonb_array_elements(l.layout->'cameras') c, jsonb_array_elements(c->'lines') x
       WHERE NOT (x->>'footfall')::boolean
    )`;
const AN_ENTRANCE = `NOT EXISTS (SELECT 1 FROM not_entrances n
      WHERE n.store_id = v.store_id AND n.camera_id = v.camera_id AND n.line_id = v.line_id)`;

// One query per source, each grouped by (store, bucket); $1 stores, $2 from, $3 to (ms),
// $4 time zone, $5 bucket.
const QUERIES: Record<string, string> = {
  sales: `
    SELECT s.store_id, ${msBucket('s.sold_at')} AS bucket,
           sum(s.total_fen) AS sales_fen, count(*) AS tickets,
           sum(l.items) AS items, count(*) FILTER (WHERE l.products >= 2) AS multi_item_tickets
      FROM sales s
      JOIN LATERAL (
        -- a weighed line is one item, whatever it weighs
        SELECT sum(CASE WHEN weight_g IS NULL THEN qty ELSE 1 END) AS items, count(DISTINCT gtin) AS products
          FROM sale_lines sl WHERE sl.store_id = s.store_id AND sl.seq = s.seq
      ) l ON true
     WHERE ${inStores('s.store_id')} AND ${inMs('s.sold_at')}
     GROUP BY 1, 2`,
  tenders: `
    SELECT s.store_id, ${msBucket('s.sold_at')} AS bucket,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.kind = 'cash'), 0) AS cash,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.kind = 'card'), 0) AS card,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.kind IN ('payment_code', 'wallet')), 0) AS wallet,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.kind = 'points'), 0) AS points,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.kind NOT IN ('cash', 'card', 'payment_code', 'wallet', 'points')), 0) AS other
      FROM sales s JOIN sale_payments p ON p.store_id = s.store_id AND p.seq = s.seq
     WHERE ${inStores('s.store_id')} AND ${inMs('s.sold_at')}
     GROUP BY 1, 2`,
  refunds: `
    SELECT store_id, ${msBucket('refunded_at')} AS bucket, sum(amount_fen) AS refunds_fen
      FROM refunds WHERE ${inStores()} AND ${inMs('refunded_at')} GROUP BY 1, 2`,
  redemptions: `
    SELECT store_id, ${msBucket('at')} AS bucket, sum(direction) AS redemptions,
           sum(direction * amount_fen) AS coupon_cost_fen
      FROM coupon_redemptions WHERE ${inStores()} AND ${inMs('at')} GROUP BY 1, 2`,
  issued: `
    SELECT i.store_id, ${msBucket('i.issued_at')} AS bucket, count(*) AS coupons_issued,
           count(*) FILTER (WHERE r.net > 0) AS coupons_issued_redeemed,
           count(*) FILTER (WHERE i.source = 'after_purchase') AS offers_claimed,
           count(*) FILTER (WHERE i.source = 'after_purchase' AND r.net > 0) AS offers_redeemed
      FROM coupons_issued i
      LEFT JOIN LATERAL (
        -- redeemed so far, at any store, and not given back by a refund
        SELECT sum(direction) AS net FROM coupon_redemptions cr WHERE cr.coupon_id = i.coupon_id
      ) r ON true
     WHERE ${inStores('i.store_id')} AND ${inMs('i.issued_at')}
     GROUP BY 1, 2`,
  offers: `
    SELECT store_id, ${msBucket('shown_at')} AS bucket, count(*) AS offers_shown
      FROM offers_shown WHERE ${inStores()} AND ${inMs('shown_at')} GROUP BY 1, 2`,
  members: `
    SELECT store_id, ${msBucket('enrolled_at')} AS bucket, count(*) AS new_members
      FROM members_enrolled WHERE ${inStores()} AND ${inMs('enrolled_at')} GROUP BY 1, 2`,
  points: `
    SELECT store_id, ${msBucket('at')} AS bucket,
           coalesce(sum(delta) FILTER (WHERE reason IN ('earn', 'refund_earn')), 0) AS points_issued,
           coalesce(-sum(delta) FILTER (WHERE reason IN ('spend', 'refund_spend')), 0) AS points_spent
      FROM points_movements WHERE ${inStores()} AND ${inMs('at')} GROUP BY 1, 2`,
  auditDecisions: `
    SELECT store_id, ${msBucket('at')} AS bucket, count(*) AS scan_and_go_sales,
           count(*) FILTER (WHERE selected) AS audits
      FROM exit_audit_decisions WHERE ${inStores()} AND ${inMs('at')} GROUP BY 1, 2`,
  auditResults: `
    SELECT store_id, ${msBucket('at')} AS bucket, count(*) AS audits_checked,
           count(*) FILTER (WHERE result = 'recovered') AS audit_hits, sum(recovered_fen) AS recovered_fen
      FROM exit_audit_results WHERE ${inStores()} AND ${inMs('at')} GROUP BY 1, 2`,
  footfall: `
    WITH ${NOT_ENTRANCES}
    SELECT v.store_id, ${tsBucket('v.minute')} AS bucket, sum(v.ins) AS footfall
      FROM vision_line_counts v
     WHERE ${inStores('v.store_id')} AND ${inTs('v.minute')} AND ${AN_ENTRANCE}
     GROUP BY 1, 2`,
};

// The same figures from the hourly rollups (rollups.ts), for a period of whole UTC hours
// in a time zone of whole-hour offsets: (stores × hours) rows instead of every sale.
const sum = (cols: readonly string[]) => cols.map((c) => `sum(${c}) AS ${c}`).join(', ');
export const HOURLY_QUERIES: Record<string, string> = {
  hours: `
    SELECT store_id, ${tsBucket('hour')} AS bucket, ${sum(STORE_HOUR_COLUMNS)}
      FROM store_hours WHERE ${inStores()} AND ${inTs('hour')} GROUP BY 1, 2`,
  coupons: `
    SELECT store_id, ${tsBucket('hour')} AS bucket, ${sum(COUPON_HOUR_COLUMNS)}
      FROM coupon_hours WHERE ${inStores()} AND ${inTs('hour')} GROUP BY 1, 2`,
  // each line's sum first (stores × lines × buckets rows), then the layout's entrances
  footfall: `
    WITH ${NOT_ENTRANCES}, per_line AS (
      SELECT store_id, camera_id, line_id, ${tsBucket('hour')} AS bucket, sum(ins) AS ins
        FROM line_hours WHERE ${inStores()} AND ${inTs('hour')} GROUP BY 1, 2, 3, 4
    )
    SELECT v.store_id, v.bucket, sum(v.ins) AS footfall
      FROM per_line v
     WHERE ${AN_ENTRANCE}
     GROUP BY 1, 2`,
};

// The same from the daily rollups (daily.ts), for whole local days of their own zone, by
// total or by day: (stores × days) rows.
const inDays = `day >= (to_timestamp($2 / 1000.0) AT TIME ZONE $4)::date
             AND day < (to_timestamp($3 / 1000.0) AT TIME ZONE $4)::date`;
export const dayBucket = `CASE $5 WHEN 'day' THEN to_char(day, 'YYYY-MM-DD') ELSE 'total' END`;
export const DAILY_QUERIES: Record<string, string> = {
  days: `
    SELECT store_id, ${dayBucket} AS bucket, ${sum(STORE_DAY_COLUMNS)}
      FROM store_days WHERE ${inStores()} AND ${inDays} GROUP BY 1, 2`,
  footfall: `
    WITH ${NOT_ENTRANCES}, per_line AS (
      SELECT store_id, camera_id, line_id, ${dayBucket} AS bucket, sum(ins) AS ins
        FROM line_days WHERE ${inStores()} AND ${inDays} GROUP BY 1, 2, 3, 4
    )
    SELECT v.store_id, v.bucket, sum(v.ins) AS footfall
      FROM per_line v
     WHERE ${AN_ENTRANCE}
     GROUP BY 1, 2`,
};

/** Which rows answer a period exactly, the fewest first: days, hours, else the projections. */
async function sourceOf(
  pool: pg.Pool,
  q: FigureQuery,
  o: { raw?: boolean; hours?: boolean },
): Promise<Record<string, string>> {
  if (o.raw) return QUERIES;
  if (!o.hours && q.bucket !== 'hour' && dailyAnswers(q.from, q.to, q.timeZone, await dayTimeZone(pool)))
    return DAILY_QUERIES;
  return hourlyAnswers(q.from, q.to, q.timeZone) ? HOURLY_QUERIES : QUERIES;
}

const n = (v: unknown) => Number(v ?? 0);

/** A store's figures for a period it had nothing in. */
export const noFigures = (storeId: string, bucket = 'total'): StoreFigures =>
  figuresOf({ store_id: storeId, bucket });

/** Figures per store and bucket, ordered by store then bucket: from the daily or hourly
 * rollups when they answer the period exactly, else (or with `raw`) from the projections;
 * `hours` passes the days by (a bench compares them). */
export async function storeFigures(
  pool: pg.Pool,
  q: FigureQuery,
  o: { raw?: boolean; hours?: boolean } = {},
): Promise<StoreFigures[]> {
  const args = [q.stores, q.from, q.to, q.timeZone, q.bucket];
  const queries = await sourceOf(pool, q, o);
  const results = await Promise.all(
    Object.entries(queries).map(async ([name, sql]) => [name, (await pool.query(sql, args)).rows] as const),
  );
  const rows = new Map<string, Record<string, unknown>>();
  for (const [, list] of results)
    for (const r of list) {
      const key = `${r.store_id}\u0000${r.bucket}`;
      rows.set(key, { ...(rows.get(key) ?? {}), ...r });
    }
  return [...rows.values()]
    .map(figuresOf)
    .sort((a, b) =>
      a.storeId === b.storeId ? (a.bucket < b.bucket ? -1 : 1) : a.storeId < b.storeId ? -1 : 1,
    );
}

function figuresOf(r: Record<string, unknown>): StoreFigures {
  const salesFen = n(r.sales_fen);
  const refundsFen = n(r.refunds_fen);
  const tickets = n(r.tickets);
  const items = n(r.items);
  const tenderFen = {
    cash: n(r.cash),
    card: n(r.card),
    wallet: n(r.wallet),
    points: n(r.points),
    other: n(r.other),
  };
  const tendered = Object.values(tenderFen).reduce((a, v) => a + v, 0);
  const multiItemTickets = n(r.multi_item_tickets);
  const couponsIssued = n(r.coupons_issued);
  const couponsIssuedRedeemed = n(r.coupons_issued_redeemed);
  const footfall = n(r.footfall);
  const scanAndGoSales = n(r.scan_and_go_sales);
  const audits = n(r.audits);
  const auditsChecked = n(r.audits_checked);
  const auditHits = n(r.audit_hits);
  return {
    storeId: String(r.store_id),
    bucket: String(r.bucket),
    salesFen,
    refundsFen,
    netSalesFen: salesFen - refundsFen,
    tickets,
    avgTicketFen: tickets ? Math.round(salesFen / tickets) : null,
    items,
    itemsPerTicket: ratio(items, tickets, 2),
    multiItemTickets,
    multiItemShare: ratio(multiItemTickets, tickets),
    tenderFen,
    walletShare: ratio(tenderFen.wallet, tendered),
    redemptions: n(r.redemptions),
    couponCostFen: n(r.coupon_cost_fen),
    couponsIssued,
    couponsIssuedRedeemed,
    redemptionRate: ratio(couponsIssuedRedeemed, couponsIssued),
    offersShown: n(r.offers_shown),
    offersClaimed: n(r.offers_claimed),
    offersRedeemed: n(r.offers_redeemed),
    newMembers: n(r.new_members),
    pointsIssued: n(r.points_issued),
    pointsSpent: n(r.points_spent),
    footfall,
    conversion: ratio(tickets, footfall),
    scanAndGoSales,
    audits,
    auditsChecked,
    auditHits,
    recoveredFen: n(r.recovered_fen),
    auditRate: ratio(audits, scanAndGoSales),
    hitRate: ratio(auditHits, auditsChecked),
  };
}

/** The figures a ranking may sort by (numbers, higher is "more"). */
export const RANKABLE = [
  'salesFen',
  'netSalesFen',
  'tickets',
  'avgTicketFen',
  'itemsPerTicket',
  'multiItemShare',
  'walletShare',
  'redemptions',
  'couponCostFen',
  'redemptionRate',
  'newMembers',
  'pointsIssued',
  'pointsSpent',
  'footfall',
  'conversion',
  'auditRate',
  'hitRate',
  'recoveredFen',
] as const;
export type Rankable = (typeof RANKABLE)[number];
