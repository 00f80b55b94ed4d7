// One member, every store (issue 15), with two real store daemons, HQ, PostgreSQL,
// mosquitto and a TCP proxy in front of each store: a member enrolled at B shows their
// card at A and earns there; B sees the points and spends them; both stores cut off
// spend the same points within their offline cap, sales complete at once, HQ records
// the conflict, and both stores end on HQ's figure once the links are back. A third
// store C never sees the member: HQ sends it none of the member's figures.
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, startChain } from '../helpers/chain.js';
import { waitFor } from '../helpers/ports.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const CAP = 300;
let chain: Chain;
let member = '';
let card = '';
/** every member figure the broker carried, by topic */
const memberTopics: string[] = [];
let spy: MqttClient;

/** The member as store s holds them: its balance and HQ's last figure. */
function atStore(s: string): { points: number; hq_points: number | null } | undefined {
  const db = new Database(chain.dbPath(s), { readonly: true });
  try {
    return db.prepare('SELECT points, hq_points FROM members WHERE id = ?').get(member) as
      | { points: number; hq_points: number | null }
      | undefined;
  } finally {
    db.close();
  }
}

async function hq(path: string): Promise<J> {
  const s = (await (
    await fetch(`${chain.hqUrl}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'ana', password: 'ana-password' }),
    })
  ).json()) as J;
  return (
    await fetch(`${chain.hqUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${s.token}` } })
  ).json();
}

/** A sale at s for the member (card shown), `points` of it in points, the rest cash. */
async function memberSale(s: string, bottles: number, points = 0): Promise<J> {
  const c = await chain.cart(s, bottles);
  const shown = await chain.call(s, 'POST', `/carts/${c}/member`, { code: card });
  expect(shown.status, JSON.stringify(shown.body)).toBe(200);
  return chain.pay(s, c, points);
}

beforeAll(async () => {
  chain = await startChain(['a', 'b', 'c'], { offlineCap: CAP });
  spy = await mqtt.connectAsync(chain.broker.url, { protocolVersion: 5 });
  spy.on('message', (topic) => memberTopics.push(topic));
  await spy.subscribeAsync(['storeedge/v1/+/cmd/member'], { qos: 1 });
}, 120_000);

afterAll(async () => {
  await spy?.endAsync();
  await chain?.stop();
});

describe('one member, every store', () => {
  it('enrolled at B, the card reads at A, points earned at A are spent at B', async () => {
    const token = await chain.staffToken('b');
    const enrolled = await chain.call(
      'b',
      'POST',
      '/staff/members',
      { name: '周敏' },
      { 'x-staff-token': token },
    );
    expect(enrolled.status).toBe(201);
    member = enrolled.body.member.id;
    card = enrolled.body.code;
    // A reads B's card once HQ has vouched for B's key
    await waitFor(
      'A reads the card B issued',
      async () => {
        const c = await chain.cart('a', 1);
        return (await chain.call('a', 'POST', `/carts/${c}/member`, { code: card })).status === 200
          ? true
          : undefined;
      },
      15_000,
    );
    // A looked the member up at HQ when the card was shown: it follows them before any sale there
    await waitFor(
      'A holds HQ’s figure for the member',
      async () => (atStore('a')?.hq_points === 0 ? true : undefined),
      15_000,
    );
    const earned = await memberSale('a', 250); // ¥500 of water: about 500 points
    expect(earned.sale.pointsEarned).toBeGreaterThanOrEqual(400);
    const points = atStore('a')!.points;
    await waitFor(
      'B sees the points',
      async () => (atStore('b')?.points === points ? true : undefined),
      15_000,
    );
    const spent = await memberSale('b', 50, 100);
    expect(spent.quote.payments.some((p: J) => p.kind === 'points' && p.amountFen === 100)).toBe(true);
    const atB = atStore('b')!.points;
    await waitFor('A sees B’s spend', async () => (atStore('a')?.points === atB ? true : undefined), 15_000);
    expect((await hq(`/members/${member}`)).balance).toBe(atB);
  });

  it('only the stores that follow the member hear of them: none to C, none to the whole chain', () => {
    expect(memberTopics.length).toBeGreaterThan(0);
    expect(memberTopics.filter((t) => t.includes('/all/'))).toEqual([]);
    expect(memberTopics.filter((t) => t.includes('/chain-c/'))).toEqual([]);
    expect(new Set(memberTopics)).toEqual(
      new Set(['storeedge/v1/chain-a/cmd/member', 'storeedge/v1/chain-b/cmd/member']),
    );
    expect(atStore('c')).toBeUndefined();
  });

  it('both stores apart from HQ: the cap holds, sales complete at once, HQ records the conflict, both end on HQ', async () => {
    const start = atStore('a')!.points;
    expect(start).toBeGreaterThan(CAP);
    expect(start).toBeLessThan(2 * CAP);
    chain.proxies.a!.cut();
    chain.proxies.b!.cut();
    await waitFor(
      'both stores know they are apart',
      async () => (!(await chain.linkUp('a')) && !(await chain.linkUp('b')) ? true : undefined),
      10_000,
    );
    // over the cap: refused whatever the balance
    const over = await chain.cart('a', 50);
    await chain.call('a', 'POST', `/carts/${over}/member`, { code: card });
    await chain.call('a', 'POST', `/carts/${over}/checkout`, {});
    const refused = await chain.call('a', 'POST', `/carts/${over}/tenders`, {
      kind: 'points',
      points: CAP + 1,
    });
    expect(refused.body.error.code).toBe('POINTS_OFFLINE_CAP');
    // each store spends the cap (two bottles, nearly all in points): together more than the member has
    const t0 = Date.now();
    const saleA = await memberSale('a', 2, CAP);
    const saleB = await memberSale('b', 2, CAP);
    expect(Date.now() - t0).toBeLessThan(4000); // two whole sales, neither waiting on HQ (its timeout is 800 ms each)
    expect(saleA.quote.status).toBe('paid');
    expect(saleB.quote.status).toBe('paid');

    chain.proxies.a!.heal();
    chain.proxies.b!.heal();
    const conflicts = await waitFor(
      'HQ records the overspend',
      async () => {
        const r = await hq('/ledger/conflicts?kind=points_overspend');
        return r.conflicts?.length ? r.conflicts : undefined;
      },
      30_000,
    );
    expect(conflicts).toHaveLength(1);
    expect([saleA.quote.saleId, saleB.quote.saleId]).toContain(conflicts[0].saleId);
    const other = conflicts[0].saleId === saleA.quote.saleId ? saleB.quote.saleId : saleA.quote.saleId;
    expect(conflicts[0].others.map((o: J) => o.saleId)).toContain(other);
    const balance = (await hq(`/members/${member}`)).balance;
    expect(balance).toBeLessThan(0);
    expect(balance).toBeGreaterThanOrEqual(-CAP);
    await waitFor(
      'both stores on HQ’s figure',
      async () =>
        atStore('a')?.hq_points === balance && atStore('b')?.hq_points === balance ? true : undefined,
      20_000,
    );
    expect(atStore('a')!.points).toBe(0);
    expect(atStore('b')!.points).toBe(0);
  }, 90_000);
});
