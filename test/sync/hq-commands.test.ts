// HQ → store over a real mosquitto: signed dataset pushes applied atomically and
// acknowledged, forged, altered, stale and malformed pushes refused with the last good
// version kept, and HQ's pulls (events from a sequence, paged; health) answered.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { overlayPath } from '../../config/hq-overlay.js';
import { loadConfig } from '../../config/load.js';
import { datasetVersion } from '../../edge/catalog/dataset.js';
import { productByGtin } from '../../edge/catalog/products.js';
import { HqClient } from '../../hq/store-client.js';
import { signPush } from '../../sync/signing.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';
import { demoDb } from '../helpers/store.js';
import { online, syncStore } from '../helpers/sync.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const hqKeys = generateKeyPairSync('ed25519');
const forger = generateKeyPairSync('ed25519');
const HQ_PUBLIC_PEM = hqKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const seed = JSON.parse(readFileSync('config/demo/catalog.json', 'utf8')) as {
  catalog: { version: number; products: { gtin: string; priceFen?: number }[] };
};
const WATER = '06911001001016';

async function rig() {
  const broker = await startMosquitto();
  cleanup.push(() => broker.stop());
  const db = demoDb();
  const { part } = syncStore(broker.url, { db, hqSigningPublicKey: HQ_PUBLIC_PEM });
  cleanup.push(() => part.stop());
  await online(part);
  const hq = await HqClient.connect(broker.url);
  cleanup.push(() => hq.close());
  return { db, hq };
}

function catalogV(version: number, waterPriceFen: number) {
  const c = structuredClone(seed.catalog);
  c.version = version;
  const w = c.products.find((p) => `0${p.gtin}` === WATER)!;
  w.priceFen = waterPriceFen;
  return c;
}

describe('HQ pushes', () => {
  it('applies a signed catalog push atomically and answers with the result', async () => {
    const { db, hq } = await rig();
    const r = (await hq.push('demo-store-001', 'catalog', 2, catalogV(2, 250), hqKeys.privateKey)) as Record<
      string,
      unknown
    >;
    expect(r).toMatchObject({ dataset: 'catalog', version: 2, status: 'applied' });
    expect(datasetVersion(db, 'catalog')?.version).toBe(2);
    expect(productByGtin(db, WATER, Date.now())?.priceFen).toBe(250);
    // the same push again changes nothing
    expect(await hq.push('demo-store-001', 'catalog', 2, catalogV(2, 250), hqKeys.privateKey)).toMatchObject({
      status: 'unchanged',
    });
    // and the result is in the outbox for HQ's records
    const types = db.prepare("SELECT type FROM outbox WHERE type LIKE 'push.%'").pluck().all();
    expect(types).toEqual(['push.applied', 'push.unchanged']);
  });

  it('refuses forged, altered, stale, mis-addressed and malformed pushes, keeping the last good version', async () => {
    const { db, hq } = await rig();
    const topic = 'storeedge/v1/demo-store-001/cmd/catalog';
    const problems = async (body: unknown) =>
      ((await hq.ask(topic, body)) as { status: string; problems: string[] }).problems.join(' ');

    expect(
      await problems(
        signPush(forger.privateKey, { dataset: 'catalog', version: 5, issuedAt: 1, body: catalogV(5, 1) }),
      ),
    ).toMatch(/signature/);
    const altered = signPush(hqKeys.privateKey, {
      dataset: 'catalog',
      version: 5,
      issuedAt: 1,
      body: catalogV(5, 300),
    });
    (altered.body as { products: { priceFen?: number }[] }).products[0]!.priceFen = 1;
    expect(await problems(altered)).toMatch(/signature/);
    expect(await problems('{"dataset": "catalog", "version": ')).toMatch(/not JSON/);
    expect(
      await problems(
        signPush(hqKeys.privateKey, { dataset: 'promotions', version: 5, issuedAt: 1, body: {} }),
      ),
    ).toMatch(/topic/);
    const badSchema = catalogV(5, 300) as unknown as { products: Record<string, unknown>[] };
    badSchema.products[0]!.gtin = '123';
    expect(
      await problems(
        signPush(hqKeys.privateKey, { dataset: 'catalog', version: 5, issuedAt: 1, body: badSchema }),
      ),
    ).toMatch(/gtin/);
    expect(
      await problems(
        signPush(hqKeys.privateKey, { dataset: 'catalog', version: 1, issuedAt: 1, body: catalogV(1, 300) }),
      ),
    ).toMatch(/not newer/);

    expect(datasetVersion(db, 'catalog')?.version).toBe(1);
    expect(productByGtin(db, WATER, Date.now())?.priceFen).toBe(200);
    expect(db.prepare("SELECT count(*) FROM outbox WHERE type = 'push.rejected'").pluck().get()).toBe(5);
  });

  it('a chain-wide coupon-key push reaches the store', async () => {
    const { db, hq } = await rig();
    const couponKey = generateKeyPairSync('ed25519')
      .publicKey.export({ format: 'der', type: 'spki' })
      .toString('base64');
    await hq.pushAll(
      'coupon_keys',
      1,
      { keys: [{ kid: 'hq-2026', publicKeyBase64: couponKey }] },
      hqKeys.privateKey,
    );
    await waitFor(
      'keys applied',
      () =>
        db
          .prepare("SELECT count(*) FROM signing_keys WHERE owner = 'hq' AND kid = 'hq-2026'")
          .pluck()
          .get() === 1
          ? true
          : undefined,
      5000,
    );
  });
});

