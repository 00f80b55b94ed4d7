// Carts: a kiosk's or a shopper's phone. Lines come from scans (with the scale's weight
// for weighed items); attendant actions change lines and are recorded with who and why.
import { randomInt, randomUUID } from 'node:crypto';
import { DomainError, notFound } from '../../sync/kernel/errors.js';
import { localIsoDate, startOfLocalDay } from '../../sync/kernel/local-day.js';
import type { LabelRules, Scan } from '../catalog/barcode.js';
import { judgeLabel, labelKey } from '../catalog/label-policy.js';
import { productForScan } from '../catalog/products.js';
import { lightly } from '../db/durability.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';
import type { CartLineRow, CartRow, CartStatus, Channel } from './cart-rows.js';
import { type LabelFinding, recordLabelFinding } from './label-findings.js';
import { type AttendantAction, requireRole, type Staff } from './staff.js';

// no 0/O/1/I: the code is read aloud and typed at kiosks
const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

export function getCart(db: Db, id: string): CartRow {
  const row = db.prepare('SELECT * FROM carts WHERE id = ?').get(id) as CartRow | undefined;
  if (!row) throw notFound('cart', id);
  return row;
}

export function cartLines(db: Db, cartId: string, includeVoided = false): CartLineRow[] {
  return db
    .prepare(
      `SELECT * FROM cart_lines WHERE cart_id = ? ${includeVoided ? '' : 'AND voided = 0'} ORDER BY seq`,
    )
    .all(cartId) as CartLineRow[];
}

export function requireStatus(cart: CartRow, ...allowed: CartStatus[]): void {
  if (!allowed.includes(cart.status)) {
    throw new DomainError(
      'conflict',
      'CART_STATE',
      `cart is ${cart.status}; this needs it ${allowed.join(' or ')}`,
      {
        status: cart.status,
      },
    );
  }
}

function touch(db: Db, cartId: string, now: number, status?: CartStatus): void {
  if (status) db.prepare('UPDATE carts SET status = ?, updated_at = ? WHERE id = ?').run(status, now, cartId);
  else db.prepare('UPDATE carts SET updated_at = ? WHERE id = ?').run(now, cartId);
}

export function createCart(
  db: Db,
  opts: { channel: Channel; kioskId?: string | null; now: number },
): CartRow {
  return lightly(db, () => insertCart(db, opts));
}

