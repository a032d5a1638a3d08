// Playwright runs wxgate's browser tests in Debian's headless Chromium (never a browser Playwright downloads),
// against a real `wxgate serve` started from the repository root with a fresh SQLite data folder.
import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const port = Number(process.env.WXGATE_E2E_PORT ?? 3100);
const wxgate = process.env.WXGATE_BIN ?? '../target/debug/wxgate';
// Made once, in the main process; its workers load this file again and find it in the environment they inherit, so a
// test can run `wxgate keys create` on the served database (support.ts, apiKey).
const dataDir = (process.env.WXGATE_E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'wxgate-e2e-')));
process.env.WXGATE_BIN = wxgate;
// Where wxgate sends its events: a receiver the events test starts and stops (nothing listens otherwise, so other
// tests' events fail fast on a two-attempt schedule).
const eventsPort = Number(process.env.WXGATE_E2E_EVENTS_PORT ?? port + 99);
// A third-party web app signing people in through wxgate's OpenID Connect (relying-party/server.mjs), and the two
// clients it is registered as.
const relyingPartyPort = Number(process.env.WXGATE_E2E_RP_PORT ?? port + 98);
const relyingParty = `http://127.0.0.1:${relyingPartyPort}`;
const acmeSecret = 'acme-secret-of-the-browser-tests-5f0c2d9e8b7a';
const oidcClients = [
  { client_id: 'acme', client_secret: acmeSecret, name: 'Acme' },
  { client_id: 'acme-app', name: 'Acme app' },
].map((registered) => ({
  ...registered,
  redirect_uris: [`${relyingParty}/callback`],
  post_logout_redirect_uris: [`${relyingParty}/signed-out`],
}));

export default defineConfig({
  testDir: './tests',
  reporter: 'list',
  workers: 1,
  retries: 0,
  timeout: 30_000,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: `${wxgate} serve --addr 127.0.0.1:${port} --data-dir ${dataDir}`,
      cwd: '..',
      url: `http://127.0.0.1:${port}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      // The sandbox on the default SQLite database, whatever the calling shell has set; the daily reconciliation runs
      // at start.
      // Yesterday's bill is ready at once (WeChat's are from 10:00 China time the next day), whenever the tests run.
      env: {
        WXGATE_MODE: 'sandbox',
        DATABASE_URL: '',
        RUST_LOG: 'info',
        WXGATE_RECONCILE_AT: '00:00',
        WXGATE_SANDBOX_BILLS: 'at-once',
        WXGATE_EVENTS_URL: `http://127.0.0.1:${eventsPort}/events`,
        WXGATE_EVENTS_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        WXGATE_EVENTS_SCHEDULE: '0,1',
        APP_URL: `http://127.0.0.1:${port}`,
        WXGATE_OIDC_CLIENTS: JSON.stringify(oidcClients),
      },
    },
    {
      command: `node relying-party/server.mjs ${relyingPartyPort} http://127.0.0.1:${port}`,
      url: `${relyingParty}/healthz`,
      reuseExistingServer: false,
      timeout: 10_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ACME_CLIENT_SECRET: acmeSecret },
    },
  ],
});
