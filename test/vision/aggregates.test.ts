// People-counting aggregates: one write per flush into minute, quarter and hour
// buckets with its outbox rows; roll-up-safe payloads; low disk stops telemetry but
// not the store's own figures; retention.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { Db } from '../../edge/db/open.js';
import { unsentSummary } from '../../edge/db/outbox.js';
import { tasks as housekeepingTasks, retentionOf } from '../../edge/housekeeping/tasks.js';
import { BacklogGuard } from '../../edge/sync/backlog.js';
import { VisionAggregates } from '../../edge/vision/aggregates.js';
import { startOfLocalDay } from '../../edge/vision/buckets.js';
import {
  conversionByHour,
  countSeries,
  dwellSeries,
  footfallSince,
  heatmapOver,
  zoneDwellVsSales,
} from '../../edge/vision/queries.js';
import { cashSale, demoDb } from '../helpers/store.js';

const gtinOfSnack = (db: Db) =>
  (
    db
      .prepare(`SELECT gtin FROM products WHERE category_id = 'snacks' AND min_age = 0 LIMIT 1`)
      .pluck()
      .get() as string
  ).slice(1);

const T0 = Date.UTC(2026, 10, 20, 2, 0); // 10:00 in Shanghai

function setup(accepts = () => true) {
  const db = demoDb();
  let now = T0;
  const agg = new VisionAggregates({ db: () => db, now: () => now, acceptsTelemetry: accepts });
  return { db, agg, at: (t: number) => (now = t) };
}

const outbox = (db: Db, type: string) =>
  (
    db.prepare('SELECT payload FROM outbox WHERE type = ? ORDER BY seq').all(type) as { payload: string }[]
  ).map((r) => JSON.parse(r.payload));

const grid = (n: number, at: number, v: number) => {
  const cells = new Float64Array(n);
  cells[at] = v;
  return { cols: 4, rows: 2, cellM: 0.5, cells };
};

