import type { RequestListener } from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import { createExpressServer, createKoaServer, CurrentUser, Get, JsonController, type RoutingControllersOptions } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, VerifyPassword, type AuthCheckers } from '../../src';
import { basicHeader, DRIVERS, DRIVERS_WITHOUT_USE, recordingLogger } from '../helpers';

@BasicAuth()
class WiredAuth {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' ? { name: username } : null;
  }
}

/** How often each handler ran: a refused request must leave it at 0. */
const ran = { plain: 0, me: 0 };

@JsonController('/wired')
@LoginRequired()
class WiredController {
  @Get('/plain') plain() {
    ran.plain++;
    return { ok: true };
  }
  @Get('/me') me(@CurrentUser() user: { name: string }) {
    ran.me++;
    return { me: user.name };
  }
}

beforeEach(() => {
  ran.plain = 0;
  ran.me = 0;
});

type Driver = 'express' | 'koa';
type Piece = 'authorizationChecker' | 'currentUserChecker';

/** routing-controllers with `useExpress`/`useKoa`, but without one of the two checkers. */
function appWithout(driver: Driver, piece: Piece, auth: AuthCheckers<unknown>): Express | RequestListener {
  const options: RoutingControllersOptions = { controllers: [WiredController] };
  if (piece !== 'authorizationChecker') options.authorizationChecker = auth.authorizationChecker;
  if (piece !== 'currentUserChecker') options.currentUserChecker = auth.currentUserChecker;
  if (driver === 'express') {
    const app = createExpressServer(options) as Express;
    auth.useExpress(app);
    return app;
  }
  const app = createKoaServer(options) as { callback(): RequestListener; middleware: Function[] };
  auth.useKoa(app);
  return app.callback();
}

const SERVER = { express: 'createExpressServer/useExpressServer', koa: 'createKoaServer/useKoaServer' };

/** Koa's default error listener (and Express's final handler outside NODE_ENV=test) print what routing-controllers threw. */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return await run();
  } finally {
    consoleError.mockRestore();
  }
}

describe.each(['express', 'koa'] as const)('a checker that was not passed to routing-controllers (%s)', (driver) => {
  it.each([
    ['authorizationChecker', '/wired/plain', 'plain'],
    ['currentUserChecker', '/wired/me', 'me'],
  ] as const)('without %s: refuses, never runs the handler, and logs the fix once', async (piece, path, handler) => {
    const logger = recordingLogger();
    const app = appWithout(driver, piece, createAuthCheckers(new WiredAuth(), { logger }) as AuthCheckers<unknown>);
    await quietly(async () => {
      for (let i = 0; i < 3; i++) {
        const anonymous = await request(app).get(path);
        expect(anonymous.status).toBe(401);
        const wrong = await request(app).get(path).set('Authorization', basicHeader('john', 'nope'));
        expect(wrong.status).toBe(401);
        // routing-controllers cannot finish the request without the checker: 500, never the handler.
        const signed = await request(app).get(path).set('Authorization', basicHeader('john', 'pw'));
        expect(signed.status).toBe(500);
        if (driver === 'express' && piece === 'authorizationChecker') {
          expect(signed.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
          // useExpress answers it rather than Express's final handler (an HTML page with a stack outside production).
          expect(signed.body).toEqual({ name: 'HttpAuthError', message: 'internal server error', code: 'ERR_HTTP_AUTH_MISCONFIGURED' });
        }
      }
    });
    expect(ran[handler]).toBe(0);
    expect(logger.lines()).toEqual([expect.stringMatching(/^http-auth: /)]);
    expect(logger.error.mock.calls[0][0]).toContain(`pass ${piece}: auth.${piece} to ${SERVER[driver]}`);
  });

  it('logs nothing for an app wired as documented (control)', async () => {
    const logger = recordingLogger();
    const auth = createAuthCheckers(new WiredAuth(), { logger }) as AuthCheckers<unknown>;
    const app = DRIVERS.find(([name]) => name === driver)![1]([WiredController], auth);
    for (let i = 0; i < 3; i++) {
      expect((await request(app).get('/wired/plain')).status).toBe(401);
      expect((await request(app).get('/wired/plain').set('Authorization', basicHeader('john', 'pw'))).status).toBe(200);
      const me = await request(app).get('/wired/me').set('Authorization', basicHeader('john', 'pw'));
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ me: 'john' });
    }
    expect(logger.lines()).toEqual([]);
  });
});

describe.each(DRIVERS_WITHOUT_USE)('a %s app whose useExpress/useKoa was not called', (driver, makeApp) => {
  const fix = driver === 'express' ? 'call auth.useExpress(app) after createExpressServer/useExpressServer' : 'call auth.useKoa(app) after createKoaServer/useKoaServer';

  it('still refuses without credentials and logs the fix once', async () => {
    const logger = recordingLogger();
    const app = makeApp([WiredController], createAuthCheckers(new WiredAuth(), { logger }) as AuthCheckers<unknown>);
    for (let i = 0; i < 3; i++) {
      expect((await request(app).get('/wired/plain')).status).toBe(401);
      expect((await request(app).get('/wired/plain').set('Authorization', basicHeader('john', 'pw'))).status).toBe(200);
    }
    expect(ran.plain).toBe(3);
    expect(logger.lines()).toEqual([expect.stringContaining(fix)]);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
});
