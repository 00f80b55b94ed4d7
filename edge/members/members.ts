// Members: identified by a signed member code (QR in the shopper's app or on a card),
// with a points balance that sales earn and spend. Every movement is a ledger row and
// an outbox event, written with the sale or refund that caused it.
import { randomUUID } from 'node:crypto';
import { DomainError, notFound } from '../../sync/kernel/errors.js';
import { signCode, verifyCode } from '../coupons/codes.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';

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
    db.prepare(
      'INSERT INTO members (id, name, points, created_at, updated_at, seen_at, enrolled_here) VALUES (?, ?, 0, ?, ?, ?, 1)',
    ).run(id, name, now, now, now);
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
    /** spent while HQ was out of reach (counts against the daily offline cap) */
    offline?: boolean;
  },
): void {
  if (m.delta === 0) return;
  const balance = balanceAfter(db, m.memberId, m.delta);
  if (balance === null) {
    throw new DomainError(
      'conflict',
      'POINTS_INSUFFICIENT',
      `member ${m.memberId} has too few points for ${m.delta}`,
    );
  }
  db.prepare('UPDATE members SET points = ?, updated_at = ? WHERE id = ?').run(
    Math.max(0, balance),
    m.now,
    m.memberId,
  );
  const row = db
    .prepare(
      'INSERT INTO points_ledger (member_id, delta, reason, sale_id, refund_id, created_at, offline) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    .run(m.memberId, m.delta, m.reason, m.saleId ?? null, m.refundId ?? null, m.now, m.offline ? 1 : 0);
  const { seq } = appendOutbox(
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
        balance: Math.max(0, balance),
      },
    },
    m.now,
  );
  // the movement's place in what HQ hears: HQ's figure holds it once HQ has this seq
  db.prepare('UPDATE points_ledger SET outbox_seq = ? WHERE id = ?').run(seq, row.lastInsertRowid);
}

/**
 * The member's balance after `delta`, or null when a spend would take it below zero.
 * With HQ's figure (a replica), the truth is HQ's balance plus this store's movements
 * HQ does not hold yet; without one, the store's own balance.
 */
function balanceAfter(db: Db, memberId: string, delta: number): number | null {
  const m = db.prepare('SELECT points, hq_points, hq_version FROM members WHERE id = ?').get(memberId) as
    | { points: number; hq_points: number | null; hq_version: number | null }
    | undefined;
  if (!m) throw notFound('member', memberId);
  const now = (m.hq_version === null ? m.points : (m.hq_points ?? 0) + unsyncedPoints(db, memberId)) + delta;
  return delta < 0 && now < 0 ? null : now;
}

/** This store's movements of the member's points that HQ's last figure does not hold. */
export function unsyncedPoints(db: Db, memberId: string): number {
  return db
    .prepare(
      `SELECT coalesce(sum(l.delta), 0) FROM points_ledger l JOIN members m ON m.id = l.member_id
        WHERE l.member_id = ? AND l.outbox_seq > m.hq_through`,
    )
    .pluck()
    .get(memberId) as number;
}

/** Points a payment earns: whole points per whole yuan paid (points paid with earn none). */
export function pointsEarned(paidFen: number, pointsPerYuan: number): number {
  return Math.floor(paidFen / 100) * pointsPerYuan;
}
