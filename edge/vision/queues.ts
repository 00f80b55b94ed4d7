// Queues at the self-checkout: a camera zone marked `queue` over the kiosks' waiting area.
// Its length is the people the camera sees in it now; its estimated wait is that length
// over the kiosks' pace (their sales in the last few minutes). Past either limit for a
// few seconds, staff get an alert (dashboard, guides' phones); under both for longer, the
// watch closes the alert itself. Each zone's hour is kept in queue_hours. No image: only
// the counts the camera's pipeline already keeps.
import { DomainError } from '../../sync/kernel/errors.js';
import type { Part } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import { raiseAlert, resolveAlert } from '../alerts/alerts.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';

export interface QueueRule {
  maxLength: number;
  maxWaitSeconds: number;
  raiseSeconds: number;
  clearSeconds: number;
  salesWindowMinutes: number;
}

export interface QueueZone extends QueueRule {
  cameraId: string;
  zoneId: string;
}

export interface QueueState {
  cameraId: string;
  zoneId: string;
  /** people in the zone now; null while its camera sends nothing */
  length: number | null;
  /** kiosk sales a minute over the rule's window */
  salesPerMinute: number;
  /** length ÷ pace, in seconds; null when nobody waits, or the kiosks sold nothing lately */
  waitSeconds: number | null;
  maxLength: number;
  maxWaitSeconds: number;
  /** the open alert, if any */
  alertId: string | null;
  alertSince: number | null;
}

/** The wait a queue of `length` has at `salesPerMinute` (each sale one shopper served). */
export function estimateWaitSeconds(length: number, salesPerMinute: number): number | null {
  if (length <= 0) return 0;
  if (salesPerMinute <= 0) return null;
  return Math.round((length / salesPerMinute) * 60);
}

/** Past a limit: the length, or a wait that can be estimated. */
export const overLimit = (length: number, wait: number | null, r: QueueRule) =>
  length >= r.maxLength || (wait !== null && wait >= r.maxWaitSeconds);

const HOUR_MS = 3_600_000;
export const queueAlertKiosk = (z: { cameraId: string; zoneId: string }) => `queue:${z.cameraId}/${z.zoneId}`;

interface Watch {
  zone: QueueZone;
  /** since when the queue has been past a limit (or under both), for the alert's hysteresis */
  overSince: number | null;
  underSince: number | null;
  alertId: string | null;
  alertSince: number | null;
  last: QueueState | null;
}

export interface QueueWatchOptions {
  db: () => Db;
  zones: QueueZone[];
  /** people in each zone now, by camera and zone (the vision part's live occupancy) */
  occupancy: () => Map<string, Record<string, number>>;
  now: () => number;
  log: Logger;
  tickMs?: number;
}

export class QueueWatch implements Part {
  readonly name = 'queues';
  private readonly watches: Watch[];
  private timer: NodeJS.Timeout | null = null;
  private lastTick: number | null = null;
  /** the hour whose earlier hours were last sent to HQ */
  private sentBefore: number | null = null;

  constructor(private readonly o: QueueWatchOptions) {
    this.watches = o.zones.map((zone) => ({
      zone,
      overSince: null,
      underSince: null,
      alertId: null,
      alertSince: null,
      last: null,
    }));
  }

