// HQ's figures (hq/README.md, "Figures") on a fixture whose answers were worked out by
// hand: two stores' events written through the real projections into a real PostgreSQL,
// then every figure read back, whole and by hour, per zone and per campaign.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import { campaignFigures } from '../../hq/figures/campaigns.js';
import { DayZoneError, dayTimeZone, setDayTimeZone } from '../../hq/figures/daily.js';
import { countingStores } from '../../hq/figures/plausibility.js';
import { rankStores } from '../../hq/figures/ranking.js';
import { REBUILD_DAILY_SQL, REBUILD_HOURLY_SQL, writeRollupsPg } from '../../hq/figures/rollups.js';
import { noFigures, storeFigures } from '../../hq/figures/store-figures.js';
import { change, zoneFigures } from '../../hq/figures/zones.js';
import { writeProjectionsPg } from '../../hq/ingest/projections.js';
import type { WireEvent } from '../../sync/topics.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';

let pgs: Postgres;
let pool: ReturnType<typeof openPgPool>;

// 2026-11-02 in Shanghai (UTC+8): local 10:00 is 02:00Z
const at = (hhmm: string) => Date.parse(`2026-11-02T${hhmm}:00+08:00`);
const DAY = { from: at('00:00'), to: at('00:00') + 86_400_000 };
const TZ = 'Asia/Shanghai';

const seqs: Record<string, number> = {};
function ev(storeId: string, type: string, time: string, payload: Record<string, unknown>): WireEvent {
  seqs[storeId] = (seqs[storeId] ?? 0) + 1;
  const seq = seqs[storeId];
  return { storeId, seq, eventId: `${storeId}-${seq}`, type, class: 'money', createdAt: at(time), payload };
}

const line = (
  gtin: string,
  qty: number,
  finalFen: number,
  categories: string[],
  weightG: number | null = null,
) => ({
  gtin,
  qty,
  weightG,
  unitPriceFen: finalFen,
  grossFen: finalFen,
  promotions: [],
  couponFen: 0,
  finalFen,
  taxRateBp: 1300,
  taxFen: 0,
  categories,
});
const sale = (
  saleId: string,
  time: string,
  totalFen: number,
  lines: unknown[],
  payments: [string, number][],
  memberId: string | null = null,
) => ({
  saleId,
  receiptNo: saleId,
  channel: 'kiosk',
  kioskId: 'k1',
  memberId,
  grossFen: totalFen,
  promoDiscountFen: 0,
  couponDiscountFen: 0,
  totalFen,
  taxFen: 0,
  changeFen: 0,
  pointsEarned: 0,
  lines,
  payments: payments.map(([kind, amountFen], i) => ({ kind, amountFen, reference: `${saleId}-${i}` })),
  at: at(time),
});
const A = '0000000000001';
const B = '0000000000002';
const C = '0000000000003';

