// HQ's figures rolled up per store and UTC hour, and per store and local day of the chain's
// reporting zone (daily.ts), so a chain's figures for a month are read from (stores × hours)
// or (stores × days) rows instead of every sale and line. Written in the ingest transaction
// from the batch's fresh events (each event is fresh once, so adding is exactly-once),
// rebuilt from the projections by REBUILD_HOURLY_SQL and REBUILD_DAILY_SQL; either way they
// equal the raw sums (test/hq/figures.test.ts). Hours are UTC hours: a period in a time zone
// whose offset is a whole number of hours is a whole number of them (store-figures.ts falls
// back to the raw rows otherwise).
//   store_hours   sales, tenders, refunds, members, points, exit audits
//   coupon_hours  per campaign: redemptions, cost, coupons issued (and later redeemed), offers
//   line_hours    people-counting lines: ins and outs (footfall is the entrance lines')
//   store_days    store_hours' and coupon_hours' figures (all campaigns) per local day
//   line_days     line_hours per local day
//   guide_days    per store, guide and local day: calls and assisted sales (guide-days.ts)
import type pg from 'pg';
import type { WireEvent } from '../../sync/topics.js';
import { Deltas, quarterOf, upsert, upsertDays } from './rollup-upsert.js';

// biome-ignore lint/suspicious/noExplicitAny: payloads are schema-checked JSON (sync/event-schemas.ts)
type P = any;

export const HOUR_MS = 3_600_000;

export const STORE_HOUR_COLUMNS = [
  'sales_fen',
  'tickets',
  'items',
  'multi_item_tickets',
  'cash',
  'card',
  'wallet',
  'points',
  'other',
  'refunds_fen',
  'new_members',
  'points_issued',
  'points_spent',
  'scan_and_go_sales',
  'audits',
  'audits_checked',
  'audit_hits',
  'recovered_fen',
] as const;

export const COUPON_HOUR_COLUMNS = [
  'redemptions',
  'coupon_cost_fen',
  'coupons_issued',
  'coupons_issued_redeemed',
  'offers_shown',
  'offers_claimed',
  'offers_redeemed',
] as const;

/** A store's day: its hours' figures and its coupon figures over every campaign. */
export const STORE_DAY_COLUMNS = [...STORE_HOUR_COLUMNS, ...COUPON_HOUR_COLUMNS] as const;

const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
/** a reversal's or an issue's campaign unknown: counted for the store, in no campaign */
const NO_CAMPAIGN = '';

const TENDER: Record<string, string> = {
  cash: 'cash',
  card: 'card',
  payment_code: 'wallet',
  wallet: 'wallet',
  points: 'points',
};

/** What a batch adds to the rollups: per UTC hour, and per quarter hour for the days. */
export class RollupDeltas {
  readonly store = new Deltas();
  readonly coupon = new Deltas();
  readonly line = new Deltas();
  /** [store, quarter]: the store's figures and its coupon figures of every campaign */
  readonly storeQuarters = new Deltas();
  /** [store, camera, line, quarter] */
  readonly lineQuarters = new Deltas();
  addStore(storeId: string, ms: number, col: string, v: number): void {
    this.store.add([storeId, hourOf(ms)], col, v);
    this.storeQuarters.add([storeId, quarterOf(ms)], col, v);
  }
  addCoupon(storeId: string, campaignId: string, ms: number, col: string, v: number): void {
    this.coupon.add([storeId, campaignId, hourOf(ms)], col, v);
    this.storeQuarters.add([storeId, quarterOf(ms)], col, v);
  }
  addLine(storeId: string, camera: string, line: string, ms: number, col: string, v: number): void {
    this.line.add([storeId, camera, line, hourOf(ms)], col, v);
    this.lineQuarters.add([storeId, camera, line, quarterOf(ms)], col, v);
  }
}

