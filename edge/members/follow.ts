// Which members this store holds HQ's figure for (sync/member-follow.ts): those enrolled
// here, whose points moved here, or shown here lately. A member shown here without HQ's
// figure is looked up at HQ while the link is up, waiting at most the store's request
// timeout; a held figure is renewed now and then without waiting. Offline, a member
// shown here is served from what the store holds, exactly as before.
import { MEMBER_FOLLOW_DAYS, MEMBER_REFRESH_MS, MEMBER_RETRY_MS } from '../../sync/member-follow.js';
import type { Db } from '../db/open.js';

/** Asks HQ for a member's figure and applies it; resolves when answered, timed out or
 * at once when HQ is out of reach. Never throws. */
export interface MemberGate {
  follow(memberId: string): Promise<void>;
}

type Need = 'wait' | 'renew' | null;

function need(db: Db, memberId: string, now: number): Need {
  const m = db
    .prepare('SELECT hq_version, hq_asked_at, hq_followed_at FROM members WHERE id = ?')
    .get(memberId) as
    | { hq_version: number | null; hq_asked_at: number | null; hq_followed_at: number | null }
    | undefined;
  if (!m) return null;
  const askedLately = m.hq_asked_at !== null && now - m.hq_asked_at < MEMBER_RETRY_MS;
  if (m.hq_version === null && m.hq_followed_at === null) return askedLately ? null : 'wait';
  if (m.hq_followed_at === null || now - m.hq_followed_at > MEMBER_REFRESH_MS)
    return askedLately ? null : 'renew';
  return null;
}

/** The member was shown here: noted, and looked up or renewed at HQ as needed. */
export async function seeMember(
  db: Db,
  gate: MemberGate | undefined,
  memberId: string,
  now: number,
): Promise<void> {
  db.prepare('UPDATE members SET seen_at = ? WHERE id = ?').run(now, memberId);
  const n = gate ? need(db, memberId, now) : null;
  if (!gate || !n) return;
  if (n === 'wait') await gate.follow(memberId);
  else void gate.follow(memberId);
}

export function markAsked(db: Db, memberId: string, now: number): void {
  db.prepare('UPDATE members SET hq_asked_at = ? WHERE id = ?').run(now, memberId);
}

/** HQ answered a lookup: it now sends this store the member's changes. */
export function markFollowed(db: Db, memberId: string, now: number): void {
  db.prepare('UPDATE members SET hq_followed_at = ? WHERE id = ?').run(now, memberId);
}

const DAY = 86_400_000;

/** Replicas nobody here used for MEMBER_FOLLOW_DAYS, not enrolled here, and that nothing
 * here refers to (no points moved here, no cart, sale, coupon or guide call): HQ has
 * stopped sending their changes, so a stale figure is not kept. At most `limit` rows. */
export function forgetReplicas(db: Db, now: number, limit: number): number {
  const cutoff = now - MEMBER_FOLLOW_DAYS * DAY;
  return db
    .prepare(
      `DELETE FROM members WHERE id IN (
         SELECT m.id FROM members m
          WHERE m.enrolled_here = 0 AND m.hq_version IS NOT NULL AND m.name IS NULL
            AND coalesce(m.seen_at, 0) < ? AND m.updated_at < ?
            AND NOT EXISTS (SELECT 1 FROM points_ledger l WHERE l.member_id = m.id)
            AND NOT EXISTS (SELECT 1 FROM carts c WHERE c.member_id = m.id)
            AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.member_id = m.id)
            AND NOT EXISTS (SELECT 1 FROM coupons k WHERE k.member_id = m.id)
            AND NOT EXISTS (SELECT 1 FROM guide_calls g WHERE g.member_id = m.id)
          LIMIT ?)`,
    )
    .run(cutoff, cutoff, limit).changes;
}
