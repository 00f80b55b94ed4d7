import type { Migration } from '../migrate.js';

// Exit passes shown at the door after a scan-and-go sale: each sale's pass is checked
// once; a second check says when it was used.
export const m0008ExitPasses: Migration = {
  version: 8,
  name: 'exit_passes',
  up(db) {
    db.exec(`
      CREATE TABLE exit_pass_checks (
        sale_id     TEXT PRIMARY KEY REFERENCES sales(id),
        checked_at  INTEGER NOT NULL,
        checked_by  TEXT NOT NULL
      ) STRICT;
    `);
  },
};