  start(): void {
    if (!this.watches.length) return;
    // an alert left open by the last run is this run's to close
    const db = this.o.db();
    for (const w of this.watches) {
      const open = db
        .prepare(
          `SELECT id, created_at FROM kiosk_alerts WHERE kiosk_id = ? AND kind = 'queue' AND resolved_at IS NULL`,
        )
        .get(queueAlertKiosk(w.zone)) as { id: string; created_at: number } | undefined;
      if (open) {
        w.alertId = open.id;
        w.alertSince = open.created_at;
      }
    }
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        // a busy database: the next tick tries again
        this.o.log.warn({ err }, 'queue watch tick failed; retrying');
      }
    }, this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads each queue once: its state, the alert raised or closed, its hour added to. */
  tick(): QueueState[] {
    const now = this.o.now();
    const db = this.o.db();
    const seen = this.o.occupancy();
    const elapsed = this.lastTick === null ? 0 : Math.min(Math.max(0, now - this.lastTick), 10_000) / 1000;
    this.lastTick = now;
    const out: QueueState[] = [];
    for (const w of this.watches) {
      const z = w.zone;
      const length = seen.get(z.cameraId)?.[z.zoneId] ?? null;
      const since = now - z.salesWindowMinutes * 60_000;
      const sales = db
        .prepare(`SELECT count(*) FROM sales WHERE channel = 'kiosk' AND created_at > ? AND created_at <= ?`)
        .pluck()
        .get(since, now) as number;
      const salesPerMinute = Math.round((sales / z.salesWindowMinutes) * 100) / 100;
      const waitSeconds =
        length === null || length === 0 ? null : estimateWaitSeconds(length, salesPerMinute);
      if (length !== null) this.judge(db, w, length, waitSeconds, now);
      const state: QueueState = {
        cameraId: z.cameraId,
        zoneId: z.zoneId,
        length,
        salesPerMinute,
        waitSeconds,
        maxLength: z.maxLength,
        maxWaitSeconds: z.maxWaitSeconds,
        alertId: w.alertId,
        alertSince: w.alertSince,
      };
      if (length !== null && elapsed > 0) this.addHour(db, state, elapsed, now);
      w.last = state;
      out.push(state);
    }
    const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
    if (this.sentBefore !== hour) {
      sendClosedHours(db, hour, now);
      this.sentBefore = hour;
    }
    return out;
  }

  private judge(db: Db, w: Watch, length: number, wait: number | null, now: number): void {
    const z = w.zone;
    if (overLimit(length, wait, z)) {
      w.underSince = null;
      w.overSince ??= now;
      if (!w.alertId && now - w.overSince >= z.raiseSeconds * 1000) {
        const a = raiseAlert(
          db,
          {
            kioskId: queueAlertKiosk(z),
            kind: 'queue',
            message: `queue at ${z.zoneId}: open another kiosk, or come to the kiosks`,
          },
          now,
        );
        w.alertId = a.id;
        w.alertSince = a.createdAt;
        db.prepare(
          `INSERT INTO queue_hours (camera_id, zone_id, hour, alerts) VALUES (?, ?, ?, 1)
           ON CONFLICT (camera_id, zone_id, hour) DO UPDATE SET alerts = alerts + 1`,
        ).run(z.cameraId, z.zoneId, Math.floor(now / HOUR_MS) * HOUR_MS);
        this.o.log.warn({ zone: z.zoneId, length, wait }, 'queue at the kiosks: staff alerted');
      }
    } else {
      w.overSince = null;
      w.underSince ??= now;
      if (w.alertId && now - w.underSince >= z.clearSeconds * 1000) {
        const open = db.prepare('SELECT resolved_at FROM kiosk_alerts WHERE id = ?').pluck().get(w.alertId);
        // staff may have closed it already; either way it is over
        if (open === null) resolveAlert(db, w.alertId, 'queue-watch', now);
        this.o.log.info({ zone: z.zoneId, length }, 'queue at the kiosks cleared');
        w.alertId = null;
        w.alertSince = null;
      }
    }
  }

  private addHour(db: Db, s: QueueState, seconds: number, now: number): void {
    db.prepare(
      `INSERT INTO queue_hours (camera_id, zone_id, hour, seconds, person_seconds, max_length, alert_seconds,
                                wait_seconds, wait_samples, max_wait_s)
       VALUES (@camera, @zone, @hour, @seconds, @people, @length, @alert, @wait, @waited, @maxWait)
       ON CONFLICT (camera_id, zone_id, hour) DO UPDATE SET
         seconds = seconds + excluded.seconds,
         person_seconds = person_seconds + excluded.person_seconds,
         max_length = max(max_length, excluded.max_length),
         alert_seconds = alert_seconds + excluded.alert_seconds,
         wait_seconds = wait_seconds + excluded.wait_seconds,
         wait_samples = wait_samples + excluded.wait_samples,
         max_wait_s = CASE WHEN excluded.max_wait_s IS NULL THEN max_wait_s
                           ELSE max(coalesce(max_wait_s, 0), excluded.max_wait_s) END`,
    ).run({
      camera: s.cameraId,
      zone: s.zoneId,
      hour: Math.floor(now / HOUR_MS) * HOUR_MS,
      seconds,
      people: (s.length ?? 0) * seconds,
      length: s.length ?? 0,
      alert: s.alertId ? seconds : 0,
      wait: s.waitSeconds ?? 0,
      waited: s.waitSeconds === null ? 0 : 1,
      maxWait: s.waitSeconds,
    });
  }

  /** Each queue as last read (before the first tick: nothing seen yet). */
  states(): QueueState[] {
    return this.watches.map(
      (w) =>
        w.last ?? {
          cameraId: w.zone.cameraId,
          zoneId: w.zone.zoneId,
          length: null,
          salesPerMinute: 0,
          waitSeconds: null,
          maxLength: w.zone.maxLength,
          maxWaitSeconds: w.zone.maxWaitSeconds,
          alertId: w.alertId,
          alertSince: w.alertSince,
        },
    );
  }

  details(): Record<string, unknown> {
    return { queues: this.watches.length };
  }
}

