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

/**
 * Applies the batch's new ledger events, in the caller's transaction; returns conflicts
 * found. A handful of statements per batch whatever its size: enrolments and each
 * member's points in one statement each, and the per-event checks only where a conflict
 * is possible (a member now below zero, a coupon with two live redemptions, a campaign
 * with a quota).
 */
export async function applyLedgerPg(c: pg.PoolClient, fresh: StoredEvent[]): Promise<number> {
  const events = fresh
    .filter((e) => LEDGER_TYPES.has(e.type))
    .sort((a, b) => (a.storeId === b.storeId ? a.seq - b.seq : a.storeId < b.storeId ? -1 : 1));
  if (!events.length) return 0;
  const of = (type: string) => events.filter((e) => e.type === type);
  let conflicts = await members(c, of('member.enrolled'), of('points.moved'));

  const redeemed = of('coupon.redeemed');
  if (redeemed.length) {
    const twice = new Set(
      (
        await c.query(
          `SELECT coupon_id FROM coupon_redemptions WHERE coupon_id = ANY($1)
            GROUP BY coupon_id HAVING count(DISTINCT (store_id, sale_id)) FILTER (WHERE direction = 1) > 1`,
          [[...new Set(redeemed.map((e) => (e.payload as P).couponId))]],
        )
      ).rows.map((r: { coupon_id: string }) => r.coupon_id),
    );
    const suspects = redeemed.filter((e) => twice.has((e.payload as P).couponId));
    // the batch's redemptions are already projected: one not yet refereed is not an "earlier" one
    const unrefereed = new Set(suspects.map((e) => `${e.storeId}\u0000${e.seq}`));
    for (const e of suspects) {
      unrefereed.delete(`${e.storeId}\u0000${e.seq}`);
      conflicts += await couponReuse(c, e, e.payload as P, unrefereed);
    }
  }

  const issued = of('coupon.issued');
  if (issued.length) {
    const quotas = new Set(
      (
        await c.query('SELECT campaign_id FROM campaign_quotas WHERE campaign_id = ANY($1)', [
          [...new Set(issued.map((e) => (e.payload as P).campaignId))],
        ])
      ).rows.map((r: { campaign_id: string }) => r.campaign_id),
    );
    for (const e of issued.filter((x) => quotas.has((x.payload as P).campaignId)))
      conflicts += await overQuota(c, e, e.payload as P);
  }
  return conflicts;
}

/**
 * The batch's enrolments and every member's movements in one statement: rows locked in
 * member order, so two workers on the same members wait for each other without a
 * deadlock. Then, for a member now below zero, the batch's movements are replayed from the
 * balance before it to find the spends that took it there.
 */
async function members(c: pg.PoolClient, enrolled: StoredEvent[], moved: StoredEvent[]): Promise<number> {
  const rows = new Map<string, { store: string | null; at: number | null; delta: number }>();
  const row = (id: string) => {
    const r = rows.get(id) ?? { store: null, at: null, delta: 0 };
    rows.set(id, r);
    return r;
  };
  for (const e of enrolled) {
    const r = row((e.payload as P).memberId);
    if (r.store === null) Object.assign(r, { store: e.storeId, at: e.createdAt });
  }
  for (const e of moved) row((e.payload as P).memberId).delta += (e.payload as P).delta;
  if (!rows.size) return 0;
  const ids = [...rows.keys()].sort();
  const after = new Map<string, number>(
    (
      await c.query(
        `INSERT INTO ledger_members (member_id, enrolled_store, enrolled_at, balance)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
         ON CONFLICT (member_id) DO UPDATE SET
           enrolled_store = coalesce(ledger_members.enrolled_store, EXCLUDED.enrolled_store),
           enrolled_at = coalesce(ledger_members.enrolled_at, EXCLUDED.enrolled_at),
           balance = ledger_members.balance + EXCLUDED.balance, updated_at = now()
         RETURNING member_id, balance`,
        [
          ids,
          ids.map((id) => rows.get(id)!.store),
          ids.map((id) => rows.get(id)!.at),
          ids.map((id) => rows.get(id)!.delta),
        ],
      )
    ).rows.map((r: { member_id: string; balance: number }) => [r.member_id, Number(r.balance)]),
  );
  let conflicts = 0;
  for (const id of ids) {
    const end = after.get(id)!;
    const moves = moved.filter((e) => (e.payload as P).memberId === id);
    if (end >= 0 || !moves.some((e) => (e.payload as P).delta < 0)) continue;
    let balance = end - rows.get(id)!.delta;
    for (const e of moves) {
      const p = e.payload as P;
      balance += p.delta;
      if (p.delta < 0 && balance < 0) conflicts += await overspend(c, e, p, balance);
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
  return recordConflict(c, e, {
    kind: 'points_overspend',
    saleId: p.saleId,
    memberId: p.memberId,
    amount: Math.min(-balance, -p.delta),
    others: others.rows,
    resolution: `balance at HQ now ${balance}: kept negative, later earnings repay it; every store's replica is set to it`,
  });
}

interface Conflict {
  kind: 'points_overspend' | 'coupon_reuse' | 'quota_exceeded';
  saleId: string | null;
  memberId?: string | null;
  couponId?: string;
  campaignId?: string;
  amount: number;
  others: unknown[];
  resolution: string;
}

/** Records a conflict of the event that revealed it, once (replaying the event adds none). */
async function recordConflict(c: pg.PoolClient, e: StoredEvent, x: Conflict): Promise<number> {
  const r = await c.query(
    `INSERT INTO ledger_conflicts
       (kind, store_id, seq, sale_id, member_id, coupon_id, campaign_id, amount, others, resolution)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
    [
      x.kind,
      e.storeId,
      e.seq,
      x.saleId,
      x.memberId ?? null,
      x.couponId ?? null,
      x.campaignId ?? null,
      x.amount,
      JSON.stringify(x.others),
      x.resolution,
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
  return recordConflict(c, e, {
    kind: 'quota_exceeded',
    saleId: p.saleId,
    memberId: p.memberId,
    couponId: p.couponId,
    campaignId: p.campaignId,
    amount: 1,
    others: [],
    resolution: `issued without HQ's grant past the chain-wide quota of ${q.quota}: the coupon stays valid, the campaign's cost counts it`,
  });
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
  return recordConflict(c, e, {
    kind: 'coupon_reuse',
    saleId: p.saleId,
    couponId: p.couponId,
    amount: p.amountFen,
    others: live,
    resolution:
      'coupon flagged: redeemed again while stores were apart; the sale stands, its discount counts in the campaign cost',
  });
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
