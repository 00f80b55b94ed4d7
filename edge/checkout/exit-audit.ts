// Exit checks for scan & go: whether a sale is audited at the door is decided when it is
// paid, in the sale's own transaction, at random with a base rate raised by the cart's
// risk signals; the shopper sees nothing of it until the exit. An audited pass shows
// staff N random lines to check (or all). Staff record the result: ok; missing items,
// added to a recovery sale and paid there; or refused. A partial check that finds a
// problem turns into a full check. The decision and the result go to HQ as events, and
// the audit rate, hit rate and recovered value are figures for the staff dashboard.
import { randomInt } from 'node:crypto';
import { DomainError, notFound } from '../../sync/kernel/errors.js';
import { startOfLocalDay } from '../../sync/kernel/local-day.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';

export type RiskSignal =
  | 'high_value'
  | 'weighed_items'
  | 'age_restricted'
  | 'removed_lines'
  | 'new_member'
  | 'fast_scanning'
  | 'first_scan_and_go';

export interface AuditPolicy {
  enabled: boolean;
  /** chance of an audit with no risk signal */
  baseRate: number;
  maxRate: number;
  /** lines shown for a partial check; 0: every line */
  linesToCheck: number;
  highValueFen: number;
  /** a median gap between scanned lines below this is very fast scanning */
  fastScanMs: number;
  newMemberDays: number;
  /** what each signal multiplies the rate by */
  factors: Record<RiskSignal, number>;
}

export interface AuditLine {
  lineNo: number;
  gtin: string;
  name: { zh: string; en: string };
  qty: number;
  weightG: number | null;
}

export interface AuditView {
  required: boolean;
  status: 'not_selected' | 'pending' | 'ok' | 'recovered' | 'refused';
  fullCheck: boolean;
  lines: AuditLine[];
}

interface AuditRow {
  sale_id: string;
  selected: number;
  probability: number;
  signals: string;
  lines_to_check: string;
  full_check: number;
  status: AuditView['status'];
  recovered_fen: number;
}

const DAY_MS = 86_400_000;

/** The risk signals of a cart being sold now. */
export function riskSignals(
  db: Db,
  o: { cartId: string; memberId: string | null; totalFen: number; now: number },
  policy: AuditPolicy,
): RiskSignal[] {
  const out: RiskSignal[] = [];
  if (o.totalFen >= policy.highValueFen) out.push('high_value');
  const lines = db
    .prepare(
      `SELECT l.voided, l.created_at, p.sold_by, p.min_age FROM cart_lines l JOIN products p ON p.gtin = l.gtin
        WHERE l.cart_id = ? ORDER BY l.seq`,
    )
    .all(o.cartId) as { voided: number; created_at: number; sold_by: string; min_age: number }[];
  const kept = lines.filter((l) => !l.voided);
  if (kept.some((l) => l.sold_by === 'weight')) out.push('weighed_items');
  if (kept.some((l) => l.min_age > 0)) out.push('age_restricted');
  if (lines.some((l) => l.voided)) out.push('removed_lines');
  const gaps = lines.slice(1).map((l, i) => l.created_at - lines[i]!.created_at);
  if (gaps.length >= 2) {
    const sorted = [...gaps].sort((a, b) => a - b);
    if (sorted[Math.floor(sorted.length / 2)]! < policy.fastScanMs) out.push('fast_scanning');
  }
  if (o.memberId) {
    const created = db.prepare('SELECT created_at FROM members WHERE id = ?').pluck().get(o.memberId) as
      | number
      | undefined;
    if (created !== undefined && o.now - created < policy.newMemberDays * DAY_MS) out.push('new_member');
    const before = db
      .prepare(
        `SELECT count(*) FROM sales s JOIN carts c ON c.id = s.cart_id
          WHERE s.member_id = ? AND (s.channel = 'phone' OR c.handed_off_at IS NOT NULL) AND s.cart_id <> ?`,
      )
      .pluck()
      .get(o.memberId, o.cartId) as number;
    if (before === 0) out.push('first_scan_and_go');
  } else {
    out.push('first_scan_and_go'); // nobody signed in: no history to go by
  }
  return out;
}

export function auditRate(signals: RiskSignal[], policy: AuditPolicy): number {
  const rate = signals.reduce((r, s) => r * (policy.factors[s] ?? 1), policy.baseRate);
  return Math.min(policy.maxRate, Math.max(0, rate), 1);
}

/** Decides the exit audit of a scan & go sale; runs in the sale's transaction, after the
 * sale and its lines are written. */
