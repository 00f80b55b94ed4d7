import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { sidewaysAt, smallTargets, snapshot } from '../helpers/browser.js';
import { daemonApi } from '../helpers/daemon.js';
import { openKiosk, pageSuite, readQr } from './store.js';

const MILK = '6922001001036';

const suite = pageSuite();
let phone: Page;

/** A phone state: every control at least 48 CSS px each way, then axe and the screenshot. */
async function phoneState(name: string): Promise<void> {
  expect(await smallTargets(phone, 48), name).toEqual([]);
  // zoomed in (WCAG's reflow width, 320 CSS px): still nothing to scroll sideways
  expect(await sidewaysAt(phone, 320, 640), name).toEqual([]);
  await snapshot(phone, name);
}
const api = daemonApi(() => suite.daemon);

beforeAll(async () => {
  phone = await suite.browser.newPage({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
  });
  // what the page asks the phone to buzz, kept where the test can read it
  await phone.addInitScript(() => {
    const w = globalThis as unknown as { buzzes: unknown[]; navigator: object };
    w.buzzes = [];
    Object.defineProperty(w.navigator, 'vibrate', {
      value: (pattern: unknown) => {
        w.buzzes.push(pattern);
        return true;
      },
    });
  });
});
const buzzes = () => phone.evaluate(() => (globalThis as unknown as { buzzes: unknown[] }).buzzes);
/** a box's place on the screen, in CSS px */
const box = async (selector: string) => (await phone.locator(selector).boundingBox())!;

