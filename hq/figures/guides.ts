// HQ's figures of the store guides for a period, per guide, per store or chain-wide, whole
// or by local day: from guide_days when the period is whole days of their zone, else summed
// from the projections (guide-days.ts defines both, so they agree). Each figure is defined
// in hq/README.md ("Guide figures").
import type pg from 'pg';
import { dailyAnswers, dayTimeZone } from './daily.js';
import { ACCEPT_BINS, DONE_BINS, GUIDE_BINS_S, GUIDE_DAY_COLUMNS, guideRows } from './guide-days.js';
import { dayBucket, inMs, inStores, msBucket, ratio, storeFigures } from './store-figures.js';

export type GuideBy = 'guide' | 'store' | 'chain';

export interface GuideQuery {
  /** null: every store */
  stores: string[] | null;
  from: number;
  to: number;
  timeZone: string;
  bucket: 'total' | 'day';
  by: GuideBy;
}

export interface GuideFigures {
  /** null chain-wide */
  storeId: string | null;
  /** null by store or chain (the calls no guide took are counted there only) */
  staffId: string | null;
  /** 'total' or a local day (YYYY-MM-DD) */
  bucket: string;
  calls: number;
  callsAnswered: number;
  answerRate: number | null;
  callsDone: number;
  callsEscalated: number;
  avgSecondsToAccept: number | null;
  medianSecondsToAccept: number | null;
  p90SecondsToAccept: number | null;
  avgSecondsToDone: number | null;
  medianSecondsToDone: number | null;
  p90SecondsToDone: number | null;
  assistedSales: number;
  assistedFen: number;
  refunds: number;
  refundedFen: number;
  netAssistedFen: number;
  /** the store's (or stores') sales in the same bucket */
  salesFen: number;
  /** assistedFen ÷ salesFen */
  assistedShare: number | null;
}

/** The q-th quantile of durations counted in GUIDE_BINS_S's bins, in seconds (one decimal):
 * linear within the bin it falls in; the last bin (an hour or more) gives its lower bound. */
export function binQuantile(counts: number[], q: number): number | null {
  const n = counts.reduce((a, c) => a + c, 0);
  if (!n) return null;
  const rank = q * n;
  let before = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c && before + c >= rank) {
      const lo = GUIDE_BINS_S[i]!;
      const hi = GUIDE_BINS_S[i + 1] ?? lo;
      return Math.round((lo + ((hi - lo) * (rank - before)) / c) * 10) / 10;
    }
    before += c;
  }
  return GUIDE_BINS_S.at(-1)!;
}

const sums = GUIDE_DAY_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(', ');

function sqlOf(by: GuideBy, fromDays: boolean): string {
  const keys = by === 'guide' ? 'store_id, staff_id, ' : by === 'store' ? 'store_id, ' : '';
  const group = by === 'guide' ? '1, 2, 3' : by === 'store' ? '1, 2' : '1';
  if (fromDays)
    return `SELECT ${keys}${dayBucket} AS bucket, ${sums}
              FROM guide_days
             WHERE ${inStores('store_id')}
               AND day >= (to_timestamp($2 / 1000.0) AT TIME ZONE $4)::date
               AND day < (to_timestamp($3 / 1000.0) AT TIME ZONE $4)::date
             GROUP BY ${group}`;
  const rows = guideRows(msBucket, (col, store) => `${inStores(store)} AND ${inMs(col)}`);
  return `SELECT ${keys}bucket, ${sums} FROM (${rows}) x GROUP BY ${group}`;
}

const n = (v: unknown) => Number(v ?? 0);
const secs = (ms: number, count: number) => (count ? Math.round(ms / count / 100) / 10 : null);

/** Guide figures, ordered by store, guide and bucket; `raw` reads the projections whatever the period. */
export async function guideFigures(
  pool: pg.Pool,
  q: GuideQuery,
  o: { raw?: boolean } = {},
): Promise<GuideFigures[]> {
  const fromDays = !o.raw && dailyAnswers(q.from, q.to, q.timeZone, await dayTimeZone(pool));
  const args = [q.stores, q.from, q.to, q.timeZone, q.bucket];
  const [guides, sales] = await Promise.all([
    pool.query(sqlOf(q.by, fromDays), args),
    storeFigures(pool, { stores: q.stores, from: q.from, to: q.to, timeZone: q.timeZone, bucket: q.bucket }),
  ]);
  const salesOf = new Map<string, number>();
  for (const s of sales) {
    const k = q.by === 'chain' ? s.bucket : `${s.storeId}\u0000${s.bucket}`;
    salesOf.set(k, (salesOf.get(k) ?? 0) + s.salesFen);
  }
  return (guides.rows as Record<string, unknown>[])
    .filter((r) => r.staff_id !== '') // the calls no guide took: in the store's figures only
    .map((r): GuideFigures => {
      const storeId = r.store_id === undefined ? null : String(r.store_id);
      const bucket = String(r.bucket);
      const salesFen = salesOf.get(storeId === null ? bucket : `${storeId}\u0000${bucket}`) ?? 0;
      const calls = n(r.calls);
      const answered = n(r.calls_answered);
      const done = n(r.calls_done);
      const accept = ACCEPT_BINS.map((c) => n(r[c]));
      const finish = DONE_BINS.map((c) => n(r[c]));
      const assistedFen = n(r.assisted_fen);
      const refundedFen = n(r.refunded_fen);
      return {
        storeId,
        staffId: r.staff_id ? String(r.staff_id) : null,
        bucket,
        calls,
        callsAnswered: answered,
        answerRate: ratio(answered, calls),
        callsDone: done,
        callsEscalated: n(r.calls_escalated),
        avgSecondsToAccept: secs(n(r.accept_ms), answered),
        medianSecondsToAccept: binQuantile(accept, 0.5),
        p90SecondsToAccept: binQuantile(accept, 0.9),
        avgSecondsToDone: secs(n(r.done_ms), done),
        medianSecondsToDone: binQuantile(finish, 0.5),
        p90SecondsToDone: binQuantile(finish, 0.9),
        assistedSales: n(r.assisted_sales),
        assistedFen,
        refunds: n(r.refunds),
        refundedFen,
        netAssistedFen: assistedFen - refundedFen,
        salesFen,
        assistedShare: ratio(assistedFen, salesFen),
      };
    })
    .sort(
      (a, b) =>
        (a.storeId ?? '').localeCompare(b.storeId ?? '') ||
        (a.staffId ?? '').localeCompare(b.staffId ?? '') ||
        a.bucket.localeCompare(b.bucket),
    );
}

/** The figures a guide ranking sorts by (higher is "more"). */
export const GUIDE_RANKABLE = [
  'netAssistedFen',
  'assistedFen',
  'assistedSales',
  'assistedShare',
  'callsAnswered',
  'answerRate',
  'medianSecondsToAccept',
  'p90SecondsToAccept',
  'medianSecondsToDone',
  'callsEscalated',
  'refundedFen',
] as const;
export type GuideRankable = (typeof GUIDE_RANKABLE)[number];

/** Ranked by a figure (nulls last, either way), ties by store and guide. */
export function rankGuides(rows: GuideFigures[], sort: GuideRankable, order: 'asc' | 'desc'): GuideFigures[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[sort];
    const y = b[sort];
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return (x - y) * sign;
  });
}
