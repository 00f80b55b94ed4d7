// HQ's reference event store (SQLite). Events are keyed by (store, seq): a duplicate
// delivery is an INSERT that changes nothing, so HQ's effect is exactly once. A server
// database does the same with the same key (see sync/README.md).
import Database from 'better-sqlite3';
import type { WireEvent } from '../topics.js';

export type HqDb = Database.Database;

export function openHqDb(path: string): HqDb {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      store_id    TEXT NOT NULL,
      seq         INTEGER NOT NULL,
      event_id    TEXT NOT NULL,
      type        TEXT NOT NULL,
      class       TEXT NOT NULL,
      created_at  INTEGER NOT NULL,
      payload     TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      PRIMARY KEY (store_id, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS stores (
      store_id        TEXT PRIMARY KEY,
      contiguous_seq  INTEGER NOT NULL DEFAULT 0,
      max_seq         INTEGER NOT NULL DEFAULT 0,
      duplicates      INTEGER NOT NULL DEFAULT 0,
      -- the highest sequence the store says the broker acknowledged (from its heartbeat)
      sent_through    INTEGER NOT NULL DEFAULT 0,
      online          INTEGER NOT NULL DEFAULT 0,
      last_state      TEXT,
      last_heartbeat  TEXT,
      last_seen       INTEGER
    ) STRICT;
  `);
  return db;
}

export interface StoreProgress {
  storeId: string;
  contiguousSeq: number;
  maxSeq: number;
  duplicates: number;
}

export class EventStore {
  private readonly insert;
  private readonly upsertStore;
  private readonly next;

  constructor(readonly db: HqDb) {
    this.insert = db.prepare(
      'INSERT OR IGNORE INTO events (store_id, seq, event_id, type, class, created_at, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.upsertStore = db.prepare('INSERT OR IGNORE INTO stores (store_id) VALUES (?)');
    this.next = db.prepare('SELECT 1 FROM events WHERE store_id = ? AND seq = ?').pluck();
  }

  /** Stores events (one transaction); returns how many were new. */
  ingest(events: WireEvent[], now: number): number {
    return this.db.transaction(() => {
      let fresh = 0;
      for (const e of events) {
        this.upsertStore.run(e.storeId);
        const r = this.insert.run(
          e.storeId,
          e.seq,
          e.eventId,
          e.type,
          e.class,
          e.createdAt,
          JSON.stringify(e.payload),
          now,
        );
        if (r.changes) {
          fresh++;
          this.db
            .prepare('UPDATE stores SET max_seq = max(max_seq, ?), last_seen = ? WHERE store_id = ?')
            .run(e.seq, now, e.storeId);
        } else {
          this.db.prepare('UPDATE stores SET duplicates = duplicates + 1 WHERE store_id = ?').run(e.storeId);
        }
      }
      for (const storeId of new Set(events.map((e) => e.storeId))) this.advance(storeId);
      return fresh;
    })();
  }

  private advance(storeId: string): void {
    let c = this.db
      .prepare('SELECT contiguous_seq FROM stores WHERE store_id = ?')
      .pluck()
      .get(storeId) as number;
    while (this.next.get(storeId, c + 1)) c++;
    this.db.prepare('UPDATE stores SET contiguous_seq = ? WHERE store_id = ?').run(c, storeId);
  }

  progress(storeId: string): StoreProgress | null {
    const r = this.db
      .prepare('SELECT store_id, contiguous_seq, max_seq, duplicates FROM stores WHERE store_id = ?')
      .get(storeId) as
      | { store_id: string; contiguous_seq: number; max_seq: number; duplicates: number }
      | undefined;
    return r
      ? { storeId: r.store_id, contiguousSeq: r.contiguous_seq, maxSeq: r.max_seq, duplicates: r.duplicates }
      : null;
  }

  /** The first missing range after the contiguous prefix, if events beyond it arrived. */
  gap(storeId: string): { fromSeq: number; toSeq: number } | null {
    const p = this.progress(storeId);
    if (!p) return null;
    if (p.maxSeq <= p.contiguousSeq) {
      // nothing arrived past the gap, but the store says the broker took more: the tail was lost
      const sent = this.db
        .prepare('SELECT sent_through FROM stores WHERE store_id = ?')
        .pluck()
        .get(storeId) as number;
      return sent > p.contiguousSeq ? { fromSeq: p.contiguousSeq + 1, toSeq: sent } : null;
    }
    const nextPresent = this.db
      .prepare('SELECT min(seq) FROM events WHERE store_id = ? AND seq > ?')
      .pluck()
      .get(storeId, p.contiguousSeq) as number;
    return { fromSeq: p.contiguousSeq + 1, toSeq: nextPresent - 1 };
  }

  noteState(storeId: string, kind: 'state' | 'heartbeat', body: string, now: number): void {
    this.upsertStore.run(storeId);
    if (kind === 'state') {
      const online = (() => {
        try {
          return (JSON.parse(body) as { online?: unknown }).online === true ? 1 : 0;
        } catch {
          return 0;
        }
      })();
      this.db
        .prepare('UPDATE stores SET last_state = ?, online = ?, last_seen = ? WHERE store_id = ?')
        .run(body, online, now, storeId);
    } else {
      const sent = (() => {
        try {
          const v = (JSON.parse(body) as { sentThrough?: unknown }).sentThrough;
          return Number.isSafeInteger(v) ? (v as number) : 0;
        } catch {
          return 0;
        }
      })();
      this.db
        .prepare(
          'UPDATE stores SET last_heartbeat = ?, sent_through = max(sent_through, ?), last_seen = ? WHERE store_id = ?',
        )
        .run(body, sent, now, storeId);
    }
  }

  seqs(storeId: string): number[] {
    return this.db
      .prepare('SELECT seq FROM events WHERE store_id = ? ORDER BY seq')
      .pluck()
      .all(storeId) as number[];
  }
}
