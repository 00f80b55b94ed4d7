// HQ at chain scale under faults: three ingest worker processes on a real PostgreSQL and
// mosquitto, a fleet of virtual stores trading (the stores' real checkout, outbox,
// publisher and link code), then one worker SIGKILLed mid-batch, the broker restarted,
// PostgreSQL restarted mid-ingest, and a third of the stores cut off and back. In the
// end HQ holds every store's events exactly once, contiguous from 1, and HQ's
// projections equal each store's own SQLite: sales, takings, refunds, members' points.
import { resolve } from 'node:path';
import type pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../bench/fleet/fleet.js';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import { expectHqEqualsStores, waitHqComplete } from '../helpers/fleet-checks.js';
import { startWorker, type WorkerProcess } from '../helpers/hq-workers.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';

const STORES = 200;
let pgs: Postgres;
let broker: Broker;
let pool: pg.Pool;
let fleet: Fleet;
const workers: WorkerProcess[] = [];
/** each store's last log lines, shown when a store is left behind */
const storeLogs = new Map<string, string[]>();
const storeLog = (id: string) => {
  const lines: string[] = [];
  storeLogs.set(id, lines);
  return pino(
    { level: 'info' },
    {
      write: (line: string) => {
        if (lines.push(line.trimEnd()) > 80) lines.shift();
      },
    },
  );
};

beforeAll(async () => {
  [pgs, broker] = await Promise.all([startPostgres(), startMosquitto()]);
  pool = openPgPool(pgs.url);
  await migratePg(pool);
  for (const id of ['w1', 'w2', 'w3'])
    workers.push(await startWorker(id, { db: pgs.url, broker: broker.url, gapMs: 1500 }));
}, 90_000);

afterAll(async () => {
  await fleet?.stop();
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await pool?.end();
  await broker?.stop();
  await pgs?.stop();
});

describe('HQ ingest at chain scale, with faults', () => {
  it(`${STORES} stores, 3 workers: a worker killed, the broker and PostgreSQL restarted, stores cut off; nothing lost, nothing twice`, async () => {
    fleet = new Fleet({
      stores: STORES,
      broker: broker.url,
      seedFile: resolve('config/demo/catalog.json'),
      salesPerSecond: 0.15,
      dayLengthMs: 40_000,
      startHour: 7, // the store opens: a morning peak, then the day
      members: 10,
      refundShare: 0.05,
      seed: 42,
      log: storeLog,
    });
    fleet.start();
    await fleet.tradeTicks(30);

    // a worker dies mid-batch; a new one takes its place
    const victim = workers.shift()!;
    expect(await victim.stop('SIGKILL')).toBe(null);
    workers.push(await startWorker('w4', { db: pgs.url, broker: broker.url, gapMs: 1500 }));
    await fleet.tradeTicks(20);

    // the broker restarts: every store and worker loses its connection
    await broker.stop();
    await fleet.tradeTicks(15);
    await broker.start();
    await fleet.tradeTicks(25);

    // PostgreSQL restarts mid-ingest: workers keep their batches and retry
    await pgs.stop('fast');
    await fleet.tradeTicks(15);
    await pgs.start();
    await fleet.tradeTicks(20);

    // a third of the stores lose their link, keep selling, come back with a backlog
    const cut = await fleet.cut(1 / 3);
    expect(cut).toBeGreaterThan(20);
    await fleet.tradeTicks(20);
    fleet.heal();
    await fleet.tradeTicks(10);

    await waitHqComplete(pool, fleet, {
      explain: (behind) =>
        [
          ...behind.slice(0, 2).map((b) => (storeLogs.get(b.id) ?? []).join('\n')),
          ...workers.map((w) => w.output().slice(-2000)),
        ].join('\n\n'),
    });
    const { events: expected, sales: sold } = await expectHqEqualsStores(pool, fleet);
    expect(sold).toBeGreaterThan(STORES);

    // what the faults cost: resends asked for from the watermark, duplicates absorbed
    const w = await pool.query(
      'SELECT sum(resend_requests)::int AS resends, sum(duplicates)::int AS dups FROM store_watermarks',
    );
    console.log(JSON.stringify({ stores: STORES, events: expected, sales: sold, cut, ...w.rows[0] }));
    for (const x of workers) {
      const code = await x.stop('SIGTERM');
      expect(code, x.output().split('\n').slice(-8).join('\n')).toBe(0);
    }
    workers.length = 0;
  }, 240_000);
});
