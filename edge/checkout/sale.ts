// Completing a sale: ONE transaction writes the sale, its lines with every discount,
// the coupon redemptions (a unique index makes each coupon redeem once), the points
// spent and earned, the cart's new state and the outbox events. A crash leaves either
// all of it or none of it.
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../sync/kernel/errors.js';
import { localIsoDate } from '../../sync/kernel/local-day.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';
import { movePoints, pointsEarned } from '../members/members.js';
import { type AuditPolicy, decideAudit } from './exit-audit.js';
import { type Quote, quoteCart } from './quote.js';
import { creditSale } from './sale-guide.js';

export interface CheckoutContext {
  now: number;
  timezone: string;
  storeId: string;
  loyalty: { pointsPerYuan: number; fenPerPoint: number; offlineSpendCapPerDay?: number };
  /** false while the store's link to HQ is down: points spending falls under the offline cap */
  hqOnline?: boolean;
  /** scan & go sales get their exit-audit decision as they complete */
  exitAudit?: AuditPolicy;
}

export interface SaleResult {
  saleId: string;
  receiptNo: string;
  quote: Quote;
  changeFen: number;
  pointsEarned: number;
}

const localDate = (now: number, timezone: string) => localIsoDate(now, timezone).replaceAll('-', '');

/** Completes the sale of a fully paid cart. Must be called inside a transaction (the
 * tender that paid the last fen and the sale commit together); a caller that quoted the
 * cart in that same transaction passes the quote instead of pricing it again. */
