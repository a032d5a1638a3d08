// The start/poll login for clients that cannot follow redirects (a desktop app showing WeChat's QR page): only the
// holder of the poll secret learns the result, the session token comes once, and `next` stays on the site.
import { expect } from '@playwright/test';
import { test, WECHAT_UA } from './support';

test('a polled QR login hands its session once, and only to the holder of the poll secret', async ({
  page,
  browser,
  request,
}) => {
  const started = await request.post('/api/auth/oauth/start', {
    data: { provider: 'wechat_web', next: '//evil.example/after' },
  });
  expect(started.status()).toBe(200);
  const { url, state, poll_secret: secret } = await started.json();
  expect(secret).toBeTruthy();
  expect(url).not.toContain(secret);

  // The QR page the client shows; whoever reads the URL (or the QR) learns the state, not the secret.
  await page.goto(url);
  expect(page.url()).not.toContain(secret);
  const phoneLink = await page.getByTestId('phone-link').getAttribute('href');
  expect(phoneLink).not.toContain(secret);

  const result = (headers: Record<string, string> = {}) =>
    request.get(`/api/auth/oauth/result?state=${state}`, { headers });
  const unknown = await request.get('/api/auth/oauth/result?state=NoSuchStateAtAll0123456789abcdef');
  const unknownBody = await unknown.json();
  expect((await result({ 'Wxgate-Poll-Secret': secret })).status()).toBe(200);
  expect(await (await result({ 'Wxgate-Poll-Secret': secret })).json()).toEqual({ status: 'pending' });

  const phone = await browser.newPage({ userAgent: WECHAT_UA });
  await phone.goto(phoneLink!);
  await phone.check('input[name=persona][value=xiaohong]');
  await phone.getByTestId('confirm-login').click();
  await expect(phone.getByTestId('confirmed')).toBeVisible();
  await phone.close();

  // Without the secret, or with another, the finished login looks like a state that never existed.
  for (const headers of [{}, { 'Wxgate-Poll-Secret': 'guessed' }]) {
    const peeked = await result(headers);
    expect(peeked.status()).toBe(unknown.status());
    expect(await peeked.json()).toEqual(unknownBody);
  }

  let done: { status: string; session_token?: string; next?: string } = { status: 'pending' };
  for (let i = 0; i < 50 && done.status === 'pending'; i++) {
    done = await (await result({ 'Wxgate-Poll-Secret': secret })).json();
    if (done.status === 'pending') await page.waitForTimeout(100);
  }
  expect(done.status).toBe('done');
  expect(done.next).toBe('/');
  const me = await request.get('/api/me', { headers: { Authorization: `Bearer ${done.session_token}` } });
  expect(me.status()).toBe(200);

  // Handed out once: the next poll, even with the secret, finds nothing.
  const again = await result({ 'Wxgate-Poll-Secret': secret });
  expect(again.status()).toBe(unknown.status());
  expect(await again.json()).toEqual(unknownBody);
});
