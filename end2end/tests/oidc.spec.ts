// Sign in with WeChat through wxgate's OpenID Connect, as a third-party web app does it: the app
// (relying-party/server.mjs, on panva's certified openid-client) sends the browser to wxgate, which picks the WeChat
// way by where the person is, and the app validates the ID token against the JWKS, refreshes and reads userinfo.
import { expect } from '@playwright/test';
import { test, WECHAT_UA } from './support';

const port = Number(process.env.WXGATE_E2E_PORT ?? 3100);
const relyingParty = `http://127.0.0.1:${Number(process.env.WXGATE_E2E_RP_PORT ?? port + 98)}`;

test('a third-party page signs in through the desktop QR and sees the person’s name', async ({ page, browser }) => {
  await page.goto(relyingParty);
  await page.getByTestId('sign-in').click();
  // Not signed in at wxgate: its login page, with the website QR on a desktop.
  await page.waitForURL(/\/login\?next=%2Foauth2%2Fauthorize/);
  const frame = page.frameLocator('[data-testid=qr-frame]');
  const phoneLink = await frame.locator('[data-testid=phone-link]').getAttribute('href');
  const phone = await browser.newPage({ userAgent: WECHAT_UA });
  await phone.goto(phoneLink!);
  await phone.check('input[name=persona][value=laowang]');
  await phone.getByTestId('confirm-login').click();
  await expect(phone.getByTestId('confirmed')).toBeVisible();
  await phone.close();

  // Back at the app, which holds a verified ID token, a refreshed one and the userinfo.
  await page.waitForURL(`${relyingParty}/`);
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('name')).toHaveText('老王');
  await expect(page.getByTestId('userinfo-nickname')).toHaveText('老王');
  await expect(page.locator('[data-testid=openids] [data-provider=wechat_web]')).toHaveCount(1);
  const sub = await page.getByTestId('sub').textContent();

  // wxgate's own account page names the same person by the same id.
  await page.goto('/account');
  await expect(page.getByTestId('account')).toHaveAttribute('data-user-id', sub!);

  // RP-initiated logout ends the wxgate session and comes back to the app.
  await page.goto(relyingParty);
  await page.getByTestId('sign-out').click();
  await page.waitForURL(`${relyingParty}/signed-out`);
  await page.goto('/account');
  await expect(page.getByTestId('account')).toHaveCount(0);
  await expect(page.locator('a[href="/login?next=%2Faccount"]')).toBeVisible();
});

test('inside WeChat a public client signs in through the official account', async ({ browser }) => {
  const context = await browser.newContext({ userAgent: WECHAT_UA });
  await context.addCookies([{ name: 'wx_sandbox_persona', value: 'xiaohong', url: `http://127.0.0.1:${port}` }]);
  const page = await context.newPage();
  await page.goto(`${relyingParty}/login?client=acme-app`);
  // The app asks for the profile, so inside WeChat the official account asks the person's consent for it.
  await page.getByTestId('allow').click();
  await page.waitForURL(new RegExp(`^${relyingParty}/(#.*)?$`));
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('name')).toHaveText('小红');
  await expect(page.locator('[data-testid=openids] [data-provider=wechat_oa]')).toHaveCount(1);
  await expect(page.getByTestId('unionid')).not.toBeEmpty();
  await context.close();
});
