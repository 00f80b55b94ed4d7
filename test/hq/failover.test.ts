// HQ losing its database primary mid-ingest: PostgreSQL as a real Patroni cluster on etcd
// (a primary and a synchronous standby), two ingest worker processes and HQ's API service
// connected by the multi-host URL, a fleet of virtual stores trading. The primary's whole
// node is SIGKILLed (Patroni and PostgreSQL, a lost machine): Patroni promotes the standby,
// the workers' next connection finds it, the stores' outboxes carry the gap. In the end
// HQ holds every event exactly once and its projections equal the stores' SQLite; the
// killed node rejoins as the synchronous standby and holds the same events; and HQ's
// figures are read from the standby while there is one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../bench/fleet/fleet.js';
import { loadHqConfig } from '../../hq/config.js';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import { type HqService, hqService } from '../../hq/service.js';
import { hashPin } from '../../sync/kernel/pin.js';
import { expectHqEqualsStores, waitHqComplete } from '../helpers/fleet-checks.js';
import { startWorker, type WorkerProcess } from '../helpers/hq-workers.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { type PgCluster, startPgCluster } from '../helpers/patroni.js';
import { waitFor } from '../helpers/ports.js';

const STORES = 40;
const dir = mkdtempSync(join(tmpdir(), 'storeedge-hq-failover-'));
let cluster: PgCluster;
let broker: Broker;
let pool: pg.Pool;
let fleet: Fleet;
let svc: HqService;
let base = '';
let token = '';
const workers: WorkerProcess[] = [];

const onServer = async (p: pg.Pool) =>
  (await p.query('SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby')).rows[0] as {
    port: number;
    standby: boolean;
  };

async function figures(): Promise<{ status: number; sales: number }> {
  const [from, to] = [Date.now() - 86_400_000, Date.now() + 3_600_000];
  const res = await fetch(`${base}/api/v1/figures/stores?from=${from}&to=${to}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { stores?: { tickets: number }[] };
  if (res.status !== 200) console.error(JSON.stringify(body));
  return { status: res.status, sales: (body.stores ?? []).reduce((a, s) => a + s.tickets, 0) };
}

beforeAll(async () => {
  [cluster, broker] = await Promise.all([startPgCluster(), startMosquitto()]);
  await cluster.leader();
  await cluster.syncStandby();
  pool = openPgPool(cluster.url);
  await migratePg(pool);
  for (const id of ['w1', 'w2'])
    workers.push(await startWorker(id, { db: cluster.url, broker: broker.url, gapMs: 1500 }));
  writeFileSync(
    join(dir, 'hq.yaml'),
    `db: "${cluster.url}"
broker: { url: ${broker.url} }
http: { port: 0 }
ingest: { workers: 1, gapTimeoutMs: 1500 }
users:
  - { id: ana, role: analyst, passwordHash: "${hashPin('read-only', undefined, 1024)}" }
`,
  );
  svc = hqService(loadHqConfig(join(dir, 'hq.yaml')), {
    id: 'failover',
    log: pino({ level: 'silent' }),
    http: true,
  });
  await svc.lifecycle.start();
  base = svc.http!.address;
  const r = await fetch(`${base}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'ana', password: 'read-only' }),
  });
  token = ((await r.json()) as { token: string }).token;
}, 180_000);

afterAll(async () => {
  await fleet?.stop();
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await svc?.lifecycle.stop();
  await pool?.end();
  await broker?.stop();
  await cluster?.destroy();
});

describe('HQ on an HA PostgreSQL cluster', () => {
  it('the primary is lost mid-ingest: the standby takes over, nothing lost or doubled, the node rejoins', async () => {
    const first = await cluster.leader();
    const standby = await cluster.syncStandby();
    expect(standby.name).not.toBe(first.name);
    // writes go to the primary, HQ's figures to the standby
    expect(await onServer(pool)).toEqual({ port: first.port, standby: false });
    expect(await onServer(svc.readPool!)).toEqual({ port: standby.port, standby: true });

    fleet = new Fleet({
      stores: STORES,
      broker: broker.url,
      seedFile: resolve('config/demo/catalog.json'),
      salesPerSecond: 0.3,
      dayLengthMs: 40_000,
      startHour: 9,
      members: 6,
      refundShare: 0.05,
      seed: 7,
      idPrefix: 'ha',
    });
    fleet.start();
    await fleet.tradeTicks(40);
    expect(
      ((await pool.query('SELECT count(*)::int AS n FROM events')).rows[0] as { n: number }).n,
    ).toBeGreaterThan(0);
    expect((await figures()).status).toBe(200);

    // the primary's machine is lost while the fleet trades and the workers write
    const killedAt = Date.now();
    await cluster.kill(first);
    await fleet.tradeTicks(30);
    const second = await cluster.leader(60_000);
    expect(second.name).toBe(standby.name);
    const promotedMs = Date.now() - killedAt;
    await fleet.tradeTicks(30);

    // the lost node comes back: Patroni rewinds it and it follows the new primary
    await cluster.start(first);
    expect((await cluster.syncStandby(90_000)).name).toBe(first.name);
    await fleet.tradeTicks(20);

    await waitHqComplete(pool, fleet, {
      timeoutMs: 120_000,
      explain: () =>
        [...workers.map((w) => w.output().slice(-3000)), cluster.log().slice(-4000)].join('\n\n'),
    });
    expect(await onServer(pool)).toEqual({ port: second.port, standby: false });
    const { events, sales } = await expectHqEqualsStores(pool, fleet);
    expect(sales).toBeGreaterThan(STORES);

    // the rejoined standby holds exactly what the primary holds
    const direct = new pg.Pool({
      host: '127.0.0.1',
      port: first.port,
      user: 'hq',
      database: 'postgres',
      max: 1,
    });
    try {
      await waitFor(
        'the rejoined standby replays every event',
        async () =>
          ((await direct.query('SELECT count(*)::int AS n FROM events')).rows[0] as { n: number }).n ===
          events
            ? true
            : undefined,
        30_000,
      );
      expect((await direct.query('SELECT pg_is_in_recovery() AS r')).rows[0].r).toBe(true);
    } finally {
      await direct.end();
    }

    // HQ's API kept answering figures, and they count every sale
    const f = await figures();
    expect(f.status).toBe(200);
    expect(f.sales).toBe(sales);
    console.log(JSON.stringify({ stores: STORES, events, sales, promotedMs }));
    for (const x of workers) {
      const code = await x.stop('SIGTERM');
      expect(code, x.output().split('\n').slice(-8).join('\n')).toBe(0);
    }
    workers.length = 0;
  }, 360_000);
});
