// HQ's software rollouts across several stores: a batch at a time, the next store sent
// only when one in flight has finished, halted once more than maxFailures stores fail,
// and a store that takes no updates counted as failed rather than waited on. The
// stores are virtual (the store's real outbox, publisher and link; a simulated updater
// that reports what a box's would); the box's own updater is drilled in
// test/release/release.test.ts.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/fleet/fleet.js';
import { VirtualStore } from '../../bench/fleet/virtual-store.js';
import { launchBrowser, snapshot } from '../helpers/browser.js';
import { startHq, type TestHq } from '../helpers/chain.js';
import { signInHq } from '../helpers/hq-page.js';
import { waitFor } from '../helpers/ports.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in end-to-end tests
type J = any;
const SEED = resolve('config/demo/catalog.json');
const IDS = ['r1', 'r2', 'r3', 'r4', 'r5'];
const FAILS = new Set(['r2', 'r3']);

let t: TestHq;
let ops = '';
const stores: VirtualStore[] = [];
/** each software push as it reached the broker: which store, when */
const pushes: { store: string; rollout: number; at: number; body: J }[] = [];
let watcher: mqtt.MqttClient;

const api = async (
  method: string,
  path: string,
  body?: string | Uint8Array,
  type = 'application/json',
): Promise<J> => {
  const r = await fetch(`${t.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ops}`, ...(body !== undefined ? { 'content-type': type } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
};

/** The smallest bundle HQ takes: one folder whose RELEASE.json names it. */
function tinyBundle(version: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-tiny-'));
  const name = `storeedge-${version}-linux-x64`;
  execFileSync('mkdir', ['-p', join(dir, name)]);
  writeFileSync(join(dir, name, 'RELEASE.json'), JSON.stringify({ version, arch: 'x64' }));
  return execFileSync('tar', ['-czf', '-', '-C', dir, name]);
}

beforeAll(async () => {
  t = await startHq({ rolloutTickMs: 100 });
  ops = await t.token('ops');
  const pub = t.pushKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  for (const [i, id] of IDS.entries()) {
    const s = new VirtualStore({
      storeId: id,
      broker: t.broker.url,
      seedFile: SEED,
      members: 0,
      hqSigningPublicKey: pub,
      random: mulberry32(i + 1),
      reconnect: { baseMs: 100, capMs: 500 },
      // r5 runs a build without the updater
      // failures come back fast and successes slowly, so which store is sent next is fixed
      ...(id === 'r5'
        ? {}
        : {
            softwareOutcome: () =>
              FAILS.has(id)
                ? { state: 'rolled_back' as const, afterMs: 50 }
                : { state: 'healthy' as const, afterMs: 2500 },
          }),
    });
    s.start();
    stores.push(s);
  }
  watcher = await mqtt.connectAsync(t.broker.url, { protocolVersion: 5 });
  await watcher.subscribeAsync('storeedge/v1/+/cmd/software', { qos: 1 });
  watcher.on('message', (topic, payload) =>
    pushes.push({
      store: topic.split('/')[2]!,
      rollout: JSON.parse(payload.toString()).version,
      at: Date.now(),
      body: JSON.parse(payload.toString()).body,
    }),
  );
  await waitFor('HQ knows the stores', async () => {
    const r = await api('GET', '/stores');
    return IDS.every((id) => r.body.stores.some((s: J) => s.storeId === id)) ? true : undefined;
  });
  for (const id of ['r1', 'r4'])
    expect(
      (await api('PUT', `/stores/${id}/profile`, JSON.stringify({ name: id, groups: ['pilot'] }))).status,
    ).toBe(200);
}, 120_000);

afterAll(async () => {
  await watcher?.endAsync();
  await Promise.all(stores.map((s) => s.stop()));
  await t?.stop();
});

describe('software rollouts', () => {
  it('an upload must be the release it claims; the same bytes again are fine, other bytes are not', async () => {
    const b = tinyBundle('2.0.0');
    const up = await api('PUT', '/releases/2.0.0/x64', b, 'application/gzip');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ version: '2.0.0', arch: 'x64', bytes: b.length });
    expect((await api('PUT', '/releases/2.0.0/x64', b, 'application/gzip')).status).toBe(201);
    expect(
      (await api('PUT', '/releases/2.0.0/x64', tinyBundle('2.0.0').subarray(0, 40), 'application/gzip'))
        .status,
    ).toBe(422);
    const other = await api('PUT', '/releases/2.0.1/x64', b, 'application/gzip');
    expect(other).toMatchObject({ status: 422, body: { error: { code: 'NOT_A_BUNDLE' } } });
    // an analyst may read, not upload or roll out
    const ana = await t.token('ana');
    const r = await fetch(`${t.url}/api/v1/rollouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ana}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: '2.0.0', all: true }),
    });
    expect(r.status).toBe(403);
    expect((await api('POST', '/rollouts', JSON.stringify({ version: '9.9.9', all: true }))).status).toBe(
      404,
    );
  });

  it('sends a batch at a time and halts once more than maxFailures stores fail; the rest are never sent', async () => {
    const r = await api(
      'POST',
      '/rollouts',
      JSON.stringify({ version: '2.0.0', all: true, batchSize: 2, maxFailures: 1 }),
    );
    expect(r.status).toBe(202);
    const id = r.body.id;
    const done = await waitFor(
      'the rollout to halt',
      async () => {
        const s = (await api('GET', `/rollouts/${id}`)).body;
        return s.state !== 'running' ? s : undefined;
      },
      30_000,
    );
    expect(done.state).toBe('halted');
    expect(done.reason).toMatch(/^2 of 5 stores failed \(more than 1 allowed\)/);
    // r1 and r2 first; r3 in r2's place once r2 failed; r3 was the second failure while r1
    // was still in flight, so r4 and r5 never went out
    const byStore = Object.fromEntries(done.stores.map((s: J) => [s.storeId, s.state]));
    expect(byStore).toMatchObject({ r2: 'rolled_back', r3: 'rolled_back', r4: 'pending', r5: 'pending' });
    expect(['sent', 'downloading', 'healthy']).toContain(byStore.r1);
    const sent = pushes.filter((p) => p.rollout === id);
    expect(sent.map((p) => p.store).sort()).toEqual(['r1', 'r2', 'r3']);
    expect(
      sent
        .slice(0, 2)
        .map((p) => p.store)
        .sort(),
    ).toEqual(['r1', 'r2']);
    // r1 still reports after the halt: a halted rollout sends nothing more, it keeps listening
    await waitFor('r1 healthy', async () =>
      (await api('GET', `/rollouts/${id}`)).body.stores[0].state === 'healthy' ? true : undefined,
    );
    expect(pushes.filter((p) => p.rollout === id)).toHaveLength(3);
    expect(done.stores.find((s: J) => s.storeId === 'r2').reason).toBe('simulated: 2.0.0 did not stay up');
  }, 60_000);

  it('to a group only; a store that takes no updates counts as failed', async () => {
    const up = await api('PUT', '/releases/2.1.0/x64', tinyBundle('2.1.0'), 'application/gzip');
    expect(up.status).toBe(201);
    const r = await api('POST', '/rollouts', JSON.stringify({ version: '2.1.0', group: 'pilot' }));
    expect(r.status).toBe(202);
    const s = await waitFor('done', async () => {
      const x = (await api('GET', `/rollouts/${r.body.id}`)).body;
      return x.state === 'done' ? x : undefined;
    });
    expect(s.stores.map((x: J) => [x.storeId, x.state])).toEqual([
      ['r1', 'healthy'],
      ['r4', 'healthy'],
    ]);
    const r5 = await api('POST', '/rollouts', JSON.stringify({ version: '2.1.0', stores: ['r5'] }));
    const s5 = await waitFor('r5 answered', async () => {
      const x = (await api('GET', `/rollouts/${r5.body.id}`)).body;
      return x.state !== 'running' ? x : undefined;
    });
    expect(s5).toMatchObject({ state: 'halted' });
    expect(s5.stores[0]).toMatchObject({ storeId: 'r5', state: 'rejected' });
    expect(s5.stores[0].reason).toMatch(/takes no software updates/);
    const list = (await api('GET', '/rollouts')).body.rollouts;
    expect(list.map((x: J) => x.id)).toEqual([r5.body.id, r.body.id, r.body.id - 1]);
  }, 60_000);

  it("HQ's page shows each software rollout and each store's step (Chromium)", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      await signInHq(page, t.url, 'ops');
      await page.locator('#tabs [data-tab=rollout]').click();
      const rows = page.locator('#software-table tbody tr');
      await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
      // the newest first: r5 alone, halted; then the group; then the halted batch rollout
      await expect.poll(() => rows.nth(0).textContent()).toMatch(/2\.1\.0[\s\S]*已中止[\s\S]*已拒绝 1/);
      await expect
        .poll(() => rows.nth(2).textContent())
        .toMatch(/2\.0\.0[\s\S]*已中止[\s\S]*2 of 5 stores failed/);
      await rows.nth(2).click();
      const stores = page.locator('#software-stores-table tbody tr');
      await expect.poll(() => stores.count()).toBe(5);
      await expect
        .poll(() => page.locator('#software-stores-table tr[data-store=r2]').textContent())
        .toMatch(/已回滚[\s\S]*simulated: 2\.0\.0 did not stay up/);
      await expect
        .poll(() => page.locator('#software-stores-table tr[data-store=r5]').textContent())
        .toMatch(/待确认/);
      await snapshot(page, 'hq-software-rollouts.png');
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("sends each store its maintenance window (its own, else its group's); urgent sends none", async () => {
    // what an operator may set, and what not
    expect(
      (await api('PUT', '/maintenance-windows/groups/pilot', JSON.stringify({ from: '2:00', to: '05:00' })))
        .status,
    ).toBe(400);
    const same = await api(
      'PUT',
      '/maintenance-windows/groups/pilot',
      JSON.stringify({ from: '03:00', to: '03:00' }),
    );
    expect(same).toMatchObject({ status: 422, body: { error: { code: 'INVALID_WINDOW' } } });
    expect(
      (await api('PUT', '/maintenance-windows/stores/nope', JSON.stringify({ from: '02:00', to: '05:00' })))
        .status,
    ).toBe(404);
    expect((await api('DELETE', '/maintenance-windows/groups/nobody')).status).toBe(404);
    const g = await api(
      'PUT',
      '/maintenance-windows/groups/pilot',
      JSON.stringify({ from: '02:00', to: '05:00' }),
    );
    expect(g).toMatchObject({
      status: 200,
      body: { scope: 'group', name: 'pilot', from: '02:00', to: '05:00', updatedBy: 'ops' },
    });
    expect(
      (await api('PUT', '/maintenance-windows/stores/r4', JSON.stringify({ from: '22:00', to: '01:00' })))
        .status,
    ).toBe(200);
    expect(
      (await api('GET', '/maintenance-windows')).body.windows.map(
        (w: J) => `${w.scope}:${w.name} ${w.from}-${w.to}`,
      ),
    ).toEqual(['store:r4 22:00-01:00', 'group:pilot 02:00-05:00']);
    const up = await api('PUT', '/releases/2.2.0/x64', tinyBundle('2.2.0'), 'application/gzip');
    expect(up.status).toBe(201);
    const windowOf = async (rollout: J) => {
      await waitFor('both pushes', () =>
        pushes.filter((x) => x.rollout === rollout.body.id).length === 2 ? true : undefined,
      );
      return Object.fromEntries(
        pushes.filter((x) => x.rollout === rollout.body.id).map((x) => [x.store, x.body.window ?? null]),
      );
    };
    const done = (rollout: J) =>
      waitFor('done', async () =>
        (await api('GET', `/rollouts/${rollout.body.id}`)).body.state === 'done' ? true : undefined,
      );
    const r = await api(
      'POST',
      '/rollouts',
      JSON.stringify({ version: '2.2.0', group: 'pilot', batchSize: 2 }),
    );
    expect(r.body.urgent).toBe(false);
    expect(await windowOf(r)).toEqual({
      r1: { from: '02:00', to: '05:00' },
      r4: { from: '22:00', to: '01:00' },
    });
    await done(r);
    // r4's own window removed: its group's applies; an urgent rollout carries no window at all
    expect((await api('DELETE', '/maintenance-windows/stores/r4')).status).toBe(204);
    const u = await api(
      'POST',
      '/rollouts',
      JSON.stringify({ version: '2.2.0', group: 'pilot', batchSize: 2, urgent: true }),
    );
    expect(u.body.urgent).toBe(true);
    expect(await windowOf(u)).toEqual({ r1: null, r4: null });
    expect(pushes.filter((x) => x.rollout === u.body.id).every((x) => x.body.urgent === true)).toBe(true);
    await done(u);
    const n = await api('POST', '/rollouts', JSON.stringify({ version: '2.2.0', stores: ['r4'] }));
    await waitFor('r4 pushed', () => (pushes.some((x) => x.rollout === n.body.id) ? true : undefined));
    expect(pushes.find((x) => x.rollout === n.body.id)?.body.window).toEqual({ from: '02:00', to: '05:00' });
    await done(n);
    expect((await api('DELETE', '/maintenance-windows/groups/pilot')).status).toBe(204);
  }, 60_000);

  it("HQ's page sets, shows and removes a maintenance window; a bad one gets HQ's reason (Chromium)", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      await signInHq(page, t.url, 'ops');
      await page.locator('#tabs [data-tab=rollout]').click();
      const form = page.locator('#window-form');
      await form.waitFor({ state: 'visible' });
      await page.locator('#window-scope').selectOption('groups');
      await page.locator('#window-name').fill('pilot');
      await page.locator('#window-from').fill('23:30');
      await page.locator('#window-to').fill('04:00');
      await form.locator('button[type=submit]').click();
      await expect.poll(() => page.locator('#window-msg').textContent()).toBe('已保存');
      const row = page.locator('#windows-table tr[data-window="group:pilot"]');
      await expect.poll(() => row.textContent()).toMatch(/pilot[\s\S]*23:30[\s\S]*04:00[\s\S]*ops/);
      // what the page set is what HQ sends stores: read back through the API
      expect((await api('GET', '/maintenance-windows')).body.windows).toEqual([
        expect.objectContaining({ scope: 'group', name: 'pilot', from: '23:30', to: '04:00' }),
      ]);
      // a window of no length: HQ's reason shown, nothing changed
      await page.locator('#window-to').fill('23:30');
      await form.locator('button[type=submit]').click();
      await expect.poll(() => page.locator('#window-msg').getAttribute('class')).toBe('error');
      expect((await api('GET', '/maintenance-windows')).body.windows[0].to).toBe('04:00');
      await snapshot(page, 'hq-maintenance-windows.png');
      await page.locator('#window-remove').click();
      await expect.poll(() => page.locator('#window-msg').textContent()).toBe('已删除');
      await expect.poll(() => row.count()).toBe(0);
      expect((await api('GET', '/maintenance-windows')).body.windows).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
