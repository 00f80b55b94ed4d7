// Signing in on HQ's page in a browser test, as a user of test/helpers/chain.ts (`ana` or
// `ops`, each with the password `<user>-password`).
import type { Page } from 'playwright-core';

export async function signInHq(page: Page, base: string, user: 'ana' | 'ops'): Promise<void> {
  await page.goto(`${base}/`);
  await page.locator('#userId').fill(user);
  await page.locator('#password').fill(`${user}-password`);
  await page.locator('#signin button[type=submit]').click();
  await page.locator('#tabs').waitFor({ state: 'visible' });
}
