// Appends business events to the outbox. Callers run this inside the transaction that
// writes the event itself, so an event exists in the outbox exactly when it happened.
import { randomUUID } from 'node:crypto';
import type { Db } from './open.js';

export type EventClass = 'money' | 'telemetry' | 'state';

export interface OutboxEvent {
  type: string;
  class: EventClass;
  payload: Record<string, unknown>;
}

export interface OutboxRow {
  seq: number;
  eventId: string;
  type: string;
  class: EventClass;
  payload: Record<string, unknown>;
  createdAt: number;
  sentAt: number | null;
}

export function appendOutbox(db: Db, event: OutboxEvent, now: number): { seq: number; eventId: string } {
  if (!db.inTransaction)
    throw new Error('appendOutbox must run inside the transaction that writes the event');
  const eventId = randomUUID();
  const r = db
    .prepare('INSERT INTO outbox (event_id, type, class, payload, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(eventId, event.type, event.class, JSON.stringify(event.payload), now);
  return { seq: Number(r.lastInsertRowid), eventId };
}

/** Rows from `fromSeq` on, in sequence; `unsentOnly` skips rows HQ already acknowledged. */
export function readOutbox(db: Db, fromSeq = 0, limit = 1000, unsentOnly = false): OutboxRow[] {
  return (
    db
      .prepare(
        `SELECT seq, event_id, type, class, payload, created_at, sent_at FROM outbox
         WHERE seq >= ? ${unsentOnly ? 'AND sent_at IS NULL' : ''} ORDER BY seq LIMIT ?`,
      )
      .all(fromSeq, limit) as {
      seq: number;
      event_id: string;
      type: string;
      class: EventClass;
      payload: string;
      created_at: number;
      sent_at: number | null;
    }[]
  ).map((r) => ({
    seq: r.seq,
    eventId: r.event_id,
    type: r.type,
    class: r.class,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  }));
}
