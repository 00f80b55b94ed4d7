// HQ's figures of the store guides (通绩效), per store, guide and local day of the chain's
// reporting zone (figure_settings, as store_days): calls, how fast they were taken and
// finished, calls escalated, assisted sales and their value, and the refunds of those
// sales (on the refund's day, as a store's refunds are its day's). Added to in the ingest
// transaction from the batch's fresh guide.call, guide.assist and refund.completed events,
// rebuilt from the projections (guide_calls, guide_assists, refunds) by
// GUIDE_DAYS_INSERT_SQL; either way they equal the projections' sums (test/hq/guides.test.ts).
// A call is counted on the day the shopper called, under the guide who took it ('' when no
// guide did). Times to accept and to finish are kept as counts in fixed bins, so a median
// or a p90 over any days and stores is a sum of rows, exact to within its bin.
import type pg from 'pg';
import type { WireEvent } from '../../sync/topics.js';
import { Deltas, quarterOf, upsertDays } from './rollup-upsert.js';

// biome-ignore lint/suspicious/noExplicitAny: payloads are schema-checked JSON (sync/event-schemas.ts)
type P = any;

/** Each bin's lower bound in seconds; the last bin is "an hour or more". Narrow where
 * shoppers wait (2 s under 10 s), wider where a call's length lies. */
export const GUIDE_BINS_S = [
  0, 2, 4, 6, 8, 10, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 240, 300, 420, 600, 900, 1200, 1800,
  3600,
] as const;
const BOUNDS_MS = GUIDE_BINS_S.map((s) => s * 1000);
export const ACCEPT_BINS = GUIDE_BINS_S.map((_, i) => `accept_bin_${i}`);
export const DONE_BINS = GUIDE_BINS_S.map((_, i) => `done_bin_${i}`);

export const GUIDE_DAY_COLUMNS = [
  'calls',
  'calls_answered',
  'calls_done',
  'calls_escalated',
  'accept_ms',
  'done_ms',
  ...ACCEPT_BINS,
  ...DONE_BINS,
  'assisted_sales',
  'assisted_fen',
  'refunds',
  'refunded_fen',
] as const;

/** The bin of a duration (negative, from a clock stepped back, is the first). */
export function binOf(ms: number): number {
  let i = 0;
  while (i + 1 < BOUNDS_MS.length && ms >= BOUNDS_MS[i + 1]!) i++;
  return i;
}
/** The same in SQL: width_bucket counts from 1 */
const binSql = (ms: string) =>
  `width_bucket(greatest(${ms}, 0), ARRAY[${BOUNDS_MS.join(',')}]::bigint[]) - 1`;

/** A call's figures as (column, value), by the rules above. */
function callFigures(p: {
  status: string;
  staffId: string | null;
  createdAt: number;
  acceptedAt: number | null;
  endedAt: number | null;
  escalated: boolean;
}): [string, number][] {
  const out: [string, number][] = [['calls', 1]];
  if (p.escalated) out.push(['calls_escalated', 1]);
  if (p.staffId === null || p.acceptedAt === null) return out;
  const accept = Math.max(0, p.acceptedAt - p.createdAt);
  out.push(['calls_answered', 1], ['accept_ms', accept], [ACCEPT_BINS[binOf(accept)]!, 1]);
  if (p.status === 'done' && p.endedAt !== null) {
    const done = Math.max(0, p.endedAt - p.acceptedAt);
    out.push(['calls_done', 1], ['done_ms', done], [DONE_BINS[binOf(done)]!, 1]);
  }
  return out;
}

const storesLock = async (c: pg.PoolClient, stores: string[]) =>
  c.query(
    `SELECT count(pg_advisory_xact_lock(k)) FROM (
       SELECT hashtextextended('guide:' || id, 0) AS k FROM unnest($1::text[]) id ORDER BY id) s`,
    [[...new Set(stores)].sort()],
  );

/**
 * Adds the batch's fresh guide events and refunds to guide_days, in the ingest transaction,
 * after their projections are written. A refund needs the sale's guide: from guide_assists
 * (this batch's included); an assist reaching HQ after its sale's refund takes the refunds
 * HQ held before. A lock per store orders two batches of one store, so each sees the
 * other's rows once committed, whichever comes first.
 */
