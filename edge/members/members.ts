// Members: identified by a signed member code (QR in the shopper's app or on a card),
// with a points balance that sales earn and spend. Every movement is a ledger row and
// an outbox event, written with the sale or refund that caused it.
import { randomUUID } from 'node:crypto';
import { signCode, verifyCode } from '../coupons/codes.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';
import { DomainError, notFound } from '../errors.js';

export interface Member {
  id: string;
  name: string | null;
  points: number;
}

export function getMember(db: Db, id: string): Member {
  const m = db.prepare('SELECT id, name, points FROM members WHERE id = ?').get(id) as Member | undefined;
  if (!m) throw notFound('member', id);
  return m;
}

/** Enrols a member at the service desk and returns the code for their card/app. */
export function enrollMember(db: Db, name: string | null, now: number): { member: Member; code: string } {
  return db.transaction(() => {
    const id = `M${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`;
    db.prepare('INSERT INTO members (id, name, points, created_at, updated_at) VALUES (?, ?, 0, ?, ?)').run(
      id,
      name,
      now,
      now,
    );
    // the name stays in the store: HQ counts new members, it does not need who they are
    appendOutbox(db, { type: 'member.enrolled', class: 'money', payload: { memberId: id } }, now);
    return { member: getMember(db, id), code: signCode(db, 'member', { id }, now) };
  })();
}

/** The member a scanned member code names; a member enrolled elsewhere (HQ-signed code)
 * is added locally on first sight. */
export function identifyMember(db: Db, code: string, now: number): Member {
  const payload = verifyCode(db, code, 'member');
  if (typeof payload.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(payload.id)) {
    throw new DomainError('invalid', 'CODE_INVALID', 'member code carries no member id');
  }
  db.prepare(
    'INSERT OR IGNORE INTO members (id, name, points, created_at, updated_at) VALUES (?, NULL, 0, ?, ?)',
  ).run(payload.id, now, now);
  return getMember(db, payload.id);
}

export type PointsReason = 'earn' | 'spend' | 'refund_earn' | 'refund_spend' | 'adjust';

/** Moves points; must run inside the transaction of the sale or refund that causes it. */
export function movePoints(
  db: Db,
  m: {
    memberId: string;
    delta: number;
    reason: PointsReason;
    saleId?: string;
    refundId?: string;
    now: number;
  },
): void {
  if (m.delta === 0) return;
  const r = db
    .prepare('UPDATE members SET points = points + ?, updated_at = ? WHERE id = ? AND points + ? >= 0')
    .run(m.delta, m.now, m.memberId, m.delta);
  if (r.changes !== 1) {
    throw new DomainError(
      'conflict',
      'POINTS_INSUFFICIENT',
      `member ${m.memberId} has too few points for ${m.delta}`,
    );
  }
  db.prepare(
    'INSERT INTO points_ledger (member_id, delta, reason, sale_id, refund_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(m.memberId, m.delta, m.reason, m.saleId ?? null, m.refundId ?? null, m.now);
  const balance = db.prepare('SELECT points FROM members WHERE id = ?').pluck().get(m.memberId) as number;
  appendOutbox(
    db,
    {
      type: 'points.moved',
      class: 'money',
      payload: {
        memberId: m.memberId,
        delta: m.delta,
        reason: m.reason,
        saleId: m.saleId ?? null,
        refundId: m.refundId ?? null,
        balance,
      },
    },
    m.now,
  );
}

/** Points a payment earns: whole points per whole yuan paid (points paid with earn none). */
export function pointsEarned(paidFen: number, pointsPerYuan: number): number {
  return Math.floor(paidFen / 100) * pointsPerYuan;
}