const EVENTS: WireEvent[] = [
  // store A
  ev('store-a', 'member.enrolled', '10:00', { memberId: 'M1' }),
  ev('store-a', 'store.layout', '09:00', {
    cameras: [
      {
        id: 'cam1',
        lines: [
          { id: 'door', footfall: true },
          { id: 'aisle', footfall: false },
        ],
        zones: [
          { id: 'z-dairy', type: 'dairy-shelf', categories: ['dairy'] },
          { id: 'z-promo', type: 'promo-end-cap', categories: ['snacks'] },
        ],
        floor: { widthM: 10, depthM: 5, cellM: 1, cols: 10, rows: 5 },
      },
    ],
  }),
  ev('store-a', 'coupon.issued', '10:01', {
    couponId: 'C1',
    campaignId: 'K1',
    memberId: 'M1',
    source: 'claim',
    saleId: null,
    expiresAt: at('23:00'),
  }),
  ev('store-a', 'coupon.issued', '10:02', {
    couponId: 'C2',
    campaignId: 'K1',
    memberId: 'M1',
    source: 'claim',
    saleId: null,
    expiresAt: at('23:00'),
  }),
  // S1: 2 × milk (dairy) and a weighed fruit line: 3 items, 2 products; cash
  ev(
    'store-a',
    'sale.completed',
    '10:05',
    sale(
      'S1',
      '10:05',
      1800,
      [line(`0${A}`, 2, 1000, ['milk', 'dairy']), line(`0${B}`, 1, 800, ['fruit'], 500)],
      [['cash', 1800]],
      'M1',
    ),
  ),
  ev('store-a', 'points.moved', '10:05', {
    memberId: 'M1',
    delta: 18,
    reason: 'earn',
    saleId: 'S1',
    refundId: null,
    balance: 518,
  }),
  ev('store-a', 'offer.shown', '10:06', { saleId: 'S1', campaignId: 'K2' }),
  ev('store-a', 'coupon.issued', '10:06', {
    couponId: 'C3',
    campaignId: 'K2',
    memberId: 'M1',
    source: 'after_purchase',
    saleId: 'S1',
    expiresAt: at('23:00'),
  }),
  // S2: 3 × milk, paid by wallet payment code and points, coupon C1 redeemed
  ev(
    'store-a',
    'sale.completed',
    '10:40',
    sale(
      'S2',
      '10:40',
      1500,
      [line(`0${A}`, 3, 1500, ['milk', 'dairy'])],
      [
        ['payment_code', 1000],
        ['points', 500],
      ],
      'M1',
    ),
  ),
  ev('store-a', 'coupon.redeemed', '10:40', {
    couponId: 'C1',
    campaignId: 'K1',
    saleId: 'S2',
    amountFen: 200,
  }),
  ev('store-a', 'points.moved', '10:40', {
    memberId: 'M1',
    delta: -500,
    reason: 'spend',
    saleId: 'S2',
    refundId: null,
    balance: 18,
  }),
  ev('store-a', 'points.moved', '10:40', {
    memberId: 'M1',
    delta: 10,
    reason: 'earn',
    saleId: 'S2',
    refundId: null,
    balance: 28,
  }),
  // S3: one snack by card, refunded at 11:30
  ev(
    'store-a',
    'sale.completed',
    '11:10',
    sale('S3', '11:10', 600, [line(`0${C}`, 1, 600, ['snacks'])], [['card', 600]]),
  ),
  ev('store-a', 'refund.completed', '11:30', {
    refundId: 'R1',
    saleId: 'S3',
    amountFen: 600,
    lines: [],
    tenders: [],
    pointsReversed: 0,
    pointsReturned: 0,
    couponsReversed: [],
    staffId: 'sup',
    at: at('11:30'),
  }),
  ev('store-a', 'vision.counts', '11:01', {
    cameras: {
      cam1: {
        minutes: {
          [new Date(at('10:00')).toISOString()]: {
            lines: { door: { in: 5, out: 1 }, aisle: { in: 7, out: 0 } },
            zones: { 'z-dairy': { visits: 4, dwellMs: 40_000 } },
          },
          [new Date(at('11:00')).toISOString()]: {
            lines: { door: { in: 3, out: 2 } },
            zones: { 'z-promo': { visits: 2, dwellMs: 10_000 } },
          },
        },
      },
    },
  }),
  // exit checks of two scan & go sales: S1 audited, a missing item found and paid; S2 not chosen
  ev('store-a', 'exit_audit.decided', '10:05', {
    saleId: 'S1',
    selected: true,
    probability: 0.2,
    signals: ['weighed_items', 'first_scan_and_go'],
  }),
  ev('store-a', 'exit_audit.completed', '10:07', {
    saleId: 'S1',
    probability: 0.2,
    signals: ['weighed_items', 'first_scan_and_go'],
    fullCheck: true,
    result: 'recovered',
    missing: [{ gtin: `0${A}`, qty: 1 }],
    recoverySaleId: 'S9',
    recoveredFen: 250,
    at: at('10:07'),
  }),
  ev('store-a', 'exit_audit.decided', '10:20', {
    saleId: 'S2',
    selected: false,
    probability: 0.05,
    signals: [],
  }),
  // store B: no layout; a coupon redeemed and given back by a refund
  ev('store-b', 'coupon.issued', '10:00', {
    couponId: 'C9',
    campaignId: 'K1',
    memberId: null,
    source: 'claim',
    saleId: null,
    expiresAt: at('23:00'),
  }),
  ev(
    'store-b',
    'sale.completed',
    '10:10',
    sale('B1', '10:10', 500, [line(`0${C}`, 1, 500, ['snacks'])], [['cash', 500]]),
  ),
  ev('store-b', 'coupon.redeemed', '10:10', {
    couponId: 'C9',
    campaignId: 'K1',
    saleId: 'B1',
    amountFen: 100,
  }),
  ev('store-b', 'coupon.redemption_reversed', '10:20', {
    couponId: 'C9',
    saleId: 'B1',
    refundId: 'RB1',
    amountFen: 100,
  }),
  ev('store-b', 'refund.completed', '10:20', {
    refundId: 'RB1',
    saleId: 'B1',
    amountFen: 500,
    lines: [],
    tenders: [],
    pointsReversed: 0,
    pointsReturned: 0,
    couponsReversed: ['C9'],
    staffId: 'sup',
    at: at('10:20'),
  }),
  ev('store-b', 'vision.counts', '10:30', {
    cameras: {
      front: {
        minutes: {
          [new Date(at('10:09')).toISOString()]: {
            lines: { entry: { in: 1, out: 0 } },
            zones: { 'z-x': { visits: 1, dwellMs: 3000 } },
          },
        },
      },
    },
  }),
  // the next day: outside the period
  ev('store-a', 'sale.completed', '10:00', {
    ...sale('S9', '10:00', 999, [line(`0${A}`, 1, 999, ['dairy'])], [['cash', 999]]),
    at: at('10:00') + 86_400_000,
  }),
];

