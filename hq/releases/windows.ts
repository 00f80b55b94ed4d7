// Maintenance windows: the local hours (each store's own time zone) in which a store may
// switch to a staged release. A store's own window wins over its groups'; of several
// groups with one, the first by name. A store with none switches whenever no payment is
// open. The window goes in that store's signed software push, so it holds offline too;
// a rollout marked urgent sends none.
import type pg from 'pg';
import { ApiError } from '../../sync/kernel/errors.js';
import { type MaintenanceWindow, windowProblems } from '../../sync/maintenance-window.js';

export type WindowScope = 'store' | 'group';

export interface WindowRow extends MaintenanceWindow {
  scope: WindowScope;
  name: string;
  updatedBy: string;
  updatedAt: string;
}

const row = (r: {
  scope: WindowScope;
  name: string;
  starts: string;
  ends: string;
  updated_by: string;
  updated_at: Date;
}): WindowRow => ({
  scope: r.scope,
  name: r.name,
  from: r.starts,
  to: r.ends,
  updatedBy: r.updated_by,
  updatedAt: new Date(r.updated_at).toISOString(),
});

export class MaintenanceWindows {
  constructor(private readonly pool: pg.Pool) {}

  async list(): Promise<WindowRow[]> {
    return (await this.pool.query('SELECT * FROM maintenance_windows ORDER BY scope DESC, name')).rows.map(
      row,
    );
  }

  async set(by: string, scope: WindowScope, name: string, w: MaintenanceWindow): Promise<WindowRow> {
    const problems = windowProblems(w, '/body');
    if (problems.length) throw new ApiError(422, 'INVALID_WINDOW', 'not a maintenance window', problems);
    if (scope === 'store') {
      const known = await this.pool.query(
        `SELECT 1 FROM store_state WHERE store_id = $1 UNION SELECT 1 FROM store_profiles WHERE store_id = $1
         UNION SELECT 1 FROM store_watermarks WHERE store_id = $1`,
        [name],
      );
      if (!known.rowCount) throw new ApiError(404, 'STORE_NOT_FOUND', `no store ${name}`);
    }
    const r = await this.pool.query(
      `INSERT INTO maintenance_windows (scope, name, starts, ends, updated_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (scope, name) DO UPDATE SET starts = $3, ends = $4, updated_by = $5, updated_at = now()
     RETURNING *`,
      [scope, name, w.from, w.to, by],
    );
    return row(r.rows[0]);
  }

  async delete(scope: WindowScope, name: string): Promise<void> {
    const r = await this.pool.query('DELETE FROM maintenance_windows WHERE scope = $1 AND name = $2', [
      scope,
      name,
    ]);
    if (!r.rowCount)
      throw new ApiError(404, 'WINDOW_NOT_FOUND', `no maintenance window for ${scope} ${name}`);
  }

  /** Each store's window as a push would carry it now. */
  of(storeIds: string[]): Promise<Map<string, MaintenanceWindow>> {
    return windowsOf(this.pool, storeIds);
  }
}

/** Each store's window as a push to it would carry now (absent: any time). */
export async function windowsOf(
  c: pg.Pool | pg.PoolClient,
  storeIds: string[],
): Promise<Map<string, MaintenanceWindow>> {
  const r = await c.query(
    `SELECT s.store_id, w.starts, w.ends FROM unnest($1::text[]) AS s(store_id)
       CROSS JOIN LATERAL (
         SELECT starts, ends, 0 AS rank, name FROM maintenance_windows
          WHERE scope = 'store' AND name = s.store_id
         UNION ALL
         SELECT m.starts, m.ends, 1, m.name FROM maintenance_windows m
           JOIN store_profiles p ON p.store_id = s.store_id AND m.name = ANY(p.groups)
          WHERE m.scope = 'group'
         ORDER BY rank, name LIMIT 1) w`,
    [storeIds],
  );
  return new Map(
    r.rows.map((x: { store_id: string; starts: string; ends: string }) => [
      x.store_id,
      { from: x.starts, to: x.ends },
    ]),
  );
}
