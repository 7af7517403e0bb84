import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_PATH, type probeChromium } from './clients';

const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** A page that posts a form to `action` as soon as it loads. */
export const formPage = (action: string) =>
  `<!doctype html><form method="POST" action="${action}"><input name="amount" value="1000"><input name="to" value="mallory"></form><script>document.forms[0].submit()</script>`;

export interface CrossSiteSetup {
  /** Chromium, launched for the file. */
  browser(): Browser;
  /** `http://localhost:<port>/prize`: another site (the apps are at http://127.0.0.1) whose page posts its form to `target()`. */
  attackerPage(): string;
}

/**
 * For a file's tests: Chromium, and an attacker's site whose `/prize` page submits a form POST to
 * `target()` (read when the page is served). Started before the file's tests, closed after them;
 * nothing starts when Chromium is missing (`probe.problem`).
 */
export function useCrossSite(probe: ReturnType<typeof probeChromium>, target: () => string): CrossSiteSetup {
  let browser: Browser | undefined;
  let attacker: Server | undefined;
  let port = 0;
  beforeAll(async () => {
    if (probe.problem) return;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
    attacker = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(req.url === '/prize' ? formPage(target()) : '<!doctype html><p>nothing to see</p>');
    });
    await new Promise<void>((resolve) => attacker!.listen(0, '127.0.0.1', resolve));
    port = (attacker.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await browser?.close();
    attacker?.closeAllConnections();
    await new Promise((resolve) => (attacker ? attacker.close(resolve) : resolve(undefined)));
  });
  return { browser: () => browser!, attackerPage: () => `http://localhost:${port}/prize` };
}