export async function writeGuideRollupsPg(c: pg.PoolClient, fresh: WireEvent[]): Promise<void> {
  const d = new Deltas();
  const add = (storeId: string, staffId: string, ms: number, col: string, v: number) =>
    d.add([storeId, staffId, quarterOf(ms)], col, v);
  const assists: WireEvent[] = [];
  const refunds: WireEvent[] = [];
  for (const e of fresh) {
    const p = e.payload as P;
    if (e.type === 'guide.call')
      for (const [col, v] of callFigures(p)) add(e.storeId, p.staffId ?? '', p.createdAt, col, v);
    else if (e.type === 'guide.assist') {
      add(e.storeId, p.staffId, p.at, 'assisted_sales', 1);
      add(e.storeId, p.staffId, p.at, 'assisted_fen', p.totalFen);
      assists.push(e);
    } else if (e.type === 'refund.completed') refunds.push(e);
  }
  if (assists.length || refunds.length) {
    await storesLock(
      c,
      [...assists, ...refunds].map((e) => e.storeId),
    );
    if (refunds.length) {
      const r = await c.query(
        `SELECT DISTINCT a.store_id, a.sale_id, a.staff_id
           FROM unnest($1::text[], $2::text[]) AS k(store_id, sale_id)
           JOIN guide_assists a ON a.store_id = k.store_id AND a.sale_id = k.sale_id`,
        [refunds.map((e) => e.storeId), refunds.map((e) => (e.payload as P).saleId)],
      );
      const guide = new Map(
        (r.rows as { store_id: string; sale_id: string; staff_id: string }[]).map((x) => [
          `${x.store_id}\u0000${x.sale_id}`,
          x.staff_id,
        ]),
      );
      for (const e of refunds) {
        const p = e.payload as P;
        const staffId = guide.get(`${e.storeId}\u0000${p.saleId}`);
        if (staffId === undefined) continue;
        add(e.storeId, staffId, p.at, 'refunds', 1);
        add(e.storeId, staffId, p.at, 'refunded_fen', p.amountFen);
      }
    }
    if (assists.length) {
      const r = await c.query(
        `SELECT r.store_id, r.amount_fen, r.refunded_at, k.staff_id
           FROM unnest($1::text[], $2::text[], $3::text[]) AS k(store_id, sale_id, staff_id)
           JOIN refunds r ON r.store_id = k.store_id AND r.sale_id = k.sale_id
          WHERE NOT EXISTS (SELECT 1 FROM unnest($4::text[], $5::bigint[]) b(store_id, seq)
                             WHERE b.store_id = r.store_id AND b.seq = r.seq)`,
        [
          assists.map((e) => e.storeId),
          assists.map((e) => (e.payload as P).saleId),
          assists.map((e) => (e.payload as P).staffId),
          refunds.map((e) => e.storeId),
          refunds.map((e) => e.seq),
        ],
      );
      for (const x of r.rows as {
        store_id: string;
        amount_fen: string;
        refunded_at: string;
        staff_id: string;
      }[]) {
        add(x.store_id, x.staff_id, Number(x.refunded_at), 'refunds', 1);
        add(x.store_id, x.staff_id, Number(x.refunded_at), 'refunded_fen', Number(x.amount_fen));
      }
    }
  }
  await upsertDays(
    c,
    'guide_days',
    [
      ['store_id', 'text'],
      ['staff_id', 'text'],
    ],
    GUIDE_DAY_COLUMNS,
    d,
  );
}

const bins = (prefix: string, ms: string, when: string) =>
  GUIDE_BINS_S.map((_, i) => `(${when} AND ${binSql(ms)} = ${i})::int AS ${prefix}_bin_${i}`).join(', ');
const zeros = (cols: readonly string[]) => cols.map((c) => `0 AS ${c}`).join(', ');

/**
 * The rows guide_days sums, each with its bucket by `b` (an epoch-ms column's expression)
 * and kept by `where` (the same column and the row's store column): the days' rebuild
 * and the figures read from the projections are the same sums.
 */
export function guideRows(b: (col: string) => string, where: (col: string, store: string) => string): string {
  const answered = 'staff_id IS NOT NULL AND accepted_at IS NOT NULL';
  const done = `${answered} AND status = 'done' AND ended_at IS NOT NULL`;
  const noCalls = zeros(['calls', 'calls_answered', 'calls_done', 'calls_escalated', 'accept_ms', 'done_ms']);
  const noBins = zeros([...ACCEPT_BINS, ...DONE_BINS]);
  return `
    SELECT store_id, coalesce(staff_id, '') AS staff_id, ${b('created_at')} AS bucket, 1 AS calls,
           (${answered})::int AS calls_answered, (${done})::int AS calls_done, escalated::int AS calls_escalated,
           CASE WHEN ${answered} THEN greatest(accepted_at - created_at, 0) ELSE 0 END AS accept_ms,
           CASE WHEN ${done} THEN greatest(ended_at - accepted_at, 0) ELSE 0 END AS done_ms,
           ${bins('accept', 'accepted_at - created_at', answered)}, ${bins('done', 'ended_at - accepted_at', done)},
           0 AS assisted_sales, 0 AS assisted_fen, 0 AS refunds, 0 AS refunded_fen
      FROM guide_calls WHERE ${where('created_at', 'store_id')}
    UNION ALL
    SELECT store_id, staff_id, ${b('at')}, ${noCalls}, ${noBins}, 1, total_fen, 0, 0
      FROM guide_assists WHERE ${where('at', 'store_id')}
    UNION ALL
    SELECT r.store_id, a.staff_id, ${b('r.refunded_at')}, ${noCalls}, ${noBins}, 0, 0, 1, r.amount_fen
      FROM refunds r JOIN guide_assists a ON a.store_id = r.store_id AND a.sale_id = r.sale_id
     WHERE ${where('r.refunded_at', 'r.store_id')}`;
}

/** guide_days from the projections, in the days' time zone (figure_settings), into an empty table. */
export const GUIDE_DAYS_INSERT_SQL = `
  INSERT INTO guide_days (store_id, staff_id, day, ${GUIDE_DAY_COLUMNS.join(', ')})
  SELECT store_id, staff_id, bucket, ${GUIDE_DAY_COLUMNS.map((c) => `sum(${c})`).join(', ')}
    FROM (${guideRows(
      (col) =>
        `(to_timestamp(${col} / 1000.0) AT TIME ZONE (SELECT day_time_zone FROM figure_settings))::date`,
      () => 'true',
    )}) x
   GROUP BY 1, 2, 3 ORDER BY 3, 1, 2;
`;

export const REBUILD_GUIDE_DAYS_SQL = `TRUNCATE guide_days; ${GUIDE_DAYS_INSERT_SQL}`;
