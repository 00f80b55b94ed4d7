import { join } from 'node:path';
import { applySeed, loadSeedFile } from '../edge/catalog/seed.js';
import { migrate } from '../edge/db/migrate.js';
import { migrations } from '../edge/db/migrations/index.js';
import { type Db, openDb } from '../edge/db/open.js';

/** A store database in `dir` with the demo seed, its trading time, and the codes anyone may buy. */
export function benchStore(dir: string): { db: Db; now: number; codes: string[] } {
  const db = openDb(join(dir, 'store.db'));
  migrate(db, migrations);
  const now = Date.UTC(2026, 10, 18, 4, 0);
  applySeed(db, loadSeedFile('config/demo/catalog.json'), now - 1);
  const codes = (
    db.prepare("SELECT gtin FROM products WHERE sold_by = 'each' AND min_age = 0").pluck().all() as string[]
  ).map((g) => g.slice(1));
  return { db, now, codes };
}

/** What checkout needs to know of the bench store when it takes a payment. */
export const benchSaleContext = (now: number) => ({
  now,
  timezone: 'Asia/Shanghai',
  storeId: 'bench',
  loyalty: { pointsPerYuan: 1, fenPerPoint: 1 },
});

/** How the bench store reads a scanned code: no variable-measure prefixes, yuan. */
export const BENCH_SCAN_OPTIONS = { variableMeasure: [], currencyNumeric: '156' };
