// Events for the product on the admin page: the product's endpoint is down, a person signs up, and the
// `user.created` event fails both attempts of its schedule; the admin sees it failed with the endpoint's answer,
// the endpoint comes back, and "Resend" delivers it with the same webhook-id.
import { expect } from '@playwright/test';
import * as http from 'node:http';
import { desktopQrLogin, test } from './support';

// The receiver's port, as playwright.config.ts names it to wxgate.
const eventsPort = Number(process.env.WXGATE_E2E_EVENTS_PORT ?? Number(process.env.WXGATE_E2E_PORT ?? 3100) + 99);

test('the admin page shows a failed delivery and resends it', async ({ page, browser, request }) => {
  let answer = 500;
  const received: { id: string; body: string }[] = [];
  const endpoint = http.createServer((incoming, reply) => {
    let body = '';
    incoming.on('data', (chunk) => (body += chunk));
    incoming.on('end', () => {
      received.push({ id: String(incoming.headers['webhook-id']), body });
      reply.writeHead(answer, { 'Content-Type': 'text/plain' });
      reply.end(answer === 500 ? 'the product is down' : '');
    });
  });
  await new Promise<void>((listening) => endpoint.listen(eventsPort, '127.0.0.1', listening));
  try {
    // Someone new signs in through the mini program: wxgate writes `user.created`.
    const persona = `events${Date.now()}`;
    expect((await request.post('/sandbox/personas', { data: { id: persona, nickname: '事件测试' } })).status()).toBe(201);
    const code = (await (await request.post('/sandbox/mp/login-code', { data: { persona } })).json()).code;
    const login = await (await request.post('/api/auth/wechat/login', { data: { code } })).json();
    const ours = () => received.filter(({ body }) => body.includes(login.user_id));
    await expect.poll(() => ours().length, { timeout: 10_000 }).toBe(2);
    const id = ours()[0].id;
    expect(ours()[1].id).toBe(id);

    // 老王, the admin, sees it failed with the endpoint's last answer.
    await desktopQrLogin(page, browser, 'laowang');
    await page.goto('/admin');
    const delivery = page.locator(`[data-testid=deliveries] li[data-event="${id}"]`);
    await expect(delivery).toHaveAttribute('data-state', 'failed');
    await expect(delivery.getByTestId('last-answer')).toContainText('500 the product is down');
    await expect(page.getByTestId('endpoint-failing')).toBeVisible();

    // The endpoint is fixed; the admin resends, and it arrives with the same webhook-id.
    answer = 204;
    await delivery.getByTestId('resend-event').click();
    await expect.poll(() => ours().length, { timeout: 10_000 }).toBe(3);
    expect(ours()[2].id).toBe(id);
    await expect(async () => {
      await page.reload();
      await expect(delivery).toHaveAttribute('data-state', 'delivered', { timeout: 1_000 });
    }).toPass({ timeout: 10_000 });
  } finally {
    endpoint.closeAllConnections();
    await new Promise((closed) => endpoint.close(closed));
  }
});
