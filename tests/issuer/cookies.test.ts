import { createServer, IncomingMessage, ServerResponse, type RequestListener } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { Controller, createExpressServer, createKoaServer, Ctx, Post, Res } from 'routing-controllers';
import type { TokenIssuer, TokenPair } from '../../src/issuer/types';
import type { IssuerCookieOptions } from '../../src/issuer/cookies';
import { claimsOf, makeIssuer, quietLogger } from './fixtures';

/** The Set-Cookie fields of a supertest response, as sent. */
const setCookies = (res: request.Response): string[] => {
  const value = res.headers['set-cookie'] as unknown;
  return value === undefined ? [] : (value as string[]);
};

/** The three lines setCookies must write for a pair, with the default options. */
function expectedLines(pair: TokenPair, refreshTtl = 1_209_600): string[] {
  const csrf = claimsOf(pair.access_token).csrf as string;
  return [
    `access_token=${pair.access_token}; Max-Age=900; Path=/; HttpOnly; Secure; SameSite=Lax`,
    `refresh_token=${pair.refresh_token}; Max-Age=${refreshTtl}; Path=/auth/refresh; HttpOnly; Secure; SameSite=Lax`,
    `csrf_token=${csrf}; Max-Age=900; Path=/; Secure; SameSite=Lax`,
  ];
}

const CLEARED = [
  'access_token=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
  'refresh_token=; Max-Age=0; Path=/auth/refresh; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
  'csrf_token=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=Lax',
];

/**
 * Apps that log in (POST /login: issue, keep an app cookie, setCookies, answer the pair as JSON)
 * and log out (POST /logout: clearCookies), one per way of holding the response.
 */
type AppFactory = (tokens: TokenIssuer, options?: IssuerCookieOptions) => RequestListener | express.Express;

const APPS: readonly (readonly [string, AppFactory])[] = [
  [
    'Express res (routing-controllers @Res())',
    (tokens, options) => {
      @Controller()
      class AuthController {
        @Post('/login') async login(@Res() res: express.Response) {
          res.cookie('theme', 'dark');
          const pair = await tokens.issue('alice');
          tokens.setCookies(res, pair, options);
          return res.json(pair);
        }
        @Post('/logout') logout(@Res() res: express.Response) {
          tokens.clearCookies(res, options);
          return res.json({ ok: true });
        }
      }
      return createExpressServer({ controllers: [AuthController] });
    },
  ],
  [
    'Koa ctx.response (routing-controllers @Res())',
    (tokens, options) => {
      @Controller()
      class AuthController {
        @Post('/login') async login(@Res() response: Koa.Response) {
          response.append('Set-Cookie', 'theme=dark; Path=/');
          const pair = await tokens.issue('alice');
          tokens.setCookies(response, pair, options);
          response.body = pair;
          return response;
        }
        @Post('/logout') logout(@Res() response: Koa.Response) {
          tokens.clearCookies(response, options);
          response.body = { ok: true };
          return response;
        }
      }
      return (createKoaServer({ controllers: [AuthController] }) as Koa).callback();
    },
  ],
  [
    'Koa ctx (routing-controllers @Ctx())',
    (tokens, options) => {
      @Controller()
      class AuthController {
        @Post('/login') async login(@Ctx() ctx: Koa.Context) {
          ctx.cookies.set('theme', 'dark', { httpOnly: false });
          const pair = await tokens.issue('alice');
          tokens.setCookies(ctx, pair, options);
          return pair;
        }
        @Post('/logout') logout(@Ctx() ctx: Koa.Context) {
          tokens.clearCookies(ctx, options);
          return { ok: true };
        }
      }
      return (createKoaServer({ controllers: [AuthController] }) as Koa).callback();
    },
  ],
  [
    'plain Koa ctx',
    (tokens, options) => {
      const app = new Koa();
      app.use(async (ctx) => {
        ctx.append('Set-Cookie', 'theme=dark; Path=/');
        if (ctx.path === '/login') {
          const pair = await tokens.issue('alice');
          tokens.setCookies(ctx, pair, options);
          ctx.body = pair;
        } else {
          tokens.clearCookies(ctx, options);
          ctx.body = { ok: true };
        }
      });
      return app.callback();
    },
  ],
  [
    'Node ServerResponse',
    (tokens, options): RequestListener => async (req, res) => {
      res.setHeader('Set-Cookie', 'theme=dark; Path=/');
      if (req.url === '/login') {
        const pair = await tokens.issue('alice');
        tokens.setCookies(res, pair, options);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(pair));
      } else {
        tokens.clearCookies(res, options);
        res.end('{}');
      }
    },
  ],
];

