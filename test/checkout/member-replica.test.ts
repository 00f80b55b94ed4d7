// A member's points at a store of a chain: HQ's figure (the ledger of record) plus the
// store's own movements HQ does not hold yet; updates in any order, the newest wins;
// apart from HQ, spending falls under a daily cap.
import { describe, expect, it } from 'vitest';
import { addScan, createCart, setMember } from '../../edge/checkout/carts.js';
import { payCash, payPoints, startPayment } from '../../edge/checkout/tenders.js';
import { enrollMember, getMember, movePoints } from '../../edge/members/members.js';
import { applyReplica, readReplica } from '../../edge/members/replica.js';
import { checkInvariants } from '../helpers/invariants.js';
import { ctx, demoDb, errorCode, gtinOf, SEED_NOW, scan } from '../helpers/store.js';

const STORE = 'demo-store-001';

function earn(db: ReturnType<typeof demoDb>, memberId: string, delta: number): number {
  let seq = 0;
  db.transaction(() => {
    movePoints(db, { memberId, delta, reason: delta > 0 ? 'earn' : 'spend', now: SEED_NOW });
    seq = db.prepare('SELECT max(seq) FROM outbox').pluck().get() as number;
  })();
  return seq;
}

describe('member replica', () => {
  it('HQ’s figure plus this store’s movements after what HQ holds; an older update changes nothing', () => {
    const db = demoDb();
    const m = enrollMember(db, null, SEED_NOW).member.id;
    const s1 = earn(db, m, 100);
    earn(db, m, 20); // HQ has not got this one yet
    // HQ: 100 from here (through s1) and 500 earned at another store
    expect(
      applyReplica(
        db,
        { memberId: m, balance: 600, through: { [STORE]: s1, other: 9 }, enrolledStore: STORE },
        10,
        STORE,
        SEED_NOW,
      ),
    ).toBe(true);
    expect(getMember(db, m).points).toBe(620);
    // a stale update (lower version) arriving late is ignored
    expect(
      applyReplica(
        db,
        { memberId: m, balance: 100, through: { [STORE]: s1 }, enrolledStore: STORE },
        5,
        STORE,
        SEED_NOW,
      ),
    ).toBe(false);
    expect(getMember(db, m).points).toBe(620);
    // spending checks HQ's figure plus the unsent movements
    earn(db, m, -600);
    expect(getMember(db, m).points).toBe(20);
    expect(() => earn(db, m, -21)).toThrow(/too few points/);
    expect(checkInvariants(db)).toEqual([]);
  });

  it('a member enrolled elsewhere arrives with HQ’s balance; below zero at HQ, nothing can be spent', () => {
    const db = demoDb();
    applyReplica(
      db,
      { memberId: 'MFROMB', balance: -50, through: { b: 4 }, enrolledStore: 'b' },
      4,
      STORE,
      SEED_NOW,
    );
    expect(getMember(db, 'MFROMB').points).toBe(0);
    earn(db, 'MFROMB', 30); // repays part of the debt
    expect(getMember(db, 'MFROMB').points).toBe(0);
    expect(() => earn(db, 'MFROMB', -1)).toThrow(/too few points/);
    earn(db, 'MFROMB', 40);
    expect(getMember(db, 'MFROMB').points).toBe(20);
  });

  it('refuses a malformed replica', () => {
    for (const bad of [
      null,
      [],
      { memberId: '../x', balance: 1, through: {} },
      { memberId: 'M1', balance: 1.5, through: {} },
      { memberId: 'M1', balance: 1, through: { s: -1 } },
    ])
      expect(() => readReplica(bad)).toThrow();
  });

  it('apart from HQ, a member spends at most the daily cap here; online, the balance is the only limit', () => {
    const db = demoDb();
    const m = enrollMember(db, null, SEED_NOW).member.id;
    earn(db, m, 5000);
    const cart = (now = SEED_NOW) => {
      const c = createCart(db, { channel: 'kiosk', kioskId: 'kiosk-1', now });
      addScan(db, c.id, { scan: scan(gtinOf(db, 'Cola')), qty: 40, now });
      setMember(db, c.id, m, now);
      startPayment(db, c.id, ctx(now));
      return c.id;
    };
    const offline = { ...ctx(), loyalty: { ...ctx().loyalty, offlineSpendCapPerDay: 300 }, hqOnline: false };
    // a sale paid partly in points while HQ was in reach: not an offline spend
    const online = cart();
    payPoints(db, online, 250, { ...offline, hqOnline: true });
    const q = startPayment(db, online, ctx());
    expect(payCash(db, online, q.dueFen, ctx()).sale).not.toBeNull();
    const first = cart();
    expect(errorCode(() => payPoints(db, first, 301, offline))).toBe('POINTS_OFFLINE_CAP');
    expect(errorCode(() => payPoints(db, first, 200, offline))).toBe('ok');
    // the same cart: what it already holds in points counts
    expect(errorCode(() => payPoints(db, first, 101, offline))).toBe('POINTS_OFFLINE_CAP');
    expect(errorCode(() => payPoints(db, cart(), 600, { ...offline, hqOnline: true }))).toBe('ok');
    // a spend made offline counts for the rest of the day
    const paid = cart();
    payPoints(db, paid, 100, offline);
    payCash(db, paid, startPayment(db, paid, ctx()).dueFen, offline);
    expect(errorCode(() => payPoints(db, cart(), 201, offline))).toBe('POINTS_OFFLINE_CAP');
    expect(errorCode(() => payPoints(db, cart(), 200, offline))).toBe('ok');
  });
});
