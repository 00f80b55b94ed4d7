import { describe, expect, it } from 'vitest';
import { withCheckDigit } from '../../edge/catalog/gtin.js';
import {
  addScan,
  approveAge,
  cancelCart,
  createCart,
  handOffCart,
  overridePrice,
  removeLine,
  resumeCart,
  setMember,
  setQty,
  suspendCart,
  voidLine,
} from '../../edge/checkout/carts.js';
import { quoteCart } from '../../edge/checkout/quote.js';
import { receiptFor, receiptText } from '../../edge/checkout/receipt.js';
import { refundSale } from '../../edge/checkout/refunds.js';
import type { Staff } from '../../edge/checkout/staff.js';
import { cancelPayment, payCash, payPoints, startPayment } from '../../edge/checkout/tenders.js';
import { readOutbox } from '../../edge/db/outbox.js';
import { enrollMember, getMember, movePoints } from '../../edge/members/members.js';
import { ctx, demoDb, errorCode, gtinOf, SEED_NOW, scan } from '../helpers/store.js';

const cashier: Staff = { id: 'c1', name: 'Li', role: 'cashier' };
const supervisor: Staff = { id: 's1', name: 'Wang', role: 'supervisor' };
const now = SEED_NOW;
const code = errorCode;

describe('carts and lines', () => {
  it('adds scanned items, merging repeated scans of the same item', () => {
    const db = demoDb();
    const cart = createCart(db, { channel: 'kiosk', kioskId: 'kiosk-1', now });
    expect(cart.code).toMatch(/^[2-9A-HJ-NP-Z]{6}$/);
    const water = gtinOf(db, 'Natural Mineral Water 550ml');
    addScan(db, cart.id, { scan: scan(water), now });
    addScan(db, cart.id, { scan: scan(`]E0${water}`), now });
    const q = quoteCart(db, cart.id, ctx());
    expect(q.lines).toHaveLength(1);
    expect(q.lines[0]).toMatchObject({ qty: 2, unitPriceFen: 200, grossFen: 400, finalFen: 400 });
    expect(q.totalFen).toBe(400);
    expect(q.taxFen).toBe(46); // 400 × 13/113
  });

  it('a case code adds its pack quantity; unknown codes are refused', () => {
    const db = demoDb();
    const cart = createCart(db, { channel: 'kiosk', now });
    const caseCode = db.prepare('SELECT gtin FROM barcodes LIMIT 1').pluck().get() as string;
    const line = addScan(db, cart.id, { scan: scan(caseCode), now });
    expect(line.qty).toBe(1);
    expect(code(() => addScan(db, cart.id, { scan: scan(withCheckDigit('690000000001')), now }))).toBe(
      'UNKNOWN_PRODUCT',
    );
  });

  it('weighed items take the scale weight or the weight on a label; a price label is the price', () => {
    const db = demoDb();
    const cart = createCart(db, { channel: 'kiosk', now });
    const apples = db.prepare("SELECT gtin FROM products WHERE plu = '10001'").pluck().get() as string;
    expect(code(() => addScan(db, cart.id, { scan: scan(apples.slice(1)), now }))).toBe('WEIGHT_REQUIRED');
    addScan(db, cart.id, { scan: scan(apples.slice(1)), weightG: 455, now });
    addScan(db, cart.id, { scan: scan(withCheckDigit('201000101000')), now }); // 1000 g label
    addScan(db, cart.id, { scan: scan(withCheckDigit('211000200399')), now }); // ¥3.99 banana label
    const q = quoteCart(db, cart.id, ctx());
    expect(q.lines.map((l) => [l.weightG, l.grossFen, l.priceSource])).toEqual([
      [455, 582, 'catalog'], // ¥12.80/kg × 0.455
      [1000, 1280, 'catalog'],
      [null, 399, 'label'],
    ]);
  });

  it('promotions show per line: tea drinks second one half price', () => {
    const db = demoDb();
    const cart = createCart(db, { channel: 'phone', now });
    const tea = gtinOf(db, 'Iced Black Tea 500ml');
    addScan(db, cart.id, { scan: scan(tea), qty: 2, now });
    const q = quoteCart(db, cart.id, ctx());
    expect(q.lines[0]?.discounts).toEqual([
      {
        promotionId: 'tea-2nd-half',
        name: { zh: '茶饮料第二件半价', en: 'Tea drinks: second one half price' },
        amountFen: 150,
      },
    ]);
    expect(q.totalFen).toBe(450);
  });

  it('phone shoppers change quantities and remove items; at a kiosk lowering or removing needs an attendant', () => {
    const db = demoDb();
    const phone = createCart(db, { channel: 'phone', now });
    const line = addScan(db, phone.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now });
    setQty(db, phone.id, line.id, 3, now);
    expect(quoteCart(db, phone.id, ctx()).lines[0]?.qty).toBe(3);
    removeLine(db, phone.id, line.id, now);
    expect(quoteCart(db, phone.id, ctx()).lines).toHaveLength(0);

    const kiosk = createCart(db, { channel: 'kiosk', now });
    const kl = addScan(db, kiosk.id, { scan: scan(gtinOf(db, 'Cola 330ml')), qty: 2, now });
    expect(code(() => setQty(db, kiosk.id, kl.id, 1, now))).toBe('ATTENDANT_REQUIRED');
    expect(code(() => removeLine(db, kiosk.id, kl.id, now))).toBe('ATTENDANT_REQUIRED');
    voidLine(db, kiosk.id, kl.id, cashier, 'customer changed mind', now);
    expect(quoteCart(db, kiosk.id, ctx()).lines).toHaveLength(0);
    expect(db.prepare('SELECT staff_id, action, reason FROM attendant_actions').all()).toEqual([
      { staff_id: 'c1', action: 'void', reason: 'customer changed mind' },
    ]);
  });

  it('attendant actions need the right role and a reason', () => {
    const db = demoDb();
    const cart = createCart(db, { channel: 'kiosk', now });
    const line = addScan(db, cart.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now });
    expect(code(() => overridePrice(db, cart.id, line.id, 100, cashier, 'damaged', now))).toBe(
      'ROLE_REQUIRED',
    );
    expect(code(() => overridePrice(db, cart.id, line.id, 100, supervisor, '  ', now))).toBe(
      'REASON_REQUIRED',
    );
    overridePrice(db, cart.id, line.id, 100, supervisor, 'dented can', now);
    expect(quoteCart(db, cart.id, ctx()).lines[0]).toMatchObject({
      unitPriceFen: 100,
      priceSource: 'override',
      finalFen: 100,
    });
  });

  it('suspend, resume and hand a phone cart to a kiosk by its code', () => {
    const db = demoDb();
    const phone = createCart(db, { channel: 'phone', now });
    addScan(db, phone.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now });
    suspendCart(db, phone.id, now);
    expect(code(() => addScan(db, phone.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now }))).toBe(
      'CART_STATE',
    );
    resumeCart(db, phone.id, now);
    const taken = handOffCart(db, phone.code.toLowerCase(), 'kiosk-2', now);
    expect(taken).toMatchObject({ id: phone.id, kiosk_id: 'kiosk-2', channel: 'kiosk', status: 'open' });
    expect(code(() => handOffCart(db, 'ZZZZZZ', 'kiosk-2', now))).toBe('CART_NOT_FOUND');
  });

  it('a kiosk cart with items is cancelled only by an attendant', () => {
    const db = demoDb();
    const cart = createCart(db, { channel: 'kiosk', now });
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now });
    expect(code(() => cancelCart(db, cart.id, null, '', now))).toBe('ATTENDANT_REQUIRED');
    cancelCart(db, cart.id, cashier, 'walked away', now);
    expect(code(() => addScan(db, cart.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now }))).toBe(
      'CART_STATE',
    );
  });
});