describe.each(APPS)('tokens.setCookies / clearCookies on %s (a real server, over plain HTTP)', (_label, makeApp) => {
  it('writes the access, refresh and CSRF cookies with exactly the documented attributes, keeping the app\'s own cookie', async () => {
    const tokens = makeIssuer();
    const res = await request(makeApp(tokens)).post('/login');
    expect(res.status).toBe(200);
    const pair = res.body as TokenPair;
    const lines = setCookies(res);
    expect(lines.filter((line) => !line.startsWith('theme='))).toEqual(expectedLines(pair));
    expect(lines.filter((line) => line.startsWith('theme='))).toHaveLength(1);
    // The readable CSRF cookie carries the access token's csrf claim: the double-submit value.
    expect(lines[lines.length - 1]).toContain(`csrf_token=${claimsOf(pair.access_token).csrf}`);
  });

  it('clears the three cookies (same names, paths and attributes, Max-Age=0)', async () => {
    const res = await request(makeApp(makeIssuer())).post('/logout');
    expect(setCookies(res).filter((line) => !line.startsWith('theme='))).toEqual(CLEARED);
  });

  it('follows the cookie options of the issuer, and per call', async () => {
    const tokens = makeIssuer({ refreshTtl: 3_600, cookies: { accessCookie: '__Host-at', csrfCookie: 'xsrf', refreshPath: '/auth', sameSite: 'Strict' } });
    const res = await request(makeApp(tokens, { domain: undefined, refreshCookie: 'rt' })).post('/login');
    const pair = res.body as TokenPair;
    const csrf = claimsOf(pair.access_token).csrf as string;
    expect(setCookies(res).filter((line) => !line.startsWith('theme='))).toEqual([
      `__Host-at=${pair.access_token}; Max-Age=900; Path=/; HttpOnly; Secure; SameSite=Strict`,
      `rt=${pair.refresh_token}; Max-Age=3600; Path=/auth; HttpOnly; Secure; SameSite=Strict`,
      `xsrf=${csrf}; Max-Age=900; Path=/; Secure; SameSite=Strict`,
    ]);
  });

  it('leaves Secure out only when told (secure: false), with one warning', async () => {
    const logger = quietLogger();
    const tokens = makeIssuer({ logger, cookies: { secure: false, domain: 'localhost' } });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    const res = await request(makeApp(tokens)).post('/login');
    const lines = setCookies(res).filter((line) => !line.startsWith('theme='));
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toMatch(/Secure/);
      expect(line).toMatch(/; Domain=localhost; Path=/);
    }
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
});

describe('tokens.setCookies misuse', () => {
  it('warns once when a call turns Secure off', async () => {
    const logger = quietLogger();
    const tokens = makeIssuer({ logger });
    const pair = await tokens.issue('alice');
    const res = responseFor();
    tokens.setCookies(res, pair, { secure: false });
    tokens.setCookies(res, pair, { secure: false });
    expect(logger.warn.mock.calls).toEqual([[expect.stringMatching(/^http-auth: tokens\.setCookies: cookies\.secure is false/)]]);
    // Calling twice replaces the cookies rather than doubling them.
    expect((res.getHeader('set-cookie') as string[]).length).toBe(3);
  });

  it.each([
    ['not a response', (pair: TokenPair) => [{}, pair], /the response must be an Express res .* a Koa ctx or ctx\.response/],
    ['a pair that is not one', (pair: TokenPair) => [responseFor(), { ...pair, refresh_token: 'x' }], /pair must be what tokens\.issue\(\) or tokens\.refresh\(\) returned/],
    ['no pair', () => [responseFor(), undefined], /pair must be what tokens\.issue\(\) or tokens\.refresh\(\) returned/],
    ['an access token without csrf', (pair: TokenPair) => [responseFor(), { ...pair, access_token: 'a.b.c' }], /not an access token of a token issuer/],
    ['a bad cookie option', (pair: TokenPair) => [responseFor(), pair, { sameSite: 'Loose' }], /sameSite must be "Strict", "Lax" or "None"/],
  ] as const)('throws a TypeError for %s', async (_label, args, message) => {
    const tokens = makeIssuer();
    const [res, pair, options] = args(await tokens.issue('alice')) as unknown as Parameters<TokenIssuer['setCookies']>;
    expect(() => tokens.setCookies(res, pair, options)).toThrow(TypeError);
    expect(() => tokens.setCookies(res, pair, options)).toThrow(message);
  });

  it('throws a TypeError once the response was sent', async () => {
    const tokens = makeIssuer();
    const pair = await tokens.issue('alice');
    let thrown: unknown;
    const server = createServer((_req, res) => {
      res.end('sent');
      try {
        tokens.setCookies(res, pair);
      } catch (error) {
        thrown = error;
      }
    });
    await request(server).get('/');
    expect(thrown).toBeInstanceOf(TypeError);
    expect(String(thrown)).toMatch(/the response was already sent; set the cookies before answering/);
  });
});

function responseFor(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}
