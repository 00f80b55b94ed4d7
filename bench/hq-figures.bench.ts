// HQ's figures (issue 14) on a chain's week, in one run on this machine: 200 stores, each
// with a week of real events from the store's own checkout, coupons, members and people
// counting (a virtual store's outbox, copied per store and day), projected into a real
// PostgreSQL. Then each figure query of HQ's page, timed (median of 5), against a
// baseline in the same run: a bare sum of the same sales per store (what any report
// must read at least). With PostgreSQL's JIT on (its default) and off, since the
// figures' jsonb-heavy plans are where JIT compilation may cost more than it saves.
import { resolve } from 'node:path';
import type pg from 'pg';
import { readOutbox } from '../edge/db/outbox.js';
import { migratePg, openPgPool } from '../hq/db/pg.js';
import { campaignFigures } from '../hq/figures/campaigns.js';
import { storeFigures } from '../hq/figures/store-figures.js';
import { zoneFigures } from '../hq/figures/zones.js';
import { writeProjectionsPg } from '../hq/ingest/projections.js';
import type { WireEvent } from '../sync/topics.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { mulberry32 } from './fleet/fleet.js';
import { VirtualStore } from './fleet/virtual-store.js';

const STORES = 200;
const DAYS = 7;
const SALES_PER_DAY = 60;
const DAY = 86_400_000;
const SEED = resolve('config/demo/catalog.json');

/** A day of one store's events: its sales, coupons, points, members, counts and heatmaps. */
function templateDay(): WireEvent[] {
  const s = new VirtualStore({
    storeId: 't',
    broker: 'mqtt://127.0.0.1:9',
    seedFile: SEED,
    members: 10,
    random: mulberry32(5),
  });
  for (let i = 0; i < SALES_PER_DAY; i++) {
    s.sale();
    s.footfall();
    s.footfall();
    if (i % 20 === 0) s.refund();
  }
  const rows = readOutbox(s.db, 0, 1_000_000);
  s.db.close();
  return rows.map((r) => ({ ...r, storeId: 't', eventId: String(r.seq) }));
}

/** The template moved `days` back: event time, sale and refund times, and the minute/quarter keys. */
function shifted(e: WireEvent, storeId: string, seq: number, days: number): WireEvent {
  const ms = days * DAY;
  const iso = (k: string) => new Date(Date.parse(k) - ms).toISOString();
  let payload = e.payload as Record<string, unknown>;
  if (typeof payload.at === 'number') payload = { ...payload, at: payload.at - ms };
  if (e.type === 'vision.counts' || e.type === 'vision.heatmap') {
    const cams = payload.cameras as Record<string, Record<string, Record<string, unknown>>>;
    payload = {
      cameras: Object.fromEntries(
        Object.entries(cams).map(([cam, c]) => [
          cam,
          Object.fromEntries(
            Object.entries(c).map(([k, byTime]) => [
              k,
              Object.fromEntries(Object.entries(byTime).map(([t, v]) => [iso(t), v])),
            ]),
          ),
        ]),
      ),
    };
  }
  return { ...e, storeId, seq, eventId: `${storeId}-${seq}`, createdAt: e.createdAt - ms, payload };
}

async function load(pool: pg.Pool): Promise<number> {
  const day = templateDay();
  let sales = 0;
  for (let s = 0; s < STORES; s++) {
    const storeId = `fig-${String(s).padStart(4, '0')}`;
    const batch: WireEvent[] = [];
    for (let d = 0; d < DAYS; d++)
      for (const e of day) {
        // the layout once per store
        if (e.type === 'store.layout' && d > 0) continue;
        batch.push(shifted(e, storeId, batch.length + 1, d));
        if (e.type === 'sale.completed') sales++;
      }
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await writeProjectionsPg(c, batch);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  }
  await pool.query('ANALYZE');
  return sales;
}

async function median(f: () => Promise<unknown>, n = 5): Promise<number> {
  await f(); // warm: plans and caches
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

export async function run(): Promise<void> {
  const pgs = await startPostgres();
  // as HQ's API has it (8 connections: a page's figure queries run side by side), and
  // the same with PostgreSQL's JIT on
  const pools = { off: openPgPool(pgs.url, 8), on: openPgPool(pgs.url, 8, { jit: true }) };
  try {
    await migratePg(pools.off);
    const t0 = performance.now();
    const sales = await load(pools.off);
    console.log(
      `loaded ${STORES} stores × ${DAYS} days: ${sales} sales in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const to = Date.now() + 60_000;
    const from = to - DAYS * DAY - 3_600_000;
    const week = { stores: null, from, to };
    for (const jit of ['on', 'off'] as const) {
      const pool = pools[jit];
      const base = await median(() =>
        pool.query(
          'SELECT store_id, count(*), sum(total_fen) FROM sales WHERE sold_at >= $1 AND sold_at < $2 GROUP BY 1',
          [from, to],
        ),
      );
      const queries: [string, () => Promise<unknown>][] = [
        [
          'ranking: every store, the week, all figures',
          () => storeFigures(pool, { ...week, timeZone: 'Asia/Shanghai', bucket: 'total' }),
        ],
        [
          'one store by hour, the week',
          () =>
            storeFigures(pool, { ...week, stores: ['fig-0007'], timeZone: 'Asia/Shanghai', bucket: 'hour' }),
        ],
        ['zones against sales, every store', () => zoneFigures(pool, week)],
        ['one zone type across stores', () => zoneFigures(pool, { ...week, zoneType: 'dairy-shelf' })],
        ['campaigns, chain-wide', () => campaignFigures(pool, week)],
      ];
      console.log(
        `\nPostgreSQL jit ${jit}${jit === 'off' ? " (HQ's setting)" : ''}: baseline (bare sum of the week's sales per store) ${base.toFixed(1)} ms`,
      );
      for (const [name, f] of queries) {
        const ms = await median(f);
        console.log(
          `  ${name.padEnd(46)} ${ms.toFixed(1).padStart(8)} ms   ${(ms / base).toFixed(1)}× baseline`,
        );
      }
    }
  } finally {
    await Promise.all([pools.on.end(), pools.off.end()]);
    await pgs.destroy();
  }
}
