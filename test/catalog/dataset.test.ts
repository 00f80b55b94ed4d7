import { describe, expect, it } from 'vitest';
import { demoSeed } from '../../config/demo/generate-catalog.js';
import { applyCatalog, applyPromotions, DatasetError, datasetVersion } from '../../edge/catalog/dataset.js';
import { hasValidCheckDigit } from '../../edge/catalog/gtin.js';
import { applySeed, loadSeedFile } from '../../edge/catalog/seed.js';
import { migrate } from '../../edge/db/migrate.js';
import { migrations } from '../../edge/db/migrations/index.js';
import { type Db, openDb } from '../../edge/db/open.js';

function freshDb(): Db {
  const db = openDb(':memory:');
  migrate(db, migrations);
  return db;
}
const count = (db: Db, sql: string) => db.prepare(sql).pluck().get() as number;

const smallCatalog = (version: number) => ({
  version,
  categories: [
    { id: 'drinks', name: { zh: '饮料', en: 'Drinks' } },
    { id: 'water', parent: 'drinks', name: { zh: '水', en: 'Water' } },
  ],
  brands: [{ id: 'qq', name: { zh: '青泉', en: 'Qingquan' } }],
  products: [
    {
      gtin: '6901234567892',
      name: { zh: '矿泉水', en: 'Water' },
      category: 'water',
      brand: 'qq',
      taxRateBp: 1300,
      priceFen: 200,
    },
    {
      gtin: '96385074',
      name: { zh: '汽水', en: 'Soda' },
      category: 'drinks',
      taxRateBp: 1300,
      priceFen: 300,
    },
  ],
});

function rejected(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return (err as DatasetError).problems;
  }
  throw new Error('expected DatasetError');
}

describe('catalog dataset', () => {
  it('applies a catalog in one go, normalising codes to GTIN-14', () => {
    const db = freshDb();
    const r = applyCatalog(db, smallCatalog(1), { source: 'hq', now: 1000 });
    expect(r).toEqual({
      dataset: 'catalog',
      version: 1,
      changed: true,
      counts: { categories: 2, brands: 1, products: 2 },
    });
    expect(db.prepare('SELECT gtin FROM products ORDER BY gtin').pluck().all()).toEqual([
      '00000096385074',
      '06901234567892',
    ]);
    expect(datasetVersion(db, 'catalog')).toMatchObject({ version: 1 });
  });

  it('re-applying the same version is a no-op; an older or equal different version is refused', () => {
    const db = freshDb();
    applyCatalog(db, smallCatalog(2), { source: 'hq', now: 1000 });
    expect(applyCatalog(db, smallCatalog(2), { source: 'hq', now: 2000 }).changed).toBe(false);
    const changed = smallCatalog(2);
    changed.products[0]!.priceFen = 250;
    expect(rejected(() => applyCatalog(db, changed, { source: 'hq', now: 3000 }))).toEqual([
      '/version: 2 is not newer than the applied version 2',
    ]);
    expect(rejected(() => applyCatalog(db, smallCatalog(1), { source: 'hq', now: 3000 }))[0]).toMatch(
      /not newer/,
    );
    expect(count(db, 'SELECT count(*) FROM prices')).toBe(2);
  });

  it('a product left out of a new version is deactivated, not deleted', () => {
    const db = freshDb();
    applyCatalog(db, smallCatalog(1), { source: 'hq', now: 1000 });
    const v2 = smallCatalog(2);
    v2.products.pop();
    applyCatalog(db, v2, { source: 'hq', now: 2000 });
    expect(db.prepare("SELECT active FROM products WHERE gtin = '00000096385074'").pluck().get()).toBe(0);
    expect(db.prepare("SELECT active FROM products WHERE gtin = '06901234567892'").pluck().get()).toBe(1);
  });

  it('rejects a bad document whole and changes nothing', () => {
    const db = freshDb();
    applyCatalog(db, smallCatalog(1), { source: 'hq', now: 1000 });
    const before = db.prepare('SELECT * FROM products ORDER BY gtin').all();

    const bad = smallCatalog(2) as ReturnType<typeof smallCatalog> & Record<string, unknown>;
    bad.products[1]!.gtin = '96385075'; // wrong check digit
    bad.products[0]!.category = 'nope';
    expect(rejected(() => applyCatalog(db, bad, { source: 'hq', now: 2000 }))).toEqual([
      '/products/0/category: unknown category "nope"',
      '/products/1/gtin: bad check digit in 96385075: expected 4, got 5',
    ]);
    const typed = smallCatalog(2) as unknown as { products: Record<string, unknown>[] };
    typed.products[0]!.priceFen = 1.5;
    typed.products[0]!.colour = 'blue';
    expect(rejected(() => applyCatalog(db, typed, { source: 'hq', now: 2000 }))).toEqual(
      expect.arrayContaining([
        '/products/0/priceFen: must be integer (got 1.5)',
        '/products/0/colour: unknown setting (check its spelling and section)',
      ]),
    );
    expect(rejected(() => applyCatalog(db, 'not an object', { source: 'hq', now: 2000 }))[0]).toMatch(
      /^\/: /,
    );
    expect(db.prepare('SELECT * FROM products ORDER BY gtin').all()).toEqual(before);
    expect(datasetVersion(db, 'catalog')?.version).toBe(1);
  });

  it('requires a PLU for items sold by weight and refuses duplicate codes', () => {
    const db = freshDb();
    const doc = smallCatalog(1) as unknown as { products: Record<string, unknown>[] };
    doc.products[0]!.soldBy = 'weight';
    doc.products[1]!.gtin = '06901234567892';
    expect(rejected(() => applyCatalog(db, doc, { source: 'hq', now: 1 }))).toEqual([
      '/products/0/plu: required for items sold by weight',
      '/products/1/gtin: duplicate code 06901234567892',
    ]);
  });

  it('validates promotions against the rule schema', () => {
    const db = freshDb();
    const ok = {
      version: 1,
      promotions: [
        { id: 'p', name: { zh: '促销', en: 'Promo' }, benefit: { type: 'percent_off', percent: 10 } },
      ],
    };
    expect(applyPromotions(db, ok, { source: 'hq', now: 1 }).changed).toBe(true);
    const bad = {
      version: 2,
      promotions: [{ ...ok.promotions[0], benefit: { type: 'percent_off', percent: 150 } }],
    };
    expect(rejected(() => applyPromotions(db, bad, { source: 'hq', now: 2 })).join('\n')).toMatch(/benefit/);
    expect(count(db, 'SELECT count(*) FROM promotions')).toBe(1);
  });
});

