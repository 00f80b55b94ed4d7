import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/browser.js';
import { daemonApi } from '../helpers/daemon.js';
import { KIOSK_TOKEN, pageSuite } from './store.js';

const MILK = '6922001001036'; // ¥12.90
const COLA_2L = '6911003001069';
const COLA_330 = '6911003001045'; // ¥2.50: the one left out

const suite = pageSuite(`exitAudit: { baseRate: 1, maxRate: 1, linesToCheck: 1 }
`);
const api = daemonApi(() => suite.daemon);
const kiosk = { authorization: `Bearer ${KIOSK_TOKEN}` };
let staffPhone: Page;

beforeAll(async () => {
  staffPhone = await suite.browser.newPage({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
  });
});

/** A phone cart of milk and a big cola, taken over and paid by card at kiosk-1. */
async function scanAndGoSale() {
  const cart = await api('POST', '/carts', { channel: 'phone' });
  const shopper = { 'x-cart-token': cart.cartToken };
  await api('POST', `/carts/${cart.cartId}/scans`, { code: MILK }, shopper);
  await api('POST', `/carts/${cart.cartId}/scans`, { code: COLA_2L }, shopper);
  await api('POST', '/kiosk/handoff', { cartCode: cart.cartCode, kioskId: 'kiosk-1' }, kiosk);
  await api('POST', `/carts/${cart.cartId}/checkout`, {}, kiosk);
  const paid = await api('POST', `/carts/${cart.cartId}/payments/card`, {}, kiosk);
  expect(paid.status).toBe('approved');
  return { saleId: paid.sale.saleId as string, shopper };
}

describe('exit check with a risk-based audit', () => {
  it('spot check, full check, an item not scanned found and paid, figures on the dashboard', async () => {
    const { saleId, shopper } = await scanAndGoSale();
    const pass = await api('GET', `/sales/${saleId}/exit-pass`, undefined, shopper);
    const receipt = await api('GET', `/sales/${saleId}/receipt`, undefined, shopper);
    // the shopper cannot tell whether they will be checked
    expect(JSON.stringify([pass, receipt])).not.toMatch(/audit|signal|probability/i);

    await staffPhone.goto(`${suite.url}/ui/exit/`);
    await staffPhone.getByLabel('员工编号').fill('sup-1');
    await staffPhone.getByLabel('密码').fill('5678');
    await staffPhone.getByRole('button', { name: '登录' }).click();
    await staffPhone.getByLabel('出门凭证').fill(pass.payload);
    await staffPhone.getByRole('button', { name: '核验' }).click();
    await staffPhone.getByRole('heading', { name: '凭证有效' }).waitFor();
    await staffPhone.getByText('抽查：请核对以下 1 行商品').waitFor();
    expect(await staffPhone.locator('#audit-lines li').count()).toBe(1);

    // something is off: the spot check becomes a full check of both lines
    await staffPhone.getByRole('button', { name: '有出入：全部核对' }).click();
    await staffPhone.getByText('全部核对：请核对每一件商品').waitFor();
    await staffPhone.locator('#audit-lines li').nth(1).waitFor();
    expect(await staffPhone.locator('#audit-lines li').count()).toBe(2);

    // a small cola in the bag was never scanned: sold at the door, paid in cash
    await staffPhone.getByRole('button', { name: '发现漏扫商品' }).click();
    await staffPhone.getByLabel('漏扫商品条码').fill(COLA_330);
    await staffPhone.getByRole('button', { name: '添加' }).click();
    await staffPhone.locator('#missing-list li', { hasText: '¥2.50' }).waitFor();
    await staffPhone.getByLabel('收取现金 (元)').fill('10');
    await snapshot(staffPhone, 'exit-check-missing.png');
    await staffPhone.getByRole('button', { name: '收款并放行' }).click();
    const doneText = staffPhone.getByTestId('audit-done');
    await doneText.filter({ hasText: '已补收 ¥2.50 · 找零 ¥7.50 · R' }).waitFor();

    // the recovery is a sale of its own, and the audit is closed: a second scan says so
    const sup = {
      'x-staff-token': (await api('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' })).token,
    };
    const recoveryNo = (await doneText.textContent())!.split(' · ').at(-1)!;
    const recovery = await api('GET', `/staff/sales/by-receipt/${recoveryNo}`, undefined, sup);
    expect(recovery.totalFen).toBe(250);
    expect(recovery.lines.map((l: { gtin: string }) => l.gtin.slice(1))).toEqual([COLA_330]);
    await staffPhone.getByRole('button', { name: '核验' }).click();
    await staffPhone.getByRole('heading', { name: '凭证已核验过' }).waitFor();
    expect(await staffPhone.locator('#audit').isHidden()).toBe(true);

    const figures = await api('GET', '/staff/exit-audits/figures', undefined, sup);
    expect(figures).toMatchObject({ audited: 1, checked: 1, hits: 1, recoveredFen: 250, hitRate: 1 });
    // the recovery sale is not audited itself
    expect(figures.scanAndGoSales).toBe(1);

    // the staff dashboard shows the day's figures
    await staffPhone.goto(`${suite.url}/ui/staff/`);
    await staffPhone.getByTestId('recovered-fen').filter({ hasText: '¥2.50' }).waitFor({ timeout: 15_000 });
    expect(await staffPhone.getByTestId('audit-rate').textContent()).toBe('100.0% (1/1)');
  }, 90_000);
});
