import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Receipt } from './receipt.js';

// The e-receipt a phone opens from the printed receipt's QR code: the store's HTTPS
// address of a page, carrying a token that names the sale and when the link expires,
// signed with a key the store keeps (HMAC-SHA256). The sale's id is a random UUID and the
// signature 256 bits: a receipt cannot be guessed from another. The token travels after
// '#', so it reaches neither the store's access log nor a proxy's. What the page shows is
// the receipt without the member: no member id, no points balance, nothing personal.

/** How long a receipt's link opens: returns are taken for 30 days, a warranty claim later. */
export const E_RECEIPT_DAYS = 90;
const PREFIX = 'storeedge:e-receipt:v1';
/** the name of the store's own secret the links are signed with */
export const E_RECEIPT_SECRET = 'e-receipt';
export const E_RECEIPT_TOKEN = /^[0-9a-f-]{36}\.\d{1,12}\.[A-Za-z0-9_-]{43}$/;

const mac = (key: Buffer, saleId: string, expiresSec: number) =>
  createHmac('sha256', key).update(`${PREFIX}:${saleId}:${expiresSec}`).digest('base64url');

/** The token for a sale made at `saleAt` (ms); the same for every print of its receipt. */
export function eReceiptToken(key: Buffer, saleId: string, saleAt: number): string {
  const expiresSec = Math.floor(saleAt / 1000) + E_RECEIPT_DAYS * 86_400;
  return `${saleId}.${expiresSec}.${mac(key, saleId, expiresSec)}`;
}

/** Where the phone opens a sale's receipt, under the store's public (HTTPS) address;
 * null while the store has none (not listening yet). */
export const eReceiptLink = (key: Buffer, publicUrl: string | null, saleId: string, saleAt: number) =>
  publicUrl ? `${publicUrl}/ui/receipt/#${eReceiptToken(key, saleId, saleAt)}` : null;

/** The sale a token names, or why not: a forged or altered token names none, an old one has expired. */
export function openEReceiptToken(
  key: Buffer,
  token: string,
  now: number,
): { saleId: string; expiresAt: number } | 'not_found' | 'expired' {
  if (!E_RECEIPT_TOKEN.test(token)) return 'not_found';
  const [saleId, exp, sig] = token.split('.') as [string, string, string];
  const want = Buffer.from(mac(key, saleId, Number(exp)));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'not_found';
  const expiresAt = Number(exp) * 1000;
  return now > expiresAt ? 'expired' : { saleId, expiresAt };
}

export type RefundState = 'none' | 'partial' | 'full';

/** The receipt's own figures, its lines without their numbers and gross, and no member. */
export interface EReceipt
  extends Pick<
    Receipt,
    | 'storeName'
    | 'receiptNo'
    | 'at'
    | 'grossFen'
    | 'promoDiscountFen'
    | 'couponDiscountFen'
    | 'totalFen'
    | 'taxFen'
    | 'taxByRate'
    | 'changeFen'
  > {
  /** the store's IANA zone: the page shows the sale's time as the store's clock read it */
  timeZone: string;
  lines: Omit<Receipt['lines'][number], 'lineNo' | 'grossFen'>[];
  payments: { kind: string; amountFen: number }[];
  /** a member's sale shows the points it earned, never who the member is */
  pointsEarned: number | null;
  refundState: RefundState;
  refundedFen: number;
  refunds: { amountFen: number; at: number }[];
  expiresAt: number;
}

export function eReceiptOf(r: Receipt, expiresAt: number, timeZone: string): EReceipt {
  const refundedFen = r.refunds.reduce((s, x) => s + x.amountFen, 0);
  return {
    storeName: r.storeName,
    timeZone,
    receiptNo: r.receiptNo,
    at: r.at,
    lines: r.lines.map((l) => ({
      name: l.name,
      qty: l.qty,
      weightG: l.weightG,
      unitPriceFen: l.unitPriceFen,
      discounts: l.discounts,
      finalFen: l.finalFen,
      refundedQty: l.refundedQty,
    })),
    grossFen: r.grossFen,
    promoDiscountFen: r.promoDiscountFen,
    couponDiscountFen: r.couponDiscountFen,
    totalFen: r.totalFen,
    taxFen: r.taxFen,
    taxByRate: r.taxByRate,
    payments: r.payments.map((p) => ({ kind: p.kind, amountFen: p.amountFen })),
    changeFen: r.changeFen,
    pointsEarned: r.member ? r.member.pointsEarned : null,
    refundState: refundedFen === 0 ? 'none' : refundedFen >= r.totalFen ? 'full' : 'partial',
    refundedFen,
    refunds: r.refunds.map((x) => ({ amountFen: x.amountFen, at: x.at })),
    expiresAt,
  };
}
