import type { Migration } from '../migrate.js';

// Products are keyed by GTIN-14 (every scanned code is normalised to it). Prices are
// rows with an effective time so HQ can push tomorrow's price today.
export const m0001Catalog: Migration = {
  version: 1,
  name: 'catalog',
  up(db) {
    db.exec(`
      CREATE TABLE datasets (
        name        TEXT PRIMARY KEY,
        version     INTEGER NOT NULL CHECK (version >= 0),
        sha256      TEXT NOT NULL,
        source      TEXT NOT NULL CHECK (source IN ('seed', 'hq')),
        applied_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE categories (
        id          TEXT PRIMARY KEY,
        parent_id   TEXT REFERENCES categories(id),
        name_zh     TEXT NOT NULL,
        name_en     TEXT NOT NULL
      ) STRICT;

      CREATE TABLE brands (
        id          TEXT PRIMARY KEY,
        name_zh     TEXT NOT NULL,
        name_en     TEXT NOT NULL
      ) STRICT;

      CREATE TABLE products (
        gtin        TEXT PRIMARY KEY CHECK (length(gtin) = 14 AND gtin NOT GLOB '*[^0-9]*'),
        name_zh     TEXT NOT NULL,
        name_en     TEXT NOT NULL,
        category_id TEXT NOT NULL REFERENCES categories(id),
        brand_id    TEXT REFERENCES brands(id),
        size        TEXT,
        sold_by     TEXT NOT NULL CHECK (sold_by IN ('each', 'weight')),
        -- item reference inside the store's variable-measure (prefix 2x) codes
        plu         TEXT UNIQUE CHECK (plu IS NULL OR (length(plu) BETWEEN 4 AND 6 AND plu NOT GLOB '*[^0-9]*')),
        tax_rate_bp INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
        min_age     INTEGER NOT NULL DEFAULT 0 CHECK (min_age BETWEEN 0 AND 25),
        active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
      ) STRICT;
      CREATE INDEX products_category ON products(category_id);
      CREATE INDEX products_brand ON products(brand_id);

      -- further codes that resolve to a product: case/inner-pack codes, superseded codes
      CREATE TABLE barcodes (
        gtin          TEXT PRIMARY KEY CHECK (length(gtin) = 14 AND gtin NOT GLOB '*[^0-9]*'),
        product_gtin  TEXT NOT NULL REFERENCES products(gtin) ON DELETE CASCADE,
        pack_qty      INTEGER NOT NULL DEFAULT 1 CHECK (pack_qty >= 1)
      ) STRICT;
      CREATE INDEX barcodes_product ON barcodes(product_gtin);

      -- tax-inclusive, integer fen; per item, or per kg when sold by weight
      CREATE TABLE prices (
        gtin            TEXT NOT NULL REFERENCES products(gtin) ON DELETE CASCADE,
        effective_from  INTEGER NOT NULL,
        price_fen       INTEGER NOT NULL CHECK (price_fen >= 0),
        PRIMARY KEY (gtin, effective_from)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