beforeAll(async () => {
  pgs = await startPostgres();
  pool = openPgPool(pgs.url, 4);
  await migratePg(pool);
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await writeProjectionsPg(c, EVENTS);
    // projecting the same events again adds nothing
    await writeProjectionsPg(c, EVENTS);
    // the rollups take each event once, as ingest gives them only its fresh events
    await writeRollupsPg(c, EVENTS);
    await c.query('COMMIT');
  } finally {
    c.release();
  }
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await pgs?.stop();
});

describe('HQ figures on a hand-computed fixture', () => {
  it('a store over the whole day', async () => {
    const [a, b] = await storeFigures(pool, { stores: null, ...DAY, timeZone: TZ, bucket: 'total' });
    expect(a).toEqual({
      storeId: 'store-a',
      bucket: 'total',
      salesFen: 3900, // 1800 + 1500 + 600
      refundsFen: 600,
      netSalesFen: 3300,
      tickets: 3,
      avgTicketFen: 1300, // 3900 / 3
      items: 7, // S1: 2 + 1 weighed line; S2: 3; S3: 1
      itemsPerTicket: 2.33,
      multiItemTickets: 1, // only S1 has two different products
      multiItemShare: 0.3333,
      tenderFen: { cash: 1800, card: 600, wallet: 1000, points: 500, other: 0 },
      walletShare: 0.2564, // 1000 / 3900
      redemptions: 1,
      couponCostFen: 200,
      couponsIssued: 3, // C1, C2, C3
      couponsIssuedRedeemed: 1, // C1
      redemptionRate: 0.3333,
      offersShown: 1,
      offersClaimed: 1, // C3
      offersRedeemed: 0,
      newMembers: 1,
      pointsIssued: 28, // 18 + 10
      pointsSpent: 500,
      footfall: 8, // door 5 + 3; the aisle line is not an entrance
      conversion: 0.375, // 3 tickets / 8 entries
      scanAndGoSales: 2, // S1 and S2 had their exit-audit decision
      audits: 1, // S1
      auditsChecked: 1,
      auditHits: 1, // an item not scanned found in S1's bag
      recoveredFen: 250,
      auditRate: 0.5,
      hitRate: 1,
    });
    // store B: no layout sent, so its one line counts as an entrance; the coupon given back
    expect(b).toMatchObject({
      storeId: 'store-b',
      salesFen: 500,
      refundsFen: 500,
      netSalesFen: 0,
      tickets: 1,
      redemptions: 0,
      couponCostFen: 0,
      couponsIssued: 1,
      couponsIssuedRedeemed: 0,
      footfall: 1,
      conversion: 1,
      walletShare: 0,
    });
  });

  it('by local hour, and one store only', async () => {
    const rows = await storeFigures(pool, { stores: ['store-a'], ...DAY, timeZone: TZ, bucket: 'hour' });
    expect(
      rows.map((r) => [r.bucket, r.salesFen, r.refundsFen, r.tickets, r.footfall, r.conversion]),
    ).toEqual([
      ['2026-11-02T10', 3300, 0, 2, 5, 0.4],
      ['2026-11-02T11', 600, 600, 1, 3, 0.3333],
    ]);
    // in UTC the same sales fall on 02:00 and 03:00
    const utc = await storeFigures(pool, { stores: ['store-a'], ...DAY, timeZone: 'UTC', bucket: 'hour' });
    expect(utc.map((r) => r.bucket)).toEqual(['2026-11-02T02', '2026-11-02T03']);
    const days = await storeFigures(pool, { stores: ['store-a'], ...DAY, timeZone: TZ, bucket: 'day' });
    expect(days.map((r) => [r.bucket, r.tickets])).toEqual([['2026-11-02', 3]]);
  });

  it('zones against the sales of their shelves', async () => {
    const zones = await zoneFigures(pool, { stores: null, ...DAY });
    expect(zones).toEqual([
      {
        storeId: 'store-a',
        cameraId: 'cam1',
        zoneId: 'z-dairy',
        zoneType: 'dairy-shelf',
        categories: ['dairy'],
        visits: 4,
        dwellMs: 40_000,
        avgDwellMs: 10_000,
        units: 5, // milk is under dairy: 2 in S1, 3 in S2
        salesFen: 2500,
        salesPerVisitFen: 625,
        visitsPer100Entries: 50, // 4 of 8 entries
      },
      {
        storeId: 'store-a',
        cameraId: 'cam1',
        zoneId: 'z-promo',
        zoneType: 'promo-end-cap',
        categories: ['snacks'],
        visits: 2,
        dwellMs: 10_000,
        avgDwellMs: 5000,
        units: 1,
        salesFen: 600,
        salesPerVisitFen: 300,
        visitsPer100Entries: 25,
      },
      {
        storeId: 'store-b',
        cameraId: 'front',
        zoneId: 'z-x',
        zoneType: 'z-x',
        categories: [],
        visits: 1,
        dwellMs: 3000,
        avgDwellMs: 3000,
        units: 0,
        salesFen: 0,
        salesPerVisitFen: 0,
        visitsPer100Entries: 100,
      },
    ]);
    const dairy = await zoneFigures(pool, { stores: null, ...DAY, zoneType: 'dairy-shelf' });
    expect(dairy.map((z) => z.storeId)).toEqual(['store-a']);
  });

  it('campaigns chain-wide: cost, redemption rate, offers shown → claimed → redeemed', async () => {
    expect(await campaignFigures(pool, { stores: null, ...DAY })).toEqual([
      {
        campaignId: 'K1',
        issued: 3, // C1, C2 at A; C9 at B
        issuedRedeemed: 1, // C9 was given back
        redemptionRate: 0.3333,
        redemptions: 1, // C1 + C9 − C9's reversal
        costFen: 200,
        offersShown: 0,
        offersClaimed: 0,
        offersRedeemed: 0,
        offerTakeRate: null,
      },
      {
        campaignId: 'K2',
        issued: 1,
        issuedRedeemed: 0,
        redemptionRate: 0,
        redemptions: 0,
        costFen: 0,
        offersShown: 1,
        offersClaimed: 1,
        offersRedeemed: 0,
        offerTakeRate: 1,
      },
    ]);
  });

  it('period over period: the change of each figure', async () => {
    const [h10, h11] = await storeFigures(pool, {
      stores: ['store-a'],
      ...DAY,
      timeZone: TZ,
      bucket: 'hour',
    });
    const d = change(h10!, h11!);
    expect(d.salesFen).toBe(-0.8182); // 3300 → 600
    expect(d.tickets).toBe(-0.5);
    expect(d.footfall).toBe(-0.4); // 5 → 3
    expect(d.refundsFen).toBeNull(); // from 0
  });

  it('a counter that cannot be right: a store at 125% conversion is marked and not ranked first', async () => {
    // store A sent a layout with a camera, store B none: zero entrances are a reading at A only
    expect([...(await countingStores(pool, null))]).toEqual(['store-a']);
    const f = (storeId: string, tickets: number, footfall: number) => ({
      ...noFigures(storeId),
      tickets,
      footfall,
      netSalesFen: tickets * 1000,
      conversion: footfall ? tickets / footfall : null,
    });
    // in store order, as storeFigures gives them
    const rows = [f('blind', 40, 0), f('honest', 30, 100), f('no-camera', 50, 0), f('rogue', 125, 100)];
    const counting = new Set(['honest', 'rogue', 'blind']);
    const byConversion = rankStores(rows, 'conversion', 'desc', counting);
    expect(byConversion.map((r) => [r.storeId, r.rank, r.counterProblems])).toEqual([
      ['honest', 1, []],
      // no figure to rank by: a counter problem, and a store with no camera at all (not a problem)
      ['blind', 2, ['no_entrances_while_selling']],
      ['no-camera', 3, []],
      ['rogue', 4, ['conversion_over_100']],
    ]);
    // ascending too, the impossible figure goes last, not first
    expect(rankStores(rows, 'conversion', 'asc', counting).at(-1)?.storeId).toBe('rogue');
    // by a figure the counter does not give, the store ranks by it and stays marked
    const bySales = rankStores(rows, 'netSalesFen', 'desc', counting);
    expect(bySales.map((r) => r.storeId)).toEqual(['rogue', 'no-camera', 'blind', 'honest']);
    expect(bySales[0]!.counterProblems).toEqual(['conversion_over_100']);
  });

  it('the hourly and daily rollups equal the raw rows: ingested in any order and batching, rebuilt, in any zone of days, for any period', async () => {
    const D = 86_400_000;
    const kolkata = Date.parse('2026-11-02T00:00:00+05:30');
    const periods = [
      { ...DAY, timeZone: TZ },
      // whole days of the days' zone: answered from the days
      { from: DAY.from - D, to: DAY.to + D, timeZone: TZ },
      { from: kolkata, to: kolkata + D, timeZone: 'Asia/Kolkata' },
      { from: kolkata - D, to: kolkata + 2 * D, timeZone: 'Asia/Kolkata' },
      { ...DAY, timeZone: 'UTC' },
      { from: at('09:00'), to: at('12:00'), timeZone: TZ },
      // not whole hours, or a half-hour zone: answered from the raw rows, the same figures
      { from: at('09:30'), to: at('12:00'), timeZone: TZ },
      { ...DAY, timeZone: 'Asia/Kolkata' },
    ];
    const all = async (raw: boolean) => {
      const out: unknown[] = [];
      for (const p of periods)
        for (const bucket of ['total', 'day', 'hour'] as const)
          out.push(await storeFigures(pool, { stores: null, ...p, bucket }, { raw }));
      out.push(await campaignFigures(pool, { stores: null, ...DAY }, { raw }));
      out.push(
        await campaignFigures(pool, { stores: ['store-b'], from: at('10:00'), to: at('14:00') }, { raw }),
      );
      return out;
    };
    const raw = await all(true);
    expect(raw.flat().length).toBeGreaterThan(20);
    expect(await dayTimeZone(pool)).toBe(TZ);
    expect(await all(false)).toEqual(raw);
    // the whole days are read from the days: a figure changed there shows (and only there)
    const whole = { stores: null, ...DAY, timeZone: TZ, bucket: 'total' as const };
    const before = await storeFigures(pool, whole);
    await pool.query('UPDATE store_days SET tickets = tickets + 1000');
    expect((await storeFigures(pool, whole)).map((r) => r.tickets)).toEqual(
      before.map((r) => r.tickets + 1000),
    );
    expect(await storeFigures(pool, whole, { hours: true })).toEqual(before);
    await pool.query(REBUILD_DAILY_SQL);
    expect(await storeFigures(pool, whole)).toEqual(before);

    // again from nothing: the events in a shuffled order, in batches of 1 to 4, each its
    // own transaction (a coupon's redemption before its issue, a reversal before its
    // redemption), with the days kept in Shanghai and then in Kolkata (a half-hour zone)
    for (const [start, zone] of [
      [7, TZ],
      [11, TZ],
      [23, 'Asia/Kolkata'],
      [42, TZ],
      [99, 'Asia/Kolkata'],
    ] as const) {
      if ((await dayTimeZone(pool)) !== zone) await setDayTimeZone(pool, zone);
      await pool.query(`TRUNCATE sales, sale_lines, sale_payments, refunds, coupon_redemptions, coupons_issued,
        offers_shown, members_enrolled, store_layouts, vision_line_counts, vision_zone_dwell, vision_heatmaps,
        exit_audit_decisions, exit_audit_results, points_movements, store_hours, coupon_hours, line_hours,
        store_days, line_days`);
      let seed = start;
      const rnd = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const shuffled = [...EVENTS].reverse().sort(() => rnd() - 0.5);
      for (let i = 0; i < shuffled.length; ) {
        const batch = shuffled.slice(i, i + 1 + Math.floor(rnd() * 4));
        i += batch.length;
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          await writeProjectionsPg(c, batch);
          await writeRollupsPg(c, batch);
          await c.query('COMMIT');
        } finally {
          c.release();
        }
      }
      expect(await all(false)).toEqual(raw);
    }
    // rebuilt from the projections: the same
    await pool.query(REBUILD_HOURLY_SQL);
    await pool.query(REBUILD_DAILY_SQL);
    expect(await all(false)).toEqual(raw);
    // days moved to another zone are rebuilt there; an unknown zone changes nothing
    expect((await setDayTimeZone(pool, TZ)).from).toBe('Asia/Kolkata');
    expect(await all(false)).toEqual(raw);
    await expect(setDayTimeZone(pool, 'Mars/Olympus_Mons')).rejects.toThrow(DayZoneError);
    expect(await dayTimeZone(pool)).toBe(TZ);
    expect(await all(false)).toEqual(raw);
  });

  it("hq rollups says the days' zone, moves the days to another, and refuses an unknown zone", async () => {
    const hq = (...args: string[]) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', 'hq/cli.ts', 'rollups', '--db', pgs.url, ...args],
          { timeout: 30_000 },
          (e, out, err) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out, err }),
        ),
      );
    const whole = { stores: null, ...DAY, timeZone: TZ, bucket: 'day' as const };
    const figures = await storeFigures(pool, whole);
    expect((await hq()).out).toContain(`daily rollups kept in ${TZ}`);
    const moved = await hq('--day-time-zone', 'Europe/Berlin');
    expect(moved.code).toBe(0);
    expect(moved.out).toMatch(/moved from Asia\/Shanghai to Europe\/Berlin: rebuilt in [\d.]+ s/);
    expect(await dayTimeZone(pool)).toBe('Europe/Berlin');
    // Shanghai's days are now read from the hours: the same figures
    expect(await storeFigures(pool, whole)).toEqual(figures);
    const bad = await hq('--day-time-zone', 'Europe/Nowhere');
    expect(bad.code).toBe(64);
    expect(bad.err).toContain('unknown time zone: Europe/Nowhere');
    expect(await dayTimeZone(pool)).toBe('Europe/Berlin');
    expect((await hq('--day-time-zone', TZ)).code).toBe(0);
    expect(await storeFigures(pool, whole)).toEqual(figures);
  });

  it('a coupon issued at one store and redeemed at another, in two batches at once: counted redeemed, whichever commits first', async () => {
    const when = at('15:00');
    const issued: WireEvent = {
      storeId: 'store-c',
      seq: 1,
      eventId: 'c-1',
      type: 'coupon.issued',
      class: 'money',
      createdAt: when,
      payload: {
        couponId: 'CC1',
        campaignId: 'K7',
        memberId: null,
        source: 'claim',
        saleId: null,
        expiresAt: at('23:00'),
      },
    };
    const redeemed: WireEvent = {
      storeId: 'store-d',
      seq: 1,
      eventId: 'd-1',
      type: 'coupon.redeemed',
      class: 'money',
      createdAt: when + 60_000,
      payload: { couponId: 'CC1', campaignId: 'K7', saleId: 'D1', amountFen: 100 },
    };
    const c1 = await pool.connect();
    const c2 = await pool.connect();
    try {
      // both projections written, neither committed: each batch alone would miss the other
      await c1.query('BEGIN');
      await writeProjectionsPg(c1, [issued]);
      await c2.query('BEGIN');
      await writeProjectionsPg(c2, [redeemed]);
      await Promise.all(
        [
          [c1, issued],
          [c2, redeemed],
        ].map(async ([c, e]) => {
          await writeRollupsPg(c as typeof c1, [e as WireEvent]);
          await (c as typeof c1).query('COMMIT');
        }),
      );
    } finally {
      c1.release();
      c2.release();
    }
    const q = { stores: ['store-c', 'store-d'], from: at('15:00'), to: at('16:00') };
    const rolled = await campaignFigures(pool, q);
    expect(rolled).toEqual(await campaignFigures(pool, q, { raw: true }));
    expect(rolled.find((c) => c.campaignId === 'K7')?.issuedRedeemed).toBe(1);
  });
});