describe('paying', () => {
  it('age-restricted items need an attendant before payment', () => {
    const db = demoDb();
    const cart = createCart(db, { channel: 'kiosk', now });
    const beer = addScan(db, cart.id, { scan: scan(gtinOf(db, 'Lager Beer 500ml')), now });
    expect(code(() => startPayment(db, cart.id, ctx()))).toBe('AGE_CHECK_REQUIRED');
    approveAge(db, cart.id, beer.id, cashier, 'ID checked, born 1990', now);
    expect(startPayment(db, cart.id, ctx()).status).toBe('paying');
  });

  it('cash with change completes the sale and writes sale, lines and outbox together', () => {
    const db = demoDb();
    const cart = createCart(db, { channel: 'kiosk', kioskId: 'kiosk-1', now });
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Iced Black Tea 500ml')), qty: 2, now });
    const q = startPayment(db, cart.id, ctx());
    expect(q.totalFen).toBe(450);
    expect(code(() => addScan(db, cart.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now }))).toBe(
      'CART_STATE',
    );
    const r = payCash(db, cart.id, 1000, ctx());
    expect(r.sale).toMatchObject({ changeFen: 550 });
    expect(r.sale?.receiptNo).toMatch(/^R20261118-00001$/);
    const sale = db.prepare('SELECT * FROM sales').get() as Record<string, number>;
    expect(sale).toMatchObject({ total_fen: 450, paid_fen: 1000, change_fen: 550, promo_discount_fen: 150 });
    expect(db.prepare('SELECT count(*) FROM sale_lines').pluck().get()).toBe(1);
    expect(readOutbox(db).map((e) => e.type)).toEqual(['sale.completed']);
    expect(readOutbox(db)[0]?.payload).toMatchObject({ totalFen: 450, receiptNo: 'R20261118-00001' });
    const receipt = receiptFor(db, r.sale!.saleId, { id: 'demo-store-001', name: '演示门店' });
    expect(receipt.lines[0]?.discounts[0]).toMatchObject({ amountFen: 150 });
    const text = receiptText(receipt);
    expect(text.every((l) => l.length <= 42)).toBe(true);
    expect(text.join('\n')).toContain('找零 Change');
  });

  it('split tender: points then cash; points spent and earned in the sale transaction', () => {
    const db = demoDb();
    const { member } = enrollMember(db, 'Zhang', now);
    db.transaction(() => movePoints(db, { memberId: member.id, delta: 300, reason: 'adjust', now }))();
    const cart = createCart(db, { channel: 'kiosk', now });
    setMember(db, cart.id, member.id, now);
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Whole Milk 1L')), now }); // ¥12.90, 10% member discount → ¥11.61
    const q = startPayment(db, cart.id, ctx());
    expect(q.totalFen).toBe(1161);
    expect(code(() => payPoints(db, cart.id, 400, ctx()))).toBe('POINTS_INSUFFICIENT');
    const p = payPoints(db, cart.id, 300, ctx());
    expect(p.sale).toBeNull();
    expect(p.quote.dueFen).toBe(861);
    const c = payCash(db, cart.id, 900, ctx());
    expect(c.sale).toMatchObject({ changeFen: 39, pointsEarned: 8 }); // ¥8.61 paid in money → 8 points
    expect(getMember(db, member.id).points).toBe(8);
    expect(readOutbox(db).map((e) => e.type)).toEqual([
      'member.enrolled',
      'points.moved',
      'points.moved',
      'points.moved',
      'sale.completed',
    ]);
  });

  it('cancelling payment hands cash back and reopens the cart', () => {
    const db = demoDb();
    const cart = createCart(db, { channel: 'kiosk', now });
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Cola 330ml')), qty: 4, now });
    startPayment(db, cart.id, ctx());
    payCash(db, cart.id, 500, ctx());
    const q = cancelPayment(db, cart.id, ctx());
    expect(q).toMatchObject({ status: 'open', paidFen: 0 });
    expect(q.payments.map((p) => p.status)).toEqual(['reversed']);
    expect(db.prepare('SELECT count(*) FROM sales').pluck().get()).toBe(0);
  });
});

