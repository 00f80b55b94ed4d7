// The pruning steps of housekeeping. Each call is one short write transaction over at
// most `limit` rows and says how many it removed; the part calls it again until a batch
// comes back short, yielding between batches so a scan or a sale never waits long.
import type { Config } from '../../config/schema.js';
import type { EventClass } from '../../sync/envelope.js';
import type { Db } from '../db/open.js';
import { pruneOutbox } from '../db/outbox.js';
import { forgetReplicas } from '../members/follow.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Retention {
  idempotencyHours: number;
  outbox: { moneyDays: number; stateDays: number; telemetryDays: number };
  abandonedCartHours: number;
  cancelledCartDays: number;
  resolvedAlertDays: number;
  vision: { minuteDays: number; quarterDays: number; hourDays: number };
}

/** The windows a store's config sets (housekeeping, and vision.retention). */
export const retentionOf = (c: Config): Retention => ({ ...c.housekeeping, vision: c.vision.retention });

export type Batch = (db: Db, now: number, limit: number) => number;

/** One task: a name for the figures and its batch. */
export interface Task {
  name: string;
  batch: Batch;
}

const immediate = <T>(db: Db, work: () => T): T => db.transaction(work).immediate();

/** One statement over (cutoff, limit) that deletes at most `limit` rows. */
const deleteBefore =
  (sql: string, cutoff: (now: number) => number): Batch =>
  (db, now, limit) =>
    immediate(db, () => db.prepare(sql).run(cutoff(now), limit).changes);

/** Answers to writes past their retry window. */
const idempotency = (hours: number): Batch =>
  deleteBefore(
    `DELETE FROM idempotency WHERE (scope, key) IN
       (SELECT scope, key FROM idempotency WHERE created_at < ? LIMIT ?)`,
    (now) => now - hours * HOUR,
  );

/** Events the broker acknowledged, kept per class for HQ's resend requests. */
const outbox =
  (cls: EventClass, days: number): Batch =>
  (db, now, limit) =>
    pruneOutbox(db, cls, now - days * DAY, limit, now);

/** A cart nobody touched for a day and that holds no payment is given up: its code is
 * free again and its coupons are no longer held by it. A cart being paid is left to
 * staff: money may be in flight. */
const abandonCarts =
  (hours: number): Batch =>
  (db, now, limit) =>
    immediate(
      db,
      () =>
        db
          .prepare(
            `UPDATE carts SET status = 'cancelled', updated_at = ? WHERE id IN (
               SELECT c.id FROM carts c WHERE c.status IN ('open', 'suspended') AND c.updated_at < ?
                 AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.cart_id = c.id)
               LIMIT ?)`,
          )
          .run(now, now - hours * HOUR, limit).changes,
    );

/** Cancelled carts with nothing anyone may still look up: no payment (even declined),
 * no alert, no attendant action. Their lines and shown coupons go with them. */
const deleteCancelledCarts =
  (days: number): Batch =>
  (db, now, limit) =>
    immediate(db, () => {
      const ids = db
        .prepare(
          `SELECT c.id FROM carts c WHERE c.status = 'cancelled' AND c.updated_at < ?
             AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.cart_id = c.id)
             AND NOT EXISTS (SELECT 1 FROM kiosk_alerts a WHERE a.cart_id = c.id)
             AND NOT EXISTS (SELECT 1 FROM attendant_actions x WHERE x.cart_id = c.id)
           LIMIT ?`,
        )
        .pluck()
        .all(now - days * DAY, limit) as string[];
      const lines = db.prepare('DELETE FROM cart_lines WHERE cart_id = ?');
      const coupons = db.prepare('DELETE FROM cart_coupons WHERE cart_id = ?');
      const cart = db.prepare("DELETE FROM carts WHERE id = ? AND status = 'cancelled'");
      let n = 0;
      for (const id of ids) {
        lines.run(id);
        coupons.run(id);
        n += cart.run(id).changes;
      }
      return n;
    });

const resolvedAlerts = (days: number): Batch =>
  deleteBefore(
    `DELETE FROM kiosk_alerts WHERE id IN
       (SELECT id FROM kiosk_alerts WHERE resolved_at IS NOT NULL AND resolved_at < ? LIMIT ?)`,
    (now) => now - days * DAY,
  );

/** People-counting rows past their resolution's retention: each event also landed in
 * the coarser buckets when it was written, so the hours still hold what minutes held. */
const visionRows =
  (v: Retention['vision']): Batch =>
  (db, now, limit) =>
    immediate(db, () => {
      const cut: [string, number][] = [
        ['1m', now - v.minuteDays * DAY],
        ['15m', now - v.quarterDays * DAY],
        ['1h', now - v.hourDays * DAY],
      ];
      let left = limit;
      const take = (sql: string, res: string, before: number) => {
        if (left <= 0) return;
        left -= db.prepare(sql).run(res, before, left).changes;
      };
      for (const [res, before] of cut) {
        take(
          `DELETE FROM vision_counts WHERE (camera_id, line_id, res, bucket) IN
             (SELECT camera_id, line_id, res, bucket FROM vision_counts WHERE res = ? AND bucket < ? LIMIT ?)`,
          res,
          before,
        );
        take(
          `DELETE FROM vision_dwell WHERE (camera_id, zone_id, res, bucket) IN
             (SELECT camera_id, zone_id, res, bucket FROM vision_dwell WHERE res = ? AND bucket < ? LIMIT ?)`,
          res,
          before,
        );
        if (res !== '1m')
          take(
            `DELETE FROM vision_heatmap WHERE (camera_id, res, bucket) IN
               (SELECT camera_id, res, bucket FROM vision_heatmap WHERE res = ? AND bucket < ? LIMIT ?)`,
            res,
            before,
          );
      }
      // the kiosks' queue hours are kept as long as the hourly counts
      if (left > 0)
        left -= db
          .prepare(
            `DELETE FROM queue_hours WHERE (camera_id, zone_id, hour) IN
               (SELECT camera_id, zone_id, hour FROM queue_hours WHERE hour < ? LIMIT ?)`,
          )
          .run(now - v.hourDays * DAY, left).changes;
      return limit - left;
    });

/** The tasks in the order they run: carts are given up before cancelled ones are
 * deleted, so a cart abandoned long ago goes in one run. */
export function tasks(r: Retention): Task[] {
  return [
    { name: 'idempotency', batch: idempotency(r.idempotencyHours) },
    { name: 'outbox_money', batch: outbox('money', r.outbox.moneyDays) },
    { name: 'outbox_state', batch: outbox('state', r.outbox.stateDays) },
    { name: 'outbox_telemetry', batch: outbox('telemetry', r.outbox.telemetryDays) },
    { name: 'carts_abandoned', batch: abandonCarts(r.abandonedCartHours) },
    { name: 'carts_deleted', batch: deleteCancelledCarts(r.cancelledCartDays) },
    // after the carts: a replica an old cancelled cart named may go in the same run
    {
      name: 'member_replicas',
      batch: (db, now, limit) => immediate(db, () => forgetReplicas(db, now, limit)),
    },
    { name: 'alerts', batch: resolvedAlerts(r.resolvedAlertDays) },
    { name: 'vision', batch: visionRows(r.vision) },
  ];
}
