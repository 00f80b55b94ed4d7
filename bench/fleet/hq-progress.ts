// How far HQ has the fleet's events, read from its watermarks: what the ingest benches
// poll while stores drain, and their end check.
import type pg from 'pg';
import type { StoreTotals } from './virtual-store.js';

/** Events HQ holds (each once), over every store. */
export const heldEvents = async (pool: pg.Pool): Promise<number> =>
  Number((await pool.query('SELECT coalesce(sum(events), 0) AS n FROM store_watermarks')).rows[0].n);

/** Stores whose every event HQ holds, without a gap. */
export async function completeStores(pool: pg.Pool, totals: Map<string, StoreTotals>): Promise<number> {
  const r = await pool.query(
    `SELECT count(*) AS n FROM store_watermarks w JOIN unnest($1::text[], $2::bigint[]) AS s(id, max) ON w.store_id = s.id
      WHERE w.contiguous_seq = s.max AND w.events = s.max`,
    [[...totals.keys()], [...totals.values()].map((t) => t.maxSeq)],
  );
  return Number(r.rows[0].n);
}
