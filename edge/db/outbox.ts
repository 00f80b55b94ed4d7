// Appends business events to the outbox. Callers run this inside the transaction that
// writes the event itself, so an event exists in the outbox exactly when it happened;
// each is checked against its type's wire schema first.
import { randomUUID } from 'node:crypto';
import type { EventClass, OutboxEvent, OutboxRow } from '../../sync/envelope.js';
import { knownEventType, payloadProblems } from '../../sync/event-schemas.js';
import { isLight, MoneyInLightCommit } from './durability.js';
import type { Db } from './open.js';
import { sentBefore as acksBefore, forgetPrunedRanges, sentAtSql, unsentRuns } from './outbox-acks.js';

export function appendOutbox(db: Db, event: OutboxEvent, now: number): { seq: number; eventId: string } {
  if (!db.inTransaction)
    throw new Error('appendOutbox must run inside the transaction that writes the event');
  // a money event is on disk when its transaction returns (durability.ts)
  if (event.class === 'money' && isLight(db)) throw new MoneyInLightCommit(event.type);
  // the wire contract (sync/event-schemas.ts) is held where events are made, not only where
  // HQ reads them: an event that breaks it fails its own transaction here instead of
  // waiting in HQ's quarantine
  const problems = knownEventType(event.type)
    ? payloadProblems(event.type, event.payload)
    : [`no wire schema for event type "${event.type}" (sync/event-schemas.ts)`];
  if (problems.length) throw new Error(`event ${event.type} breaks its wire schema: ${problems.join('; ')}`);
  const eventId = randomUUID();
  const r = db
    .prepare('INSERT INTO outbox (event_id, type, class, payload, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(eventId, event.type, event.class, JSON.stringify(event.payload), now);
  return { seq: Number(r.lastInsertRowid), eventId };
}

/** What waits for HQ: rows not yet acknowledged, their bytes, and when the oldest was written. */
export function unsentSummary(db: Db): { events: number; bytes: number; oldest: number | null } {
  const q = db.prepare(
    'SELECT count(*) AS events, coalesce(sum(length(payload)), 0) AS bytes, min(created_at) AS oldest FROM outbox WHERE seq BETWEEN ? AND ?',
  );
  const out = { events: 0, bytes: 0, oldest: null as number | null };
  for (const [a, b] of unsentRuns(db)) {
    const r = q.get(a, b) as { events: number; bytes: number; oldest: number | null };
    out.events += r.events;
    out.bytes += r.bytes;
    if (r.oldest !== null) out.oldest = out.oldest === null ? r.oldest : Math.min(out.oldest, r.oldest);
  }
  return out;
}

/** An unacknowledged row as it goes on the wire. */
export interface OutboxWire {
  seq: number;
  type: string;
  /** the message's bytes: sync/topics.ts wireText of the row, built by SQLite */
  wire: Buffer;
}

/** Unacknowledged rows from `fromSeq` on, in sequence, each as the bytes of its message
 * for `storeId` (the drain). They are byte for byte what sync/topics.ts wireText makes of
 * the row, but SQLite joins the envelope to the stored payload: the drain neither decodes
 * a 1.5 KB payload into a string nor encodes it again for the socket (with the MQTT
 * packet's encoding, 8 to 11 µs a message before, 4 to 5 after, on this machine). */
export function readUnsent(db: Db, storeId: string, fromSeq: number, limit: number): OutboxWire[] {
  const q = db.prepare(
    `SELECT seq, type, CAST(? || seq || ',"eventId":' || json_quote(event_id) || ',"type":' || json_quote(type)
       || ',"class":' || json_quote(class) || ',"createdAt":' || created_at || ',"payload":' || payload || '}'
       AS BLOB) AS wire
      FROM outbox WHERE seq BETWEEN ? AND ? ORDER BY seq LIMIT ?`,
  );
  const head = `{"storeId":${JSON.stringify(storeId)},"seq":`;
  let out: OutboxWire[] = [];
  for (const [a, b] of unsentRuns(db, fromSeq)) {
    const rows = q.all(head, a, b, limit - out.length) as OutboxWire[];
    out = out.length ? out.concat(rows) : rows;
    if (out.length >= limit) break;
  }
  return out;
}

/** Rows from `fromSeq` on, in sequence, with when the broker acknowledged each (null: not yet). */
export function readOutbox(db: Db, fromSeq = 0, limit = 1000): OutboxRow[] {
  return (
    db
      .prepare(
        `SELECT seq, event_id, type, class, payload, created_at, ${sentAtSql('o.seq')} AS sent_at
         FROM outbox o WHERE seq >= ? ORDER BY seq LIMIT ?`,
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

/** What housekeeping has deleted from the outbox: only rows the broker acknowledged,
 * each past its class's retention. `count` rows are gone in all, none above `maxSeq`,
 * and no row of a class created at or after its `before` time. */
export interface OutboxPruned {
  count: number;
  maxSeq: number;
  before: Partial<Record<EventClass, number>>;
}

const PRUNED_KEY = 'outbox.pruned';

export function outboxPruned(db: Db): OutboxPruned {
  const v = db.prepare('SELECT value FROM sync_state WHERE key = ?').pluck().get(PRUNED_KEY) as
    | string
    | undefined;
  return v ? (JSON.parse(v) as OutboxPruned) : { count: 0, maxSeq: 0, before: {} };
}

/** Deletes up to `limit` acknowledged rows of one class sent before `sentBefore`, and
 * records them, in one transaction. Unsent rows are never touched. */
export function pruneOutbox(db: Db, cls: EventClass, sentBefore: number, limit: number, now: number): number {
  return db
    .transaction(() => {
      const inRange = db
        .prepare('SELECT seq FROM outbox WHERE class = ? AND seq BETWEEN ? AND ? ORDER BY seq LIMIT ?')
        .pluck();
      let seqs: number[] = [];
      for (const r of acksBefore(db, sentBefore)) {
        const found = inRange.all(cls, r.lo, r.hi, limit - seqs.length) as number[];
        seqs = seqs.length ? seqs.concat(found) : found;
        if (seqs.length >= limit) break;
      }
      if (!seqs.length) return 0;
      const del = db.prepare('DELETE FROM outbox WHERE seq = ?');
      let n = 0;
      for (const s of seqs) n += del.run(s).changes;
      forgetPrunedRanges(db);
      const p = outboxPruned(db);
      // a row is sent after it is created, so none created at or after sentBefore is gone
      const next: OutboxPruned = {
        count: p.count + n,
        maxSeq: Math.max(p.maxSeq, ...seqs),
        before: { ...p.before, [cls]: Math.max(p.before[cls] ?? 0, sentBefore) },
      };
      db.prepare(
        `INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ).run(PRUNED_KEY, JSON.stringify(next), now);
      return n;
    })
    .immediate();
}