/** What the events add to the rollups, but for the coupon rows that need a lookup. */
function deltasOf(events: WireEvent[]): RollupDeltas {
  const d = new RollupDeltas();
  for (const e of events) {
    const p = e.payload as P;
    const st = (ms: number, col: string, v: number) => d.addStore(e.storeId, ms, col, v);
    switch (e.type) {
      case 'sale.completed': {
        st(p.at, 'sales_fen', p.totalFen);
        st(p.at, 'tickets', 1);
        // a weighed line is one item, whatever it weighs
        let items = 0;
        for (const l of p.lines as P[]) items += l.weightG === null || l.weightG === undefined ? l.qty : 1;
        st(p.at, 'items', items);
        if (new Set((p.lines as P[]).map((l) => l.gtin)).size >= 2) st(p.at, 'multi_item_tickets', 1);
        for (const x of p.payments as P[]) st(p.at, TENDER[x.kind] ?? 'other', x.amountFen);
        break;
      }
      case 'refund.completed':
        st(p.at, 'refunds_fen', p.amountFen);
        break;
      case 'member.enrolled':
        st(e.createdAt, 'new_members', 1);
        break;
      case 'points.moved':
        if (p.reason === 'earn' || p.reason === 'refund_earn') st(e.createdAt, 'points_issued', p.delta);
        if (p.reason === 'spend' || p.reason === 'refund_spend') st(e.createdAt, 'points_spent', -p.delta);
        break;
      case 'exit_audit.decided':
        st(e.createdAt, 'scan_and_go_sales', 1);
        if (p.selected) st(e.createdAt, 'audits', 1);
        break;
      case 'exit_audit.completed':
        st(p.at, 'audits_checked', 1);
        if (p.result === 'recovered') st(p.at, 'audit_hits', 1);
        st(p.at, 'recovered_fen', p.recoveredFen ?? 0);
        break;
      case 'coupon.redeemed': {
        const campaign = p.campaignId ?? NO_CAMPAIGN;
        d.addCoupon(e.storeId, campaign, e.createdAt, 'redemptions', 1);
        d.addCoupon(e.storeId, campaign, e.createdAt, 'coupon_cost_fen', p.amountFen);
        break;
      }
      case 'coupon.issued': {
        const campaign = p.campaignId ?? NO_CAMPAIGN;
        d.addCoupon(e.storeId, campaign, e.createdAt, 'coupons_issued', 1);
        if (p.source === 'after_purchase') d.addCoupon(e.storeId, campaign, e.createdAt, 'offers_claimed', 1);
        break;
      }
      case 'offer.shown':
        d.addCoupon(e.storeId, p.campaignId ?? NO_CAMPAIGN, e.createdAt, 'offers_shown', 1);
        break;
      case 'vision.counts':
        for (const [camera, c] of Object.entries((p.cameras ?? {}) as Record<string, P>))
          for (const [minute, m] of Object.entries((c.minutes ?? {}) as Record<string, P>)) {
            // the schema holds minutes to date-times; PostgreSQL refuses the batch otherwise
            const t = Date.parse(minute);
            if (!Number.isFinite(t)) continue;
            for (const [id, v] of Object.entries((m.lines ?? {}) as Record<string, P>)) {
              d.addLine(e.storeId, camera, id, t, 'ins', v.in ?? 0);
              d.addLine(e.storeId, camera, id, t, 'outs', v.out ?? 0);
            }
          }
        break;
    }
  }
  return d;
}

/** Adds the batch's fresh events to the hourly and daily rollups, in the ingest
 * transaction, after their projections are written. */
export async function writeRollupsPg(c: pg.PoolClient, fresh: WireEvent[]): Promise<void> {
  const d = deltasOf(fresh);
  await couponLookups(c, fresh, d);
  await upsert(
    c,
    'store_hours',
    [
      ['store_id', 'text'],
      ['hour', 'timestamptz'],
    ],
    STORE_HOUR_COLUMNS,
    d.store,
  );
  await upsert(
    c,
    'coupon_hours',
    [
      ['store_id', 'text'],
      ['campaign_id', 'text'],
      ['hour', 'timestamptz'],
    ],
    COUPON_HOUR_COLUMNS,
    d.coupon,
  );
  await upsert(
    c,
    'line_hours',
    [
      ['store_id', 'text'],
      ['camera_id', 'text'],
      ['line_id', 'text'],
      ['hour', 'timestamptz'],
    ],
    ['ins', 'outs'],
    d.line,
  );
  await upsertDays(c, 'store_days', [['store_id', 'text']], STORE_DAY_COLUMNS, d.storeQuarters);
  await upsertDays(
    c,
    'line_days',
    [
      ['store_id', 'text'],
      ['camera_id', 'text'],
      ['line_id', 'text'],
    ],
    ['ins', 'outs'],
    d.lineQuarters,
  );
}

/**
 * What needs the coupon's other rows: a reversal's campaign (its redemption's), and
 * whether a coupon issued is redeemed now (counted in the hour it was issued, at the store
 * that issued it, as long as its redemptions outnumber their reversals). A lock per coupon
 * orders two batches touching the same coupon, so each sees the other's rows once
 * committed, whichever arrives first.
 */
