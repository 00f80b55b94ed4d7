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
import { unsentSummary } from '../../edge/db/outbox.js';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import { startWorker, type WorkerProcess } from '../helpers/hq-workers.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';
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

    const totals = fleet.totals();
    const expected = [...totals.values()].reduce((a, t) => a + t.maxSeq, 0);
    let behind: unknown[] = [];
    await waitFor(
      'every store complete at HQ',
      async () => {
        const r = await pool.query('SELECT * FROM store_watermarks');
        const at = new Map(r.rows.map((x: { store_id: string; contiguous_seq: number }) => [x.store_id, x]));
        behind = fleet.stores
          .map((store, i) => ({ store, id: fleet.storeId(i), t: totals.get(fleet.storeId(i))! }))
          .filter(({ id, t }) => at.get(id)?.contiguous_seq !== t.maxSeq)
          .map(({ store, id, t }) => ({
            id,
            storeMax: t.maxSeq,
            unsent: unsentSummary(store.db).events,
            link: store.part.details().link,
            hq: at.get(id),
          }));
        return behind.length === 0 ? true : undefined;
      },
      90_000,
    ).catch((err) => {
      console.error(
        JSON.stringify(behind.slice(0, 4)),
        behind
          .slice(0, 2)
          .map((b) => (storeLogs.get((b as { id: string }).id) ?? []).join('\n'))
          .join('\n\n'),
        workers.map((w) => w.output().slice(-2000)).join('\n'),
      );
      throw err;
    });

    // exactly once: each store's events are 1..maxSeq, each present once
    const perStore = await pool.query(
      'SELECT store_id, count(*)::int AS n, min(seq)::int AS lo, max(seq)::int AS hi FROM events GROUP BY store_id',
    );
    expect(perStore.rows.length).toBe(STORES);
    for (const r of perStore.rows) {
      const t = totals.get(r.store_id)!;
      expect([r.n, r.lo, r.hi], r.store_id).toEqual([t.maxSeq, 1, t.maxSeq]);
    }
    expect(perStore.rows.reduce((a: number, r: { n: number }) => a + r.n, 0)).toBe(expected);
    expect((await pool.query('SELECT count(*)::int AS n FROM quarantine')).rows[0].n).toBe(0);

    // HQ's projections equal each store's own figures
    const sales = await pool.query(
      'SELECT store_id, count(*)::int AS n, sum(total_fen)::bigint AS fen FROM sales GROUP BY store_id',
    );
    const refunds = await pool.query(
      'SELECT store_id, count(*)::int AS n, sum(amount_fen)::bigint AS fen FROM refunds GROUP BY store_id',
    );
    const points = await pool.query(
      `SELECT DISTINCT ON (store_id, member_id) store_id, member_id, balance
         FROM points_movements ORDER BY store_id, member_id, seq DESC`,
    );
    const by = <T extends { store_id: string }>(rows: T[]) => new Map(rows.map((r) => [r.store_id, r]));
    const s = by(sales.rows);
    const rf = by(refunds.rows);
    let sold = 0;
    for (const [id, t] of totals) {
      sold += t.sales;
      expect([s.get(id)?.n ?? 0, s.get(id)?.fen ?? 0], `${id} sales`).toEqual([t.sales, t.totalFen]);
      expect([rf.get(id)?.n ?? 0, rf.get(id)?.fen ?? 0], `${id} refunds`).toEqual([t.refunds, t.refundedFen]);
    }
    for (const p of points.rows)
      expect(p.balance, `${p.store_id} ${p.member_id}`).toBe(totals.get(p.store_id)!.points[p.member_id]);
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