describe('scan & go shopper page', () => {
  it('look up, claim a coupon, fill the cart, pay at a kiosk by cart code, see the sale and the wallet', async () => {
    const sup = (await api('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' })).token as string;
    const member = await api('POST', '/staff/members', { name: 'Li' }, { 'x-staff-token': sup });

    await phone.goto(`${suite.url}/ui/shopper/`);
    await phone.getByLabel('会员登录').fill(member.code);
    await phone.getByRole('button', { name: '确认' }).click();
    await phone.getByText('会员已登录').waitFor();

    await phone.getByLabel('输入商品条码').fill(MILK);
    await phone.locator('#code-form').getByRole('button', { name: '查询' }).click();
    await phone.getByRole('heading', { name: /纯牛奶/ }).waitFor();
    expect(await phone.locator('#p-price').textContent()).toBe('¥12.90');
    // every scan answers at once: a line of text and a short buzz; the price is the largest text
    await phone.getByRole('status').filter({ hasText: '草原牧场 纯牛奶 1L ¥12.90' }).waitFor();
    expect(await buzzes()).toEqual([40]);
    expect(
      await phone.locator('#p-price').evaluate((el) => {
        const g = globalThis as unknown as { getComputedStyle(e: unknown): { fontSize: string } };
        return Number.parseFloat(g.getComputedStyle(el).fontSize);
      }),
    ).toBeGreaterThanOrEqual(36);
    expect(await phone.locator('#p-promos').textContent()).toContain('¥11.61'); // the member promotion
    expect(await phone.locator('#p-related li').count()).toBe(4);
    const welcome = phone.locator('#p-coupons li', { hasText: '新会员' });
    await welcome.getByRole('button', { name: '一键领取' }).click();
    await welcome.getByText('已领取').waitFor();
    await phoneState('shopper-product.png');

    for (let n = 1; n <= 3; n++) {
      await phone.getByRole('button', { name: '加入购物车' }).click();
      await phone
        .getByTestId('cart-count')
        .filter({ hasText: `(${n})` })
        .waitFor();
      await phone
        .getByRole('status')
        .filter({ hasText: `已加入购物车：共 ${n} 件` })
        .waitFor();
    }
    // one-handed: the scan button and the tabs sit in the bottom quarter of the screen, where the thumb is
    await phone.getByRole('button', { name: '扫一扫' }).waitFor();
    for (const sel of ['#scan-start', '.tabs']) expect((await box(sel)).y, sel).toBeGreaterThan(844 * 0.75);
    await phone.locator('[data-tab="cart"]').click();
    await phone.locator('#cart-coupons', { hasText: '−¥5.00' }).waitFor();
    const total = await phone.getByTestId('cart-total').textContent();
    // what the coupon and the member price saved, beside the total
    expect(await phone.getByTestId('cart-saved').textContent()).toBe('¥8.87');
    await phoneState('shopper-cart.png');
    await phone.getByRole('button', { name: '去自助收银台付款' }).click();
    const code = (await phone.getByTestId('cart-code').textContent())!;
    expect(code).toMatch(/^[2-9A-Za-z]{6}$/);
    await phoneState('shopper-cart-code.png');

    const cartQr = await readQr((await phone.getByTestId('cart-qr').getAttribute('src'))!);
    expect(cartQr).toBe(`${suite.url}/ui/shopper/#cart=${code}`);

    // the kiosk's hardware scanner reads the phone's QR code and takes the cart over
    const kiosk = await suite.browser.newPage({ viewport: { width: 1080, height: 1920 } });
    await openKiosk(kiosk, suite.url);
    await kiosk.getByText('请扫描第一件商品').waitFor();
    await api('POST', '/demo/kiosks/kiosk-1/scanner', { code: cartQr });
    await kiosk.getByTestId('total').filter({ hasText: total! }).waitFor();
    await kiosk.getByRole('button', { name: '刷卡支付' }).click();
    await kiosk.getByRole('heading', { name: '支付成功' }).waitFor({ timeout: 20_000 });
    const receiptNo = await kiosk.getByTestId('receipt-no').textContent();

    await phone.getByTestId('paid-receipt').filter({ hasText: receiptNo! }).waitFor({ timeout: 10_000 });
    // the exit pass: read the QR code off the page as a door scanner would, then staff check it once
    const qr = phone.getByTestId('exit-qr');
    await qr.waitFor();
    const payload = await readQr((await qr.getAttribute('src'))!);
    expect(payload).toMatch(/^storeedge:exit:v1:/);
    const door = { 'x-staff-token': sup };
    expect(await api('POST', '/staff/exit-passes/check', { payload }, door)).toMatchObject({
      valid: true,
      receiptNo,
      itemCount: 3,
    });
    expect(await api('POST', '/staff/exit-passes/check', { payload }, door)).toMatchObject({
      valid: false,
      reason: 'ALREADY_USED',
    });
    const forged = payload.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await api('POST', '/staff/exit-passes/check', { payload: forged }, door)).toMatchObject({
      valid: false,
      reason: 'FORGED',
    });
    // the exit pass is large: most of the phone's width
    expect((await box('#exit-qr')).width).toBeGreaterThanOrEqual(300);
    await phoneState('shopper-paid.png');
    await phone.locator('[data-tab="wallet"]').click();
    await phone.locator('#w-coupons li', { hasText: '已使用' }).waitFor();
    expect(Number(await phone.getByTestId('points').textContent())).toBeGreaterThan(0);
    await phoneState('shopper-wallet.png');

    // the next item after a paid cart starts a new one
    await phone.locator('[data-tab="scan"]').click();
    await phone.getByRole('button', { name: '加入购物车' }).click();
    await phone.getByTestId('cart-count').filter({ hasText: '(1)' }).waitFor();
  }, 120_000);

  it('a kiosk also takes a phone cart over by its code typed on the screen', async () => {
    const c = await api('POST', '/carts', { channel: 'phone' });
    await api('POST', `/carts/${c.cartId}/scans`, { code: MILK, qty: 2 }, { 'x-cart-token': c.cartToken });
    const kiosk = await suite.browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await openKiosk(kiosk, suite.url);
    await kiosk.getByLabel('购物车码').fill(c.cartCode);
    await kiosk.getByRole('button', { name: '取出购物车' }).click();
    await kiosk.locator('#lines li', { hasText: '× 2' }).waitFor();
    await kiosk.close();
  });

  it("the entrance poster's QR opens the shopper page at the store's HTTPS address", async () => {
    const poster = await suite.browser.newPage();
    await poster.goto(`${suite.url}/ui/entrance/`);
    const qr = poster.getByTestId('entrance-qr');
    await qr.and(poster.locator('[src^="data:"]')).waitFor();
    expect(await readQr((await qr.getAttribute('src'))!)).toBe(`${suite.url}/ui/shopper/`);
    await snapshot(poster, 'entrance-poster.png');
    await poster.close();
  });

  it('an unknown barcode says so', async () => {
    await phone.locator('[data-tab="scan"]').click();
    await phone.getByLabel('输入商品条码').fill('6900000000000');
    await phone.locator('#code-form').getByRole('button', { name: '查询' }).click();
    await phone
      .getByRole('alert')
      .filter({ hasText: /未找到该商品|check digit/ })
      .waitFor();
    // a miss buzzes differently from a hit
    expect((await buzzes()).at(-1)).toEqual([90, 60, 90]);
  });
});
