// Alerts a kiosk raises for staff: the shopper's help call, a bagging-area mismatch, a
// device that failed, a payment that needs a look; and a queue at the kiosks, which the
// queue watch closes itself when it clears. Staff resolve them by name.
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';

export type AlertKind = 'help' | 'bagging' | 'device' | 'payment' | 'label' | 'queue';

export interface Alert {
  id: string;
  kioskId: string;
  kind: AlertKind;
  message: string;
  cartId: string | null;
  createdAt: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
}

interface Row {
  id: string;
  kiosk_id: string;
  kind: AlertKind;
  message: string;
  cart_id: string | null;
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
}

const toAlert = (r: Row): Alert => ({
  id: r.id,
  kioskId: r.kiosk_id,
  kind: r.kind,
  message: r.message,
  cartId: r.cart_id,
  createdAt: r.created_at,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
});

/** Raises an alert unless the same one is already open for that kiosk (a shopper
 * pressing help five times is one call). */
export function raiseAlert(
  db: Db,
  a: { kioskId: string; kind: AlertKind; message: string; cartId?: string | null },
  now: number,
): Alert {
  return db
    .transaction(() => {
      const open = db
        .prepare(
          `SELECT * FROM kiosk_alerts WHERE kiosk_id = ? AND kind = ? AND message = ? AND resolved_at IS NULL`,
        )
        .get(a.kioskId, a.kind, a.message) as Row | undefined;
      if (open) return toAlert(open);
      const id = randomUUID();
      db.prepare(
        'INSERT INTO kiosk_alerts (id, kiosk_id, kind, message, cart_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(id, a.kioskId, a.kind, a.message, a.cartId ?? null, now);
      return toAlert(db.prepare('SELECT * FROM kiosk_alerts WHERE id = ?').get(id) as Row);
    })
    .immediate();
}

/** How many alerts wait for staff, for the heartbeat HQ shows on its fleet list. */
export function openAlertCount(db: Db): number {
  return db.prepare('SELECT count(*) FROM kiosk_alerts WHERE resolved_at IS NULL').pluck().get() as number;
}

export function openAlerts(db: Db, kioskId?: string): Alert[] {
  const rows = (
    kioskId
      ? db
          .prepare(
            'SELECT * FROM kiosk_alerts WHERE resolved_at IS NULL AND kiosk_id = ? ORDER BY created_at',
          )
          .all(kioskId)
      : db.prepare('SELECT * FROM kiosk_alerts WHERE resolved_at IS NULL ORDER BY created_at').all()
  ) as Row[];
  return rows.map(toAlert);
}

export function resolveAlert(db: Db, id: string, staffId: string, now: number): Alert {
  return db
    .transaction(() => {
      const row = db.prepare('SELECT * FROM kiosk_alerts WHERE id = ?').get(id) as Row | undefined;
      if (!row) throw new DomainError('not_found', 'ALERT_NOT_FOUND', `alert ${id} not found`);
      if (row.resolved_at === null)
        db.prepare('UPDATE kiosk_alerts SET resolved_at = ?, resolved_by = ? WHERE id = ?').run(
          now,
          staffId,
          id,
        );
      return toAlert(db.prepare('SELECT * FROM kiosk_alerts WHERE id = ?').get(id) as Row);
    })
    .immediate();
}
