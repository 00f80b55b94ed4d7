// Products are kept in memory between quotes (edge/catalog/products.ts) until the
// catalog's version changes: whatever writes products, prices or categories, and a
// transaction that rolls back leaves no stale copy behind.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchStore } from '../../bench/store.js';
import { catalogNow, productByGtin } from '../../edge/catalog/products.js';

const WATER = '06911001001016';

describe('the product cache', () => {
  it('sees a price, a name and a retirement written by any SQL, and nothing of a rollback', () => {
    const { db, now } = benchStore(mkdtempSync(join(tmpdir(), 'storeedge-products-')));
    const before = productByGtin(db, WATER, now)!;
    expect(productByGtin(db, WATER, now)).toEqual(before);

    db.prepare('INSERT INTO prices (gtin, effective_from, price_fen) VALUES (?, ?, ?)').run(
      WATER,
      now + 10,
      123,
    );
    expect(productByGtin(db, WATER, now + 20)!.priceFen).toBe(123);
    // the price before it still holds before it takes effect
    expect(productByGtin(db, WATER, now)!.priceFen).toBe(before.priceFen);

    db.prepare("UPDATE products SET name_en = 'Still water' WHERE gtin = ?").run(WATER);
    expect(productByGtin(db, WATER, now + 20)!.name.en).toBe('Still water');

    // read inside a transaction that then rolls back: the copy made there must not stay
    expect(() =>
      db.transaction(() => {
        db.prepare('INSERT INTO prices (gtin, effective_from, price_fen) VALUES (?, ?, ?)').run(
          WATER,
          now + 30,
          999,
        );
        expect(productByGtin(db, WATER, now + 40)!.priceFen).toBe(999);
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    expect(productByGtin(db, WATER, now + 40)!.priceFen).toBe(123);

    db.prepare('UPDATE products SET active = 0 WHERE gtin = ?').run(WATER);
    expect(productByGtin(db, WATER, now)).toBeNull();
    expect(productByGtin(db, WATER, now, true)!.gtin).toBe(WATER);
    expect(productByGtin(db, '00000000000000', now)).toBeNull();
  });

  it("shares a product's name and categories between answers, frozen, and reads the version once per lookup", () => {
    const { db, now } = benchStore(mkdtempSync(join(tmpdir(), 'storeedge-products-')));
    const a = productByGtin(db, WATER, now)!;
    // an answer is the caller's own object; its nested parts are shared and cannot change
    a.priceFen = 1;
    expect(productByGtin(db, WATER, now)!.priceFen).not.toBe(1);
    expect(Object.isFrozen(a.name) && Object.isFrozen(a.categories)).toBe(true);
    expect(() => a.categories.push('x')).toThrow();
    expect(productByGtin(db, WATER, now)!.categories).toEqual(a.categories);

    // a lookup made before a write answers from the catalog as it stood; a new one sees it
    const before = catalogNow(db);
    db.prepare("UPDATE products SET name_en = 'Sparkling' WHERE gtin = ?").run(WATER);
    expect(catalogNow(db)(WATER, now)!.name.en).toBe('Sparkling');
    expect(before(WATER, now)!.name.en).toBe(a.name.en);
  });
});
