import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/browser.js';
import { daemonApi } from '../helpers/daemon.js';
import { attendantFindsSale, openKiosk, pageSuite, readQr } from './store.js';

const MILK = '6922001001036'; // ¥12.90
const COLA = '6911003001045'; // ¥2.50

const suite = pageSuite(`payments:
  codeGateway: { enabled: true, simulate: true }
`);
const api = daemonApi(() => suite.daemon);
const scan = (code: string) => api('POST', '/demo/kiosks/kiosk-1/scanner', { code });
let page: Page;

beforeAll(async () => {
  page = await suite.browser.newPage({ viewport: { width: 1080, height: 1920 } });
});

describe('face pay and a partial refund at the kiosk', () => {
  it('pays by face, then refunds one carton of two at the kiosk', async () => {
    await openKiosk(page, suite.url);
    await scan(MILK);
    await page.locator('#lines li', { hasText: '× 1' }).waitFor();
    await new Promise((r) => setTimeout(r, 1100)); // past the scanner's double-read window
    await scan(MILK);
    await page.locator('#lines li', { hasText: '× 2' }).waitFor();
    await scan(COLA);
    await page.locator('#lines li', { hasText: '冰峰' }).waitFor();
    const total = (await page.getByTestId('total').textContent())!;

    const face = page.getByRole('button', { name: '刷脸支付' });
    await face.waitFor(); // offered: the kiosk's face-pay device is up
    await face.click();
    await page.getByText('请看向刷脸设备，并在设备上确认付款').waitFor();
    await page.getByRole('heading', { name: '支付成功' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#paid-total').textContent()).toBe(total);
    const receiptNo = (await page.getByTestId('receipt-no').textContent())!;

    // paid without a member: the dairy offer is a QR code the shopper's phone claims into a wallet
    const offerQr = page.getByTestId('offer-qr');
    await offerQr.and(page.locator('[src^="data:"]')).waitFor();
    expect(await page.getByRole('button', { name: '一键领取' }).isHidden()).toBe(true);
    const link = await readQr((await offerQr.getAttribute('src'))!);
    expect(link.startsWith(`${suite.url}/ui/shopper/#offer=SEO1.`)).toBe(true);
    const supToken = (await api('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' }))
      .token as string;
    const member = await api('POST', '/staff/members', { name: 'Chen' }, { 'x-staff-token': supToken });
    const phone = await suite.browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.goto(link);
    await phone.getByText('请先登录会员，即可领取购物后赠送的优惠券').waitFor();
    await phone.getByLabel('会员登录').fill(member.code);
    await phone.getByRole('button', { name: '确认' }).click();
    await phone.getByTestId('offer-claimed').filter({ hasText: '乳制品回购券' }).waitFor();
    const wallet = await api('GET', '/wallet', undefined, { 'x-member-code': member.code });
    expect(wallet.coupons.map((c: { campaignId: string }) => c.campaignId)).toEqual(['dairy-repurchase']);
    // the ticket claims once
    const again = await api(
      'POST',
      '/offers/claim',
      { ticket: link.split('#offer=')[1] },
      { 'x-member-code': member.code },
    );
    expect(again.error.code).toBe('COUPON_ALREADY_CLAIMED');
    await phone.close();

    await page.getByRole('button', { name: '完成' }).click();
    await page.getByText('请扫描第一件商品').waitFor();

    // what the store recorded: one payment-code tender for the whole amount
    const sup = (await api('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' })).token as string;
    const staff = { 'x-staff-token': sup };
    const sale = await api('GET', `/staff/sales/by-receipt/${receiptNo}`, undefined, staff);
    expect(`¥${(sale.totalFen / 100).toFixed(2)}`).toBe(total);
    const milk = sale.lines.find((l: { gtin: string }) => l.gtin.endsWith(MILK));
    expect(milk.qty).toBe(2);

    // the attendant refunds one of the two cartons, by receipt number, at the kiosk
    await attendantFindsSale(page, receiptNo);
    await page.getByLabel(/纯牛奶.*\(2\/2\)/).fill('1');
    await snapshot(page, 'kiosk-partial-refund.png');
    await page.getByRole('button', { name: '退所选商品' }).click();
    const half = milk.netFen / 2;
    await page.getByText(`已退款 ¥${(half / 100).toFixed(2)}`).waitFor();
    const after = await api('GET', `/staff/sales/by-receipt/${receiptNo}`, undefined, staff);
    expect(after.refundedFen).toBe(half);
    expect(after.lines.find((l: { gtin: string }) => l.gtin.endsWith(MILK)).refundedQty).toBe(1);
    // the rest stays refundable: found again, the carton left is offered as 1 of 2
    await page.getByRole('button', { name: '查找' }).click();
    await page.getByLabel(/纯牛奶.*\(1\/2\)/).waitFor();
    await page.getByRole('button', { name: '退出店员模式' }).click();
  }, 90_000);
});
