import type { Migration } from '../migrate.js';

// Spends made while HQ was out of reach, marked: the daily offline cap counts these only,
// never a spend made online whose figure has not come back from HQ yet.
export const m0014OfflineSpends: Migration = {
  version: 14,
  name: 'offline_spends',
  up(db) {
    db.exec(
      'ALTER TABLE points_ledger ADD COLUMN offline INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1))',
    );
  },
};
