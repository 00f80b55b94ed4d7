import type { Migration } from '../migrate.js';

// Queues at the self-checkout (edge/vision/queues.ts): alerts gain the kind 'queue'
// (raised and closed by the queue watch itself), which SQLite can only add to a CHECK by
// rebuilding the table; queue_hours keeps each queue zone's hour: seconds watched, the
// people-seconds in it (÷ seconds: the mean length), the longest, the seconds with an
// alert open, and the estimated waits; sent to HQ once the hour is over.
//
// Additive: an older build reads and writes alerts as before (its kinds are all still
// allowed) and shows none of kind 'queue'; it does not know queue_hours.
export const m0021Queues: Migration = {
  version: 21,
  name: 'queues',
  additive: true,
  up(db) {
    db.exec(`
      CREATE TABLE kiosk_alerts_v21 (
        id           TEXT PRIMARY KEY,
        kiosk_id     TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('help', 'bagging', 'device', 'payment', 'label', 'queue')),
        message      TEXT NOT NULL,
        cart_id      TEXT REFERENCES carts(id),
        created_at   INTEGER NOT NULL,
        resolved_at  INTEGER,
        resolved_by  TEXT
      ) STRICT;
      INSERT INTO kiosk_alerts_v21 SELECT id, kiosk_id, kind, message, cart_id, created_at, resolved_at, resolved_by FROM kiosk_alerts;
      DROP TABLE kiosk_alerts;
      ALTER TABLE kiosk_alerts_v21 RENAME TO kiosk_alerts;
      CREATE INDEX kiosk_alerts_open ON kiosk_alerts(kiosk_id) WHERE resolved_at IS NULL;
      CREATE INDEX kiosk_alerts_resolved ON kiosk_alerts(resolved_at) WHERE resolved_at IS NOT NULL;
      CREATE INDEX kiosk_alerts_cart ON kiosk_alerts(cart_id) WHERE cart_id IS NOT NULL;

      CREATE TABLE queue_hours (
        camera_id       TEXT NOT NULL,
        zone_id         TEXT NOT NULL,
        hour            INTEGER NOT NULL,
        seconds         REAL NOT NULL DEFAULT 0,
        person_seconds  REAL NOT NULL DEFAULT 0,
        max_length      INTEGER NOT NULL DEFAULT 0,
        alert_seconds   REAL NOT NULL DEFAULT 0,
        alerts          INTEGER NOT NULL DEFAULT 0,
        wait_seconds    REAL NOT NULL DEFAULT 0,
        wait_samples    INTEGER NOT NULL DEFAULT 0,
        max_wait_s      REAL,
        sent            INTEGER NOT NULL DEFAULT 0,   -- told to HQ (vision.queue) once the hour closed
        PRIMARY KEY (camera_id, zone_id, hour)
      ) STRICT;
    `);
  },
};
