/**
 * Cross-site request forgery against a `@TokenAuth({ cookie })` route, in Chromium (Debian's
 * /usr/bin/chromium, driven by playwright-core): a page of another site (http://localhost:<port>,
 * while the app is http://127.0.0.1:<port>) posts a form to a cookie-protected route. Chromium
 * attaches the session cookie (a `SameSite=None; Secure` one, and one without SameSite, which it
 * sends with a top-level cross-site POST in its first two minutes); the library must refuse the
 * request, and the handler must never run. The app's own page posting the same form gets in.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { CurrentUser, Get, Header, JsonController, Post } from 'routing-controllers';
import { createAuthCheckers, LoginRequired, TokenAuth, VerifyToken } from '../../src';
import { itWith, probeChromium } from './clients';
import { formPage, useCrossSite } from './cross-site';
import { INTEROP_DRIVERS, serveApp } from './server';

const probe = probeChromium();
const it = itWith(probe);


const SESSION = 'cookie-session-4711';

@TokenAuth({ cookie: 'session' })
class Sessions {
  @VerifyToken() verify(token: string) {
    return token === SESSION ? 'alice' : null;
  }
}

/** What the handler of the protected POST did: it must stay empty for a forged request. */
const transfers: string[] = [];

@JsonController('/bank')
class BankController {
  // Chromium sends a Secure cookie to http://127.0.0.1 (a potentially trustworthy origin).
  @Get('/login') @Header('Set-Cookie', `session=${SESSION}; Path=/; HttpOnly; SameSite=None; Secure`) login() {
    return { ok: true };
  }
  @Get('/login-default') @Header('Set-Cookie', `session=${SESSION}; Path=/; HttpOnly`) loginDefault() {
    return { ok: true };
  }
  @Get('/me') @LoginRequired({ auth: Sessions }) me(@CurrentUser() user: string) {
    return { user };
  }
  @Post('/transfer') @LoginRequired({ auth: Sessions }) transfer(@CurrentUser() user: string) {
    transfers.push(user);
    return { transferred: true, user };
  }
}

/** Where the attacker's form posts to: set per driver. */
let target = '';
const crossSite = useCrossSite(probe, () => target);

describe.each(INTEROP_DRIVERS)('a cookie token in chromium against %s', (driver) => {
  type Seen = { method: string; url: string; cookie?: string; secFetchSite?: string; origin?: string; status?: number };
  let app: Awaited<ReturnType<typeof serveApp<Seen>>>;
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (probe.problem) return;
    const auth = createAuthCheckers<string>([Sessions], { logger: { warn: (m) => errors.push(m), error: (m) => errors.push(m) } });
    app = await serveApp<Seen>(driver, auth, [BankController], (req, res) => {
      const entry: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        cookie: req.headers.cookie,
        secFetchSite: req.headers['sec-fetch-site'] as string | undefined,
        origin: req.headers.origin,
      };
      res.on('finish', () => (entry.status = res.statusCode));
      return entry;
    });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => {
    transfers.length = 0;
    target = `${app.url}/bank/transfer`;
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    expect(errors).toEqual([]);
  });

  /** A fresh browser profile logged in at the app (the session cookie set by the app itself). */
  const loggedIn = async (login: string): Promise<Page> => {
    const context = await crossSite.browser().newContext();
    contexts.push(context);
    const page = await context.newPage();
    expect((await page.goto(`${app.url}/bank/${login}`))?.status()).toBe(200);
    expect((await page.goto(`${app.url}/bank/me`))?.status()).toBe(200);
    return page;
  };

  /** Waits for the POST the page's form sends to the app, and its answer. */
  const postedTransfer = (page: Page) => page.waitForResponse((response) => response.url() === `${app.url}/bank/transfer` && response.request().method() === 'POST');

  describe.each([
    ['SameSite=None; Secure', 'login'],
    ['no SameSite attribute (Chromium sends it on a cross-site POST in its first two minutes)', 'login-default'],
  ])('session cookie with %s', (_cookie, login) => {
    it('refuses the form another site posts, and the handler never runs', async () => {
      const page = await loggedIn(login);
      const from = app.seen.length;
      const answer = postedTransfer(page);
      await page.goto(crossSite.attackerPage());
      const response = await answer;
      expect(response.status()).toBe(403);
      expect(await response.json()).toEqual({ name: 'CrossSiteError', message: 'cross-site request refused', code: 'ERR_HTTP_AUTH_CROSS_SITE' });
      expect(transfers).toEqual([]);
      // The browser did send the cookie: the refusal is the library's, not the browser's.
      const forged = app.seen.slice(from).find((r) => r.method === 'POST');
      expect(forged).toMatchObject({ url: '/bank/transfer', cookie: `session=${SESSION}`, secFetchSite: 'cross-site', origin: new URL(crossSite.attackerPage()).origin, status: 403 });
    });

    it("lets the app's own page post the same form", async () => {
      const page = await loggedIn(login);
      const answer = postedTransfer(page);
      // The form, on a page of the app's origin.
      await page.evaluate((html) => {
        // Runs in the page (the test is compiled without the DOM library).
        const doc = (globalThis as unknown as { document: { open(): void; write(text: string): void; close(): void } }).document;
        doc.open();
        doc.write(html);
        doc.close();
      }, formPage('/bank/transfer'));
      const response = await answer;
      expect(response.status()).toBe(200);
      expect(await response.json()).toEqual({ transferred: true, user: 'alice' });
      expect(transfers).toEqual(['alice']);
    });
  });
});
