// The e-receipt a phone opens from the printed receipt: a sale paid at the kiosk, the QR
// code the printer simulator decoded is opened in Chromium by the store's hostname over
// HTTPS (a certificate from an ACME CA), the receipt shown phone-sized with no member data,
// its refund state after a partial refund, and altered or forged links refused.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/browser.js';
import { daemonApi } from '../helpers/daemon.js';
import { waitFor } from '../helpers/ports.js';
import { KIOSK_TOKEN, pageSuite, STORE_HOST } from './store.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const MILK = '6922001001036';
const SECOND = '6911001001016';
const suite = pageSuite();
const api = daemonApi(() => suite.daemon);
const kiosk = { authorization: `Bearer ${KIOSK_TOKEN}` };
let page: Page;

beforeAll(async () => {
  // a phone set to another zone than the store's: the receipt still shows the store's time
  page = await suite.browser.newPage({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    timezoneId: 'Europe/Berlin',
  });
});

async function scan(code: string): Promise<void> {
  // the kiosk's scanner (a simulator on a pty) may still be connecting just after start
  await waitFor(
    'scanner ready',
    async () => {
      const r = (await (await fetch(`${suite.daemon.address}/readyz`)).json()) as J;
      const devices = r.parts.find((p: J) => p.name === 'devices').details.devices as J[];
      return devices.find((x) => x.id === 'k1-scanner')?.state === 'ready' ? true : undefined;
    },
    15_000,
  );
  const before = (await api('GET', '/kiosk/stations/kiosk-1', undefined, kiosk)).events.at(-1)?.seq ?? 0;
  await api('POST', '/demo/kiosks/kiosk-1/scanner', { code }, kiosk);
  await waitFor(
    `scan ${code}`,
    async () =>
      (await api('GET', `/kiosk/stations/kiosk-1?since=${before}`, undefined, kiosk)).events.find(
        (e: J) => e.type === 'line-added' || e.type === 'scan-refused',
      ),
    10_000,
  );
}

describe('the e-receipt page', () => {
  it("opens from the printed QR code by the store's hostname over HTTPS, and shows the refund state", async () => {
    // two products (the scanner takes the same code twice in a row as one double read)
    await scan(MILK);
    await scan(SECOND);
    const cartId = (await api('GET', '/kiosk/stations/kiosk-1', undefined, kiosk)).cartId as string;
    await api('POST', `/carts/${cartId}/checkout`, {}, kiosk);
    const paid = await api('POST', `/carts/${cartId}/payments/card`, {}, kiosk);
    expect(paid).toMatchObject({ status: 'approved' });
    const receiptNo = paid.sale.receiptNo as string;
    const printed = await waitFor(
      'receipt printed',
      async () => (await api('GET', '/demo/kiosks/kiosk-1/printer/receipts', undefined, kiosk)).at(-1),
      10_000,
    );
    const url = printed.qr[0] as string;
    expect(url).toMatch(
      new RegExp(
        `^https://${STORE_HOST.replaceAll('.', '\\.')}:\\d+/ui/receipt/#[0-9a-f-]{36}\\.\\d+\\.[A-Za-z0-9_-]{43}$`,
      ),
    );
    expect(url.startsWith(suite.url)).toBe(true);

    await page.goto(url);
    await page.getByTestId('receipt-no').filter({ hasText: receiptNo }).waitFor();
    expect(await page.getByTestId('refund-state').getAttribute('data-state')).toBe('none');
    expect(await page.getByTestId('refund-state').textContent()).toBe('未退款');
    const data = (await (
      await fetch(`${suite.daemon.address}/api/v1/e-receipts/${url.split('#')[1]}`)
    ).json()) as J;
    expect(data.lines).toHaveLength(2);
    expect(data.lines.every((l: J) => l.refundedQty === 0)).toBe(true);
    const text = (await page.locator('article').textContent()) ?? '';
    expect(text).toContain(`¥${(data.totalFen / 100).toFixed(2)}`);
    expect(text).toContain('银行卡');
    // the sale's time as the store's clock read it, whatever zone the phone is in
    expect(data.timeZone).toBe('Asia/Shanghai');
    const storeTime = new Date(data.at).toLocaleString('zh-CN', { timeZone: data.timeZone });
    expect(await page.locator('#at').textContent()).toBe(storeTime);
    // the phone's width: nothing wider than the screen
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await snapshot(page, 'e-receipt.png');

    // the token is after '#': the page's own request for data carries it, its address does not
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    // staff refund one of the two units; the page shows it on reload
    const staff = (await api('POST', '/staff/sessions', { staffId: 'mgr-1', pin: '1234' })).token as string;
    const refund = await api(
      'POST',
      `/staff/sales/${paid.sale.saleId}/refunds`,
      { reason: 'changed mind', lines: [{ lineNo: 1, qty: 1 }] },
      { 'x-staff-token': staff },
    );
    expect(refund.amountFen).toBeGreaterThan(0);
    await page.reload();
    await page.locator('[data-testid="refund-state"][data-state="partial"]').waitFor();
    expect(await page.getByTestId('refund-state').textContent()).toBe(
      `部分退款：已退 ¥${(refund.amountFen / 100).toFixed(2)}`,
    );
    expect(await page.getByText('已退 1 件').count()).toBe(1);
    const pageLoad = requests.find((r) => r.includes('/ui/receipt/'));
    expect(pageLoad).toBeDefined();
    expect(pageLoad).not.toContain('#');
    expect(requests.some((r) => r.includes('/api/v1/e-receipts/'))).toBe(true);

    // printable: the print stylesheet hides the bar and the buttons
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('#print').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });

    // English on the same link
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByText('Partly refunded').waitFor();
  });

  it('shows nothing of the member, and refuses a link that is altered or forged', async () => {
    const printed = (await api('GET', '/demo/kiosks/kiosk-1/printer/receipts', undefined, kiosk)).at(-1);
    const token = (printed.qr[0] as string).split('#')[1]!;
    const res = await fetch(`${suite.daemon.address}/api/v1/e-receipts/${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as J;
    expect(Object.keys(body)).not.toContain('member');
    expect(JSON.stringify(body)).not.toMatch(/memberId|balance|phone/);

    const [saleId, exp, sig] = token.split('.') as [string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const bad of [
      `${saleId}.${exp}.${flip(sig)}`, // signature altered
      `${saleId}.${Number(exp) + 86_400}.${sig}`, // expiry stretched
      `${crypto.randomUUID()}.${exp}.${sig}`, // another sale
    ]) {
      const r = await fetch(`${suite.daemon.address}/api/v1/e-receipts/${bad}`);
      expect(r.status).toBe(404);
      expect(((await r.json()) as J).error.code).toBe('E_RECEIPT_NOT_FOUND');
    }
    expect((await fetch(`${suite.daemon.address}/api/v1/e-receipts/not-a-token`)).status).toBe(400);

    await page.goto(`${suite.url}/ui/receipt/#${saleId}.${exp}.${flip(sig)}`);
    await page
      .getByRole('alert')
      .filter({ hasText: /找不到这张电子小票|No such e-receipt/ })
      .waitFor();
    expect(await page.locator('article').isVisible()).toBe(false);
  });
});
