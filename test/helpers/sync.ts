// A store's sync part (link, publisher, HQ commands) over a demo database, connected to
// a test broker, and a way to wait until it is online.
import pino from 'pino';
import Value from 'typebox/value';
import { type Config, ConfigSchema } from '../../config/schema.js';
import type { Db } from '../../edge/db/open.js';
import { SyncPart, type SyncPartOptions } from '../../edge/sync/part.js';
import { HqIngest } from '../../sync/hq/ingest.js';
import { openHqDb } from '../../sync/hq/store.js';
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

/** The lab HQ's ingest on its own SQLite file, started on the broker at `url`. */
export async function labIngest(url: string, file: string, gapTimeoutMs = 1000): Promise<HqIngest> {
  const ingest = new HqIngest({
    url,
    prefix: 'storeedge/v1',
    db: openHqDb(file),
    log: pino({ level: 'silent' }),
    gapTimeoutMs,
  });
  await ingest.start();
  return ingest;
}
