// Zones against sales (display effectiveness): each zone's visits and dwell in a period
// beside the sales of the product categories its layout says are shelved in it; the
// same zone type compared across stores; and one store or zone before and after a
// change (period over period). Definitions: hq/README.md ("Figures").
import type pg from 'pg';
import { ratio } from './store-figures.js';

export interface ZoneFigures {
  storeId: string;
  cameraId: string;
  zoneId: string;
  zoneType: string;
  categories: string[];
  visits: number;
  dwellMs: number;
  avgDwellMs: number | null;
  /** units and takings of the zone's categories in the period's sales (refunds not taken off) */
  units: number;
  salesFen: number;
  salesPerVisitFen: number | null;
  /** visits per 100 people through the store's entrances */
  visitsPer100Entries: number | null;
}

// $1 stores (null: all), $2 from, $3 to (ms)
const SQL = `
  WITH layout AS (
    SELECT DISTINCT ON (store_id) store_id, layout FROM store_layouts
     WHERE ($1::text[] IS NULL OR store_id = ANY($1)) ORDER BY store_id, seq DESC
  ), zones AS (
    SELECT l.store_id, c->>'id' AS camera_id, z->>'id' AS zone_id, z->>'type' AS zone_type, z->'categories' AS categories
      FROM layout l, jsonb_array_elements(l.layout->'cameras') c, jsonb_array_elements(c->'zones') z
  ), dwell AS (
    SELECT store_id, camera_id, zone_id, sum(visits) AS visits, sum(dwell_ms) AS dwell_ms
      FROM vision_zone_dwell
     WHERE ($1::text[] IS NULL OR store_id = ANY($1))
       AND minute >= to_timestamp($2 / 1000.0) AND minute < to_timestamp($3 / 1000.0)
     GROUP BY 1, 2, 3
  ), entrances AS (
    SELECT v.store_id, sum(v.ins) AS entries FROM vision_line_counts v
     WHERE ($1::text[] IS NULL OR v.store_id = ANY($1))
       AND v.minute >= to_timestamp($2 / 1000.0) AND v.minute < to_timestamp($3 / 1000.0)
       AND NOT EXISTS (
         SELECT 1 FROM layout l, jsonb_array_elements(l.layout->'cameras') c, jsonb_array_elements(c->'lines') x
          WHERE l.store_id = v.store_id AND c->>'id' = v.camera_id AND x->>'id' = v.line_id
            AND NOT (x->>'footfall')::boolean)
     GROUP BY 1
  ), joined AS (
    SELECT coalesce(z.store_id, d.store_id) AS store_id, coalesce(z.camera_id, d.camera_id) AS camera_id,
           coalesce(z.zone_id, d.zone_id) AS zone_id, coalesce(z.zone_type, z.zone_id, d.zone_id) AS zone_type,
           coalesce(z.categories, '[]'::jsonb) AS categories,
           coalesce(d.visits, 0) AS visits, coalesce(d.dwell_ms, 0) AS dwell_ms
      FROM zones z FULL JOIN dwell d
        ON d.store_id = z.store_id AND d.camera_id = z.camera_id AND d.zone_id = z.zone_id
  )
  SELECT j.*, e.entries, s.units, s.sales_fen
    FROM joined j
    LEFT JOIN entrances e ON e.store_id = j.store_id
    LEFT JOIN LATERAL (
      SELECT sum(CASE WHEN sl.weight_g IS NULL THEN sl.qty ELSE 1 END) AS units, sum(sl.final_fen) AS sales_fen
        FROM sales s JOIN sale_lines sl ON sl.store_id = s.store_id AND sl.seq = s.seq
       WHERE s.store_id = j.store_id AND s.sold_at >= $2 AND s.sold_at < $3
         AND sl.categories ?| ARRAY(SELECT jsonb_array_elements_text(j.categories))
    ) s ON jsonb_array_length(j.categories) > 0
   ORDER BY j.store_id, j.camera_id, j.zone_id`;

const n = (v: unknown) => Number(v ?? 0);

export async function zoneFigures(
  pool: pg.Pool,
  q: { stores: string[] | null; from: number; to: number; zoneType?: string | undefined },
): Promise<ZoneFigures[]> {
  const rows = (await pool.query(SQL, [q.stores, q.from, q.to])).rows;
  return rows
    .map((r): ZoneFigures => {
      const visits = n(r.visits);
      const salesFen = n(r.sales_fen);
      const dwellMs = n(r.dwell_ms);
      const per100 = ratio(visits * 100, n(r.entries), 1);
      return {
        storeId: r.store_id,
        cameraId: r.camera_id,
        zoneId: r.zone_id,
        zoneType: r.zone_type,
        categories: r.categories as string[],
        visits,
        dwellMs,
        avgDwellMs: visits ? Math.round(dwellMs / visits) : null,
        units: n(r.units),
        salesFen,
        salesPerVisitFen: visits ? Math.round(salesFen / visits) : null,
        visitsPer100Entries: per100,
      };
    })
    .filter((z) => q.zoneType === undefined || z.zoneType === q.zoneType);
}

/** b against a: the relative change of each number (null where a is 0 or either is null). */
export function change<T extends object>(a: T, b: T): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, va] of Object.entries(a)) {
    const vb = (b as Record<string, unknown>)[k];
    if (typeof va === 'number' && typeof vb === 'number') out[k] = va === 0 ? null : ratio(vb - va, va);
    else if ((va === null || typeof va === 'number') && (vb === null || typeof vb === 'number'))
      out[k] = null;
  }
  return out;
}
