// HQ's guide figures (hq/README.md, "Guide figures") on a hand-made fixture whose answers
// were worked out by hand: two stores' calls, assisted sales and refunds (one of an
// assisted sale, one of a sale no guide helped) in a real PostgreSQL, projected from
// events HQ held before the projection existed, then again from the events in shuffled
// batches (a refund before its sale's assist), from the days and from the raw rows, and
// with the days moved to another time zone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_MIGRATIONS } from '../../hq/db/migrations.js';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import { setDayTimeZone } from '../../hq/figures/daily.js';
import { binOf, writeGuideRollupsPg } from '../../hq/figures/guide-days.js';
import { binQuantile, type GuideQuery, guideFigures, rankGuides } from '../../hq/figures/guides.js';
import { writeRollupsPg } from '../../hq/figures/rollups.js';
import { writeProjectionsPg } from '../../hq/ingest/projections.js';
import type { WireEvent } from '../../sync/topics.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';

let pgs: Postgres;
let pool: ReturnType<typeof openPgPool>;

const TZ = 'Asia/Shanghai';
const at = (hhmm: string, day = '02') => Date.parse(`2026-11-${day}T${hhmm}:00+08:00`);
const TWO_DAYS = { from: at('00:00'), to: at('00:00', '04') };
const KOLKATA_DAYS = {
  from: Date.parse('2026-11-02T00:00:00+05:30'),
  to: Date.parse('2026-11-04T00:00:00+05:30'),
};
const S = 1000;

const seqs: Record<string, number> = {};
function ev(storeId: string, type: string, createdAt: number, payload: Record<string, unknown>): WireEvent {
  seqs[storeId] = (seqs[storeId] ?? 0) + 1;
  const seq = seqs[storeId];
  return { storeId, seq, eventId: `${storeId}-${seq}`, type, class: 'money', createdAt, payload };
}
const sale = (storeId: string, saleId: string, time: number, totalFen: number) =>
  ev(storeId, 'sale.completed', time, {
    saleId,
    receiptNo: saleId,
    channel: 'kiosk',
    kioskId: 'k1',
    memberId: null,
    grossFen: totalFen,
    promoDiscountFen: 0,
    couponDiscountFen: 0,
    totalFen,
    taxFen: 0,
    changeFen: 0,
    pointsEarned: 0,
    lines: [
      {
        gtin: '0000000000001',
        qty: 1,
        weightG: null,
        unitPriceFen: totalFen,
        grossFen: totalFen,
        promotions: [],
        couponFen: 0,
        finalFen: totalFen,
        taxRateBp: 1300,
        taxFen: 0,
        categories: [],
      },
    ],
    payments: [{ kind: 'cash', amountFen: totalFen, reference: `${saleId}-1` }],
    at: time,
  });
const assist = (storeId: string, saleId: string, staffId: string, time: number, totalFen: number) =>
  ev(storeId, 'guide.assist', time, { saleId, staffId, source: 'code', callId: null, totalFen, at: time });
const refund = (storeId: string, refundId: string, saleId: string, time: number, amountFen: number) =>
  ev(storeId, 'refund.completed', time, { refundId, saleId, amountFen, lines: [], at: time });
/** a call ended: taken `accept` seconds after it was made (null: by nobody), ended `end` seconds after that */
const call = (
  storeId: string,
  callId: string,
  staffId: string | null,
  created: number,
  accept: number | null,
  end: number,
  status: 'done' | 'cancelled',
  escalated = false,
) => {
  const acceptedAt = accept === null ? null : created + accept * S;
  const endedAt = (acceptedAt ?? created) + end * S;
  return ev(storeId, 'guide.call', endedAt, {
    callId,
    reason: 'advice',
    zoneId: 'dairy',
    status,
    staffId,
    createdAt: created,
    acceptedAt,
    endedAt,
    escalated,
  });
};

const EVENTS: WireEvent[] = [
  sale('s1', 'X1', at('10:00'), 10_000),
  assist('s1', 'X1', 'g1', at('10:00'), 10_000),
  sale('s1', 'X2', at('11:00'), 5_000),
  assist('s1', 'X2', 'g1', at('11:00'), 5_000),
  sale('s1', 'X3', at('12:00'), 3_000),
  sale('s1', 'X4', at('13:00'), 2_000),
  assist('s1', 'X4', 'g2', at('13:00'), 2_000),
  refund('s1', 'R1', 'X1', at('15:00'), 1_500), // g1's
  refund('s1', 'R2', 'X3', at('16:00'), 1_000), // nobody's
  call('s1', 'c1', 'g1', at('09:00'), 3, 120, 'done'),
  call('s1', 'c2', 'g1', at('09:30'), 5, 45, 'done'),
  call('s1', 'c3', 'g1', at('10:30'), 12, 20, 'cancelled', true),
  call('s1', 'c4', null, at('14:00'), null, 90, 'cancelled', true),
  call('s1', 'c5', 'g2', at('14:10'), 30, 300, 'done'),
  sale('s2', 'Y1', at('10:00'), 20_000),
  assist('s2', 'Y1', 'g3', at('10:00'), 20_000),
  call('s2', 'c6', 'g3', at('09:50'), 8, 60, 'done'),
  refund('s2', 'R3', 'Y1', at('09:00', '03'), 20_000), // the next day, all of it
];