describe('HQ config pushes', () => {
  it('keeps an allowed, valid config push next to the database; it applies at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeedge-hqconfig-'));
    const file = join(dir, 'store.yaml');
    writeFileSync(file, 'db: { path: ./store.db }\nloyalty: { pointsPerYuan: 1 }\n');
    const loaded = loadConfig({ file });
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const db = demoDb();
    const { part } = syncStore(broker.url, {
      db,
      hqSigningPublicKey: HQ_PUBLIC_PEM,
      config: {
        check: loaded.checkOverlay,
        path: overlayPath(loaded.config.db.path),
        active: loaded.overlay,
      },
    });
    cleanup.push(() => part.stop());
    await online(part);
    const hq = await HqClient.connect(broker.url);
    cleanup.push(() => hq.close());
    const push = (version: number, body: unknown) =>
      hq.push('demo-store-001', 'config', version, body, hqKeys.privateKey) as Promise<
        Record<string, unknown>
      >;

    expect(await push(1, { http: { port: 1 } })).toMatchObject({
      status: 'rejected',
      problems: ['/http: not a setting HQ may push'],
    });
    expect(((await push(1, { loyalty: { pointsPerYuan: 1000 } })).problems as string[])[0]).toMatch(
      /^\/loyalty\/pointsPerYuan/,
    );
    expect(await push(1, { loyalty: { pointsPerYuan: 2 }, logging: { level: 'warn' } })).toMatchObject({
      status: 'applied',
      restartRequired: true,
    });
    expect(await push(1, { loyalty: { pointsPerYuan: 2 } })).toMatchObject({ status: 'unchanged' });
    const next = loadConfig({ file });
    expect(next.overlay).toEqual({ version: 1, applied: true });
    expect(next.config.loyalty.pointsPerYuan).toBe(2);
    expect(next.config.logging.level).toBe('warn');
    // local env still wins over HQ (an emergency fix on site)
    expect(
      loadConfig({ file, env: { STOREEDGE_LOYALTY__POINTS_PER_YUAN: '3' } }).config.loyalty.pointsPerYuan,
    ).toBe(3);
  });
});

describe('HQ pulls', () => {
  it('pages events from a sequence number and reports health', async () => {
    const { db, hq } = await rig();
    await hq.push('demo-store-001', 'catalog', 2, catalogV(2, 260), hqKeys.privateKey);
    await hq.push('demo-store-001', 'catalog', 3, catalogV(3, 270), hqKeys.privateKey);
    const n = db.prepare('SELECT max(seq) FROM outbox').pluck().get() as number;
    const page1 = (await hq.request('demo-store-001', 'events', { fromSeq: 1, limit: 1 })) as {
      events: { seq: number }[];
      nextSeq: number;
      more: boolean;
    };
    expect(page1.events.map((e) => e.seq)).toEqual([1]);
    expect(page1.more).toBe(n > 1);
    const page2 = (await hq.request('demo-store-001', 'events', { fromSeq: page1.nextSeq, limit: 500 })) as {
      events: { seq: number }[];
      more: boolean;
    };
    expect(page2.events.at(-1)?.seq).toBe(n);
    expect(page2.more).toBe(false);
    expect(await hq.request('demo-store-001', 'events', { fromSeq: 0 })).toMatchObject({
      error: 'BAD_REQUEST',
    });
    const health = (await hq.request('demo-store-001', 'health')) as { backlog: { events: number } };
    expect(health.backlog.events).toBeGreaterThanOrEqual(0);
    expect(await hq.request('demo-store-001', 'heatmap', { from: 0, to: 1 })).toMatchObject({
      error: 'BAD_REQUEST',
      message: 'camera: the camera id',
    });
    expect(await hq.request('demo-store-001', 'counts', { from: 10, to: 1 })).toMatchObject({
      error: 'BAD_REQUEST',
    });
    expect(
      await hq.request('demo-store-001', 'counts', { from: 0, to: 86_400_000 * 30, res: '1m' }),
    ).toMatchObject({
      error: 'BAD_REQUEST',
    });
    expect(await hq.request('demo-store-001', 'counts', { from: 0, to: 3_600_000 })).toMatchObject({
      lines: [],
      zones: [],
    });
  });
});
