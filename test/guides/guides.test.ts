// Store guides in the domain: a call taken by exactly one guide, escalated once when
// nobody takes it, cancelled by the shopper; a member's details only with their consent
// and every ask audited; recommendations only of what the store sells or lets guides
// hand out; "bought together" and "due again" checked on generated sales histories
// whose answers are known.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/fleet/fleet.js';
import { parseScan } from '../../edge/catalog/barcode.js';
import { addScan, createCart, setMember } from '../../edge/checkout/carts.js';
import { payCash, startPayment } from '../../edge/checkout/tenders.js';
import type { Db } from '../../edge/db/open.js';
import { AlsoBought } from '../../edge/guides/also-bought.js';
import {
  acceptCall,
  callsNearestFirst,
  cancelCall,
  createCall,
  escalateDue,
  finishCall,
  getCall,
  type ZonePlace,
} from '../../edge/guides/calls.js';
import { dueItems, memberCardFor, memberViews, setGuideConsent } from '../../edge/guides/member-card.js';
import { recommend, recommendations } from '../../edge/guides/recommendations.js';
import { enrollMember } from '../../edge/members/members.js';
import { ctx, demoDb, errorCode, SEED_NOW, sellableCodes } from '../helpers/store.js';

const OPTS = { variableMeasure: [], currencyNumeric: '156' };
const DAY = 86_400_000;
/** a day well after the seed's prices took effect: histories run back from it */
const NOW = SEED_NOW + 120 * DAY;

/** One sale of `codes` (EAN-13s), paid in cash, for `memberId` if given. */
function sell(db: Db, codes: string[], now: number, memberId: string | null = null): void {
  const cart = createCart(db, { channel: 'kiosk', now });
  if (memberId) setMember(db, cart.id, memberId, now);
  for (const c of codes) addScan(db, cart.id, { scan: parseScan(c, OPTS), now });
  const q = startPayment(db, cart.id, ctx(now));
  payCash(db, cart.id, q.dueFen, ctx(now));
}

const call = (db: Db, memberId: string | null = null, zoneId: string | null = 'dairy') =>
  createCall(db, { reason: 'advice', zoneId, gtin: null, memberId }, SEED_NOW);

