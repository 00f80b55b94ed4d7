// A small chain for end-to-end tests: a throwaway PostgreSQL, mosquitto, HQ's service
// (ingest workers with HQ's push key, and its API), and real store daemons, each
// reaching the broker through its own TCP proxy so a test can cut one store off.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { expect } from 'vitest';
import { loadHqConfig } from '../../hq/config.js';
import { type HqService, hqService } from '../../hq/service.js';
import { hashPin } from '../../sync/kernel/pin.js';
import { signPush } from '../../sync/signing.js';
import { type RunningDaemon, startDaemon } from './daemon.js';
import { type Broker, startMosquitto } from './mosquitto.js';
import { waitFor } from './ports.js';
import { type Postgres, startPostgres } from './postgres.js';
import { startProxy, type Proxy as TcpProxy } from './proxy.js';
import { idempotencyKey, storeClient } from './typed-client.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in end-to-end tests
type J = any;

export const SEED = resolve('config/demo/catalog.json');
export const KIOSK_TOKEN = 'kiosk-1-chain-test-token-0001';
const MGR_PIN_1234 = 'scrypt$16384$8$1$ukQq8eNyELlCEHKfakXrhA==$VBMG/Hq41EqSyiJ+PqhdXn0DaQB8d9FGA1EEM0jp//A=';
const WATER = '6911001001016'; // ¥2 a bottle

export interface Chain {
  pg: Postgres;
  broker: Broker;
  hq: HqService;
  /** HQ's API (analyst `ana` / `ana-password`) */
  hqUrl: string;
  stores: Record<string, RunningDaemon>;
  /** a store's SQLite file (read it read-only while the daemon runs) */
  dbPath(store: string): string;
  proxies: Record<string, TcpProxy>;
  pushKey: ReturnType<typeof generateKeyPairSync>;
  call(
    store: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: J }>;
  /** a kiosk cart with `bottles` of water (¥2 each) */
  cart(store: string, bottles?: number): Promise<string>;
  /** checkout, points (if any), then cash for the rest; the tender's answer */
  pay(store: string, cartId: string, points?: number): Promise<J>;
  staffToken(store: string): Promise<string>;
  linkUp(store: string): Promise<boolean>;
  /** an HQ push to every store, signed as HQ's API signs it */
  pushAll(dataset: string, version: number, body: unknown): Promise<void>;
  stop(): Promise<void>;
}

/** HQ for a test: PostgreSQL, mosquitto, HQ's service with its push key, its API on a free
 * port, and two users: `ana` (analyst, `ana-password`) and `ops` (operator, `ops-password`). */
export interface TestHq {
  pg: Postgres;
  broker: Broker;
  hq: HqService;
  url: string;
  pushKey: ReturnType<typeof generateKeyPairSync>;
  /** a session token of `ana` or `ops` */
  token(user: 'ana' | 'ops'): Promise<string>;
  stop(): Promise<void>;
}

