// Scanning with the phone's camera, for real: an EAN-13 barcode drawn by bwip-js is made
// into a video clip with ffmpeg and played by Chromium as its camera; the shopper page
// decodes it (zxing: Chromium on Linux has no BarcodeDetector) and opens the product.
// The page is opened as a phone on the store's Wi-Fi opens it: by the store's hostname,
// over HTTPS with a certificate from an ACME CA (pebble) — browsers give the camera only
// to a secure context, and plain http:// by a hostname is not one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bwipjs from 'bwip-js/node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, secureContext, snapshot } from '../helpers/browser.js';
import { httpsStore, type PageSuite, STORE_HOST, stopHttpsStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'storeedge-camera-'));
const MILK = '6922001001036';

let suite: PageSuite;

beforeAll(async () => {
  // the barcode as a shopper holds it up: on a shelf label, off-centre, in a 640×480 frame
  const code = await bwipjs.toBuffer({ bcid: 'ean13', text: MILK, scale: 3, height: 18, includetext: true });
  const label = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#f2efe6' } })
    .composite([{ input: code, left: 150, top: 140 }])
    .png()
    .toBuffer();
  writeFileSync(join(dir, 'label.png'), label);
  const clip = join(dir, 'camera.y4m');
  execFileSync('ffmpeg', [
    '-loglevel',
    'error',
    '-y',
    '-loop',
    '1',
    '-i',
    join(dir, 'label.png'),
    '-t',
    '3',
    '-r',
    '10',
    '-pix_fmt',
    'yuv420p',
    clip,
  ]);

  suite = await httpsStore('', { camera: clip });
  clipFile = clip;
}, 60_000);

afterAll(() => stopHttpsStore(suite ?? {}));
let clipFile = '';

describe('scanning with the phone camera', () => {
  it('decodes the barcode in the camera picture and opens the product', async () => {
    const context = await suite.browser.newContext({
      viewport: { width: 390, height: 844 },
      permissions: ['camera'],
    });
    const page = await context.newPage();
    await page.goto(`${suite.url}/ui/shopper/`);
    expect(await secureContext(page)).toEqual([true, true]);
    expect(await page.evaluate(() => 'BarcodeDetector' in globalThis)).toBe(false); // so zxing it is
    await page.getByRole('button', { name: '扫一扫' }).click();
    await page.getByRole('heading', { name: /纯牛奶 1L/ }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#code').inputValue()).toBe(MILK);
    expect(await page.locator('#camera').isHidden()).toBe(true); // the camera is released
    await snapshot(page, 'shopper-camera-scan.png');
    await context.close();
  }, 60_000);

  it('by the same hostname over plain HTTP the page is no secure context, so no camera: why the store serves HTTPS', async () => {
    // a browser that reaches the box's plain port by name, as a phone that typed http:// would
    // were it not redirected (the box serves plain HTTP only to itself: loopback)
    const plain = await launchBrowser({
      camera: clipFile,
      trust: { hosts: [STORE_HOST], spki: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
    });
    try {
      const page = await plain.newPage();
      await page.goto(`http://${STORE_HOST}:${new URL(suite.daemon.address).port}/ui/shopper/`);
      expect(await secureContext(page)).toEqual([false, false]);
      await page.getByRole('button', { name: '扫一扫' }).click();
      await page.getByText('无法使用摄像头').waitFor({ timeout: 10_000 });
    } finally {
      await plain.close();
    }
  }, 60_000);
});
