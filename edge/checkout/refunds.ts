// Refunds against an original sale, whole or per line, by a supervisor. The shopper
// gets back what they paid for those units (after promotions and coupons), split over
// the original tenders; earned points are taken back in proportion, spent points are
// returned, and a full refund frees the coupons it redeemed. One transaction, with
// its outbox events.
import { randomUUID } from 'node:crypto';
import { DomainError, notFound } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';
import { movePoints } from '../members/members.js';
import { allocate, roundHalfUp } from '../money.js';
import { recordAction } from './carts.js';
import { requireRole, type Staff } from './staff.js';

export interface RefundRequestLine {
  lineNo: number;
  qty: number;
}

export interface RefundResult {
  refundId: string;
  saleId: string;
  amountFen: number;
  lines: { lineNo: number; qty: number; amountFen: number }[];
  tenders: { kind: string; amountFen: number; reference: string }[];
  pointsReversed: number;
  pointsReturned: number;
  couponsReversed: string[];
}

interface SaleLineRow {
  line_no: number;
  qty: number;
  weight_g: number | null;
  net_fen: number;
  refunded_qty: number;
  refunded_fen: number;
}

export function refundSale(
  db: Db,
  saleId: string,
  req: {
    lines?: RefundRequestLine[] | undefined;
    staff: Staff;
    reason: string;
    now: number;
    fenPerPoint: number;
  },
): RefundResult {
  requireRole(req.staff, 'refund');
  return db
    .transaction((): RefundResult => {
      const sale = db
        .prepare('SELECT id, cart_id, member_id, total_fen, points_earned FROM sales WHERE id = ?')
        .get(saleId) as
        | { id: string; cart_id: string; member_id: string | null; total_fen: number; points_earned: number }
        | undefined;
      if (!sale) throw notFound('sale', saleId);
      const rows = db
        .prepare('SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no')
        .all(saleId) as SaleLineRow[];
      const wanted = req.lines ?? rows.map((r) => ({ lineNo: r.line_no, qty: r.qty - r.refunded_qty }));
      const seen = new Set<number>();
      const lines: RefundResult['lines'] = [];
      for (const w of wanted) {
        const row = rows.find((r) => r.line_no === w.lineNo);
        if (!row) throw new DomainError('invalid', 'LINE_NOT_FOUND', `sale has no line ${w.lineNo}`);
        if (seen.has(w.lineNo))
          throw new DomainError('invalid', 'LINE_TWICE', `line ${w.lineNo} named twice`);
        seen.add(w.lineNo);
        const left = row.qty - row.refunded_qty;
        if (w.qty === 0 && req.lines === undefined) continue;
        if (!Number.isInteger(w.qty) || w.qty < 1 || w.qty > left) {
          throw new DomainError(
            'invalid',
            'QTY_INVALID',
            `line ${w.lineNo}: can refund 1 to ${left}, asked ${w.qty}`,
          );
        }
        // the last units get exactly what is left, so rounding never over- or under-refunds
        const amount =
          w.qty === left ? row.net_fen - row.refunded_fen : roundHalfUp(row.net_fen * w.qty, row.qty);
        lines.push({ lineNo: w.lineNo, qty: w.qty, amountFen: amount });
      }
      if (lines.length === 0)
        throw new DomainError('conflict', 'NOTHING_TO_REFUND', 'the sale is already fully refunded');
      const amountFen = lines.reduce((a, l) => a + l.amountFen, 0);

      // back to the tenders it was paid with, in proportion (cash change excluded)
      const pays = db
        .prepare(
          `SELECT id, kind, amount_fen, reference, provider FROM payments WHERE cart_id = ? AND status = 'approved' ORDER BY created_at, id`,
        )
        .all(sale.cart_id) as {
        id: string;
        kind: string;
        amount_fen: number;
        reference: string;
        provider: string | null;
      }[];
      const shares = allocate(
        amountFen,
        pays.map((p) => p.amount_fen),
      );
      // no tender gives back more than it took over all the sale's refunds: a share that
      // rounding pushed past what is left of its tender moves to a tender with room (a
      // wallet gateway refuses a refund beyond its order)
      const given = new Map<string, number>();
      for (const json of db
        .prepare('SELECT tenders FROM refunds WHERE sale_id = ?')
        .pluck()
        .all(saleId) as string[])
        for (const t of JSON.parse(json) as { reference: string; amountFen: number }[])
          given.set(t.reference, (given.get(t.reference) ?? 0) + t.amountFen);
      const room = pays.map((p) => p.amount_fen - (given.get(p.reference) ?? 0));
      let excess = 0;
      shares.forEach((v, i) => {
        const over = v - Math.max(0, room[i]!);
        if (over > 0) {
          shares[i] = v - over;
          excess += over;
        }
      });
      for (let i = 0; i < shares.length && excess > 0; i++) {
        const take = Math.min(excess, room[i]! - shares[i]!);
        if (take > 0) {
          shares[i] = shares[i]! + take;
          excess -= take;
        }
      }
      const tenders = pays
        .map((p, i) => ({ kind: p.kind, amountFen: shares[i]!, reference: p.reference }))
        .filter((t) => t.amountFen > 0);

      const refundId = randomUUID();
      const refundedBefore = db
        .prepare('SELECT coalesce(sum(amount_fen), 0) FROM refunds WHERE sale_id = ?')
        .pluck()
        .get(saleId) as number;
      let pointsReversed = 0;
      let pointsReturned = 0;
      if (sale.member_id) {
        // earned points come back in proportion to the money refunded (never more than earned)
        const alreadyReversed = db
          .prepare(
            "SELECT coalesce(-sum(delta), 0) FROM points_ledger WHERE sale_id = ? AND reason = 'refund_earn'",
          )
          .pluck()
          .get(saleId) as number;
        const target =
          sale.total_fen > 0
            ? roundHalfUp(sale.points_earned * (refundedBefore + amountFen), sale.total_fen)
            : 0;
        const owed = Math.min(sale.points_earned, target) - alreadyReversed;
        const balance = db
          .prepare('SELECT points FROM members WHERE id = ?')
          .pluck()
          .get(sale.member_id) as number;
        // points already spent elsewhere cannot go negative: take back what is there
        pointsReversed = Math.max(0, Math.min(owed, balance));
        if (pointsReversed > 0) {
          movePoints(db, {
            memberId: sale.member_id,
            delta: -pointsReversed,
            reason: 'refund_earn',
            saleId,
            refundId,
            now: req.now,
          });
        }
        pointsReturned = tenders
          .filter((t) => t.kind === 'points')
          .reduce((a, t) => a + Math.floor(t.amountFen / req.fenPerPoint), 0);
        if (pointsReturned > 0) {
          movePoints(db, {
            memberId: sale.member_id,
            delta: pointsReturned,
            reason: 'refund_spend',
            saleId,
            refundId,
            now: req.now,
          });
        }
      }

      db.prepare(
        'INSERT INTO refunds (id, sale_id, amount_fen, points_reversed, staff_id, reason, tenders, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        refundId,
        saleId,
        amountFen,
        pointsReversed,
        req.staff.id,
        req.reason.trim(),
        JSON.stringify(tenders),
        req.now,
      );
      // a wallet share goes back through the gateway: queued here, in the refund's
      // transaction, and driven to a final state by the provider refunds worker
      const queue = db.prepare(
        `INSERT INTO provider_refunds (refund_no, refund_id, payment_id, provider, amount_fen, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
      );
      let n = 0;
      pays.forEach((p, i) => {
        if (p.kind === 'wallet' && p.provider && shares[i]! > 0)
          queue.run(`RF-${refundId}-${++n}`, refundId, p.id, p.provider, shares[i], req.now, req.now);
      });
      const insLine = db.prepare(
        'INSERT INTO refund_lines (refund_id, sale_id, line_no, qty, amount_fen) VALUES (?, ?, ?, ?, ?)',
      );
      const upLine = db.prepare(
        'UPDATE sale_lines SET refunded_qty = refunded_qty + ?, refunded_fen = refunded_fen + ? WHERE sale_id = ? AND line_no = ?',
      );
      for (const l of lines) {
        insLine.run(refundId, saleId, l.lineNo, l.qty, l.amountFen);
        upLine.run(l.qty, l.amountFen, saleId, l.lineNo);
      }

      // a sale refunded in full gives its coupons back
      const left = db
        .prepare('SELECT coalesce(sum(qty - refunded_qty), 0) FROM sale_lines WHERE sale_id = ?')
        .pluck()
        .get(saleId) as number;
      const couponsReversed: string[] = [];
      if (left === 0) {
        const redeemed = db
          .prepare(
            'SELECT coupon_id, amount_fen FROM coupon_redemptions WHERE sale_id = ? AND reversed_at IS NULL',
          )
          .all(saleId) as { coupon_id: string; amount_fen: number }[];
        db.prepare(
          'UPDATE coupon_redemptions SET reversed_at = ?, reversed_by_refund = ? WHERE sale_id = ? AND reversed_at IS NULL',
        ).run(req.now, refundId, saleId);
        for (const r of redeemed) {
          couponsReversed.push(r.coupon_id);
          appendOutbox(
            db,
            {
              type: 'coupon.redemption_reversed',
              class: 'money',
              payload: { couponId: r.coupon_id, saleId, refundId, amountFen: r.amount_fen },
            },
            req.now,
          );
        }
      }
      recordAction(db, {
        saleId,
        staff: req.staff,
        action: 'refund',
        reason: req.reason,
        detail: { refundId, amountFen },
        now: req.now,
      });
      appendOutbox(
        db,
        {
          type: 'refund.completed',
          class: 'money',
          payload: {
            refundId,
            saleId,
            amountFen,
            lines,
            tenders,
            pointsReversed,
            pointsReturned,
            couponsReversed,
            staffId: req.staff.id,
            at: req.now,
          },
        },
        req.now,
      );
      return { refundId, saleId, amountFen, lines, tenders, pointsReversed, pointsReturned, couponsReversed };
    })
    .immediate();
}
