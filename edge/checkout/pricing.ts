// Prices a cart: catalog prices (or label / attendant prices), then promotions.
// Coupons and tax come after, at checkout (edge/checkout/quote.ts).

import { DomainError } from '../../sync/kernel/errors.js';
import { catalogNow, type Product } from '../catalog/products.js';
import type { Db } from '../db/open.js';
import { type AppliedDiscount, applyPromotions, type PricingLine } from '../promotions/engine.js';
import { loadPromotions } from '../promotions/store.js';
import type { CartLineRow, CartRow } from './cart-rows.js';
import { cartLines, getCart } from './carts.js';

export interface PricedCartLine {
  id: string;
  seq: number;
  gtin: string;
  name: { zh: string; en: string };
  categories: string[];
  brandId: string | null;
  soldBy: 'each' | 'weight';
  qty: number;
  weightG: number | null;
  /** per unit, or per kg; the label or attendant price when there is one */
  unitPriceFen: number;
  priceSource: 'catalog' | 'label' | 'override';
  taxRateBp: number;
  minAge: number;
  ageApprovedBy: string | null;
  /** why the line's label waits for an attendant; null when it does not */
  labelHold: string[] | null;
  labelApprovedBy: string | null;
  grossFen: number;
  discounts: AppliedDiscount[];
  /** after promotions */
  netFen: number;
}

export interface PricedCart {
  cart: CartRow;
  lines: PricedCartLine[];
  grossFen: number;
  promoDiscountFen: number;
  /** after promotions, before coupons */
  netFen: number;
  /** line ids waiting for an attendant's age check */
  ageChecksPending: string[];
  /** line ids whose label waits for an attendant */
  labelChecksPending: string[];
}

export interface PricingOptions {
  now: number;
  timezone: string;
}

export function priceCart(db: Db, cartId: string, opts: PricingOptions): PricedCart {
  const cart = getCart(db, cartId);
  const rows = cartLines(db, cartId);
  const products = new Map<string, Product>();
  const product = catalogNow(db);
  for (const r of rows) {
    if (products.has(r.gtin)) continue;
    const p = product(r.gtin, opts.now, true);
    if (!p)
      throw new DomainError('conflict', 'UNKNOWN_PRODUCT', `product ${r.gtin} is no longer in the catalog`);
    products.set(r.gtin, p);
  }
  const pricing: PricingLine[] = rows.map((r) => toPricingLine(r, products.get(r.gtin)!));
  const priced = applyPromotions(pricing, loadPromotions(db), {
    now: opts.now,
    timezone: opts.timezone,
    member: cart.member_id !== null,
  });
  const lines = rows.map((r, i): PricedCartLine => {
    const p = products.get(r.gtin)!;
    const pl = pricing[i]!;
    const result = priced[i]!;
    return {
      id: r.id,
      seq: r.seq,
      gtin: r.gtin,
      name: p.name,
      categories: p.categories,
      brandId: p.brandId,
      soldBy: pl.soldBy,
      qty: r.qty,
      weightG: r.weight_g,
      unitPriceFen: pl.unitPriceFen,
      priceSource:
        r.override_price_fen !== null ? 'override' : r.label_price_fen !== null ? 'label' : 'catalog',
      taxRateBp: p.taxRateBp,
      minAge: p.minAge,
      ageApprovedBy: r.age_approved_by,
      labelHold: r.label_hold === null ? null : (JSON.parse(r.label_hold) as string[]),
      labelApprovedBy: r.label_approved_by,
      grossFen: result.grossFen,
      discounts: result.discounts,
      netFen: result.netFen,
    };
  });
  const grossFen = lines.reduce((a, l) => a + l.grossFen, 0);
  const netFen = lines.reduce((a, l) => a + l.netFen, 0);
  return {
    cart,
    lines,
    grossFen,
    promoDiscountFen: grossFen - netFen,
    netFen,
    ageChecksPending: lines.filter((l) => l.minAge > 0 && !l.ageApprovedBy).map((l) => l.id),
    labelChecksPending: lines.filter((l) => l.labelHold && !l.labelApprovedBy).map((l) => l.id),
  };
}

function toPricingLine(r: CartLineRow, p: Product): PricingLine {
  // a price label (prefix 21, AI 392x) or an attendant's price is the whole line's price
  const fixed = r.override_price_fen ?? r.label_price_fen;
  if (fixed !== null) {
    return {
      id: r.id,
      gtin: r.gtin,
      categories: p.categories,
      brand: p.brandId,
      soldBy: 'each',
      qty: r.qty,
      weightG: null,
      unitPriceFen: fixed,
      priceOverridden: r.override_price_fen !== null,
    };
  }
  return {
    id: r.id,
    gtin: r.gtin,
    categories: p.categories,
    brand: p.brandId,
    soldBy: p.soldBy,
    qty: r.qty,
    weightG: r.weight_g,
    unitPriceFen: p.priceFen,
    priceOverridden: false,
  };
}
