// Logging in as a person would, against wxgate's built-in sandbox: the desktop QR (confirmed on a "phone"), the
// WeChat browser (silent, then with consent for the profile), and both ways ending as one account.
import { expect } from '@playwright/test';
import { desktopQrLogin, test, wechatLogin } from './support';

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
