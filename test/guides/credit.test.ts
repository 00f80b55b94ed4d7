// A guide's part in a sale: their code scanned into a cart credits it (and replaces an
// earlier credit); a product they recommended credits a cart nobody has yet; the paid
// sale is written to the guide with its value and told to HQ; the figures per guide per
// day count calls answered, the time to accept and to done, assisted sales and value.
import { describe, expect, it } from 'vitest';
import { parseScan } from '../../edge/catalog/barcode.js';
import { addScan, createCart, setMember } from '../../edge/checkout/carts.js';
import { refundSale } from '../../edge/checkout/refunds.js';
import { payCash, startPayment } from '../../edge/checkout/tenders.js';
import type { Db } from '../../edge/db/open.js';
import { acceptCall, createCall, finishCall } from '../../edge/guides/calls.js';
import { creditByCode, creditByRecommendation, guideCode, guideFigures } from '../../edge/guides/credit.js';
import { recommend } from '../../edge/guides/recommendations.js';
import { enrollMember } from '../../edge/members/members.js';
import { ctx, demoDb, errorCode, SEED_NOW, sellableCodes } from '../helpers/store.js';

const OPTS = { variableMeasure: [], currencyNumeric: '156' };
const isGuide = (id: string) => id === 'guide-1' || id === 'guide-2';

function cartWith(db: Db, codes: string[], now = SEED_NOW): string {
  const cart = createCart(db, { channel: 'phone', now });
  for (const c of codes) addScan(db, cart.id, { scan: parseScan(c, OPTS), now });
  return cart.id;
}
function pay(db: Db, cartId: string, now = SEED_NOW): string {
  const q = startPayment(db, cartId, ctx(now));
  return payCash(db, cartId, q.dueFen, ctx(now)).sale!.saleId;
}
const assists = (db: Db) =>
  (
    db
      .prepare("SELECT payload FROM outbox WHERE type = 'guide.assist' ORDER BY seq")
      .pluck()
      .all() as string[]
  ).map((p) => JSON.parse(p));

