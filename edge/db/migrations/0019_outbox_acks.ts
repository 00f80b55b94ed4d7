import type { Migration } from '../migrate.js';
import { adoptSentMarks } from '../outbox-acks.js';

// What the broker acknowledged, as ranges of sequences in a narrow table instead of a
// sent_at column on each wide outbox row. Marking a 1.5 KB row rewrote its page and two
// index entries, a third of the drain's time after an outage; a range is one small row
// for a whole batch of PUBACKs. Each range keeps when it was opened and when its last
// acknowledgement came (`sent_at`, which retention reads); edge/db/outbox-acks.ts keeps
// the ranges apart and closes one after an hour, so pruning by age still works.
//
// Additive: the outbox keeps its sent_at column and this build no longer writes it. An
// older build after a rollback sees what this build sent as unsent and sends it again,
// which HQ absorbs by (store, seq); this build, started again, takes in what an older
// build marked meanwhile (adoptSentMarks). The unsent-rows index is dropped (every row
// would be in it now); an older build's queries still hold without it.
export const m0019OutboxAcks: Migration = {
  version: 19,
  name: 'outbox_acks',
  additive: true,
  up(db) {
    db.exec(`
      CREATE TABLE outbox_acked (
        lo         INTEGER PRIMARY KEY,
        hi         INTEGER NOT NULL CHECK (hi >= lo),
        opened_at  INTEGER NOT NULL,
        sent_at    INTEGER NOT NULL
      ) STRICT;
      -- retention reads each class's acknowledged rows by sequence within a range
      CREATE INDEX outbox_class ON outbox(class, seq);
      DROP INDEX outbox_unsent;
    `);
    // every row acknowledged so far becomes part of a range
    adoptSentMarks(db);
  },
};