const none = {
  calls: 0,
  callsAnswered: 0,
  answerRate: null,
  callsDone: 0,
  callsEscalated: 0,
  avgSecondsToAccept: null,
  medianSecondsToAccept: null,
  p90SecondsToAccept: null,
  avgSecondsToDone: null,
  medianSecondsToDone: null,
  p90SecondsToDone: null,
  assistedSales: 0,
  assistedFen: 0,
  refunds: 0,
  refundedFen: 0,
  netAssistedFen: 0,
};
// by hand: a quantile is linear inside the bin its rank falls in (GUIDE_BINS_S)
const G1 = {
  ...none,
  storeId: 's1',
  staffId: 'g1',
  bucket: 'total',
  calls: 3,
  callsAnswered: 3,
  answerRate: 1,
  callsDone: 2,
  callsEscalated: 1,
  avgSecondsToAccept: 6.7, // (3 + 5 + 12) / 3
  medianSecondsToAccept: 5, // rank 1.5 of 3: the bin [4, 6) holding the 5 s, halfway
  p90SecondsToAccept: 13.5, // rank 2.7: 0.7 into [10, 15) holding the 12 s
  avgSecondsToDone: 82.5, // (120 + 45) / 2
  medianSecondsToDone: 50, // rank 1 of 2: the top of [40, 50) holding the 45 s
  p90SecondsToDone: 144, // rank 1.8: 0.8 into [120, 150)
  assistedSales: 2,
  assistedFen: 15_000,
  refunds: 1,
  refundedFen: 1_500,
  netAssistedFen: 13_500,
  salesFen: 20_000,
  assistedShare: 0.75,
};
const G2 = {
  ...none,
  storeId: 's1',
  staffId: 'g2',
  bucket: 'total',
  calls: 1,
  callsAnswered: 1,
  answerRate: 1,
  callsDone: 1,
  avgSecondsToAccept: 30,
  medianSecondsToAccept: 35,
  p90SecondsToAccept: 39,
  avgSecondsToDone: 300,
  medianSecondsToDone: 360,
  p90SecondsToDone: 408,
  assistedSales: 1,
  assistedFen: 2_000,
  netAssistedFen: 2_000,
  salesFen: 20_000,
  assistedShare: 0.1,
};
const G3 = {
  ...none,
  storeId: 's2',
  staffId: 'g3',
  bucket: 'total',
  calls: 1,
  callsAnswered: 1,
  answerRate: 1,
  callsDone: 1,
  avgSecondsToAccept: 8,
  medianSecondsToAccept: 9,
  p90SecondsToAccept: 9.8,
  avgSecondsToDone: 60,
  medianSecondsToDone: 67.5,
  p90SecondsToDone: 73.5,
  assistedSales: 1,
  assistedFen: 20_000,
  refunds: 1,
  refundedFen: 20_000,
  netAssistedFen: 0,
  salesFen: 20_000,
  assistedShare: 1,
};

const q = (o: Partial<GuideQuery> = {}): GuideQuery => ({
  stores: null,
  ...TWO_DAYS,
  timeZone: TZ,
  bucket: 'total',
  by: 'guide',
  ...o,
});
/** every view of the fixture, from the days or (raw) the projections */
const all = async (raw: boolean, timeZone = TZ) =>
  Promise.all(
    (['guide', 'store', 'chain'] as const).flatMap((by) =>
      (['total', 'day'] as const).map((bucket) =>
        guideFigures(pool, q({ by, bucket, timeZone, ...(timeZone === TZ ? TWO_DAYS : KOLKATA_DAYS) }), {
          raw,
        }),
      ),
    ),
  );

beforeAll(async () => {
  pgs = await startPostgres();
  pool = openPgPool(pgs.url, 4);
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await pgs?.stop();
});

