// Which members a store holds HQ's figure for: a member shown here without one is looked
// up at HQ (waited for), a held one renewed now and then (not waited for), a lookup HQ
// did not answer is not waited for again at once; an unused replica that nothing here
// refers to is let go by housekeeping, and a member enrolled here or with history here never.
import { describe, expect, it } from 'vitest';
import { addScan, createCart, setMember } from '../../edge/checkout/carts.js';
import { payCash, startPayment } from '../../edge/checkout/tenders.js';
import { tasks } from '../../edge/housekeeping/tasks.js';
import {
  forgetReplicas,
  type MemberGate,
  markAsked,
  markFollowed,
  seeMember,
} from '../../edge/members/follow.js';
import { enrollMember } from '../../edge/members/members.js';
import { applyReplica } from '../../edge/members/replica.js';
import { MEMBER_FOLLOW_DAYS, MEMBER_REFRESH_MS, MEMBER_RETRY_MS } from '../../sync/member-follow.js';
import { ctx, demoDb, gtinOf, SEED_NOW, scan } from '../helpers/store.js';

const STORE = 'demo-store-001';
const DAY = 86_400_000;

/** A gate that answers after `ms` (as HQ over MQTT would), applying HQ's figure. */
function gate(db: ReturnType<typeof demoDb>, ms = 30): MemberGate & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    follow: async (id) => {
      asked.push(id);
      markAsked(db, id, Date.now());
      await new Promise((r) => setTimeout(r, ms));
      applyReplica(
        db,
        { memberId: id, balance: 700, through: {}, enrolledStore: 'other' },
        3,
        STORE,
        Date.now(),
      );
      markFollowed(db, id, Date.now());
    },
  };
}

function replica(db: ReturnType<typeof demoDb>, id: string, at: number): void {
  applyReplica(
    db,
    { memberId: id, balance: 50, through: { other: 4 }, enrolledStore: 'other' },
    5,
    STORE,
    at,
  );
}

const row = (db: ReturnType<typeof demoDb>, id: string) =>
  db.prepare('SELECT points, hq_points, seen_at FROM members WHERE id = ?').get(id) as
    | { points: number; hq_points: number | null; seen_at: number | null }
    | undefined;

describe('members a store follows', () => {
  it('a member without HQ’s figure is looked up and waited for; a held one is renewed without waiting', async () => {
    const db = demoDb();
    const g = gate(db);
    db.prepare("INSERT INTO members (id, points, created_at, updated_at) VALUES ('MX', 0, 1, 1)").run();
    await seeMember(db, g, 'MX', Date.now());
    expect(g.asked).toEqual(['MX']);
    expect(row(db, 'MX')).toMatchObject({ points: 700, hq_points: 700 }); // waited: the figure is here
    // followed a moment ago: nothing asked
    await seeMember(db, g, 'MX', Date.now());
    expect(g.asked).toHaveLength(1);
    // a day later the follow is renewed, and the sale does not wait for it
    const later = Date.now() + MEMBER_REFRESH_MS + 1;
    const t0 = Date.now();
    await seeMember(db, gate(db, 2000), 'MX', later);
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('a lookup HQ left unanswered is not waited for again within a minute', async () => {
    const db = demoDb();
    const silent: MemberGate & { n: number } = {
      n: 0,
      follow: async (id) => {
        silent.n++;
        markAsked(db, id, now);
      },
    };
    const now = SEED_NOW;
    db.prepare("INSERT INTO members (id, points, created_at, updated_at) VALUES ('MS', 0, 1, 1)").run();
    await seeMember(db, silent, 'MS', now);
    await seeMember(db, silent, 'MS', now + 1000);
    expect(silent.n).toBe(1);
    await seeMember(db, silent, 'MS', now + MEMBER_RETRY_MS + 1);
    expect(silent.n).toBe(2);
    // without HQ (no gate) nothing is asked and the sighting is noted
    await seeMember(db, undefined, 'MS', now + 5);
    expect(row(db, 'MS')?.seen_at).toBe(now + 5);
  });

  it('housekeeping lets an unused replica go, never a member enrolled here or with history here', () => {
    const db = demoDb();
    const t0 = SEED_NOW;
    replica(db, 'MUNUSED', t0);
    replica(db, 'MSEEN', t0);
    replica(db, 'MBOUGHT', t0);
    const mine = enrollMember(db, null, t0).member.id;
    replica(db, mine, t0);
    // MBOUGHT buys here (a cart and a sale name them)
    const cart = createCart(db, { channel: 'kiosk', kioskId: 'kiosk-1', now: t0 }).id;
    addScan(db, cart, { scan: scan(gtinOf(db, 'Cola')), qty: 1, now: t0 });
    setMember(db, cart, 'MBOUGHT', t0);
    const q = startPayment(db, cart, ctx(t0));
    payCash(db, cart, q.dueFen, ctx(t0));
    const lapse = t0 + MEMBER_FOLLOW_DAYS * DAY + 1;
    db.prepare("UPDATE members SET seen_at = ? WHERE id = 'MSEEN'").run(lapse - DAY);
    expect(forgetReplicas(db, lapse - 2 * DAY, 100)).toBe(0); // not yet
    const task = tasks({
      idempotencyHours: 24,
      outbox: { moneyDays: 30, stateDays: 7, telemetryDays: 2 },
      abandonedCartHours: 24,
      cancelledCartDays: 7,
      resolvedAlertDays: 30,
      vision: { minuteDays: 2, quarterDays: 30, hourDays: 400 },
    }).find((t) => t.name === 'member_replicas')!;
    expect(task.batch(db, lapse, 100)).toBe(1);
    const left = (db.prepare('SELECT id FROM members ORDER BY id').pluck().all() as string[]).filter((id) =>
      ['MUNUSED', 'MSEEN', 'MBOUGHT', mine].includes(id),
    );
    expect(left.sort()).toEqual(['MBOUGHT', 'MSEEN', mine].sort());
  });
});
