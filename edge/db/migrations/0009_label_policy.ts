import type { Migration } from '../migrate.js';

// Labels that price or weigh: the catalog says which items a label may price or weigh
// (variable-measure) and what is plausible for them; a cart line remembers which
// physical label it came from (to spot one sold twice) and why it waits for an
// attendant. Alerts gain the kind 'label' and attendant actions 'label_approval', which
// SQLite can only add to a CHECK by rebuilding the table.
export const m0009LabelPolicy: Migration = {
  version: 9,
  name: 'label_policy',
  up(db) {
    db.exec(`
      ALTER TABLE products ADD COLUMN variable_measure INTEGER NOT NULL DEFAULT 0 CHECK (variable_measure IN (0, 1));
      ALTER TABLE products ADD COLUMN label_weight_min_g INTEGER;
      ALTER TABLE products ADD COLUMN label_weight_max_g INTEGER;
      ALTER TABLE products ADD COLUMN label_max_age_days INTEGER;
      UPDATE products SET variable_measure = 1 WHERE sold_by = 'weight';

      ALTER TABLE cart_lines ADD COLUMN label_key TEXT;
      ALTER TABLE cart_lines ADD COLUMN label_hold TEXT CHECK (label_hold IS NULL OR json_valid(label_hold));
      ALTER TABLE cart_lines ADD COLUMN label_approved_by TEXT;
      CREATE INDEX cart_lines_label_key ON cart_lines(label_key) WHERE label_key IS NOT NULL;

      CREATE TABLE kiosk_alerts_v9 (
        id           TEXT PRIMARY KEY,
        kiosk_id     TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('help', 'bagging', 'device', 'payment', 'label')),
        message      TEXT NOT NULL,
        cart_id      TEXT REFERENCES carts(id),
        created_at   INTEGER NOT NULL,
        resolved_at  INTEGER,
        resolved_by  TEXT
      ) STRICT;
      INSERT INTO kiosk_alerts_v9 SELECT id, kiosk_id, kind, message, cart_id, created_at, resolved_at, resolved_by FROM kiosk_alerts;
      DROP TABLE kiosk_alerts;
      ALTER TABLE kiosk_alerts_v9 RENAME TO kiosk_alerts;
      CREATE INDEX kiosk_alerts_open ON kiosk_alerts(kiosk_id) WHERE resolved_at IS NULL;

      CREATE TABLE attendant_actions_v9 (
        id          INTEGER PRIMARY KEY,
        cart_id     TEXT,
        line_id     TEXT,
        sale_id     TEXT,
        staff_id    TEXT NOT NULL,
        role        TEXT NOT NULL,
        action      TEXT NOT NULL CHECK (action IN ('age_approval', 'label_approval', 'price_override', 'void', 'refund', 'cancel_cart')),
        reason      TEXT NOT NULL,
        detail      TEXT CHECK (detail IS NULL OR json_valid(detail)),
        at          INTEGER NOT NULL
      ) STRICT;
      INSERT INTO attendant_actions_v9 SELECT id, cart_id, line_id, sale_id, staff_id, role, action, reason, detail, at FROM attendant_actions;
      DROP TABLE attendant_actions;
      ALTER TABLE attendant_actions_v9 RENAME TO attendant_actions;
    `);
  },
};
