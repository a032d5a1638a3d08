// Shipping a mini-program order's physical goods from the admin page: a buyer pays a mug in the mini program (over
// the JSON API, as the kit does), the admin sees it waiting on /admin, picks the express company from WeChat's list,
// enters the tracking number and dispatches it; wxgate reports it to WeChat, and the order shows it shipped.
import { expect } from '@playwright/test';
import { desktopQrLogin, test } from './support';

test('the admin dispatches a paid mini-program order and WeChat is told how it went out', async ({ page, browser, request }) => {
  // The buyer, 小红, in the mini program: wx.login's code (minted by the sandbox), the order, WeChat Pay's payment.
  const code = (await (await request.post('/sandbox/mp/login-code', { data: { persona: 'xiaohong' } })).json()).code;
  const login = await (await request.post('/api/auth/wechat/login', { data: { code } })).json();
  const bearer = { Authorization: `Bearer ${login.session_token}` };
  const created = await request.post('/api/payments/miniprogram/create', { headers: bearer, data: { product_id: 'mug' } });
  expect(created.status()).toBe(200);
  const order = await created.json();
  expect((await request.post(`/sandbox/pay/orders/${order.out_trade_no}/pay`, { data: {} })).status()).toBe(200);
  const shipping = async () =>
    (await (await request.get(`/api/orders/${order.order_id}`, { headers: bearer })).json()).shipping?.state;
  await expect.poll(shipping).toBe('AWAITING_DISPATCH');

  // 老王, the shop's admin in sandbox mode, dispatches it on /admin.
  await desktopQrLogin(page, browser, 'laowang');
  await page.goto('/admin');
  const waiting = page.locator(`[data-testid=shipments] li[data-order="${order.order_id}"]`);
  await expect(waiting).toHaveAttribute('data-state', 'AWAITING_DISPATCH');
  await waiting.getByTestId('express-company').selectOption('ZTO');
  await waiting.getByTestId('tracking-no').fill('ZT2026120200001');
  await waiting.getByTestId('dispatch').click();

  await expect.poll(shipping, { timeout: 10_000 }).toBe('UPLOADED');
  await page.reload();
  await expect(waiting).toHaveCount(0);

  // The buyer's order names the express company by WeChat's name for it, and the tracking number.
  const seen = await (await request.get(`/api/orders/${order.order_id}`, { headers: bearer })).json();
  expect(seen.shipping.express_company).toBe('中通快递');
  expect(seen.shipping.tracking_no).toBe('ZT2026120200001');

  // The order page shows where its shipping stands.
  await page.goto(`/orders/${order.order_id}`);
  await expect(page.getByTestId('shipping')).toHaveAttribute('data-state', 'UPLOADED');
  await expect(page.getByTestId('shipping')).toContainText('ZT2026120200001');
});
