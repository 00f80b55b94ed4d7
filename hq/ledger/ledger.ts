// HQ as the chain's ledger of record for members and points, and the referee of chain
// coupons: applied to each batch's new events inside the ingest transaction, so the
// ledger, the projections and the watermark never disagree.
//
// - A member enrolled at any store is known chain-wide; points are the sum of every
//   store's movements, whatever order they arrive in.
// - A spend that takes HQ's balance below zero is a conflict (two stores spent the same
//   points while apart): recorded with the sale, the amount short and the member's
//   other recent spends. HQ keeps the negative balance; later earnings repay it.
// - A coupon redeemed a second time (another sale, at any store) is a conflict recorded
//   with both sales; the sale stands in the store's books, the coupon is flagged.
// Nothing is reconciled silently: every conflict is a row in ledger_conflicts.
import type pg from 'pg';
import type { StoredEvent } from '../ingest/classify.js';

// biome-ignore lint/suspicious/noExplicitAny: payloads are schema-checked JSON (sync/event-schemas.ts)
type P = any;

const LEDGER_TYPES = new Set(['member.enrolled', 'points.moved', 'coupon.redeemed', 'coupon.issued']);

/** Applies the batch's new ledger events, in the caller's transaction; returns conflicts found. */
export async function applyLedgerPg(c: pg.PoolClient, fresh: StoredEvent[]): Promise<number> {
  const events = fresh
    .filter((e) => LEDGER_TYPES.has(e.type))
    .sort((a, b) => (a.storeId === b.storeId ? a.seq - b.seq : a.storeId < b.storeId ? -1 : 1));
  if (!events.length) return 0;
  // the batch's coupon redemptions are already projected: one not yet refereed is not an "earlier" one
  const unrefereed = new Set(
    events.filter((e) => e.type === 'coupon.redeemed').map((e) => `${e.storeId}\u0000${e.seq}`),
  );
  let conflicts = 0;
  for (const e of events) {
    const p = e.payload as P;
    if (e.type === 'member.enrolled') {
      await c.query(
        `INSERT INTO ledger_members (member_id, enrolled_store, enrolled_at) VALUES ($1, $2, $3)
         ON CONFLICT (member_id) DO UPDATE SET enrolled_store = coalesce(ledger_members.enrolled_store, $2),
           enrolled_at = coalesce(ledger_members.enrolled_at, $3)`,
        [p.memberId, e.storeId, e.createdAt],
      );
    } else if (e.type === 'points.moved') {
      // lock the member's row: two workers applying the same member serialise here
      const r = await c.query(
        `INSERT INTO ledger_members (member_id, balance) VALUES ($1, $2)
         ON CONFLICT (member_id) DO UPDATE SET balance = ledger_members.balance + $2, updated_at = now()
         RETURNING balance`,
        [p.memberId, p.delta],
      );
      const balance = Number(r.rows[0].balance);
      if (p.delta < 0 && balance < 0) conflicts += await overspend(c, e, p, balance);
    } else if (e.type === 'coupon.issued') {
      conflicts += await overQuota(c, e, p);
    } else {
      unrefereed.delete(`${e.storeId}\u0000${e.seq}`);
      conflicts += await couponReuse(c, e, p, unrefereed);
    }
  }
  return conflicts;
}

async function overspend(c: pg.PoolClient, e: StoredEvent, p: P, balance: number): Promise<number> {
  const others = await c.query(
    `SELECT store_id AS "storeId", sale_id AS "saleId", -delta AS points, at FROM points_movements
      WHERE member_id = $1 AND reason = 'spend' AND NOT (store_id = $2 AND seq = $3)
      ORDER BY at DESC NULLS LAST LIMIT 5`,
    [p.memberId, e.storeId, e.seq],
  );
  const short = Math.min(-balance, -p.delta);
  const r = await c.query(
    `INSERT INTO ledger_conflicts (kind, store_id, seq, sale_id, member_id, amount, others, resolution)
     VALUES ('points_overspend', $1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [
      e.storeId,
      e.seq,
      p.saleId,
      p.memberId,
      short,
      JSON.stringify(others.rows),
      `balance at HQ now ${balance}: kept negative, later earnings repay it; every store's replica is set to it`,
    ],
  );
  return r.rowCount ?? 0;
}

/** A coupon issued past its campaign's chain-wide quota (a store apart from HQ counted
 * alone). One HQ granted is within the quota whatever order the events come in; one
 * without a grant is past it when the campaign's other issues and outstanding grants
 * already fill the quota. */