describe('demo seed', () => {
  it('the committed seed file is exactly what the generator writes', () => {
    const committed = loadSeedFile('config/demo/catalog.json');
    expect(committed).toEqual(JSON.parse(JSON.stringify(demoSeed())));
  });

  it('has 200+ products with valid GTINs, weighed items, age-restricted items, promotions and coupons', () => {
    const db = freshDb();
    const results = applySeed(db, loadSeedFile('config/demo/catalog.json'), 1000);
    expect(results.map((r) => r.dataset)).toEqual(['catalog', 'promotions', 'coupon_campaigns']);
    expect(count(db, 'SELECT count(*) FROM products')).toBeGreaterThanOrEqual(200);
    for (const g of db
      .prepare('SELECT gtin FROM products UNION ALL SELECT gtin FROM barcodes')
      .pluck()
      .all() as string[]) {
      expect(hasValidCheckDigit(g), g).toBe(true);
    }
    expect(
      count(db, "SELECT count(*) FROM products WHERE sold_by = 'weight' AND plu IS NOT NULL"),
    ).toBeGreaterThanOrEqual(10);
    expect(count(db, 'SELECT count(*) FROM products WHERE min_age >= 18')).toBeGreaterThan(0);
    expect(count(db, 'SELECT count(*) FROM barcodes')).toBeGreaterThan(0);
    expect(count(db, 'SELECT count(DISTINCT brand_id) FROM products')).toBeGreaterThan(10);
    expect(count(db, 'SELECT count(*) FROM promotions')).toBeGreaterThanOrEqual(5);
    expect(count(db, 'SELECT count(*) FROM coupon_campaigns')).toBeGreaterThanOrEqual(3);
    expect(count(db, 'SELECT min(price_fen) FROM prices')).toBeGreaterThan(0);
  });

  it('is applied only while the store has no such dataset, so HQ data is never overwritten', () => {
    const db = freshDb();
    applyCatalog(db, smallCatalog(7), { source: 'hq', now: 1 });
    const results = applySeed(db, loadSeedFile('config/demo/catalog.json'), 2);
    expect(results.map((r) => r.dataset)).toEqual(['promotions', 'coupon_campaigns']);
    expect(datasetVersion(db, 'catalog')?.version).toBe(7);
    expect(count(db, 'SELECT count(*) FROM products')).toBe(2);
  });
});

describe('rule documents', () => {
  it('normalise scope GTINs wherever a scope is nested, and refuse bad check digits', async () => {
    const { applyCouponCampaigns } = await import('../../edge/catalog/dataset.js');
    const db = freshDb();
    const campaign = (gtin: string) => ({
      version: 1,
      campaigns: [
        {
          id: 'c',
          name: { zh: '券', en: 'Coupon' },
          benefit: { type: 'amount_off', amountFen: 100 },
          issuance: { trigger: 'after_purchase', boughtScope: { gtins: [gtin] }, minSpendFen: 0 },
        },
      ],
    });
    expect(
      rejected(() => applyCouponCampaigns(db, campaign('6901234567893'), { source: 'hq', now: 1 })),
    ).toEqual([
      '/campaigns/0/issuance/boughtScope/gtins/0: bad check digit in 6901234567893: expected 2, got 3',
    ]);
    applyCouponCampaigns(db, campaign('6901234567892'), { source: 'hq', now: 1 });
    const def = JSON.parse(db.prepare('SELECT definition FROM coupon_campaigns').pluck().get() as string);
    expect(def.issuance.boughtScope.gtins).toEqual(['06901234567892']);
  });
});
