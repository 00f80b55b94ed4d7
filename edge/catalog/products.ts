// Looking products up the way checkout needs them: by scanned code (GTIN, case code or
// the PLU of a variable-measure label), with today's price and the category path.

import { DomainError } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';
import type { Scan } from './barcode.js';

export interface Product {
  gtin: string;
  name: { zh: string; en: string };
  categoryId: string;
  /** the category and its ancestors, nearest first */
  categories: string[];
  brandId: string | null;
  size: string | null;
  soldBy: 'each' | 'weight';
  plu: string | null;
  taxRateBp: number;
  minAge: number;
  /** per unit, or per kg when sold by weight */
  priceFen: number;
  /** a label may weigh or price it (see label-policy.ts) */
  variableMeasure: boolean;
  labelWeightG: { min: number; max: number } | null;
  labelMaxAgeDays: number | null;
}

interface Row {
  gtin: string;
  name_zh: string;
  name_en: string;
  category_id: string;
  brand_id: string | null;
  size: string | null;
  sold_by: 'each' | 'weight';
  plu: string | null;
  tax_rate_bp: number;
  min_age: number;
  variable_measure: number;
  label_weight_min_g: number | null;
  label_weight_max_g: number | null;
  label_max_age_days: number | null;
  price_fen: number | null;
  categories: string;
}

const SELECT = `
  SELECT p.*, (
      SELECT price_fen FROM prices pr WHERE pr.gtin = p.gtin AND pr.effective_from <= @now
      ORDER BY pr.effective_from DESC LIMIT 1
    ) AS price_fen, (
      WITH RECURSIVE up(id, parent, depth) AS (
        SELECT id, parent_id, 0 FROM categories WHERE id = p.category_id
        UNION ALL SELECT c.id, c.parent_id, up.depth + 1 FROM categories c JOIN up ON c.id = up.parent
      ) SELECT json_group_array(id) FROM (SELECT id FROM up ORDER BY depth)
    ) AS categories
  FROM products p`;

function toProduct(r: Row): Product {
  if (r.price_fen === null) throw noPrice(r.gtin);
  return withPrice(unpriced(r), r.price_fen);
}

const noPrice = (gtin: string) =>
  new DomainError('conflict', 'NO_PRICE', `product ${gtin} has no price in effect`);

type Unpriced = Omit<Product, 'priceFen'>;

function unpriced(r: Omit<Row, 'price_fen'>): Unpriced {
  return {
    gtin: r.gtin,
    name: { zh: r.name_zh, en: r.name_en },
    categoryId: r.category_id,
    categories: JSON.parse(r.categories) as string[],
    brandId: r.brand_id,
    size: r.size,
    soldBy: r.sold_by,
    plu: r.plu,
    taxRateBp: r.tax_rate_bp,
    minAge: r.min_age,
    variableMeasure: r.variable_measure === 1,
    labelWeightG:
      r.label_weight_min_g !== null && r.label_weight_max_g !== null
        ? { min: r.label_weight_min_g, max: r.label_weight_max_g }
        : null,
    labelMaxAgeDays: r.label_max_age_days,
  };
}

// Written out field by field: a spread of the held object was most of a lookup's cost.
function withPrice(u: Unpriced, priceFen: number): Product {
  return {
    gtin: u.gtin,
    name: u.name,
    categoryId: u.categoryId,
    categories: u.categories,
    brandId: u.brandId,
    size: u.size,
    soldBy: u.soldBy,
    plu: u.plu,
    taxRateBp: u.taxRateBp,
    minAge: u.minAge,
    priceFen,
    variableMeasure: u.variableMeasure,
    labelWeightG: u.labelWeightG,
    labelMaxAgeDays: u.labelMaxAgeDays,
  };
}

/** A product as the catalog holds it, with all its prices (newest first): what the
 * cache keeps, so that any moment's price comes from it. Its nested parts are shared by
 * every answer made from it, so they are frozen. */
interface Held {
  active: boolean;
  product: Unpriced;
  prices: { from: number; fen: number }[];
}

// Each quote looks up every line's product (a scan's answer quotes the whole cart), and
// the lookup with its category path was the largest cost of a scan after the commit.
// Kept per database until the catalog's version changes (migration 0017: triggers
// change it in the same transaction as any write to products, prices or categories).
const held = new WeakMap<Db, { version: unknown; byGtin: Map<string, Held | null> }>();

/** The catalog's products as of now: the version is read once, so a caller that looks
 * up many products and writes none of them between (a quote) checks it once. */
export function catalogNow(db: Db): (gtin: string, now: number, includeInactive?: boolean) => Product | null {
  const version = db.prepare('SELECT v FROM catalog_version').pluck().get();
  let cache = held.get(db);
  if (!cache || cache.version !== version) {
    cache = { version, byGtin: new Map() };
    held.set(db, cache);
  }
  const byGtin = cache.byGtin;
  return (gtin, now, includeInactive = false) => {
    let h = byGtin.get(gtin);
    if (h === undefined) {
      h = load(db, gtin);
      byGtin.set(gtin, h);
    }
    if (!h || (!h.active && !includeInactive)) return null;
    const price = h.prices.find((p) => p.from <= now);
    if (!price) throw noPrice(gtin);
    return withPrice(h.product, price.fen);
  };
}

function load(db: Db, gtin: string): Held | null {
  const row = db.prepare(`${SELECT} WHERE p.gtin = @gtin`).get({ gtin, now: 0 }) as
    | (Row & { active: number })
    | undefined;
  if (!row) return null;
  const product = unpriced(row);
  Object.freeze(product.name);
  Object.freeze(product.categories);
  if (product.labelWeightG) Object.freeze(product.labelWeightG);
  return {
    active: row.active === 1,
    product,
    prices: db
      .prepare(
        'SELECT effective_from AS "from", price_fen AS fen FROM prices WHERE gtin = ? ORDER BY effective_from DESC',
      )
      .all(gtin) as Held['prices'],
  };
}

/** A product by GTIN-14. Inactive products are found only when asked: a cart line keeps
 * its product even if the catalog retired it after the scan. */
export function productByGtin(db: Db, gtin: string, now: number, includeInactive = false): Product | null {
  return catalogNow(db)(gtin, now, includeInactive);
}

export interface ScannedProduct {
  product: Product;
  /** units one scan stands for (a case code of 12 → 12) */
  packQty: number;
}

/** The product a scan names, or a not-found error that says which code was unknown. */
export function productForScan(db: Db, scan: Scan, now: number): ScannedProduct {
  if (scan.plu !== undefined) {
    const r = db.prepare(`${SELECT} WHERE p.plu = @plu AND p.active = 1`).get({ plu: scan.plu, now }) as
      | Row
      | undefined;
    if (r) return { product: toProduct(r), packQty: 1 };
    throw new DomainError(
      'not_found',
      'UNKNOWN_PRODUCT',
      `no product with PLU ${scan.plu} (label ${scan.raw})`,
    );
  }
  const direct = productByGtin(db, scan.gtin, now);
  if (direct) return { product: direct, packQty: 1 };
  const alt = db.prepare('SELECT product_gtin, pack_qty FROM barcodes WHERE gtin = ?').get(scan.gtin) as
    | { product_gtin: string; pack_qty: number }
    | undefined;
  const viaAlt = alt ? productByGtin(db, alt.product_gtin, now) : null;
  if (alt && viaAlt) return { product: viaAlt, packQty: alt.pack_qty };
  throw new DomainError('not_found', 'UNKNOWN_PRODUCT', `no product with code ${scan.gtin}`);
}
