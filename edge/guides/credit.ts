// A guide's part in a sale (通绩效): a cart is credited to a guide when the guide's code
// is scanned into it (at a kiosk's scanner, or by the shopper's phone), or when the
// shopper adds a product the guide recommended on a call. A scanned code says it
// outright and replaces an earlier credit; a recommendation credits a cart no one has
// yet. The credit goes with the cart (a phone cart paid at a kiosk keeps it) and, when
// the cart is paid, the sale is written to the guide with its value, and told to HQ.
// The figures per guide per day: calls answered, time to accept and to done, assisted
// sales and their value, less the refunds of those sales.

import { DomainError } from '../../sync/kernel/errors.js';
import { startOfLocalDay } from '../../sync/kernel/local-day.js';
import type { Db } from '../db/open.js';

/** A guide's code, as their page shows it: a QR any scanner at the store reads. */
export const GUIDE_CODE = /^storeedge:guide:([A-Za-z0-9_.-]{1,64})$/;
export const guideCode = (staffId: string) => `storeedge:guide:${staffId}`;

/** A recommendation credits a cart for this long after its call was taken. */
const RECOMMENDATION_MS = 4 * 3_600_000;

function openCart(db: Db, cartId: string): { guide_id: string | null } {
  const c = db.prepare('SELECT status, guide_id FROM carts WHERE id = ?').get(cartId) as
    | { status: string; guide_id: string | null }
    | undefined;
  if (!c) throw new DomainError('not_found', 'CART_NOT_FOUND', `cart ${cartId} not found`);
  if (c.status !== 'open' && c.status !== 'suspended')
    throw new DomainError('conflict', 'CART_STATE', `cart is ${c.status}: a guide is credited before paying`);
  return c;
}

/** The guide's code scanned into the cart: the cart is theirs (`isGuide` says who is one). */
export function creditByCode(
  db: Db,
  cartId: string,
  code: string,
  isGuide: (staffId: string) => boolean,
): string {
  const m = GUIDE_CODE.exec(code);
  if (!m || !isGuide(m[1]!))
    throw new DomainError('invalid', 'NOT_A_GUIDE_CODE', 'that is not a code of a guide here');
  return db
    .transaction(() => {
      openCart(db, cartId);
      db.prepare(
        `UPDATE carts SET guide_id = ?, guide_source = 'code', guide_call_id = NULL WHERE id = ?`,
      ).run(m[1]!, cartId);
      return m[1]!;
    })
    .immediate();
}

/**
 * A product the shopper added from a guide's recommendation: the cart is credited to that
 * guide if no guide has it yet. Null when the recommendation does not hold (not this
 * product, too old): the item is in the cart all the same.
 */
export function creditByRecommendation(
  db: Db,
  cartId: string,
  recommendationId: string,
  gtin: string,
  now: number,
): string | null {
  return db
    .transaction(() => {
      const cart = openCart(db, cartId);
      const r = db
        .prepare(
          `SELECT r.staff_id, r.call_id, c.accepted_at FROM guide_recommendations r JOIN guide_calls c ON c.id = r.call_id
            WHERE r.id = ? AND r.kind = 'product' AND r.gtin = ?`,
        )
        .get(recommendationId, gtin) as
        | { staff_id: string; call_id: string; accepted_at: number | null }
        | undefined;
      if (!r || r.accepted_at === null || now - r.accepted_at > RECOMMENDATION_MS) return null;
      if (cart.guide_id) return cart.guide_id;
      db.prepare(
        `UPDATE carts SET guide_id = ?, guide_source = 'recommendation', guide_call_id = ? WHERE id = ?`,
      ).run(r.staff_id, r.call_id, cartId);
      return r.staff_id;
    })
    .immediate();
}

export interface GuideDay {
  staffId: string;
  /** the store's local day, as its start in epoch ms */
  day: number;
  callsAnswered: number;
  avgSecondsToAccept: number | null;
  avgSecondsToDone: number | null;
  assistedSales: number;
  /** the assisted sales' value, as paid */
  assistedFen: number;
  /** refunds made that day of sales the guide assisted (whenever the sale was) */
  refundedFen: number;
  /** assistedFen − refundedFen: what the guide's help is worth once refunds are taken off */
  netAssistedFen: number;
}

/** Each guide's figures per local day from `from` to `to` (epoch ms). */
export function guideFigures(db: Db, from: number, to: number, timeZone: string): GuideDay[] {
  const days = new Map<string, GuideDay & { accept: number[]; done: number[] }>();
  const at = (staffId: string, t: number) => {
    const day = startOfLocalDay(t, timeZone);
    const k = `${staffId}\u0000${day}`;
    let g = days.get(k);
    if (!g) {
      g = {
        staffId,
        day,
        callsAnswered: 0,
        avgSecondsToAccept: null,
        avgSecondsToDone: null,
        assistedSales: 0,
        assistedFen: 0,
        refundedFen: 0,
        netAssistedFen: 0,
        accept: [],
        done: [],
      };
      days.set(k, g);
    }
    return g;
  };
  const calls = db
    .prepare(
      `SELECT accepted_by, created_at, accepted_at, ended_at, status FROM guide_calls
        WHERE accepted_by IS NOT NULL AND accepted_at >= ? AND accepted_at < ?`,
    )
    .all(from, to) as {
    accepted_by: string;
    created_at: number;
    accepted_at: number;
    ended_at: number | null;
    status: string;
  }[];
  for (const c of calls) {
    const g = at(c.accepted_by, c.accepted_at);
    g.callsAnswered++;
    g.accept.push((c.accepted_at - c.created_at) / 1000);
    if (c.status === 'done' && c.ended_at !== null) g.done.push((c.ended_at - c.accepted_at) / 1000);
  }
  const sales = db
    .prepare(
      'SELECT staff_id, total_fen, created_at FROM sale_guides WHERE created_at >= ? AND created_at < ?',
    )
    .all(from, to) as { staff_id: string; total_fen: number; created_at: number }[];
  for (const s of sales) {
    const g = at(s.staff_id, s.created_at);
    g.assistedSales++;
    g.assistedFen += s.total_fen;
  }
  // a refund is the guide's on the day it is made, as a store's refunds are its day's
  const refunds = db
    .prepare(
      `SELECT g.staff_id, r.amount_fen, r.created_at FROM refunds r JOIN sale_guides g ON g.sale_id = r.sale_id
        WHERE r.created_at >= ? AND r.created_at < ?`,
    )
    .all(from, to) as { staff_id: string; amount_fen: number; created_at: number }[];
  for (const r of refunds) at(r.staff_id, r.created_at).refundedFen += r.amount_fen;
  const mean = (xs: number[]) =>
    xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : null;
  return [...days.values()]
    .map(({ accept, done, ...g }) => ({
      ...g,
      netAssistedFen: g.assistedFen - g.refundedFen,
      avgSecondsToAccept: mean(accept),
      avgSecondsToDone: mean(done),
    }))
    .sort((a, b) => a.day - b.day || a.staffId.localeCompare(b.staffId));
}
