// The stores that follow each member (sync/member-follow.ts): written in the ingest
// transaction for the stores that enrolled a member or moved their points, and by a
// store's lookup; read when a member's figure changed, to send it to those stores only.
import type pg from 'pg';
import { MEMBER_FOLLOW_DAYS } from '../../sync/member-follow.js';
import type { StoredEvent } from '../ingest/classify.js';

const DAY = 86_400_000;

/** The batch's (member, store) pairs, newest sighting each, upserted in key order so two
 * workers on the same members never wait on each other in a cycle. */
export async function noteFollowersPg(c: pg.PoolClient, fresh: StoredEvent[]): Promise<void> {
  const seen = new Map<string, { member: string; store: string; at: number }>();
  for (const e of fresh) {
    if (e.type !== 'member.enrolled' && e.type !== 'points.moved') continue;
    const member = (e.payload as { memberId?: unknown }).memberId;
    if (typeof member !== 'string') continue;
    const key = `${member}\u0000${e.storeId}`;
    const was = seen.get(key);
    if (!was || was.at < e.createdAt) seen.set(key, { member, store: e.storeId, at: e.createdAt });
  }
  if (!seen.size) return;
  const rows = [...seen.values()].sort((a, b) =>
    a.member === b.member ? (a.store < b.store ? -1 : 1) : a.member < b.member ? -1 : 1,
  );
  await upsert(c, rows);
}

/** Each (member, store) followed from its sighting, or from a later one already held. */
async function upsert(
  c: pg.Pool | pg.PoolClient,
  rows: { member: string; store: string; at: number }[],
): Promise<void> {
  await c.query(
    `INSERT INTO member_followers (member_id, store_id, last_seen)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
     ON CONFLICT (member_id, store_id) DO UPDATE
       SET last_seen = greatest(member_followers.last_seen, excluded.last_seen)`,
    [rows.map((r) => r.member), rows.map((r) => r.store), rows.map((r) => r.at)],
  );
}

/** A store's lookup: it follows the member from now. */
export async function follow(
  pool: pg.Pool | pg.PoolClient,
  memberId: string,
  storeId: string,
  now: number,
): Promise<void> {
  await upsert(pool, [{ member: memberId, store: storeId, at: now }]);
}

/** For each member, the stores following them now. */
export async function followersOf(
  pool: pg.Pool | pg.PoolClient,
  memberIds: string[],
  now: number,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!memberIds.length) return out;
  const r = await pool.query(
    `SELECT member_id, store_id FROM member_followers
      WHERE member_id = ANY($1) AND last_seen > $2 ORDER BY member_id, store_id`,
    [memberIds, now - MEMBER_FOLLOW_DAYS * DAY],
  );
  for (const row of r.rows as { member_id: string; store_id: string }[]) {
    const list = out.get(row.member_id) ?? [];
    list.push(row.store_id);
    out.set(row.member_id, list);
  }
  return out;
}

/** Follows that lapsed long ago, a batch at a time (rows per member stay bounded by the
 * stores that saw them lately). */
export async function forgetFollowers(pool: pg.Pool, now: number, limit = 10_000): Promise<number> {
  const r = await pool.query(
    `DELETE FROM member_followers WHERE ctid IN (
       SELECT ctid FROM member_followers WHERE last_seen < $1 LIMIT $2)`,
    [now - 2 * MEMBER_FOLLOW_DAYS * DAY, limit],
  );
  return r.rowCount ?? 0;
}
