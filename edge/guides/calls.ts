// A shopper's call for a guide (呼叫导购): made from their phone with why and where, taken
// by exactly one guide (two guides pressing accept at once: one has it, the other is
// told), done by that guide or cancelled by the shopper. A call nobody takes within the
// store's limit is escalated: the staff dashboard shows it. Where is a zone the shopper
// chose or the shelf zone of the product they scanned, never a camera track of them.
import { randomUUID } from 'node:crypto';
import { DomainError, notFound } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';

export type CallReason = 'find' | 'advice' | 'price';
export type CallStatus = 'open' | 'accepted' | 'done' | 'cancelled';

export interface GuideCall {
  id: string;
  reason: CallReason;
  zoneId: string | null;
  gtin: string | null;
  memberId: string | null;
  status: CallStatus;
  createdAt: number;
  acceptedBy: string | null;
  acceptedAt: number | null;
  escalatedAt: number | null;
  endedAt: number | null;
}

interface Row {
  id: string;
  reason: CallReason;
  zone_id: string | null;
  gtin: string | null;
  member_id: string | null;
  status: CallStatus;
  created_at: number;
  accepted_by: string | null;
  accepted_at: number | null;
  escalated_at: number | null;
  ended_at: number | null;
}

const toCall = (r: Row): GuideCall => ({
  id: r.id,
  reason: r.reason,
  zoneId: r.zone_id,
  gtin: r.gtin,
  memberId: r.member_id,
  status: r.status,
  createdAt: r.created_at,
  acceptedBy: r.accepted_by,
  acceptedAt: r.accepted_at,
  escalatedAt: r.escalated_at,
  endedAt: r.ended_at,
});

export function getCall(db: Db, id: string): GuideCall {
  const r = db.prepare('SELECT * FROM guide_calls WHERE id = ?').get(id) as Row | undefined;
  if (!r) throw notFound('guide call', id);
  return toCall(r);
}

/** Calls still waiting or being served, oldest first. */
export function liveCalls(db: Db): GuideCall[] {
  return (
    db
      .prepare(`SELECT * FROM guide_calls WHERE status IN ('open', 'accepted') ORDER BY created_at, id`)
      .all() as Row[]
  ).map(toCall);
}

/** Calls still open that waited past the store's limit: what the staff dashboard shows. */
export function escalatedCalls(db: Db): GuideCall[] {
  return (
    db
      .prepare(
        `SELECT * FROM guide_calls WHERE status = 'open' AND escalated_at IS NOT NULL ORDER BY created_at, id`,
      )
      .all() as Row[]
  ).map(toCall);
}

/** At most this many calls wait at once: a phone pressing "call" in a loop fills no table. */
export const MAX_OPEN_CALLS = 200;

export function createCall(
  db: Db,
  c: { reason: CallReason; zoneId: string | null; gtin: string | null; memberId: string | null },
  now: number,
): GuideCall {
  return db
    .transaction(() => {
      const open = db
        .prepare(`SELECT count(*) FROM guide_calls WHERE status = 'open'`)
        .pluck()
        .get() as number;
      if (open >= MAX_OPEN_CALLS)
        throw new DomainError('conflict', 'TOO_MANY_CALLS', 'every guide is busy: please try again shortly');
      const id = randomUUID();
      db.prepare(
        `INSERT INTO guide_calls (id, reason, zone_id, gtin, member_id, status, created_at)
         VALUES (?, ?, ?, ?, ?, 'open', ?)`,
      ).run(id, c.reason, c.zoneId, c.gtin, c.memberId, now);
      return getCall(db, id);
    })
    .immediate();
}

/** One guide takes the call; a call already taken, done or cancelled is refused. */
export function acceptCall(db: Db, id: string, staffId: string, now: number): GuideCall {
  return db
    .transaction(() => {
      const call = getCall(db, id);
      if (call.status === 'accepted' && call.acceptedBy === staffId) return call; // a repeat
      if (call.status !== 'open')
        throw new DomainError(
          'conflict',
          call.status === 'accepted' ? 'CALL_TAKEN' : 'CALL_ENDED',
          call.status === 'accepted' ? 'another guide has taken this call' : `this call is ${call.status}`,
        );
      db.prepare(
        `UPDATE guide_calls SET status = 'accepted', accepted_by = ?, accepted_at = ? WHERE id = ? AND status = 'open'`,
      ).run(staffId, now, id);
      return getCall(db, id);
    })
    .immediate();
}