describe('guide calls', () => {
  it('is taken by one guide only; the other is told; only the one serving it ends it', () => {
    const db = demoDb();
    const c = call(db);
    expect(acceptCall(db, c.id, 'guide-a', SEED_NOW + 5000)).toMatchObject({
      status: 'accepted',
      acceptedBy: 'guide-a',
    });
    expect(errorCode(() => acceptCall(db, c.id, 'guide-b', SEED_NOW + 5001))).toBe('CALL_TAKEN');
    expect(acceptCall(db, c.id, 'guide-a', SEED_NOW + 5002).acceptedAt).toBe(SEED_NOW + 5000); // a repeat
    expect(errorCode(() => finishCall(db, c.id, 'guide-b', SEED_NOW + 9000))).toBe('NOT_YOUR_CALL');
    expect(finishCall(db, c.id, 'guide-a', SEED_NOW + 9000)).toMatchObject({
      status: 'done',
      endedAt: SEED_NOW + 9000,
    });
    expect(errorCode(() => acceptCall(db, c.id, 'guide-b', SEED_NOW + 9001))).toBe('CALL_ENDED');
    // the shopper cancelling a finished call changes nothing
    expect(cancelCall(db, c.id, SEED_NOW + 9500).status).toBe('done');
  });

  it('escalates a call nobody takes, once; a taken or cancelled one is not escalated', () => {
    const db = demoDb();
    const waiting = call(db);
    const taken = call(db);
    const gone = call(db);
    acceptCall(db, taken.id, 'guide-a', SEED_NOW + 1000);
    cancelCall(db, gone.id, SEED_NOW + 1000);
    expect(escalateDue(db, 60_000, SEED_NOW + 59_999)).toEqual([]);
    expect(escalateDue(db, 60_000, SEED_NOW + 60_000).map((c) => c.id)).toEqual([waiting.id]);
    expect(escalateDue(db, 60_000, SEED_NOW + 120_000)).toEqual([]);
    expect(getCall(db, waiting.id).escalatedAt).toBe(SEED_NOW + 60_000);
    // escalated, it can still be taken
    expect(acceptCall(db, waiting.id, 'guide-b', SEED_NOW + 130_000).status).toBe('accepted');
  });

  it('lists the guide’s own zone first, then the nearest on the same floor plan, then the rest', () => {
    const places: ZonePlace[] = [
      { cameraId: 'floor', zoneId: 'dairy', categories: ['dairy'], centre: [2, 2] },
      { cameraId: 'floor', zoneId: 'snacks', categories: ['snacks'], centre: [12, 2] },
      { cameraId: 'floor', zoneId: 'drinks', categories: ['drinks'], centre: [4, 3] },
      { cameraId: 'door', zoneId: 'entrance', categories: [], centre: null },
    ];
    const at = (zoneId: string | null, createdAt: number) =>
      ({ id: `${zoneId}-${createdAt}`, zoneId, createdAt }) as Parameters<
        typeof callsNearestFirst
      >[0][number];
    const calls = [
      at('snacks', 1),
      at(null, 2),
      at('entrance', 3),
      at('drinks', 4),
      at('dairy', 5),
      at('dairy', 6),
    ];
    expect(callsNearestFirst(calls, places, 'dairy').map((c) => c.id)).toEqual([
      'dairy-5',
      'dairy-6',
      'drinks-4',
      'snacks-1',
      'null-2',
      'entrance-3',
    ]);
    // a guide who has not said where they are: oldest first
    expect(callsNearestFirst(calls, places, null).map((c) => c.createdAt)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("a member's details for a guide", () => {
  it('refuses without the member’s consent, shows them with it, and audits every ask', () => {
    const db = demoDb();
    const { member } = enrollMember(db, 'Zhou', NOW - 30 * DAY);
    const milk = sellableCodes(db)[0]!;
    sell(db, [milk], NOW - 3 * DAY, member.id);
    const c = call(db, member.id);
    acceptCall(db, c.id, 'guide-a', NOW);
    expect(errorCode(() => memberCardFor(db, c.id, 'guide-a', NOW + 1))).toBe('NO_MEMBER_CONSENT');
    // another guide is refused whatever the consent
    expect(errorCode(() => memberCardFor(db, c.id, 'guide-b', NOW + 2))).toBe('NOT_YOUR_CALL');

    setGuideConsent(db, member.id, true, NOW + 3);
    const card = memberCardFor(db, c.id, 'guide-a', NOW + 4);
    expect(card).toMatchObject({ memberId: member.id, tier: 'member' });
    expect(card.points).toBeGreaterThan(0);
    expect(card.recent.length).toBe(1);
    // withdrawn: refused again
    setGuideConsent(db, member.id, false, NOW + 5);
    expect(errorCode(() => memberCardFor(db, c.id, 'guide-a', NOW + 6))).toBe('NO_MEMBER_CONSENT');
    expect(memberViews(db, member.id).map((v) => [v.staffId, v.outcome, v.at])).toEqual([
      ['guide-a', 'refused', NOW + 6],
      ['guide-a', 'shown', NOW + 4],
      ['guide-a', 'refused', NOW + 1],
    ]);
  });

  it('finds the items a member buys regularly that are due again', () => {
    const db = demoDb();
    const [milk, bread, cola, chips] = sellableCodes(db) as [string, string, string, string];
    const { member } = enrollMember(db, 'Wu', NOW - 90 * DAY);
    // milk every 7 days, last 8 days ago: due; cola every 7 days, last 2 days ago: not yet;
    // chips twice only: no cycle; bread every 10 days, last 12 days ago: due, and more overdue (1.2 cycles to milk's 1.14)
    for (let k = 0; k < 5; k++) sell(db, [milk], NOW - (8 + 7 * k) * DAY, member.id);
    for (let k = 0; k < 4; k++) sell(db, [cola], NOW - (2 + 7 * k) * DAY, member.id);
    for (let k = 0; k < 2; k++) sell(db, [chips], NOW - (5 + 20 * k) * DAY, member.id);
    for (let k = 0; k < 3; k++) sell(db, [bread], NOW - (12 + 10 * k) * DAY, member.id);
    const due = dueItems(db, member.id, NOW);
    expect(
      due.map((d) => [
        `0${milk}` === d.gtin ? 'milk' : `0${bread}` === d.gtin ? 'bread' : d.gtin,
        d.times,
        d.everyDays,
      ]),
    ).toEqual([
      ['bread', 3, 10],
      ['milk', 5, 7],
    ]);
  });
});

describe('recommendations', () => {
  it('sends a product on sale, or a coupon of a campaign guides may hand out; nothing else', () => {
    const db = demoDb();
    const c = call(db);
    const milk = sellableCodes(db)[0]!;
    expect(
      errorCode(() => recommend(db, c.id, 'guide-a', { kind: 'product', gtin: `0${milk}` }, SEED_NOW)),
    ).toBe('CALL_NOT_BEING_SERVED');
    acceptCall(db, c.id, 'guide-a', SEED_NOW);
    expect(recommend(db, c.id, 'guide-a', { kind: 'product', gtin: `0${milk}` }, SEED_NOW + 1)).toMatchObject(
      {
        kind: 'product',
        gtin: `0${milk}`,
      },
    );
    expect(
      errorCode(() => recommend(db, c.id, 'guide-a', { kind: 'product', gtin: '00000000000000' }, SEED_NOW)),
    ).toBe('PRODUCT_NOT_FOUND');
    expect(
      recommend(db, c.id, 'guide-a', { kind: 'coupon', campaignId: 'qingshuang-10pct' }, SEED_NOW + 2),
    ).toMatchObject({ kind: 'coupon', campaignId: 'qingshuang-10pct' });
    // a claim campaign guides are not given, and a post-purchase one
    for (const id of ['welcome-5', 'dairy-repurchase'])
      expect(
        errorCode(() => recommend(db, c.id, 'guide-a', { kind: 'coupon', campaignId: id }, SEED_NOW)),
      ).toBe('NOT_FOR_GUIDES');
    expect(
      errorCode(() => recommend(db, c.id, 'guide-b', { kind: 'product', gtin: `0${milk}` }, SEED_NOW)),
    ).toBe('NOT_YOUR_CALL');
    expect(recommendations(db, c.id, SEED_NOW).map((r) => r.kind)).toEqual(['product', 'coupon']);
  });
});

describe('bought together', () => {
  it('finds the planted pairs in a generated history, and a popular item does not crowd them out', () => {
    const db = demoDb();
    const codes = sellableCodes(db).slice(0, 40);
    const random = mulberry32(7);
    const pick = () => codes[8 + Math.floor(random() * (codes.length - 8))]!;
    // pairs bought together: (0,1), (2,3), (4,5); codes[6] is in four baskets of five
    const pairs: [number, number][] = [
      [0, 1],
      [2, 3],
      [4, 5],
    ];
    const BASKETS = 400;
    for (let b = 0; b < BASKETS; b++) {
      const basket = new Set<string>();
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) basket.add(pick());
      for (const [x, y] of pairs)
        if (random() < 0.12) {
          basket.add(codes[x]!);
          if (random() < 0.6) basket.add(codes[y]!);
        }
      if (random() < 0.8) basket.add(codes[6]!);
      sell(db, [...basket], NOW - (BASKETS - b) * 60_000);
    }
    const ab = new AlsoBought();
    ab.refresh(db, NOW);
    expect(ab.figures().baskets).toBe(BASKETS);
    for (const [x, y] of pairs) {
      expect(ab.of(`0${codes[x]}`)[0]?.gtin, `pair ${x}`).toBe(`0${codes[y]}`);
      expect(ab.of(`0${codes[y]}`)[0]?.gtin, `pair ${y}`).toBe(`0${codes[x]}`);
    }
    // what plain counts would say: the popular item first for one anchor at least (why cosine)
    const together = (a: string, b: string) =>
      db
        .prepare(
          'SELECT count(*) FROM sale_lines x JOIN sale_lines y ON x.sale_id = y.sale_id WHERE x.gtin = ? AND y.gtin = ?',
        )
        .pluck()
        .get(a, b) as number;
    const countBeatsPair = pairs.some(
      ([x, y]) => together(`0${codes[x]}`, `0${codes[6]}`) > together(`0${codes[x]}`, `0${codes[y]}`),
    );
    expect(countBeatsPair).toBe(true);
    // bounded: top 5 per product, and a window of the newest baskets only
    expect(Math.max(...codes.map((c) => ab.of(`0${c}`).length))).toBeLessThanOrEqual(5);
    const small = new AlsoBought({
      windowDays: 90,
      maxBaskets: 50,
      maxLinesPerBasket: 30,
      maxPairs: 100,
      top: 3,
      minTogether: 1,
    });
    small.refresh(db, NOW);
    expect(small.figures()).toMatchObject({ baskets: 50 });
    expect(small.figures().pairs).toBeLessThanOrEqual(100);
  });
});
