// What must hold in a store database after any crash: every business event whole or
// absent, money adding up, points matching their ledger, one outbox event per event.
// Housekeeping deletes acknowledged outbox rows past their retention and records what it
// deleted; an event may be missing only where that record says it may be.
import type { Db } from '../../edge/db/open.js';
import { outboxPruned } from '../../edge/db/outbox.js';

export function checkInvariants(db: Db): string[] {
  const problems: string[] = [];
  const pruned = outboxPruned(db);
  // business records from this time on must still have their (money) events
  const since = pruned.before.money ?? 0;
  const q = (sql: string) => db.prepare(sql).all() as Record<string, unknown>[];
  const expectNone = (what: string, sql: string) => {
    const rows = q(sql);
    if (rows.length) problems.push(`${what}: ${JSON.stringify(rows.slice(0, 3))}`);
  };
  const integrity = db.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
  const fk = db.pragma('foreign_key_check') as unknown[];
  if (fk.length) problems.push(`foreign keys: ${JSON.stringify(fk.slice(0, 3))}`);

  expectNone(
    'sale without lines',
    'SELECT id FROM sales s WHERE NOT EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.id)',
  );
  expectNone(
    'sale whose lines do not add up',
    'SELECT s.id FROM sales s WHERE total_fen <> (SELECT sum(net_fen) FROM sale_lines l WHERE l.sale_id = s.id)',
  );
  expectNone(
    'sale not covered by approved tenders',
    `SELECT s.id FROM sales s WHERE total_fen > (SELECT coalesce(sum(amount_fen), 0) FROM payments p WHERE p.cart_id = s.cart_id AND p.status = 'approved')`,
  );
  expectNone(
    'paid cart without its sale',
    "SELECT id FROM carts c WHERE status = 'paid' AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.cart_id = c.id)",
  );
  expectNone(
    'sale whose cart is not paid',
    "SELECT s.id FROM sales s JOIN carts c ON c.id = s.cart_id WHERE c.status <> 'paid'",
  );
  expectNone(
    'sale without exactly one sale.completed event',
    `SELECT s.id FROM sales s WHERE (SELECT count(*) FROM outbox o WHERE o.type = 'sale.completed' AND json_extract(o.payload, '$.saleId') = s.id)
       NOT IN (CASE WHEN s.created_at >= ${since} THEN 1 ELSE 0 END, 1)`,
  );
  expectNone(
    'sale.completed event without its sale',
    "SELECT seq FROM outbox o WHERE type = 'sale.completed' AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.id = json_extract(o.payload, '$.saleId'))",
  );
  expectNone(
    'redemption without its event',
    `SELECT r.id FROM coupon_redemptions r WHERE r.redeemed_at >= ${since} AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.type = 'coupon.redeemed' AND json_extract(o.payload, '$.couponId') = r.coupon_id AND json_extract(o.payload, '$.saleId') = r.sale_id)`,
  );
  expectNone(
    'coupon redeemed twice',
    'SELECT coupon_id FROM coupon_redemptions WHERE reversed_at IS NULL GROUP BY coupon_id HAVING count(*) > 1',
  );
  expectNone(
    'points balance differs from its ledger',
    // with HQ's figure (a chain member) the balance is HQ's plus the movements HQ does not hold yet
    `SELECT m.id FROM members m WHERE m.points <> CASE WHEN m.hq_version IS NULL
       THEN (SELECT coalesce(sum(delta), 0) FROM points_ledger l WHERE l.member_id = m.id)
       ELSE max(0, m.hq_points + (SELECT coalesce(sum(delta), 0) FROM points_ledger l
                                   WHERE l.member_id = m.id AND l.outbox_seq > m.hq_through)) END`,
  );
  expectNone(
    'points movement without its event',
    `SELECT (SELECT count(*) FROM points_ledger WHERE created_at >= ${since}) - (SELECT count(*) FROM outbox WHERE type = 'points.moved' AND created_at >= ${since}) AS diff WHERE diff <> 0`,
  );
  expectNone(
    'refund over what was paid',
    'SELECT sale_id, line_no FROM sale_lines WHERE refunded_fen > net_fen OR refunded_qty > qty',
  );
  expectNone(
    'refund without its lines or event',
    `SELECT r.id FROM refunds r WHERE NOT EXISTS (SELECT 1 FROM refund_lines l WHERE l.refund_id = r.id) OR (SELECT count(*) FROM outbox o WHERE o.type = 'refund.completed' AND json_extract(o.payload, '$.refundId') = r.id)
       NOT IN (CASE WHEN r.created_at >= ${since} THEN 1 ELSE 0 END, 1)`,
  );
  const seqs = db.prepare('SELECT min(seq) AS lo, max(seq) AS hi, count(*) AS n FROM outbox').get() as {
    lo: number | null;
    hi: number | null;
    n: number;
  };
  // every sequence number ever issued (AUTOINCREMENT keeps the highest) is a row or a row
  // housekeeping pruned
  const issued =
    (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").pluck().get() as
      | number
      | undefined) ?? 0;
  const hi = Math.max(seqs.hi ?? 0, pruned.maxSeq, issued);
  if (seqs.n + pruned.count !== hi || (seqs.lo ?? 1) < 1)
    problems.push(`outbox sequence has gaps: ${JSON.stringify({ ...seqs, issued, pruned: pruned.count })}`);
  return problems;
}