describe("a guide's credit", () => {
  it('a code scanned into the cart credits its sale, with the value, and HQ is told', () => {
    const db = demoDb();
    const [a, b] = sellableCodes(db) as [string, string];
    const cart = cartWith(db, [a, b]);
    expect(creditByCode(db, cart, guideCode('guide-1'), isGuide)).toBe('guide-1');
    const saleId = pay(db, cart);
    const total = db.prepare('SELECT total_fen FROM sales WHERE id = ?').pluck().get(saleId) as number;
    expect(db.prepare('SELECT staff_id, source, total_fen FROM sale_guides').all()).toEqual([
      { staff_id: 'guide-1', source: 'code', total_fen: total },
    ]);
    expect(assists(db)).toEqual([
      { saleId, staffId: 'guide-1', source: 'code', callId: null, totalFen: total, at: SEED_NOW },
    ]);
    // a sale nobody helped with is nobody's
    pay(db, cartWith(db, [a]));
    expect(db.prepare('SELECT count(*) FROM sale_guides').pluck().get()).toBe(1);
  });

  it("tells HQ nothing of the shopper: a member's call and credited sale go without them", () => {
    const db = demoDb();
    const [a] = sellableCodes(db) as [string];
    const { member } = enrollMember(db, '王小明', SEED_NOW);
    const c = createCall(db, { reason: 'find', zoneId: 'dairy', gtin: a, memberId: member.id }, SEED_NOW);
    acceptCall(db, c.id, 'guide-1', SEED_NOW + 4000);
    finishCall(db, c.id, 'guide-1', SEED_NOW + 60_000);
    const cart = cartWith(db, [a]);
    setMember(db, cart, member.id, SEED_NOW);
    creditByCode(db, cart, guideCode('guide-1'), isGuide);
    pay(db, cart);
    // what goes on the wire is the outbox row's payload, as it is
    const wire = db
      .prepare("SELECT type, payload FROM outbox WHERE type IN ('guide.call', 'guide.assist')")
      .all() as { type: string; payload: string }[];
    expect(wire.map((w) => w.type).sort()).toEqual(['guide.assist', 'guide.call']);
    for (const w of wire) {
      expect(w.payload).not.toContain(member.id);
      expect(w.payload).not.toContain('王小明');
      expect(w.payload).not.toContain(a); // nor what the shopper asked about
      expect(Object.keys(JSON.parse(w.payload))).not.toContain('memberId');
    }
  });

  it('refuses a code that is not a guide’s, and a cart already paying', () => {
    const db = demoDb();
    const [a] = sellableCodes(db) as [string];
    const cart = cartWith(db, [a]);
    expect(errorCode(() => creditByCode(db, cart, guideCode('cashier-1'), isGuide))).toBe('NOT_A_GUIDE_CODE');
    expect(errorCode(() => creditByCode(db, cart, 'storeedge:guide:../../x', isGuide))).toBe(
      'NOT_A_GUIDE_CODE',
    );
    startPayment(db, cart, ctx());
    expect(errorCode(() => creditByCode(db, cart, guideCode('guide-1'), isGuide))).toBe('CART_STATE');
  });

  it('a recommended product credits a cart nobody has; a code replaces it; a wrong product does not', () => {
    const db = demoDb();
    const [milk, shampoo, other] = sellableCodes(db) as [string, string, string];
    const call = createCall(db, { reason: 'advice', zoneId: null, gtin: null, memberId: null }, SEED_NOW);
    acceptCall(db, call.id, 'guide-1', SEED_NOW + 10_000);
    const rec = recommend(
      db,
      call.id,
      'guide-1',
      { kind: 'product', gtin: `0${shampoo}` },
      SEED_NOW + 20_000,
    );
    const cart = cartWith(db, [milk, shampoo], SEED_NOW + 30_000);
    // the recommendation names another product than the one added: no credit
    expect(creditByRecommendation(db, cart, rec.id, `0${other}`, SEED_NOW + 30_000)).toBeNull();
    expect(creditByRecommendation(db, cart, rec.id, `0${shampoo}`, SEED_NOW + 30_000)).toBe('guide-1');
    // another guide's code scanned later: theirs now (the code says it outright)
    expect(creditByCode(db, cart, guideCode('guide-2'), isGuide)).toBe('guide-2');
    // and a recommendation does not take it back
    expect(creditByRecommendation(db, cart, rec.id, `0${shampoo}`, SEED_NOW + 40_000)).toBe('guide-2');
    // hours later a recommendation no longer credits anyone
    const late = cartWith(db, [shampoo], SEED_NOW + 5 * 3_600_000);
    expect(creditByRecommendation(db, late, rec.id, `0${shampoo}`, SEED_NOW + 5 * 3_600_000)).toBeNull();
    const saleId = pay(db, cart, SEED_NOW + 50_000);
    expect(db.prepare('SELECT staff_id, source FROM sale_guides WHERE sale_id = ?').get(saleId)).toEqual({
      staff_id: 'guide-2',
      source: 'code',
    });
  });

  it('counts each guide’s day: calls answered, time to accept and to done, assisted sales and value', () => {
    const db = demoDb();
    const [a, b] = sellableCodes(db) as [string, string];
    const call = (at: number) =>
      createCall(db, { reason: 'find', zoneId: null, gtin: null, memberId: null }, at);
    const c1 = call(SEED_NOW);
    acceptCall(db, c1.id, 'guide-1', SEED_NOW + 20_000);
    finishCall(db, c1.id, 'guide-1', SEED_NOW + 140_000);
    const c2 = call(SEED_NOW + 60_000);
    acceptCall(db, c2.id, 'guide-1', SEED_NOW + 100_000);
    // guide-1 helps one sale, guide-2 none; a call the next day counts on that day
    const cart = cartWith(db, [a, b]);
    creditByCode(db, cart, guideCode('guide-1'), isGuide);
    const saleId = pay(db, cart);
    const total = db.prepare('SELECT total_fen FROM sales WHERE id = ?').pluck().get(saleId) as number;
    const next = call(SEED_NOW + 86_400_000);
    acceptCall(db, next.id, 'guide-2', SEED_NOW + 86_400_000 + 5000);
    const figures = guideFigures(db, SEED_NOW - 86_400_000, SEED_NOW + 2 * 86_400_000, 'Asia/Shanghai');
    expect(figures.map(({ day: _d, ...f }) => f)).toEqual([
      {
        staffId: 'guide-1',
        callsAnswered: 2,
        avgSecondsToAccept: 30, // (20 + 40) / 2
        avgSecondsToDone: 120, // only the call done
        assistedSales: 1,
        assistedFen: total,
        refundedFen: 0,
        netAssistedFen: total,
      },
      {
        staffId: 'guide-2',
        callsAnswered: 1,
        avgSecondsToAccept: 5,
        avgSecondsToDone: null,
        assistedSales: 0,
        assistedFen: 0,
        refundedFen: 0,
        netAssistedFen: 0,
      },
    ]);
    expect(figures[1]!.day - figures[0]!.day).toBe(86_400_000);
    // HQ hears how the done call ended, with no shopper in it
    const ended = db
      .prepare("SELECT payload FROM outbox WHERE type = 'guide.call'")
      .pluck()
      .all() as string[];
    expect(ended.map((p) => JSON.parse(p))).toEqual([
      expect.objectContaining({ callId: c1.id, status: 'done', staffId: 'guide-1', escalated: false }),
    ]);
  });

  it('takes a refund of an assisted sale off the guide, on the day of the refund', () => {
    const db = demoDb();
    const [a, b] = sellableCodes(db) as [string, string];
    const cart = cartWith(db, [a, b]);
    creditByCode(db, cart, guideCode('guide-1'), isGuide);
    const saleId = pay(db, cart);
    const total = db.prepare('SELECT total_fen FROM sales WHERE id = ?').pluck().get(saleId) as number;
    const supervisor = { id: 'sup-1', name: 'Sup', role: 'supervisor' as const };
    // the first line back the next day, the rest the day after
    const first = refundSale(db, saleId, {
      lines: [{ lineNo: 1, qty: 1 }],
      staff: supervisor,
      reason: 'changed mind',
      now: SEED_NOW + 86_400_000,
      fenPerPoint: 1,
    });
    const rest = refundSale(db, saleId, {
      staff: supervisor,
      reason: 'changed mind',
      now: SEED_NOW + 2 * 86_400_000,
      fenPerPoint: 1,
    });
    expect(first.amountFen + rest.amountFen).toBe(total);
    const figures = guideFigures(db, SEED_NOW - 86_400_000, SEED_NOW + 3 * 86_400_000, 'Asia/Shanghai');
    expect(figures.map((f) => [f.assistedSales, f.assistedFen, f.refundedFen, f.netAssistedFen])).toEqual([
      [1, total, 0, total],
      [0, 0, first.amountFen, -first.amountFen],
      [0, 0, rest.amountFen, -rest.amountFen],
    ]);
    // over the whole period the sale is worth nothing to the guide
    const whole = guideFigures(db, SEED_NOW - 86_400_000, SEED_NOW + 3 * 86_400_000, 'UTC');
    expect(whole.reduce((n, f) => n + f.netAssistedFen, 0)).toBe(0);
  });
});
