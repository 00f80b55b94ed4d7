// HQ's page in Debian's Chromium against the HQ setup the demo runs: a real PostgreSQL
// and mosquitto, HQ's service, virtual stores running the store's real checkout and
// sync code (breadth), and one real daemon counting people on the real clip (depth).
// The fleet list sees a store go offline and come back, stores rank by conversion, a
// store's heatmap sits on its uploaded floor plan, one zone type is compared across
// stores, a campaign rolls out to a group with one store refusing it (HQ's signature
// does not verify there) and the reason shown; tables export as CSV; screenshots are
// saved under test-results/ui. Bad input to the new routes gets a clear 4xx.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet, mulberry32 } from '../../bench/fleet/fleet.js';
import { FLEET_SHELVES, floorPlanPng } from '../../bench/fleet/floor-plan.js';
import { VirtualStore } from '../../bench/fleet/virtual-store.js';
import { launchBrowser, snapshot } from '../helpers/browser.js';
import { startHq, type TestHq } from '../helpers/chain.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import type { Broker } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';
import { vtestCameraYaml } from '../models/fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const dir = mkdtempSync(join(tmpdir(), 'storeedge-hq-page-'));
const SEED = resolve('config/demo/catalog.json');
let hqKeys: TestHq['pushKey'];
let t: TestHq;
const otherKeys = generateKeyPairSync('ed25519');
const pem = (k: typeof hqKeys) => k.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const VISION = 'dash-vision';

let broker: Broker;
let fleet: Fleet;
let rogue: VirtualStore;
let daemon: RunningDaemon;
let browser: Browser;
let page: Page;
let base = '';
const tokens: Record<string, string> = {};

