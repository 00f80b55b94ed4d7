// The small key/value facts sync keeps in SQLite (table sync_state): applied versions of
// pushes that are not catalog datasets, and the clock offset against HQ.
import type { Db } from '../db/open.js';

export function readSyncState<T>(db: Db, key: string): T | null {
  const v = db.prepare('SELECT value FROM sync_state WHERE key = ?').pluck().get(key) as string | undefined;
  return v === undefined ? null : (JSON.parse(v) as T);
}

export function writeSyncState(db: Db, key: string, value: unknown, now: number): void {
  db.prepare(
    'INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  ).run(key, JSON.stringify(value), now);
}

/** The version of a push last applied under `key` (0: none yet). */
export const appliedVersion = (db: Db, key: string): number =>
  readSyncState<{ version: number }>(db, key)?.version ?? 0;
