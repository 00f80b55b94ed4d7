// A store database with the demo seed, for domain tests.
import { expect } from 'vitest';
import { parseScan } from '../../edge/catalog/barcode.js';
import { applySeed, loadSeedFile } from '../../edge/catalog/seed.js';
import { addScan, createCart } from '../../edge/checkout/carts.js';
import type { CheckoutContext } from '../../edge/checkout/sale.js';
import { payCash, startPayment } from '../../edge/checkout/tenders.js';
import { migrate } from '../../edge/db/migrate.js';
import { migrations } from '../../edge/db/migrations/index.js';
import { type Db, openDb } from '../../edge/db/open.js';
import { DomainError } from '../../sync/kernel/errors.js';

export const SEED_NOW = Date.UTC(2026, 10, 18, 2, 0); // Wed 10:00 in Shanghai

export function demoDb(path = ':memory:'): Db {
  const db = openDb(path);
  migrate(db, migrations);
  applySeed(db, loadSeedFile('config/demo/catalog.json'), SEED_NOW - 86_400_000);
  return db;
}

export const ctx = (now = SEED_NOW): CheckoutContext => ({
  now,
  timezone: 'Asia/Shanghai',
  storeId: 'demo-store-001',
  loyalty: { pointsPerYuan: 1, fenPerPoint: 1 },
});

export const layouts = [
  { prefix: '20', kind: 'weight' as const, itemDigits: 5, valueDigits: 5, priceCheckDigit: false },
  { prefix: '21', kind: 'price' as const, itemDigits: 5, valueDigits: 5, priceCheckDigit: false },
];
export const scan = (raw: string) => parseScan(raw, { variableMeasure: layouts, currencyNumeric: '156' });

/** GTIN of the demo product whose English name contains `en`. */
export function gtinOf(db: Db, en: string): string {
  const g = db
    .prepare('SELECT gtin FROM products WHERE name_en LIKE ? ORDER BY gtin LIMIT 1')
    .pluck()
    .get(`%${en}%`) as string | undefined;
  if (!g) throw new Error(`no demo product like ${en}`);
  return g.slice(1); // as an EAN-13 on the pack
}

/** The DomainError code `fn` throws, or 'ok' when it does not throw. */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return (err as DomainError).code;
  }
  return 'ok';
}

/** EAN-13s of the packaged products anyone may buy (not weighed, no age check). */
export function sellableCodes(db: Db): string[] {
  return (
    db.prepare("SELECT gtin FROM products WHERE sold_by = 'each' AND min_age = 0").pluck().all() as string[]
  ).map((g) => g.slice(1));
}

/** One whole kiosk sale paid in cash: `items` products picked by `i` from `codes`. */
export function cashSale(db: Db, codes: string[], i: number, now: number, items = 3): void {
  const opts = { variableMeasure: [], currencyNumeric: '156' };
  const cart = createCart(db, { channel: 'kiosk', now });
  for (let k = 0; k < items; k++)
    addScan(db, cart.id, { scan: parseScan(codes[(i * items + k) % codes.length]!, opts), now });
  const q = startPayment(db, cart.id, ctx(now));
  payCash(db, cart.id, q.dueFen, ctx(now));
}
