import type { Migration } from '../migrate.js';

// Rules are JSON documents validated by edge/promotions and edge/coupons before they are
// written; the window is also kept in columns so "active now" is an indexed query.
export const m0002PromotionsCoupons: Migration = {
  version: 2,
  name: 'promotions_coupons',
  up(db) {
    db.exec(`
      CREATE TABLE promotions (
        id          TEXT PRIMARY KEY,
        name_zh     TEXT NOT NULL,
        name_en     TEXT NOT NULL,
        definition  TEXT NOT NULL CHECK (json_valid(definition)),
        starts_at   INTEGER,
        ends_at     INTEGER,
        CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
      ) STRICT;
      CREATE INDEX promotions_window ON promotions(starts_at, ends_at);

      CREATE TABLE coupon_campaigns (
        id          TEXT PRIMARY KEY,
        name_zh     TEXT NOT NULL,
        name_en     TEXT NOT NULL,
        definition  TEXT NOT NULL CHECK (json_valid(definition)),
        starts_at   INTEGER,
        ends_at     INTEGER,
        total_quota INTEGER CHECK (total_quota IS NULL OR total_quota >= 0),
        CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
      ) STRICT;
    `);
  },
};
