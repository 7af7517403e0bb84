/**
 * Issue 18 §2 in Chromium (Debian's /usr/bin/chromium, driven by playwright-core): tokens issued
 * by `createTokenIssuer` and carried in cookies (`tokens.setCookies`), checked by
 * `@JwtAuth({ issuedBy, cookie, csrf: 'double-submit' })`.
 *
 * A page served by the app logs in (fetch with Basic), reads the readable CSRF cookie and calls a
 * protected POST with `X-CSRF-Token`: 200. A page of another site (http://localhost:<port>, while
 * the app is http://127.0.0.1:<port>) submits a form POST to the same route: Chromium attaches
 * the access-token cookie (the cookies are `SameSite=None` here, so that the browser does send
 * them and the refusal is the library's), but the page cannot read the CSRF cookie to echo it:
 * 401 with `error_description="CSRF token missing or invalid"`, and the handler never runs.
 * With the default `SameSite=Lax`, Chromium does not even send the cookie: 401 without credentials.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { ContentType, CurrentUser, Get, JsonController, Post, Res } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, createTokenIssuer, JwtAuth, LoginRequired, VerifyPassword, type JwtClaims } from '../../src';
import { itWith, probeChromium } from './clients';
import { useCrossSite } from './cross-site';
import { INTEROP_DRIVERS, serveApp } from './server';

const probe = probeChromium();
const it = itWith(probe);


/** The app's page: logs in with Basic, then posts with the CSRF cookie's value in the header. */
const APP_PAGE = `<!doctype html><meta charset="utf-8"><script>
async function run() {
  const login = await fetch('/auth/token', { method: 'POST', headers: { Authorization: 'Basic ' + btoa('alice:wonderland') } });
  if (login.status !== 200) return 'login ' + login.status;
  const csrf = document.cookie.split('; ').find((c) => c.startsWith('csrf_token=')).slice('csrf_token='.length);
  const post = await fetch('/orders', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
  const without = await fetch('/orders', { method: 'POST' });
  return [post.status, await post.text(), without.status].join(' | ');
}
</script>`;


let target = '';
const crossSite = useCrossSite(probe, () => target);

describe.each(INTEROP_DRIVERS)('issued tokens in cookies, in chromium, against %s', (driver) => {
  describe.each([
    ['SameSite=None (the browser sends the cookie cross-site; the CSRF check refuses)', 'None', 'Bearer realm="shop", error="invalid_token", error_description="CSRF token missing or invalid"'],
    ['the default SameSite=Lax (the browser keeps the cookie; no credentials)', 'Lax', 'Bearer realm="shop"'],
  ] as const)('cookies with %s', (_label, sameSite, challenge) => {
    type Seen = { method: string; url: string; cookie?: string; status?: number; challenge?: string };
    let app: Awaited<ReturnType<typeof serveApp<Seen>>>;
    const errors: string[] = [];
    const orders: string[] = [];
    const contexts: BrowserContext[] = [];

    beforeAll(async () => {
      if (probe.problem) return;
      // Chromium sends Secure cookies to http://127.0.0.1 (a potentially trustworthy origin).
      const tokens = createTokenIssuer({ issuer: 'http://shop.test', audience: 'http://shop.test/api', secret: 'an HS256 secret of at least 32 bytes!', cookies: { sameSite } });

      @BasicAuth({ realm: 'login' })
      class UserAuth {
        @VerifyPassword() verify(username: string, password: string) {
          return username === 'alice' && password === 'wonderland' ? { name: 'alice' } : null;
        }
      }

      @JwtAuth({ issuedBy: tokens, cookie: 'access_token', csrf: 'double-submit', realm: 'shop' })
      class ShopAuth {}

      @JsonController()
      class ShopController {
        @Get('/page') @ContentType('text/html') page() {
          return APP_PAGE;
        }
        @Post('/auth/token') @LoginRequired({ auth: UserAuth })
        async token(@CurrentUser() user: { name: string }, @Res() res: never) {
          const pair = await tokens.issue(user.name, { fresh: true });
          tokens.setCookies(res, pair);
          return { ok: true };
        }
        @Post('/orders') @LoginRequired({ auth: ShopAuth })
        order(@CurrentUser() claims: JwtClaims) {
          orders.push(claims.sub!);
          return { ordered: true, by: claims.sub };
        }
      }

      const auth = createAuthCheckers<string>([new UserAuth(), new ShopAuth()], { logger: { warn: (m) => errors.push(m), error: (m) => errors.push(m) } });
      app = await serveApp<Seen>(driver, auth, [ShopController], (req, res) => {
        const entry: Seen = { method: req.method ?? '', url: req.url ?? '', cookie: req.headers.cookie };
        res.on('finish', () => {
          entry.status = res.statusCode;
          const field = res.getHeader('www-authenticate');
          if (field !== undefined) entry.challenge = String(field);
        });
        return entry;
      });
    });
    afterAll(async () => {
      await app?.close();
    });
    beforeEach(() => {
      orders.length = 0;
      target = `${app.url}/orders`;
    });
    afterEach(async () => {
      await Promise.all(contexts.splice(0).map((c) => c.close()));
      expect(errors).toEqual([]);
    });

    /** A fresh browser profile on the app's page, logged in by the page itself. */
    const loggedIn = async (): Promise<{ page: Page; result: string }> => {
      const context = await crossSite.browser().newContext();
      contexts.push(context);
      const page = await context.newPage();
      expect((await page.goto(`${app.url}/page`))?.status()).toBe(200);
      const result = await page.evaluate('run()');
      return { page, result: String(result) };
    };

    it('the app\'s own page logs in and posts with the X-CSRF-Token header: 200; without it: 401', async () => {
      const { result } = await loggedIn();
      expect(result).toBe('200 | {"ordered":true,"by":"alice"} | 401');
      expect(orders).toEqual(['alice']);
    });

    it('a form another site posts is refused with 401, and the handler never runs', async () => {
      const { page } = await loggedIn();
      orders.length = 0;
      const from = app.seen.length;
      const answer = page.waitForResponse((response) => response.url() === target && response.request().method() === 'POST');
      await page.goto(crossSite.attackerPage());
      const response = await answer;
      expect(response.status()).toBe(401);
      expect(orders).toEqual([]);
      const forged = app.seen.slice(from).find((r) => r.method === 'POST' && r.url === '/orders');
      expect(forged).toMatchObject({ status: 401, challenge });
      // With SameSite=None the browser did send the access token: the refusal is the library's.
      if (sameSite === 'None') expect(forged?.cookie).toMatch(/(^|; )access_token=ey/);
      else expect(forged?.cookie ?? '').not.toMatch(/access_token=/);
    });
  });
});
