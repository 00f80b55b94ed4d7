import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/browser.js';
import { daemonApi } from '../helpers/daemon.js';
import { waitFor } from '../helpers/ports.js';
import { startWalletGateway, type WalletRig } from '../helpers/wallet.js';
import { httpsStore, type PageSuite, stopHttpsStore } from './store.js';

const MILK = '6922001001036';

const suite = {} as PageSuite;
let wallet: WalletRig;
const api = daemonApi(() => suite.daemon);

beforeAll(async () => {
  wallet = await startWalletGateway({ retryScale: 0.01 });
  Object.assign(suite, await httpsStore(wallet.yaml));
}, 60_000);
afterAll(async () => {
  await stopHttpsStore(suite);
  await wallet?.sim.close();
});

/** A fresh phone with one carton of milk in its cart, on the cart tab. */
async function phoneWithMilk(): Promise<Page> {
  const phone = await suite.browser.newPage({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
  });
  await phone.goto(`${suite.url}/ui/shopper/`);
  await phone.getByLabel('输入商品条码').fill(MILK);
  await phone.locator('#code-form').getByRole('button', { name: '查询' }).click();
  await phone.getByRole('heading', { name: /纯牛奶/ }).waitFor();
  await phone.getByRole('button', { name: '加入购物车' }).click();
  await phone.getByTestId('cart-count').filter({ hasText: '(1)' }).waitFor();
  await phone.locator('[data-tab="cart"]').click();
  await phone.getByTestId('cart-total').filter({ hasText: '¥' }).waitFor();
  return phone;
}

const cartOf = async (phone: Page) =>
  (await phone.evaluate(() => JSON.parse(localStorage.getItem('storeedge.shopper.cart') ?? 'null'))) as {
    cartId: string;
    cartToken: string;
  } | null;

/** Opens the wallet sheet (the store has made the order by then) and returns the order. */
async function openWallet(phone: Page) {
  await phone.getByRole('button', { name: '在手机上付款' }).click();
  await phone.getByRole('dialog', { name: '模拟钱包（演示）' }).waitFor();
  await snapshot(phone, 'shopper-wallet-sheet.png');
  const order = wallet.sim.latestOrder()!;
  expect(order.state).toBe('NOTPAY');
  expect(await phone.getByTestId('wallet-amount').textContent()).toBe(
    `¥${(order.amountFen / 100).toFixed(2)}`,
  );
  return order;
}

async function confirmAndSeePaid(phone: Page): Promise<string> {
  await phone.getByRole('button', { name: '确认支付' }).click();
  const receipt = phone.getByTestId('paid-receipt');
  await receipt.filter({ hasText: /^R\d{8}-\d{5}$/ }).waitFor({ timeout: 20_000 });
  await phone.getByTestId('exit-qr').waitFor();
  return (await receipt.textContent())!;
}

async function staffToken(): Promise<string> {
  return (await api('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' })).token as string;
}

/** The store's sale for a receipt number, with its tenders. */
async function saleOf(receiptNo: string) {
  const s = await api('GET', `/staff/sales/by-receipt/${receiptNo}`, undefined, {
    'x-staff-token': await staffToken(),
  });
  return s as { saleId: string; totalFen: number };
}

