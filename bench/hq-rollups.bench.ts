// HQ's figures at a chain's size, from the daily and hourly rollups (hq/figures/rollups.ts): a
// generated year of 1,000 stores (25,000 sales a store: 25 M sales, 75 M lines, 25 M
// payments, coupons issued, redeemed and reversed, refunds, hourly entrance counts),
// written straight into HQ's projection tables with generate_series (not through
// ingest: this is about reading), the rollups rebuilt from them, then timed, p95 of 20:
//   a 30-day ranking of every store (from the days, and from the hours), one store's hours
//   for a week, the campaigns of 30 days
// against the same figures from the raw rows (the baseline, timed once, and compared), and
// the rollups' figures checked equal to the raw ones on a sample of stores and days.
//   npm run bench -- hq-rollups                       the full year (21 minutes here, over 40 GB of disk)
//   HQ_ROLLUP_SALES=1000 npm run bench -- hq-rollups  smaller, to try it
import type pg from 'pg';
import { migratePg, openPgPool } from '../hq/db/pg.js';
import { campaignFigures } from '../hq/figures/campaigns.js';
import { REBUILD_DAILY_SQL, REBUILD_HOURLY_SQL } from '../hq/figures/rollups.js';
import { DAILY_QUERIES, HOURLY_QUERIES, storeFigures } from '../hq/figures/store-figures.js';
import { startPostgres } from '../test/helpers/postgres.js';

const STORES = Number(process.env.HQ_ROLLUP_STORES ?? 1000);
const SALES = Number(process.env.HQ_ROLLUP_SALES ?? 25_000);
const DAY = 86_400_000;
const TZ = 'Asia/Shanghai';
/** 2026-01-01 00:00 in Shanghai */
const YEAR = Date.parse('2026-01-01T00:00:00+08:00');
const PER_DAY = Math.ceil(SALES / 365);
const CHUNK = 50;

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const storeId = (i: number) => `r-${String(i).padStart(4, '0')}`;

/** One chunk of stores' year, every table, in one statement each. */
async function generate(pool: pg.Pool, first: number, last: number): Promise<void> {
  const args = [first, last, SALES, PER_DAY, YEAR];
  const c = await pool.connect();
  try {
    await c.query('SET synchronous_commit = off');
    // sales between 07:00 and 23:00 local, spread by a hash of (store, n)
    await c.query(
      `INSERT INTO sales (store_id, seq, sale_id, receipt_no, channel, kiosk_id, member_id, gross_fen,
                          promo_discount_fen, coupon_discount_fen, total_fen, tax_fen, points_earned, sold_at)
       SELECT 'r-' || lpad(s::text, 4, '0'), n, 'S' || n, n::text, CASE WHEN n % 3 = 0 THEN 'kiosk' ELSE 'pos' END,
              NULL, CASE WHEN n % 2 = 0 THEN 'M' || s || '-' || (n % 700) END,
              f, 0, 0, f, 0, 0,
              $5::bigint + ((n - 1) / $4) * ${DAY}::bigint + 25200000 + ((n::bigint * 2654435761 + s * 40503) % 57600000)
         FROM generate_series($1::int, $2::int) s, generate_series(1, $3::int) n,
              LATERAL (SELECT 500 + ((n * 37 + s * 11) % 9500) AS f) x`,
      args,
    );
    const mine = `store_id >= '${storeId(first)}' AND store_id <= '${storeId(last)}'`;
    // three lines a sale; every fifth sale's third line weighed
    await c.query(
      `INSERT INTO sale_lines (store_id, seq, line_no, gtin, qty, weight_g, unit_price_fen, gross_fen, final_fen, tax_fen)
       SELECT store_id, seq, l, '069000000' || lpad(((seq * l * 13) % 400)::text, 5, '0'),
              CASE WHEN l = 3 AND seq % 5 = 0 THEN 1 ELSE 1 + (seq % 3)::int END,
              CASE WHEN l = 3 AND seq % 5 = 0 THEN 350 END, total_fen / 3, total_fen / 3, total_fen / 3, 0
         FROM sales, generate_series(1, 3) l WHERE ${mine}`,
    );
    await c.query(
      `INSERT INTO sale_payments (store_id, seq, n, kind, amount_fen, reference)
       SELECT store_id, seq, 1, (ARRAY['cash', 'card', 'payment_code', 'wallet', 'points'])[1 + seq % 5], total_fen, ''
         FROM sales WHERE ${mine}`,
    );
    // a coupon redeemed on every tenth sale, issued the day before; one in twenty of those reversed
    await c.query(
      `INSERT INTO coupon_redemptions (store_id, seq, coupon_id, campaign_id, sale_id, amount_fen, direction, at)
       SELECT store_id, seq, 'C' || store_id || '-' || seq, 'K' || (seq % 20), sale_id, 100, 1, sold_at
         FROM sales WHERE ${mine} AND seq % 10 = 0
       UNION ALL
       SELECT store_id, seq + 1, 'C' || store_id || '-' || seq, NULL, sale_id, 100, -1, sold_at + 3600000
         FROM sales WHERE ${mine} AND seq % 200 = 0`,
    );
    await c.query(
      `INSERT INTO coupons_issued (store_id, seq, coupon_id, campaign_id, member_id, source, sale_id, issued_at)
       SELECT store_id, seq, 'C' || store_id || '-' || seq, 'K' || (seq % 20), member_id,
              CASE WHEN seq % 30 = 0 THEN 'after_purchase' ELSE 'claim' END, NULL, sold_at - ${DAY}
         FROM sales WHERE ${mine} AND seq % 5 = 0`,
    );
    await c.query(
      `INSERT INTO refunds (store_id, seq, refund_id, sale_id, amount_fen, refunded_at)
       SELECT store_id, seq, 'R' || seq, sale_id, total_fen, sold_at + 7200000 FROM sales WHERE ${mine} AND seq % 100 = 0`,
    );
    // the entrance's count once an hour the store is open, as the counter's minute rows
    await c.query(
      `INSERT INTO vision_line_counts (store_id, seq, camera_id, line_id, minute, ins, outs)
       SELECT 'r-' || lpad(s::text, 4, '0'), d * 24 + h, 'door', 'entrance',
              to_timestamp(($3::bigint + d * ${DAY}::bigint + h * 3600000) / 1000.0), 6 + (s + d + h) % 9, 6 + (s + d + h) % 9
         FROM generate_series($1::int, $2::int) s, generate_series(0, 364) d, generate_series(7, 22) h`,
      [first, last, YEAR],
    );
  } finally {
    c.release();
  }
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await f();
  return [performance.now() - t0, v];
}

