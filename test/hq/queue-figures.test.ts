// The kiosks' queues at HQ: closed hours two stores sent (vision.queue), HQ held before it
// projected them, then more through the projections, summed per store and zone by day and
// in total, with the means weighted by the seconds watched.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PG_MIGRATIONS } from '../../hq/db/migrations.js';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import { queueFigures } from '../../hq/figures/queues.js';
import { writeProjectionsPg } from '../../hq/ingest/projections.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';

let pgs: Postgres;
let pool: ReturnType<typeof openPgPool>;
beforeAll(async () => {
  pgs = await startPostgres();
  pool = openPgPool(pgs.url, 2);
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await pgs?.stop();
});

const hour = (hh: string, day = '02') => Date.parse(`2026-11-${day}T${hh}:00:00+08:00`);
const q = (h: number, seconds: number, people: number, o: Record<string, unknown> = {}) => ({
  cameraId: 'floor',
  zoneId: 'kiosk-queue',
  hour: h,
  seconds,
  personSeconds: people,
  maxLength: 3,
  alerts: 0,
  alertSeconds: 0,
  waitSeconds: 0,
  waitSamples: 0,
  maxWaitSeconds: null,
  ...o,
});

it("sums the stores' queue hours by store, zone and day", async () => {
  expect(
    await migratePg(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 19),
    ),
  ).toMatchObject({ to: 18 });
  await pool.query(
    `INSERT INTO events (store_id, seq, event_id, type, class, created_at, payload, digest)
     VALUES ('s1', 1, 'e1', 'vision.queue', 'state', 0, $1, '\\x00')`,
    [
      JSON.stringify(
        q(hour('10'), 3600, 7200, {
          alerts: 1,
          alertSeconds: 600,
          waitSeconds: 6000,
          waitSamples: 50,
          maxWaitSeconds: 240,
          maxLength: 6,
        }),
      ),
    ],
  );
  expect(await migratePg(pool)).toMatchObject({ from: 18 });
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await writeProjectionsPg(c, [
      {
        storeId: 's1',
        seq: 2,
        eventId: 'e2',
        type: 'vision.queue',
        class: 'state',
        createdAt: 0,
        payload: q(hour('11'), 1800, 900),
      },
      {
        storeId: 's1',
        seq: 3,
        eventId: 'e3',
        type: 'vision.queue',
        class: 'state',
        createdAt: 0,
        payload: q(hour('09', '03'), 3600, 0, { maxLength: 0 }),
      },
      {
        storeId: 's2',
        seq: 1,
        eventId: 'f1',
        type: 'vision.queue',
        class: 'state',
        createdAt: 0,
        payload: q(hour('10'), 3600, 3600),
      },
    ]);
    // a repeat of an event changes nothing
    await writeProjectionsPg(c, [
      {
        storeId: 's1',
        seq: 2,
        eventId: 'e2',
        type: 'vision.queue',
        class: 'state',
        createdAt: 0,
        payload: q(hour('11'), 1800, 900),
      },
    ]);
    await c.query('COMMIT');
  } finally {
    c.release();
  }
  const period = { from: hour('00'), to: hour('00', '04'), timeZone: 'Asia/Shanghai' };
  const total = await queueFigures(pool, { stores: null, ...period, bucket: 'total' });
  expect(total).toEqual([
    {
      storeId: 's1',
      cameraId: 'floor',
      zoneId: 'kiosk-queue',
      bucket: 'total',
      seconds: 9000,
      avgLength: 0.9, // (7200 + 900 + 0) / 9000
      maxLength: 6,
      alerts: 1,
      alertMinutes: 10,
      alertShare: 0.0667,
      avgWaitSeconds: 120,
      maxWaitSeconds: 240,
    },
    {
      storeId: 's2',
      cameraId: 'floor',
      zoneId: 'kiosk-queue',
      bucket: 'total',
      seconds: 3600,
      avgLength: 1,
      maxLength: 3,
      alerts: 0,
      alertMinutes: 0,
      alertShare: 0,
      avgWaitSeconds: null,
      maxWaitSeconds: null,
    },
  ]);
  const days = await queueFigures(pool, { stores: ['s1'], ...period, bucket: 'day' });
  expect(days.map((d) => [d.bucket, d.seconds, d.avgLength])).toEqual([
    ['2026-11-02', 5400, 1.5],
    ['2026-11-03', 3600, 0],
  ]);
}, 60_000);
