import type { Migration } from '../migrate.js';

// Post-purchase offers shown on a sale's result page: one row per (sale, campaign), so
// a page shown twice (a reload, a second phone) tells HQ once (offer.shown).
export const m0010OffersShown: Migration = {
  version: 10,
  name: 'offers_shown',
  up(db) {
    db.exec(`
      CREATE TABLE offers_shown (
        sale_id      TEXT NOT NULL REFERENCES sales(id),
        campaign_id  TEXT NOT NULL,
        shown_at     INTEGER NOT NULL,
        PRIMARY KEY (sale_id, campaign_id)
      ) STRICT;
    `);
  },
};
