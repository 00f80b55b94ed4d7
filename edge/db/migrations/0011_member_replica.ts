import type { Migration } from '../migrate.js';

// A member's points as HQ last said (the chain's ledger of record), and which of this
// store's own movements that figure already holds: the store's balance is HQ's plus its
// movements after `hq_through`. Each ledger row now keeps its outbox sequence for that.
export const m0011MemberReplica: Migration = {
  version: 11,
  name: 'member_replica',
  up(db) {
    db.exec(`
      ALTER TABLE members ADD COLUMN hq_points INTEGER;
      ALTER TABLE members ADD COLUMN hq_version INTEGER;
      ALTER TABLE members ADD COLUMN hq_through INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE points_ledger ADD COLUMN outbox_seq INTEGER;
      CREATE INDEX points_ledger_member_seq ON points_ledger(member_id, outbox_seq);
    `);
  },
};
