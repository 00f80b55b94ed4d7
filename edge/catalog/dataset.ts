// Versioned datasets (catalog, promotions, coupon campaigns) as HQ pushes them and as
// the demo seed ships them. Each is validated whole, then applied in one transaction;
// a bad document changes nothing.
import { createHash } from 'node:crypto';
import type { Static, TSchema } from 'typebox';
import Value from 'typebox/value';
import { formatSchemaErrors } from '../../config/errors.js';
import { canonicalJson } from '../../sync/canonical-json.js';
import {
  CatalogDataset,
  CouponCampaignsDataset,
  type DatasetName,
  PromotionsDataset,
} from '../../sync/datasets/catalog.js';
import type { Db } from '../db/open.js';
import { type BarcodeError, toGtin14 } from './gtin.js';

export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    readonly dataset: DatasetName,
    readonly problems: string[],
  ) {
    super(`${dataset} rejected:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface ApplyMeta {
  source: 'seed' | 'hq';
  now: number;
}
export interface ApplyResult {
  dataset: DatasetName;
  version: number;
  /** false when the same version with the same content was already applied */
  changed: boolean;
  counts: Record<string, number>;
}

function checkSchema<S extends TSchema>(name: DatasetName, schema: S, doc: unknown): Static<S> {
  const value = Value.Default(schema, Value.Clone(doc));
  const errors = [...Value.Errors(schema, value)];
  if (errors.length) throw new DatasetError(name, formatSchemaErrors(errors, value).slice(0, 50));
  return value as Static<S>;
}

/** Canonical content hash: the same document always hashes the same. */
function contentHash(doc: unknown): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

export function datasetVersion(db: Db, name: DatasetName): { version: number; sha256: string } | undefined {
  return db.prepare('SELECT version, sha256 FROM datasets WHERE name = ?').get(name) as
    | { version: number; sha256: string }
    | undefined;
}

/** Runs `write` in one transaction unless this version is stale or already applied. */
function applyVersioned(
  db: Db,
  name: DatasetName,
  doc: { version: number },
  meta: ApplyMeta,
  write: () => Record<string, number>,
): ApplyResult {
  const sha256 = contentHash(doc);
  return db
    .transaction((): ApplyResult => {
      const current = datasetVersion(db, name);
      if (current && current.version === doc.version && current.sha256 === sha256) {
        return { dataset: name, version: doc.version, changed: false, counts: {} };
      }
      if (current && current.version >= doc.version) {
        throw new DatasetError(name, [
          `/version: ${doc.version} is not newer than the applied version ${current.version}`,
        ]);
      }
      const counts = write();
      db.prepare(
        `INSERT INTO datasets (name, version, sha256, source, applied_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256,
           source = excluded.source, applied_at = excluded.applied_at`,
      ).run(name, doc.version, sha256, meta.source, meta.now);
      return { dataset: name, version: doc.version, changed: true, counts };
    })
    .immediate();
}

/** Referential checks and GTIN normalisation that a JSON Schema cannot express. */
function normaliseCatalog(ds: CatalogDataset): CatalogDataset {
  const problems: string[] = [];
  const categories = new Set<string>();
  ds.categories.forEach((c, i) => {
    if (categories.has(c.id)) problems.push(`/categories/${i}/id: duplicate "${c.id}"`);
    categories.add(c.id);
  });
  ds.categories.forEach((c, i) => {
    if (c.parent && !categories.has(c.parent))
      problems.push(`/categories/${i}/parent: unknown category "${c.parent}"`);
  });
  const brands = new Set<string>();
  ds.brands.forEach((b, i) => {
    if (brands.has(b.id)) problems.push(`/brands/${i}/id: duplicate "${b.id}"`);
    brands.add(b.id);
  });
  const codes = new Set<string>();
  const plus = new Set<string>();
  const gtin = (raw: string, path: string): string => {
    try {
      const g = toGtin14(raw);
      if (codes.has(g)) problems.push(`${path}: duplicate code ${raw}`);
      codes.add(g);
      return g;
    } catch (err) {
      problems.push(`${path}: ${(err as BarcodeError).message}`);
      return raw;
    }
  };
  const products = ds.products.map((p, i) => {
    const at = `/products/${i}`;
    if (!categories.has(p.category)) problems.push(`${at}/category: unknown category "${p.category}"`);
    if (p.brand && !brands.has(p.brand)) problems.push(`${at}/brand: unknown brand "${p.brand}"`);
    if (p.plu) {
      if (plus.has(p.plu)) problems.push(`${at}/plu: duplicate PLU ${p.plu}`);
      plus.add(p.plu);
    }
    if (p.soldBy === 'weight' && !p.plu) problems.push(`${at}/plu: required for items sold by weight`);
    const w = p.label?.weightG;
    if (w && w.min > w.max) problems.push(`${at}/label/weightG: min ${w.min} is above max ${w.max}`);
    return {
      ...p,
      gtin: gtin(p.gtin, `${at}/gtin`),
      barcodes: p.barcodes.map((b, j) => ({ ...b, gtin: gtin(b.gtin, `${at}/barcodes/${j}/gtin`) })),
    };
  });
  if (problems.length) throw new DatasetError('catalog', problems.slice(0, 50));
  return { ...ds, products };
}

/** Replaces the catalog. Products missing from the new version are deactivated, not
 * deleted: open carts and past receipts may still name them. */
export function applyCatalog(db: Db, doc: unknown, meta: ApplyMeta): ApplyResult {
  const ds = normaliseCatalog(checkSchema('catalog', CatalogDataset, doc));
  return applyVersioned(db, 'catalog', ds, meta, () => {
    const upCategory = db.prepare(
      `INSERT INTO categories (id, parent_id, name_zh, name_en) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET parent_id = excluded.parent_id, name_zh = excluded.name_zh, name_en = excluded.name_en`,
    );
    // parents first, so the foreign key holds at every insert
    db.prepare('UPDATE categories SET parent_id = NULL').run();
    for (const c of ds.categories) upCategory.run(c.id, null, c.name.zh, c.name.en);
    for (const c of ds.categories) if (c.parent) upCategory.run(c.id, c.parent, c.name.zh, c.name.en);
    const upBrand = db.prepare(
      `INSERT INTO brands (id, name_zh, name_en) VALUES (?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en`,
    );
    for (const b of ds.brands) upBrand.run(b.id, b.name.zh, b.name.en);
    db.prepare('UPDATE products SET active = 0').run();
    db.prepare('DELETE FROM barcodes').run();
    const upProduct = db.prepare(
      `INSERT INTO products (gtin, name_zh, name_en, category_id, brand_id, size, sold_by, plu, tax_rate_bp, min_age,
         variable_measure, label_weight_min_g, label_weight_max_g, label_max_age_days, active)
       VALUES (@gtin, @nameZh, @nameEn, @category, @brand, @size, @soldBy, @plu, @taxRateBp, @minAge,
         @variableMeasure, @labelMinG, @labelMaxG, @labelMaxAgeDays, 1)
       ON CONFLICT(gtin) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
         category_id = excluded.category_id, brand_id = excluded.brand_id, size = excluded.size,
         sold_by = excluded.sold_by, plu = excluded.plu, tax_rate_bp = excluded.tax_rate_bp,
         min_age = excluded.min_age, variable_measure = excluded.variable_measure,
         label_weight_min_g = excluded.label_weight_min_g, label_weight_max_g = excluded.label_weight_max_g,
         label_max_age_days = excluded.label_max_age_days, active = 1`,
    );
    const clearPlu = db.prepare('UPDATE products SET plu = NULL WHERE plu IS NOT NULL AND active = 0');
    const upPrice = db.prepare(
      `INSERT INTO prices (gtin, effective_from, price_fen) VALUES (?, ?, ?)
       ON CONFLICT(gtin, effective_from) DO UPDATE SET price_fen = excluded.price_fen`,
    );
    const insBarcode = db.prepare('INSERT INTO barcodes (gtin, product_gtin, pack_qty) VALUES (?, ?, ?)');
    clearPlu.run(); // a PLU may move from a retired product to a new one
    for (const p of ds.products) {
      upProduct.run({
        gtin: p.gtin,
        nameZh: p.name.zh,
        nameEn: p.name.en,
        category: p.category,
        brand: p.brand ?? null,
        size: p.size ?? null,
        soldBy: p.soldBy,
        plu: p.plu ?? null,
        taxRateBp: p.taxRateBp,
        minAge: p.minAge,
        variableMeasure: (p.variableMeasure ?? p.soldBy === 'weight') ? 1 : 0,
        labelMinG: p.label?.weightG?.min ?? null,
        labelMaxG: p.label?.weightG?.max ?? null,
        labelMaxAgeDays: p.label?.maxAgeDays ?? null,
      });
      // the price in a catalog version takes effect when the version is applied
      upPrice.run(p.gtin, meta.now, p.priceFen);
      for (const b of p.barcodes) insBarcode.run(b.gtin, p.gtin, b.packQty);
    }
    return { categories: ds.categories.length, brands: ds.brands.length, products: ds.products.length };
  });
}

function windowColumns(w: {
  from?: number | undefined;
  to?: number | undefined;
}): [number | null, number | null] {
  return [w.from ?? null, w.to ?? null];
}

/** Unique ids, and every scope's GTINs (wherever a rule nests a scope) checked and
 * normalised to GTIN-14 like catalog codes. */
function normaliseRules<T extends { id: string }>(name: DatasetName, items: T[], path: string): T[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  const walk = (node: unknown, at: string): unknown => {
    if (Array.isArray(node)) return node.map((v, k) => walk(v, `${at}/${k}`));
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] =
        (key === 'gtins' || key === 'excludeGtins') && Array.isArray(value)
          ? value.map((g: string, k) => {
              try {
                return toGtin14(g);
              } catch (err) {
                problems.push(`${at}/${key}/${k}: ${(err as BarcodeError).message}`);
                return g;
              }
            })
          : walk(value, `${at}/${key}`);
    }
    return out;
  };
  const out = items.map((x, i) => {
    if (seen.has(x.id)) problems.push(`/${path}/${i}/id: duplicate "${x.id}"`);
    seen.add(x.id);
    return walk(x, `/${path}/${i}`) as T;
  });
  if (problems.length) throw new DatasetError(name, problems.slice(0, 50));
  return out;
}

export function applyPromotions(db: Db, doc: unknown, meta: ApplyMeta): ApplyResult {
  const checked = checkSchema('promotions', PromotionsDataset, doc);
  const ds = { ...checked, promotions: normaliseRules('promotions', checked.promotions, 'promotions') };
  return applyVersioned(db, 'promotions', ds, meta, () => {
    db.prepare('DELETE FROM promotions').run();
    const ins = db.prepare(
      'INSERT INTO promotions (id, name_zh, name_en, definition, starts_at, ends_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const p of ds.promotions)
      ins.run(p.id, p.name.zh, p.name.en, JSON.stringify(p), ...windowColumns(p.window));
    return { promotions: ds.promotions.length };
  });
}

/** Replaces campaign definitions. Coupons already issued keep referring to their campaign
 * id; a campaign left out of a new version simply stops being issued. */
export function applyCouponCampaigns(db: Db, doc: unknown, meta: ApplyMeta): ApplyResult {
  const checked = checkSchema('coupon_campaigns', CouponCampaignsDataset, doc);
  const ds = { ...checked, campaigns: normaliseRules('coupon_campaigns', checked.campaigns, 'campaigns') };
  return applyVersioned(db, 'coupon_campaigns', ds, meta, () => {
    db.prepare('DELETE FROM coupon_campaigns').run();
    const ins = db.prepare(
      `INSERT INTO coupon_campaigns (id, name_zh, name_en, definition, starts_at, ends_at, total_quota)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const c of ds.campaigns) {
      ins.run(
        c.id,
        c.name.zh,
        c.name.en,
        JSON.stringify(c),
        ...windowColumns(c.window),
        c.totalQuota ?? null,
      );
    }
    return { campaigns: ds.campaigns.length };
  });
}
