// Exit audits of scan & go sales: the risk signals, the rate they make, the decision in
// the sale's transaction, the lines a partial check shows, widening to a full check, the
// result and its event for HQ, and the day's figures.
import { describe, expect, it } from 'vitest';
import { withCheckDigit } from '../../edge/catalog/gtin.js';
import { addScan, createCart, removeLine, setMember } from '../../edge/checkout/carts.js';
import {
  type AuditPolicy,
  auditFigures,
  auditRate,
  auditView,
  recordAudit,
  riskSignals,
  widenAudit,
} from '../../edge/checkout/exit-audit.js';
import { payCash, startPayment } from '../../edge/checkout/tenders.js';
import type { Db } from '../../edge/db/open.js';
import { enrollMember } from '../../edge/members/members.js';
import { payloadProblems } from '../../sync/event-schemas.js';
import { ctx, demoDb, errorCode, gtinOf, SEED_NOW, scan } from '../helpers/store.js';

const policy = (o: Partial<AuditPolicy> = {}): AuditPolicy => ({
  enabled: true,
  baseRate: 0.05,
  maxRate: 0.8,
  linesToCheck: 2,
  highValueFen: 20_000,
  fastScanMs: 1500,
  newMemberDays: 30,
  factors: {
    high_value: 3,
    weighed_items: 2,
    age_restricted: 1.5,
    removed_lines: 2,
    new_member: 1.5,
    fast_scanning: 2,
    first_scan_and_go: 2,
  },
  ...o,
});

/** A phone cart with `items`, one scan every `gapMs`, paid in cash at `now`. */
function phoneSale(
  db: Db,
  items: string[],
  o: { gapMs?: number; policy?: AuditPolicy; member?: string; remove?: boolean } = {},
) {
  const now = SEED_NOW;
  const cart = createCart(db, { channel: 'phone', now });
  if (o.member) setMember(db, cart.id, o.member, now);
  const lines = items.map((en, i) =>
    addScan(db, cart.id, { scan: scan(gtinOf(db, en)), now: now + i * (o.gapMs ?? 5000) }),
  );
  if (o.remove) removeLine(db, cart.id, lines[0]!.id, now);
  const c = { ...ctx(now + 60_000), exitAudit: o.policy ?? policy() };
  const q = startPayment(db, cart.id, c);
  const r = payCash(db, cart.id, q.totalFen + 10_000, c);
  return { cartId: cart.id, saleId: r.sale!.saleId, totalFen: q.totalFen };
}

const audit = (db: Db, saleId: string) =>
  db.prepare('SELECT * FROM exit_audits WHERE sale_id = ?').get(saleId) as {
    selected: number;
    probability: number;
    signals: string;
    lines_to_check: string;
    status: string;
  };

