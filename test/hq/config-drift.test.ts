// Config drift at HQ with real daemons, mosquitto and PostgreSQL: HQ pushes a store its
// config; the store takes it at its next start and says so in its birth message; a local
// setting that wins over a pushed one (the environment) shows as drift, and so does a
// push the store refused. A store HQ never pushed config to is not drift.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { startHq, type TestHq } from '../helpers/chain.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/ports.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in end-to-end tests
type J = any;

let hq: TestHq;
let ops = '';
const dir = mkdtempSync(join(tmpdir(), 'storeedge-drift-'));
const running: RunningDaemon[] = [];

function storeFile(id: string): string {
  mkdirSync(join(dir, id), { recursive: true });
  const file = join(dir, id, 'store.yaml');
  writeFileSync(
    file,
    `store: { id: ${id} }
http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${resolve('config/demo/catalog.json')} }
mqtt: { enabled: true, url: "${hq.broker.url}", reconnect: { baseMs: 200, capMs: 1000 } }
security:
  hqSigningPublicKey: ${JSON.stringify(hq.pushKey.publicKey.export({ type: 'spki', format: 'pem' }).toString())}
`,
  );
  return file;
}

async function start(id: string, env: NodeJS.ProcessEnv = {}): Promise<RunningDaemon> {
  const d = await startDaemon(['--config', join(dir, id, 'store.yaml')], env);
  running.push(d);
  return d;
}

const api = async (method: string, path: string, body?: unknown): Promise<J> => {
  const r = await fetch(`${hq.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ops}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: await r.json() };
};

const configOf = async (id: string): Promise<J> => (await api('GET', `/stores/${id}`)).body.config;
const stateBecomes = (id: string, state: string) =>
  waitFor(
    `${id} config ${state}`,
    async () => ((await configOf(id))?.state === state ? configOf(id) : undefined),
    20_000,
  );

beforeAll(async () => {
  hq = await startHq();
  ops = await hq.token('ops');
  storeFile('drift-1');
  storeFile('drift-2');
}, 60_000);

afterAll(async () => {
  for (const d of running) await d.stop();
  await hq?.stop();
});

describe('config drift', () => {
  it('a pushed config in sync after a restart; a local override, and a refused push, are drift', async () => {
    let one = await start('drift-1');
    await start('drift-2');
    // never pushed: not drift
    expect(await stateBecomes('drift-2', 'local')).toMatchObject({ drifted: false, pushedVersion: null });
    expect(await stateBecomes('drift-1', 'local')).toMatchObject({
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const localDigest = (await configOf('drift-1')).digest;

    const push = await api('POST', '/pushes', {
      dataset: 'config',
      version: 1,
      body: { loyalty: { pointsPerYuan: 2 }, store: { name: 'Drift One' } },
      stores: ['drift-1'],
    });
    expect(push.status, JSON.stringify(push.body)).toBe(202);
    // applied at the store, in effect at its next start
    expect(await stateBecomes('drift-1', 'restart_pending')).toMatchObject({
      drifted: true,
      pushedVersion: 1,
    });
    const drifted = async () =>
      (await api('GET', '/stores?configDrift=true')).body.stores.map(
        (s: J) => `${s.storeId}:${s.config.state}`,
      );
    expect(await drifted()).toEqual(['drift-1:restart_pending']);

    await one.stop();
    one = await start('drift-1');
    const synced = await stateBecomes('drift-1', 'in_sync');
    expect(synced).toMatchObject({ drifted: false, pushedVersion: 1, runningVersion: 1 });
    expect(synced.digest).not.toBe(localDigest); // its effective config changed
    expect(await drifted()).toEqual([]);
    expect((await api('GET', '/stores?configDrift=false')).body.stores.map((s: J) => s.storeId)).toEqual([
      'drift-1',
      'drift-2',
    ]);

    // an emergency fix on site: the environment wins over HQ's pointsPerYuan
    await one.stop();
    one = await start('drift-1', { STOREEDGE_LOYALTY__POINTS_PER_YUAN: '3' });
    expect(await stateBecomes('drift-1', 'overridden')).toMatchObject({ drifted: true, runningVersion: 1 });
    expect(await drifted()).toEqual(['drift-1:overridden']);
    await one.stop();
    one = await start('drift-1');
    await stateBecomes('drift-1', 'in_sync');

    // a push the store refuses (its pointsPerYuan breaks the schema at the store): behind
    const bad = await api('POST', '/pushes', {
      dataset: 'config',
      version: 2,
      body: { loyalty: { pointsPerYuan: 1000 } },
      stores: ['drift-1'],
    });
    expect(bad.status).toBe(202);
    expect(await stateBecomes('drift-1', 'behind')).toMatchObject({ pushedVersion: 2, runningVersion: 1 });
    expect(await drifted()).toEqual(['drift-1:behind']);
    // the other store's row never moved
    expect(await configOf('drift-2')).toMatchObject({ state: 'local' });

    // HQ's page: the fleet table marks the drifted store (Chromium)
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${hq.url}/`);
      await page.locator('#userId').fill('ana');
      await page.locator('#password').fill('ana-password');
      await page.locator('#signin button[type=submit]').click();
      const cell = (id: string) =>
        page
          .locator(`#fleet-table tr[data-store="${id}"] td[data-v]`)
          .filter({ hasText: /落后于总部|本地配置/ });
      await expect.poll(() => cell('drift-1').textContent(), { timeout: 10_000 }).toBe('落后于总部');
      expect(await cell('drift-1').getAttribute('class')).toBe('down');
      expect(await cell('drift-2').textContent()).toBe('本地配置');
      expect(await cell('drift-2').getAttribute('class')).toBe('ok');
    } finally {
      await browser.close();
    }
  }, 120_000);
});
