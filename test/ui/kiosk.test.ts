import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../../edge/catalog/gtin.js';
import { smallTargets, snapshot } from '../helpers/browser.js';
import { daemonApi } from '../helpers/daemon.js';
import { attendantFindsSale, openKiosk, pageSuite, readQr } from './store.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const MILK = '6922001001036';
const BEER = '6911006001011';
const APPLES = '2010001000006'; // a PLU shelf code: sold by weight
const LOW_LABEL = withCheckDigit('211000100001'); // a price label: ¥0.01 of apples

const suite = pageSuite();
let page: Page;

const api = daemonApi(() => suite.daemon);

const scan = (code: string) => api('POST', '/demo/kiosks/kiosk-1/scanner', { code });
/** A kiosk state: every control at least 64 CSS px each way, then axe and the screenshot. */
const shot = async (name: string) => {
  expect(await smallTargets(page, 64), name).toEqual([]);
  await snapshot(page, name);
};

beforeAll(async () => {
  page = await suite.browser.newPage({ viewport: { width: 1080, height: 1920 } });
});

describe('self-checkout kiosk page', () => {
  it('a sale: scanner items, member coupon redeemed by itself, attendant age check, card, receipt, offer claimed', async () => {
    // a member with the welcome coupon in their wallet
    const sup = (await api('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' })).token as string;
    const member = await api('POST', '/staff/members', { name: 'Zhang' }, { 'x-staff-token': sup });
    expect(
      (await api('POST', '/coupons/claim', { campaignId: 'welcome-5' }, { 'x-member-code': member.code }))
        .campaignId,
    ).toBe('welcome-5');

    // a fresh kiosk asks staff for its id and token: a wrong token is refused, nothing kept
    await page.goto(`${suite.url}/ui/kiosk/`);
    await page.getByLabel('收银机编号').fill('kiosk-1');
    await page.getByLabel('收银机令牌').fill('not-the-token-of-kiosk-1');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('编号或令牌不正确').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('storeedge.kiosk'))).toBeNull();
    await openKiosk(page, suite.url);
    expect(page.url()).toBe(`${suite.url}/ui/kiosk/`); // no credential in the address, ever
    // the idle screen's QR opens the shopper page at the store's HTTPS address
    const shopQr = page.getByTestId('shop-qr');
    await shopQr.and(page.locator('[src^="data:"]')).waitFor();
    expect(await readQr((await shopQr.getAttribute('src'))!)).toBe(`${suite.url}/ui/shopper/`);
    await shot('kiosk-idle-portrait.png');

    // one item at a time, as a shopper does: the scanner drops a repeat of the same code
    // within its debounce window as a double read
    for (let n = 1; n <= 3; n++) {
      await scan(MILK);
      await page.locator('#lines li', { hasText: `× ${n}` }).waitFor();
      await new Promise((r) => setTimeout(r, 1100));
    }
    await page.getByLabel('会员码').fill(member.code);
    await page.getByRole('button', { name: '确认' }).click();
    await page.locator('#coupons', { hasText: '−¥5.00' }).waitFor();

    // a loose item: the station weighs it on the scale when it is scanned
    await api('PUT', '/demo/kiosks/kiosk-1/scale', { grams: 1234, settleMs: 200 });
    await scan(APPLES);
    await page.locator('#lines li', { hasText: '1.234 kg' }).waitFor();

    await scan(BEER);
    await page.locator('#lines li', { hasText: '需店员核验年龄' }).waitFor();
    expect(await page.getByRole('button', { name: '刷卡支付' }).isDisabled()).toBe(true);
    await shot('kiosk-cart-portrait.png');

    await page.getByRole('button', { name: '店员模式' }).click();
    await page.getByLabel('员工编号').fill('sup-1');
    await page.getByLabel('密码').fill('5678');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('button', { name: '核验通过' }).click();
    await page.locator('#att-lines li', { hasText: '需店员核验年龄' }).waitFor({ state: 'detached' });
    // a store-scale price label far below the apples' price per kg waits for the attendant too
    await scan(LOW_LABEL);
    await page.locator('#att-lines li', { hasText: '标签需店员核验' }).waitFor();
    await shot('kiosk-label-check-portrait.png');
    await page.getByRole('button', { name: '标签核验通过' }).click();
    await page.locator('#att-lines li', { hasText: '标签需店员核验' }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: '退出店员模式' }).click();

    const total = await page.getByTestId('total').textContent();
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shot('kiosk-cart-landscape.png');
    await page.getByRole('button', { name: '刷卡支付' }).click();
    await page.getByRole('heading', { name: '支付成功' }).waitFor({ timeout: 20_000 });
    await page.getByText('小票已打印').waitFor({ timeout: 10_000 });
    expect(await page.locator('#paid-total').textContent()).toBe(total);
    await page.getByRole('button', { name: '一键领取' }).click();
    await page.getByText('已领取，下次购物自动使用').waitFor();
    await shot('kiosk-paid-landscape.png');

    // what the devices and the member's wallet say
    const wallet = await api('GET', '/wallet', undefined, { 'x-member-code': member.code });
    const welcome = wallet.coupons.find((c: J) => c.campaignId === 'welcome-5');
    expect(welcome.status).toBe('redeemed');
    expect(wallet.coupons.length).toBe(2); // the offer went into the wallet
    const receipts = await api('GET', '/demo/kiosks/kiosk-1/printer/receipts');
    expect(receipts.at(-1).lines.join('\n')).toContain(total!.replace('¥', ''));

    await page.getByRole('button', { name: '完成' }).click();
    await page.getByText('请扫描第一件商品').waitFor();

    // the shopper comes back: the attendant refunds the sale at the kiosk by the receipt
    // number printed on it
    const printed = (await api('GET', '/demo/kiosks/kiosk-1/printer/receipts')).at(-1);
    const receiptNo = /\bR\d{8}-\d{5}\b/.exec(printed.lines.join('\n'))?.[0] as string;
    expect(receiptNo).toBeDefined();
    await attendantFindsSale(page, receiptNo);
    await page.getByRole('button', { name: '全额退款' }).click();
    await page.getByText(`已退款 ${total}`).waitFor();
    await shot('kiosk-attendant-refund.png');
    const sale = await api('GET', `/staff/sales/by-receipt/${receiptNo}`, undefined, {
      'x-staff-token': sup,
    });
    expect(sale.refundedFen).toBe(sale.totalFen);
    await page.getByRole('button', { name: '退出店员模式' }).click();
  }, 120_000);

  it('says so when a device is down, and calls an attendant', async () => {
    await api('PUT', '/demo/kiosks/kiosk-1/terminal', { online: false });
    await page.getByText('刷卡终端不可用，请使用付款码').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: '呼叫店员' }).click();
    await page.getByText('已通知店员，请稍候').waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByText('Card terminal unavailable: please use a payment code').waitFor();
    await shot('kiosk-terminal-down-en.png');
    await api('PUT', '/demo/kiosks/kiosk-1/terminal', { online: true });
  }, 60_000);
});
