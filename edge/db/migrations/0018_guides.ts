import type { Migration } from '../migrate.js';

// Store associates (导购) as users. A shopper's call for a guide from their phone: why,
// where (a zone they chose, or the shelf zone of the product in hand: never a camera
// track of the person), taken by one guide, done or cancelled. What the guide sends the
// shopper (a product, or a coupon of a campaign guides may hand out). A member's consent
// to be recognised by guides, and the audit of every time a guide asked for a member.
// A cart credited to a guide (their code scanned into it, or a product they recommended
// added), and each sale so credited, with its value.
// Additive: new tables and nullable columns an older build ignores.
export const m0018Guides: Migration = {
  version: 18,
  name: 'guides',
  additive: true,
  up(db) {
    db.exec(`
      ALTER TABLE members ADD COLUMN guide_consent_at INTEGER;
      ALTER TABLE carts ADD COLUMN guide_id TEXT;
      ALTER TABLE carts ADD COLUMN guide_source TEXT CHECK (guide_source IN ('code', 'recommendation'));
      ALTER TABLE carts ADD COLUMN guide_call_id TEXT;

      CREATE TABLE guide_calls (
        id            TEXT PRIMARY KEY,
        reason        TEXT NOT NULL CHECK (reason IN ('find', 'advice', 'price')),
        zone_id       TEXT,
        gtin          TEXT,
        member_id     TEXT REFERENCES members(id),
        status        TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'done', 'cancelled')),
        created_at    INTEGER NOT NULL,
        accepted_by   TEXT,
        accepted_at   INTEGER,
        escalated_at  INTEGER,
        ended_at      INTEGER,
        CHECK ((status = 'open') = (accepted_by IS NULL) OR status = 'cancelled')
      ) STRICT;
      CREATE INDEX guide_calls_live ON guide_calls(status, created_at) WHERE status IN ('open', 'accepted');

      CREATE TABLE guide_recommendations (
        id           TEXT PRIMARY KEY,
        call_id      TEXT NOT NULL REFERENCES guide_calls(id),
        staff_id     TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('product', 'coupon')),
        gtin         TEXT,
        campaign_id  TEXT,
        coupon_id    TEXT,
        created_at   INTEGER NOT NULL,
        CHECK ((kind = 'product') = (gtin IS NOT NULL))
      ) STRICT;
      CREATE INDEX guide_recommendations_call ON guide_recommendations(call_id);

      CREATE TABLE member_views (
        id         INTEGER PRIMARY KEY,
        staff_id   TEXT NOT NULL,
        member_id  TEXT NOT NULL,
        call_id    TEXT,
        outcome    TEXT NOT NULL CHECK (outcome IN ('shown', 'refused')),
        at         INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX member_views_member ON member_views(member_id, at);

      CREATE TABLE sale_guides (
        sale_id     TEXT PRIMARY KEY REFERENCES sales(id),
        staff_id    TEXT NOT NULL,
        source      TEXT NOT NULL CHECK (source IN ('code', 'recommendation')),
        call_id     TEXT,
        total_fen   INTEGER NOT NULL,
        created_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sale_guides_staff ON sale_guides(staff_id, created_at);

      -- "bought together" reads the newest baskets; a member's card their own purchases
      CREATE INDEX sales_created ON sales(created_at);
      CREATE INDEX sales_member ON sales(member_id, created_at) WHERE member_id IS NOT NULL;
    `);
  },
};
