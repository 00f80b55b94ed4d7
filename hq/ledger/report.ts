// The reconciliation report: every conflict the chain ledger recorded, newest last,
// with totals by kind and store. Shared by HQ's API and `npm run hq -- conflicts`.
import type pg from 'pg';
import { inTransaction } from '../db/pg.js';

export interface ConflictRow {
  id: number;
  kind: 'points_overspend' | 'coupon_reuse' | 'quota_exceeded';
  campaignId: string | null;
  storeId: string;
  seq: number;
  saleId: string | null;
  memberId: string | null;
  couponId: string | null;
  amount: number;
  others: { storeId: string; saleId: string | null }[];
  resolution: string;
  detectedAt: string;
}

export async function conflictReport(
  pool: pg.Pool,
  q: { kind?: string | undefined; store?: string | undefined; limit: number; after: number },
): Promise<{
  totals: { kind: string; storeId: string; conflicts: number; amount: number }[];
  conflicts: ConflictRow[];
  next: string | null;
}> {
  const where = '($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR store_id = $2)';
  // one snapshot: a conflict committed between the two queries must not be listed
  // without being counted in the totals
  const { totals, rows } = await inTransaction(
    pool,
    async (c) => ({
      totals: await c.query(
        `SELECT kind, store_id AS "storeId", count(*)::int AS conflicts, sum(amount)::bigint AS amount
           FROM ledger_conflicts WHERE ${where} GROUP BY 1, 2 ORDER BY 1, 2`,
        [q.kind ?? null, q.store ?? null],
      ),
      rows: await c.query(
        `SELECT id, kind, store_id, seq, sale_id, member_id, coupon_id, campaign_id, amount, others, resolution, detected_at
           FROM ledger_conflicts WHERE ${where} AND id > $3 ORDER BY id LIMIT $4`,
        [q.kind ?? null, q.store ?? null, q.after, q.limit],
      ),
    }),
    { snapshot: true },
  );
  const conflicts = rows.rows.map(
    (r): ConflictRow => ({
      id: Number(r.id),
      kind: r.kind,
      storeId: r.store_id,
      seq: Number(r.seq),
      saleId: r.sale_id,
      memberId: r.member_id,
      couponId: r.coupon_id,
      campaignId: r.campaign_id,
      amount: Number(r.amount),
      others: r.others,
      resolution: r.resolution,
      detectedAt: new Date(r.detected_at).toISOString(),
    }),
  );
  return {
    totals: totals.rows.map((r) => ({ ...r, amount: Number(r.amount) })),
    conflicts,
    next: conflicts.length === q.limit ? String(conflicts.at(-1)!.id) : null,
  };
}
