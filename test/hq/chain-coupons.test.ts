// Chain coupons across two real store daemons and HQ (issue 15): a coupon HQ issued is
// held at HQ for the cart that shows it, so online a second store is refused; a
// cancelled cart lets it go; with HQ out of reach the campaign's offline policy decides
// within the configured timeout (accept, or refuse), and HQ reports the second
// redemption when the store is back. Real mosquitto, PostgreSQL, HQ's service, and a
// TCP proxy between store B and the broker.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPin } from '../../edge/checkout/staff.js';
import { loadHqConfig } from '../../hq/config.js';
import { couponKeysBody, couponKid, issueChainCoupon } from '../../hq/ledger/chain-coupons.js';
import { type HqService, hqService } from '../../hq/service.js';
import { signPush } from '../../sync/signing.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';
import { startProxy, type Proxy as TcpProxy } from '../helpers/proxy.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const dir = mkdtempSync(join(tmpdir(), 'storeedge-chain-coupons-'));
const SEED = resolve('config/demo/catalog.json');
const pushKeys = generateKeyPairSync('ed25519');
const couponKeys = generateKeyPairSync('ed25519');
const KID = couponKid(couponKeys.publicKey);
const TOKEN = 'kiosk-1-chain-coupon-token-0001';
const MGR_PIN_1234 = 'scrypt$16384$8$1$ukQq8eNyELlCEHKfakXrhA==$VBMG/Hq41EqSyiJ+PqhdXn0DaQB8d9FGA1EEM0jp//A=';
const WATER = '6911001001016'; // ¥2

let pgs: Postgres;
let broker: Broker;
let proxy: TcpProxy;
let svc: HqService;
const stores: Record<'a' | 'b', RunningDaemon> = {} as never;
let n = 0;

