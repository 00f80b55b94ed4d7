// A label the store would not take as it was, recorded where loss prevention looks:
// an alert on the staff dashboard (at the kiosk, or "scan-and-go" for phone carts) and
// an event to HQ. Label events are money-class, so the backlog guard never drops or
// rolls them up. Written in the caller's transaction.

import { raiseAlert } from '../alerts/alerts.js';
import type { Scan } from '../catalog/barcode.js';
import type { LabelJudgement } from '../catalog/label-policy.js';
import type { Product } from '../catalog/products.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';
import type { CartRow } from './cart-rows.js';

/** Where phone carts' alerts are listed, beside the kiosks. */
export const SCAN_AND_GO_STATION = 'scan-and-go';

export interface LabelFinding {
  cart: CartRow;
  product: Product;
  scan: Scan;
  verdict: LabelJudgement;
  /** the line it went on; null when the scan was refused */
  lineId: string | null;
  now: number;
}

export function recordLabelFinding(db: Db, f: LabelFinding): void {
  const { cart, product, scan, verdict } = f;
  const held = verdict.flags.length > 0;
  appendOutbox(
    db,
    {
      type: held ? 'label.flagged' : 'label.refused',
      class: 'money',
      payload: {
        cartId: cart.id,
        channel: cart.channel,
        kioskId: cart.kiosk_id,
        lineId: f.lineId,
        gtin: product.gtin,
        code: scan.raw,
        symbology: scan.symbology,
        source: scan.valueSource ?? null,
        labelPriceFen: scan.priceFen ?? null,
        labelWeightG: scan.weightG ?? null,
        catalogPriceFen: product.priceFen,
        refused: verdict.refused,
        flags: verdict.flags,
        outcome: held ? 'attendant' : f.lineId ? 'catalog-price' : 'scan-refused',
        at: f.now,
      },
    },
    f.now,
  );
  const what = held ? 'label needs an attendant' : 'label refused';
  raiseAlert(
    db,
    {
      kioskId: cart.kiosk_id ?? SCAN_AND_GO_STATION,
      kind: 'label',
      message: `${what}: ${product.name.zh} ${product.name.en} (cart ${cart.code}): ${[...verdict.flags, ...verdict.refused].join('; ')}`,
      cartId: cart.id,
    },
    f.now,
  );
}
