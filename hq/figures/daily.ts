// The daily rollups (store_days, line_days): per store and local day of one time zone, the
// chain's reporting zone in figure_settings. A month of the chain's ranking is then 30 rows
// a store instead of 480 store hours, 480 line hours and up to 9,600 coupon hours. They are
// written beside the hourly ones (rollups.ts, from quarter-hour sums, so any zone's days
// are exact) and answer a period of whole local days in that zone, by total or by day;
// every other period is read from the hours.
import type pg from 'pg';
import { startOfLocalDay } from '../../sync/kernel/local-day.js';
import { GUIDE_DAYS_INSERT_SQL } from './guide-days.js';
import { DAILY_INSERT_SQL } from './rollups.js';

/** The zone the daily rollups are kept in. */
export async function dayTimeZone(pool: pg.Pool): Promise<string> {
  const r = await pool.query('SELECT day_time_zone FROM figure_settings');
  return (r.rows[0]?.day_time_zone as string | undefined) ?? 'UTC';
}

/** Whether the days answer a period exactly: whole local days of the days' own zone. */
export function dailyAnswers(from: number, to: number, timeZone: string, dayZone: string): boolean {
  if (timeZone !== dayZone || to <= from) return false;
  try {
    return startOfLocalDay(from, timeZone) === from && startOfLocalDay(to, timeZone) === to;
  } catch {
    return false;
  }
}

export class DayZoneError extends Error {}

/**
 * Keeps the daily rollups in another zone: they are rebuilt from the projections in one
 * transaction. Ingest batches wait on the lock meanwhile (their days are added after, in
 * the new zone); figures are read from the old days until it commits.
 */
export async function setDayTimeZone(pool: pg.Pool, timeZone: string): Promise<{ from: string; ms: number }> {
  const known = await pool.query('SELECT 1 FROM pg_timezone_names WHERE name = $1', [timeZone]);
  if (!known.rowCount) throw new DayZoneError(`unknown time zone: ${timeZone}`);
  const t0 = performance.now();
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('LOCK TABLE store_days, line_days, guide_days IN EXCLUSIVE MODE');
    const from = (await c.query('SELECT day_time_zone FROM figure_settings FOR UPDATE')).rows[0]
      .day_time_zone as string;
    await c.query('UPDATE figure_settings SET day_time_zone = $1', [timeZone]);
    await c.query('DELETE FROM store_days');
    await c.query('DELETE FROM line_days');
    await c.query('DELETE FROM guide_days');
    await c.query(DAILY_INSERT_SQL);
    await c.query(GUIDE_DAYS_INSERT_SQL);
    await c.query('COMMIT');
    return { from, ms: performance.now() - t0 };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
