// A support bundle, asked for by HQ and made on the box, with real processes: a store
// daemon with every kind of secret configured, mosquitto and PostgreSQL. The bundle holds
// what support needs (versions, migrations, integrity check, parts and devices, disk,
// memory, log lines) and none of the configured secrets (each one looked for in it),
// nor a sale's id, its receipt number or the member's id.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { secretValues } from '../../config/redact.js';
import { hashPin } from '../../sync/kernel/pin.js';
import { signPush } from '../../sync/signing.js';
import { launchBrowser, snapshot } from '../helpers/browser.js';
import { startHq, type TestHq } from '../helpers/chain.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { signInHq } from '../helpers/hq-page.js';
import { freePort, waitFor } from '../helpers/ports.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in end-to-end tests
type J = any;
const STORE = 'support-1';
const KIOSK = 'kiosk-1-support-test-token-77';
const WATER = '6911001001016';

let hq: TestHq;
let ops = '';
let daemon: RunningDaemon;
let file = '';
let secrets: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'storeedge-support-'));

const hqApi = async (method: string, path: string, token = ops): Promise<J> => {
  const r = await fetch(`${hq.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
};

beforeAll(async () => {
  hq = await startHq();
  ops = await hq.token('ops');
  mkdirSync(join(dir, STORE), { recursive: true });
  file = join(dir, STORE, 'store.yaml');
  writeFileSync(
    file,
    `store: { id: ${STORE} }
http: { port: ${await freePort()} }
tls: { port: ${await freePort()} }
db: { path: ./store.db }
seed: { catalog: ${resolve('config/demo/catalog.json')} }
mqtt: { enabled: true, url: "${hq.broker.url}", username: store, password: mqtt-secret-password-91, reconnect: { baseMs: 200, capMs: 1000 } }
payments:
  codeGateway: { key: gateway-secret-hmac-key-5 }
  wallet: { apiV3Key: wallet-api-v3-secret-key-0123456 }
security:
  hqSigningPublicKey: ${JSON.stringify(hq.pushKey.publicKey.export({ type: 'spki', format: 'pem' }).toString())}
  kioskTokens:
    - { kioskId: kiosk-1, token: ${KIOSK} }
  staff:
    - { id: mgr-1, name: Manager, role: manager, pinHash: "${hashPin('2468')}" }
`,
  );
  secrets = secretValues(loadConfig({ file }).config);
  expect(secrets).toHaveLength(5);
  daemon = await startDaemon(['--config', file]);
  await waitFor('HQ knows the store online', async () =>
    (await hqApi('GET', `/stores/${STORE}`)).body.online ? true : undefined,
  );
}, 90_000);

afterAll(async () => {
  await daemon?.stop();
  await hq?.stop();
});

/** A cash sale at the kiosk: its id and receipt number must appear in no bundle. */
async function sale(): Promise<string[]> {
  let n = 0;
  const call = async (method: string, path: string, body?: unknown) =>
    (
      await fetch(`${daemon.address}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${KIOSK}`,
          'content-type': 'application/json',
          'idempotency-key': `support-${++n}`,
        },
        body: JSON.stringify(body ?? {}),
      })
    ).json() as Promise<J>;
  const c = await call('POST', '/carts', { channel: 'kiosk', kioskId: 'kiosk-1' });
  await call('POST', `/carts/${c.cartId}/scans`, { code: WATER, qty: 1 });
  const q = await call('POST', `/carts/${c.cartId}/checkout`, {});
  const paid = await call('POST', `/carts/${c.cartId}/tenders`, { kind: 'cash', tenderedFen: q.dueFen });
  const s = paid.sale ?? paid;
  expect(s.saleId, JSON.stringify(paid)).toBeTruthy();
  // a receipt number shorter than 8 characters could be in any digest by chance
  return [s.saleId, s.receiptNo].filter((x) => typeof x === 'string' && x.length >= 8);
}

function holdsNothingPrivate(text: string, sold: string[]): void {
  for (const s of secrets) expect(text, 'a configured secret').not.toContain(s);
  for (const s of sold) expect(text, 'a sale').not.toContain(s);
}

describe('support bundles', () => {
  it('HQ asks, the store answers with what support needs and no secret; replays and forgeries get nothing', async () => {
    const sold = await sale();
    expect(sold.length).toBeGreaterThan(0);
    expect((await hqApi('POST', `/stores/${STORE}/support-bundles`, await hq.token('ana'))).status).toBe(403);
    const asked = await hqApi('POST', `/stores/${STORE}/support-bundles`);
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body).toMatchObject({
      storeId: STORE,
      state: 'received',
      requestedBy: 'ops',
      bytes: expect.any(Number),
    });
    expect((await hqApi('GET', `/stores/${STORE}/support-bundles`)).body.bundles.map((b: J) => b.id)).toEqual(
      [asked.body.id],
    );
    const b = (await hqApi('GET', `/support-bundles/${asked.body.id}`)).body;
    expect(b).toMatchObject({ kind: 'storeedge-support-bundle', storeId: STORE });
    expect(b.database.integrityCheck).toEqual(['ok']);
    expect(b.database.migrations.schemaVersion).toBe(b.database.migrations.applied.length);
    expect(b.live.parts.map((p: J) => p.name)).toEqual(
      expect.arrayContaining(['db', 'devices', 'sync', 'http']),
    );
    expect(b.live.devices).toBeTruthy();
    expect(b.system.disk.freeBytes).toBeGreaterThan(0);
    expect(b.system.memory.totalBytes).toBeGreaterThan(0);
    expect(b.logs.lines.some((l: J) => l.msg === 'storeedge ready')).toBe(true);
    expect(b.config.effective.mqtt.password).toBe('[redacted]');
    expect(b.config.effective.security.kioskTokens).toEqual([{ kioskId: 'kiosk-1', token: '[redacted]' }]);
    holdsNothingPrivate(JSON.stringify(b), sold);

    // a copy of HQ's request published again, and one signed by another key: refused
    const c = await mqtt.connectAsync(hq.broker.url, { protocolVersion: 5 });
    await c.subscribeAsync('drill/support', { qos: 1 });
    const answers: J[] = [];
    c.on('message', (_t, p) => answers.push(JSON.parse(p.toString())));
    const ask = (doc: unknown) =>
      c.publishAsync(`storeedge/v1/${STORE}/cmd/support_bundle`, JSON.stringify(doc), {
        qos: 1,
        properties: { responseTopic: 'drill/support', correlationData: Buffer.from(String(answers.length)) },
      });
    const replay = signPush(hq.pushKey.privateKey, {
      dataset: 'support_bundle',
      version: asked.body.id,
      issuedAt: Date.now(),
      body: {},
    });
    await ask(replay);
    const { generateKeyPairSync } = await import('node:crypto');
    await ask(
      signPush(generateKeyPairSync('ed25519').privateKey, {
        dataset: 'support_bundle',
        version: 99,
        issuedAt: Date.now(),
        body: {},
      }),
    );
    await ask(
      signPush(hq.pushKey.privateKey, {
        dataset: 'support_bundle',
        version: 98,
        issuedAt: Date.now() - 3_600_000,
        body: {},
      }),
    );
    await waitFor('three answers', () => (answers.length === 3 ? true : undefined));
    expect(answers.map((a) => [a.status, a.problems?.[0], a.bundle])).toEqual([
      ['rejected', `request ${asked.body.id} was answered already`, undefined],
      ['rejected', expect.stringMatching(/signature does not verify/), undefined],
      ['rejected', expect.stringMatching(/not fresh/), undefined],
    ]);
    await c.endAsync();
  }, 60_000);

  it("HQ's page asks for a bundle and shows it, redacted; an analyst sees no support section (Chromium)", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      const signIn = async (user: 'ana' | 'ops') => {
        await signInHq(page, hq.url, user);
        await page.locator('#tabs [data-tab=store]').click();
        await page.locator('#store-pick').selectOption(STORE);
      };
      await signIn('ops');
      const rows = page.locator('#support-table tbody tr');
      await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThan(0);
      const before = await rows.count();
      await page.locator('#support-ask').click();
      await expect
        .poll(() => page.locator('#support-msg').textContent(), { timeout: 20_000 })
        .toBe('已收到支持包');
      await expect.poll(() => rows.count()).toBe(before + 1);
      const shown = (await page.locator('#support-view').textContent()) ?? '';
      const doc = JSON.parse(shown);
      expect(doc).toMatchObject({ kind: 'storeedge-support-bundle', storeId: STORE });
      expect(doc.config.effective.mqtt.password).toBe('[redacted]');
      await expect.poll(() => page.locator('#support-box').isVisible()).toBe(true);
      // nothing on the page names a configured secret
      holdsNothingPrivate(await page.content(), []);
      // an older bundle opens from its row
      const first = await rows.last().getAttribute('data-bundle');
      await rows.last().click();
      await expect
        .poll(async () => JSON.parse((await page.locator('#support-view').textContent()) ?? '{}').storeId)
        .toBe(STORE);
      expect(first).toBeTruthy();
      await snapshot(page, 'hq-support-bundle.png');

      await page.evaluate(() => sessionStorage.clear());
      await signIn('ana');
      await expect.poll(() => page.locator('#support-ask').isVisible()).toBe(false);
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('storeedge support-bundle on the box writes the same bundle, with the running daemon’s states', () => {
    const out = join(dir, 'bundle.json.gz');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'edge/main.ts', 'support-bundle', '--config', file, '--out', out],
      {
        encoding: 'utf8',
        env: { ...process.env, STOREEDGE_OUTBOX__RESERVEMB: '1' },
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`support bundle written to ${out}`);
    const text = gunzipSync(readFileSync(out)).toString('utf8');
    const b = JSON.parse(text);
    expect(b).toMatchObject({ kind: 'storeedge-support-bundle', storeId: STORE });
    expect(b.database.integrityCheck).toEqual(['ok']);
    expect(b.live.parts.find((p: J) => p.name === 'sync').state).toBe('ready');
    expect(b.logs.source).toMatch(/journal/);
    holdsNothingPrivate(text, []);
  });
});
