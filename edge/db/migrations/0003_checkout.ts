import type { Migration } from '../migrate.js';

// The store's business: carts, sales, tenders, refunds, coupons, members and points,
// plus the outbox and the idempotency record. A sale and everything it causes (lines,
// redemptions, points, outbox rows) are written in one transaction by edge/checkout.
export const m0003Checkout: Migration = {
  version: 3,
  name: 'checkout',
  up(db) {
    db.exec(`
      -- every business event for HQ; seq is the per-store monotonic sequence number
      CREATE TABLE outbox (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id    TEXT NOT NULL UNIQUE,
        type        TEXT NOT NULL,
        class       TEXT NOT NULL CHECK (class IN ('money', 'telemetry', 'state')),
        payload     TEXT NOT NULL CHECK (json_valid(payload)),
        created_at  INTEGER NOT NULL,
        sent_at     INTEGER
      ) STRICT;
      CREATE INDEX outbox_unsent ON outbox(seq) WHERE sent_at IS NULL;

      -- first answer to each (scope, Idempotency-Key), replayed for retries
      CREATE TABLE idempotency (
        scope         TEXT NOT NULL,
        key           TEXT NOT NULL,
        request_hash  TEXT NOT NULL,
        status        INTEGER NOT NULL,
        response      TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE members (
        id          TEXT PRIMARY KEY,
        name        TEXT,
        points      INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE points_ledger (
        id          INTEGER PRIMARY KEY,
        member_id   TEXT NOT NULL REFERENCES members(id),
        delta       INTEGER NOT NULL CHECK (delta <> 0),
        reason      TEXT NOT NULL CHECK (reason IN ('earn', 'spend', 'refund_earn', 'refund_spend', 'adjust')),
        sale_id     TEXT,
        refund_id   TEXT,
        created_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX points_ledger_member ON points_ledger(member_id);

      CREATE TABLE carts (
        id          TEXT PRIMARY KEY,
        code        TEXT NOT NULL,
        channel     TEXT NOT NULL CHECK (channel IN ('kiosk', 'phone')),
        kiosk_id    TEXT,
        member_id   TEXT REFERENCES members(id),
        status      TEXT NOT NULL CHECK (status IN ('open', 'suspended', 'paying', 'paid', 'cancelled')),
        sale_id     TEXT,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;
      -- a cart code (shown as QR on the phone) names one live cart at a time
      CREATE UNIQUE INDEX carts_live_code ON carts(code) WHERE status IN ('open', 'suspended', 'paying');

      CREATE TABLE cart_lines (
        id                  TEXT PRIMARY KEY,
        cart_id             TEXT NOT NULL REFERENCES carts(id),
        seq                 INTEGER NOT NULL,
        gtin                TEXT NOT NULL REFERENCES products(gtin),
        scanned             TEXT NOT NULL,
        qty                 INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 999),
        weight_g            INTEGER CHECK (weight_g IS NULL OR weight_g > 0),
        label_price_fen     INTEGER CHECK (label_price_fen IS NULL OR label_price_fen >= 0),
        override_price_fen  INTEGER CHECK (override_price_fen IS NULL OR override_price_fen >= 0),
        age_approved_by     TEXT,
        voided              INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1)),
        created_at          INTEGER NOT NULL,
        UNIQUE (cart_id, seq)
      ) STRICT;

      CREATE TABLE attendant_actions (
        id          INTEGER PRIMARY KEY,
        cart_id     TEXT,
        line_id     TEXT,
        sale_id     TEXT,
        staff_id    TEXT NOT NULL,
        role        TEXT NOT NULL,
        action      TEXT NOT NULL CHECK (action IN ('age_approval', 'price_override', 'void', 'refund', 'cancel_cart')),
        reason      TEXT NOT NULL,
        detail      TEXT CHECK (detail IS NULL OR json_valid(detail)),
        at          INTEGER NOT NULL
      ) STRICT;

      -- tenders; a payment's reference is what a terminal can be asked about after a lost answer
      CREATE TABLE payments (
        id            TEXT PRIMARY KEY,
        cart_id       TEXT NOT NULL REFERENCES carts(id),
        kind          TEXT NOT NULL CHECK (kind IN ('cash', 'points', 'card', 'payment_code')),
        amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
        tendered_fen  INTEGER NOT NULL CHECK (tendered_fen >= amount_fen),
        status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'unknown', 'reversed')),
        reference     TEXT NOT NULL UNIQUE,
        provider_ref  TEXT,
        detail        TEXT CHECK (detail IS NULL OR json_valid(detail)),
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX payments_cart ON payments(cart_id);

      CREATE TABLE sales (
        id                   TEXT PRIMARY KEY,
        receipt_no           TEXT NOT NULL UNIQUE,
        cart_id              TEXT NOT NULL UNIQUE REFERENCES carts(id),
        channel              TEXT NOT NULL,
        kiosk_id             TEXT,
        member_id            TEXT REFERENCES members(id),
        gross_fen            INTEGER NOT NULL,
        promo_discount_fen   INTEGER NOT NULL,
        coupon_discount_fen  INTEGER NOT NULL,
        total_fen            INTEGER NOT NULL CHECK (total_fen >= 0),
        tax_fen              INTEGER NOT NULL,
        paid_fen             INTEGER NOT NULL,
        change_fen           INTEGER NOT NULL CHECK (change_fen >= 0),
        points_earned        INTEGER NOT NULL DEFAULT 0,
        created_at           INTEGER NOT NULL,
        CHECK (gross_fen - promo_discount_fen - coupon_discount_fen = total_fen)
      ) STRICT;

      CREATE TABLE sale_lines (
        sale_id              TEXT NOT NULL REFERENCES sales(id),
        line_no              INTEGER NOT NULL,
        gtin                 TEXT NOT NULL,
        name_zh              TEXT NOT NULL,
        name_en              TEXT NOT NULL,
        qty                  INTEGER NOT NULL,
        weight_g             INTEGER,
        unit_price_fen       INTEGER NOT NULL,
        gross_fen            INTEGER NOT NULL,
        promo_discount_fen   INTEGER NOT NULL,
        coupon_discount_fen  INTEGER NOT NULL,
        net_fen              INTEGER NOT NULL CHECK (net_fen >= 0),
        tax_rate_bp          INTEGER NOT NULL,
        tax_fen              INTEGER NOT NULL,
        discounts            TEXT NOT NULL CHECK (json_valid(discounts)),
        refunded_qty         INTEGER NOT NULL DEFAULT 0,
        refunded_fen         INTEGER NOT NULL DEFAULT 0 CHECK (refunded_fen <= net_fen),
        PRIMARY KEY (sale_id, line_no),
        CHECK (gross_fen - promo_discount_fen - coupon_discount_fen = net_fen)
      ) STRICT;

      CREATE TABLE refunds (
        id          TEXT PRIMARY KEY,
        sale_id     TEXT NOT NULL REFERENCES sales(id),
        amount_fen  INTEGER NOT NULL CHECK (amount_fen >= 0),
        points_reversed INTEGER NOT NULL DEFAULT 0,
        staff_id    TEXT NOT NULL,
        reason      TEXT NOT NULL,
        tenders     TEXT NOT NULL CHECK (json_valid(tenders)),
        created_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE refund_lines (
        refund_id   TEXT NOT NULL REFERENCES refunds(id),
        sale_id     TEXT NOT NULL,
        line_no     INTEGER NOT NULL,
        qty         INTEGER NOT NULL CHECK (qty >= 1),
        amount_fen  INTEGER NOT NULL CHECK (amount_fen >= 0),
        PRIMARY KEY (refund_id, line_no),
        FOREIGN KEY (sale_id, line_no) REFERENCES sale_lines(sale_id, line_no)
      ) STRICT;

      -- Ed25519 keys that sign coupon and member codes: the store's own (with its private
      -- key, to issue) and HQ's (public only, to verify offline)
      CREATE TABLE signing_keys (
        kid          TEXT PRIMARY KEY,
        owner        TEXT NOT NULL CHECK (owner IN ('store', 'hq')),
        public_key   TEXT NOT NULL,
        private_key  TEXT,
        created_at   INTEGER NOT NULL,
        CHECK (owner = 'store' OR private_key IS NULL)
      ) STRICT;

      CREATE TABLE coupons (
        id              TEXT PRIMARY KEY,
        campaign_id     TEXT NOT NULL,
        member_id       TEXT REFERENCES members(id),
        code            TEXT NOT NULL UNIQUE,
        terms           TEXT NOT NULL CHECK (json_valid(terms)),
        issued_at       INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        source          TEXT NOT NULL CHECK (source IN ('claim', 'after_purchase', 'presented')),
        source_sale_id  TEXT
      ) STRICT;
      CREATE INDEX coupons_member ON coupons(member_id);
      CREATE INDEX coupons_campaign ON coupons(campaign_id);
      -- one post-purchase coupon per campaign per qualifying sale
      CREATE UNIQUE INDEX coupons_after_purchase_once ON coupons(campaign_id, source_sale_id)
        WHERE source_sale_id IS NOT NULL;

      -- coupons a shopper showed at this cart (scanned QR), besides the member's wallet
      CREATE TABLE cart_coupons (
        cart_id    TEXT NOT NULL REFERENCES carts(id),
        coupon_id  TEXT NOT NULL REFERENCES coupons(id),
        PRIMARY KEY (cart_id, coupon_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE coupon_redemptions (
        id                  INTEGER PRIMARY KEY,
        coupon_id           TEXT NOT NULL REFERENCES coupons(id),
        sale_id             TEXT NOT NULL REFERENCES sales(id),
        amount_fen          INTEGER NOT NULL CHECK (amount_fen > 0),
        redeemed_at         INTEGER NOT NULL,
        reversed_at         INTEGER,
        reversed_by_refund  TEXT
      ) STRICT;
      -- a coupon redeems at most once in this store (a reversed redemption frees it)
      CREATE UNIQUE INDEX coupon_redeemed_once ON coupon_redemptions(coupon_id) WHERE reversed_at IS NULL;
    `);
  },
};
