import type { Migration } from '../migrate.js';
import { switchToIncrementalVacuum } from '../open.js';

// Housekeeping while the store trades. The file hands freed pages back only with
// auto_vacuum=INCREMENTAL, which an existing database takes with one full VACUUM (done
// once, here, before the store opens for business; a disk too full for it
// leaves it for a later start). Indexes let each pruning batch find
// its rows without a scan. An idempotency answer may now be stored compact: `rebuild`
// (["merged" | "nested", cartId]) says how to rebuild the rest, the cart's quote as it
// is now, from what the store keeps.
// Additive: an older build ignores the column and the indexes; on a compact row it would
// replay only the kept part (a line id without its quote), which its clients refetch.
export const m0015Housekeeping: Migration = {
  version: 15,
  name: 'housekeeping',
  additive: true,
  before(db) {
    // not fatal: a disk too full for the copy leaves the file as it was (DbPart retries)
    switchToIncrementalVacuum(db);
  },
  up(db) {
    db.exec(`
      ALTER TABLE idempotency ADD COLUMN rebuild TEXT CHECK (rebuild IS NULL OR json_valid(rebuild));
      CREATE INDEX idempotency_created ON idempotency(created_at);
      CREATE INDEX outbox_sent ON outbox(class, sent_at) WHERE sent_at IS NOT NULL;
      CREATE INDEX carts_idle ON carts(status, updated_at) WHERE status IN ('open', 'suspended', 'cancelled');
      CREATE INDEX kiosk_alerts_resolved ON kiosk_alerts(resolved_at) WHERE resolved_at IS NOT NULL;
      CREATE INDEX kiosk_alerts_cart ON kiosk_alerts(cart_id) WHERE cart_id IS NOT NULL;
      CREATE INDEX attendant_actions_cart ON attendant_actions(cart_id) WHERE cart_id IS NOT NULL;
    `);
  },
};
