// Store guides in Chromium, with two phones (a shopper's and a guide's, separate browser
// contexts): the shopper calls from the dairy aisle with the milk in hand, the guide
// sees it and takes it (a second guide is told it is taken), sees no member details
// until the member agrees (the API refuses them, and the refusal is audited), sends a
// coupon and a product; the shopper claims the one and adds the other; the guide ends
// the call; the shopper pays at a kiosk and the sale is credited to the guide, in the
// day's figures. A call nobody takes shows on the staff dashboard; a guide's code
// scanned at a kiosk credits the cart there.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { sidewaysAt, smallTargets, snapshot } from '../helpers/browser.js';
import { daemonApi } from '../helpers/daemon.js';
import { openKiosk, pageSuite } from './store.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const MILK = '6922001001036';
const empty = mkdtempSync(join(tmpdir(), 'storeedge-no-frames-'));
// a camera with two aisles on a floor plan; no frames to analyse (the zones are what matter)
const suite = pageSuite(`guides: { escalateAfterSeconds: 3 }
cameras:
  - id: floor
    source: { type: images, url: ${empty} }
    fps: 5
    frameSize: { width: 640, height: 480 }
    zones:
      - { id: dairy-aisle, polygon: [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3], [0.1, 0.3]], categories: [dairy] }
      - { id: snack-aisle, polygon: [[0.6, 0.1], [0.8, 0.1], [0.8, 0.3], [0.6, 0.3]], categories: [snacks] }
    floorPlan: { homography: [20, 0, 0, 0, 12, 0, 0, 0, 1], widthM: 20, depthM: 12, cellM: 1 }
`);
const api = daemonApi(() => suite.daemon);
let shopper: Page;
let guide: Page;
let sup: string;
let member: J;

