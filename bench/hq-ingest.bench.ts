// HQ ingest into PostgreSQL (issue 13), in one run on this machine:
//   1. events/s through the ingest path (mosquitto shared subscription → worker
//      processes → validation, events, projections, watermark in one transaction per
//      batch) with 1 and with 3 workers, against a raw COPY of the same rows into the
//      events table (the most PostgreSQL itself takes);
//   2. 1,000 virtual stores (the store's real publisher and link) reconnecting at once
//      after an outage, each with a backlog: time until HQ holds every event, the peak
//      rate, and that nothing is missing.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import mqtt from 'mqtt';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { readOutbox } from '../edge/db/outbox.js';
import { migratePg, openPgPool } from '../hq/db/pg.js';
import { digestOf } from '../hq/ingest/classify.js';
import type { WireEvent } from '../sync/topics.js';
import { startWorker, type WorkerProcess } from '../test/helpers/hq-workers.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { Fleet, mulberry32 } from './fleet/fleet.js';
import { completeStores, heldEvents } from './fleet/hq-progress.js';
import { ownIds } from './fleet/own-ids.js';
import { VirtualStore } from './fleet/virtual-store.js';

const STORES = 300;
const SALES_PER_STORE = 120;
const STORM_STORES = 1000;
const STORM_SALES = 8;
const SEED = resolve('config/demo/catalog.json');

/** Real events of a trading store, copied for each bench store under its own id and sequence. */
function events(): WireEvent[] {
  const template = new VirtualStore({
    storeId: 't',
    broker: 'mqtt://127.0.0.1:9',
    seedFile: SEED,
    members: 10,
    random: mulberry32(3),
  });
  for (let i = 0; i < SALES_PER_STORE; i++) {
    template.sale();
    if (i % 20 === 0) template.refund();
  }
  const rows = readOutbox(template.db, 0, 1_000_000).filter((r) => r.class === 'money');
  template.db.close();
  const out: WireEvent[] = [];
  for (let s = 0; s < STORES; s++) {
    const storeId = `bench-${String(s).padStart(4, '0')}`;
    const ids = new Map<string, string>();
    rows.forEach((r, i) => {
      out.push({
        storeId,
        seq: i + 1,
        eventId: randomUUID(),
        type: r.type,
        class: r.class,
        createdAt: r.createdAt,
        payload: ownIds(r.payload, ids),
      });
    });
  }
  return out;
}

const csv = (v: string) => `"${v.replaceAll('"', '""')}"`;

async function copyBaseline(pool: pg.Pool, all: WireEvent[]): Promise<number> {
  const lines = all.map((e) => {
    const fields = [
      csv(e.storeId),
      e.seq,
      csv(e.eventId),
      csv(e.type),
      e.class,
      e.createdAt,
      csv(JSON.stringify(e.payload)),
      `\\x${digestOf(e).toString('hex')}`,
    ];
    return `${fields.join(',')}\n`;
  });
  const c = await pool.connect();
  try {
    const t0 = performance.now();
    await pipeline(
      Readable.from(lines),
      c.query(
        copyFrom(
          'COPY events (store_id, seq, event_id, type, class, created_at, payload, digest) FROM STDIN WITH (FORMAT csv)',
        ),
      ),
    );
    return all.length / ((performance.now() - t0) / 1000);
  } finally {
    c.release();
  }
}

async function reset(pool: pg.Pool): Promise<void> {
  await pool.query(
    'TRUNCATE events, store_watermarks, quarantine, store_state, sales, sale_lines, sale_payments, refunds, coupon_redemptions, points_movements, store_hours, coupon_hours, line_hours',
  );
}

/** Publishes every event as fast as QoS 1 allows (256 in flight) and times until HQ holds them all. */
async function throughWorkers(pool: pg.Pool, brokerUrl: string, all: WireEvent[]): Promise<number> {
  const pub = await mqtt.connectAsync(brokerUrl, {
    protocolVersion: 5,
    clientId: `bench-pub-${randomUUID()}`,
  });
  const t0 = performance.now();
  let next = 0;
  const one = async () => {
    while (next < all.length) {
      const e = all[next++]!;
      await pub.publishAsync(`storeedge/v1/${e.storeId}/evt/${e.type}`, JSON.stringify(e), { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: 256 }, one));
  while ((await heldEvents(pool)) < all.length) {
    if (performance.now() - t0 > 300_000) throw new Error('ingest did not finish in 5 minutes');
    await new Promise((r) => setTimeout(r, 50));
  }
  const rate = all.length / ((performance.now() - t0) / 1000);
  await pub.endAsync();
  return rate;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function run(): Promise<void> {
  const [pgs, broker] = await Promise.all([
    startPostgres(),
    startMosquitto('max_inflight_messages 0\nmax_queued_messages 100000'),
  ]);
  const pool = openPgPool(pgs.url, 4);
  const workers: WorkerProcess[] = [];
  try {
    await migratePg(pool);
    const all = events();
    console.log(`${fmt(all.length)} money events of ${STORES} stores (real sales, points, coupons, refunds)`);
    const copyRate = await copyBaseline(pool, all);
    console.log(`raw COPY into events: ${fmt(copyRate)} events/s`);
    await reset(pool);

    for (const n of [1, 3]) {
      while (workers.length < n)
        workers.push(
          await startWorker(`bench-${workers.length + 1}`, {
            db: pgs.url,
            broker: broker.url,
            gapMs: 60_000,
          }),
        );
      const rate = await throughWorkers(pool, broker.url, all);
      console.log(
        `ingest with ${n} worker${n > 1 ? 's' : ''}: ${fmt(rate)} events/s (validated, stored, projected, watermarked) = ${(rate / copyRate).toFixed(2)} of raw COPY`,
      );
      await reset(pool);
    }

    // the reconnect storm
    const fleet = new Fleet({
      stores: STORM_STORES,
      broker: broker.url,
      seedFile: SEED,
      salesPerSecond: 0,
      members: 5,
      seed: 9,
      idPrefix: 'storm',
      drainPerSecond: 2000,
    });
    for (const s of fleet.stores) for (let i = 0; i < STORM_SALES; i++) s.sale();
    const totals = fleet.totals();
    const backlog = [...totals.values()].reduce((a, t) => a + t.maxSeq, 0);
    const t0 = performance.now();
    fleet.start();
    let peak = 0;
    let last = 0;
    let lastAt = t0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const n = await heldEvents(pool);
      const now = performance.now();
      peak = Math.max(peak, (n - last) / ((now - lastAt) / 1000));
      last = n;
      lastAt = now;
      if (n >= backlog) break;
      if (now - t0 > 600_000) throw new Error(`storm did not drain: ${n} of ${backlog}`);
    }
    const drainS = (performance.now() - t0) / 1000;
    const complete = await completeStores(pool, totals);
    console.log(
      `reconnect storm: ${STORM_STORES} stores with ${fmt(backlog)} events backlogged, 3 workers: drained in ${drainS.toFixed(1)} s, peak ${fmt(peak)} events/s, ${complete} of ${STORM_STORES} stores complete and contiguous`,
    );
    await fleet.stop();
  } finally {
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await pool.end();
    await broker.stop();
    await pgs.destroy();
  }
}
