// Promotion engine cost per cart size, with the demo store's promotions, against the
// baseline of summing the same lines' prices without promotions (same run, same data).
import { applySeed, loadSeedFile } from '../edge/catalog/seed.js';
import { migrate } from '../edge/db/migrate.js';
import { migrations } from '../edge/db/migrations/index.js';
import { openDb } from '../edge/db/open.js';
import { applyPromotions, lineGross, type PricingLine } from '../edge/promotions/engine.js';
import { loadPromotions } from '../edge/promotions/store.js';

function time(fn: () => void, minMs = 300): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs * 1e6) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = Number(process.hrtime.bigint() - t0);
  }
  return elapsed / n / 1000; // µs per call
}

export function run(): void {
  const db = openDb(':memory:');
  migrate(db, migrations);
  const now = Date.UTC(2026, 10, 18, 12, 30); // 20:30 in Shanghai: the evening promotion is on
  applySeed(db, loadSeedFile('config/demo/catalog.json'), now - 1);
  const promos = loadPromotions(db);
  const products = db
    .prepare(
      `SELECT p.gtin, p.category_id, c.parent_id, p.brand_id, p.sold_by,
         (SELECT price_fen FROM prices pr WHERE pr.gtin = p.gtin ORDER BY effective_from DESC LIMIT 1) AS price
       FROM products p JOIN categories c ON c.id = p.category_id ORDER BY p.gtin`,
    )
    .all() as {
    gtin: string;
    category_id: string;
    parent_id: string | null;
    brand_id: string | null;
    sold_by: 'each' | 'weight';
    price: number;
  }[];
  const cart = (size: number): PricingLine[] =>
    Array.from({ length: size }, (_, i) => {
      const p = products[(i * 37) % products.length]!;
      return {
        id: `l${i}`,
        gtin: p.gtin,
        categories: [p.category_id, ...(p.parent_id ? [p.parent_id] : [])],
        brand: p.brand_id,
        soldBy: p.sold_by,
        qty: p.sold_by === 'each' ? 1 + (i % 3) : 1,
        weightG: p.sold_by === 'weight' ? 350 + i : null,
        unitPriceFen: p.price,
        priceOverridden: false,
      };
    });
  const ctx = { now, timezone: 'Asia/Shanghai', member: true };
  console.log(`promotions: ${promos.length}`);
  console.log('lines | priced with promotions (µs) | plain sum baseline (µs) | ratio');
  for (const size of [1, 10, 50, 100]) {
    const lines = cart(size);
    let sink = 0;
    const engine = time(() => {
      sink += applyPromotions(lines, promos, ctx).length;
    });
    const baseline = time(() => {
      sink += lines.reduce((a, l) => a + lineGross(l), 0);
    });
    console.log(
      `${String(size).padStart(5)} | ${engine.toFixed(1).padStart(28)} | ${baseline.toFixed(2).padStart(23)} | ${(engine / baseline).toFixed(0)}x`,
    );
    if (sink === -1) console.log(sink);
  }
  db.close();
}
