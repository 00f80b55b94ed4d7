// Housekeeping as a part of the daemon: on a schedule, while the store trades, it
// prunes what the store no longer needs in small batches (each its own short write
// transaction, the event loop free between them), hands freed pages back to the file
// system (incremental_vacuum) and keeps the -wal file bounded. It also keeps the
// storage figures /metrics and the staff dashboard show.
import { statSync } from 'node:fs';
import type { Part } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import type { Db } from '../db/open.js';
import { countRowsOffThread } from './count-rows.js';
import { type Retention, type Task, tasks } from './tasks.js';

export interface HousekeepingOptions {
  db: () => Db;
  /** the database file (':memory:' has no file sizes) */
  path: string;
  now: () => number;
  log: Logger;
  enabled: boolean;
  intervalMs: number;
  /** the first run, this long after start */
  firstRunMs?: number;
  batchRows: number;
  walMaxBytes: number;
  vacuumPages: number;
  retention: Retention;
}

export interface RunReport {
  /** the store's clock when the run began */
  at: number;
  ms: number;
  removed: Record<string, number>;
  batches: number;
  /** the longest any one batch held the write lock */
  longestBatchMs: number;
  vacuumedPages: number;
  walBytesBefore: number;
  walBytesAfter: number;
}

export interface StorageFigures {
  dbBytes: number;
  walBytes: number;
  freePages: number;
  /** rows per table, counted at the last run */
  rows: Record<string, number>;
  lastRun: RunReport | null;
  runs: number;
  removedTotal: Record<string, number>;
}

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

const fileBytes = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

export class HousekeepingPart implements Part {
  readonly name = 'housekeeping';
  private readonly tasks: Task[];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RunReport> | null = null;
  private stopped = true;
  private last: RunReport | null = null;
  private runs = 0;
  private readonly removedTotal: Record<string, number> = {};
  private rows: Record<string, number> = {};

  constructor(private readonly o: HousekeepingOptions) {
    this.tasks = tasks(o.retention);
  }

  start(): void {
    const db = this.o.db();
    // a checkpoint that resets the WAL also cuts the file back to this size
    db.pragma(`journal_size_limit = ${this.o.walMaxBytes}`);
    this.stopped = false;
    if (this.o.enabled) this.schedule(this.o.firstRunMs ?? Math.min(60_000, this.o.intervalMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // a run stops between batches; wait for the batch in hand
    await this.running?.catch(() => undefined);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runNow()
        .catch((err: Error) => this.o.log.error({ err: err.message }, 'housekeeping run failed'))
        .finally(() => {
          if (!this.stopped) this.schedule(this.o.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One run now (a run already going is joined, not doubled). */
  runNow(): Promise<RunReport> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<RunReport> {
    const db = this.o.db();
    const t0 = performance.now();
    const at = this.o.now();
    const removed: Record<string, number> = {};
    let batches = 0;
    let longest = 0;
    const timed = <T>(work: () => T): T => {
      const s = performance.now();
      try {
        return work();
      } finally {
        longest = Math.max(longest, performance.now() - s);
        batches++;
      }
    };
    for (const task of this.tasks) {
      let n = 0;
      for (;;) {
        if (this.stopped) break;
        // each batch at the clock of its own moment: a long run does not prune by a stale time
        const got = timed(() => task.batch(db, this.o.now(), this.o.batchRows));
        n += got;
        await yieldToIo();
        if (got < this.o.batchRows) break;
      }
      if (n) removed[task.name] = n;
    }
    const vacuumedPages = await this.vacuum(db, timed);
    const walBytesBefore = this.walBytes();
    if (!this.stopped) timed(() => this.checkpoint(db));
    const walBytesAfter = this.walBytes();
    if (!this.stopped) await this.countRows(db);
    const report: RunReport = {
      at,
      ms: Math.round(performance.now() - t0),
      removed,
      batches,
      longestBatchMs: Math.round(longest * 100) / 100,
      vacuumedPages,
      walBytesBefore,
      walBytesAfter,
    };
    for (const [k, v] of Object.entries(removed)) this.removedTotal[k] = (this.removedTotal[k] ?? 0) + v;
    this.last = report;
    this.runs++;
    if (Object.keys(removed).length || vacuumedPages) this.o.log.info({ ...report }, 'housekeeping: pruned');
    return report;
  }

  /** Gives free pages back to the file system, a slice at a time. */
  private async vacuum(db: Db, timed: <T>(work: () => T) => T): Promise<number> {
    if (this.o.vacuumPages === 0) return 0;
    let total = 0;
    for (let i = 0; i < 10_000 && !this.stopped; i++) {
      const free = db.pragma('freelist_count', { simple: true }) as number;
      if (free === 0) break;
      timed(() => db.pragma(`incremental_vacuum(${Math.min(free, this.o.vacuumPages)})`));
      total += free - (db.pragma('freelist_count', { simple: true }) as number);
      await yieldToIo();
    }
    return total;
  }

  /** A passive checkpoint never waits; only when it caught everything up and the file is
   * still over its bound is it truncated, with no busy wait so a reader elsewhere (an
   * ops tool) makes it skip rather than stall the store. */
  private checkpoint(db: Db): void {
    if (this.o.path === ':memory:') return;
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (!r || r.busy || r.log !== r.checkpointed || this.walBytes() <= this.o.walMaxBytes) return;
    const busy = db.pragma('busy_timeout', { simple: true }) as number;
    db.pragma('busy_timeout = 0');
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'WAL not truncated: the database is busy');
    } finally {
      db.pragma(`busy_timeout = ${busy}`);
    }
  }

  /** Rows per table, off the daemon's thread for a file (a count reads whole tables). */
  private async countRows(db: Db): Promise<void> {
    if (this.o.path !== ':memory:') {
      try {
        this.rows = await countRowsOffThread(this.o.path);
      } catch (err) {
        this.o.log.warn({ err: (err as Error).message }, 'rows per table not counted');
      }
      return;
    }
    const names = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    const rows: Record<string, number> = {};
    for (const name of names)
      rows[name] = db
        .prepare(`SELECT count(*) FROM "${name.replaceAll('"', '""')}"`)
        .pluck()
        .get() as number;
    this.rows = rows;
  }

  private walBytes(): number {
    return this.o.path === ':memory:' ? 0 : fileBytes(`${this.o.path}-wal`);
  }

  figures(): StorageFigures {
    const db = this.o.db();
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    return {
      dbBytes: this.o.path === ':memory:' ? pages * pageSize : fileBytes(this.o.path),
      walBytes: this.walBytes(),
      freePages: db.pragma('freelist_count', { simple: true }) as number,
      rows: { ...this.rows },
      lastRun: this.last,
      runs: this.runs,
      removedTotal: { ...this.removedTotal },
    };
  }

  details(): Record<string, unknown> {
    const f = this.figures();
    return {
      enabled: this.o.enabled,
      dbBytes: f.dbBytes,
      walBytes: f.walBytes,
      runs: f.runs,
      lastRun: f.lastRun,
    };
  }
}
