// The kiosk's timeouts and shopper-facing states in Chromium: a refused scan says what
// to do in words, an open cart left untouched asks "still there?" and is set aside (its
// code takes it back at the kiosk), a cart being paid is never timed out, and the paid
// screen returns to the attract screen by itself. Timeouts are seconds here (config).
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { sidewaysAt, smallTargets, snapshot } from '../helpers/browser.js';
import { daemonApi } from '../helpers/daemon.js';
import { KIOSK_TOKEN as KIOSK, openKiosk, pageSuite } from './store.js';

const MILK = '6922001001036';
const suite = pageSuite(
  `kioskScreen: { stillThereSeconds: 2, setAsideSeconds: 3, doneSeconds: 3 }
payments:
  codeGateway: { enabled: true, simulate: true, confirmTimeoutMs: 5000 }
`,
);
const api = daemonApi(() => suite.daemon);
const scan = (code: string) => api('POST', '/demo/kiosks/kiosk-1/scanner', { code });
let page: Page;

const shot = async (name: string) => {
  expect(await smallTargets(page, 64), name).toEqual([]);
  await snapshot(page, name);
};
const station = () => api('GET', '/kiosk/stations/kiosk-1', undefined, { authorization: `Bearer ${KIOSK}` });

beforeAll(async () => {
  page = await suite.browser.newPage({ viewport: { width: 1080, height: 1920 } });
});

describe('kiosk timeouts', () => {
  it('a refused scan says what to do; an untouched cart is set aside and taken back by its code', async () => {
    await openKiosk(page, suite.url);
    // the attract screen says what to do, step by step, and where the shopper is
    await page.getByRole('listitem').filter({ hasText: '散装蔬果先放在秤上' }).waitFor();
    expect(await page.locator('#steps [aria-current="step"]').textContent()).toContain('扫描商品');
    await shot('kiosk-attract-portrait.png');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shot('kiosk-attract-landscape.png');
    await page.setViewportSize({ width: 1080, height: 1920 });
    // at 200% zoom, in either orientation, nothing needs scrolling sideways
    expect(await sidewaysAt(page, 540, 960)).toEqual([]);
    expect(await sidewaysAt(page, 960, 540)).toEqual([]);

    // a barcode with a wrong check digit, as the first scan: words, not a code
    await scan('6922001001037');
    await page.getByRole('alert').filter({ hasText: '这个条码没有读出来：请再扫一次' }).waitFor();
    await shot('kiosk-scan-refused-portrait.png');
    await scan(MILK);
    await page.locator('#lines li', { hasText: '× 1' }).waitFor();
    expect(await page.locator('#scan-note').isHidden()).toBe(true);
    expect(await sidewaysAt(page, 540, 960)).toEqual([]);
    expect(await sidewaysAt(page, 960, 540)).toEqual([]);
    const cartId = (await station()).cartId as string;

    // nobody touches it: still there? A touch keeps the cart
    const dialog = page.getByRole('alertdialog', { name: '您还在吗？' });
    await dialog.waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: '我还在，继续购物' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await station()).cartId).toBe(cartId);

    // asked again, and no answer: the cart is set aside, the screen back at the start
    await dialog.waitFor({ timeout: 10_000 });
    const text = (await page.locator('#st-text').textContent())!;
    const code = /暂存码 ([2-9A-Za-z]{6})/.exec(text)?.[1];
    expect(code, text).toBeTruthy();
    await shot('kiosk-still-there-portrait.png');
    await page.getByText('上一位顾客的购物车已暂存').waitFor({ timeout: 10_000 });
    expect((await station()).cartId).toBeNull();
    const aside = await api('GET', `/carts/${cartId}`, undefined, { authorization: `Bearer ${KIOSK}` });
    expect([aside.status, aside.lines.length]).toEqual(['suspended', 1]);

    // the shopper comes back: the code takes the cart back, items and all
    await page.getByLabel('购物车码').fill(code!);
    await page.getByRole('button', { name: '取出购物车' }).click();
    await page.locator('#lines li', { hasText: '× 1' }).waitFor();
    expect((await station()).cartId).toBe(cartId);
  }, 90_000);

  it('a cart being paid is never timed out; the paid screen goes back to the start by itself', async () => {
    await page.getByRole('button', { name: '付款码支付' }).click();
    await page.getByText('请向扫描枪出示付款码').waitFor();
    expect(await page.locator('#steps [aria-current="step"]').textContent()).toContain('付款');
    await shot('kiosk-paying-portrait.png');
    // past both timeouts: no question, the cart still paying on screen
    await new Promise((r) => setTimeout(r, 6500));
    expect(await page.getByRole('alertdialog').isVisible()).toBe(false);
    expect(await page.locator('#cart').isVisible()).toBe(true);
    const cartId = (await station()).cartId as string;
    expect(
      (await api('GET', `/carts/${cartId}`, undefined, { authorization: `Bearer ${KIOSK}` })).status,
    ).toBe('paying');
    await scan('134567890123456789'); // the shopper's payment code at the scanner
    await page.getByRole('heading', { name: '支付成功' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#steps [aria-current="step"]').textContent()).toContain('取小票');
    await page.getByText('秒后回到首页').waitFor();
    await page.getByText('请扫描第一件商品').waitFor({ timeout: 10_000 });
    expect(await page.locator('#done').isHidden()).toBe(true);
  }, 90_000);
});
