// Buying as a person would, on each surface, against wxgate's built-in sandbox: a desktop pays the Native QR with
// the "phone" and the admin refunds it, a phone browser goes through WeChat Pay's H5 page and comes back, and the
// WeChat browser pays through the pay bridge on a page whose JS-SDK and share card are configured.
import { expect, type Page } from '@playwright/test';
import { desktopQrLogin, phoneLogin, test, wechatLogin, WECHAT_UA } from './support';

/** Opens the product's page, buys one, and returns the order page's URL. */
async function buy(page: Page, productId: string) {
  await page.goto(`/shop/${productId}`);
  await page.getByTestId('buy').click();
  await page.waitForURL(/\/orders\/[0-9a-f]+$/);
  return page.url();
}

test('a desktop pays the Native QR from the phone, sees it paid, and the admin refunds it', async ({ page, browser }) => {
  // 老王 is the shop's admin when wxgate runs on the sandbox.
  await desktopQrLogin(page, browser, 'laowang');
  await page.goto('/shop');
  await page.locator('[data-product=one-fen] a').click();
  await expect(page.getByTestId('product-name')).toHaveText('一分钱测试商品');
  await page.getByTestId('buy').click();
  await page.waitForURL(/\/orders\/[0-9a-f]+$/);
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'PAYING');

  // The QR is drawn by wxgate, as SVG, from the order's code_url.
  const qr = page.getByTestId('pay-qr');
  await expect(qr).toBeVisible();
  const image = await page.request.get((await qr.getAttribute('src'))!);
  expect(image.status()).toBe(200);
  expect(image.headers()['content-type']).toBe('image/svg+xml');
  expect(await image.text()).toContain('<svg');

  // "Scanning" opens the sandbox's phone page for the code_url; paying there turns the desktop page to paid.
  const scan = await page.getByTestId('sandbox-scan').getAttribute('href');
  const phone = await browser.newPage({ userAgent: WECHAT_UA });
  await phone.goto(new URL(scan!, page.url()).toString());
  await phone.getByTestId('pay').click();
  await expect(phone.getByTestId('paid')).toBeVisible();
  await phone.close();
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'PAID', { timeout: 5_000 });
  await expect(page.getByTestId('pay-qr')).toHaveCount(0);

  // The admin refunds it on the same page; the refund notification settles it.
  await page.getByTestId('refund-reason').fill('测试退款');
  await page.getByTestId('refund').click();
  const refund = page.locator('[data-testid=refunds] li');
  await expect(refund).toHaveCount(1);
  await expect(refund).toHaveAttribute('data-status', 'PROCESSING');
  // WeChat Pay finishes the refund (the sandbox's control API plays that part) and notifies wxgate.
  const settled = await page.request.post(`/sandbox/pay/refunds/${await refund.getAttribute('data-refund')}/outcome`, {
    data: { status: 'SUCCESS' },
  });
  expect(settled.status()).toBe(200);
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'REFUNDED', { timeout: 5_000 });

  await page.goto('/orders');
  await expect(page.locator('[data-testid=orders] li').first()).toHaveAttribute('data-status', 'REFUNDED');
  await page.goto('/account');
  await page.getByTestId('admin').click();
  await expect(page.locator('[data-testid=product-editor][data-product=one-fen]')).toBeVisible();
  // The daily reconciliation checked yesterday at start: nothing was paid or refunded, and the bill agrees.
  const checkedDay = page.locator('[data-testid=reconciliations] li').first();
  await expect(checkedDay).toHaveAttribute('data-outcome', 'AGREED');
  await expect(checkedDay).toContainText('0 笔支付 · 0 笔退款');
});

test('a phone browser pays on WeChat Pay\'s H5 page and comes back to a paid order', async ({ browser }) => {
  const page = await phoneLogin(browser, 'xiaoming', '/shop/mug');
  await page.getByRole('button', { name: '增加' }).click();
  await expect(page.getByTestId('quantity')).toHaveText('2');
  await page.getByTestId('buy').click();
  await page.waitForURL(/\/orders\/[0-9a-f]+$/);

  await page.getByTestId('pay-h5').click();
  await page.waitForURL(/\/sandbox\/pay\/h5\?/);
  await expect(page.getByTestId('amount')).toHaveText('¥78.00');
  await page.getByTestId('pay').click();

  // WeChat Pay sends the browser back; the order page asks WeChat Pay and shows the payment.
  await page.waitForURL(/\/orders\/[0-9a-f]+\?returned=1$/);
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'PAID');
});

test('inside WeChat the page configures the JS-SDK, shares itself, and pays through the bridge', async ({ browser, baseURL }) => {
  const page = await wechatLogin(browser, baseURL!, 'xiaohong');
  const orderUrl = await buy(page, 'green-tea');

  // wx.config was signed for this page's URL (the sandbox checks the signature) and the share card is set.
  await page.waitForFunction(() => (window as any).__wxSandbox?.status === 'ready');
  const shared = await page.evaluate(() => (window as any).__wxSandbox.shared.updateAppMessageShareData);
  expect(shared.link).toBe(orderUrl.split('#')[0]);
  expect(shared.imgUrl).toMatch(/\/share\.png$/);

  await page.getByTestId('pay-wechat').click();
  await expect(page.getByTestId('wx-pay-amount')).toHaveText('¥128.00');
  await page.getByTestId('wx-pay-confirm').click();
  // The sheet's "ok" makes the page ask WeChat Pay at once; once paid, the pay button (and its message) go away.
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'PAID', { timeout: 5_000 });
  await expect(page.getByTestId('pay-wechat')).toHaveCount(0);
});