/** HQ hears how each call ended: the chain's figures of guides (no shopper in it). */
function tellHq(db: Db, c: GuideCall, now: number): void {
  appendOutbox(
    db,
    {
      type: 'guide.call',
      class: 'state',
      payload: {
        callId: c.id,
        reason: c.reason,
        zoneId: c.zoneId,
        status: c.status,
        staffId: c.acceptedBy,
        createdAt: c.createdAt,
        acceptedAt: c.acceptedAt,
        endedAt: c.endedAt,
        escalated: c.escalatedAt !== null,
      },
    },
    now,
  );
}

/** The guide who took the call marks it done. */
export function finishCall(db: Db, id: string, staffId: string, now: number): GuideCall {
  return db
    .transaction(() => {
      const call = requireGuide(db, id, staffId);
      db.prepare(`UPDATE guide_calls SET status = 'done', ended_at = ? WHERE id = ?`).run(now, call.id);
      const done = getCall(db, id);
      tellHq(db, done, now);
      return done;
    })
    .immediate();
}

/** The shopper cancels their own call (waiting or taken); an ended one stays as it ended. */
export function cancelCall(db: Db, id: string, now: number): GuideCall {
  return db
    .transaction(() => {
      const call = getCall(db, id);
      if (call.status !== 'open' && call.status !== 'accepted') return call;
      db.prepare(`UPDATE guide_calls SET status = 'cancelled', ended_at = ? WHERE id = ?`).run(now, id);
      const cancelled = getCall(db, id);
      tellHq(db, cancelled, now);
      return cancelled;
    })
    .immediate();
}

/** The call, if `staffId` is the guide serving it now. */
export function requireGuide(db: Db, id: string, staffId: string): GuideCall {
  const call = getCall(db, id);
  if (call.status !== 'accepted')
    throw new DomainError('conflict', 'CALL_NOT_BEING_SERVED', `this call is ${call.status}`);
  if (call.acceptedBy !== staffId)
    throw new DomainError('forbidden', 'NOT_YOUR_CALL', 'another guide is serving this call');
  return call;
}

/** Marks calls open longer than `afterMs` as escalated (once each); returns those newly escalated. */
export function escalateDue(db: Db, afterMs: number, now: number): GuideCall[] {
  // asked every second: a plain read first, so the write lock is taken only when a call is due
  const any = db
    .prepare(
      `SELECT 1 FROM guide_calls WHERE status = 'open' AND escalated_at IS NULL AND created_at <= ? LIMIT 1`,
    )
    .get(now - afterMs);
  if (!any) return [];
  return db
    .transaction(() => {
      const due = (
        db
          .prepare(
            `SELECT * FROM guide_calls WHERE status = 'open' AND escalated_at IS NULL AND created_at <= ? ORDER BY created_at`,
          )
          .all(now - afterMs) as Row[]
      ).map(toCall);
      const mark = db.prepare('UPDATE guide_calls SET escalated_at = ? WHERE id = ?');
      for (const c of due) mark.run(now, c.id);
      return due.map((c) => ({ ...c, escalatedAt: now }));
    })
    .immediate();
}

/** Where a zone is, for "nearest first": its centre in floor metres on its camera's plan. */
export interface ZonePlace {
  cameraId: string;
  zoneId: string;
  categories: string[];
  /** floor metres when the camera has a floor plan; null otherwise */
  centre: readonly [number, number] | null;
}

/**
 * Open calls for a guide standing in `nearZone`: that zone's first, then by distance to
 * it where both zones lie on one floor plan, then the rest; oldest first within each.
 */
export function callsNearestFirst(
  calls: GuideCall[],
  places: ZonePlace[],
  nearZone: string | null,
): GuideCall[] {
  const at = places.find((p) => p.zoneId === nearZone) ?? null;
  const distance = (c: GuideCall): number => {
    if (!at || !c.zoneId) return Number.POSITIVE_INFINITY;
    if (c.zoneId === at.zoneId) return 0;
    const p = places.find((x) => x.zoneId === c.zoneId);
    if (!p?.centre || !at.centre || p.cameraId !== at.cameraId) return Number.POSITIVE_INFINITY;
    return Math.hypot(p.centre[0] - at.centre[0], p.centre[1] - at.centre[1]);
  };
  return calls
    .map((c) => ({ c, d: distance(c) }))
    .sort((a, b) => a.d - b.d || a.c.createdAt - b.c.createdAt)
    .map((x) => x.c);
}
