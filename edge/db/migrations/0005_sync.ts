import type { Migration } from '../migrate.js';

// Sync with HQ: a small key/value table for what the link learns (the clock offset
// against HQ). The publisher's unsent-rows index came with the outbox (0003).
export const m0005Sync: Migration = {
  version: 5,
  name: 'sync',
  up(db) {
    db.exec(`
      CREATE TABLE sync_state (
        key         TEXT PRIMARY KEY,
        value       TEXT NOT NULL CHECK (json_valid(value)),
        updated_at  INTEGER NOT NULL
      ) STRICT;
    `);
  },
};