/** Each queue hour before `hour` not yet told to HQ goes in the outbox, once (a daemon down
 * at the hour's end sends it when it is back). */
export function sendClosedHours(db: Db, hour: number, now: number): number {
  return db
    .transaction(() => {
      const rows = db
        .prepare('SELECT * FROM queue_hours WHERE sent = 0 AND hour < ? ORDER BY hour, camera_id, zone_id')
        .all(hour) as {
        camera_id: string;
        zone_id: string;
        hour: number;
        seconds: number;
        person_seconds: number;
        max_length: number;
        alerts: number;
        alert_seconds: number;
        wait_seconds: number;
        wait_samples: number;
        max_wait_s: number | null;
      }[];
      const mark = db.prepare(
        'UPDATE queue_hours SET sent = 1 WHERE camera_id = ? AND zone_id = ? AND hour = ?',
      );
      const r1 = (x: number) => Math.round(x * 10) / 10;
      for (const r of rows) {
        appendOutbox(
          db,
          {
            type: 'vision.queue',
            class: 'state',
            payload: {
              cameraId: r.camera_id,
              zoneId: r.zone_id,
              hour: r.hour,
              seconds: r1(Math.min(3600, r.seconds)),
              personSeconds: r1(r.person_seconds),
              maxLength: r.max_length,
              alerts: r.alerts,
              alertSeconds: r1(Math.min(3600, r.alert_seconds)),
              waitSeconds: r1(r.wait_seconds),
              waitSamples: r.wait_samples,
              maxWaitSeconds: r.max_wait_s === null ? null : r1(r.max_wait_s),
            },
          },
          now,
        );
        mark.run(r.camera_id, r.zone_id, r.hour);
      }
      return rows.length;
    })
    .immediate();
}

export interface QueueHour {
  cameraId: string;
  zoneId: string;
  /** the hour's start, epoch ms */
  hour: number;
  avgLength: number | null;
  maxLength: number;
  alerts: number;
  alertSeconds: number;
  avgWaitSeconds: number | null;
  maxWaitSeconds: number | null;
}

/** Each queue's hours from `from` to `to` (epoch ms), for the staff page and HQ. */
export function queueHours(db: Db, from: number, to: number): QueueHour[] {
  if (!(to > from)) throw new DomainError('invalid', 'BAD_RANGE', '`to` must be after `from`');
  const rows = db
    .prepare(`SELECT * FROM queue_hours WHERE hour >= ? AND hour < ? ORDER BY hour, camera_id, zone_id`)
    .all(Math.floor(from / HOUR_MS) * HOUR_MS, to) as {
    camera_id: string;
    zone_id: string;
    hour: number;
    seconds: number;
    person_seconds: number;
    max_length: number;
    alert_seconds: number;
    alerts: number;
    wait_seconds: number;
    wait_samples: number;
    max_wait_s: number | null;
  }[];
  return rows.map((r) => ({
    cameraId: r.camera_id,
    zoneId: r.zone_id,
    hour: r.hour,
    avgLength: r.seconds > 0 ? Math.round((r.person_seconds / r.seconds) * 100) / 100 : null,
    maxLength: r.max_length,
    alerts: r.alerts,
    alertSeconds: Math.round(r.alert_seconds),
    avgWaitSeconds: r.wait_samples ? Math.round(r.wait_seconds / r.wait_samples) : null,
    maxWaitSeconds: r.max_wait_s === null ? null : Math.round(r.max_wait_s),
  }));
}
