// The first page proves the whole chain: server rendering, the style sheet, hydration, and a server function
// that reads the database and the session.
import { expect } from '@playwright/test';
import { test } from './support';

test('the home page hydrates and shows what the server answers', async ({ page }) => {
  await page.goto('/');

  await expect(page.getByRole('heading', { name: 'wxgate' })).toBeVisible();
  // The style sheet is applied: WeUI's page background and brand-green button.
  await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(237, 237, 237)');
  const check = page.getByTestId('check-status');
  await expect(check).toHaveCSS('background-color', 'rgb(7, 193, 96)');

  // The button is enabled only once the page has hydrated.
  await expect(check).toBeEnabled();
  await check.click();
  await expect(page.getByTestId('database')).toHaveText('SQLite');
  await expect(page.getByTestId('checks')).toHaveText('1');

  // The count lives in the server-side session, so it goes on across clicks and reloads.
  await check.click();
  await expect(page.getByTestId('checks')).toHaveText('2');
  await page.reload();
  await expect(check).toBeEnabled();
  await check.click();
  await expect(page.getByTestId('checks')).toHaveText('3');
});