export function completeSale(db: Db, cartId: string, ctx: CheckoutContext, quoted?: Quote): SaleResult {
  if (!db.inTransaction) throw new Error('completeSale must run inside the paying transaction');
  const quote = quoted ?? quoteCart(db, cartId, ctx);
  if (quote.status !== 'paying') {
    throw new DomainError('conflict', 'CART_STATE', `cart is ${quote.status}; a sale completes from paying`);
  }
  if (quote.labelChecksPending.length) {
    throw new DomainError('conflict', 'LABEL_CHECK_REQUIRED', 'an attendant must check a label first', {
      lines: quote.labelChecksPending,
    });
  }
  if (quote.ageChecksPending.length) {
    throw new DomainError('conflict', 'AGE_CHECK_REQUIRED', 'an attendant must check the shopper’s age', {
      lines: quote.ageChecksPending,
    });
  }
  if (quote.paidFen < quote.totalFen) {
    throw new DomainError('conflict', 'PAYMENT_INCOMPLETE', `¥${(quote.dueFen / 100).toFixed(2)} still due`, {
      dueFen: quote.dueFen,
    });
  }
  const approved = quote.payments.filter((p) => p.status === 'approved');
  const cashChange = approved
    .filter((p) => p.kind === 'cash')
    .reduce((a, p) => a + (p.tenderedFen - p.amountFen), 0);
  // paying more than due is only possible in cash (change); other tenders are capped at due
  const overpaid = quote.paidFen - quote.totalFen;
  const changeFen = cashChange + overpaid;

  const saleId = randomUUID();
  const date = localDate(ctx.now, ctx.timezone);
  const n =
    (db.prepare('SELECT count(*) FROM sales WHERE receipt_no LIKE ?').pluck().get(`R${date}-%`) as number) +
    1;
  const receiptNo = `R${date}-${String(n).padStart(5, '0')}`;
  const cart = db.prepare('SELECT channel, kiosk_id, handed_off_at FROM carts WHERE id = ?').get(cartId) as {
    channel: string;
    kiosk_id: string | null;
    handed_off_at: number | null;
  };

  const pointsPaidFen = approved.filter((p) => p.kind === 'points').reduce((a, p) => a + p.amountFen, 0);
  const earned = quote.memberId ? pointsEarned(quote.totalFen - pointsPaidFen, ctx.loyalty.pointsPerYuan) : 0;

  db.prepare(
    `INSERT INTO sales (id, receipt_no, cart_id, channel, kiosk_id, member_id, gross_fen, promo_discount_fen,
       coupon_discount_fen, total_fen, tax_fen, paid_fen, change_fen, points_earned, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    saleId,
    receiptNo,
    cartId,
    cart.channel,
    cart.kiosk_id,
    quote.memberId,
    quote.grossFen,
    quote.promoDiscountFen,
    quote.couponDiscountFen,
    quote.totalFen,
    quote.taxFen,
    quote.paidFen + cashChange,
    changeFen,
    earned,
    ctx.now,
  );
  const insLine = db.prepare(
    `INSERT INTO sale_lines (sale_id, line_no, gtin, name_zh, name_en, qty, weight_g, unit_price_fen, gross_fen,
       promo_discount_fen, coupon_discount_fen, net_fen, tax_rate_bp, tax_fen, discounts)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  quote.lines.forEach((l, i) => {
    const couponShares = quote.coupons
      .filter((c) => (c.perLine[i] ?? 0) > 0)
      .map((c) => ({
        couponId: c.couponId,
        campaignId: c.campaignId,
        name: c.name,
        amountFen: c.perLine[i],
      }));
    insLine.run(
      saleId,
      i + 1,
      l.gtin,
      l.name.zh,
      l.name.en,
      l.qty,
      l.weightG,
      l.unitPriceFen,
      l.grossFen,
      l.grossFen - l.netFen,
      l.couponFen,
      l.finalFen,
      l.taxRateBp,
      l.taxFen,
      JSON.stringify({ promotions: l.discounts, coupons: couponShares, priceSource: l.priceSource }),
    );
  });
  const redeem = db.prepare(
    'INSERT INTO coupon_redemptions (coupon_id, sale_id, amount_fen, redeemed_at) VALUES (?, ?, ?, ?)',
  );
  for (const c of quote.coupons) {
    try {
      redeem.run(c.couponId, saleId, c.amountFen, ctx.now);
    } catch (err) {
      if (String((err as Error).message).includes('UNIQUE')) {
        throw new DomainError(
          'conflict',
          'COUPON_REDEEMED',
          'a coupon was redeemed elsewhere meanwhile: quote again',
        );
      }
      throw err;
    }
    appendOutbox(
      db,
      {
        type: 'coupon.redeemed',
        class: 'money',
        payload: { couponId: c.couponId, campaignId: c.campaignId, saleId, amountFen: c.amountFen },
      },
      ctx.now,
    );
  }
  if (quote.memberId) {
    const pointsSpent = approved
      .filter((p) => p.kind === 'points')
      .reduce((a, p) => a + p.amountFen / ctx.loyalty.fenPerPoint, 0);
    if (pointsSpent > 0)
      movePoints(db, {
        memberId: quote.memberId,
        delta: -pointsSpent,
        reason: 'spend',
        saleId,
        now: ctx.now,
        offline: ctx.hqOnline === false,
      });
    if (earned > 0)
      movePoints(db, { memberId: quote.memberId, delta: earned, reason: 'earn', saleId, now: ctx.now });
  }
  db.prepare(`UPDATE carts SET status = 'paid', sale_id = ?, updated_at = ? WHERE id = ?`).run(
    saleId,
    ctx.now,
    cartId,
  );
  appendOutbox(
    db,
    {
      type: 'sale.completed',
      class: 'money',
      payload: {
        saleId,
        receiptNo,
        channel: cart.channel,
        kioskId: cart.kiosk_id,
        memberId: quote.memberId,
        grossFen: quote.grossFen,
        promoDiscountFen: quote.promoDiscountFen,
        couponDiscountFen: quote.couponDiscountFen,
        totalFen: quote.totalFen,
        taxFen: quote.taxFen,
        changeFen,
        pointsEarned: earned,
        lines: quote.lines.map((l) => ({
          gtin: l.gtin,
          qty: l.qty,
          weightG: l.weightG,
          unitPriceFen: l.unitPriceFen,
          grossFen: l.grossFen,
          promotions: l.discounts.map((d) => ({ id: d.promotionId, amountFen: d.amountFen })),
          couponFen: l.couponFen,
          finalFen: l.finalFen,
          taxRateBp: l.taxRateBp,
          taxFen: l.taxFen,
          // the product's category and its ancestors: HQ sets zones' dwell against these sales
          categories: l.categories,
        })),
        payments: approved.map((p) => ({ kind: p.kind, amountFen: p.amountFen, reference: p.reference })),
        at: ctx.now,
      },
    },
    ctx.now,
  );
  // a guide's part in it: their code scanned into the cart, or a product they recommended
  creditSale(db, cartId, saleId, quote.totalFen, ctx.now);
  // scan & go: scanned on the shopper's phone, paid there or at a kiosk that took the cart over
  if (ctx.exitAudit && (cart.channel === 'phone' || cart.handed_off_at !== null))
    decideAudit(
      db,
      {
        saleId,
        cartId,
        memberId: quote.memberId,
        totalFen: quote.totalFen,
        lineCount: quote.lines.length,
        now: ctx.now,
      },
      ctx.exitAudit,
    );
  return { saleId, receiptNo, quote: { ...quote, status: 'paid', saleId }, changeFen, pointsEarned: earned };
}
