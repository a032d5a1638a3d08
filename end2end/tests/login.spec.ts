// Logging in as a person would, against wxgate's built-in sandbox: the desktop QR (confirmed on a "phone"), the
// WeChat browser (silent, then with consent for the profile), and both ways ending as one account.
import { expect, test, type Browser, type Page } from '@playwright/test';

const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI Language/zh_CN';

/** Logs in on a desktop page through the QR, confirming on a second page as `persona`'s phone would. */
async function desktopQrLogin(page: Page, browser: Browser, persona: string) {
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
async function wechatLogin(browser: Browser, baseURL: string, persona: string) {
  const context = await browser.newContext({ userAgent: WECHAT_UA });
  await context.addCookies([{ name: 'wx_sandbox_persona', value: persona, url: baseURL }]);
  const page = await context.newPage();
  await page.goto('/login');
  // Silent snsapi_base: straight through WeChat and back to the account page.
  await page.waitForURL(/\/account(#.*)?$/);
  await expect(page.getByTestId('account')).toBeVisible();
  return page;
}

test('desktop QR login confirmed on the phone lands on the account page', async ({ page, browser }) => {
  await desktopQrLogin(page, browser, 'laowang');
  await expect(page.getByTestId('nickname')).toHaveText('老王');
  await expect(page.locator('[data-testid=identities] [data-provider=wechat_web]')).toBeVisible();

  await page.getByTestId('logout').click();
  await page.waitForURL('**/login');
});

test('inside WeChat the login is silent, and the profile comes with consent', async ({ browser, baseURL }) => {
  const page = await wechatLogin(browser, baseURL!, 'xiaohong');
  await expect(page.locator('[data-testid=identities] [data-provider=wechat_oa]')).toBeVisible();
  await page.getByTestId('fetch-profile').click();
  await page.getByTestId('allow').click();
  await page.waitForURL(/\/account(#.*)?$/);
  await expect(page.getByTestId('nickname')).toHaveText('小红');
});

test('a declined consent comes back to the login page with a sentence', async ({ browser, baseURL, request }) => {
  // A WeChat user of its own, so no earlier test has given them a profile yet.
  const persona = `decliner${Date.now()}`;
  const added = await request.post('/sandbox/personas', { data: { id: persona, nickname: '拒绝者' } });
  expect(added.status()).toBe(201);
  const page = await wechatLogin(browser, baseURL!, persona);
  await page.getByTestId('fetch-profile').click();
  await page.getByTestId('deny').click();
  await page.waitForURL('**/login?error=declined**');
  await expect(page.getByTestId('login-error')).toContainText('没有同意授权');
});

test('logging in both ways with one unionid shows one account', async ({ page, browser, baseURL }) => {
  await desktopQrLogin(page, browser, 'xiaoming');
  const wechat = await wechatLogin(browser, baseURL!, 'xiaoming');
  // The silent login has no unionid yet; the profile brings it, and the two accounts become one.
  await wechat.getByTestId('fetch-profile').click();
  await wechat.getByTestId('allow').click();
  await wechat.waitForURL(/\/account(#.*)?$/);
  await expect(wechat.locator('[data-testid=identities] li')).toHaveCount(2);

  await page.reload();
  await expect(page.locator('[data-testid=identities] li')).toHaveCount(2);
  const onDesktop = await page.getByTestId('account').getAttribute('data-user-id');
  const inWeChat = await wechat.getByTestId('account').getAttribute('data-user-id');
  expect(onDesktop).toBe(inWeChat);
  await expect(page.locator('[data-testid=identities] [data-provider=wechat_oa]')).toBeVisible();
  await expect(page.locator('[data-testid=identities] [data-provider=wechat_web]')).toBeVisible();
});

test('the language switch shows the page in English', async ({ page }) => {
  await page.goto('/login');
  await page.getByTestId('lang-switch').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});
