import { describe, expect, it } from 'vitest';
import { addScan, createCart, setMember } from '../../edge/checkout/carts.js';
import { quoteCart } from '../../edge/checkout/quote.js';
import { refundSale } from '../../edge/checkout/refunds.js';
import { payCash, startPayment } from '../../edge/checkout/tenders.js';
import { type CouponCandidate, chooseCoupons } from '../../edge/coupons/choose.js';
import { signCode } from '../../edge/coupons/codes.js';
import {
  claimAfterPurchase,
  claimableCampaigns,
  claimCoupon,
  offerAfterPurchase,
  presentCoupon,
  walletOf,
} from '../../edge/coupons/wallet.js';
import type { Db } from '../../edge/db/open.js';
import { readOutbox } from '../../edge/db/outbox.js';
import { enrollMember, identifyMember } from '../../edge/members/members.js';
import { ctx, demoDb, errorCode, gtinOf, SEED_NOW, scan } from '../helpers/store.js';

const now = SEED_NOW;
const supervisor = { id: 's1', name: 'Wang', role: 'supervisor' as const };
const code = errorCode;

function buy(db: Db, memberId: string | null, items: [string, number][]) {
  const cart = createCart(db, { channel: 'kiosk', now });
  if (memberId) setMember(db, cart.id, memberId, now);
  for (const [en, qty] of items) addScan(db, cart.id, { scan: scan(gtinOf(db, en)), qty, now });
  const q = startPayment(db, cart.id, ctx());
  const r = payCash(db, cart.id, q.dueFen, ctx());
  return { cartId: cart.id, quote: q, sale: r.sale! };
}

describe('choosing coupons', () => {
  const lines = [
    { gtin: '00000000000011', categories: ['dairy', 'food'], brandId: 'caoyuan', netFen: 3000 },
    { gtin: '00000000000022', categories: ['snacks', 'food'], brandId: 'xiaoxiong', netFen: 2000 },
  ];
  const cand = (
    id: string,
    campaignId: string,
    benefit: CouponCandidate['terms']['benefit'],
    more: Partial<CouponCandidate['terms']> = {},
    expiresAt = 10,
  ): CouponCandidate => ({
    couponId: id,
    expiresAt,
    terms: {
      campaignId,
      name: { zh: id, en: id },
      benefit,
      scope: { gtins: [], categories: [], brands: [], excludeGtins: [] },
      minSpendFen: 0,
      ...more,
    },
  });

  it('picks the combination that saves the most, one coupon per campaign', () => {
    const chosen = chooseCoupons(lines, [
      cand('a', 'A', { type: 'amount_off', amountFen: 500 }),
      cand('a2', 'A', { type: 'amount_off', amountFen: 500 }, {}, 5),
      cand('p', 'P', { type: 'percent_off', percent: 20, maxDiscountFen: 800 }),
      cand(
        'd',
        'D',
        { type: 'amount_off', amountFen: 300 },
        { scope: { gtins: [], categories: ['dairy'], brands: [], excludeGtins: [] }, minSpendFen: 3000 },
      ),
    ]);
    expect(chosen.map((c) => [c.couponId, c.amountFen])).toEqual([
      ['p', 800],
      ['a2', 500], // the same campaign's coupon that expires first
      ['d', 300],
    ]);
    for (const c of chosen) expect(c.perLine.reduce((a, b) => a + b, 0)).toBe(c.amountFen);
  });

  it('respects minimum spend on in-scope lines and never discounts below zero', () => {
    const dairyMin = cand(
      'd',
      'D',
      { type: 'amount_off', amountFen: 300 },
      { scope: { gtins: [], categories: ['dairy'], brands: [], excludeGtins: [] }, minSpendFen: 3001 },
    );
    expect(chooseCoupons(lines, [dairyMin])).toEqual([]);
    const huge = cand('h', 'H', { type: 'amount_off', amountFen: 999_999 });
    expect(chooseCoupons(lines, [huge])[0]?.amountFen).toBe(5000);
  });
});

