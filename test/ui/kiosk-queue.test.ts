// A queue at the self-checkout on the real clip, in Chromium: the sample clip's kerb zone
// (test/fixtures/vision/vtest-zone-labels.json, where the hand labels put two people at
// once for a few stretches) marked as the kiosks' waiting area with a limit of two,
// played in real time on a loop. The staff dashboard and a guide's phone show the alert
// when two wait, and it closes by itself once the zone has been under the limit for two
// seconds; the hour is kept.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/browser.js';
import { daemonApi } from '../helpers/daemon.js';
import { VTEST_SCENE, visionFixture } from '../models/fixtures.js';
import { pageSuite } from './store.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const KERB = [
  [0.78, 0.46],
  [0.95, 0.46],
  [0.95, 0.74],
  [0.78, 0.74],
];
const suite = pageSuite(`vision: { flushSeconds: 1 }
cameras:
  - id: walkway
    source: { type: file, url: ${visionFixture('vtest.avi')}, realtime: true, loop: true }
    fps: 5
    frameSize: { width: 768, height: 576 }
    zones:
      - id: kerb
        polygon: ${JSON.stringify(KERB)}
        minDwellSeconds: 1
        queue: { maxLength: 2, maxWaitSeconds: 600, raiseSeconds: 0, clearSeconds: 2 }
    floorPlan: ${JSON.stringify(VTEST_SCENE.floorPlan)}
`);
const api = daemonApi(() => suite.daemon);
let board: Page;
let phone: Page;

async function signIn(page: Page, path: string, id: string, pin: string) {
  await page.goto(`${suite.url}${path}`);
  await page.getByLabel('员工编号').fill(id);
  await page.getByLabel('密码').fill(pin);
  await page.getByRole('button', { name: '登录' }).click();
}

beforeAll(async () => {
  board = await suite.browser.newPage({ viewport: { width: 1440, height: 1000 } });
  phone = await suite.browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
});

describe('a queue at the kiosks', () => {
  it('alerts the dashboard and the guides when two wait on the clip, and clears by itself', async () => {
    await signIn(board, '/ui/staff/', 'mgr-1', '1234');
    await signIn(phone, '/ui/guide/', 'guide-1', '2468');
    const staff = (await api('POST', '/staff/sessions', { staffId: 'mgr-1', pin: '1234' })).token as string;
    const queues = () => api('GET', '/vision/queues', undefined, { 'x-staff-token': staff });

    const alert = board.getByTestId('queue-alert');
    await alert.waitFor({ state: 'visible', timeout: 100_000 });
    expect(await alert.textContent()).toContain('请增开收银台或前往收银区');
    await phone.getByTestId('queue-alert').waitFor({ state: 'visible', timeout: 10_000 });
    await snapshot(board, 'staff-queue-alert.png');
    const during = (await queues()) as J;
    expect(during.queues).toHaveLength(1);
    expect(during.queues[0]).toMatchObject({ zoneId: 'kerb', maxLength: 2 });
    // the dashboard's list says how many wait
    expect(await board.getByTestId('queues').textContent()).toContain('kerb');

    // nobody, or one, at the kerb for two seconds: the watch closes the alert itself
    await alert.waitFor({ state: 'hidden', timeout: 60_000 });
    await phone.getByTestId('queue-alert').waitFor({ state: 'hidden', timeout: 10_000 });
    const after = (await queues()) as J;
    expect(after.queues[0].alertId).toBeNull();
    const [hour] = after.hours as J[];
    expect(hour).toMatchObject({ cameraId: 'walkway', zoneId: 'kerb' });
    expect(hour.alerts).toBeGreaterThanOrEqual(1);
    expect(hour.maxLength).toBeGreaterThanOrEqual(2);
    expect(hour.alertSeconds).toBeGreaterThanOrEqual(2);
  }, 200_000);
});
