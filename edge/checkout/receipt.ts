// Receipts: the data of a completed sale for the phone (JSON) and for the printer
// (fixed-width text; CJK characters take two columns on receipt printers).

import { notFound } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';
import { formatFen } from '../money.js';

export interface Receipt {
  storeId: string;
  storeName: string;
  saleId: string;
  receiptNo: string;
  at: number;
  kioskId: string | null;
  lines: {
    lineNo: number;
    name: { zh: string; en: string };
    qty: number;
    weightG: number | null;
    unitPriceFen: number;
    grossFen: number;
    discounts: { label: { zh: string; en: string }; amountFen: number }[];
    finalFen: number;
    refundedQty: number;
  }[];
  grossFen: number;
  promoDiscountFen: number;
  couponDiscountFen: number;
  totalFen: number;
  taxFen: number;
  taxByRate: { rateBp: number; taxFen: number }[];
  payments: { kind: string; amountFen: number; tenderedFen: number }[];
  changeFen: number;
  member: { id: string; pointsEarned: number; balance: number } | null;
  refunds: { refundId: string; amountFen: number; at: number }[];
}

export function receiptFor(db: Db, saleId: string, store: { id: string; name: string }): Receipt {
  const s = db.prepare('SELECT * FROM sales WHERE id = ?').get(saleId) as
    | {
        id: string;
        receipt_no: string;
        cart_id: string;
        kiosk_id: string | null;
        member_id: string | null;
        gross_fen: number;
        promo_discount_fen: number;
        coupon_discount_fen: number;
        total_fen: number;
        tax_fen: number;
        change_fen: number;
        points_earned: number;
        created_at: number;
      }
    | undefined;
  if (!s) throw notFound('sale', saleId);
  const lines = (
    db.prepare('SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no').all(saleId) as {
      line_no: number;
      name_zh: string;
      name_en: string;
      qty: number;
      weight_g: number | null;
      unit_price_fen: number;
      gross_fen: number;
      net_fen: number;
      tax_rate_bp: number;
      tax_fen: number;
      discounts: string;
      refunded_qty: number;
    }[]
  ).map((l) => {
    const d = JSON.parse(l.discounts) as {
      promotions: { name: { zh: string; en: string }; amountFen: number }[];
      coupons: { name: { zh: string; en: string }; amountFen: number }[];
    };
    return {
      lineNo: l.line_no,
      name: { zh: l.name_zh, en: l.name_en },
      qty: l.qty,
      weightG: l.weight_g,
      unitPriceFen: l.unit_price_fen,
      grossFen: l.gross_fen,
      discounts: [...d.promotions, ...d.coupons].map((x) => ({ label: x.name, amountFen: x.amountFen })),
      finalFen: l.net_fen,
      refundedQty: l.refunded_qty,
      taxRateBp: l.tax_rate_bp,
      taxFen: l.tax_fen,
    };
  });
  const byRate = new Map<number, number>();
  for (const l of lines) byRate.set(l.taxRateBp, (byRate.get(l.taxRateBp) ?? 0) + l.taxFen);
  const payments = (
    db
      .prepare(
        `SELECT kind, amount_fen, tendered_fen FROM payments WHERE cart_id = ? AND status = 'approved' ORDER BY created_at, id`,
      )
      .all(s.cart_id) as { kind: string; amount_fen: number; tendered_fen: number }[]
  ).map((p) => ({ kind: p.kind, amountFen: p.amount_fen, tenderedFen: p.tendered_fen }));
  const refunds = (
    db
      .prepare('SELECT id, amount_fen, created_at FROM refunds WHERE sale_id = ? ORDER BY created_at')
      .all(saleId) as {
      id: string;
      amount_fen: number;
      created_at: number;
    }[]
  ).map((r) => ({ refundId: r.id, amountFen: r.amount_fen, at: r.created_at }));
  const balance = s.member_id
    ? (db.prepare('SELECT points FROM members WHERE id = ?').pluck().get(s.member_id) as number)
    : 0;
  return {
    storeId: store.id,
    storeName: store.name,
    saleId: s.id,
    receiptNo: s.receipt_no,
    at: s.created_at,
    kioskId: s.kiosk_id,
    lines: lines.map(({ taxRateBp: _r, taxFen: _t, ...l }) => l),
    grossFen: s.gross_fen,
    promoDiscountFen: s.promo_discount_fen,
    couponDiscountFen: s.coupon_discount_fen,
    totalFen: s.total_fen,
    taxFen: s.tax_fen,
    taxByRate: [...byRate].sort((a, b) => a[0] - b[0]).map(([rateBp, taxFen]) => ({ rateBp, taxFen })),
    payments,
    changeFen: s.change_fen,
    member: s.member_id ? { id: s.member_id, pointsEarned: s.points_earned, balance } : null,
    refunds,
  };
}

/** Display width on a receipt printer: full-width (CJK) characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s)
    w +=
      /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u.test(
        ch,
      )
        ? 2
        : 1;
  return w;
}

function clip(s: string, width: number): string {
  let out = '';
  for (const ch of s) {
    if (displayWidth(out + ch) > width) break;
    out += ch;
  }
  return out;
}

function row(left: string, right: string, width: number): string {
  const l = clip(left, Math.max(0, width - displayWidth(right) - 1));
  return `${l}${' '.repeat(Math.max(1, width - displayWidth(l) - displayWidth(right)))}${right}`;
}

const KIND: Record<string, string> = {
  cash: '现金 Cash',
  points: '积分 Points',
  card: '银行卡 Card',
  payment_code: '付款码 Pay code',
  wallet: '手机支付 Phone pay',
};

/** The receipt as lines of text for a printer of `width` columns (42 for 80 mm paper). */
export function receiptText(r: Receipt, width = 42): string[] {
  const rule = '-'.repeat(width);
  const out: string[] = [
    r.storeName,
    `${r.receiptNo}  ${new Date(r.at).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    rule,
  ];
  for (const l of r.lines) {
    out.push(clip(l.name.zh, width));
    const what =
      l.weightG !== null
        ? `${(l.weightG / 1000).toFixed(3)}kg × ${formatFen(l.unitPriceFen)}/kg`
        : `${l.qty} × ${formatFen(l.unitPriceFen)}`;
    out.push(row(`  ${what}`, formatFen(l.grossFen), width));
    for (const d of l.discounts) out.push(row(`  ${d.label.zh}`, formatFen(-d.amountFen), width));
  }
  out.push(rule, row('合计 Subtotal', formatFen(r.grossFen), width));
  if (r.promoDiscountFen) out.push(row('促销 Promotions', formatFen(-r.promoDiscountFen), width));
  if (r.couponDiscountFen) out.push(row('优惠券 Coupons', formatFen(-r.couponDiscountFen), width));
  out.push(row('应付 Total', formatFen(r.totalFen), width));
  for (const p of r.payments) out.push(row(KIND[p.kind] ?? p.kind, formatFen(p.tenderedFen), width));
  if (r.changeFen) out.push(row('找零 Change', formatFen(r.changeFen), width));
  for (const t of r.taxByRate) out.push(row(`含税 VAT ${t.rateBp / 100}%`, formatFen(t.taxFen), width));
  if (r.member)
    out.push(row(`会员 ${r.member.id} +${r.member.pointsEarned}`, `积分 ${r.member.balance}`, width));
  return out;
}