async function call(s: 'a' | 'b', method: string, path: string, body?: unknown, auth = `Bearer ${TOKEN}`) {
  const res = await fetch(`${stores[s].address}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'idempotency-key': `chain-${++n}` } : {}),
      authorization: auth,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as J };
}

/** A kiosk cart at store s with ¥40 of water (over the demo welcome coupon's ¥30). */
async function cart(s: 'a' | 'b'): Promise<string> {
  const c = await call(s, 'POST', '/carts', { channel: 'kiosk', kioskId: 'kiosk-1' });
  expect(c.status).toBe(201);
  expect(
    (await call(s, 'POST', `/carts/${c.body.cartId}/scans`, { code: WATER, qty: 20 })).status,
  ).toBeLessThan(300);
  return c.body.cartId;
}

const code = (couponId: string, campaignId = 'welcome-5') =>
  issueChainCoupon(couponKeys.privateKey, KID, { couponId, campaignId, expiresAt: Date.now() + 86_400_000 });

async function pay(s: 'a' | 'b', cartId: string): Promise<J> {
  const q = await call(s, 'POST', `/carts/${cartId}/checkout`, {});
  expect(q.status).toBe(200);
  const paid = await call(s, 'POST', `/carts/${cartId}/tenders`, {
    kind: 'cash',
    tenderedFen: q.body.dueFen,
  });
  expect(paid.status).toBe(201);
  return paid.body;
}

/** HQ's signed push to every store, as HQ's API sends it. */
async function pushAll(dataset: string, version: number, body: unknown): Promise<void> {
  const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  const msg = signPush(pushKeys.privateKey, { dataset, version, issuedAt: Date.now(), body });
  await c.publishAsync(`storeedge/v1/all/cmd/${dataset}`, JSON.stringify(msg), { qos: 1 });
  await c.endAsync();
}

async function storeConfig(id: 'a' | 'b', url: string): Promise<string> {
  mkdirSync(join(dir, id), { recursive: true });
  const file = join(dir, id, 'store.yaml');
  writeFileSync(
    file,
    `store: { id: chain-${id} }
http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${SEED} }
mqtt: { enabled: true, url: "${url}", hqRequestTimeoutMs: 800, reconnect: { baseMs: 200, capMs: 1000 } }
security:
  hqSigningPublicKey: ${JSON.stringify(pushKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString())}
  kioskTokens:
    - { kioskId: kiosk-1, token: ${TOKEN} }
  staff:
    - { id: mgr-1, name: Manager, role: manager, pinHash: "${MGR_PIN_1234}" }
`,
  );
  return file;
}

const linkUp = async (s: 'a' | 'b') =>
  ((await (await fetch(`${stores[s].address}/readyz`)).json()) as J).parts.find((p: J) => p.name === 'sync')
    .details.link === 'up';

beforeAll(async () => {
  [pgs, broker] = await Promise.all([startPostgres(), startMosquitto()]);
  proxy = await startProxy(Number(new URL(broker.url).port));
  writeFileSync(join(dir, 'hq.key.pem'), pushKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(
    join(dir, 'hq.yaml'),
    `db: ${pgs.url}
broker: { url: ${broker.url} }
http: { port: 0 }
ingest: { workers: 1, gapTimeoutMs: 500 }
signingKeyFile: ./hq.key.pem
users:
  - { id: ana, role: analyst, passwordHash: "${hashPin('ana-password')}" }
logLevel: warn
`,
  );
  svc = hqService(loadHqConfig(join(dir, 'hq.yaml')), {
    id: 'chain',
    log: pino({ level: 'silent' }),
    http: true,
  });
  await svc.lifecycle.start();
  [stores.a, stores.b] = await Promise.all([
    startDaemon(['--config', await storeConfig('a', broker.url)]),
    startDaemon(['--config', await storeConfig('b', proxy.url)]),
  ]);
  await waitFor(
    'both stores linked',
    async () => ((await linkUp('a')) && (await linkUp('b')) ? true : undefined),
    20_000,
  );
  // HQ's coupon key, and a campaign whose chain coupons are refused while HQ is away
  await pushAll('coupon_keys', 1, couponKeysBody(couponKeys.publicKey));
  const campaigns = JSON.parse(readFileSync(SEED, 'utf8')).couponCampaigns;
  const strict = {
    ...campaigns.campaigns.find((c: J) => c.id === 'welcome-5'),
    id: 'chain-strict',
    offline: { accept: false },
  };
  await pushAll('coupon_campaigns', 2, {
    ...campaigns,
    version: 2,
    campaigns: [...campaigns.campaigns, strict],
  });
  // a coupon shown before the pushes land would be unknown: wait until both verify one
  await waitFor(
    'stores know HQ’s coupon key and the strict campaign',
    async () => {
      const c = await cart('a');
      const r = await call('a', 'POST', `/carts/${c}/coupons`, { code: code(`probe-${n}`, 'chain-strict') });
      return r.status === 200 ? true : undefined;
    },
    15_000,
  );
}, 120_000);

afterAll(async () => {
  for (const s of Object.values(stores)) await s?.stop('SIGTERM');
  await svc?.lifecycle.stop();
  await proxy?.close();
  await broker?.stop();
  await pgs?.stop();
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
    const staff = await call('a', 'POST', '/staff/sessions', { staffId: 'mgr-1', pin: '1234' }, '');
    const cancel = await call('a', 'POST', `/staff/carts/${atA}/cancel`, { reason: 'shopper left' }, '');
    expect(cancel.status).toBe(401); // staff only
    const ok = await fetch(`${stores.a.address}/api/v1/staff/carts/${atA}/cancel`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': `cancel-${n++}`,
        'x-staff-token': staff.body.token,
      },
      body: JSON.stringify({ reason: 'shopper left' }),
    });
    expect(ok.status).toBe(200);
    const atB = await cart('b');
    await waitFor('B may take it now', async () =>
      (await call('b', 'POST', `/carts/${atB}/coupons`, { code: c })).status === 200 ? true : undefined,
    );
  });

  it('HQ out of reach: the campaign decides within the timeout, and HQ reports the second redemption after', async () => {
    const c = code('CHAIN-OFF1');
    proxy.cut();
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

    proxy.heal();
    const r = await waitFor(
      'HQ reports the coupon used twice',
      async () => {
        const list = await svc.pool!.query(
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
    await svc.lifecycle.stop();
    const late = await cart('b');
    t0 = Date.now();
    expect((await call('b', 'POST', `/carts/${late}/coupons`, { code: code('CHAIN-LATE') })).status).toBe(
      200,
    );
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(700);
    expect(waited).toBeLessThan(1500);
    await pay('b', late);
  });
});
