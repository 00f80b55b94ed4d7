// HQ's API over a real PostgreSQL and mosquitto, fed by virtual stores running the
// store's real checkout and sync code: sign-in with roles, stores and their state,
// sales by day with lines, people counts, the quarantine, and pushes to some stores or
// all with each store's own answer; then every route fuzzed: never a 5xx, and a refused
// request changes nothing.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../bench/fleet/fleet.js';
import { loadHqConfig } from '../../hq/config.js';
import { type HqService, hqService } from '../../hq/service.js';
import { localIsoDate } from '../../sync/kernel/local-day.js';
import { hashPin } from '../../sync/kernel/pin.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in tests
type J = any;

const dir = mkdtempSync(join(tmpdir(), 'storeedge-hq-api-'));
let pgs: Postgres;
let broker: Broker;
let svc: HqService;
let fleet: Fleet;
let base = '';
const tokens: Record<string, string> = {};

async function call(
  method: string,
  path: string,
  body?: unknown,
  as?: string,
): Promise<{ status: number; body: J }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(as ? { authorization: `Bearer ${tokens[as]}` } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  [pgs, broker] = await Promise.all([startPostgres(), startMosquitto()]);
  const keys = generateKeyPairSync('ed25519');
  const keyFile = join(dir, 'hq-push.key.pem');
  writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(
    join(dir, 'hq.yaml'),
    `db: ${pgs.url}
broker: { url: ${broker.url} }
http: { port: 0 }
ingest: { workers: 2, gapTimeoutMs: 1000 }
signingKeyFile: ./hq-push.key.pem
users:
  - { id: ana, role: analyst, passwordHash: "${hashPin('read-only', undefined, 1024)}" }
  - { id: ops, role: operator, passwordHash: "${hashPin('push-it', undefined, 1024)}" }
`,
  );
  svc = hqService(loadHqConfig(join(dir, 'hq.yaml')), {
    id: 'api-test',
    log: pino({ level: 'silent' }),
    http: true,
  });
  await svc.lifecycle.start();
  base = svc.http!.address;
  fleet = new Fleet({
    stores: 4,
    broker: broker.url,
    seedFile: resolve('config/demo/catalog.json'),
    salesPerSecond: 0,
    members: 3,
    seed: 5,
    idPrefix: 'api',
    hqSigningPublicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  for (const s of fleet.stores) for (let i = 0; i < 6; i++) s.sale();
  for (const s of fleet.stores) for (let i = 0; i < 15; i++) s.footfall();
  fleet.start();
  const totals = fleet.totals();
  await waitFor(
    'HQ has the stores',
    async () => {
      const r = await svc.pool!.query('SELECT store_id, contiguous_seq FROM store_watermarks');
      const at = new Map(
        r.rows.map((x: { store_id: string; contiguous_seq: number }) => [x.store_id, x.contiguous_seq]),
      );
      return [...totals].every(([id, t]) => at.get(id) === t.maxSeq) ? true : undefined;
    },
    30_000,
  );
}, 90_000);

afterAll(async () => {
  await fleet?.stop();
  if (svc) expect(await svc.lifecycle.stop()).toBe(true);
  await broker?.stop();
  await pgs?.stop();
});

describe('HQ API', () => {
  it('signs users in with roles; nothing without a session', async () => {
    expect((await call('GET', '/stores')).status).toBe(401);
    expect((await call('POST', '/sessions', { userId: 'ana', password: 'nope' })).status).toBe(401);
    for (const [id, password] of [
      ['ana', 'read-only'],
      ['ops', 'push-it'],
    ] as const) {
      const r = await call('POST', '/sessions', { userId: id, password });
      expect(r.status).toBe(201);
      tokens[id] = r.body.token;
    }
    expect((await call('GET', '/stores', undefined, 'ana')).status).toBe(200);
  });

  it('lists stores with their state and watermark, paged', async () => {
    const first = await call('GET', '/stores?limit=3', undefined, 'ana');
    expect(first.body.stores.map((s: J) => s.storeId)).toEqual(['api-0001', 'api-0002', 'api-0003']);
    expect(first.body.next).toBe('api-0003');
    const rest = await call('GET', `/stores?limit=3&after=${first.body.next}`, undefined, 'ana');
    expect(rest.body).toMatchObject({ stores: [{ storeId: 'api-0004' }], next: null });
    const one = (await call('GET', '/stores/api-0002', undefined, 'ana')).body;
    const t = fleet.totals().get('api-0002')!;
    expect(one).toMatchObject({
      online: true,
      version: 'fleet',
      events: { contiguousSeq: t.maxSeq, stored: t.maxSeq },
    });
    expect((await call('GET', '/stores/nope', undefined, 'ana')).status).toBe(404);
  });

  it("a store's sales of a day, with lines and payments, equal the store's own", async () => {
    const day = localIsoDate(Date.now(), 'Asia/Shanghai');
    const r = await call('GET', `/stores/api-0001/sales?day=${day}&limit=4`, undefined, 'ana');
    expect(r.status).toBe(200);
    expect(r.body.sales).toHaveLength(4);
    expect(r.body.sales[0].lines.length).toBeGreaterThan(0);
    expect(r.body.sales[0].payments[0]).toMatchObject({
      kind: expect.any(String),
      amountFen: expect.any(Number),
    });
    const more = await call(
      'GET',
      `/stores/api-0001/sales?day=${day}&after=${r.body.next}`,
      undefined,
      'ana',
    );
    const all = [...r.body.sales, ...more.body.sales];
    const t = fleet.totals().get('api-0001')!;
    expect(all.length).toBe(t.sales);
    expect(all.reduce((a: number, s: J) => a + s.totalFen, 0)).toBe(t.totalFen);
    for (const bad of ['2026-13-45', '2026-02-30'])
      expect((await call('GET', `/stores/api-0001/sales?day=${bad}`, undefined, 'ana')).body.error.code).toBe(
        'BAD_DAY',
      );
    expect(
      (await call('GET', `/stores/api-0001/sales?day=${day}&tz=Mars/Olympus`, undefined, 'ana')).body.error
        .code,
    ).toBe('BAD_TIME_ZONE');
  });

  it('people counts per hour from the stores’ vision events', async () => {
    const now = Date.now();
    const r = await call(
      'GET',
      `/stores/api-0001/counts?from=${now - 86_400_000}&to=${now + 3_600_000}`,
      undefined,
      'ana',
    );
    expect(r.status).toBe(200);
    const stored = fleet.stores[0]!.db.prepare(
      `SELECT coalesce(sum(ins), 0) FROM vision_counts WHERE res = '1h'`,
    )
      .pluck()
      .get() as number;
    expect(stored).toBeGreaterThan(0);
    expect(r.body.hours.reduce((a: number, h: J) => a + h.ins, 0)).toBe(stored);
    expect(
      (await call('GET', `/stores/api-0001/counts?from=10&to=5`, undefined, 'ana')).body.error.code,
    ).toBe('BAD_RANGE');
  });

  it('shows quarantined input with its reason', async () => {
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    await c.publishAsync('storeedge/v1/api-0003/evt/sale.completed', '{"storeId":"api-0003","seq":0}', {
      qos: 1,
    });
    await c.endAsync();
    const q = await waitFor('quarantined', async () => {
      const r = await call('GET', '/quarantine?store=api-0003', undefined, 'ana');
      return r.body.entries.length ? r.body.entries : undefined;
    });
    expect(q[0]).toMatchObject({
      storeId: 'api-0003',
      reason: 'malformed',
      detail: expect.stringMatching(/seq/),
    });
  });

  it('pushes to some stores or all, and shows what each store answered', async () => {
    const promos = (await import('../../config/demo/catalog.json', { with: { type: 'json' } })).default
      .promotions;
    const doc = { ...promos, version: 2 };
    expect(
      (
        await call(
          'POST',
          '/pushes',
          { dataset: 'promotions', version: 2, body: doc, stores: ['api-0001'] },
          'ana',
        )
      ).status,
    ).toBe(403);
    const sent = await call(
      'POST',
      '/pushes',
      { dataset: 'promotions', version: 2, body: doc, stores: ['api-0001', 'api-0002'] },
      'ops',
    );
    expect(sent).toMatchObject({ status: 202, body: { targets: 2 } });
    const done = await waitFor(
      'stores answered',
      async () => {
        const s = (await call('GET', `/pushes/${sent.body.id}`, undefined, 'ana')).body;
        return s.counts.pending === 0 ? s : undefined;
      },
      20_000,
    );
    expect(done.stores).toEqual([
      { storeId: 'api-0001', status: 'applied', problems: [] },
      { storeId: 'api-0002', status: 'applied', problems: [] },
    ]);
    // the store's state says which version it runs now
    expect((await call('GET', '/stores/api-0001', undefined, 'ana')).body.datasets).toEqual({
      promotions: 2,
    });
    expect((await call('GET', '/stores/api-0003', undefined, 'ana')).body.datasets).toEqual({});
    // the same version again is refused at HQ; so is a document that breaks its dataset's
    // schema (the one the stores check it by), whole, saying what is wrong: nothing is sent
    expect(
      (await call('POST', '/pushes', { dataset: 'promotions', version: 2, body: doc, all: true }, 'ops')).body
        .error.code,
    ).toBe('VERSION_EXISTS');
    const bad = await call(
      'POST',
      '/pushes',
      { dataset: 'promotions', version: 3, body: { version: 3, promotions: [{ id: 1 }] }, all: true },
      'ops',
    );
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('INVALID_PUSH');
    expect(bad.body.error.details).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/body\/promotions\/0/)]),
    );
    const pushes = (await call('GET', '/pushes', undefined, 'ana')).body.pushes;
    expect(pushes.map((p: { version: number }) => p.version)).not.toContain(3);
    expect((await call('GET', '/stores/api-0001', undefined, 'ana')).body.datasets).toEqual({
      promotions: 2,
    });
    expect(
      (await call('POST', '/pushes', { dataset: 'toaster', version: 1, body: {}, all: true }, 'ops')).body
        .error.code,
    ).toBe('UNKNOWN_DATASET');
    expect(
      (
        await call(
          'POST',
          '/pushes',
          { dataset: 'promotions', version: 9, body: doc, stores: ['ghost'] },
          'ops',
        )
      ).body.error.code,
    ).toBe('UNKNOWN_STORE');
  });

  it('metrics: what the workers did and what the database says of the chain', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/hq_quarantine_entries\{reason="malformed"\} 1/);
    expect(text).toMatch(/hq_stores\{state="known"\} 4/);
    expect(Number(/hq_ingest_messages\{outcome="fresh"\} (\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
  });

  it('fuzzed: every route and method with generated input, never a 5xx, and a refusal changes nothing', async () => {
    const pool = svc.pool!;
    const snapshot = async () =>
      (
        await pool.query(
          'SELECT (SELECT count(*) FROM pushes) AS p, (SELECT count(*) FROM push_targets) AS t',
        )
      ).rows[0];
    const before = await snapshot();
    const paths = [
      '/sessions',
      '/stores',
      '/stores/api-0001',
      '/stores/api-0001/sales',
      '/stores/api-0001/counts',
      '/stores/api-0001/heatmap',
      '/quarantine',
      '/pushes',
      '/pushes/1',
      '/groups',
      '/stores/api-0001/profile',
      '/stores/api-0001/floor-plan',
      '/stores/api-0001/layout',
      '/figures/stores',
      '/figures/stores/api-0001',
      '/figures/zones',
      '/figures/zone-types',
      '/figures/campaigns',
      '/figures/compare',
      '/ledger/conflicts',
      '/members/M1',
    ];
    const junk = fc.oneof(
      fc.constant(''),
      fc.string({ maxLength: 40 }),
      fc.integer().map(String),
      fc.constantFrom(
        '-1',
        '0',
        '1e9',
        '99999999999999999999',
        '2026-13-45',
        '../etc',
        '%00',
        'NaN',
        '[]',
        '{}',
      ),
    );
    const query = fc.dictionary(
      fc.constantFrom(
        'day',
        'tz',
        'limit',
        'after',
        'from',
        'to',
        'camera',
        'store',
        'x',
        'sort',
        'group',
        'region',
        'bucket',
        'zoneType',
        'zone',
        'beforeFrom',
        'afterTo',
        'kind',
      ),
      junk,
      { maxKeys: 4 },
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.constant('{"not json'),
      fc.json({ maxDepth: 3 }),
      fc.record(
        {
          dataset: junk,
          version: fc.oneof(fc.integer(), junk),
          body: fc.anything({ maxDepth: 2 }),
          stores: fc.array(junk, { maxLength: 3 }),
          all: fc.boolean(),
          group: junk,
          name: junk,
          groups: fc.array(junk, { maxLength: 3 }),
          timeZone: junk,
        },
        { requiredKeys: [] },
      ),
    );
    let n = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        query,
        body,
        fc.constantFrom('ana', 'ops', undefined),
        async (path, method, q, b, as) => {
          n++;
          const qs = new URLSearchParams(q as Record<string, string>).toString();
          const r = await call(method, `${path}${qs ? `?${qs}` : ''}`, method === 'GET' ? undefined : b, as);
          expect(r.status, `${method} ${path}?${qs} ${JSON.stringify(b)?.slice(0, 200)}`).toBeLessThan(500);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status >= 400) expect(r.body.error.code).toEqual(expect.any(String));
        },
      ),
      { numRuns: 800, seed: 1129 },
    );
    expect(n).toBe(800);
    // the inputs reached past the schemas and the sign-in, not only bounced off them
    for (const code of [200, 400, 401, 404])
      expect(statuses.get(code) ?? 0, `status ${code}`).toBeGreaterThan(0);
    // refused pushes left no trace (a fuzzed push can only be refused: its dataset is junk or its body fails)
    expect(await snapshot()).toEqual(before);
  }, 120_000);
});
