// A store's sync part (link, publisher, HQ commands) over a demo database, connected to
// a test broker, and a way to wait until it is online.
import pino from 'pino';
import Value from 'typebox/value';
import { type Config, ConfigSchema } from '../../config/schema.js';
import type { Db } from '../../edge/db/open.js';
import { SyncPart, type SyncPartOptions } from '../../edge/sync/part.js';
import { SqliteEventStore } from '../../hq/ingest/sqlite-event-store.js';
import { IngestWorker } from '../../hq/ingest/worker.js';
import { waitFor } from './ports.js';
import { demoDb } from './store.js';

export function mqttConfig(url: string, drainPerSecond = 20_000): Config['mqtt'] {
  // reconnects capped at 2 s: a long outage in a test must not leave the next try a minute away
  return (
    Value.Default(ConfigSchema, {
      mqtt: { enabled: true, url, drainPerSecond, reconnect: { baseMs: 200, capMs: 2000 } },
    }) as Config
  ).mqtt;
}

export function syncStore(
  url: string,
  o: { db?: Db; drainPerSecond?: number } & Omit<Partial<SyncPartOptions>, 'db' | 'mqtt'> = {},
): { part: SyncPart; db: Db } {
  const db = o.db ?? demoDb();
  const { db: _db, drainPerSecond, ...rest } = o;
  const part = new SyncPart({
    mqtt: mqttConfig(url, drainPerSecond),
    storeId: 'demo-store-001',
    version: 'test',
    db: () => db,
    log: pino({ level: 'silent' }),
    heartbeatMs: 500,
    ...rest,
  });
  part.start();
  return { part, db };
}

export const online = (part: SyncPart) =>
  waitFor('store online', () => (part.details().link === 'up' ? true : undefined), 5000);

/** HQ's ingest on one SQLite file (a worker of HQ's own, the embedded event store), with
 * what the store-side tests read of it. */
export class LabIngest {
  readonly worker: IngestWorker;
  readonly events: SqliteEventStore;

  constructor(url: string, file: string, gapTimeoutMs: number) {
    this.events = new SqliteEventStore(file);
    this.worker = new IngestWorker({
      url,
      prefix: 'storeedge/v1',
      store: this.events,
      log: pino({ level: 'silent' }),
      clientId: `hq-lab-${Math.random().toString(36).slice(2, 10)}`,
      shareGroup: 'hq-lab',
      gapTimeoutMs,
    });
  }

  /** HQ's tables (events, store_watermarks, store_state, projections) */
  get db() {
    return this.events.db;
  }
  /** events refused at ingest (malformed, another store's, breaking their schema) */
  get rejected(): number {
    return this.worker.stats.quarantined;
  }
  get resendRequests(): number {
    return this.worker.stats.resendRequests;
  }
  /** writes what the worker holds */
  flush(): Promise<void> {
    return this.worker.flush();
  }
  seqs(storeId: string): number[] {
    return this.db
      .prepare('SELECT seq FROM events WHERE store_id = ? ORDER BY seq')
      .pluck()
      .all(storeId) as number[];
  }
  async stop(): Promise<void> {
    await this.worker.stop();
    this.events.close();
  }
}

/** HQ's ingest on its own SQLite file, started on the broker at `url`. */
export async function labIngest(url: string, file: string, gapTimeoutMs = 1000): Promise<LabIngest> {
  const ingest = new LabIngest(url, file, gapTimeoutMs);
  await ingest.worker.start();
  return ingest;
}
