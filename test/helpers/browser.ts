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

export interface A11yFinding {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core (WCAG 2.1 A and AA rules and axe's best practices) on the page as it is
 * now; returns the serious and critical violations, each with the elements it found.
 * Every page state a test visits goes through here (see `snapshot`).
 */
export async function a11yViolations(page: Page): Promise<A11yFinding[]> {
  // axe's own source, evaluated over the DevTools protocol: the pages' content policy
  // allows no inline script, and @axe-core/playwright's builder wants a page of its own context
  const { default: axe } = await import('axe-core');
  await page.evaluate(axe.source);
  const violations = (await page.evaluate(`axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'],
  }).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')),
  })))`)) as A11yFinding[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A page state worth keeping: checked by axe (no serious or critical violation), then
 * saved as a screenshot for review. Throws with axe's findings so a test names them. */
export async function snapshot(page: Page, name: string): Promise<void> {
  const found = await a11yViolations(page);
  await page.screenshot({ path: `${screenshotDir()}/${name}`, fullPage: true });
  if (found.length)
    throw new Error(
      `${name}: accessibility violations:\n${found.map((f) => `  ${f.impact} ${f.id} (${f.help}): ${f.nodes.join(', ')}`).join('\n')}`,
    );
}

/** Runs in the page: visible interactive elements (buttons, links, form controls) whose
 * box is under `min` CSS px high or wide, as "tag#id.class 'text' w×h". A checkbox or
 * radio inside its label is measured by the label (pressing the label toggles it). */
export async function smallTargets(page: Page, min: number): Promise<string[]> {
  return (await page.evaluate(`(() => {
    const min = ${Number(min)};
    const out = [];
    for (const el of document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, [role=button], summary')) {
      // a checkbox or radio inside its label: the whole label is what the finger presses
      const wrap = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label');
      const r = (wrap || el).getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
      if (r.height < min || r.width < min) {
        const name = (el.textContent || el.getAttribute('aria-label') || el.getAttribute('name') || '').trim().slice(0, 24);
        out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + " '" + name + "' " + Math.round(r.width) + '×' + Math.round(r.height));
      }
    }
    return out;
  })()`)) as string[];
}

/**
 * The page zoomed: at `width` × `height` CSS px (a page at 200% on a screen twice that
 * size, or WCAG's 320 px reflow width), what makes it scroll sideways: the page's own
 * overflow, and the visible elements reaching past its right edge outside a scrolling box
 * of their own (a wide table in a scrolling region is fine). Restores the viewport after.
 */
export async function sidewaysAt(page: Page, width: number, height: number): Promise<string[]> {
  const before = page.viewportSize();
  await page.setViewportSize({ width, height });
  try {
    // one frame for layout and any resize observer to settle
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    return (await page.evaluate(`(() => {
      const root = document.documentElement;
      const w = root.clientWidth;
      const out = [];
      if (root.scrollWidth > w + 1) out.push('page ' + root.scrollWidth + ' > ' + w);
      const scrolls = (el) => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          const x = getComputedStyle(p).overflowX;
          if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
        }
        return false;
      };
      for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.right <= w + 1 || scrolls(el)) continue;
        out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' right ' + Math.round(r.right));
        if (out.length > 8) break;
      }
      return out;
    })()`)) as string[];
  } finally {
    if (before) await page.setViewportSize(before);
  }
}
