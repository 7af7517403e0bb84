/**
 * Swagger UI in Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against the
 * running example app: the OpenAPI document built by routing-controllers-openapi and
 * `auth.applyOpenApiSecurity` offers "Authorize" for the demo Basic credentials; "Try it out" on a
 * protected operation then gets 200, and without authorizing it gets 401.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../example-app/app';
import { CHROMIUM_PATH, itWith, probeChromium } from './clients';

const probe = probeChromium();
const it = itWith(probe);

const LAUNCH_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser | undefined;
let server: Server | undefined;
let url = '';

beforeAll(async () => {
  if (probe.problem) return;
  const { app, users } = createApp();
  await users.ready;
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

/** GET /me/ in Swagger UI (its element id escapes the dot of `MeController.me`). */
const meOperation = (page: Page) =>
  page.locator('.opblock').filter({ has: page.locator('.opblock-summary-path', { hasText: /^\/me\/$/ }) });

/** Opens GET /me/ in Swagger UI, runs "Try it out" → "Execute", and returns the status it shows. */
async function tryGetMe(page: Page): Promise<string> {
  const operation = meOperation(page);
  await operation.locator('.opblock-summary').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();
  const status = operation.locator('.live-responses-table tbody .response-col_status').first();
  await status.waitFor();
  return (await status.innerText()).trim();
}

describe('Swagger UI in Chromium with the example app\'s OpenAPI document', () => {
  it('shows the operation as locked, and "Try it out" without authorizing gets 401', async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      // A 401 with a Basic challenge makes Chromium ask the user for credentials. Answer
      // "cancel", as a user closing the login dialog would; the page then gets the 401.
      const cdp = await context.newCDPSession(page);
      cdp.on('Fetch.requestPaused', (event: { requestId: string }) => void cdp.send('Fetch.continueRequest', { requestId: event.requestId }));
      cdp.on('Fetch.authRequired', (event: { requestId: string }) =>
        void cdp.send('Fetch.continueWithAuth', { requestId: event.requestId, authChallengeResponse: { response: 'CancelAuth' } }),
      );
      await cdp.send('Fetch.enable', { handleAuthRequests: true });
      await page.goto(`${url}/docs/`);
      // The lock: the operation has a security requirement, so Swagger UI offers to authorize it.
      await meOperation(page).locator('.authorization__btn').waitFor();
      expect(await tryGetMe(page)).toBe('401');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('"Authorize" with the demo Basic credentials, then "Try it out" on a protected operation gets 200', async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${url}/docs/`);
      await page.locator('button.btn.authorize').first().click();
      const basic = page.locator('.auth-container').filter({ hasText: 'UserAuth' });
      await basic.locator('input[type="text"]').fill('bob');
      await basic.locator('input[type="password"]').fill('bob-secret');
      await basic.locator('button.btn.modal-btn.auth.authorize').click();
      await page.locator('button.btn-done').first().click();
      const sent = page.waitForRequest((r) => r.url() === `${url}/me/`);
      const status = tryGetMe(page);
      expect((await sent).headers()['authorization']).toBe(`Basic ${Buffer.from('bob:bob-secret').toString('base64')}`);
      expect(await status).toBe('200');
    } finally {
      await context.close();
    }
  }, 60_000);
});