describe('paying on the phone', () => {
  it('notification on time: the wallet pays, the page shows the receipt and exit pass', async () => {
    const phone = await phoneWithMilk();
    const order = await openWallet(phone);
    await snapshot(phone, 'shopper-wallet.png');
    const receiptNo = await confirmAndSeePaid(phone);
    const mine = () => wallet.sim.deliveries.filter((d) => d.reference === order.reference);
    await waitFor('the delivery recorded', () => (mine().length > 0 ? true : undefined));
    expect(mine().map((d) => d.status)).toEqual([204]);
    expect((await saleOf(receiptNo)).totalFen).toBe(order.amountFen);
    expect(wallet.sim.charges().get(order.reference)).toBe(order.amountFen);
    await phone.close();
  });

  it('notification lost: the store settles by asking the gateway', async () => {
    const phone = await phoneWithMilk();
    const order = await openWallet(phone);
    wallet.sim.inject('lose');
    const receiptNo = await confirmAndSeePaid(phone);
    expect(wallet.sim.deliveries.filter((d) => d.reference === order.reference)).toEqual([]);
    expect(wallet.sim.queries.get(order.reference)).toBeGreaterThan(0);
    expect((await saleOf(receiptNo)).totalFen).toBe(order.amountFen);
    await phone.close();
  });

  it('notification twice: one sale, one charge', async () => {
    const phone = await phoneWithMilk();
    const cart = (await cartOf(phone))!;
    const order = await openWallet(phone);
    wallet.sim.inject('repeat');
    const receiptNo = await confirmAndSeePaid(phone);
    await waitFor('both deliveries', () =>
      wallet.sim.deliveries.filter((d) => d.reference === order.reference && d.status === 204).length === 2
        ? true
        : undefined,
    );
    const sale = await saleOf(receiptNo);
    const { receipt } = await api('GET', `/sales/${sale.saleId}/receipt`, undefined, {
      'x-cart-token': cart.cartToken,
    });
    expect(receipt.payments).toEqual([
      { kind: 'wallet', amountFen: order.amountFen, tenderedFen: order.amountFen },
    ]);
    expect(wallet.sim.charges().get(order.reference)).toBe(order.amountFen);
    await phone.close();
  });

  it('a forged notification is refused, the order is asked about, and nothing is sold until the shopper pays', async () => {
    const phone = await phoneWithMilk();
    const cart = (await cartOf(phone))!;
    const order = await openWallet(phone);
    const asked = wallet.sim.queries.get(order.reference) ?? 0;
    expect(await wallet.sim.forge(order.reference)).toBe(403);
    await waitFor('the order queried', () =>
      (wallet.sim.queries.get(order.reference) ?? 0) > asked ? true : undefined,
    );
    const q = await api('GET', `/carts/${cart.cartId}`, undefined, { 'x-cart-token': cart.cartToken });
    expect(q.status).toBe('paying');
    expect(q.saleId ?? null).toBeNull();
    await confirmAndSeePaid(phone);
    await phone.close();
  });

  it('the shopper cancels in the wallet: the order is closed and the cart is open again', async () => {
    const phone = await phoneWithMilk();
    const cart = (await cartOf(phone))!;
    const order = await openWallet(phone);
    await phone.getByRole('button', { name: '取消', exact: true }).click();
    await phone.getByText('付款未完成，购物车可继续使用').waitFor();
    await snapshot(phone, 'shopper-pay-not-done.png');
    expect(wallet.sim.orderState(order.reference)).toBe('CLOSED');
    const q = await api('GET', `/carts/${cart.cartId}`, undefined, { 'x-cart-token': cart.cartToken });
    expect(q.status).toBe('open');
    // shopping goes on, and a second try is a new order that pays
    await phone.locator('[data-tab="scan"]').click();
    await phone.getByRole('button', { name: '加入购物车' }).click();
    await phone.getByTestId('cart-count').filter({ hasText: '(2)' }).waitFor();
    await phone.locator('[data-tab="cart"]').click();
    const again = await openWallet(phone);
    expect(again.reference).not.toBe(order.reference);
    await confirmAndSeePaid(phone);
    expect(wallet.sim.charges().has(order.reference)).toBe(false);
    await phone.close();
  });

  it("inside the wallet's own browser: the page pays through WeixinJSBridge, and a cancel there closes the order", async () => {
    // what the WeChat client puts in its web view, standing in here: it hands the pay
    // parameters to the wallet (the simulated gateway's wallet side) and answers as WeChat does
    const bridged = async (answer: 'ok' | 'cancel') => {
      const phone = await suite.browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
      await phone.addInitScript((a) => {
        (globalThis as unknown as Record<string, unknown>).WeixinJSBridge = {
          invoke(name: string, params: Record<string, unknown>, cb: (r: { err_msg: string }) => void) {
            (globalThis as unknown as Record<string, unknown>).bridgeCalls = [name, params];
            if (a === 'cancel') return cb({ err_msg: 'get_brand_wcpay_request:cancel' });
            void fetch('/api/v1/demo/wallet/pay', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(params),
            }).then(() => cb({ err_msg: 'get_brand_wcpay_request:ok' }));
          },
        };
      }, answer);
      await phone.goto(`${suite.url}/ui/shopper/`);
      await phone.getByLabel('输入商品条码').fill(MILK);
      await phone.locator('#code-form').getByRole('button', { name: '查询' }).click();
      await phone.getByRole('button', { name: '加入购物车' }).click();
      await phone.getByTestId('cart-count').filter({ hasText: '(1)' }).waitFor();
      await phone.locator('[data-tab="cart"]').click();
      await phone.getByRole('button', { name: '在手机上付款' }).click();
      return phone;
    };
    const paying = await bridged('ok');
    await paying
      .getByTestId('paid-receipt')
      .filter({ hasText: /^R\d{8}-\d{5}$/ })
      .waitFor({ timeout: 20_000 });
    const [name, params] = (await paying.evaluate(
      () => (globalThis as unknown as Record<string, unknown>).bridgeCalls,
    )) as [string, Record<string, string>];
    expect(name).toBe('getBrandWCPayRequest');
    expect(Object.keys(params).sort()).toEqual([
      'appId',
      'nonceStr',
      'package',
      'paySign',
      'signType',
      'timeStamp',
    ]);
    expect(await paying.getByRole('dialog').count()).toBe(0); // no simulated sheet: the bridge paid
    await paying.close();

    const cancelling = await bridged('cancel');
    await cancelling.getByText('付款未完成，购物车可继续使用').waitFor();
    expect(wallet.sim.latestOrder()?.state).toBe('CLOSED');
    await cancelling.close();
  });

  it('the gateway out of reach: the phone is told to pay at a kiosk and shown its cart code', async () => {
    const phone = await phoneWithMilk();
    wallet.sim.offline = true;
    try {
      await phone.getByRole('button', { name: '在手机上付款' }).click();
      await phone.getByText('暂时无法在手机上付款，请到自助收银台付款').waitFor();
      await phone
        .getByTestId('cart-code')
        .filter({ hasText: /^[2-9A-Za-z]{6}$/ })
        .waitFor();
      await snapshot(phone, 'shopper-wallet-unavailable.png');
    } finally {
      wallet.sim.offline = false;
    }
    const cart = (await cartOf(phone))!;
    const q = await api('GET', `/carts/${cart.cartId}`, undefined, { 'x-cart-token': cart.cartToken });
    expect(q.status).toBe('open'); // a kiosk can take it over
    await phone.close();
  });
});
