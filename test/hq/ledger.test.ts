// The chain ledger (issue 15, first part): HQ over a real PostgreSQL and mosquitto is the
// ledger of record for members and points, and referee of chain coupons. Two stores run
// the store's real checkout, members and sync code (virtual stores): a member enrolled
// at B and shown at A is looked up at HQ; points earned at A are spendable at B; both stores cut off from
// HQ spend the same points within their offline cap, HQ records the conflict with both
// sales, and every replica ends on HQ's figure. A coupon redeemed at two stores is
// reported; the report is served by the API and the CLI.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/fleet/fleet.js';
import { VirtualStore } from '../../bench/fleet/virtual-store.js';
import { parseScan } from '../../edge/catalog/barcode.js';
import { addScan, createCart, setMember } from '../../edge/checkout/carts.js';
import { payCash, payPoints, startPayment } from '../../edge/checkout/tenders.js';
import { seeMember } from '../../edge/members/follow.js';
import { enrollMember, getMember } from '../../edge/members/members.js';
import type { StoredEvent } from '../../hq/ingest/classify.js';
import { digestOf } from '../../hq/ingest/classify.js';
import { PgEventStore } from '../../hq/ingest/pg-event-store.js';
import type { HqService } from '../../hq/service.js';
import { startHq, type TestHq } from '../helpers/chain.js';
import type { Broker } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';
import type { Postgres } from '../helpers/postgres.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in tests
type J = any;

const _dir = mkdtempSync(join(tmpdir(), 'storeedge-hq-ledger-'));
const SEED = resolve('config/demo/catalog.json');
let PUB = '';
let t: TestHq;
let pgs: Postgres;
let broker: Broker;
let svc: HqService;
let a: VirtualStore;
let b: VirtualStore;
let base = '';
let token = '';

const store = (storeId: string, seed: number) =>
  new VirtualStore({
    storeId,
    broker: broker.url,
    seedFile: SEED,
    members: 0,
    hqSigningPublicKey: PUB,
    offlineSpendCapPerDay: 400,
    random: mulberry32(seed),
    reconnect: { baseMs: 100, capMs: 500 },
  });

/** A sale of `qty` colas for the member; `points` of it paid in points, the rest cash. */
function sale(
  s: VirtualStore,
  memberId: string,
  qty: number,
  points = 0,
): { saleId: string; totalFen: number } {
  const now = Date.now();
  const gtin = (
    s.db
      .prepare("SELECT gtin FROM products WHERE sold_by = 'each' AND min_age = 0 ORDER BY gtin LIMIT 1")
      .pluck()
      .get() as string
  ).slice(1);
  const cart = createCart(s.db, { channel: 'kiosk', kioskId: 'kiosk-1', now });
  addScan(s.db, cart.id, {
    scan: parseScan(gtin, { variableMeasure: [], currencyNumeric: '156' }),
    qty,
    now,
  });
  setMember(s.db, cart.id, memberId, now);
  let q = startPayment(s.db, cart.id, s.context(now));
  if (points) q = payPoints(s.db, cart.id, points, s.context(now)).quote;
  const r = q.dueFen > 0 ? payCash(s.db, cart.id, q.dueFen, s.context(now)).sale! : null;
  const saleId =
    r?.saleId ?? (s.db.prepare('SELECT sale_id FROM carts WHERE id = ?').pluck().get(cart.id) as string);
  return { saleId, totalFen: q.totalFen };
}

const replica = (s: VirtualStore, id: string) =>
  s.db.prepare('SELECT points, hq_points, hq_version FROM members WHERE id = ?').get(id) as
    | { points: number; hq_points: number | null; hq_version: number | null }
    | undefined;

async function api(path: string): Promise<J> {
  const r = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  return r.json();
}

beforeAll(async () => {
  t = await startHq({ workers: 2 });
  svc = t.hq;
  broker = t.broker;
  pgs = t.pg;
  base = t.url;
  PUB = t.pushKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  token = await t.token('ana');
  a = store('ledger-a', 1);
  b = store('ledger-b', 2);
  a.start();
  b.start();
  await waitFor('both stores online', async () =>
    a.part.hqReachable() && b.part.hqReachable() ? true : undefined,
  );
}, 60_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await t?.stop();
});