async function overQuota(c: pg.PoolClient, e: StoredEvent, p: P): Promise<number> {
  const q = (await c.query('SELECT quota FROM campaign_quotas WHERE campaign_id = $1', [p.campaignId]))
    .rows[0];
  if (!q) return 0;
  if ((await c.query('SELECT 1 FROM quota_grants WHERE coupon_id = $1', [p.couponId])).rows.length) return 0;
  const n = Number(
    (
      await c.query(
        `SELECT (SELECT count(*) FROM coupons_issued i WHERE i.campaign_id = $1 AND i.coupon_id <> $2
                   AND NOT EXISTS (SELECT 1 FROM ledger_conflicts l WHERE l.kind = 'quota_exceeded'
                                    AND l.store_id = i.store_id AND l.seq = i.seq))
              + (SELECT count(*) FROM quota_grants g WHERE g.campaign_id = $1
                   AND g.granted_at > now() - interval '10 minutes'
                   AND NOT EXISTS (SELECT 1 FROM coupons_issued i WHERE i.coupon_id = g.coupon_id)) AS n`,
        [p.campaignId, p.couponId],
      )
    ).rows[0].n,
  );
  if (n < Number(q.quota)) return 0;
  const r = await c.query(
    `INSERT INTO ledger_conflicts (kind, store_id, seq, sale_id, member_id, coupon_id, campaign_id, amount, others, resolution)
     VALUES ('quota_exceeded', $1, $2, $3, $4, $5, $6, 1, '[]', $7) ON CONFLICT DO NOTHING`,
    [
      e.storeId,
      e.seq,
      p.saleId,
      p.memberId,
      p.couponId,
      p.campaignId,
      `issued without HQ's grant past the chain-wide quota of ${q.quota}: the coupon stays valid, the campaign's cost counts it`,
    ],
  );
  return r.rowCount ?? 0;
}

async function couponReuse(c: pg.PoolClient, e: StoredEvent, p: P, unrefereed: Set<string>): Promise<number> {
  const earlier = (
    await c.query(
      `SELECT store_id AS "storeId", sale_id AS "saleId", seq, sum(direction)::int AS net FROM coupon_redemptions
        WHERE coupon_id = $1 AND sale_id <> $2 GROUP BY store_id, sale_id, seq`,
      [p.couponId, p.saleId],
    )
  ).rows.filter((r) => !unrefereed.has(`${r.storeId}\u0000${r.seq}`));
  // a redemption of another sale that a refund has not given back
  const byKey = new Map<string, { storeId: string; saleId: string; net: number }>();
  for (const r of earlier) {
    const k = `${r.storeId}\u0000${r.saleId}`;
    const cur = byKey.get(k) ?? { storeId: r.storeId, saleId: r.saleId, net: 0 };
    cur.net += r.net;
    byKey.set(k, cur);
  }
  const live = [...byKey.values()]
    .filter((x) => x.net > 0)
    .map(({ storeId, saleId }) => ({ storeId, saleId }));
  if (!live.length) return 0;
  const r = await c.query(
    `INSERT INTO ledger_conflicts (kind, store_id, seq, sale_id, coupon_id, amount, others, resolution)
     VALUES ('coupon_reuse', $1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [
      e.storeId,
      e.seq,
      p.saleId,
      p.couponId,
      p.amountFen,
      JSON.stringify(live),
      'coupon flagged: redeemed again while stores were apart; the sale stands, its discount counts in the campaign cost',
    ],
  );
  return r.rowCount ?? 0;
}

/** What a store's replica of a member needs: HQ's balance over the events it holds without
 * a gap, and, per store, how far that is (the store adds its own later movements). */
export interface MemberReplica {
  memberId: string;
  balance: number;
  through: Record<string, number>;
  enrolledStore: string | null;
  /** grows with every change of `through`: a replica keeps the highest it saw */
  version: number;
}

export async function memberReplicas(pool: pg.Pool | pg.PoolClient, ids: string[]): Promise<MemberReplica[]> {
  if (!ids.length) return [];
  const rows = (
    await pool.query(
      `SELECT m.member_id, m.enrolled_store,
              coalesce(sum(pm.delta) FILTER (WHERE pm.seq <= w.contiguous_seq), 0) AS balance,
              coalesce(jsonb_object_agg(w.store_id, w.contiguous_seq) FILTER (WHERE w.store_id IS NOT NULL), '{}') AS through
         FROM ledger_members m
         LEFT JOIN points_movements pm ON pm.member_id = m.member_id
         LEFT JOIN store_watermarks w ON w.store_id = pm.store_id
        WHERE m.member_id = ANY($1)
        GROUP BY m.member_id, m.enrolled_store`,
      [ids],
    )
  ).rows;
  return rows.map((r) => {
    const through = r.through as Record<string, number>;
    return {
      memberId: r.member_id,
      balance: Number(r.balance),
      through,
      enrolledStore: r.enrolled_store,
      // watermarks only grow, and the balance is a function of them: their sum orders snapshots
      version: Object.values(through).reduce((a, v) => a + Number(v), 0),
    };
  });
}

/** Members whose replica changed with these watermark moves: movements or enrolments now
 * inside a store's contiguous range. */
export async function membersInRanges(
  c: pg.PoolClient,
  moves: { storeId: string; from: number; to: number }[],
): Promise<string[]> {
  const moved = moves.filter((m) => m.to > m.from);
  if (!moved.length) return [];
  const r = await c.query(
    `SELECT DISTINCT member_id FROM (
       SELECT pm.member_id FROM points_movements pm
         JOIN unnest($1::text[], $2::bigint[], $3::bigint[]) AS k(store_id, lo, hi)
           ON pm.store_id = k.store_id AND pm.seq > k.lo AND pm.seq <= k.hi
       UNION
       SELECT me.member_id FROM members_enrolled me
         JOIN unnest($1::text[], $2::bigint[], $3::bigint[]) AS k(store_id, lo, hi)
           ON me.store_id = k.store_id AND me.seq > k.lo AND me.seq <= k.hi
     ) x`,
    [moved.map((m) => m.storeId), moved.map((m) => m.from), moved.map((m) => m.to)],
  );
  return r.rows.map((x: { member_id: string }) => x.member_id);
}
