// A scan put into a cart, the one way the phone's cart API, a kiosk's scanner and the exit
// check's recovery sale all do it: the barcode read by the store's scan options (or as
// already read), and judged by the store's label rules in the store's time zone.
import { parseScan, type Scan, type ScanOptions } from '../catalog/barcode.js';
import type { Db } from '../db/open.js';
import type { CartLineRow } from './cart-rows.js';
import { addScan } from './carts.js';

/** The store's settings every scan is read and judged by. */
export interface StoreScanRules {
  scanOptions: ScanOptions;
  timezone: string;
}

export interface ScanIntoCart {
  now: number;
  qty?: number | undefined;
  weightG?: number | undefined;
  /** the caller will retry with the scale's weight: no refused label is recorded for this try */
  retryWithWeight?: boolean | undefined;
}

export function scanIntoCart(
  db: Db,
  cartId: string,
  code: string | Scan,
  rules: StoreScanRules,
  o: ScanIntoCart,
): CartLineRow {
  return addScan(db, cartId, {
    scan: typeof code === 'string' ? parseScan(code, rules.scanOptions) : code,
    weightG: o.weightG,
    qty: o.qty,
    now: o.now,
    labels: rules.scanOptions.labels,
    timezone: rules.timezone,
    retryWithWeight: o.retryWithWeight,
  });
}
