import type { Migration } from '../migrate.js';

// Kiosk devices: which provider (terminal or gateway) a card or payment-code payment
// went to, so a payment whose answer was lost can be asked about after a restart; and
// the alerts a kiosk raises for staff (help calls, bagging-area mismatches, devices).
export const m0004KioskDevices: Migration = {
  version: 4,
  name: 'kiosk_devices',
  up(db) {
    db.exec(`
      ALTER TABLE payments ADD COLUMN provider TEXT;
      CREATE INDEX payments_unsettled ON payments(status) WHERE status IN ('pending', 'unknown');

      CREATE TABLE kiosk_alerts (
        id           TEXT PRIMARY KEY,
        kiosk_id     TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('help', 'bagging', 'device', 'payment')),
        message      TEXT NOT NULL,
        cart_id      TEXT REFERENCES carts(id),
        created_at   INTEGER NOT NULL,
        resolved_at  INTEGER,
        resolved_by  TEXT
      ) STRICT;
      CREATE INDEX kiosk_alerts_open ON kiosk_alerts(kiosk_id) WHERE resolved_at IS NULL;
    `);
  },
};