describe('exit audits', () => {
  it('reads the risk signals of a cart: slow and plain, or fast, weighed, age-restricted, with a removed line', () => {
    const db = demoDb();
    const { member } = enrollMember(db, 'Old hand', SEED_NOW - 90 * 86_400_000);
    const first = phoneSale(db, ['Cola 330ml', 'Cola 500ml'], { member: member.id });
    expect(JSON.parse(audit(db, first.saleId).signals)).toEqual(['first_scan_and_go']);
    const plain = phoneSale(db, ['Cola 330ml', 'Cola 500ml', 'Cola 2L'], { member: member.id });
    expect(JSON.parse(audit(db, plain.saleId).signals)).toEqual([]);
    expect(audit(db, plain.saleId).probability).toBeCloseTo(0.05);

    const risky = phoneSale(db, ['Cola 330ml', 'Cola 500ml', 'Cola 2L', 'Cola 330ml'], {
      gapMs: 400,
      remove: true,
    });
    const signals = JSON.parse(audit(db, risky.saleId).signals);
    expect(signals).toEqual(['removed_lines', 'fast_scanning', 'first_scan_and_go']);
    expect(auditRate(signals, policy())).toBeCloseTo(0.05 * 2 * 2 * 2);
    expect(auditRate(['high_value', 'weighed_items', 'fast_scanning', 'removed_lines'], policy())).toBe(0.8); // capped
    // a new member's cart with beer and apples by weight, worth a lot
    const fresh = enrollMember(db, 'New', SEED_NOW - 86_400_000).member;
    const open = createCart(db, { channel: 'phone', now: SEED_NOW });
    addScan(db, open.id, { scan: scan(gtinOf(db, 'Lager Beer 500ml')), now: SEED_NOW });
    // a store-scale label: apples (PLU 10001), 1.200 kg
    addScan(db, open.id, { scan: scan(withCheckDigit('201000101200')), now: SEED_NOW + 9000 });
    expect(
      riskSignals(db, { cartId: open.id, memberId: fresh.id, totalFen: 30_000, now: SEED_NOW }, policy()),
    ).toEqual(['high_value', 'weighed_items', 'age_restricted', 'new_member', 'first_scan_and_go']);
  });

  it('is decided at payment: never for a kiosk sale, always at rate 1, never at rate 0', () => {
    const db = demoDb();
    const always = phoneSale(db, ['Cola 330ml', 'Cola 500ml', 'Cola 2L'], {
      policy: policy({ baseRate: 1, maxRate: 1 }),
    });
    expect(audit(db, always.saleId)).toMatchObject({ selected: 1, status: 'pending' });
    const lines = JSON.parse(audit(db, always.saleId).lines_to_check) as number[];
    expect(lines).toHaveLength(2);
    expect(new Set(lines).size).toBe(2);
    for (const l of lines) expect([1, 2, 3]).toContain(l);
    const never = phoneSale(db, ['Cola 330ml'], { policy: policy({ baseRate: 0 }) });
    expect(audit(db, never.saleId)).toMatchObject({ selected: 0, status: 'not_selected' });
    expect(auditView(db, never.saleId)).toEqual({
      required: false,
      status: 'not_selected',
      fullCheck: false,
      lines: [],
    });

    const kiosk = createCart(db, { channel: 'kiosk', kioskId: 'kiosk-1', now: SEED_NOW });
    addScan(db, kiosk.id, { scan: scan(gtinOf(db, 'Cola 330ml')), now: SEED_NOW });
    const c = { ...ctx(), exitAudit: policy({ baseRate: 1, maxRate: 1 }) };
    startPayment(db, kiosk.id, c);
    const r = payCash(db, kiosk.id, 10_000, c);
    expect(audit(db, r.sale!.saleId)).toBeUndefined();
  });

  it('a partial check shows its lines; a problem widens it to every line; the result goes to HQ once', () => {
    const db = demoDb();
    const s = phoneSale(db, ['Cola 330ml', 'Cola 500ml', 'Cola 2L'], {
      policy: policy({ baseRate: 1, maxRate: 1 }),
    });
    const partial = auditView(db, s.saleId);
    expect(partial).toMatchObject({ required: true, status: 'pending', fullCheck: false });
    expect(partial.lines).toHaveLength(2);
    // a missing item needs the full check first
    expect(
      errorCode(() =>
        recordAudit(db, s.saleId, {
          result: 'recovered',
          staffId: 'sup-1',
          now: SEED_NOW,
          recoveredFen: 250,
        }),
      ),
    ).toBe('FULL_CHECK_REQUIRED');
    const full = widenAudit(db, s.saleId);
    expect(full.fullCheck).toBe(true);
    expect(full.lines.map((l) => l.lineNo)).toEqual([1, 2, 3]);
    const done = recordAudit(db, s.saleId, {
      result: 'recovered',
      staffId: 'sup-1',
      now: SEED_NOW + 120_000,
      missing: [{ gtin: '06911003001045', qty: 1 }],
      recoveredFen: 250,
    });
    expect(done).toMatchObject({ required: false, status: 'recovered' });
    expect(
      errorCode(() => recordAudit(db, s.saleId, { result: 'ok', staffId: 'sup-1', now: SEED_NOW })),
    ).toBe('AUDIT_DONE');
    const events = db
      .prepare(`SELECT payload FROM outbox WHERE type = 'exit_audit.completed'`)
      .pluck()
      .all() as string[];
    expect(events.map((e) => JSON.parse(e))).toEqual([
      expect.objectContaining({ saleId: s.saleId, result: 'recovered', recoveredFen: 250, fullCheck: true }),
    ]);
    // the decision went too, and every event keeps to the wire contract HQ enforces
    const rows = db
      .prepare(`SELECT type, payload FROM outbox WHERE type LIKE 'exit_audit.%' ORDER BY seq`)
      .all() as {
      type: string;
      payload: string;
    }[];
    expect(rows.map((r) => r.type)).toEqual(['exit_audit.decided', 'exit_audit.completed']);
    expect(JSON.parse(rows[0]!.payload)).toMatchObject({ saleId: s.saleId, selected: true, probability: 1 });
    for (const r of rows) expect(payloadProblems(r.type, JSON.parse(r.payload)), r.type).toEqual([]);
  });

  it("the day's figures: audit rate, hit rate, recovered value", () => {
    const db = demoDb();
    const on = policy({ baseRate: 1, maxRate: 1 });
    const a = phoneSale(db, ['Cola 330ml'], { policy: on });
    const b = phoneSale(db, ['Cola 500ml'], { policy: on });
    phoneSale(db, ['Cola 2L'], { policy: policy({ baseRate: 0 }) });
    phoneSale(db, ['Cola 330ml'], { policy: policy({ baseRate: 0 }) });
    recordAudit(db, a.saleId, { result: 'ok', staffId: 'sup-1', now: SEED_NOW + 90_000 });
    widenAudit(db, b.saleId);
    recordAudit(db, b.saleId, {
      result: 'recovered',
      staffId: 'sup-1',
      now: SEED_NOW + 90_000,
      recoveredFen: 750,
    });
    expect(auditFigures(db, SEED_NOW + 100_000, 'Asia/Shanghai')).toEqual({
      scanAndGoSales: 4,
      audited: 2,
      checked: 2,
      hits: 1,
      refused: 0,
      recoveredFen: 750,
      auditRate: 0.5,
      hitRate: 0.5,
    });
  });
});
