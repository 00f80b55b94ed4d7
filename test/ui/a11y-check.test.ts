import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a11yViolations, launchBrowser, sidewaysAt } from '../helpers/browser.js';

// The accessibility check every page test runs on every state it saves (`snapshot`):
// shown here to find what it must find, on a page built to fail it.
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

describe('axe-core check of a page state', () => {
  it('reports serious and critical violations with the elements, and passes a clean page', async () => {
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><html><head><title>t</title></head><body><main>
      <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
      <input id="code">
      <p style="color:#ccc;background:#fff">low contrast text</p>
      <button></button></main></body></html>`);
    const found = (await a11yViolations(page)).map((f) => f.id).sort();
    expect(found).toEqual(
      expect.arrayContaining(['button-name', 'color-contrast', 'html-has-lang', 'image-alt', 'label']),
    );
    await page.setContent(`<!doctype html><html lang="en"><head><title>t</title></head><body><main>
      <h1>Fine</h1><label>Code <input id="code"></label><button>Go</button></main></body></html>`);
    expect(await a11yViolations(page)).toEqual([]);
    await page.close();
  });

  it('the zoom check finds what makes a page scroll sideways, and lets a scrolling table be', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.setContent(`<!doctype html><html lang="en"><body>
      <div id="wide" style="width:900px">fixed width</div>
      <section style="overflow-x:auto"><table style="width:1200px"><tr><td>wide table</td></tr></table></section>
      </body></html>`);
    expect(await sidewaysAt(page, 1280, 800)).toEqual([]);
    const found = await sidewaysAt(page, 640, 400);
    expect(found[0]).toMatch(/^page 9\d\d > 6\d\d$/);
    expect(found.slice(1)).toEqual(['div#wide right 908']);
    expect(page.viewportSize()).toEqual({ width: 1280, height: 800 }); // put back
    await page.close();
  });
});