async function call(method: string, path: string, body?: unknown, as?: string, type?: string) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': type ?? 'application/json' } : {}),
      ...(as ? { authorization: `Bearer ${tokens[as]}` } : {}),
    },
    ...(body !== undefined ? { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: J = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

const day = () => ({ from: Date.now() - 86_400_000, to: Date.now() + 60_000 });

beforeAll(async () => {
  t = await startHq();
  ({ broker, url: base } = t);
  hqKeys = t.pushKey;

  // the depth store: the real daemon on the clip, stamped as recorded over an hour ago
  // (so its quarter hours are closed and their heatmaps go to HQ when the clip ends)
  const startedAt = new Date(Math.floor((Date.now() - 3_600_000) / 900_000) * 900_000).toISOString();
  const storeFile = join(dir, 'store.yaml');
  writeFileSync(
    storeFile,
    `store: { id: ${VISION} }
http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${SEED} }
mqtt: { enabled: true, url: "${broker.url}" }
security:
  hqSigningPublicKey: ${JSON.stringify(pem(hqKeys))}
vision: { flushSeconds: 1, threads: 1 }
${vtestCameraYaml({ startedAt, zoneType: 'dairy-shelf' })}`,
  );
  daemon = await startDaemon(['--config', storeFile]);

  // breadth: five virtual stores, and one whose HQ key is not HQ's (it refuses pushes)
  fleet = new Fleet({
    stores: 5,
    broker: broker.url,
    seedFile: SEED,
    salesPerSecond: 0,
    members: 10,
    idPrefix: 'dash',
    seed: 7,
    hqSigningPublicKey: pem(hqKeys),
  });
  rogue = new VirtualStore({
    storeId: 'dash-rogue',
    broker: broker.url,
    seedFile: SEED,
    members: 10,
    hqSigningPublicKey: pem(otherKeys),
    random: mulberry32(99),
  });
  fleet.start();
  rogue.start();
  const all = [...fleet.stores, rogue];
  all.forEach((s, i) => {
    for (let k = 0; k < 20 + i * 6; k++) s.sale();
    // about two in three people through the door buy, some stores more, some less
    for (let k = 0; k < 50 + ((i * 7) % 5) * 12; k++) s.footfall();
    s.refund();
  });

  for (const [who, password] of [
    ['ana', 'ana-password'],
    ['ops', 'ops-password'],
  ] as const)
    tokens[who] = (await call('POST', '/sessions', { userId: who, password })).body.token;

  const profiles: [string, J][] = [
    ['dash-0001', { name: '上海南京路店', region: '华东', groups: ['east-pilot'] }],
    ['dash-0002', { name: '杭州西湖店', region: '华东', groups: ['east-pilot'] }],
    ['dash-rogue', { name: '苏州观前店', region: '华东', groups: ['east-pilot'] }],
    ['dash-0003', { name: '广州天河店', region: '华南', groups: [] }],
    ['dash-0004', { name: '深圳福田店', region: '华南', groups: [] }],
    ['dash-0005', { name: '厦门中山路店', region: '华南', groups: [] }],
    [VISION, { name: 'Walkway lab store', region: '华东', groups: ['vision'] }],
  ];
  for (const [id, p] of profiles)
    expect((await call('PUT', `/stores/${id}/profile`, p, 'ops')).status).toBe(200);
  const visionPlan = await floorPlanPng(27, 12, [
    { x: 11, y: 3, w: 7, h: 4, label: 'lamp-post / dairy' },
    { x: 0, y: 0, w: 27, h: 0.5, label: '' },
  ]);
  expect((await call('PUT', `/stores/${VISION}/floor-plan`, visionPlan, 'ops', 'image/png')).status).toBe(
    201,
  );
  const fleetPlan = await floorPlanPng(20, 12, FLEET_SHELVES);
  for (const id of ['dash-0001', 'dash-0002', 'dash-0003'])
    expect((await call('PUT', `/stores/${id}/floor-plan`, fleetPlan, 'ops', 'image/png')).status).toBe(201);

  // HQ holds every event each store wrote, and the clip's counts and heatmap
  await waitFor(
    'HQ caught up with the virtual stores',
    async () => {
      const r = (await call('GET', '/stores?limit=100', undefined, 'ana')).body.stores as J[];
      return all.every((s, i) => {
        const id = i < 5 ? fleet.storeId(i) : 'dash-rogue';
        return r.find((x) => x.storeId === id)?.events.contiguousSeq === s.totals().maxSeq;
      })
        ? true
        : undefined;
    },
    60_000,
  );
  await waitFor(
    'the clip analysed',
    async () => {
      const r = (await (await fetch(`${daemon.address}/readyz`)).json()) as J;
      return r.parts.find((p: J) => p.name === 'vision').details.cameras[0].state === 'ended'
        ? true
        : undefined;
    },
    180_000,
  );
  await waitFor(
    'everything the daemon wrote at HQ',
    async () => {
      const r = (await (await fetch(`${daemon.address}/readyz`)).json()) as J;
      const sync = r.parts.find((p: J) => p.name === 'sync').details;
      const hq = (await call('GET', `/stores/${VISION}`, undefined, 'ana')).body;
      return sync.backlog?.events === 0 && hq.events?.contiguousSeq === sync.acknowledged ? true : undefined;
    },
    30_000,
  );
  await waitFor(
    'its heatmap at HQ',
    async () => {
      const { from, to } = day();
      const h = (
        await call('GET', `/stores/${VISION}/heatmap?camera=walkway&from=${from}&to=${to}`, undefined, 'ana')
      ).body;
      return h.quarters > 0 ? h : undefined;
    },
    180_000,
  );
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (daemon) await daemon.stop('SIGTERM');
  await fleet?.stop();
  await rogue?.stop();
  await t?.stop();
});

async function signIn(user: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  if (await page.locator('#signout').isVisible()) await page.locator('#signout').click();
  await page.locator('#userId').fill(user);
  await page.locator('#password').fill(password);
  await page.locator('#signin button[type=submit]').click();
  await page.locator('#tabs').waitFor({ state: 'visible' });
  await page.locator('#period').selectOption('24h');
}

const tab = (name: string) => page.locator(`#tabs [data-tab=${name}]`).click();

describe('HQ page', () => {
  it('shows the fleet, in Chinese first, and sees a store go offline and come back', async () => {
    await signIn('ana', 'ana-password');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await expect.poll(() => page.locator('#fleet-table tbody tr').count(), { timeout: 10_000 }).toBe(7);
    const row = (id: string) => page.locator(`#fleet-table tr[data-store="${id}"]`);
    await expect.poll(() => row('dash-0004').textContent(), { timeout: 10_000 }).toContain('在线');
    expect(await row(VISION).textContent()).toContain('nanodet');
    // a group filter narrows the list
    await page.locator('#fleet-group').selectOption('east-pilot');
    await expect.poll(() => page.locator('#fleet-table tbody tr').count(), { timeout: 10_000 }).toBe(3);
    await page.locator('#fleet-group').selectOption('');

    await fleet.stores[3]!.stop();
    await expect.poll(() => row('dash-0004').textContent(), { timeout: 15_000 }).toContain('离线');
    await snapshot(page, 'hq-fleet-offline.png');
    fleet.stores[3]!.start();
    await expect.poll(() => row('dash-0004').textContent(), { timeout: 15_000 }).toContain('在线');
  });

  it('ranks stores by conversion, and exports the ranking as CSV', async () => {
    await tab('ranking');
    await page.locator('#rank-figure').selectOption('conversion');
    const { from, to } = day();
    const api = (
      await call('GET', `/figures/stores?from=${from}&to=${to}&sort=conversion&order=desc`, undefined, 'ana')
    ).body.stores as J[];
    expect(api.map((s) => s.storeId).sort()).toEqual(
      [...fleet.stores.map((_, i) => fleet.storeId(i)), 'dash-rogue', VISION].sort(),
    );
    // highest first, a store without entrance counts (or with an impossible count) last
    const conv = api
      .filter((s) => !s.counterProblems.length)
      .map((s) => s.conversion)
      .filter((c) => c !== null);
    expect(conv).toEqual([...conv].sort((a, b) => b - a));
    for (const s of api) if (s.conversion > 1) expect(s.counterProblems).toContain('conversion_over_100');
    await expect
      .poll(
        async () =>
          page
            .locator('#ranking-table tbody tr')
            .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-store'))),
        {
          timeout: 10_000,
        },
      )
      .toEqual(api.map((s) => s.storeId));
    expect(await page.locator('#rank-chart svg rect.bar').count()).toBe(7);
    // the rogue store's 125% is a counter problem: marked, ranked last, not drawn as a figure
    expect(api.at(-1)).toMatchObject({ storeId: 'dash-rogue', counterProblems: ['conversion_over_100'] });
    expect(await page.locator('#ranking-table tr[data-store="dash-rogue"]').textContent()).toContain(
      '计数异常',
    );
    expect(await page.locator('#rank-chart').textContent()).toContain('转化率超过 100%');
    await snapshot(page, 'hq-ranking-conversion.png');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid=csv-ranking]').click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8')
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(csv[0]).toContain('转化率');
    expect(csv).toHaveLength(8);
    // raw values, not the formatted ones: the first store's conversion as the API gave it
    expect(csv[1]!.split(',')).toContain(String(api[0].conversion));
  });

  it("draws a store's heatmap from the real clip over its floor plan, with its zones and hours", async () => {
    await tab('store');
    await page.locator('#store-pick').selectOption(VISION);
    const floor = page.locator('[data-testid=floor]');
    await expect.poll(() => floor.getAttribute('data-store'), { timeout: 15_000 }).toBe(VISION);
    expect(await floor.getAttribute('data-image')).toBe('yes');
    expect(Number(await floor.getAttribute('data-quarters'))).toBeGreaterThan(0);
    expect(await floor.locator('image').count()).toBe(1);
    expect(await floor.locator('rect.heat-cell').count()).toBeGreaterThan(10);
    // the same hottest cell the API's grid has
    const { from, to } = day();
    const grid = (
      await call('GET', `/stores/${VISION}/heatmap?camera=walkway&from=${from}&to=${to}`, undefined, 'ana')
    ).body.grid;
    const hot = grid.cells.indexOf(Math.max(...grid.cells));
    expect(await floor.getAttribute('data-hottest')).toBe(
      `${hot % grid.cols},${Math.floor(hot / grid.cols)}`,
    );
    await expect
      .poll(() => page.locator('#zones-table tbody').textContent(), { timeout: 10_000 })
      .toContain('lamp-post');
    expect(await page.locator('#zones-table tbody').textContent()).toContain('dairy-shelf');
    await floor.scrollIntoViewIfNeeded();
    await snapshot(page, 'hq-store-heatmap.png');

    // a virtual store: hours with sales, and a before/after comparison of the whole store
    await page.locator('#store-pick').selectOption('dash-0002');
    await expect
      .poll(() => page.locator('#hours-table tbody tr').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await page.locator('#compare-form button[type=submit]').click();
    await expect.poll(() => page.locator('#compare-table tbody tr').count(), { timeout: 10_000 }).toBe(7);
  });

  it('compares one zone type across stores, heatmaps side by side', async () => {
    await tab('zones');
    await expect
      .poll(() => page.locator('#zone-type option').count(), { timeout: 10_000 })
      .toBeGreaterThan(1);
    await page.locator('#zone-type').selectOption('dairy-shelf');
    await expect.poll(() => page.locator('#zone-type-table tbody tr').count(), { timeout: 10_000 }).toBe(7);
    expect(await page.locator('#zone-type-table tbody').textContent()).toContain(VISION);
    await expect
      .poll(() => page.locator('#zone-heatmaps figure').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await snapshot(page, 'hq-zone-type.png');
  });

  it('shows campaigns with offers shown, claimed and redeemed', async () => {
    await tab('campaigns');
    await expect
      .poll(() => page.locator('#campaigns-table tbody').textContent(), { timeout: 10_000 })
      .toContain('dairy-repurchase');
  });

  it("ranks the guides across stores, refunds taken off, and shows a store's guides by day; exports CSV", async () => {
    const stores = [
      ...fleet.stores.map((s, i) => [fleet.storeId(i), s] as const),
      ['dash-rogue', rogue] as const,
    ];
    // what the stores themselves hold: each guide's assisted sales, less the refunds of them
    const held = new Map<string, { sales: number; net: number }>();
    for (const [id, s] of stores)
      for (const r of s.db
        .prepare(
          `SELECT g.staff_id, count(*) AS sales,
                  sum(g.total_fen) - coalesce(sum((SELECT sum(amount_fen) FROM refunds r WHERE r.sale_id = g.sale_id)), 0) AS net
             FROM sale_guides g GROUP BY 1`,
        )
        .all() as { staff_id: string; sales: number; net: number }[])
        held.set(`${id}/${r.staff_id}`, { sales: r.sales, net: r.net });
    expect(held.size).toBeGreaterThan(6);
    const { from, to } = day();
    const figures = async () =>
      (await call('GET', `/figures/guides?from=${from}&to=${to}`, undefined, 'ana')).body.rows as J[];
    await expect
      .poll(
        async () =>
          new Map(
            (await figures())
              .filter((r) => r.assistedSales > 0)
              .map((r) => [`${r.storeId}/${r.staffId}`, { sales: r.assistedSales, net: r.netAssistedFen }]),
          ),
        { timeout: 15_000 },
      )
      .toEqual(held);
    const api = await figures();
    expect(api.map((r) => r.netAssistedFen)).toEqual(api.map((r) => r.netAssistedFen).sort((a, b) => b - a));
    expect(api.some((r) => r.callsAnswered > 0 && r.medianSecondsToAccept > 0)).toBe(true);

    await tab('guides');
    const rows = () =>
      page
        .locator('#guides-table tbody tr')
        .evaluateAll((trs) =>
          trs.map(
            (tr) =>
              `${tr.querySelector('td:nth-child(2)')?.getAttribute('data-v')}/${tr.getAttribute('data-staff')}`,
          ),
        );
    await expect.poll(rows, { timeout: 10_000 }).toEqual(api.map((r) => `${r.storeId}/${r.staffId}`));
    expect(await page.locator('#guide-days-box').isHidden()).toBe(true);
    // one store: its guides by day (today, in the chain's zone)
    await page.locator('#guide-store').selectOption('dash-0002');
    await expect
      .poll(() => page.locator('#guide-days-table tbody tr').count(), { timeout: 10_000 })
      .toBe(api.filter((r) => r.storeId === 'dash-0002').length);
    expect(await page.locator('#guide-days-table thead').textContent()).toContain('协助净额');
    await snapshot(page, 'hq-guides.png');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid=csv-guide-days]').click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8')
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(csv[0]).toContain('协助净额');
    expect(csv).toHaveLength(1 + api.filter((r) => r.storeId === 'dash-0002').length);
    await page.locator('#guide-store').selectOption('');
  });

  it('rolls a campaign out to a group: an analyst cannot, an operator can; one store refuses and says why', async () => {
    await tab('rollout');
    expect(await page.locator('#push-form').isVisible()).toBe(false);
    expect(await page.locator('#analyst-note').isVisible()).toBe(true);
    const promos = JSON.parse(readFileSync(SEED, 'utf8')).promotions;
    const doc = { ...promos, version: 2 };
    expect(
      (
        await call(
          'POST',
          '/pushes',
          { dataset: 'promotions', version: 2, body: doc, group: 'east-pilot' },
          'ana',
        )
      ).status,
    ).toBe(403);

    await signIn('ops', 'ops-password');
    await tab('rollout');
    await page.locator('#push-dataset').selectOption('promotions');
    await page.locator('#push-version').fill('2');
    await page.locator('#push-target').selectOption('group:east-pilot');
    await page.locator('#push-body').fill(JSON.stringify(doc));
    await page.locator('#push-form button[type=submit]').click();
    await expect.poll(() => page.locator('#push-msg').textContent(), { timeout: 10_000 }).toMatch(/#\d+ → 3/);
    const status = (id: string) => page.locator(`#push-stores-table tr[data-store="${id}"]`).textContent();
    await expect.poll(() => status('dash-0001'), { timeout: 30_000 }).toContain('已生效');
    await expect.poll(() => status('dash-0002'), { timeout: 30_000 }).toContain('已生效');
    await expect.poll(() => status('dash-rogue'), { timeout: 30_000 }).toContain('已拒绝');
    expect(await status('dash-rogue')).toContain('signature does not verify');
    await snapshot(page, 'hq-rollout.png');

    // in English too
    await page.locator('#lang').click();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await expect.poll(() => status('dash-rogue'), { timeout: 10_000 }).toContain('rejected');
    expect(await page.locator('#tabs [data-tab=ranking]').textContent()).toBe('Ranking');
    await page.locator('#lang').click();
  });
});

describe('HQ page routes refuse bad input', () => {
  it('floor plans: SVG, non-images, lies about the type, and oversize are refused; nothing changes', async () => {
    const before = (await call('GET', '/stores/dash-0004', undefined, 'ana')).body.hasFloorPlan;
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><script>alert(1)</script><rect width="200" height="100"/></svg>',
    );
    expect((await call('PUT', '/stores/dash-0004/floor-plan', svg, 'ops', 'image/svg+xml')).status).toBe(415);
    // SVG bytes sent as a PNG: the bytes decide
    const lie = await call('PUT', '/stores/dash-0004/floor-plan', svg, 'ops', 'image/png');
    expect(lie.status).toBe(415);
    expect(lie.body.error.code).toBe('UNSUPPORTED_IMAGE');
    const junk = await call(
      'PUT',
      '/stores/dash-0004/floor-plan',
      Buffer.from('not a png at all'),
      'ops',
      'image/png',
    );
    expect(junk.status).toBe(422);
    const big = await sharp({
      create: {
        width: 3000,
        height: 3000,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(big.length).toBeGreaterThan(4 * 1024 * 1024);
    expect((await call('PUT', '/stores/dash-0004/floor-plan', big, 'ops', 'image/png')).status).toBe(413);
    expect(
      (await call('PUT', '/stores/dash-0004/floor-plan', Buffer.alloc(0), 'ops', 'image/png')).status,
    ).toBeLessThan(500);
    // an analyst may not upload
    const ok = await floorPlanPng(20, 12, FLEET_SHELVES);
    expect((await call('PUT', '/stores/dash-0004/floor-plan', ok, 'ana', 'image/png')).status).toBe(403);
    expect((await call('GET', '/stores/dash-0004', undefined, 'ana')).body.hasFloorPlan).toBe(before);
    // a big photo is kept, scaled to fit 2000 px
    const photo = await sharp({ create: { width: 3000, height: 1500, channels: 3, background: '#ddd' } })
      .jpeg()
      .toBuffer();
    const put = await call('PUT', '/stores/dash-0005/floor-plan', photo, 'ops', 'image/jpeg');
    expect(put).toMatchObject({ status: 201, body: { width: 2000, height: 1000 } });
  });

  it('figures and profiles: a clear 4xx for every bad query or body', async () => {
    const { from, to } = day();
    const bad: [string, string, unknown?, string?][] = [
      ['GET', `/figures/stores?from=${from}&to=${to}&sort=dropTables`],
      ['GET', `/figures/stores?from=${to}&to=${from}`],
      ['GET', `/figures/stores?from=0&to=${to}`],
      ['GET', `/figures/stores?from=${from}&to=${to}&tz=Mars/Olympus`],
      ['GET', `/figures/stores?from=${from}&to=${to}&store=dash-0001&group=east-pilot`],
      ['GET', `/figures/stores/dash-0001?from=${from}&to=${to}&bucket=minute`],
      ['GET', `/figures/zones?from=${from}&to=${to}&zoneType=${encodeURIComponent("x' OR 1=1")}`],
      ['GET', `/figures/compare?store=dash-0001&beforeFrom=1&beforeTo=0&afterFrom=${from}&afterTo=${to}`],
      [
        'GET',
        `/figures/compare?store=dash-0001&zone=nope&beforeFrom=${from}&beforeTo=${to}&afterFrom=${from}&afterTo=${to}`,
      ],
      ['PUT', '/stores/dash-0001/profile', {}],
      ['PUT', '/stores/dash-0001/profile', { groups: ['a', 'a'] }],
      ['PUT', '/stores/dash-0001/profile', { timeZone: 'Nowhere/Land' }],
      ['PUT', '/stores/dash-0001/profile', { region: '<script>' }],
      ['PUT', '/stores/dash-0001/profile', { name: 'x', extra: 1 }],
      ['PUT', '/stores/dash-0001/profile', { name: 'x' }, 'ana'],
      ['POST', '/pushes', { dataset: 'promotions', version: 9, body: {}, group: 'no-such-group' }],
      ['POST', '/pushes', { dataset: 'promotions', version: 9, body: {}, group: 'east-pilot', all: true }],
    ];
    const profile = (await call('GET', '/stores/dash-0001', undefined, 'ana')).body;
    for (const [method, path, body, as] of bad) {
      const r = await call(method, path, body, as ?? 'ops');
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${method} ${path}`).toBeLessThan(500);
      expect(r.body.error.message, path).toBeTruthy();
    }
    const after = (await call('GET', '/stores/dash-0001', undefined, 'ana')).body;
    expect([after.name, after.region, after.groups, after.timeZone]).toEqual([
      profile.name,
      profile.region,
      profile.groups,
      profile.timeZone,
    ]);
    // without a session, nothing
    expect((await call('GET', `/figures/stores?from=${from}&to=${to}`)).status).toBe(401);
  });
});
