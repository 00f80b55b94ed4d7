// Chain coupons across two real store daemons and HQ (issue 15): a coupon HQ issued is
// held at HQ for the cart that shows it, so online a second store is refused; a
// cancelled cart lets it go; with HQ out of reach the campaign's offline policy decides
// within the configured timeout (accept, or refuse), and HQ reports the second
// redemption when the store is back. Real mosquitto, PostgreSQL, HQ's service, and a
// TCP proxy between store B and the broker.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { couponKeysBody, couponKid, issueChainCoupon } from '../../hq/ledger/chain-coupons.js';
import { type Chain, SEED, startChain } from '../helpers/chain.js';
import { waitFor } from '../helpers/ports.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const couponKeys = generateKeyPairSync('ed25519');
const KID = couponKid(couponKeys.publicKey);
let chain: Chain;
let n = 0;

const call = (s: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  chain.call(s, method, path, body, headers);
const cart = (s: string) => chain.cart(s);
const pay = (s: string, cartId: string) => chain.pay(s, cartId);
const linkUp = (s: string) => chain.linkUp(s);

const code = (couponId: string, campaignId = 'welcome-5') =>
  issueChainCoupon(couponKeys.privateKey, KID, { couponId, campaignId, expiresAt: Date.now() + 86_400_000 });

beforeAll(async () => {
  chain = await startChain(['a', 'b']);
  // HQ's coupon key, and a campaign whose chain coupons are refused while HQ is away
  await chain.pushAll('coupon_keys', 1, couponKeysBody(couponKeys.publicKey));
  const campaigns = JSON.parse(readFileSync(SEED, 'utf8')).couponCampaigns;
  const welcome = campaigns.campaigns.find((c: J) => c.id === 'welcome-5');
  const strict = { ...welcome, id: 'chain-strict', offline: { accept: false } };
  // one coupon for the whole chain, claimed online and apart from HQ
  const one = { ...welcome, id: 'chain-one', totalQuota: 1 };
  const once = { ...welcome, id: 'chain-once', totalQuota: 1 };
  await chain.pushAll('coupon_campaigns', 2, {
    ...campaigns,
    version: 2,
    campaigns: [...campaigns.campaigns, strict, one, once],
  });
  // a coupon shown before the pushes land would be unknown: wait until both stores take one
  for (const s of ['a', 'b'])
    await waitFor(
      `store ${s} knows HQ's coupon key and the strict campaign`,
      async () => {
        const c = await cart(s);
        const r = await call(s, 'POST', `/carts/${c}/coupons`, {
          code: code(`probe-${s}-${++n}`, 'chain-strict'),
        });
        return r.status === 200 ? true : undefined;
      },
      15_000,
    );
}, 120_000);

afterAll(async () => {
  await chain?.stop();
});

describe('chain coupons', () => {
  it('online: held at HQ for the first cart; a second store is refused, before and after the sale', async () => {
    const c = code('CHAIN-A1');
    const atA = await cart('a');
    const shown = await call('a', 'POST', `/carts/${atA}/coupons`, { code: c });
    expect(shown.status).toBe(200);
    expect(shown.body.coupons.map((x: J) => x.couponId)).toContain('CHAIN-A1');

    const atB = await cart('b');
    const refused = await call('b', 'POST', `/carts/${atB}/coupons`, { code: c });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('COUPON_REDEEMED_ELSEWHERE');
    expect(refused.body.error.message).toMatch(/held for a sale at store chain-a/);
    // B's cart does not keep it
    expect((await call('b', 'GET', `/carts/${atB}`)).body.couponDiscountFen).toBe(0);

    const sale = await pay('a', atA);
    expect(sale.quote.couponDiscountFen).toBe(500);
    await waitFor('HQ has the redemption', async () => {
      const r = await call('b', 'POST', `/carts/${atB}/coupons`, { code: c });
      return r.status === 409 && /already redeemed at store chain-a/.test(r.body.error.message)
        ? r
        : undefined;
    });
  });

  it('a cancelled cart lets its coupon go', async () => {
    const c = code('CHAIN-C1');
    const atA = await cart('a');
    expect((await call('a', 'POST', `/carts/${atA}/coupons`, { code: c })).status).toBe(200);
    const cancel = await call('a', 'POST', `/staff/carts/${atA}/cancel`, { reason: 'shopper left' });
    expect(cancel.status).toBe(401); // staff only
    const token = await chain.staffToken('a');
    const ok = await call(
      'a',
      'POST',
      `/staff/carts/${atA}/cancel`,
      { reason: 'shopper left' },
      { 'x-staff-token': token },
    );
    expect(ok.status).toBe(200);
    const atB = await cart('b');
    await waitFor('B may take it now', async () =>
      (await call('b', 'POST', `/carts/${atB}/coupons`, { code: c })).status === 200 ? true : undefined,
    );
  });

  it('a campaign quota counts across the chain: a second store is refused online; apart from HQ it counts alone and HQ reports the excess', async () => {
    // a member of each store, signed in on their phone
    const session = async (s: string) => {
      const token = await chain.staffToken(s);
      const m = await call(s, 'POST', '/staff/members', { name: 'Q' }, { 'x-staff-token': token });
      const r = await call(s, 'POST', '/members/sessions', { code: m.body.code });
      return r.body.token as string;
    };
    const [atA, atB] = [await session('a'), await session('b')];
    const claim = (s: string, who: string, campaignId: string) =>
      call(s, 'POST', '/coupons/claim', { campaignId }, { 'x-member-session': who });

    expect((await claim('a', atA, 'chain-one')).status).toBe(201);
    const refused = await claim('b', atB, 'chain-one');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/quota of 1 is used up across the chain/);

    chain.proxies.b!.cut();
    await waitFor('B knows it is apart', async () => ((await linkUp('b')) ? undefined : true), 10_000);
    expect((await claim('a', atA, 'chain-once')).status).toBe(201);
    // B alone has issued none of it: it lets the claim through
    expect((await claim('b', atB, 'chain-once')).status).toBe(201);
    chain.proxies.b!.heal();
    const conflict = await waitFor(
      'HQ reports the coupon past the quota',
      async () => {
        const r = await chain.hq.pool!.query(
          "SELECT store_id, campaign_id FROM ledger_conflicts WHERE kind = 'quota_exceeded'",
        );
        return r.rows.length ? r.rows : undefined;
      },
      20_000,
    );
    expect(conflict).toEqual([{ store_id: 'chain-b', campaign_id: 'chain-once' }]);
  });

  it('HQ out of reach: the campaign decides within the timeout, and HQ reports the second redemption after', async () => {
    const c = code('CHAIN-OFF1');
    chain.proxies.b!.cut();
    await waitFor('B knows it is apart', async () => ((await linkUp('b')) ? undefined : true), 10_000);
    // accepted offline (the demo campaign sets no policy: accept), at once
    const atB = await cart('b');
    let t0 = Date.now();
    expect((await call('b', 'POST', `/carts/${atB}/coupons`, { code: c })).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(800);
    const saleB = await pay('b', atB);
    expect(saleB.quote.couponDiscountFen).toBe(500);
    // a campaign that needs HQ is refused offline, and the cart keeps nothing of it
    const strictCart = await cart('b');
    const strict = await call('b', 'POST', `/carts/${strictCart}/coupons`, {
      code: code('CHAIN-S1', 'chain-strict'),
    });
    expect(strict.status).toBe(409);
    expect(strict.body.error.code).toBe('COUPON_NEEDS_HQ');

    // meanwhile A, online, redeems the same coupon: HQ has not heard of B's sale yet
    const atA = await cart('a');
    expect((await call('a', 'POST', `/carts/${atA}/coupons`, { code: c })).status).toBe(200);
    const saleA = await pay('a', atA);

    chain.proxies.b!.heal();
    const r = await waitFor(
      'HQ reports the coupon used twice',
      async () => {
        const list = await chain.hq.pool!.query(
          "SELECT store_id, sale_id, others FROM ledger_conflicts WHERE kind = 'coupon_reuse' AND coupon_id = 'CHAIN-OFF1'",
        );
        return list.rows.length ? list.rows : undefined;
      },
      20_000,
    );
    expect(r).toHaveLength(1);
    const pair = [r[0].sale_id, r[0].others[0].saleId].sort();
    expect(pair).toEqual([saleA.quote.saleId, saleB.quote.saleId].sort());

    // HQ up but silent (its workers stopped): the store waits no longer than its timeout
    await waitFor('B back online', async () => ((await linkUp('b')) ? true : undefined), 15_000);
    await chain.hq.lifecycle.stop();
    const late = await cart('b');
    t0 = Date.now();
    expect((await call('b', 'POST', `/carts/${late}/coupons`, { code: code('CHAIN-LATE') })).status).toBe(
      200,
    );
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(700);
    expect(waited).toBeLessThan(3000); // bounded by the timeout, with room for a busy machine
    await pay('b', late);
  });
});