export async function startHq(
  o: { workers?: number; rolloutTickMs?: number; extraYaml?: string } = {},
): Promise<TestHq> {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-hq-'));
  const [pg, broker] = await Promise.all([startPostgres(), startMosquitto()]);
  const pushKey = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, 'hq.key.pem'), pushKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(
    join(dir, 'hq.yaml'),
    `db: ${pg.url}
broker: { url: ${broker.url} }
http: { port: 0 }
ingest: { workers: ${o.workers ?? 1}, gapTimeoutMs: 500 }
releases: { tickMs: ${o.rolloutTickMs ?? 2000} }
signingKeyFile: ./hq.key.pem
users:
  - { id: ana, role: analyst, passwordHash: "${hashPin('ana-password')}" }
  - { id: ops, role: operator, passwordHash: "${hashPin('ops-password')}" }
logLevel: warn
${o.extraYaml ?? ''}
`,
  );
  const hq = hqService(loadHqConfig(join(dir, 'hq.yaml')), {
    id: 'test',
    log: pino({ level: 'silent' }),
    http: true,
  });
  await hq.lifecycle.start();
  const url = hq.http!.address;
  return {
    pg,
    broker,
    hq,
    url,
    pushKey,
    async token(user) {
      const r = await fetch(`${url}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: user, password: `${user}-password` }),
      });
      return ((await r.json()) as J).token;
    },
    async stop() {
      await hq.lifecycle.stop();
      await broker.stop();
      await pg.stop();
    },
  };
}

/** The demo store (config/demo-store.yaml: simulated devices, the sample clip) on its own
 * database, synced to a test HQ and trusting HQ's push key. */
export function startDemoStoreOn(hq: TestHq, env: NodeJS.ProcessEnv = {}): Promise<RunningDaemon> {
  return startDaemon(['--config', 'config/demo-store.yaml'], {
    STOREEDGE_HTTP__PORT: '0',
    STOREEDGE_DB__PATH: join(mkdtempSync(join(tmpdir(), 'storeedge-demo-')), 'store.db'),
    STOREEDGE_MQTT__ENABLED: 'true',
    STOREEDGE_MQTT__URL: hq.broker.url,
    STOREEDGE_SECURITY__HQ_SIGNING_PUBLIC_KEY: hq.pushKey.publicKey
      .export({ type: 'spki', format: 'pem' })
      .toString(),
    ...env,
  });
}

export async function startChain(
  ids: string[],
  o: { hqRequestTimeoutMs?: number; offlineCap?: number } = {},
): Promise<Chain> {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-chain-'));
  const base = await startHq();
  const { pg, broker, hq, pushKey } = base;
  const proxies: Record<string, TcpProxy> = {};
  const stores: Record<string, RunningDaemon> = {};
  const brokerPort = Number(new URL(broker.url).port);
  await Promise.all(
    ids.map(async (id) => {
      proxies[id] = await startProxy(brokerPort);
      mkdirSync(join(dir, id), { recursive: true });
      const file = join(dir, id, 'store.yaml');
      writeFileSync(
        file,
        `store: { id: chain-${id} }
http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${SEED} }
mqtt: { enabled: true, url: "${proxies[id]!.url}", hqRequestTimeoutMs: ${o.hqRequestTimeoutMs ?? 800}, reconnect: { baseMs: 200, capMs: 1000 } }
loyalty: { offlineSpendCapPerDay: ${o.offlineCap ?? 500} }
security:
  hqSigningPublicKey: ${JSON.stringify(pushKey.publicKey.export({ type: 'spki', format: 'pem' }).toString())}
  kioskTokens:
    - { kioskId: kiosk-1, token: ${KIOSK_TOKEN} }
  staff:
    - { id: mgr-1, name: Manager, role: manager, pinHash: "${MGR_PIN_1234}" }
`,
      );
      stores[id] = await startDaemon(['--config', file]);
    }),
  );
  let n = 0;
  const call: Chain['call'] = async (store, method, path, body, headers = {}) => {
    const res = await fetch(`${stores[store]!.address}/api/v1${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(method !== 'GET' ? { 'idempotency-key': `chain-${process.pid}-${++n}` } : {}),
        authorization: `Bearer ${KIOSK_TOKEN}`,
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as J };
  };
  const linkUp = async (store: string) =>
    ((await (await fetch(`${stores[store]!.address}/readyz`)).json()) as J).parts.find(
      (p: J) => p.name === 'sync',
    ).details.link === 'up';
  const chain: Chain = {
    pg,
    broker,
    hq,
    hqUrl: hq.http!.address,
    stores,
    dbPath: (store) => join(dir, store, 'store.db'),
    proxies,
    pushKey,
    call,
    linkUp,
    async cart(store, bottles = 20) {
      // through the typed client: the contract's types check this helper's calls
      const api = storeClient(stores[store]!.address, { authorization: `Bearer ${KIOSK_TOKEN}` });
      const c = await api.POST('/api/v1/carts', {
        params: { header: { 'idempotency-key': idempotencyKey() } },
        body: { channel: 'kiosk', kioskId: 'kiosk-1' },
      });
      expect(c.response.status).toBe(201);
      const cartId = c.data!.cartId;
      const scan = await api.POST('/api/v1/carts/{cartId}/scans', {
        params: { path: { cartId }, header: { 'idempotency-key': idempotencyKey() } },
        body: { code: WATER, qty: bottles },
      });
      expect(scan.response.status).toBeLessThan(300);
      return cartId;
    },
    async pay(store, cartId, points = 0) {
      const api = storeClient(stores[store]!.address, { authorization: `Bearer ${KIOSK_TOKEN}` });
      const q = await api.POST('/api/v1/carts/{cartId}/checkout', {
        params: { path: { cartId }, header: { 'idempotency-key': idempotencyKey() } },
        body: {},
      });
      expect(q.response.status).toBe(200);
      let due = q.data!.dueFen;
      if (points) {
        const p = await call(store, 'POST', `/carts/${cartId}/tenders`, { kind: 'points', points });
        if (p.status >= 400) return p.body;
        due = p.body.quote?.dueFen ?? 0;
        if (!due) return p.body;
      }
      const paid = await call(store, 'POST', `/carts/${cartId}/tenders`, { kind: 'cash', tenderedFen: due });
      expect(paid.status).toBe(201);
      return paid.body;
    },
    async staffToken(store) {
      const r = await call(
        store,
        'POST',
        '/staff/sessions',
        { staffId: 'mgr-1', pin: '1234' },
        { authorization: '' },
      );
      return r.body.token;
    },
    async pushAll(dataset, version, body) {
      const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      const msg = signPush(pushKey.privateKey, { dataset, version, issuedAt: Date.now(), body });
      await c.publishAsync(`storeedge/v1/all/cmd/${dataset}`, JSON.stringify(msg), { qos: 1 });
      await c.endAsync();
    },
    async stop() {
      await Promise.all(Object.values(stores).map((s) => s.stop('SIGTERM')));
      await Promise.all(Object.values(proxies).map((p) => p.close()));
      await base.stop();
    },
  };
  await waitFor(
    'every store linked to HQ',
    async () => ((await Promise.all(ids.map(linkUp))).every(Boolean) ? true : undefined),
    20_000,
  );
  return chain;
}