describe('the chain ledger', () => {
  let member = '';

  it('a member enrolled at B, shown at A, is looked up at HQ; points earned at A are spendable at B', async () => {
    member = enrollMember(b.db, 'Chen', Date.now()).member.id;
    // the card shown at A: A looks the member up at HQ and follows them from then on
    a.db
      .prepare('INSERT INTO members (id, points, created_at, updated_at) VALUES (?, 0, ?, ?)')
      .run(member, Date.now(), Date.now());
    await seeMember(a.db, a.part.memberGate, member, Date.now());
    await waitFor('A holds HQ’s figure for the member', async () =>
      replica(a, member)?.hq_version !== null && replica(a, member) ? true : undefined,
    );
    expect(replica(a, member)!.points).toBe(0);

    const earned = sale(a, member, 150); // 150 bottles of water: a point per whole yuan paid
    const points = getMember(a.db, member).points;
    expect(points).toBe(Math.floor(earned.totalFen / 100));
    await waitFor(
      'B sees the points earned at A',
      async () => (replica(b, member)?.points === points ? true : undefined),
      15_000,
    );

    // B spends 100 of them, the rest in cash (which earns): HQ's figure plus B's own movements
    const spent = sale(b, member, 20, 100);
    const atB = getMember(b.db, member).points;
    expect(atB).toBe(points - 100 + Math.floor((spent.totalFen - 100) / 100));
    await waitFor(
      'A sees what B spent and earned',
      async () => (replica(a, member)?.points === atB ? true : undefined),
      15_000,
    );
    const hq = await api(`/members/${member}`);
    expect(hq).toMatchObject({ memberId: member, enrolledStore: 'ledger-b', balance: atB, conflicts: [] });
  });

  it('both stores apart from HQ spend the same points: the cap holds, HQ records the conflict, replicas end on HQ', async () => {
    // top the member up to about 500 points, known at both stores
    sale(a, member, 250);
    const start = getMember(a.db, member).points;
    await waitFor(
      'B has the same figure',
      async () => (replica(b, member)?.points === start ? true : undefined),
      15_000,
    );
    expect(start).toBeGreaterThan(390);
    expect(start).toBeLessThan(780);
    await Promise.all([a.stop(), b.stop()]);
    expect(a.part.hqReachable()).toBe(false);

    // over the offline cap (400 a day): refused, whatever the balance says
    expect(() => sale(a, member, 10, 401)).toThrow(/at most 400 points/);
    // each store alone sees enough: together they spend more than the member has
    const atA = sale(a, member, 5, 390);
    const atB = sale(b, member, 5, 390);
    a.start();
    b.start();
    const conflicts = await waitFor(
      'HQ records the overspend',
      async () => {
        const r = await api('/ledger/conflicts?kind=points_overspend');
        return r.conflicts.length ? r : undefined;
      },
      20_000,
    );
    const c = conflicts.conflicts[0];
    expect(c).toMatchObject({ kind: 'points_overspend', memberId: member });
    expect([atA.saleId, atB.saleId]).toContain(c.saleId);
    expect(c.others.map((o: J) => o.saleId)).toContain(c.saleId === atA.saleId ? atB.saleId : atA.saleId);
    expect(conflicts.totals).toEqual([
      { kind: 'points_overspend', storeId: c.storeId, conflicts: 1, amount: c.amount },
    ]);

    const hq = await api(`/members/${member}`);
    // below zero by at most what the cap let one store spend on top of the other
    expect(hq.balance).toBeLessThan(0);
    expect(hq.balance).toBeGreaterThanOrEqual(-400);
    await waitFor(
      'every replica on HQ’s figure',
      async () =>
        replica(a, member)?.hq_points === hq.balance && replica(b, member)?.hq_points === hq.balance
          ? true
          : undefined,
      15_000,
    );
    expect(getMember(a.db, member).points).toBe(0);
    expect(getMember(b.db, member).points).toBe(0);
    // with HQ's figure below zero, neither store lets the member spend
    expect(() => sale(a, member, 1, 1)).toThrow(/not enough points/);
  });

  it('a coupon redeemed at two stores is reported with both sales; the report is on the CLI too', async () => {
    const ev = (
      storeId: string,
      seq: number,
      type: string,
      payload: Record<string, unknown>,
    ): StoredEvent => {
      const e = {
        storeId,
        seq,
        eventId: `${storeId}-${seq}`,
        type,
        class: 'money' as const,
        createdAt: Date.now(),
        payload,
      };
      return { ...e, digest: digestOf(e) };
    };
    const pg = new PgEventStore(svc.pool!);
    const redeem = (saleId: string) => ({
      couponId: 'CHAIN-1',
      campaignId: 'K',
      saleId,
      amountFen: 500,
    });
    // both in one batch, and a third later: two conflicts, each with the earlier sales
    await pg.ingest(
      [ev('coup-x', 1, 'coupon.redeemed', redeem('X1')), ev('coup-y', 1, 'coupon.redeemed', redeem('Y1'))],
      [],
    );
    await pg.ingest([ev('coup-z', 1, 'coupon.redeemed', redeem('Z1'))], []);
    // a repeat of an event already held changes nothing
    await pg.ingest([ev('coup-z', 1, 'coupon.redeemed', redeem('Z1'))], []);
    const r = await api('/ledger/conflicts?kind=coupon_reuse');
    expect(r.conflicts.map((c: J) => [c.storeId, c.saleId, c.couponId, c.amount, c.others])).toEqual([
      ['coup-y', 'Y1', 'CHAIN-1', 500, [{ storeId: 'coup-x', saleId: 'X1' }]],
      [
        'coup-z',
        'Z1',
        'CHAIN-1',
        500,
        [
          { storeId: 'coup-x', saleId: 'X1' },
          { storeId: 'coup-y', saleId: 'Y1' },
        ],
      ],
    ]);
    const out = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'hq/cli.ts', 'conflicts', '--db', pgs.url],
      {
        timeout: 30_000,
      },
    );
    expect(out.stdout).toMatch(/coupon_reuse\s+coup-y\s+1\s+500/);
    expect(out.stdout).toMatch(/points_overspend/);
    expect(out.stdout.trim().split('\n')).toHaveLength(1 + 3 + 3); // header, 3 totals, 3 conflicts
  });

  it('a coupon issued past a chain-wide quota: the one without HQ’s grant is flagged, whatever order they come in', async () => {
    const pg = new PgEventStore(svc.pool!);
    const ev = (storeId: string, seq: number, couponId: string, campaignId: string): StoredEvent => {
      const e = {
        storeId,
        seq,
        eventId: `${storeId}-${seq}`,
        type: 'coupon.issued',
        class: 'money' as const,
        createdAt: Date.now(),
        payload: {
          couponId,
          campaignId,
          memberId: null,
          source: 'claim',
          saleId: null,
          expiresAt: Date.now() + 1000,
        },
      };
      return { ...e, digest: digestOf(e) };
    };
    for (const [campaign, together] of [
      ['Q-ONE', true],
      ['Q-TWO', false],
    ] as const) {
      // store q-a (first in every batch) was granted the one coupon; store q-z issued one alone
      expect(
        await pg.grantQuota({ storeId: 'q-a', campaignId: campaign, couponId: `${campaign}-G`, quota: 1 }),
      ).toEqual({
        status: 'granted',
      });
      expect(
        await pg.grantQuota({ storeId: 'q-y', campaignId: campaign, couponId: `${campaign}-H`, quota: 1 }),
      ).toMatchObject({ status: 'refused' });
      const granted = ev('q-a', together ? 1 : 2, `${campaign}-G`, campaign);
      const alone = ev('q-z', together ? 1 : 2, `${campaign}-A`, campaign);
      if (together) await pg.ingest([granted, alone], []);
      else {
        await pg.ingest([alone], []); // before HQ hears of the granted one
        await pg.ingest([granted], []);
      }
      const r = await svc.pool!.query(
        "SELECT store_id, coupon_id FROM ledger_conflicts WHERE kind = 'quota_exceeded' AND campaign_id = $1",
        [campaign],
      );
      expect(r.rows).toEqual([{ store_id: 'q-z', coupon_id: `${campaign}-A` }]);
    }
  });

  it('a member update not signed by HQ changes nothing at the store', async () => {
    const other = generateKeyPairSync('ed25519');
    const { signPush } = await import('../../sync/signing.js');
    const mqtt = (await import('mqtt')).default;
    const forged = signPush(other.privateKey, {
      dataset: 'member',
      version: 1_000_000,
      issuedAt: Date.now(),
      body: { memberId: member, balance: 99_999, through: {}, enrolledStore: null },
    });
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    await c.publishAsync('storeedge/v1/ledger-a/cmd/member', JSON.stringify(forged), { qos: 1 });
    await c.publishAsync('storeedge/v1/ledger-a/cmd/member', '{"not json', { qos: 1 });
    await c.endAsync();
    await new Promise((r) => setTimeout(r, 500));
    expect(getMember(a.db, member).points).toBe(0);
    expect(replica(a, member)!.hq_points).toBeLessThan(0);
  });
});