function insertCart(db: Db, opts: { channel: Channel; kioskId?: string | null; now: number }): CartRow {
  const id = randomUUID();
  for (let attempt = 0; ; attempt++) {
    const code = Array.from({ length: 6 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
    try {
      db.prepare(
        `INSERT INTO carts (id, code, channel, kiosk_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'open', ?, ?)`,
      ).run(id, code, opts.channel, opts.kioskId ?? null, opts.now, opts.now);
      return getCart(db, id);
    } catch (err) {
      // a live cart already has this code: draw another
      if (attempt < 5 && String((err as Error).message).includes('UNIQUE')) continue;
      throw err;
    }
  }
}

export interface AddScanInput {
  scan: Scan;
  /** stable weight from the kiosk scale, for weighed items without a weight label */
  weightG?: number | undefined;
  qty?: number | undefined;
  now: number;
  /** the store's label rules (config barcodes.labels); the schema defaults when absent */
  labels?: LabelRules | undefined;
  timezone?: string | undefined;
  /** the caller will retry with a weight: don't record a refused label for this try */
  retryWithWeight?: boolean | undefined;
}

/** config barcodes.labels' defaults, for callers that pass no store config (tests, benches) */
export const DEFAULT_LABEL_RULES: LabelRules = {
  gs1Carriers: ['gs1-128', 'gs1-databar'],
  priceBandPct: 20,
  weightG: { min: 5, max: 20_000 },
};

/** Adds what was scanned. An 'each' item scanned again adds to its line. A label's
 * weight or price is used only as label-policy.ts allows; what it refuses or flags is
 * recorded for staff and HQ, also when the scan itself is then refused. */
export function addScan(db: Db, cartId: string, input: AddScanInput): CartLineRow {
  return lightly(db, () => scanInto(db, cartId, input));
}

function scanInto(db: Db, cartId: string, input: AddScanInput): CartLineRow {
  let finding: LabelFinding | null = null;
  try {
    return db.transaction(() => {
      const cart = getCart(db, cartId);
      requireStatus(cart, 'open');
      const { scan, now } = input;
      const { product, packQty } = productForScan(db, scan, now);
      const today = localIsoDate(now, input.timezone ?? 'UTC');
      const key = labelKey(scan, product.gtin);
      const verdict = judgeLabel(scan, product, input.labels ?? DEFAULT_LABEL_RULES, {
        channel: cart.channel,
        weightG: input.weightG ?? null,
        today,
        repeated: key !== null && labelSeen(db, cartId, key, startOfLocalDay(now, input.timezone ?? 'UTC')),
      });
      if (verdict.refused.length || verdict.flags.length)
        finding = { cart, product, scan, verdict, lineId: null, now };
      // remember which physical label priced the line (or which serialised item it is)
      const lineKey = verdict.labelled || scan.serial ? key : null;
      const labelPrice = verdict.priceFen;
      let weightG: number | null = null;
      let qty = (input.qty ?? 1) * packQty;
      if (product.soldBy === 'weight') {
        weightG = verdict.weightG;
        if (weightG === null && labelPrice === null) {
          throw new DomainError(
            'invalid',
            'WEIGHT_REQUIRED',
            `${product.name.en} is sold by weight: weigh it on the scale`,
            { gtin: product.gtin, ...(verdict.refused.length ? { labelRefused: verdict.refused } : {}) },
          );
        }
        if (weightG !== null && weightG <= 0)
          throw new DomainError('invalid', 'WEIGHT_INVALID', 'weight must be positive');
        qty = 1;
      }
      if (qty < 1 || qty > 999) throw new DomainError('invalid', 'QTY_INVALID', 'quantity must be 1 to 999');
      const hold = verdict.flags.length ? JSON.stringify(verdict.flags) : null;
      if (product.soldBy === 'each' && labelPrice === null && lineKey === null && hold === null) {
        const same = db
          .prepare(
            `SELECT * FROM cart_lines WHERE cart_id = ? AND gtin = ? AND voided = 0 AND weight_g IS NULL
               AND label_price_fen IS NULL AND override_price_fen IS NULL AND label_key IS NULL
               AND label_hold IS NULL ORDER BY seq DESC LIMIT 1`,
          )
          .get(cartId, product.gtin) as CartLineRow | undefined;
        if (same) {
          if (same.qty + qty > 999)
            throw new DomainError('invalid', 'QTY_INVALID', 'quantity must be 1 to 999');
          db.prepare('UPDATE cart_lines SET qty = qty + ? WHERE id = ?').run(qty, same.id);
          touch(db, cartId, now);
          if (finding) recordLabelFinding(db, { ...finding, lineId: same.id });
          finding = null;
          return { ...same, qty: same.qty + qty };
        }
      }
      const id = randomUUID();
      const seq =
        (db
          .prepare('SELECT coalesce(max(seq), 0) + 1 FROM cart_lines WHERE cart_id = ?')
          .pluck()
          .get(cartId) as number) ?? 1;
      db.prepare(
        `INSERT INTO cart_lines (id, cart_id, seq, gtin, scanned, qty, weight_g, label_price_fen, label_key, label_hold, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(id, cartId, seq, product.gtin, scan.raw, qty, weightG, labelPrice, lineKey, hold, now);
      touch(db, cartId, now);
      if (finding) recordLabelFinding(db, { ...finding, lineId: id });
      finding = null;
      return db.prepare('SELECT * FROM cart_lines WHERE id = ?').get(id) as CartLineRow;
    })();
  } catch (err) {
    // the scan was refused, but the label it carried was still an attempt staff and HQ see
    const f = finding as LabelFinding | null;
    if (
      f?.verdict.refused.length &&
      !input.retryWithWeight &&
      err instanceof DomainError &&
      labelRefusedIn(err)
    ) {
      db.transaction(() => recordLabelFinding(db, { ...f, verdict: { ...f.verdict, flags: [] } }))();
    }
    throw err;
  }
}

/** Whether a refused scan had its label recorded (addScan did so outside its rollback). */
export const labelRefusedIn = (err: DomainError): boolean =>
  typeof err.details === 'object' && err.details !== null && 'labelRefused' in err.details;

/** The same label (or serial) on a sale completed today, or already in this cart. */
function labelSeen(db: Db, cartId: string, key: string, dayStart: number): boolean {
  return (
    db
      .prepare(
        `SELECT 1 FROM cart_lines l JOIN carts c ON c.id = l.cart_id
          WHERE l.label_key = ? AND l.voided = 0 AND l.created_at >= ?
            AND (c.status = 'paid' OR c.id = ?) LIMIT 1`,
      )
      .get(key, dayStart, cartId) !== undefined
  );
}

function getLine(db: Db, cartId: string, lineId: string): CartLineRow {
  const line = db
    .prepare('SELECT * FROM cart_lines WHERE id = ? AND cart_id = ? AND voided = 0')
    .get(lineId, cartId) as CartLineRow | undefined;
  if (!line) throw notFound('cart line', lineId);
  return line;
}

/** Shopper changes the quantity of an 'each' line (phone carts, and kiosks before payment). */
export function setQty(db: Db, cartId: string, lineId: string, qty: number, now: number): void {
  lightly(
    db,
    db.transaction(() => {
      const cart = getCart(db, cartId);
      requireStatus(cart, 'open');
      const line = getLine(db, cartId, lineId);
      if (line.weight_g !== null || line.label_price_fen !== null) {
        throw new DomainError(
          'invalid',
          'QTY_FIXED',
          'a weighed or price-labelled item has no quantity to change',
        );
      }
      if (!Number.isInteger(qty) || qty < 1 || qty > 999)
        throw new DomainError('invalid', 'QTY_INVALID', 'quantity must be 1 to 999');
      if (cart.channel === 'kiosk' && qty < line.qty) {
        throw new DomainError(
          'forbidden',
          'ATTENDANT_REQUIRED',
          'lowering a quantity at a kiosk needs an attendant',
        );
      }
      db.prepare('UPDATE cart_lines SET qty = ? WHERE id = ?').run(qty, lineId);
      touch(db, cartId, now);
    }),
  );
}

/** A shopper removes an item from their own phone cart. At kiosks removal is a void. */
export function removeLine(db: Db, cartId: string, lineId: string, now: number): void {
  lightly(
    db,
    db.transaction(() => {
      const cart = getCart(db, cartId);
      requireStatus(cart, 'open');
      if (cart.channel === 'kiosk') {
        throw new DomainError(
          'forbidden',
          'ATTENDANT_REQUIRED',
          'removing an item at a kiosk needs an attendant (void)',
        );
      }
      getLine(db, cartId, lineId);
      db.prepare('UPDATE cart_lines SET voided = 1 WHERE id = ?').run(lineId);
      touch(db, cartId, now);
    }),
  );
}

export function recordAction(
  db: Db,
  a: {
    cartId?: string;
    lineId?: string;
    saleId?: string;
    staff: Staff;
    action: AttendantAction;
    reason: string;
    detail?: unknown;
    now: number;
  },
): void {
  if (!a.reason.trim())
    throw new DomainError('invalid', 'REASON_REQUIRED', 'an attendant action needs a reason');
  db.prepare(
    `INSERT INTO attendant_actions (cart_id, line_id, sale_id, staff_id, role, action, reason, detail, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    a.cartId ?? null,
    a.lineId ?? null,
    a.saleId ?? null,
    a.staff.id,
    a.staff.role,
    a.action,
    a.reason.trim(),
    a.detail === undefined ? null : JSON.stringify(a.detail),
    a.now,
  );
}

/** An attendant's action on one line: role first, then in one transaction the cart's
 * state, the change itself (which returns what the audit record keeps), the record. */
function lineAction(
  db: Db,
  a: {
    cartId: string;
    lineId: string;
    staff: Staff;
    reason: string;
    now: number;
    action: AttendantAction;
    statuses: CartStatus[];
    /** input checks that need no database, after the role check */
    precheck?: () => void;
    change: (line: CartLineRow) => unknown;
  },
): void {
  requireRole(a.staff, a.action);
  a.precheck?.();
  db.transaction(() => {
    requireStatus(getCart(db, a.cartId), ...a.statuses);
    const detail = a.change(getLine(db, a.cartId, a.lineId));
    recordAction(db, {
      cartId: a.cartId,
      lineId: a.lineId,
      staff: a.staff,
      action: a.action,
      reason: a.reason,
      detail,
      now: a.now,
    });
    touch(db, a.cartId, a.now);
  })();
}

export function voidLine(
  db: Db,
  cartId: string,
  lineId: string,
  staff: Staff,
  reason: string,
  now: number,
): void {
  lineAction(db, {
    cartId,
    lineId,
    staff,
    reason,
    now,
    action: 'void',
    statuses: ['open', 'suspended'],
    change: (line) => {
      db.prepare('UPDATE cart_lines SET voided = 1 WHERE id = ?').run(lineId);
      return { gtin: line.gtin, qty: line.qty };
    },
  });
}

export function overridePrice(
  db: Db,
  cartId: string,
  lineId: string,
  priceFen: number,
  staff: Staff,
  reason: string,
  now: number,
): void {
  lineAction(db, {
    cartId,
    lineId,
    staff,
    reason,
    now,
    action: 'price_override',
    statuses: ['open', 'suspended'],
    precheck: () => {
      if (!Number.isInteger(priceFen) || priceFen < 0)
        throw new DomainError('invalid', 'PRICE_INVALID', 'price must be whole fen ≥ 0');
    },
    change: (line) => {
      db.prepare('UPDATE cart_lines SET override_price_fen = ? WHERE id = ?').run(priceFen, lineId);
      return { gtin: line.gtin, from: line.override_price_fen ?? line.label_price_fen, to: priceFen };
    },
  });
}

export function approveAge(
  db: Db,
  cartId: string,
  lineId: string,
  staff: Staff,
  reason: string,
  now: number,
): void {
  lineAction(db, {
    cartId,
    lineId,
    staff,
    reason,
    now,
    action: 'age_approval',
    statuses: ['open', 'suspended', 'paying'],
    change: (line) => {
      db.prepare('UPDATE cart_lines SET age_approved_by = ? WHERE id = ?').run(staff.id, lineId);
      return { gtin: line.gtin };
    },
  });
}

/** An attendant has looked at a held label (weighed the pack, checked the date) and lets it stand. */
export function approveLabel(
  db: Db,
  cartId: string,
  lineId: string,
  staff: Staff,
  reason: string,
  now: number,
): void {
  lineAction(db, {
    cartId,
    lineId,
    staff,
    reason,
    now,
    action: 'label_approval',
    statuses: ['open', 'suspended', 'paying'],
    change: (line) => {
      if (line.label_hold === null)
        throw new DomainError(
          'conflict',
          'NO_LABEL_CHECK',
          'this line has no label waiting for an attendant',
        );
      db.prepare('UPDATE cart_lines SET label_approved_by = ? WHERE id = ?').run(staff.id, lineId);
      const flags = JSON.parse(line.label_hold) as string[];
      // HQ sees who let a flagged label stand, beside the flag itself
      appendOutbox(
        db,
        {
          type: 'label.approved',
          class: 'money',
          payload: {
            cartId,
            lineId,
            gtin: line.gtin,
            code: line.scanned,
            flags,
            staffId: staff.id,
            reason,
            at: now,
          },
        },
        now,
      );
      return { gtin: line.gtin, flags };
    },
  });
}

export function setMember(db: Db, cartId: string, memberId: string | null, now: number): void {
  db.transaction(() => {
    requireStatus(getCart(db, cartId), 'open', 'suspended');
    db.prepare('UPDATE carts SET member_id = ?, updated_at = ? WHERE id = ?').run(memberId, now, cartId);
  })();
}

export function suspendCart(db: Db, cartId: string, now: number): void {
  db.transaction(() => {
    requireStatus(getCart(db, cartId), 'open');
    touch(db, cartId, now, 'suspended');
  })();
}

export function resumeCart(db: Db, cartId: string, now: number): void {
  db.transaction(() => {
    requireStatus(getCart(db, cartId), 'suspended');
    touch(db, cartId, now, 'open');
  })();
}

/** A kiosk takes over a phone cart by the code the phone shows. */
export function handOffCart(db: Db, code: string, kioskId: string, now: number): CartRow {
  return db.transaction(() => {
    const cart = db
      .prepare(`SELECT * FROM carts WHERE code = ? AND status IN ('open', 'suspended', 'paying')`)
      .get(code.trim().toUpperCase()) as CartRow | undefined;
    if (!cart) throw notFound('cart', code);
    if (cart.status === 'paying' && cart.kiosk_id !== kioskId) {
      throw new DomainError('conflict', 'CART_STATE', 'cart is being paid elsewhere');
    }
    // the cart is the kiosk's now: kiosk rules (attendant for removals) apply from here
    db.prepare(
      `UPDATE carts SET kiosk_id = ?, channel = 'kiosk', handed_off_at = coalesce(handed_off_at, ?),
         status = CASE status WHEN 'suspended' THEN 'open' ELSE status END, updated_at = ? WHERE id = ?`,
    ).run(kioskId, now, now, cart.id);
    return getCart(db, cart.id);
  })();
}

export function cancelCart(db: Db, cartId: string, staff: Staff | null, reason: string, now: number): void {
  db.transaction(() => {
    const cart = getCart(db, cartId);
    requireStatus(cart, 'open', 'suspended');
    // a shopper may abandon their own phone cart; a kiosk cart with items needs staff
    const hasLines = cartLines(db, cartId).length > 0;
    if (cart.channel === 'kiosk' && hasLines) {
      if (!staff)
        throw new DomainError(
          'forbidden',
          'ATTENDANT_REQUIRED',
          'cancelling a kiosk cart with items needs an attendant',
        );
      requireRole(staff, 'cancel_cart');
      recordAction(db, { cartId, staff, action: 'cancel_cart', reason, now });
    }
    touch(db, cartId, now, 'cancelled');
  })();
}