async function couponLookups(c: pg.PoolClient, fresh: WireEvent[], d: RollupDeltas): Promise<void> {
  const batchNet = new Map<string, number>();
  const issuedHere = new Set<string>();
  const reversals: WireEvent[] = [];
  const firstRedemption = new Set<string>();
  for (const e of fresh) {
    const p = e.payload as P;
    if (e.type === 'coupon.issued') issuedHere.add(`${e.storeId}\u0000${e.seq}`);
    else if (e.type === 'coupon.redeemed') {
      batchNet.set(p.couponId, (batchNet.get(p.couponId) ?? 0) + 1);
      firstRedemption.add(p.couponId);
    } else if (e.type === 'coupon.redemption_reversed') {
      batchNet.set(p.couponId, (batchNet.get(p.couponId) ?? 0) - 1);
      reversals.push(e);
    } else continue;
    if (e.type === 'coupon.issued') batchNet.set(p.couponId, batchNet.get(p.couponId) ?? 0);
  }
  if (!batchNet.size) return;
  const ids = [...batchNet.keys()].sort();
  await c.query(
    `SELECT count(pg_advisory_xact_lock(k)) FROM (
       SELECT hashtextextended('coupon:' || id, 0) AS k FROM unnest($1::text[]) id ORDER BY id) s`,
    [ids],
  );
  const state = await c.query(
    `SELECT u.id,
            (SELECT coalesce(sum(direction), 0) FROM coupon_redemptions r WHERE r.coupon_id = u.id) AS net,
            (SELECT campaign_id FROM coupon_redemptions r WHERE r.coupon_id = u.id AND r.direction = 1
              ORDER BY store_id, seq LIMIT 1) AS campaign
       FROM unnest($1::text[]) u(id)`,
    [ids],
  );
  const net = new Map<string, number>();
  const campaign = new Map<string, string | null>();
  for (const r of state.rows as { id: string; net: string; campaign: string | null }[]) {
    net.set(r.id, Number(r.net));
    campaign.set(r.id, r.campaign);
  }
  // a reversal is the campaign's of its redemption, once HQ has it
  for (const e of reversals) {
    const p = e.payload as P;
    const campaignId = campaign.get(p.couponId) ?? NO_CAMPAIGN;
    d.addCoupon(e.storeId, campaignId, e.createdAt, 'redemptions', -1);
    d.addCoupon(e.storeId, campaignId, e.createdAt, 'coupon_cost_fen', -p.amountFen);
  }
  // a redemption reaching HQ after its reversal: the reversal moves into the campaign
  const late = [...firstRedemption].filter((id) => campaign.get(id));
  if (late.length) {
    // rows of this batch are not "before": their (store, seq) are the batch's events'
    const batch = fresh.filter(
      (e) => e.type === 'coupon.redeemed' || e.type === 'coupon.redemption_reversed',
    );
    const r = await c.query(
      `SELECT r.store_id, r.seq, r.coupon_id, r.amount_fen, r.at FROM coupon_redemptions r
        WHERE r.coupon_id = ANY($1) AND r.direction = -1
          AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::bigint[]) b(store_id, seq)
                           WHERE b.store_id = r.store_id AND b.seq = r.seq)
          AND NOT EXISTS (SELECT 1 FROM coupon_redemptions o WHERE o.coupon_id = r.coupon_id AND o.direction = 1
                           AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::bigint[]) b(store_id, seq)
                                            WHERE b.store_id = o.store_id AND b.seq = o.seq))`,
      [late, batch.map((e) => e.storeId), batch.map((e) => e.seq)],
    );
    for (const x of r.rows as { store_id: string; coupon_id: string; amount_fen: string; at: string }[]) {
      const at = Number(x.at);
      const amount = Number(x.amount_fen);
      d.addCoupon(x.store_id, NO_CAMPAIGN, at, 'redemptions', 1);
      d.addCoupon(x.store_id, NO_CAMPAIGN, at, 'coupon_cost_fen', amount);
      d.addCoupon(x.store_id, campaign.get(x.coupon_id)!, at, 'redemptions', -1);
      d.addCoupon(x.store_id, campaign.get(x.coupon_id)!, at, 'coupon_cost_fen', -amount);
    }
  }
  // coupons issued: redeemed now, and was it before this batch
  const issued = await c.query(
    `SELECT store_id, seq, coupon_id, coalesce(campaign_id, '') AS campaign_id, source, issued_at
       FROM coupons_issued WHERE coupon_id = ANY($1)`,
    [ids],
  );
  for (const i of issued.rows as {
    store_id: string;
    seq: string;
    coupon_id: string;
    campaign_id: string;
    source: string | null;
    issued_at: string;
  }[]) {
    const now = (net.get(i.coupon_id) ?? 0) > 0;
    const before = issuedHere.has(`${i.store_id}\u0000${i.seq}`)
      ? false
      : (net.get(i.coupon_id) ?? 0) - (batchNet.get(i.coupon_id) ?? 0) > 0;
    const step = now === before ? 0 : now ? 1 : -1;
    if (!step) continue;
    const at = Number(i.issued_at);
    d.addCoupon(i.store_id, i.campaign_id, at, 'coupons_issued_redeemed', step);
    if (i.source === 'after_purchase') d.addCoupon(i.store_id, i.campaign_id, at, 'offers_redeemed', step);
  }
}

