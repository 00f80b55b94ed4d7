// Outbox rows for tests of the sync machinery itself (draining, rolling up, resending,
// housekeeping): synthetic payloads and types, written as appendOutbox writes a row but
// without its wire-schema check, which the store's own events always pass.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../edge/db/open.js';
import type { OutboxEvent } from '../../edge/db/outbox.js';

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
