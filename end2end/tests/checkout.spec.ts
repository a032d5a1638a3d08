// A product's checkout, as its buyer meets it: the product's backend makes a checkout with its API key and sends
// the buyer's desktop browser to the checkout's url; wxgate signs them in through the QR, shows the order's payment
// QR, and once the buyer's phone has paid, sends the browser back to the product's success_url.
import { expect } from '@playwright/test';
import { apiKey, test, WECHAT_UA } from './support';

test('a checkout URL paid on a desktop returns to success_url', async ({ page, browser, request, baseURL }) => {
  const made = await request.post('/api/v1/checkouts', {
    headers: { Authorization: `Bearer ${apiKey(['checkouts:write'])}`, 'Idempotency-Key': 'browser-checkout-1' },
    data: {
      line_items: [
        { name: '乌龙茶', unit_fen: 1800, quantity: 2 },
        { name: '茶杯', unit_fen: 500, quantity: 1 },
      ],
      success_url: `${baseURL}/shop?thanks=1`,
      cancel_url: `${baseURL}/shop`,
      metadata: { cart: 'browser-1' },
    },
  });
  expect(made.status()).toBe(201);
  const checkout = await made.json();
  expect(checkout.total_fen).toBe(4100);

  // Not signed in: wxgate's login (the website QR on a desktop), confirmed on the phone, then back to the checkout.
  await page.goto(checkout.url);
  await page.waitForURL(/\/login\?next=%2Fcheckout%2F/);
  const frame = page.frameLocator('[data-testid=qr-frame]');
  const phoneLink = await frame.locator('[data-testid=phone-link]').getAttribute('href');
  const phone = await browser.newPage({ userAgent: WECHAT_UA });
  await phone.goto(phoneLink!);
  await phone.check('input[name=persona][value=xiaoming]');
  await phone.getByTestId('confirm-login').click();
  await expect(phone.getByTestId('confirmed')).toBeVisible();

  // The checkout became the buyer's order, paid by scanning its QR.
  await page.waitForURL(/\/orders\/[0-9a-f]+$/);
  await expect(page.getByTestId('cancel-checkout')).toHaveAttribute('href', `${baseURL}/shop`);
  await expect(page.getByTestId('pay-qr')).toBeVisible();
  const scan = await page.getByTestId('sandbox-scan').getAttribute('href');
  await phone.goto(new URL(scan!, page.url()).toString());
  await phone.getByTestId('pay').click();
  await expect(phone.getByTestId('paid')).toBeVisible();
  await phone.close();

  // Paid: back at the product's page.
  await page.waitForURL(/\/shop\?thanks=1$/, { timeout: 10_000 });
});
