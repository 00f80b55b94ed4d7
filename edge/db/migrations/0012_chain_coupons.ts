import type { Migration } from '../migrate.js';

// Chain coupons (codes HQ signed) held for a cart: reserved at HQ, or accepted while HQ
// was out of reach under the campaign's offline policy.
export const m0012ChainCoupons: Migration = {
  version: 12,
  name: 'chain_coupons',
  up(db) {
    db.exec(`
      ALTER TABLE cart_coupons ADD COLUMN hq_state TEXT CHECK (hq_state IN ('reserved', 'offline_accepted'));
    `);
  },
};
