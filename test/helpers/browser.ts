import { mkdirSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

// Debian's Chromium, driven by playwright-core (no browser download: `npm test`
// installs the `chromium` package). The flags keep it off the network entirely.
export const CHROMIUM = process.env.STOREEDGE_CHROMIUM ?? '/usr/bin/chromium';

/** `camera`: a .y4m clip Chromium plays as the device camera (its fake capture device). */
export async function launchBrowser(opts: { camera?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...(opts.camera
        ? [
            '--use-fake-ui-for-media-stream',
            '--use-fake-device-for-media-stream',
            `--use-file-for-fake-video-capture=${opts.camera}`,
          ]
        : []),
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Where the tests leave screenshots for review. */
export function screenshotDir(): string {
  const dir = 'test-results/ui';
  mkdirSync(dir, { recursive: true });
  return dir;
}
