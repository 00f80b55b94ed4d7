import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  BinaryBitmap,
  DecodeHintType,
  HybridBinarizer,
  QRCodeReader,
  RGBLuminanceSource,
} from '@zxing/library';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type Pebble, startPebble } from '../helpers/pebble.js';
import { issueStoreCertificate } from '../helpers/store-certificate.js';

// The store the page tests run: kiosk-1 with every device simulated at the protocol
// level, its kiosk token, the demo PIN hashes for a manager (1234), a supervisor (5678)
// and a guide (2468), and whatever else a test adds (a camera, say).

export const KIOSK_TOKEN = 'kiosk-1-page-test-token-0123456789';
const MGR_PIN_1234 = 'scrypt$16384$8$1$ukQq8eNyELlCEHKfakXrhA==$VBMG/Hq41EqSyiJ+PqhdXn0DaQB8d9FGA1EEM0jp//A=';
const GUIDE_PIN_2468 =
  'scrypt$16384$8$1$bQ2/cBHEvPgL+tI/nYML6Q==$eqD84zde0Z1YqY6ys8YCncVLnj1ChH+38x38CIaVpAM=';
const SUP_PIN_5678 = 'scrypt$16384$8$1$sb7zMIw9PxaDyUMgwpLgww==$cWyWGeZ9K4hqW6n53GoTRO3zKbX/MWfU+psdggfLP74=';

/** Writes the store's config into a fresh folder; returns its path. */
export function pageTestStore(extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-pages-'));
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${resolve('config/demo/catalog.json')} }
devices:
  - { id: k1-scanner, kind: scanner, driver: serial-scanner, kiosk: kiosk-1, simulate: true }
  - { id: k1-scale, kind: scale, driver: mt-sics, kiosk: kiosk-1, simulate: true }
  - { id: k1-printer, kind: printer, driver: escpos, kiosk: kiosk-1, simulate: true }
  - { id: k1-terminal, kind: payment-terminal, driver: nexo, kiosk: kiosk-1, simulate: true }
  - { id: k1-face, kind: face-pay, driver: facepay, kiosk: kiosk-1, simulate: true }
security:
  kioskTokens:
    - { kioskId: kiosk-1, token: ${KIOSK_TOKEN} }
  staff:
    - { id: mgr-1, name: Manager, role: manager, pinHash: "${MGR_PIN_1234}" }
    - { id: sup-1, name: Wang Qiang, role: supervisor, pinHash: "${SUP_PIN_5678}" }
    - { id: guide-1, name: Liu Fang, role: guide, pinHash: "${GUIDE_PIN_2468}" }
${extra}`,
  );
  return file;
}

export const STORE_HOST = 'demo-store-001.stores.example.test';

export interface PageSuite {
  daemon: RunningDaemon;
  browser: Browser;
  /** https://<store hostname>:<port>: the pages are opened there, as a phone on the Wi-Fi opens them */
  url: string;
  pebble: Pebble;
}

/** A store serving HTTPS by its hostname with a certificate pebble issued over ACME, and a
 * Chromium that resolves the hostname to the box and trusts pebble's CA. */
export async function httpsStore(extra = '', o: { camera?: string } = {}): Promise<PageSuite> {
  const started: Partial<PageSuite> = { pebble: await startPebble() };
  try {
    const cert = await issueStoreCertificate(started.pebble!, STORE_HOST);
    started.daemon = await startDaemon(['--config', pageTestStore(`${cert.yaml}${extra}`)]);
    started.browser = await launchBrowser({ ...o, trust: { hosts: [STORE_HOST], spki: cert.spki } });
    const url = started.daemon.publicUrl;
    if (!url?.startsWith(`https://${STORE_HOST}:`)) throw new Error(`no HTTPS: ${url}`);
    return { ...(started as Omit<PageSuite, 'url'>), url };
  } catch (err) {
    await stopHttpsStore(started); // nothing started is left running
    throw err;
  }
}

export async function stopHttpsStore(s: Partial<PageSuite>): Promise<void> {
  await s.browser?.close();
  if (s.daemon) await s.daemon.stop('SIGTERM');
  await s.pebble?.stop();
}

/** Starts the store's daemon and a browser before a page test file, stops both after it. */
export function pageSuite(extra = ''): PageSuite {
  const suite = {} as PageSuite;
  beforeAll(async () => {
    Object.assign(suite, await httpsStore(extra));
  }, 60_000);
  afterAll(() => stopHttpsStore(suite));
  return suite;
}

/** Decodes a QR code image (a data URL) with zxing, from its pixels. */
export async function readQr(dataUrl: string): Promise<string> {
  const img = Buffer.from(dataUrl.split(',')[1]!, 'base64');
  const { data, info } = await sharp(img).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const gray = new Uint8ClampedArray(info.width * info.height);
  for (let i = 0; i < gray.length; i++) gray[i] = data[i * 4]!;
  const source = new RGBLuminanceSource(gray, info.width, info.height);
  // a code drawn on the page, straight and unscaled: zxing's pure-barcode mode reads it
  // exactly (its camera-style detector can misjudge module size on pixel-perfect images)
  const hints = new Map([[DecodeHintType.PURE_BARCODE, true]]);
  return new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), hints).getText();
}

/** Opens the kiosk page and, on a fresh device, provisions it on its setup screen as staff would. */
export async function openKiosk(page: Page, url: string, token = KIOSK_TOKEN): Promise<void> {
  await page.goto(`${url}/ui/kiosk/`);
  const setup = page.getByRole('heading', { name: '设置本机（店员）' });
  const idle = page.getByText('请扫描第一件商品');
  await setup.or(idle).first().waitFor();
  if (await setup.isVisible()) {
    await page.getByLabel('收银机编号').fill('kiosk-1');
    await page.getByLabel('收银机令牌').fill(token);
    await page.getByRole('button', { name: '保存' }).click();
  }
  await idle.waitFor();
}

/** At the kiosk: attendant mode, the supervisor signs in, and finds a sale to refund by its receipt number. */
export async function attendantFindsSale(page: Page, receiptNo: string): Promise<void> {
  await page.getByRole('button', { name: '店员模式' }).click();
  await page.getByLabel('员工编号').fill('sup-1');
  await page.getByLabel('密码').fill('5678');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByLabel('退货：小票号').fill(receiptNo);
  await page.getByRole('button', { name: '查找' }).click();
}
