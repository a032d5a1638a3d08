// Every path wxgate sends a browser back to (`next` after the language switch and after a login) stays on the
// site, however an attacker spells another one: the browser must never leave wxgate's origin.
import { expect, type Page } from '@playwright/test';
import { test, WECHAT_UA } from './support';

// As an attacker writes them into a link (raw), each is also tried URL-encoded once more.
const OFF_SITE = [
  '/%09/evil.example',
  '/\\evil.example',
  '//evil.example',
  '/%2F%2Fevil.example',
  'https:evil.example',
  'javascript:alert(document.domain)',
];

function spellings(raw: string): string[] {
  return [raw, encodeURIComponent(raw)];
}

/** Fails the test if the page ever asks for evil.example, and records where it ends. */
async function guard(page: Page) {
  const leaks: string[] = [];
  await page.route((url) => url.hostname.endsWith('evil.example'), (route) => {
    leaks.push(route.request().url());
    return route.abort();
  });
  return leaks;
}

test('the language switch never leaves the site', async ({ page, baseURL }) => {
  const leaks = await guard(page);
  for (const raw of OFF_SITE) {
    for (const next of spellings(raw)) {
      await page.goto(`/api/lang?set=en&next=${next}`);
      const landed = new URL(page.url());
      expect(landed.origin, `next=${next}`).toBe(new URL(baseURL!).origin);
      await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    }
  }
  expect(leaks).toEqual([]);
});

test('after a login the browser stays on the site', async ({ browser, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const context = await browser.newContext({ userAgent: WECHAT_UA });
  await context.addCookies([{ name: 'wx_sandbox_persona', value: 'xiaoming', url: baseURL! }]);
  const page = await context.newPage();
  const leaks = await guard(page);
  // Each spelling once (a login per case counts against the per-IP login limit).
  for (const next of OFF_SITE) {
    // Inside WeChat the login is silent: WeChat's authorize page, the callback, then `next`.
    await page.goto(`/login?next=${next}`);
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/', { timeout: 10_000 });
  }
  expect(leaks).toEqual([]);
  await context.close();
});

test('a path on the site is still where a login goes on to', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ userAgent: WECHAT_UA });
  await context.addCookies([{ name: 'wx_sandbox_persona', value: 'xiaoming', url: baseURL! }]);
  const page = await context.newPage();
  await page.goto(`/login?next=${encodeURIComponent('/orders')}`);
  await page.waitForURL((url) => url.pathname === '/orders');
  await context.close();
});
