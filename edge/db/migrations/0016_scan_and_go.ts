import type { Migration } from '../migrate.js';

// Paying on the phone: the wallet's in-app (JSAPI) payment is a tender of its own kind.
// SQLite cannot change a CHECK, so the payments table is rebuilt with 'wallet' allowed
// (nothing references it; its indexes are made again). A refund's share paid back
// through a provider is a provider_refunds row, written in the refund's transaction and
// driven to a final state by asking the provider by its refund number. Each scan & go
// sale gets its exit-audit decision (made when it is paid, shown only at the exit) and,
// once checked, its result.
// Additive: an older build reads the rebuilt table as before and ignores the new one; a
// 'wallet' tender is to it one more provider tender whose provider it does not know.
export const m0016ScanAndGo: Migration = {
  version: 16,
  name: 'scan_and_go',
  additive: true,
  up(db) {
    db.exec(`
      CREATE TABLE payments_new (
        id            TEXT PRIMARY KEY,
        cart_id       TEXT NOT NULL REFERENCES carts(id),
        kind          TEXT NOT NULL CHECK (kind IN ('cash', 'points', 'card', 'payment_code', 'wallet')),
        amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
        tendered_fen  INTEGER NOT NULL CHECK (tendered_fen >= amount_fen),
        status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'unknown', 'reversed')),
        reference     TEXT NOT NULL UNIQUE,
        provider_ref  TEXT,
        detail        TEXT CHECK (detail IS NULL OR json_valid(detail)),
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        provider      TEXT
      ) STRICT;
      INSERT INTO payments_new (id, cart_id, kind, amount_fen, tendered_fen, status, reference, provider_ref, detail, created_at, updated_at, provider)
        SELECT id, cart_id, kind, amount_fen, tendered_fen, status, reference, provider_ref, detail, created_at, updated_at, provider FROM payments;
      DROP TABLE payments;
      ALTER TABLE payments_new RENAME TO payments;
      CREATE INDEX payments_cart ON payments(cart_id);
      CREATE INDEX payments_unsettled ON payments(status) WHERE status IN ('pending', 'unknown');

      CREATE TABLE provider_refunds (
        refund_no     TEXT PRIMARY KEY,
        refund_id     TEXT NOT NULL REFERENCES refunds(id),
        payment_id    TEXT NOT NULL REFERENCES payments(id),
        provider      TEXT NOT NULL,
        amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
        status        TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'success', 'closed', 'abnormal')),
        provider_ref  TEXT,
        detail        TEXT CHECK (detail IS NULL OR json_valid(detail)),
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX provider_refunds_open ON provider_refunds(status) WHERE status IN ('pending', 'processing');

      -- a phone cart a kiosk took over: its lines were scanned by the shopper, so its sale is
      -- still scan & go (audited at the exit) though paid at a kiosk
      ALTER TABLE carts ADD COLUMN handed_off_at INTEGER;

      CREATE TABLE exit_audits (
        sale_id        TEXT PRIMARY KEY REFERENCES sales(id),
        selected       INTEGER NOT NULL CHECK (selected IN (0, 1)),
        probability    REAL NOT NULL CHECK (probability BETWEEN 0 AND 1),
        signals        TEXT NOT NULL CHECK (json_valid(signals)),
        lines_to_check TEXT NOT NULL CHECK (json_valid(lines_to_check)),
        full_check     INTEGER NOT NULL DEFAULT 0 CHECK (full_check IN (0, 1)),
        status         TEXT NOT NULL CHECK (status IN ('not_selected', 'pending', 'ok', 'recovered', 'refused')),
        staff_id       TEXT,
        missing        TEXT CHECK (missing IS NULL OR json_valid(missing)),
        recovery_sale_id TEXT REFERENCES sales(id),
        recovered_fen  INTEGER NOT NULL DEFAULT 0,
        decided_at     INTEGER NOT NULL,
        checked_at     INTEGER
      ) STRICT;
      CREATE INDEX exit_audits_decided ON exit_audits(decided_at);
    `);
  },
};