async function p95(f: () => Promise<unknown>, runs = 20): Promise<{ p50: number; p95: number }> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await timed(f))[0]);
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(runs / 2)]!, p95: ms[Math.ceil(runs * 0.95) - 1]! };
}

export async function run(): Promise<void> {
  const pgs = await startPostgres();
  const pool = openPgPool(pgs.url, 4);
  try {
    await migratePg(pool);
    await pool.query("ALTER SYSTEM SET max_wal_size = '16GB'");
    // no autovacuum racing the timings after a year loaded in minutes: VACUUM below instead
    await pool.query('ALTER SYSTEM SET autovacuum = off');
    await pool.query('SELECT pg_reload_conf()');
    const t0 = performance.now();
    for (let s = 1; s <= STORES; s += CHUNK) {
      await generate(pool, s, Math.min(STORES, s + CHUNK - 1));
      if ((s - 1) % 200 === 0)
        console.log(
          `  generated ${Math.min(STORES, s + CHUNK - 1)} stores, ${fmt((performance.now() - t0) / 1000)} s`,
        );
    }
    await pool.query('ANALYZE');
    const count = async (t: string) => Number((await pool.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    const [sales, lines] = [await count('sales'), await count('sale_lines')];
    console.log(
      `a generated year: ${STORES} stores, ${fmt(sales)} sales, ${fmt(lines)} lines, ${fmt(await count('coupon_redemptions'))} redemptions, ${fmt(await count('coupons_issued'))} coupons issued, ${fmt(await count('vision_line_counts'))} count rows (${fmt((performance.now() - t0) / 1000)} s)`,
    );
    const [rebuildMs] = await timed(() => pool.query(REBUILD_HOURLY_SQL));
    const [rebuildDaysMs] = await timed(() => pool.query(REBUILD_DAILY_SQL));
    await pool.query('VACUUM (ANALYZE) store_hours, coupon_hours, line_hours, store_days, line_days');
    const size = async (tables: string[]) =>
      Number(
        (
          await pool.query('SELECT sum(pg_total_relation_size(t::regclass)) AS b FROM unnest($1::text[]) t', [
            tables,
          ])
        ).rows[0].b,
      ) /
      2 ** 20;
    console.log(
      `on disk: raw rows ${fmt(await size(['sales', 'sale_lines', 'sale_payments', 'coupon_redemptions', 'coupons_issued', 'refunds', 'vision_line_counts']))} MiB, hourly rollups ${fmt(await size(['store_hours', 'coupon_hours', 'line_hours']))} MiB, daily ${fmt(await size(['store_days', 'line_days']))} MiB`,
    );
    console.log(
      `rollups rebuilt from the raw rows: hours in ${fmt(rebuildMs / 1000, 1)} s (${fmt(await count('store_hours'))} store hours, ${fmt(await count('coupon_hours'))} coupon hours, ${fmt(await count('line_hours'))} line hours), days in ${fmt(rebuildDaysMs / 1000, 1)} s (${fmt(await count('store_days'))} store days, ${fmt(await count('line_days'))} line days)`,
    );

    const end = YEAR + 365 * DAY;
    const month = { from: end - 30 * DAY, to: end };
    const week = { from: end - 7 * DAY, to: end };
    const queries: [string, (raw: boolean) => Promise<unknown>][] = [
      [
        'ranking: every store, 30 days (daily rollups)',
        (raw) => storeFigures(pool, { stores: null, ...month, timeZone: TZ, bucket: 'total' }, { raw }),
      ],
      [
        'ranking: every store, 30 days (hourly rollups)',
        (raw) =>
          storeFigures(pool, { stores: null, ...month, timeZone: TZ, bucket: 'total' }, { raw, hours: true }),
      ],
      [
        "a store's days, 30 days",
        (raw) => storeFigures(pool, { stores: [storeId(7)], ...month, timeZone: TZ, bucket: 'day' }, { raw }),
      ],
      [
        "a store's hours, 7 days",
        (raw) => storeFigures(pool, { stores: [storeId(7)], ...week, timeZone: TZ, bucket: 'hour' }, { raw }),
      ],
      [
        'campaigns, every store, 30 days',
        (raw) => campaignFigures(pool, { stores: null, ...month }, { raw }),
      ],
    ];
    // the raw rows once per question: the hourly ranking's raw run is the daily one's
    const rawOnce = new Map<string, [number, string]>();
    for (const [name, q] of queries) {
      const rollup = await p95(() => q(false));
      const question = name.replace(/ \(.*\)$/, '');
      const [rawMs, rawValue] =
        rawOnce.get(question) ?? (await timed(async () => JSON.stringify(await q(true))));
      rawOnce.set(question, [rawMs, rawValue]);
      const same = JSON.stringify(await q(false)) === rawValue;
      console.log(
        `${name}: rollups p50 ${fmt(rollup.p50, 1)} ms, p95 ${fmt(rollup.p95, 1)} ms; raw rows ${fmt(rawMs)} ms (once) → ${fmt(rawMs / rollup.p50, 0)}× faster; the same figures: ${same ? 'yes' : 'NO'}`,
      );
    }

    if (process.env.HQ_ROLLUP_EXPLAIN)
      for (const [name, sql] of [...Object.entries(DAILY_QUERIES), ...Object.entries(HOURLY_QUERIES)]) {
        const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, [
          null,
          month.from,
          month.to,
          TZ,
          'total',
        ]);
        console.log(`-- ${name}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
      }

    // the same figures: a sample of stores and days, and one whole store's month
    let checked = 0;
    let differ = 0;
    for (let i = 0; i < 10; i++) {
      const s = storeId(1 + ((i * 97) % STORES));
      const day = YEAR + ((i * 37) % 365) * DAY;
      for (const [stores, from, to, bucket] of [
        [[s], day, day + DAY, 'hour'],
        [[s], end - 30 * DAY, end, 'day'],
      ] as const) {
        const q = { stores: [...stores], from, to, timeZone: TZ, bucket };
        const a = JSON.stringify(await storeFigures(pool, q));
        const b = JSON.stringify(await storeFigures(pool, q, { raw: true }));
        checked++;
        if (a !== b) differ++;
      }
    }
    const camp = { stores: [storeId(3), storeId(500)], ...month };
    checked++;
    if (
      JSON.stringify(await campaignFigures(pool, camp)) !==
      JSON.stringify(await campaignFigures(pool, camp, { raw: true }))
    )
      differ++;
    console.log(`rollups against the raw rows: ${checked} samples, ${differ} differ`);
  } finally {
    await pool.end();
    await pgs.destroy();
  }
}