/** the UTC hour of an epoch-ms column */
const h = (col: string) => `date_trunc('hour', to_timestamp(${col} / 1000.0))`;
/** the local day, in the days' time zone, of an epoch-ms column */
const dayOf = (col: string) =>
  `(to_timestamp(${col} / 1000.0) AT TIME ZONE (SELECT day_time_zone FROM figure_settings))::date`;

// The rows the store figures sum, each with its bucket (`hour`, whatever its width) by `b`;
// the same rows the raw figures read.
const storeRows = (b: (col: string) => string) => `
    SELECT s.store_id, ${b('s.sold_at')} AS hour, s.total_fen AS sales_fen, 1 AS tickets,
           coalesce(l.items, 0) AS items, coalesce(l.several, false)::int AS multi_item_tickets,
           coalesce(p.cash, 0) AS cash, coalesce(p.card, 0) AS card, coalesce(p.wallet, 0) AS wallet,
           coalesce(p.points, 0) AS points, coalesce(p.other, 0) AS other,
           0 AS refunds_fen, 0 AS new_members, 0 AS points_issued, 0 AS points_spent,
           0 AS scan_and_go_sales, 0 AS audits, 0 AS audits_checked, 0 AS audit_hits, 0 AS recovered_fen
      FROM sales s
      -- grouped once and hash-joined, not a lookup per sale; two products or more is
      -- "the first and last product differ"
      LEFT JOIN (
        SELECT store_id, seq, sum(CASE WHEN weight_g IS NULL THEN qty ELSE 1 END) AS items,
               min(gtin) <> max(gtin) AS several
          FROM sale_lines GROUP BY store_id, seq) l ON l.store_id = s.store_id AND l.seq = s.seq
      LEFT JOIN (
        SELECT store_id, seq,
               sum(amount_fen) FILTER (WHERE kind = 'cash') AS cash,
               sum(amount_fen) FILTER (WHERE kind = 'card') AS card,
               sum(amount_fen) FILTER (WHERE kind IN ('payment_code', 'wallet')) AS wallet,
               sum(amount_fen) FILTER (WHERE kind = 'points') AS points,
               sum(amount_fen) FILTER (WHERE kind NOT IN ('cash', 'card', 'payment_code', 'wallet', 'points')) AS other
          FROM sale_payments GROUP BY store_id, seq) p ON p.store_id = s.store_id AND p.seq = s.seq
    UNION ALL
    SELECT store_id, ${b('refunded_at')}, 0, 0, 0, 0, 0, 0, 0, 0, 0, amount_fen, 0, 0, 0, 0, 0, 0, 0, 0 FROM refunds
    UNION ALL
    SELECT store_id, ${b('enrolled_at')}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 FROM members_enrolled
    UNION ALL
    SELECT store_id, ${b('at')}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           CASE WHEN reason IN ('earn', 'refund_earn') THEN delta ELSE 0 END,
           CASE WHEN reason IN ('spend', 'refund_spend') THEN -delta ELSE 0 END, 0, 0, 0, 0, 0
      FROM points_movements WHERE at IS NOT NULL
    UNION ALL
    SELECT store_id, ${b('at')}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, selected::int, 0, 0, 0
      FROM exit_audit_decisions
    UNION ALL
    SELECT store_id, ${b('at')}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
           (result = 'recovered')::int, coalesce(recovered_fen, 0)
      FROM exit_audit_results`;
