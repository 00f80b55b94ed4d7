// After a daemon killed mid-payment is restarted: the cart's one payment approved, the
// provider charged exactly that once, one sale, and the restart said it asked the provider.
import { expect } from 'vitest';
import { openDb } from '../../edge/db/open.js';
import type { RunningDaemon } from './daemon.js';

export function expectOneSaleOneCharge(
  restarted: RunningDaemon,
  dbPath: string,
  cartId: string,
  charges: Map<string, number>,
): void {
  const db = openDb(dbPath);
  try {
    const payments = db
      .prepare('SELECT reference, status, amount_fen FROM payments WHERE cart_id = ?')
      .all(cartId) as { reference: string; status: string; amount_fen: number }[];
    expect(payments.map((p) => p.status)).toEqual(['approved']);
    expect(charges).toEqual(new Map([[payments[0]!.reference, payments[0]!.amount_fen]]));
    expect(db.prepare('SELECT count(*) FROM sales WHERE cart_id = ?').pluck().get(cartId)).toBe(1);
  } finally {
    db.close();
  }
  expect(
    restarted
      .logLines()
      .some((l) => l.msg === 'payments left unsettled by the last run: asking their providers'),
  ).toBe(true);
}
