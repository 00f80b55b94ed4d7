// Scanning with the phone's camera, for real: an EAN-13 barcode drawn by bwip-js is made
// into a video clip with ffmpeg and played by Chromium as its camera; the shopper page
// decodes it (zxing: Chromium on Linux has no BarcodeDetector) and opens the product.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import bwipjs from 'bwip-js/node';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'storeedge-camera-'));
const MILK = '6922001001036';

let d: RunningDaemon;
let browser: Browser;

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

  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `http: { port: 0 }\ndb: { path: ./store.db }\nseed: { catalog: ${resolve('config/demo/catalog.json')} }\n`,
  );
  d = await startDaemon(['--config', file]);
  browser = await launchBrowser({ camera: clip });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (d) await d.stop('SIGTERM');
});

describe('scanning with the phone camera', () => {
  it('decodes the barcode in the camera picture and opens the product', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      permissions: ['camera'],
    });
    const page = await context.newPage();
    await page.goto(`${d.address}/ui/shopper/`);
    expect(await page.evaluate(() => 'BarcodeDetector' in globalThis)).toBe(false); // so zxing it is
    await page.getByRole('button', { name: '扫一扫' }).click();
    await page.getByRole('heading', { name: /纯牛奶 1L/ }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#code').inputValue()).toBe(MILK);
    expect(await page.locator('#camera').isHidden()).toBe(true); // the camera is released
    await page.screenshot({ path: join(screenshotDir(), 'shopper-camera-scan.png'), fullPage: true });
    await context.close();
  }, 60_000);
});