describe('vision aggregates', () => {
  it('writes crossings and visits into 1m, 15m and 1h buckets with one outbox row a flush', () => {
    const { db, agg, at } = setup();
    agg.crossing('door', 'entrance', true, 'in', T0 + 5_000);
    agg.crossing('door', 'entrance', true, 'in', T0 + 65_000);
    agg.crossing('door', 'entrance', true, 'out', T0 + 70_000);
    agg.visit('aisle', 'promo', T0 + 30_000, 12_000);
    at(T0 + 80_000);
    expect(agg.flush()).toBe(1);
    const minutes = countSeries(db, { from: T0, to: T0 + 3_600_000, res: '1m' });
    expect(minutes.map((r) => [r.bucket - T0, r.ins, r.outs])).toEqual([
      [0, 1, 0],
      [60_000, 1, 1],
    ]);
    expect(countSeries(db, { from: T0, to: T0 + 3_600_000, res: '1h' })).toEqual([
      expect.objectContaining({
        cameraId: 'door',
        lineId: 'entrance',
        bucket: T0,
        ins: 2,
        outs: 1,
        footfall: true,
      }),
    ]);
    expect(dwellSeries(db, { from: T0, to: T0 + 900_000, res: '15m' })).toEqual([
      expect.objectContaining({ zoneId: 'promo', visits: 1, dwellMs: 12_000, avgDwellMs: 12_000 }),
    ]);
    const [row] = outbox(db, 'vision.counts');
    expect(row.cameras.door.minutes['2026-11-20T02:01Z'].lines.entrance).toEqual({ in: 1, out: 1 });
    expect(row.cameras.aisle.minutes['2026-11-20T02:00Z'].zones.promo).toEqual({
      visits: 1,
      dwellMs: 12_000,
    });
    // nothing new: no write, no row
    expect(agg.flush()).toBe(0);
  });

  it('a second flush in the same minute adds to the buckets and sends the increment', () => {
    const { db, agg } = setup();
    agg.crossing('door', 'entrance', true, 'in', T0 + 1_000);
    agg.flush();
    agg.crossing('door', 'entrance', true, 'in', T0 + 2_000);
    agg.flush();
    expect(countSeries(db, { from: T0, to: T0 + 60_000, res: '1m' })[0]!.ins).toBe(2);
    const rows = outbox(db, 'vision.counts');
    expect(rows.map((r) => r.cameras.door.minutes['2026-11-20T02:00Z'].lines.entrance.in)).toEqual([1, 1]);
  });

  it('the backlog guard’s roll-up of counts rows keeps every camera and every count', () => {
    const { db, agg, at } = setup();
    for (let m = 0; m < 30; m++) {
      agg.crossing(m % 2 ? 'door' : 'side', 'entrance', true, 'in', T0 + m * 60_000);
      at(T0 + m * 60_000 + 1000);
      agg.flush();
    }
    // just over budget: rolling up is enough, nothing needs dropping
    const bytes = unsentSummary(db).bytes;
    const guard = new BacklogGuard({
      db,
      log: pino({ level: 'silent' }),
      highWaterBytes: Math.floor(bytes * 0.95),
      lowWaterBytes: Math.floor(bytes * 0.9),
      dataDir: mkdtempSync(join(tmpdir(), 'vision-backlog-')),
      diskLowBytes: 10,
      diskCriticalBytes: 5,
      freeBytes: () => 1e9,
    });
    guard.check();
    const heads = outbox(db, 'vision.counts').filter((p) => p.cameras);
    expect(heads.length).toBeLessThan(30);
    let total = 0;
    for (const h of heads)
      for (const cam of Object.values(h.cameras) as {
        minutes: Record<string, { lines: { entrance: { in: number } } }>;
      }[])
        for (const m of Object.values(cam.minutes)) total += m.lines.entrance.in;
    expect(total).toBe(30);
    expect(Object.keys(heads[0].cameras).sort()).toEqual(['door', 'side']);
  });

  it('heatmap seconds add up per quarter and hour; a closed quarter goes to HQ once, whole', () => {
    const { db, agg, at } = setup();
    agg.heatmap('aisle', T0 + 10_000, grid(8, 5, 2.5));
    at(T0 + 60_000);
    agg.flush();
    agg.heatmap('aisle', T0 + 70_000, grid(8, 5, 1.5));
    at(T0 + 120_000);
    agg.flush();
    expect(outbox(db, 'vision.heatmap')).toEqual([]); // the quarter is still open
    const h = heatmapOver(db, 'aisle', T0, T0 + 3_600_000)!;
    expect(h.cells[5]).toBeCloseTo(4);
    expect(h.peopleSeconds).toBe(4);
    at(T0 + 15 * 60_000 + 1);
    agg.flush();
    const [row] = outbox(db, 'vision.heatmap');
    expect(row.cameras.aisle.quarters['2026-11-20T02:00Z']).toMatchObject({ cols: 4, rows: 2, cellM: 0.5 });
    expect(row.cameras.aisle.quarters['2026-11-20T02:00Z'].cells[5]).toBe(4);
    at(T0 + 20 * 60_000);
    agg.flush();
    expect(outbox(db, 'vision.heatmap')).toHaveLength(1);
  });

  it('a recording analysed off real time: heat for a closed quarter goes as increments that add up to the store’s grid', () => {
    const { db, agg, at } = setup();
    at(T0 + 3_600_000); // an hour later, the 10:00 quarter long closed
    agg.heatmap('aisle', T0 + 10_000, grid(8, 5, 2.5));
    agg.flush();
    agg.heatmap('aisle', T0 + 20_000, grid(8, 5, 1.5));
    agg.heatmap('aisle', T0 + 20_000, grid(8, 2, 1));
    agg.flush();
    agg.flush(); // nothing new: nothing sent
    const rows = outbox(db, 'vision.heatmap').map((r) => r.cameras.aisle.quarters['2026-11-20T02:00Z'].cells);
    expect(rows.map((c) => [c[5], c[2]])).toEqual([
      [2.5, 0],
      [1.5, 1],
    ]);
    const store = heatmapOver(db, 'aisle', T0, T0 + 900_000)!;
    expect(store.cells[5]).toBeCloseTo(rows[0][5] + rows[1][5]);
    expect(store.cells[2]).toBeCloseTo(1);
  });
  it('with the disk low, the store keeps its figures but writes no telemetry', () => {
    const { db, agg } = setup(() => false);
    agg.crossing('door', 'entrance', true, 'in', T0);
    expect(agg.flush()).toBe(0);
    expect(footfallSince(db, T0)).toEqual({ ins: 1, outs: 0 });
    expect(outbox(db, 'vision.counts')).toEqual([]);
    expect(agg.skippedTelemetry()).toBe(1);
  });

  it('footfall and conversion: entrance lines only, sales per person per hour', () => {
    const { db, agg, at } = setup();
    for (let i = 0; i < 10; i++) agg.crossing('door', 'entrance', true, 'in', T0 + i * 1000);
    agg.crossing('aisle', 'aisle-3', false, 'in', T0);
    agg.flush();
    at(T0 + 60_000);
    expect(footfallSince(db, startOfLocalDay(T0, 'Asia/Shanghai'))).toEqual({ ins: 10, outs: 0 });
    expect(agg.pendingFootfall(T0)).toEqual({ ins: 0, outs: 0 });
    const hours = conversionByHour(db, T0, T0 + 2 * 3_600_000);
    expect(hours).toHaveLength(2);
    expect(hours[0]).toMatchObject({ hour: T0, footfall: 10 });
    expect(hours[1]).toMatchObject({ footfall: 0, conversion: null });
  });

  it('dwell against sales per zone: the categories on its shelves, sub-categories included, refunds off', () => {
    const { db, agg } = setup();
    agg.visit('aisle', 'dairy-end', T0 + 60_000, 30_000);
    agg.visit('aisle', 'dairy-end', T0 + 120_000, 10_000);
    agg.flush();
    cashSale(db, ['6922001001036'], 0, T0 + 300_000, 2); // two litres of milk (dairy)
    cashSale(db, [gtinOfSnack(db)], 0, T0 + 400_000, 1); // a snack: not on this zone's shelves
    const zone = (categories: string[]) =>
      zoneDwellVsSales(db, [{ cameraId: 'aisle', zoneId: 'dairy-end', categories }], T0, T0 + 3_600_000)[0]!;
    expect(zone(['dairy'])).toMatchObject({
      visits: 2,
      avgDwellMs: 20_000,
      units: 2,
      salesPerVisitFen: 1290,
    });
    // a parent category takes in its children
    expect(zone(['food']).units).toBeGreaterThanOrEqual(2);
    expect(zone(['cleaning']).units).toBe(0);
  });

  it('housekeeping prunes minute and quarter rows past retention, keeps hours within theirs', () => {
    const { db, agg } = setup();
    agg.crossing('door', 'entrance', true, 'in', T0);
    agg.flush();
    // the default windows: minutes 2 days, quarters 35, hours 400
    const vision = housekeepingTasks(retentionOf(loadConfig().config)).find((t) => t.name === 'vision')!;
    expect(vision.batch(db, T0 + 40 * 86_400_000, 100)).toBe(2);
    const res = (db.prepare('SELECT res FROM vision_counts ORDER BY res').all() as { res: string }[]).map(
      (r) => r.res,
    );
    expect(res).toEqual(['1h']);
    expect(vision.batch(db, T0 + 401 * 86_400_000, 100)).toBe(1);
  });

  it('the local day starts at midnight in the store’s time zone', () => {
    // 2026-11-20 01:30 UTC is 09:30 in Shanghai: the day began at 16:00 UTC the day before
    expect(new Date(startOfLocalDay(Date.UTC(2026, 10, 20, 1, 30), 'Asia/Shanghai')).toISOString()).toBe(
      '2026-11-19T16:00:00.000Z',
    );
  });
});
