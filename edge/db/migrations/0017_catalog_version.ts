import type { Migration } from '../migrate.js';

// A version of what checkout reads of the catalog (products, their prices, categories),
// changed by triggers in the transaction of any write to them, so an in-memory copy
// (edge/catalog/products.ts) knows it is stale whichever code wrote. A random value, not
// a counter: a transaction that rolls back takes its change with it, and a counter would
// reach the same number again in another transaction with other rows.
// Additive: an older build ignores the table; the triggers keep it current meanwhile.
const tables = ['products', 'prices', 'categories'];
const events = ['INSERT', 'UPDATE', 'DELETE'];

export const m0017CatalogVersion: Migration = {
  version: 17,
  name: 'catalog_version',
  additive: true,
  up(db) {
    db.exec(`
      CREATE TABLE catalog_version (
        id  INTEGER PRIMARY KEY CHECK (id = 1),
        v   INTEGER NOT NULL
      ) STRICT;
      INSERT INTO catalog_version (id, v) VALUES (1, random());
      ${tables
        .flatMap((t) =>
          events.map(
            (e) =>
              `CREATE TRIGGER catalog_version_${t}_${e.toLowerCase()} AFTER ${e} ON ${t}
               BEGIN UPDATE catalog_version SET v = random(); END;`,
          ),
        )
        .join('\n')}
    `);
  },
};
