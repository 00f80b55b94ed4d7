// The guide credited with a cart (edge/guides/credit.ts decides who) is written with the
// sale when it is paid, in the sale's transaction, and told to HQ.
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';

/** In the paying transaction: a credited cart's sale goes to its guide, and to HQ. */
export function creditSale(db: Db, cartId: string, saleId: string, totalFen: number, now: number): void {
  const c = db
    .prepare('SELECT guide_id, guide_source, guide_call_id FROM carts WHERE id = ?')
    .get(cartId) as {
    guide_id: string | null;
    guide_source: 'code' | 'recommendation' | null;
    guide_call_id: string | null;
  };
  if (!c.guide_id || !c.guide_source) return;
  db.prepare(
    'INSERT INTO sale_guides (sale_id, staff_id, source, call_id, total_fen, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(saleId, c.guide_id, c.guide_source, c.guide_call_id, totalFen, now);
  appendOutbox(
    db,
    {
      type: 'guide.assist',
      class: 'money',
      payload: {
        saleId,
        staffId: c.guide_id,
        source: c.guide_source,
        callId: c.guide_call_id,
        totalFen,
        at: now,
      },
    },
    now,
  );
}
