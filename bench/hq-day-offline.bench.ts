// A reconnect storm the size of a real outage: 100 stores back after a day offline, each
// with about 30,000 events waiting in its outbox, draining through the store's real
// publisher and link at the store's default rate (mqtt.drainPerSecond, 500/s) into
// mosquitto's shared subscription and 3 ingest worker processes on PostgreSQL (gap timeout
// 3 s, HQ's default). Times until HQ holds every event, the peak and mean rates, how many
// resends the gaps asked for, and that every store is complete and contiguous. The
// backlogs are copies of a trading store's money events (its sales, points, coupons,
// refunds), each copy with its own members, coupons and sales, written into each virtual
// store's outbox before it connects. About 18 minutes here.
//   HQ_DAY_STORES=20 HQ_DAY_EVENTS=5000 npm run bench -- hq-day-offline   smaller, to try it
import { resolve } from 'node:path';
import { readOutbox } from '../edge/db/outbox.js';
import { migratePg, openPgPool } from '../hq/db/pg.js';
import { startWorker, type WorkerProcess } from '../test/helpers/hq-workers.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { Fleet, mulberry32 } from './fleet/fleet.js';
import { completeStores, heldEvents } from './fleet/hq-progress.js';
import { ownIdsJson } from './fleet/own-ids.js';
import { VirtualStore } from './fleet/virtual-store.js';

const STORES = Number(process.env.HQ_DAY_STORES ?? 100);
const EVENTS = Number(process.env.HQ_DAY_EVENTS ?? 30_000);
const DRAIN = 500;
const SEED = resolve('config/demo/catalog.json');
const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** A trading store's money events: its sales, points, coupons and refunds. */
function template(): { type: string; payload: string }[] {
  const t = new VirtualStore({
    storeId: 't',
    broker: 'mqtt://127.0.0.1:9',
    seedFile: SEED,
    members: 30,
    random: mulberry32(5),
  });
  for (let i = 0; i < 1000; i++) {
    t.sale();
    if (i % 20 === 0) t.refund();
  }
  const rows = readOutbox(t.db, 0, 1_000_000)
    .filter((r) => r.class === 'money')
    .map((r) => ({ type: r.type, payload: JSON.stringify(r.payload) }));
  t.db.close();
  return rows;
}

/** A day of the template's events in the store's outbox, unsent: copies, each with its own ids. */
function backlog(store: VirtualStore, rows: { type: string; payload: string }[], dayStart: number): void {
  const have = Number(store.db.prepare('SELECT count(*) FROM outbox').pluck().get());
  const add = store.db.prepare(
    "INSERT INTO outbox (event_id, type, class, payload, created_at) VALUES (?, ?, 'money', ?, ?)",
  );
  store.db.transaction(() => {
    let ids = new Map<string, string>();
    for (let i = have; i < EVENTS; i++) {
      const r = rows[i % rows.length]!;
      if (i % rows.length === 0) ids = new Map();
      add.run(
        crypto.randomUUID(),
        r.type,
        ownIdsJson(r.payload, ids),
        dayStart + Math.floor((i * 86_400_000) / EVENTS),
      );
    }
  })();
}

export async function run(): Promise<void> {
  const [pgs, broker] = await Promise.all([
    startPostgres(),
    startMosquitto('max_inflight_messages 0\nmax_queued_messages 100000'),
  ]);
  const pool = openPgPool(pgs.url, 2);
  const workers: WorkerProcess[] = [];
  let fleet: Fleet | null = null;
  try {
    await migratePg(pool);
    for (let i = 1; i <= 3; i++)
      workers.push(await startWorker(`day-${i}`, { db: pgs.url, broker: broker.url, gapMs: 3000 }));
    const rows = template();
    fleet = new Fleet({
      stores: STORES,
      broker: broker.url,
      seedFile: SEED,
      salesPerSecond: 0,
      members: 5,
      seed: 11,
      idPrefix: 'day',
      drainPerSecond: DRAIN,
    });
    const t0 = performance.now();
    const dayStart = Date.now() - 86_400_000;
    for (const s of fleet.stores) backlog(s, rows, dayStart);
    const totals = fleet.totals();
    const events = [...totals.values()].reduce((a, t) => a + t.maxSeq, 0);
    console.log(
      `${STORES} stores back after a day offline: ${fmt(events)} events waiting (${fmt(events / STORES)} a store, written in ${fmt((performance.now() - t0) / 1000, 1)} s), each store draining at most ${DRAIN}/s`,
    );

    const start = performance.now();
    fleet.start();
    let peak = 0;
    let last = 0;
    let lastAt = start;
    let n = 0;
    while (n < events) {
      await new Promise((r) => setTimeout(r, 1000));
      n = await heldEvents(pool);
      const now = performance.now();
      peak = Math.max(peak, (n - last) / ((now - lastAt) / 1000));
      last = n;
      lastAt = now;
      if (now - start > 40 * 60_000)
        throw new Error(`the day did not drain in 40 minutes: ${n} of ${events}`);
    }
    const s = (performance.now() - start) / 1000;
    const complete = await completeStores(pool, totals);
    const resends = await pool.query(
      'SELECT coalesce(sum(resend_requests), 0) AS n, coalesce(sum(duplicates), 0) AS d FROM store_watermarks',
    );
    const floor = Math.max(...[...totals.values()].map((t) => t.maxSeq)) / DRAIN;
    console.log(
      `drained in ${fmt(s, 1)} s (the stores' own drain rate alone needs ${fmt(floor, 1)} s): mean ${fmt(events / s)} events/s, peak ${fmt(peak)} events/s; ${complete} of ${STORES} stores complete and contiguous; ${resends.rows[0].n} resends asked, ${resends.rows[0].d} duplicates`,
    );
  } finally {
    await fleet?.stop();
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await pool.end();
    await broker.stop();
    await pgs.destroy();
  }
}
