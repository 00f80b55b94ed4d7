import type { Migration } from '../migrate.js';

// Secrets the store makes for itself (the key that signs shoppers' cart tokens).
// They never leave the store and are not in the config.
export const m0006Security: Migration = {
  version: 6,
  name: 'security',
  up(db) {
    db.exec(`
      CREATE TABLE secrets (
        name        TEXT PRIMARY KEY,
        value       BLOB NOT NULL,
        created_at  INTEGER NOT NULL
      ) STRICT;
    `);
  },
};
