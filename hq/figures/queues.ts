// The kiosks' queues at HQ: per store and queue zone, whole or by local day or hour of a
// time zone, from the stores' closed hours (vision.queue, one row per zone and hour, so a
// month of a store's queue is at most 720 rows a zone). Defined in hq/README.md ("Queue
// figures").
import type pg from 'pg';
import { inMs, inStores, msBucket } from './store-figures.js';

export interface QueueFigures {
  storeId: string;
  cameraId: string;
  zoneId: string;
  /** 'total', a local day (YYYY-MM-DD) or hour (YYYY-MM-DDTHH) */
  bucket: string;
  /** seconds the zone was watched */
  seconds: number;
  avgLength: number | null;
  maxLength: number;
  alerts: number;
  alertMinutes: number;
  /** of the time watched, the share with an alert open */
  alertShare: number | null;
  avgWaitSeconds: number | null;
  maxWaitSeconds: number | null;
}

const SQL = `
  SELECT store_id, camera_id, zone_id, ${msBucket('hour')} AS bucket,
         sum(seconds) AS seconds, sum(person_seconds) AS person_seconds, max(max_length) AS max_length,
         sum(alerts) AS alerts, sum(alert_seconds) AS alert_seconds, sum(wait_seconds) AS wait_seconds,
         sum(wait_samples) AS wait_samples, max(max_wait_s) AS max_wait_s
    FROM queue_hours
   WHERE ${inStores()} AND ${inMs('hour')}
   GROUP BY 1, 2, 3, 4
   ORDER BY 1, 2, 3, 4`;

const n = (v: unknown) => Number(v ?? 0);

/** Hours whose start lies in [from, to): a period on whole hours reads whole hours. */
export async function queueFigures(
  pool: pg.Pool,
  q: {
    stores: string[] | null;
    from: number;
    to: number;
    timeZone: string;
    bucket: 'total' | 'day' | 'hour';
  },
): Promise<QueueFigures[]> {
  const r = await pool.query(SQL, [q.stores, q.from, q.to, q.timeZone, q.bucket]);
  return (r.rows as Record<string, unknown>[]).map((x) => {
    const seconds = n(x.seconds);
    const samples = n(x.wait_samples);
    return {
      storeId: String(x.store_id),
      cameraId: String(x.camera_id),
      zoneId: String(x.zone_id),
      bucket: String(x.bucket),
      seconds: Math.round(seconds),
      avgLength: seconds > 0 ? Math.round((n(x.person_seconds) / seconds) * 100) / 100 : null,
      maxLength: n(x.max_length),
      alerts: n(x.alerts),
      alertMinutes: Math.round(n(x.alert_seconds) / 6) / 10,
      alertShare: seconds > 0 ? Math.round((n(x.alert_seconds) / seconds) * 10_000) / 10_000 : null,
      avgWaitSeconds: samples ? Math.round(n(x.wait_seconds) / samples) : null,
      maxWaitSeconds: x.max_wait_s === null ? null : Math.round(n(x.max_wait_s)),
    };
  });
}
