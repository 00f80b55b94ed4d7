// The storage part: opens the database, migrates it, and hands it to `prepare` (the
// daemon loads the seed datasets there) before any other part sees it.

import type { Part } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import { migrate, schemaVersion } from './migrate.js';
import { migrations } from './migrations/index.js';
import { type Db, openDb, switchToIncrementalVacuum } from './open.js';
import { adoptSentMarks } from './outbox-acks.js';

export interface DbPartOptions {
  path: string;
  busyTimeoutMs: number;
  /** run on the open, migrated database before start returns (a throw fails the start) */
  prepare?: (db: Db) => void;
  log: Logger;
}

export class DbPart implements Part {
  readonly name = 'db';
  private db: Db | null = null;

  constructor(private readonly opts: DbPartOptions) {}

  /** The open database; only valid between start and stop. */
  get handle(): Db {
    if (!this.db) throw new Error('database is not open');
    return this.db;
  }

  start(): void {
    const db = openDb(this.opts.path, { busyTimeoutMs: this.opts.busyTimeoutMs });
    try {
      const result = migrate(db, migrations);
      if (result.applied.length) {
        this.opts.log.info(
          { from: result.from, to: result.to, applied: result.applied },
          'database migrated',
        );
      }
      // what an older build marked sent after a rollback (migration 19)
      const adopted = db.transaction(() => adoptSentMarks(db))();
      if (adopted) this.opts.log.info({ rows: adopted }, 'outbox rows an older build marked sent taken in');
      // housekeeping hands free pages back only from an incremental file (migration 15)
      if (!switchToIncrementalVacuum(db))
        this.opts.log.warn(
          'database not switched to incremental vacuum (not enough free disk?): tried again at the next start',
        );
      this.opts.prepare?.(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
  }

  stop(): void {
    if (!this.db) return;
    // fold the WAL back so the file on disk is complete on its own
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
    this.db = null;
  }

  details(): Record<string, unknown> {
    const db = this.handle;
    const datasets = db.prepare('SELECT name, version, source FROM datasets ORDER BY name').all();
    return { path: this.opts.path, schemaVersion: schemaVersion(db), datasets };
  }
}
