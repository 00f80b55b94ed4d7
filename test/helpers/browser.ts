import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

// Debian's Chromium, driven by playwright-core (no browser download: `npm test`
// installs the `chromium` package). The flags keep it off the network entirely.
export const CHROMIUM = process.env.STOREEDGE_CHROMIUM ?? '/usr/bin/chromium';

/** `camera`: a .y4m clip Chromium plays as the device camera (its fake capture device).
 * `trust`: the store's hostnames, resolved to loopback as the store's DNS would resolve
 * them to the box, and the SPKI hashes (comma-separated) of the CA certificates Chromium
 * is to trust (pebble's root and intermediate), as a phone trusts the public CA that
 * signed the store's certificate. */
export async function launchBrowser(
  opts: { camera?: string; trust?: { hosts: string[]; spki: string } } = {},
): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...(opts.trust
        ? [
            `--host-resolver-rules=${opts.trust.hosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`,
            `--ignore-certificate-errors-spki-list=${opts.trust.spki}`,
          ]
        : []),
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

/** [isSecureContext, whether the page has navigator.mediaDevices (the camera API)] */
export function secureContext(page: Page): Promise<[boolean, boolean]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { isSecureContext: boolean; navigator: { mediaDevices?: unknown } };
    return [g.isSecureContext, Boolean(g.navigator.mediaDevices)] as [boolean, boolean];
  });
}
