// Outbox drain rate after an outage: a 100k-event backlog published by the store's
// publisher (read from SQLite in sequence, QoS 1, marked sent on PUBACK) against a raw
// mqtt.js QoS 1 publish loop of the same number of same-sized messages with the same
// number in flight, to the same mosquitto, in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { migrate } from '../edge/db/migrate.js';
import { migrations } from '../edge/db/migrations/index.js';
import { openDb } from '../edge/db/open.js';
import { appendOutbox } from '../edge/db/outbox.js';
import { MqttLink } from '../sync/link.js';
import { OutboxPublisher } from '../sync/publisher.js';
import { Topics } from '../sync/topics.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';

const N = 100_000;
const WINDOW = 256;

export async function run(): Promise<void> {
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-drain-'));
  try {
    const payload = JSON.stringify({ type: 'sale.completed', totalFen: 12345, lines: 5 });

    // baseline: raw publishes, WINDOW in flight
    const raw = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'bench-raw' });
    let t0 = process.hrtime.bigint();
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        await raw.publishAsync(`bench/raw/${i % 8}`, payload, { qos: 1 });
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
    const rawRate = N / (Number(process.hrtime.bigint() - t0) / 1e9);
    await raw.endAsync();

    const db = openDb(join(dir, 'store.db'));
    migrate(db, migrations);
    const fill = db.transaction((n: number) => {
      for (let i = 0; i < n; i++)
        appendOutbox(
          db,
          { type: 'sale.completed', class: 'money', payload: { i, totalFen: 12345 } },
          Date.now(),
        );
    });
    for (let done = 0; done < N; done += 10_000) fill(10_000);
    const log = pino({ level: 'silent' });
    const topics = new Topics('storeedge/v1', 'bench-store');
    const link = new MqttLink({
      url: broker.url,
      clientId: 'bench-store',
      keepaliveSeconds: 30,
      will: { topic: topics.state, payload: '{"online":false}' },
      birth: () => ({ topic: topics.state, payload: '{"online":true}' }),
      subscriptions: [],
      log,
    });
    const publisher = new OutboxPublisher({
      db,
      link,
      topics,
      log,
      ratePerSecond: 1_000_000,
      window: WINDOW,
    });
    const up = new Promise<void>((r) => link.once('up', () => r()));
    link.start();
    await up;
    t0 = process.hrtime.bigint();
    publisher.start();
    while (publisher.backlog().events > 0) await new Promise((r) => setTimeout(r, 50));
    const drainRate = N / (Number(process.hrtime.bigint() - t0) / 1e9);
    await publisher.stop();
    await link.stop();
    db.close();
    console.log(
      `raw mqtt.js QoS 1 publish loop, ${WINDOW} in flight (baseline): ${rawRate.toFixed(0)} msg/s`,
    );
    console.log(
      `outbox drain, ${N} events (read, publish, PUBACK, mark sent): ${drainRate.toFixed(0)} events/s`,
    );
    console.log(`ratio drain / raw: ${(drainRate / rawRate).toFixed(2)}`);
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