export function decideAudit(
  db: Db,
  o: {
    saleId: string;
    cartId: string;
    memberId: string | null;
    totalFen: number;
    lineCount: number;
    now: number;
  },
  policy: AuditPolicy,
  draw: () => number = () => randomInt(0, 1_000_000) / 1_000_000,
): void {
  if (!db.inTransaction) throw new Error('decideAudit must run inside the sale transaction');
  if (!policy.enabled) return;
  const signals = riskSignals(db, o, policy);
  const probability = auditRate(signals, policy);
  const selected = draw() < probability;
  const all = Array.from({ length: o.lineCount }, (_, i) => i + 1);
  const n = policy.linesToCheck > 0 ? Math.min(policy.linesToCheck, all.length) : all.length;
  // a partial check's lines: a random sample, so a shopper cannot know which to leave out
  for (let i = all.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const lines = all.slice(0, n).sort((a, b) => a - b);
  db.prepare(
    `INSERT INTO exit_audits (sale_id, selected, probability, signals, lines_to_check, full_check, status, decided_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    o.saleId,
    selected ? 1 : 0,
    probability,
    JSON.stringify(signals),
    JSON.stringify(lines),
    n === o.lineCount ? 1 : 0,
    selected ? 'pending' : 'not_selected',
    o.now,
  );
  // HQ learns of every decision (its audit rate), not only of the checks made
  appendOutbox(
    db,
    {
      type: 'exit_audit.decided',
      class: 'state',
      payload: { saleId: o.saleId, selected, probability, signals },
    },
    o.now,
  );
}

function row(db: Db, saleId: string): AuditRow | undefined {
  return db.prepare('SELECT * FROM exit_audits WHERE sale_id = ?').get(saleId) as AuditRow | undefined;
}

function saleLines(db: Db, saleId: string, only?: number[]): AuditLine[] {
  const rows = db
    .prepare(
      'SELECT line_no, gtin, name_zh, name_en, qty, weight_g FROM sale_lines WHERE sale_id = ? ORDER BY line_no',
    )
    .all(saleId) as {
    line_no: number;
    gtin: string;
    name_zh: string;
    name_en: string;
    qty: number;
    weight_g: number | null;
  }[];
  return rows
    .filter((r) => !only || only.includes(r.line_no))
    .map((r) => ({
      lineNo: r.line_no,
      gtin: r.gtin,
      name: { zh: r.name_zh, en: r.name_en },
      qty: r.qty,
      weightG: r.weight_g,
    }));
}

/** What staff at the exit see of a sale's audit (nothing is shown to the shopper). */
export function auditView(db: Db, saleId: string): AuditView {
  const a = row(db, saleId);
  if (!a) return { required: false, status: 'not_selected', fullCheck: false, lines: [] };
  const full = a.selected === 1 && a.full_check === 1;
  return {
    required: a.status === 'pending',
    status: a.status,
    fullCheck: full,
    lines: a.selected
      ? saleLines(db, saleId, full ? undefined : (JSON.parse(a.lines_to_check) as number[]))
      : [],
  };
}

/** A partial check found something: every line is checked now. */
export function widenAudit(db: Db, saleId: string): AuditView {
  const a = row(db, saleId);
  if (a?.status !== 'pending')
    throw new DomainError('conflict', 'NO_AUDIT_PENDING', 'this sale has no audit in progress');
  db.prepare('UPDATE exit_audits SET full_check = 1 WHERE sale_id = ?').run(saleId);
  return auditView(db, saleId);
}

/** Records an audit's result (in the caller's transaction when a recovery sale goes with it). */
export function recordAudit(
  db: Db,
  saleId: string,
  r: {
    result: 'ok' | 'recovered' | 'refused';
    staffId: string;
    now: number;
    missing?: { gtin: string; qty: number }[];
    recoverySaleId?: string;
    recoveredFen?: number;
  },
): AuditView {
  return db.transaction(() => {
    const a = row(db, saleId);
    if (!a) throw notFound('exit audit', saleId);
    if (a.status !== 'pending')
      throw new DomainError('conflict', 'AUDIT_DONE', `this sale's audit is ${a.status}`);
    if (r.result === 'recovered' && !a.full_check)
      throw new DomainError(
        'conflict',
        'FULL_CHECK_REQUIRED',
        'a missing item turns the check into a full check first',
      );
    db.prepare(
      `UPDATE exit_audits SET status = ?, staff_id = ?, missing = ?, recovery_sale_id = ?, recovered_fen = ?, checked_at = ?
        WHERE sale_id = ?`,
    ).run(
      r.result,
      r.staffId,
      r.missing ? JSON.stringify(r.missing) : null,
      r.recoverySaleId ?? null,
      r.recoveredFen ?? 0,
      r.now,
      saleId,
    );
    appendOutbox(
      db,
      {
        type: 'exit_audit.completed',
        class: 'money',
        payload: {
          saleId,
          probability: a.probability,
          signals: JSON.parse(a.signals) as RiskSignal[],
          fullCheck: Boolean(a.full_check) || r.result === 'recovered',
          result: r.result,
          missing: r.missing ?? [],
          recoverySaleId: r.recoverySaleId ?? null,
          recoveredFen: r.recoveredFen ?? 0,
          at: r.now,
        },
      },
      r.now,
    );
    return auditView(db, saleId);
  })();
}

export interface AuditFigures {
  scanAndGoSales: number;
  audited: number;
  checked: number;
  hits: number;
  refused: number;
  recoveredFen: number;
  auditRate: number | null;
  hitRate: number | null;
}

/** Today's exit-audit figures, from the store's local midnight. */
export function auditFigures(db: Db, now: number, timezone: string): AuditFigures {
  const since = startOfLocalDay(now, timezone);
  const f = db
    .prepare(
      `SELECT count(*) AS sales,
              coalesce(sum(selected), 0) AS audited,
              coalesce(sum(status IN ('ok', 'recovered', 'refused')), 0) AS checked,
              coalesce(sum(status = 'recovered'), 0) AS hits,
              coalesce(sum(status = 'refused'), 0) AS refused,
              coalesce(sum(recovered_fen), 0) AS recovered
         FROM exit_audits WHERE decided_at >= ?`,
    )
    .get(since) as {
    sales: number;
    audited: number;
    checked: number;
    hits: number;
    refused: number;
    recovered: number;
  };
  return {
    scanAndGoSales: f.sales,
    audited: f.audited,
    checked: f.checked,
    hits: f.hits,
    refused: f.refused,
    recoveredFen: f.recovered,
    auditRate: f.sales ? f.audited / f.sales : null,
    hitRate: f.checked ? f.hits / f.checked : null,
  };
}