const couponRows = (b: (col: string) => string) => `
    SELECT cr.store_id, coalesce(cr.campaign_id, orig.campaign_id, '') AS campaign_id, ${b('cr.at')} AS hour,
           cr.direction AS redemptions, cr.direction * cr.amount_fen AS coupon_cost_fen,
           0 AS coupons_issued, 0 AS coupons_issued_redeemed, 0 AS offers_shown, 0 AS offers_claimed,
           0 AS offers_redeemed
      FROM coupon_redemptions cr
      LEFT JOIN LATERAL (SELECT campaign_id FROM coupon_redemptions o
                          WHERE o.coupon_id = cr.coupon_id AND o.direction = 1
                          ORDER BY store_id, seq LIMIT 1) orig ON cr.campaign_id IS NULL
     WHERE cr.at IS NOT NULL
    UNION ALL
    SELECT i.store_id, coalesce(i.campaign_id, ''), ${b('i.issued_at')}, 0, 0, 1, (r.net > 0)::int, 0,
           (i.source = 'after_purchase')::int, (i.source = 'after_purchase' AND r.net > 0)::int
      FROM coupons_issued i
      LEFT JOIN LATERAL (SELECT coalesce(sum(direction), 0) AS net FROM coupon_redemptions cr
                          WHERE cr.coupon_id = i.coupon_id) r ON true
    UNION ALL
    SELECT store_id, coalesce(campaign_id, ''), ${b('shown_at')}, 0, 0, 0, 0, 1, 0, 0 FROM offers_shown`;

/** The hourly rollups from the projections, all of them (the migration that adds them, and
 * a rebuild). Written in hour order, as ingest does, so a period's rows lie together on disk. */
export const REBUILD_HOURLY_SQL = `
  TRUNCATE store_hours, coupon_hours, line_hours;
  INSERT INTO store_hours (store_id, hour, ${STORE_HOUR_COLUMNS.join(', ')})
  SELECT store_id, hour, ${STORE_HOUR_COLUMNS.map((c) => `coalesce(sum(${c}), 0)`).join(', ')}
    FROM (${storeRows(h)}) x GROUP BY store_id, hour ORDER BY hour, store_id;

  INSERT INTO coupon_hours (store_id, campaign_id, hour, ${COUPON_HOUR_COLUMNS.join(', ')})
  SELECT store_id, campaign_id, hour, ${COUPON_HOUR_COLUMNS.map((c) => `sum(${c})`).join(', ')}
    FROM (${couponRows(h)}) x GROUP BY store_id, campaign_id, hour ORDER BY hour, store_id, campaign_id;

  INSERT INTO line_hours (store_id, camera_id, line_id, hour, ins, outs)
  SELECT store_id, camera_id, line_id, date_trunc('hour', minute), sum(ins), sum(outs)
    FROM vision_line_counts GROUP BY 1, 2, 3, 4 ORDER BY 4, 1;
`;

const zeros = (cols: readonly string[]) => cols.map((c) => `0 AS ${c}`).join(', ');

/** The daily rollups from the projections, in the days' time zone (figure_settings), into
 * empty tables. */
export const DAILY_INSERT_SQL = `
  INSERT INTO store_days (store_id, day, ${STORE_DAY_COLUMNS.join(', ')})
  SELECT store_id, hour, ${STORE_DAY_COLUMNS.map((c) => `coalesce(sum(${c}), 0)`).join(', ')} FROM (
    SELECT store_id, hour, ${STORE_HOUR_COLUMNS.join(', ')}, ${zeros(COUPON_HOUR_COLUMNS)}
      FROM (${storeRows(dayOf)}) s
    UNION ALL
    SELECT store_id, hour, ${zeros(STORE_HOUR_COLUMNS)}, ${COUPON_HOUR_COLUMNS.join(', ')}
      FROM (${couponRows(dayOf)}) c
  ) x GROUP BY store_id, hour ORDER BY hour, store_id;

  INSERT INTO line_days (store_id, camera_id, line_id, day, ins, outs)
  SELECT store_id, camera_id, line_id,
         (minute AT TIME ZONE (SELECT day_time_zone FROM figure_settings))::date, sum(ins), sum(outs)
    FROM vision_line_counts GROUP BY 1, 2, 3, 4 ORDER BY 4, 1;
`;

/** (guide_days are rebuilt by guide-days.ts's REBUILD_GUIDE_DAYS_SQL: a migration older than them rebuilds these) */
export const REBUILD_DAILY_SQL = `TRUNCATE store_days, line_days; ${DAILY_INSERT_SQL}`;

/** Whether a period in a time zone is whole UTC hours, so the rollups answer it exactly:
 * bounds on the hour, and the zone's offset a whole number of hours all through. */
export function hourlyAnswers(from: number, to: number, timeZone: string): boolean {
  if (from % HOUR_MS || to % HOUR_MS) return false;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  } catch {
    return false;
  }
  const whole = (ms: number) => {
    const name = fmt.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '';
    const m = /([+-])(\d{2}):(\d{2})$/.exec(name);
    return name === 'GMT' || (m !== null && m[3] === '00');
  };
  // offsets change at most a few times a year: a look every week finds a half-hour one
  for (let t = from; t < to; t += 7 * 24 * HOUR_MS) if (!whole(t)) return false;
  return whole(Math.max(from, to - 1));
}
