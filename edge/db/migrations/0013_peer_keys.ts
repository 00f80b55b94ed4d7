import type { Migration } from '../migrate.js';

// Other stores' code keys, vouched for by HQ: a member card one store of the chain
// issued verifies at every other (member codes only: a store's own coupons stay its own).
export const m0013PeerKeys: Migration = {
  version: 13,
  name: 'peer_keys',
  up(db) {
    db.exec(`
      CREATE TABLE peer_keys (
        kid         TEXT PRIMARY KEY,
        store_id    TEXT NOT NULL,
        public_key  TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      ) STRICT;
    `);
  },
};