/** A phone state: every control at least 48 CSS px, nothing sideways at 320 px, axe, a screenshot. */
async function phoneState(page: Page, name: string): Promise<void> {
  expect(await smallTargets(page, 48), name).toEqual([]);
  expect(await sidewaysAt(page, 320, 640), name).toEqual([]);
  await snapshot(page, name);
}
const phone = () => ({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

beforeAll(async () => {
  shopper = await (await suite.browser.newContext(phone())).newPage();
  guide = await (await suite.browser.newContext(phone())).newPage();
  sup = (await api('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' })).token;
  member = await api('POST', '/staff/members', { name: 'Zhao' }, { 'x-staff-token': sup });
});

describe('calling a guide', () => {
  it('from the aisle with a product: one guide takes it, recommends, and the shopper acts on it', async () => {
    // the shopper, signed in as a member, scans the milk and calls a guide
    await shopper.goto(`${suite.url}/ui/shopper/`);
    await shopper.getByLabel('会员登录').fill(member.code);
    await shopper.getByRole('button', { name: '确认' }).click();
    await shopper.getByText('会员已登录').waitFor();
    await shopper.getByLabel('输入商品条码').fill(MILK);
    await shopper.locator('#code-form').getByRole('button', { name: '查询' }).click();
    await shopper.getByRole('heading', { name: /纯牛奶/ }).waitFor();
    await shopper.getByRole('button', { name: '呼叫导购' }).click();
    const sheet = shopper.getByRole('dialog', { name: '呼叫导购' });
    await sheet.waitFor();
    await sheet.getByLabel('尺码或建议').check();
    expect(await sheet.getByLabel(/附上刚扫的商品/).isChecked()).toBe(true);
    await phoneState(shopper, 'shopper-call-guide.png');
    await sheet.getByRole('button', { name: '呼叫', exact: true }).click();
    await shopper.getByTestId('guide-state').filter({ hasText: '正在为您呼叫导购' }).waitFor();

    // the guide signs in and sees the call: why, where (the milk's shelf), what
    await guide.goto(`${suite.url}/ui/guide/`);
    await guide.getByLabel('员工编号').fill('guide-1');
    await guide.getByLabel('密码').fill('2468');
    await guide.getByRole('button', { name: '登录' }).click();
    await guide.getByLabel('我在').selectOption('dairy-aisle');
    const item = guide.locator('#open-list li', {
      hasText: '尺码或建议 · 区域 dairy-aisle · 草原牧场 纯牛奶 1L',
    });
    await item.waitFor({ timeout: 10_000 });
    await phoneState(guide, 'guide-open-calls.png');
    const { open } = await api('GET', '/staff/guide-calls', undefined, { 'x-staff-token': sup });
    const callId = open[0].id as string;
    await item.getByRole('button', { name: /^接单/ }).click();
    await guide.getByRole('heading', { name: '正在服务' }).waitFor();
    // a second guide pressing accept is told; the call has left every open list
    const second = await fetch(`${suite.daemon.address}/api/v1/staff/guide-calls/${callId}/accept`, {
      method: 'POST',
      headers: { 'x-staff-token': sup, 'content-type': 'application/json' },
      body: '{}',
    });
    expect([second.status, ((await second.json()) as J).error.code]).toEqual([409, 'CALL_TAKEN']);
    expect((await api('GET', '/staff/guide-calls', undefined, { 'x-staff-token': sup })).open).toEqual([]);
    await shopper.getByTestId('guide-state').filter({ hasText: '导购 Liu Fang 正在赶来' }).waitFor();

    // no consent yet: the guide sees nothing personal, and the API refuses it
    await guide.getByRole('button', { name: '查看会员信息' }).click();
    await guide.getByText('顾客未授权导购查看会员信息').waitFor();
    const g = (await api('POST', '/staff/sessions', { staffId: 'guide-1', pin: '2468' })).token as string;
    const refused = await fetch(`${suite.daemon.address}/api/v1/staff/guide-calls/${callId}/member`, {
      headers: { 'x-staff-token': g },
    });
    expect([refused.status, ((await refused.json()) as J).error.code]).toEqual([403, 'NO_MEMBER_CONSENT']);

    // the guide hands out a coupon guides may give, and recommends a product by its code
    await guide.getByRole('button', { name: '发送: 清爽个护9折券' }).click();
    await guide.locator('#s-sent li', { hasText: '清爽个护9折券' }).waitFor();
    await guide.getByLabel('推荐其他商品（条码）').fill('6933001001018'); // the shampoo the coupon is for
    await guide.getByRole('button', { name: '发送', exact: true }).click();
    await guide.locator('#s-sent li').nth(1).waitFor();
    await phoneState(guide, 'guide-serving.png');

    // the shopper sees both, claims the coupon and adds the product
    const recs = shopper.locator('#gc-recs li');
    await recs.nth(1).waitFor({ timeout: 10_000 });
    await recs.filter({ hasText: '清爽个护9折券' }).getByRole('button', { name: '一键领取' }).click();
    await recs.filter({ hasText: '清爽个护9折券' }).getByText('已领取').waitFor();
    await phoneState(shopper, 'shopper-guide-recommends.png');
    await recs.filter({ hasText: '导购推荐' }).getByRole('button', { name: '加入购物车' }).click();
    await shopper.getByTestId('cart-count').filter({ hasText: '(1)' }).waitFor();
    const wallet = await api('GET', '/wallet', undefined, { 'x-member-code': member.code });
    expect(wallet.coupons.map((c: J) => c.campaignId)).toContain('qingshuang-10pct');

    // the member agrees on their phone: now the guide sees tier, points, wallet
    await shopper.locator('[data-tab="wallet"]').click();
    await shopper.getByLabel('允许导购查看我的会员等级、积分、卡券和购买记录').check();
    await expect
      .poll(
        async () =>
          (
            await api('GET', '/members/me/guide-consent', undefined, {
              'x-member-session': (await api('POST', '/members/sessions', { code: member.code })).token,
            })
          ).consent,
      )
      .toBe(true);
    await guide.getByRole('button', { name: '查看会员信息' }).click();
    await guide.locator('#s-member-card', { hasText: '普通会员' }).waitFor();
    expect(await guide.locator('#s-member-card').textContent()).toContain('清爽个护9折券');
    // every ask is audited: refused twice (page and API), then shown
    const views = await api('GET', `/staff/members/${member.member.id}/views`, undefined, {
      'x-staff-token': sup,
    });
    expect(views.views.map((v: J) => [v.staffId, v.outcome])).toEqual([
      ['guide-1', 'shown'],
      ['guide-1', 'refused'],
      ['guide-1', 'refused'],
    ]);

    await guide.getByRole('button', { name: '服务完成' }).click();
    await guide.locator('#serving').waitFor({ state: 'hidden' });
    await shopper.locator('[data-tab="scan"]').click();
    await shopper
      .getByTestId('guide-state')
      .filter({ hasText: '导购服务已完成' })
      .waitFor({ timeout: 10_000 });

    // the shopper pays at a kiosk (the cart handed over by its code): the sale is the guide's
    await shopper.locator('[data-tab="cart"]').click();
    await shopper.getByRole('button', { name: '去自助收银台付款' }).click();
    const cartCode = (await shopper.getByTestId('cart-code').textContent())!;
    const kiosk = await suite.browser.newPage({ viewport: { width: 1080, height: 1920 } });
    await openKiosk(kiosk, suite.url);
    await kiosk.getByLabel('购物车码').fill(cartCode);
    await kiosk.getByRole('button', { name: '取出购物车' }).click();
    await kiosk.locator('#lines li', { hasText: '清爽 洗发水' }).waitFor();
    await kiosk.getByRole('button', { name: '刷卡支付' }).click();
    await kiosk.getByRole('heading', { name: '支付成功' }).waitFor({ timeout: 20_000 });
    const paid = (await kiosk.locator('#paid-total').textContent())!;
    await kiosk.close();
    const day = new Date();
    day.setHours(0, 0, 0, 0);
    const figures = await api(
      'GET',
      `/staff/guide-figures?from=${day.getTime()}&to=${day.getTime() + 86_400_000}`,
      undefined,
      { 'x-staff-token': sup },
    );
    expect(figures.guides).toEqual([
      expect.objectContaining({ staffId: 'guide-1', name: 'Liu Fang', callsAnswered: 1, assistedSales: 1 }),
    ]);
    expect(`¥${(figures.guides[0].assistedFen / 100).toFixed(2)}`).toBe(paid);
    expect(figures.guides[0].avgSecondsToAccept).toBeGreaterThan(0);
    expect(figures.guides[0].avgSecondsToDone).toBeGreaterThan(0);
  }, 120_000);

  it('a call nobody takes shows on the staff dashboard; the shopper can cancel it', async () => {
    const made = await api('POST', '/guide-calls', { reason: 'find', zoneId: 'snack-aisle' });
    const staff = await suite.browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await staff.goto(`${suite.url}/ui/staff/`);
    await staff.getByLabel('员工编号').fill('mgr-1');
    await staff.getByLabel('密码').fill('1234');
    await staff.getByRole('button', { name: '登录' }).click();
    const late = staff
      .getByTestId('late-guide-calls')
      .locator('li', { hasText: '找商品 · 区域 snack-aisle' });
    await late.waitFor({ timeout: 15_000 });
    // the day's guide figures, with the sale the first test's guide helped
    await staff.getByTestId('guide-figures').locator('tr', { hasText: 'Liu Fang' }).waitFor();
    await snapshot(staff, 'staff-dashboard-late-guide-call.png');
    const cancelled = await fetch(`${suite.daemon.address}/api/v1/guide-calls/${made.call.id}/cancel`, {
      method: 'POST',
      headers: { 'x-call-token': made.token, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(((await cancelled.json()) as J).status).toBe('cancelled');
    await late.waitFor({ state: 'detached', timeout: 10_000 });
    // without its token a call is nobody's business
    const peek = await fetch(`${suite.daemon.address}/api/v1/guide-calls/${made.call.id}`);
    expect(peek.status).toBe(401);
    await staff.close();

    // at a kiosk, the guide's code scanned with the items credits the cart, and says so
    const kiosk = await suite.browser.newPage({ viewport: { width: 1080, height: 1920 } });
    await openKiosk(kiosk, suite.url);
    const scan = (code: string) => api('POST', '/demo/kiosks/kiosk-1/scanner', { code });
    await scan(MILK);
    await kiosk.locator('#lines li', { hasText: '× 1' }).waitFor();
    const g = (await api('POST', '/staff/sessions', { staffId: 'guide-1', pin: '2468' })).token as string;
    const { code } = await api('GET', '/staff/guide-code', undefined, { 'x-staff-token': g });
    expect(code).toBe('storeedge:guide:guide-1');
    await scan(code);
    await kiosk.getByText('本单已记入导购 guide-1').waitFor();
    // a staff member who is no guide has no code to credit a sale
    const noCode = await fetch(`${suite.daemon.address}/api/v1/staff/guide-code`, {
      headers: { 'x-staff-token': sup },
    });
    expect(noCode.status).toBe(403);
    await kiosk.close();
  }, 60_000);
});
