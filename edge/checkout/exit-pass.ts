import { createHmac, timingSafeEqual } from 'node:crypto';
import { notFound } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';

// The exit pass a scan-and-go shopper shows at the door: the sale's id and the time it
// was issued, signed with a key the store keeps, as a QR payload. Staff scan it; a valid
// pass shows what was bought, and a pass already checked says when.

const VALID_MS = 2 * 60 * 60 * 1000;
const PREFIX = 'storeedge:exit:v1';

export interface ExitPass {
  saleId: string;
  receiptNo: string;
  itemCount: number;
  totalFen: number;
  issuedAt: number;
  expiresAt: number;
  /** What the QR code holds. */
  payload: string;
}

interface SaleRow {
  id: string;
  receipt_no: string;
  total_fen: number;
  created_at: number;
  items: number;
}

function sale(db: Db, saleId: string): SaleRow | undefined {
  return db
    .prepare(
      `SELECT s.id, s.receipt_no, s.total_fen, s.created_at,
              (SELECT COALESCE(SUM(qty), 0) FROM cart_lines l WHERE l.cart_id = s.cart_id AND l.voided = 0) AS items
       FROM sales s WHERE s.id = ?`,
    )
    .get(saleId) as SaleRow | undefined;
}

const mac = (key: Buffer, saleId: string, issuedAt: number) =>
  createHmac('sha256', key).update(`${PREFIX}:${saleId}:${issuedAt}`).digest('base64url');

export function issueExitPass(db: Db, key: Buffer, saleId: string, now: number): ExitPass {
  const s = sale(db, saleId);
  if (!s) throw notFound('sale', saleId);
  return {
    saleId,
    receiptNo: s.receipt_no,
    itemCount: s.items,
    totalFen: s.total_fen,
    issuedAt: now,
    expiresAt: now + VALID_MS,
    payload: `${PREFIX}:${saleId}:${now}:${mac(key, saleId, now)}`,
  };
}

export type ExitCheck =
  | { valid: true; saleId: string; receiptNo: string; itemCount: number; totalFen: number }
  | {
      valid: false;
      reason: 'FORGED' | 'EXPIRED' | 'ALREADY_USED' | 'NOT_A_PASS';
      checkedAt?: number;
      /** an authentic pass already used: its sale (an audit may still be in progress) */
      saleId?: string;
    };

/** Checks a scanned pass; a valid one is marked used in the same transaction. */
export function checkExitPass(db: Db, key: Buffer, payload: string, staffId: string, now: number): ExitCheck {
  const m = /^storeedge:exit:v1:([0-9a-f-]{36}):(\d{1,15}):([A-Za-z0-9_-]{43})$/.exec(payload);
  if (!m) return { valid: false, reason: 'NOT_A_PASS' };
  const [, saleId, issued, sig] = m as unknown as [string, string, string, string];
  const want = Buffer.from(mac(key, saleId, Number(issued)));
  if (want.length !== sig.length || !timingSafeEqual(want, Buffer.from(sig)))
    return { valid: false, reason: 'FORGED' };
  if (now > Number(issued) + VALID_MS) return { valid: false, reason: 'EXPIRED' };
  return db
    .transaction((): ExitCheck => {
      const used = db
        .prepare('SELECT checked_at FROM exit_pass_checks WHERE sale_id = ?')
        .pluck()
        .get(saleId) as number | undefined;
      if (used !== undefined) return { valid: false, reason: 'ALREADY_USED', checkedAt: used, saleId };
      const s = sale(db, saleId);
      if (!s) return { valid: false, reason: 'FORGED' };
      db.prepare('INSERT INTO exit_pass_checks (sale_id, checked_at, checked_by) VALUES (?, ?, ?)').run(
        saleId,
        now,
        staffId,
      );
      return { valid: true, saleId, receiptNo: s.receipt_no, itemCount: s.items, totalFen: s.total_fen };
    })
    .immediate();
}
