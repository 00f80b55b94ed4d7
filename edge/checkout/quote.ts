// What the shopper owes: the priced cart, the coupons that redeem by themselves, the
// tax inside each line, and the tenders already taken.
import { type CouponApplication, chooseCoupons } from '../coupons/choose.js';
import { couponsForCart } from '../coupons/wallet.js';
import type { Db } from '../db/open.js';
import { includedTax } from '../money.js';
import { type PricedCart, type PricedCartLine, type PricingOptions, priceCart } from './pricing.js';

export interface QuoteLine extends PricedCartLine {
  couponFen: number;
  /** what the shopper pays for the line */
  finalFen: number;
  taxFen: number;
}

export interface PaymentSummary {
  id: string;
  kind: 'cash' | 'points' | 'card' | 'payment_code' | 'wallet';
  amountFen: number;
  tenderedFen: number;
  status: 'pending' | 'approved' | 'declined' | 'unknown' | 'reversed';
  reference: string;
}

export interface Quote {
  cartId: string;
  cartCode: string;
  status: PricedCart['cart']['status'];
  memberId: string | null;
  saleId: string | null;
  lines: QuoteLine[];
  grossFen: number;
  promoDiscountFen: number;
  coupons: CouponApplication[];
  couponDiscountFen: number;
  totalFen: number;
  taxFen: number;
  taxByRate: { rateBp: number; finalFen: number; taxFen: number }[];
  payments: PaymentSummary[];
  paidFen: number;
  dueFen: number;
  ageChecksPending: string[];
  labelChecksPending: string[];
}

export function payments(db: Db, cartId: string): PaymentSummary[] {
  return (
    db
      .prepare(
        'SELECT id, kind, amount_fen, tendered_fen, status, reference FROM payments WHERE cart_id = ? ORDER BY created_at, id',
      )
      .all(cartId) as {
      id: string;
      kind: PaymentSummary['kind'];
      amount_fen: number;
      tendered_fen: number;
      status: PaymentSummary['status'];
      reference: string;
    }[]
  ).map((p) => ({
    id: p.id,
    kind: p.kind,
    amountFen: p.amount_fen,
    tenderedFen: p.tendered_fen,
    status: p.status,
    reference: p.reference,
  }));
}

export function quoteCart(db: Db, cartId: string, opts: PricingOptions): Quote {
  // a paid cart is priced as it was at its sale (time-windowed promotions included)
  const soldAt = db
    .prepare('SELECT s.created_at FROM carts c JOIN sales s ON s.id = c.sale_id WHERE c.id = ?')
    .pluck()
    .get(cartId) as number | undefined;
  if (soldAt !== undefined) opts = { ...opts, now: soldAt };
  const priced = priceCart(db, cartId, opts);
  const cart = priced.cart;
  const candidates = couponsForCart(db, cart.id, cart.member_id, opts.now).map((c) => ({
    couponId: c.id,
    expiresAt: c.expiresAt,
    terms: c.terms,
  }));
  const coupons = chooseCoupons(
    priced.lines.map((l) => ({
      gtin: l.gtin,
      categories: l.categories,
      brandId: l.brandId,
      netFen: l.netFen,
    })),
    candidates,
  );
  const lines = priced.lines.map((l, i): QuoteLine => {
    const couponFen = coupons.reduce((a, c) => a + (c.perLine[i] ?? 0), 0);
    const finalFen = l.netFen - couponFen;
    return { ...l, couponFen, finalFen, taxFen: includedTax(finalFen, l.taxRateBp) };
  });
  const byRate = new Map<number, { rateBp: number; finalFen: number; taxFen: number }>();
  for (const l of lines) {
    const r = byRate.get(l.taxRateBp) ?? { rateBp: l.taxRateBp, finalFen: 0, taxFen: 0 };
    r.finalFen += l.finalFen;
    r.taxFen += l.taxFen;
    byRate.set(l.taxRateBp, r);
  }
  const couponDiscountFen = coupons.reduce((a, c) => a + c.amountFen, 0);
  const totalFen = priced.netFen - couponDiscountFen;
  const pays = payments(db, cart.id);
  const paidFen = pays.filter((p) => p.status === 'approved').reduce((a, p) => a + p.amountFen, 0);
  return {
    cartId: cart.id,
    cartCode: cart.code,
    status: cart.status,
    memberId: cart.member_id,
    saleId: cart.sale_id,
    lines,
    grossFen: priced.grossFen,
    promoDiscountFen: priced.promoDiscountFen,
    coupons,
    couponDiscountFen,
    totalFen,
    taxFen: lines.reduce((a, l) => a + l.taxFen, 0),
    taxByRate: [...byRate.values()].sort((a, b) => a.rateBp - b.rateBp),
    payments: pays,
    paidFen,
    dueFen: Math.max(0, totalFen - paidFen),
    ageChecksPending: priced.ageChecksPending,
    labelChecksPending: priced.labelChecksPending,
  };
}