describe('wallet and redemption', () => {
  it('a claimed coupon redeems by itself at payment, once', () => {
    const db = demoDb();
    const { member } = enrollMember(db, 'Zhang', now);
    expect(claimableCampaigns(db, member.id, now).map((c) => c.id)).toEqual([
      'qingshuang-10pct',
      'welcome-5',
    ]);
    const coupon = claimCoupon(db, 'welcome-5', member.id, now);
    expect(coupon.code).toMatch(/^SEC1\./);
    expect(code(() => claimCoupon(db, 'welcome-5', member.id, now))).toBe('COUPON_UNAVAILABLE'); // 1 per member
    expect(code(() => claimCoupon(db, 'dairy-repurchase', member.id, now))).toBe('NOT_CLAIMABLE');

    const first = buy(db, member.id, [['Anti-Dandruff Shampoo 400ml', 1]]);
    expect(first.quote.coupons.map((c) => [c.couponId, c.amountFen])).toEqual([[coupon.id, 500]]);
    expect(first.sale.quote.totalFen).toBe(3490);
    expect(walletOf(db, member.id, now)[0]?.status).toBe('redeemed');
    expect(readOutbox(db).filter((e) => e.type === 'coupon.redeemed')).toHaveLength(1);

    const second = buy(db, member.id, [['Anti-Dandruff Shampoo 400ml', 1]]);
    expect(second.quote.coupons).toEqual([]);
    // the database itself refuses a second live redemption
    expect(() =>
      db
        .prepare(
          'INSERT INTO coupon_redemptions (coupon_id, sale_id, amount_fen, redeemed_at) VALUES (?, ?, 500, ?)',
        )
        .run(coupon.id, second.sale.saleId, now),
    ).toThrow(/UNIQUE/);
  });

  it('a full refund reverses the redemption and the coupon can be used again', () => {
    const db = demoDb();
    const { member } = enrollMember(db, 'Zhang', now);
    const coupon = claimCoupon(db, 'welcome-5', member.id, now);
    const { sale } = buy(db, member.id, [['Anti-Dandruff Shampoo 400ml', 1]]);
    const r = refundSale(db, sale.saleId, { staff: supervisor, reason: 'allergy', now, fenPerPoint: 1 });
    expect(r.couponsReversed).toEqual([coupon.id]);
    expect(r.amountFen).toBe(3490);
    expect(walletOf(db, member.id, now)[0]?.status).toBe('available');
    expect(readOutbox(db).some((e) => e.type === 'coupon.redemption_reversed')).toBe(true);
    const again = buy(db, member.id, [['Anti-Dandruff Shampoo 400ml', 1]]);
    expect(again.quote.couponDiscountFen).toBe(500);
  });

  it('a code shown at the kiosk is verified offline; forged, foreign and used codes are refused', () => {
    const db = demoDb();
    const { member, code: memberCode } = enrollMember(db, 'Zhang', now);
    expect(identifyMember(db, memberCode, now).id).toBe(member.id);
    const coupon = claimCoupon(db, 'qingshuang-10pct', member.id, now);
    const cart = createCart(db, { channel: 'kiosk', now });
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Anti-Dandruff Shampoo 400ml')), now });

    const [head, payload, sig] = coupon.code.split('.');
    const tampered = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    tampered.e += 86_400_000;
    const forged = `${head}.${Buffer.from(JSON.stringify(tampered)).toString('base64url')}.${sig}`;
    expect(code(() => presentCoupon(db, cart.id, forged, member.id, now))).toBe('CODE_INVALID');
    expect(code(() => presentCoupon(db, cart.id, 'SEC1.bm9wZQ.AAAA', member.id, now))).toBe('CODE_INVALID');
    expect(code(() => presentCoupon(db, cart.id, coupon.code, null, now))).toBe('COUPON_NOT_YOURS');
    // flip the signature's first character (the last one partly encodes padding bits)
    const [mHead, mBody, mSig] = memberCode.split('.');
    const flipped = `${mHead}.${mBody}.${mSig![0] === 'A' ? 'B' : 'A'}${mSig!.slice(1)}`;
    expect(code(() => identifyMember(db, flipped, now))).toBe('CODE_INVALID');

    setMember(db, cart.id, member.id, now);
    presentCoupon(db, cart.id, coupon.code, member.id, now);
    const q = quoteCart(db, cart.id, ctx());
    expect(q.coupons.map((c) => c.couponId)).toContain(coupon.id);
  });

  it('an anonymous coupon shown at a cart redeems once; showing it again is refused', () => {
    const db = demoDb();
    // HQ-style coupon without member, signed by a key this store trusts
    const id = 'c-anon-1';
    const signed = signCode(db, 'coupon', { id, c: 'welcome-5', m: null, e: now + 86_400_000 }, now);
    const cart = createCart(db, { channel: 'kiosk', now });
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Anti-Dandruff Shampoo 400ml')), now });
    presentCoupon(db, cart.id, signed, null, now);
    startPayment(db, cart.id, ctx());
    const r = payCash(db, cart.id, 3490, ctx());
    expect(r.sale?.quote.couponDiscountFen).toBe(500);
    const other = createCart(db, { channel: 'kiosk', now });
    expect(code(() => presentCoupon(db, other.id, signed, null, now))).toBe('COUPON_REDEEMED');
    expect(
      code(() =>
        presentCoupon(
          db,
          other.id,
          signCode(db, 'coupon', { id: 'x', c: 'welcome-5', m: null, e: now - 1 }, now),
          null,
          now,
        ),
      ),
    ).toBe('COUPON_EXPIRED');
  });
});

describe('after-purchase offers', () => {
  it('a qualifying sale gets the repurchase coupon offered once', () => {
    const db = demoDb();
    const { member } = enrollMember(db, 'Zhang', now);
    const dairy = buy(db, member.id, [['Whole Milk 1L', 1]]);
    const offer = offerAfterPurchase(db, dairy.sale.saleId, now);
    expect(offer?.id).toBe('dairy-repurchase');
    const c = claimAfterPurchase(db, 'dairy-repurchase', dairy.sale.saleId, now);
    expect(c.expiresAt).toBe(now + 14 * 86_400_000);
    expect(code(() => claimAfterPurchase(db, 'dairy-repurchase', dairy.sale.saleId, now))).toBe(
      'COUPON_ALREADY_CLAIMED',
    );
    expect(offerAfterPurchase(db, dairy.sale.saleId, now)).toBeNull();

    const snacks = buy(db, member.id, [['Potato Chips Original 70g', 1]]);
    expect(offerAfterPurchase(db, snacks.sale.saleId, now)).toBeNull();
    expect(code(() => claimAfterPurchase(db, 'dairy-repurchase', snacks.sale.saleId, now))).toBe(
      'COUPON_UNAVAILABLE',
    );
  });
});
