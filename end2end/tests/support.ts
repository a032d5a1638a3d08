// What the browser tests share: their `test`, which fails a test whose pages broke the Content-Security-Policy; the
// user agents of the WeChat browser and of a phone browser; logging in through the sandbox as a person would; and an
// API key for the product's backend.
import { expect, test as base, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';

/**
 * Every spec's `test`: each page a test opens (in its own context or in one from `browser.newContext` or
 * `browser.newPage`, frames included) is watched, and the test fails if Chromium reports that the page's
 * Content-Security-Policy refused something, e.g. an inline script without the page's nonce.
 */
export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ browser, context }, use) => {
      const violations: string[] = [];
      const watchPage = (page: Page) =>
        page.on('console', (message) => {
          if (message.text().includes('Content Security Policy')) {
            violations.push(`${page.url()}: ${message.text()}`);
          }
        });
      const watchContext = (watched: BrowserContext) => {
        watched.pages().forEach(watchPage);
        watched.on('page', watchPage);
      };
      watchContext(context);
      // browser.newPage opens its page in a context of its own through browser.newContext.
      const newContext = browser.newContext;
      browser.newContext = async (options) => {
        const made = await newContext.call(browser, options);
        watchContext(made);
        return made;
      };
      await use(violations);
      browser.newContext = newContext;
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});

export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI Language/zh_CN';

/** Logs in on a desktop page through the QR, confirming on a second page as `persona`'s phone would. */
export async function desktopQrLogin(page: Page, browser: Browser, persona: string) {
  await page.goto('/login');
  const frame = page.frameLocator('[data-testid=qr-frame]');
  await expect(frame.locator('[data-testid=qr] svg')).toBeVisible();
  const phoneLink = await frame.locator('[data-testid=phone-link]').getAttribute('href');
  expect(phoneLink).toContain('/connect/confirm?uuid=');

  const phone = await browser.newPage({ userAgent: WECHAT_UA });
  await phone.goto(phoneLink!);
  await phone.check(`input[name=persona][value=${persona}]`);
  await phone.getByTestId('confirm-login').click();
  await expect(phone.getByTestId('confirmed')).toBeVisible();
  await phone.close();

  // The desktop page learns of the confirmation and goes on by itself.
  await page.waitForURL(/\/account(#.*)?$/);
  await expect(page.getByTestId('account')).toBeVisible();
}

/** Logs in inside the WeChat browser as `persona` (the sandbox remembers who this browser is by a cookie). */
export async function wechatLogin(browser: Browser, baseURL: string, persona: string) {
  const context = await browser.newContext({ userAgent: WECHAT_UA });
  await context.addCookies([{ name: 'wx_sandbox_persona', value: persona, url: baseURL }]);
  const page = await context.newPage();
  await page.goto('/login');
  // Silent snsapi_base: straight through WeChat and back to the account page.
  await page.waitForURL(/\/account(#.*)?$/);
  await expect(page.getByTestId('account')).toBeVisible();
  return page;
}

export const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

/** Logs in on a phone browser outside WeChat through WeChat's QR page, scanned by `persona`'s other phone. */
export async function phoneLogin(browser: Browser, persona: string, next: string) {
  const context = await browser.newContext({ userAgent: PHONE_UA });
  const page = await context.newPage();
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByTestId('qr-page-login').click();
  const phoneLink = await page.getByTestId('phone-link').getAttribute('href');
  const other = await browser.newPage({ userAgent: WECHAT_UA });
  await other.goto(phoneLink!);
  await other.check(`input[name=persona][value=${persona}]`);
  await other.getByTestId('confirm-login').click();
  await expect(other.getByTestId('confirmed')).toBeVisible();
  await other.close();
  await page.waitForURL((url) => url.pathname === next);
  return page;
}

/** An API key with `scopes` for the product's backend, made by `wxgate keys create` on the served database. */
export function apiKey(scopes: string[]): string {
  const args = ['--data-dir', process.env.WXGATE_E2E_DATA_DIR!, 'keys', 'create', '--name', 'browser tests'];
  scopes.forEach((scope) => args.push('--scope', scope));
  const made = spawnSync(process.env.WXGATE_BIN!, args, {
    cwd: '..',
    env: { ...process.env, WXGATE_MODE: 'sandbox', DATABASE_URL: '' },
    encoding: 'utf8',
  });
  const key = /^key: (\S+)$/m.exec(made.stdout)?.[1];
  if (made.status !== 0 || !key) {
    throw new Error(`wxgate keys create failed:\n${made.stdout}${made.stderr}`);
  }
  return key;
}