describe("HQ's guide figures", () => {
  it('bins and quantiles: a duration in the bin of its lower bound, linear inside it', () => {
    expect([0, 1999, 2000, 9999, 10_000, 3_599_999, 3_600_000, 99_999_999, -5].map(binOf)).toEqual([
      0, 0, 1, 4, 5, 24, 25, 25, 0,
    ]);
    expect(binQuantile([0, 0], 0.5)).toBeNull();
    const counts = Array(26).fill(0);
    counts[25] = 3;
    expect(binQuantile(counts, 0.9)).toBe(3600);
  });

  it('projects the events HQ held before, and counts calls, assisted sales and refunds by guide, store and chain', async () => {
    expect(
      await migratePg(
        pool,
        PG_MIGRATIONS.filter((m) => m.version < 18),
      ),
    ).toMatchObject({ to: 17 });
    for (const e of EVENTS)
      await pool.query(
        `INSERT INTO events (store_id, seq, event_id, type, class, created_at, payload, digest)
         VALUES ($1, $2, $3, $4, $5, $6, $7, '\\x00')`,
        [e.storeId, e.seq, e.eventId, e.type, e.class, e.createdAt, JSON.stringify(e.payload)],
      );
    // the sales' own projections, as an HQ at 17 wrote them
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const older = EVENTS.filter((e) => !e.type.startsWith('guide.'));
      await writeProjectionsPg(c, older);
      await writeRollupsPg(c, older);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    expect(await migratePg(pool)).toMatchObject({ from: 17 });

    expect(await guideFigures(pool, q())).toEqual([G1, G2, G3]);
    expect(await guideFigures(pool, q({ by: 'store' }))).toEqual([
      {
        ...none,
        storeId: 's1',
        staffId: null,
        bucket: 'total',
        calls: 5,
        callsAnswered: 4,
        answerRate: 0.8,
        callsDone: 3,
        callsEscalated: 2,
        avgSecondsToAccept: 12.5, // (3 + 5 + 12 + 30) / 4
        medianSecondsToAccept: 6, // rank 2 of 4: the top of [4, 6)
        p90SecondsToAccept: 36, // rank 3.6: 0.6 into [30, 40)
        avgSecondsToDone: 155, // (120 + 45 + 300) / 3
        medianSecondsToDone: 135, // rank 1.5: halfway into [120, 150)
        p90SecondsToDone: 384, // rank 2.7: 0.7 into [300, 420)
        assistedSales: 3,
        assistedFen: 17_000,
        refunds: 1,
        refundedFen: 1_500,
        netAssistedFen: 15_500,
        salesFen: 20_000,
        assistedShare: 0.85,
      },
      { ...G3, staffId: null },
    ]);
    const [chain] = await guideFigures(pool, q({ by: 'chain' }));
    expect(chain).toMatchObject({
      storeId: null,
      staffId: null,
      calls: 6,
      callsAnswered: 5,
      callsEscalated: 2,
      assistedSales: 4,
      assistedFen: 37_000,
      refunds: 2,
      refundedFen: 21_500,
      netAssistedFen: 15_500,
      salesFen: 40_000,
      assistedShare: 0.925,
    });
    // by day: the refund of Y1 is g3's on the day it was made
    expect(
      (await guideFigures(pool, q({ stores: ['s2'], bucket: 'day' }))).map((r) => [
        r.bucket,
        r.assistedFen,
        r.refundedFen,
        r.netAssistedFen,
        r.calls,
      ]),
    ).toEqual([
      ['2026-11-02', 20_000, 0, 20_000, 1],
      ['2026-11-03', 0, 20_000, -20_000, 0],
    ]);
    // the days and the projections agree; a period that is not whole days is read from the projections
    expect(await all(false)).toEqual(await all(true));
    const morning = await guideFigures(pool, q({ stores: ['s1'], from: at('09:00'), to: at('10:15') }));
    expect(morning.map((r) => [r.staffId, r.calls, r.assistedFen])).toEqual([['g1', 2, 10_000]]);
    // a ranking: by what a guide's help was worth, refunds off
    expect(rankGuides(await guideFigures(pool, q()), 'netAssistedFen', 'desc').map((r) => r.staffId)).toEqual(
      ['g1', 'g2', 'g3'],
    );
  }, 60_000);

  it('are the same written batch by batch in any order, and with the days in another time zone', async () => {
    const raw = await all(true);
    for (const [start, zone] of [
      [7, TZ],
      [23, 'Asia/Kolkata'],
      [42, TZ],
    ] as const) {
      if (zone !== TZ) await setDayTimeZone(pool, zone);
      else await setDayTimeZone(pool, TZ);
      await pool.query(`TRUNCATE sales, sale_lines, sale_payments, refunds, guide_calls, guide_assists,
        store_hours, coupon_hours, line_hours, store_days, line_days, guide_days`);
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
          await writeGuideRollupsPg(c, batch);
          await c.query('COMMIT');
        } finally {
          c.release();
        }
      }
      expect(await all(false, zone)).toEqual(await all(true, zone));
      expect(await all(true)).toEqual(raw);
    }
    // moved back to Shanghai: the days answer as before
    await setDayTimeZone(pool, 'Asia/Kolkata');
    await setDayTimeZone(pool, TZ);
    expect(await all(false)).toEqual(raw);
  }, 60_000);
});
