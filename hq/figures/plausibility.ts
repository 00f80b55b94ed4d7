// Figures a people counter cannot have given honestly: more tickets than people in (a
// conversion above 100%), or no one in while the tills sell. Such a store has a counter
// problem (a camera moved, a line drawn wrong, a dead feed); HQ says so instead of
// ranking it by a figure built on its count, where it would top a conversion ranking.
import type pg from 'pg';
import type { StoreFigures } from './store-figures.js';

export type CounterProblem = 'conversion_over_100' | 'no_entrances_while_selling';

/** The figures that are read from the people counter: a store with a counter problem is
 * not ranked by them. */
export const COUNTED: readonly string[] = ['footfall', 'conversion'];

/**
 * What is implausible in a store's figures for a period. `counts`: the store has cameras
 * (a layout with at least one), so zero entrances is a reading, not the absence of one.
 */
export function counterProblems(f: StoreFigures, counts: boolean): CounterProblem[] {
  const out: CounterProblem[] = [];
  if (f.footfall > 0 && f.tickets > f.footfall) out.push('conversion_over_100');
  if (counts && f.footfall === 0 && f.tickets > 0) out.push('no_entrances_while_selling');
  return out;
}

/** The stores whose latest layout has a camera. */
export async function countingStores(pool: pg.Pool, stores: string[] | null): Promise<Set<string>> {
  const r = await pool.query(
    `SELECT store_id FROM (
       SELECT DISTINCT ON (store_id) store_id, layout FROM store_layouts
        WHERE ($1::text[] IS NULL OR store_id = ANY($1)) ORDER BY store_id, seq DESC) l
      WHERE jsonb_array_length(coalesce(l.layout->'cameras', '[]'::jsonb)) > 0`,
    [stores],
  );
  return new Set(r.rows.map((x) => x.store_id as string));
}
