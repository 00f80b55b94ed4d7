// Outbox rows for tests of the sync machinery itself (draining, rolling up, resending,
// housekeeping): synthetic payloads and types, written as appendOutbox writes a row but
// without its wire-schema check, which the store's own events always pass.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../edge/db/open.js';
import { markSent, unmarkSent } from '../../edge/db/outbox-acks.js';
import type { OutboxEvent } from '../../sync/envelope.js';

export function appendSyntheticEvent(
  db: Db,
  event: OutboxEvent,
  now: number,
): { seq: number; eventId: string } {
  const eventId = randomUUID();
  const r = db
    .prepare('INSERT INTO outbox (event_id, type, class, payload, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(eventId, event.type, event.class, JSON.stringify(event.payload), now);
  return { seq: Number(r.lastInsertRowid), eventId };
}

/** Marks rows acknowledged as the publisher does: `at(seq, createdAt)` says when. */
export function ackRows(db: Db, at: (seq: number, createdAt: number) => number, where = '1'): void {
  const rows = db.prepare(`SELECT seq, created_at FROM outbox WHERE ${where} ORDER BY seq`).all() as {
    seq: number;
    created_at: number;
  }[];
  db.transaction(() => {
    for (const r of rows) markSent(db, r.seq, r.seq, at(r.seq, r.created_at));
  })();
}

/** Takes rows out of the acknowledged ranges again. */
export function unackRows(db: Db, seqs: number[]): void {
  db.transaction(() => {
    for (const s of seqs) unmarkSent(db, s, s);
  })();
}
