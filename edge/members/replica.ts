// A member as HQ, the chain's ledger of record, last said, at the stores that follow the
// member (sync/member-follow.ts; a member shown elsewhere is looked up there), with HQ's
// points balance over the events HQ holds without a gap (`through`: how far, per store).
// This store's balance is HQ's figure plus its own movements after `through[this store]`,
// so nothing is counted twice or lost while HQ catches up. Updates arrive in any order;
// the highest version wins.

import { DomainError } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';
import { unsyncedPoints } from './members.js';

export interface MemberReplica {
  memberId: string;
  balance: number;
  through: Record<string, number>;
  enrolledStore: string | null;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The replica in an HQ message, checked; a bad one changes nothing. */
export function readReplica(body: unknown): MemberReplica {
  const b = body as Partial<MemberReplica> | null;
  const bad = (why: string) => new DomainError('invalid', 'REPLICA_INVALID', why);
  if (!b || typeof b !== 'object') throw bad('member replica must be an object');
  if (typeof b.memberId !== 'string' || !ID.test(b.memberId)) throw bad('/memberId: not a member id');
  if (!Number.isSafeInteger(b.balance)) throw bad('/balance: must be an integer');
  if (!b.through || typeof b.through !== 'object' || Array.isArray(b.through))
    throw bad('/through: must be an object');
  for (const [k, v] of Object.entries(b.through))
    if (!ID.test(k) || !Number.isSafeInteger(v) || (v as number) < 0)
      throw bad(`/through/${k}: must be a sequence`);
  return {
    memberId: b.memberId,
    balance: b.balance as number,
    through: b.through,
    enrolledStore: typeof b.enrolledStore === 'string' ? b.enrolledStore : null,
  };
}

/** Applies HQ's figure for a member unless a newer one is here; returns whether it was applied. */
export function applyReplica(
  db: Db,
  r: MemberReplica,
  version: number,
  storeId: string,
  now: number,
): boolean {
  return db
    .transaction(() => {
      db.prepare(
        'INSERT OR IGNORE INTO members (id, name, points, created_at, updated_at) VALUES (?, NULL, 0, ?, ?)',
      ).run(r.memberId, now, now);
      const cur = db.prepare('SELECT hq_version FROM members WHERE id = ?').pluck().get(r.memberId) as
        | number
        | null;
      if (cur !== null && cur > version) return false;
      db.prepare(
        `UPDATE members SET hq_points = ?, hq_version = ?, hq_through = ?, updated_at = ?,
                enrolled_here = enrolled_here OR ? WHERE id = ?`,
      ).run(
        r.balance,
        version,
        r.through[storeId] ?? 0,
        now,
        r.enrolledStore === storeId ? 1 : 0,
        r.memberId,
      );
      const balance = r.balance + unsyncedPoints(db, r.memberId);
      db.prepare('UPDATE members SET points = ? WHERE id = ?').run(Math.max(0, balance), r.memberId);
      return true;
    })
    .immediate();
}
