// Opens the store database with the pragmas the money tables need.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { cacheStatements } from './statement-cache.js';

export type Db = Database.Database;

export interface OpenDbOptions {
  busyTimeoutMs?: number;
  readonly?: boolean;
}

export function openDb(path: string, opts: OpenDbOptions = {}): Db {
  const memory = path === ':memory:';
  if (!memory && !opts.readonly) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new Error(
        `cannot create the database folder ${dirname(path)}: ${(err as NodeJS.ErrnoException).code}`,
      );
    }
  }
  const db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  try {
    // WAL: kiosks, the shopper API and the outbox publisher read while a sale commits.
    if (!memory && !opts.readonly) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`cannot switch ${path} to WAL (journal_mode=${String(mode)})`);
    }
    // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss. A sale
    // whose card payment was approved must survive a pulled plug, so a commit is fsynced
    // unless it is one of a cart's light steps (durability.ts), which the payment's
    // commit then makes durable with it: one fsync per sale.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
    db.pragma('trusted_schema = OFF');
    cacheStatements(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Switches a database to auto_vacuum=INCREMENTAL, so freed pages can be handed back
 * while it is in use. An existing file takes it only with a full VACUUM, which needs
 * about its size again in free disk; when that fails (a full disk) nothing changes and
 * it is tried again at the next start. Returns whether the file is incremental now. */
export function switchToIncrementalVacuum(db: Db): boolean {
  if (db.pragma('auto_vacuum', { simple: true }) === 2) return true;
  db.pragma('auto_vacuum = INCREMENTAL');
  try {
    db.exec('VACUUM');
  } catch {
    return false;
  }
  return db.pragma('auto_vacuum', { simple: true }) === 2;
}
