// What a chain drill checks at its end, whatever the fault was: every store's events at HQ
// exactly once and contiguous from 1, nothing quarantined, and HQ's projections equal to
// each store's own SQLite (sales, takings, refunds, members' points).
import type pg from 'pg';
import { expect } from 'vitest';
import type { Fleet } from '../../bench/fleet/fleet.js';
import { unsentSummary } from '../../edge/db/outbox.js';
import { waitFor } from './ports.js';

/** waits until HQ's watermark of every store is at that store's last event; on a timeout prints who is behind */
export async function waitHqComplete(
  pool: pg.Pool,
  fleet: Fleet,
  o: { timeoutMs?: number; explain?: (behind: { id: string }[]) => string } = {},
): Promise<void> {
  const totals = fleet.totals();
  let behind: { id: string }[] = [];
  await waitFor(
    'every store complete at HQ',
    async () => {
      const r = await pool.query('SELECT * FROM store_watermarks');
      const at = new Map(r.rows.map((x: { store_id: string; contiguous_seq: number }) => [x.store_id, x]));
      behind = fleet.stores
        .map((store, i) => ({ store, id: fleet.storeId(i), t: totals.get(fleet.storeId(i))! }))
        .filter(({ id, t }) => at.get(id)?.contiguous_seq !== t.maxSeq)
        .map(({ store, id, t }) => ({
          id,
          storeMax: t.maxSeq,
          unsent: unsentSummary(store.db).events,
          link: store.part.details().link,
          hq: at.get(id),
        }));
      return behind.length === 0 ? true : undefined;
    },
    o.timeoutMs ?? 90_000,
  ).catch((err) => {
    console.error(JSON.stringify(behind.slice(0, 4)), o.explain?.(behind) ?? '');
    throw err;
  });
}

/** exactly once, nothing quarantined, projections equal to the stores'; returns the events and sales counted */
export async function expectHqEqualsStores(
  pool: pg.Pool,
  fleet: Fleet,
): Promise<{ events: number; sales: number }> {
  const totals = fleet.totals();
  const expected = [...totals.values()].reduce((a, t) => a + t.maxSeq, 0);
  const perStore = await pool.query(
    'SELECT store_id, count(*)::int AS n, min(seq)::int AS lo, max(seq)::int AS hi FROM events GROUP BY store_id',
  );
  expect(perStore.rows.length).toBe(fleet.stores.length);
  for (const r of perStore.rows) {
    const t = totals.get(r.store_id)!;
    expect([r.n, r.lo, r.hi], r.store_id).toEqual([t.maxSeq, 1, t.maxSeq]);
  }
  expect(perStore.rows.reduce((a: number, r: { n: number }) => a + r.n, 0)).toBe(expected);
  expect((await pool.query('SELECT count(*)::int AS n FROM quarantine')).rows[0].n).toBe(0);

  const sales = await pool.query(
    'SELECT store_id, count(*)::int AS n, sum(total_fen)::bigint AS fen FROM sales GROUP BY store_id',
  );
  const refunds = await pool.query(
    'SELECT store_id, count(*)::int AS n, sum(amount_fen)::bigint AS fen FROM refunds GROUP BY store_id',
  );
  const points = await pool.query(
    `SELECT DISTINCT ON (store_id, member_id) store_id, member_id, balance
       FROM points_movements ORDER BY store_id, member_id, seq DESC`,
  );
  const by = <T extends { store_id: string }>(rows: T[]) => new Map(rows.map((r) => [r.store_id, r]));
  const s = by(sales.rows);
  const rf = by(refunds.rows);
  let sold = 0;
  for (const [id, t] of totals) {
    sold += t.sales;
    expect([s.get(id)?.n ?? 0, s.get(id)?.fen ?? 0], `${id} sales`).toEqual([t.sales, t.totalFen]);
    expect([rf.get(id)?.n ?? 0, rf.get(id)?.fen ?? 0], `${id} refunds`).toEqual([t.refunds, t.refundedFen]);
  }
  for (const p of points.rows)
    expect(p.balance, `${p.store_id} ${p.member_id}`).toBe(totals.get(p.store_id)!.points[p.member_id]);
  return { events: expected, sales: sold };
}
