// An HQ ingest process, shaped like the store's daemon: parts started in order by the
// lifecycle (database → ingest worker) and stopped in reverse.
import type { Logger } from 'pino';
import { Lifecycle, type Part } from '../../edge/lifecycle.js';
import { migratePg, openPgPool } from '../db/pg.js';
import { PgEventStore } from './pg-event-store.js';
import { IngestWorker } from './worker.js';

export interface IngestServiceOptions {
  db: string;
  broker: string;
  prefix: string;
  shareGroup: string;
  workerId: string;
  gapTimeoutMs: number;
  log: Logger;
}

class DatabasePart implements Part {
  readonly name = 'database';
  readonly pool;
  private schema = 0;
  constructor(url: string) {
    this.pool = openPgPool(url);
  }
  async start(): Promise<void> {
    this.schema = (await migratePg(this.pool)).to;
  }
  async stop(): Promise<void> {
    await this.pool.end();
  }
  details() {
    return { schemaVersion: this.schema, connections: this.pool.totalCount };
  }
}

class IngestPart implements Part {
  readonly name = 'ingest';
  worker: IngestWorker | null = null;
  constructor(
    private readonly db: DatabasePart,
    private readonly o: IngestServiceOptions,
  ) {}
  async start(): Promise<void> {
    this.worker = new IngestWorker({
      url: this.o.broker,
      prefix: this.o.prefix,
      store: new PgEventStore(this.db.pool),
      log: this.o.log.child({ component: 'ingest', worker: this.o.workerId }),
      clientId: `hq-ingest-${this.o.workerId}`,
      shareGroup: this.o.shareGroup,
      gapTimeoutMs: this.o.gapTimeoutMs,
    });
    await this.worker.start();
  }
  async stop(): Promise<void> {
    await this.worker?.stop();
  }
  details() {
    return { ...this.worker?.stats };
  }
}

export function ingestService(o: IngestServiceOptions): { lifecycle: Lifecycle; ingest: IngestPart } {
  const lifecycle = new Lifecycle(o.log, { stopTimeoutMs: 15_000 });
  const db = new DatabasePart(o.db);
  const ingest = new IngestPart(db, o);
  lifecycle.add(db).add(ingest);
  return { lifecycle, ingest };
}
