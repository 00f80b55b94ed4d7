// What a guide may see of the shopper they serve: nothing personal unless the member has
// agreed to be recognised by guides (their own choice, on their phone), and then their
// tier, points, the coupons in their wallet, recent purchases and the items they buy
// regularly that are due again. Every ask is written down, shown or refused: who looked
// at which member, for which call, when.

import { DomainError } from '../../sync/kernel/errors.js';
import { walletOf } from '../coupons/wallet.js';
import type { Db } from '../db/open.js';
import { requireGuide } from './calls.js';

export type Tier = 'member' | 'silver' | 'gold';

/** Tier by the points a member has earned in all (spending them does not lower it). */
export function tierOf(earned: number): Tier {
  return earned >= 5000 ? 'gold' : earned >= 1000 ? 'silver' : 'member';
}

export interface DueItem {
  gtin: string;
  name: { zh: string; en: string };
  /** bought this many times */
  times: number;
  /** the average days between two purchases */
  everyDays: number;
  lastAt: number;
}

/**
 * Items a member buys regularly (at least `minTimes` purchases, on separate days) that
 * are due: the time since the last one is at least 90% of their average interval.
 * Most overdue first.
 */
export function dueItems(db: Db, memberId: string, now: number, minTimes = 3): DueItem[] {
  const rows = db
    .prepare(
      `SELECT sl.gtin, sl.name_zh, sl.name_en, s.created_at
         FROM sales s JOIN sale_lines sl ON sl.sale_id = s.id
        WHERE s.member_id = ? AND s.created_at >= ?
        ORDER BY sl.gtin, s.created_at`,
    )
    .all(memberId, now - 365 * 86_400_000) as {
    gtin: string;
    name_zh: string;
    name_en: string;
    created_at: number;
  }[];
  const by = new Map<string, { name: { zh: string; en: string }; at: number[] }>();
  for (const r of rows) {
    const e = by.get(r.gtin) ?? { name: { zh: r.name_zh, en: r.name_en }, at: [] };
    by.set(r.gtin, e);
    // one purchase a day counts once (two lines of one basket are one purchase)
    if (!e.at.length || r.created_at - e.at.at(-1)! >= 86_400_000) e.at.push(r.created_at);
  }
  const due: (DueItem & { overdue: number })[] = [];
  for (const [gtin, e] of by) {
    if (e.at.length < minTimes) continue;
    const every = (e.at.at(-1)! - e.at[0]!) / (e.at.length - 1);
    const since = now - e.at.at(-1)!;
    if (since < every * 0.9) continue;
    due.push({
      gtin,
      name: e.name,
      times: e.at.length,
      everyDays: Math.round((every / 86_400_000) * 10) / 10,
      lastAt: e.at.at(-1)!,
      overdue: since / every,
    });
  }
  return due.sort((a, b) => b.overdue - a.overdue).map(({ overdue: _o, ...d }) => d);
}

export interface MemberCard {
  memberId: string;
  tier: Tier;
  points: number;
  coupons: { campaignId: string; name: { zh: string; en: string }; expiresAt: number }[];
  recent: { receiptNo: string; at: number; totalFen: number; items: string[] }[];
  due: DueItem[];
}

/** Writes down who asked for which member, and how it ended. */
function audit(
  db: Db,
  staffId: string,
  memberId: string,
  callId: string,
  outcome: 'shown' | 'refused',
  now: number,
) {
  db.prepare(
    'INSERT INTO member_views (staff_id, member_id, call_id, outcome, at) VALUES (?, ?, ?, ?, ?)',
  ).run(staffId, memberId, callId, outcome, now);
}

/**
 * The member card of the shopper behind a call, for the guide serving it. Refused (and
 * audited as refused) without the member's consent; refused to any other guide.
 */
export function memberCardFor(db: Db, callId: string, staffId: string, now: number): MemberCard {
  const call = requireGuide(db, callId, staffId);
  if (!call.memberId)
    throw new DomainError('not_found', 'NOT_A_MEMBER', 'the shopper has not signed in as a member');
  const m = db
    .prepare('SELECT id, points, guide_consent_at FROM members WHERE id = ?')
    .get(call.memberId) as { id: string; points: number; guide_consent_at: number | null };
  if (m.guide_consent_at === null) {
    audit(db, staffId, m.id, callId, 'refused', now);
    throw new DomainError(
      'forbidden',
      'NO_MEMBER_CONSENT',
      'this member has not agreed to be recognised by guides: serve them without their member details',
    );
  }
  audit(db, staffId, m.id, callId, 'shown', now);
  const earned = db
    .prepare(`SELECT coalesce(sum(delta), 0) FROM points_ledger WHERE member_id = ? AND reason = 'earn'`)
    .pluck()
    .get(m.id) as number;
  const recent = (
    db
      .prepare(
        `SELECT id, receipt_no, created_at, total_fen FROM sales WHERE member_id = ? ORDER BY created_at DESC LIMIT 5`,
      )
      .all(m.id) as { id: string; receipt_no: string; created_at: number; total_fen: number }[]
  ).map((s) => ({
    receiptNo: s.receipt_no,
    at: s.created_at,
    totalFen: s.total_fen,
    items: db
      .prepare('SELECT name_zh FROM sale_lines WHERE sale_id = ? ORDER BY line_no')
      .pluck()
      .all(s.id) as string[],
  }));
  return {
    memberId: m.id,
    tier: tierOf(earned),
    points: m.points,
    coupons: walletOf(db, m.id, now)
      .filter((c) => c.status === 'available')
      .map((c) => ({ campaignId: c.campaignId, name: c.name, expiresAt: c.expiresAt })),
    recent,
    due: dueItems(db, m.id, now),
  };
}

/** The member's own choice, from their phone: guides may recognise them, or not. */
export function setGuideConsent(db: Db, memberId: string, consent: boolean, now: number): void {
  db.prepare('UPDATE members SET guide_consent_at = ? WHERE id = ?').run(consent ? now : null, memberId);
}

/** Who looked at a member, newest first: what a manager (or the member, on asking) sees. */
export function memberViews(
  db: Db,
  memberId: string,
): { staffId: string; callId: string | null; outcome: string; at: number }[] {
  return db
    .prepare(
      'SELECT staff_id AS staffId, call_id AS callId, outcome, at FROM member_views WHERE member_id = ? ORDER BY at DESC, id DESC LIMIT 200',
    )
    .all(memberId) as { staffId: string; callId: string | null; outcome: string; at: number }[];
}