describe('refunds', () => {
  function sold(db: ReturnType<typeof demoDb>) {
    const { member } = enrollMember(db, 'Zhang', now);
    const cart = createCart(db, { channel: 'kiosk', now });
    setMember(db, cart.id, member.id, now);
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Iced Black Tea 500ml')), qty: 2, now }); // 450 after promo
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Anti-Dandruff Shampoo 400ml')), now }); // 3990
    startPayment(db, cart.id, ctx());
    const r = payCash(db, cart.id, 5000, ctx());
    return { member, saleId: r.sale!.saleId, total: r.sale!.quote.totalFen };
  }

  it('per line: gives back what was paid for those units, and takes back earned points in proportion', () => {
    const db = demoDb();
    const { member, saleId, total } = sold(db);
    expect(total).toBe(4440);
    expect(getMember(db, member.id).points).toBe(44);
    expect(code(() => refundSale(db, saleId, { staff: cashier, reason: 'x', now, fenPerPoint: 1 }))).toBe(
      'ROLE_REQUIRED',
    );
    const r = refundSale(db, saleId, {
      lines: [{ lineNo: 1, qty: 1 }],
      staff: supervisor,
      reason: 'leaking bottle',
      now,
      fenPerPoint: 1,
    });
    expect(r).toMatchObject({
      amountFen: 225,
      lines: [{ lineNo: 1, qty: 1, amountFen: 225 }],
      tenders: [{ kind: 'cash', amountFen: 225 }],
    });
    expect(r.pointsReversed).toBe(2); // 44 × 225/4440 ≈ 2.2
    expect(getMember(db, member.id).points).toBe(42);
    expect(
      code(() =>
        refundSale(db, saleId, {
          lines: [{ lineNo: 1, qty: 2 }],
          staff: supervisor,
          reason: 'again',
          now,
          fenPerPoint: 1,
        }),
      ),
    ).toBe('QTY_INVALID');
    const rest = refundSale(db, saleId, { staff: supervisor, reason: 'return all', now, fenPerPoint: 1 });
    expect(rest.amountFen).toBe(4440 - 225);
    expect(getMember(db, member.id).points).toBe(0);
    expect(
      code(() => refundSale(db, saleId, { staff: supervisor, reason: 'again', now, fenPerPoint: 1 })),
    ).toBe('NOTHING_TO_REFUND');
    const sums = db
      .prepare('SELECT sum(refunded_fen) AS refunded, sum(net_fen) AS net FROM sale_lines WHERE sale_id = ?')
      .get(saleId);
    expect(sums).toEqual({ refunded: 4440, net: 4440 });
  });
});
