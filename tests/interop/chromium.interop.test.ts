/**
 * Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against a running server:
 * `httpCredentials` log in with Digest MD5, Digest SHA-256, a route offering both, and Basic;
 * a wrong password ends in 401; concurrent fetch() calls reuse the Digest nonce with nonce
 * counts sent in parallel (possibly out of order), and all of them must succeed.
 */
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { CHROMIUM_PATH, itWith, probeChromium } from './clients';
import { ALICE, algorithmOf, INTEROP_DRIVERS, JOHN, ncOf, nonceOf, useInteropServer } from './server';

const probe = probeChromium();
const it = itWith(probe);

const LAUNCH_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser | undefined;

beforeAll(async () => {
  if (probe.problem) return;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
  // eslint-disable-next-line no-console
  console.log(`interop: chromium ${browser.version()} (playwright-core ${require('playwright-core/package.json').version})`);
});
afterAll(async () => {
  await browser?.close();
});

const CONCURRENT = 12;

describe.each(INTEROP_DRIVERS)('chromium against %s', (driver) => {
  const server = useInteropServer(driver);
  const contexts: BrowserContext[] = [];

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });

  /** A fresh context (no cached credentials) with these credentials, for this server only. */
  const contextFor = async (username: string, password: string): Promise<BrowserContext> => {
    const context = await browser!.newContext({ httpCredentials: { username, password, origin: server.url } });
    contexts.push(context);
    return context;
  };

  const visit = async (username: string, password: string, path: string) => {
    const page = await (await contextFor(username, password)).newPage();
    const from = server.seen.length;
    const response = await page.goto(`${server.url}${path}`);
    if (!response) throw new Error(`no response for ${path}`);
    return { page, status: response.status(), body: await response.text(), exchange: server.seen.slice(from) };
  };

  describe.each([
    ['Digest MD5', 'md5', 'MD5'],
    ['Digest SHA-256', 'sha256', 'SHA-256'],
    ['Digest SHA-256 + MD5', 'multi', undefined],
    ['Basic', 'basic', undefined],
  ] as const)('%s', (_name, route, algorithm) => {
    it('logs in with httpCredentials: status 200 and the body', async () => {
      const { status, body, exchange } = await visit(ALICE.username, ALICE.password, `/${route}/hello`);
      expect({ status, body }).toEqual({ status: 200, body: JSON.stringify({ route, user: 'alice' }) });
      const sent = exchange.find((r) => r.status === 200)?.authorization;
      if (route === 'basic') expect(sent).toMatch(/^Basic /);
      else if (algorithm) expect(algorithmOf(sent)).toBe(algorithm);
      else {
        expect(['SHA-256', 'MD5']).toContain(algorithmOf(sent));
        // eslint-disable-next-line no-console
        console.log(`interop: chromium ${driver}: offered SHA-256 and MD5, chose ${algorithmOf(sent)}`);
      }
    });

    it('is refused with a wrong password: final status 401', async () => {
      const { status, body } = await visit(ALICE.username, 'not-the-password', `/${route}/hello`);
      expect(status).toBe(401);
      expect(body).not.toContain('"user"');
    });

    it('logs in a non-ASCII user', async () => {
      const { status, body } = await visit(JOHN.username, JOHN.password, `/${route}/hello`);
      expect({ status, body }).toEqual({ status: 200, body: JSON.stringify({ route, user: JOHN.username }) });
    });
  });

  describe.each([
    ['Digest MD5', 'md5'],
    ['Digest SHA-256', 'sha256'],
  ] as const)('%s, concurrent fetch() from the page', (_name, route) => {
    it(`${CONCURRENT} parallel requests on the cached credentials all succeed, whatever order their nc arrive in`, async () => {
      const path = `/${route}/hello`;
      const { page, status } = await visit(ALICE.username, ALICE.password, path);
      expect(status).toBe(200);
      const from = server.seen.length;
      const results = await page.evaluate(
        async ({ path, n }) =>
          // A distinct query per request keeps the HTTP cache (and ETag revalidation) out of it.
          Promise.all(Array.from({ length: n }, (_, i) => fetch(`${path}?n=${i}`).then(async (r) => ({ status: r.status, body: await r.text() })))),
        { path, n: CONCURRENT },
      );
      expect(results).toEqual(Array.from({ length: CONCURRENT }, () => ({ status: 200, body: JSON.stringify({ route, user: 'alice' }) })));

      // Chromium sent Digest credentials up front (no 401 round trip) and the server took each
      // one the first time, even where a later nc overtook an earlier one.
      // Only the fetches: the browser may ask for /favicon.ico (404) at any moment after the visit.
      const exchange = server.seen.slice(from).filter((r) => r.url.startsWith(`${path}?n=`));
      expect(exchange.map((r) => r.status)).toEqual(Array.from({ length: CONCURRENT }, () => 200));
      const ncs = exchange.map((r) => ncOf(r.authorization));
      expect(ncs.every((nc) => nc !== undefined)).toBe(true);
      expect(new Set(ncs).size).toBe(CONCURRENT);
      expect(new Set(exchange.map((r) => nonceOf(r.authorization))).size).toBe(1);
      const inOrder = ncs.every((nc, i) => i === 0 || parseInt(nc!, 16) > parseInt(ncs[i - 1]!, 16));
      // eslint-disable-next-line no-console
      console.log(`interop: chromium ${driver} ${route}: nc arrival order ${ncs.map((nc) => parseInt(nc!, 16)).join(',')}${inOrder ? ' (in order this run)' : ' (out of order)'}`);
    });
  });
});
