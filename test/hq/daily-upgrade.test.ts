// An HQ upgraded to the daily rollups (migration 14) holds years of sales already: the
// migration fills the days from the projections, and a whole day is read from them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PG_MIGRATIONS } from '../../hq/db/migrations.js';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import { storeFigures } from '../../hq/figures/store-figures.js';
import { writeProjectionsPg } from '../../hq/ingest/projections.js';
import type { WireEvent } from '../../sync/topics.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';

let pgs: Postgres;
let pool: ReturnType<typeof openPgPool>;

beforeAll(async () => {
  pgs = await startPostgres();
  pool = openPgPool(pgs.url, 2);
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await pgs?.destroy();
});

const day = Date.parse('2026-11-02T00:00:00+08:00');
const sale = (seq: number, at: number, totalFen: number): WireEvent => ({
  storeId: 'store-u',
  seq,
  eventId: `u-${seq}`,
  type: 'sale.completed',
  class: 'money',
  createdAt: at,
  payload: {
    saleId: `U${seq}`,
    receiptNo: `U${seq}`,
    channel: 'pos',
    kioskId: null,
    memberId: null,
    grossFen: totalFen,
    promoDiscountFen: 0,
    couponDiscountFen: 0,
    totalFen,
    taxFen: 0,
    pointsEarned: 0,
    lines: [
      {
        gtin: '06922003001041',
        qty: 2,
        weightG: null,
        unitPriceFen: totalFen / 2,
        grossFen: totalFen,
        finalFen: totalFen,
        taxFen: 0,
        categories: [],
      },
    ],
    payments: [{ kind: 'cash', amountFen: totalFen, reference: `cash-${seq}` }],
    at,
  },
});

it('fills the daily rollups from the sales HQ already holds', async () => {
  expect(
    await migratePg(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 14),
    ),
  ).toEqual({ from: 0, to: 13 });
  const c = await pool.connect();
  try {
    // 23:30 the day before, 00:10 and 23:50 local, 00:05 the day after: two in the day
    await writeProjectionsPg(c, [
      sale(1, day - 1_800_000, 100),
      sale(2, day + 600_000, 250),
      sale(3, day + 86_400_000 - 600_000, 400),
      sale(4, day + 86_400_000 + 300_000, 800),
    ]);
  } finally {
    c.release();
  }
  expect(await migratePg(pool)).toMatchObject({ from: 13 });
  const days = await pool.query(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, sales_fen::int, tickets::int, items::int FROM store_days ORDER BY day`,
  );
  expect(days.rows).toEqual([
    { day: '2026-11-01', sales_fen: 100, tickets: 1, items: 2 },
    { day: '2026-11-02', sales_fen: 650, tickets: 2, items: 4 },
    { day: '2026-11-03', sales_fen: 800, tickets: 1, items: 2 },
  ]);
  const q = {
    stores: null,
    from: day,
    to: day + 86_400_000,
    timeZone: 'Asia/Shanghai',
    bucket: 'total' as const,
  };
  const [f] = await storeFigures(pool, q);
  expect(f).toMatchObject({ storeId: 'store-u', salesFen: 650, tickets: 2, items: 4 });
  expect(await storeFigures(pool, q, { raw: true })).toEqual([f]);
}, 60_000);
